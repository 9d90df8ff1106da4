"""Outputs of an experiment: an indicator at a region, or two such terms joined by / - + or *.

`hnte_stock.jiashan / hnte_stock.zone` is Jiashan's share of the zone's HNTE stock. Indicator
names are the model's catalogue (`innosim.model.INDICATORS`); values come from result tables.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from innosim.model import INDICATOR_NAMES, REGIONS
from innosim.scenario import ScenarioError
from innosim.yamlsafe import excerpt

ZONE_ONLY = ("balance_index",)  #: indicators defined for the zone alone
_TERM = r"([a-z_]+)\.([a-z_]+)"
_EXPRESSION = re.compile(rf"^\s*{_TERM}\s*(?:([-+*/])\s*{_TERM}\s*)?$")


@dataclass(frozen=True)
class Output:
    """An output to explain: `indicator.region`, or two such terms joined by / - + or *."""

    name: str
    expression: str
    terms: tuple[tuple[str, str], ...]
    operator: str | None = None

    def evaluate(self, value) -> float:
        """`value(indicator, region) -> float` gives this output (NaN where undefined)."""
        a = value(*self.terms[0])
        if self.operator is None:
            return a
        b = value(*self.terms[1])
        if self.operator == "/":
            return a / b if b else math.nan
        return {"-": a - b, "+": a + b, "*": a * b}[self.operator]



def parse_output(exp_file: Path, name: str, expression: str) -> Output:
    """Read one `outputs:` entry, or raise ScenarioError naming the experiment file and key."""
    where = f"outputs.{name}"
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
        raise ScenarioError(exp_file, where, "an output name is letters, digits and _")
    match = _EXPRESSION.match(expression)
    if not match:
        raise ScenarioError(exp_file, where, f"cannot read {excerpt(expression)}: write indicator.region, or two of "
                                             "them joined by /, -, + or * (e.g. hnte_stock.jiashan / hnte_stock.zone)")
    ind1, reg1, operator, ind2, reg2 = match.groups()
    terms = ((ind1, reg1),) if operator is None else ((ind1, reg1), (ind2, reg2))
    for indicator, region in terms:
        if indicator not in INDICATOR_NAMES:
            raise ScenarioError(exp_file, where, f"unknown indicator {excerpt(indicator)}")
        if region not in REGIONS:
            raise ScenarioError(exp_file, where, f"unknown region {excerpt(region)} (one of {', '.join(REGIONS)})")
        if indicator in ZONE_ONLY and region != "zone":
            raise ScenarioError(exp_file, where, f"{indicator} exists for the zone only")
    return Output(name, expression.strip(), terms, operator)
