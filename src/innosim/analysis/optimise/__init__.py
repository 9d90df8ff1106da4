"""`innosim optimise`: the best packages of a county's levers under its budget (spec, search, report)."""

from innosim.analysis.optimise.search import SearchResult, search
from innosim.analysis.optimise.spec import Optimisation, load_optimise

__all__ = ["Optimisation", "SearchResult", "load_optimise", "search"]
