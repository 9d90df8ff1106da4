"""innosim: an agent-based model of innovation policy in the Yangtze River Delta demonstration zone."""

__version__ = "0.1.0"
