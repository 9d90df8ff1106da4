"""The world: places, firms, talents, incubators, funds, policy rules, indicators, the Model."""

from .indicators import INDICATOR_NAMES, INDICATORS, REGIONS
from .model import InnoModel, month_label
from .simulate import RunResult, simulate

__all__ = ["INDICATORS", "INDICATOR_NAMES", "REGIONS", "InnoModel", "RunResult", "month_label", "simulate"]
