"""Outputs of an experiment: an indicator at a region, or two such terms joined by / - + or *.

`hnte_stock.jiashan / hnte_stock.zone` is Jiashan's share of the zone's HNTE stock at the horizon
(a flow at the horizon is its last 12 months summed). A term may instead be a window aggregate of
the monthly series, steadier than one month's value:

    mean(hnte_stock.jiashan, last=36)   the stock averaged over the last 36 months
    sum(startups.zone)                  a flow summed over the whole horizon
    sum(public_cost.zone, per=year)     ... divided by the horizon's years: so much a year
    sum(innovations.zone, last=36, per=year)

Indicator names are the catalogue's (`innosim.catalogue.INDICATORS`); values come from result
tables (`window_values` reads the monthly series, `Output.evaluate` combines the terms).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from innosim.catalogue import INDICATOR_NAMES, INDICATORS, REGIONS, ZONE_ONLY
from innosim.i18n import msg
from innosim.scenario import ScenarioError
from innosim.scenario.regions import canonical_place
from innosim.yamlsafe import excerpt

HOWS = ("mean", "sum")          #: window aggregates
_PLAIN = r"[a-z_]+\.[a-z_]+"
_WINDOW = rf"(?:mean|sum)\(\s*{_PLAIN}(?:\s*,\s*[a-z]+\s*=\s*[A-Za-z0-9]+)*\s*\)"
_TERM = rf"({_WINDOW}|{_PLAIN})"
_EXPRESSION = re.compile(rf"^\s*{_TERM}\s*(?:([-+*/])\s*{_TERM}\s*)?$")
_CALL = re.compile(r"^(mean|sum)\(\s*([a-z_]+)\.([a-z_]+)((?:\s*,\s*[a-z]+\s*=\s*[A-Za-z0-9]+)*)\s*\)$")


@dataclass(frozen=True)
class Term:
    """One indicator at one region: its value at the horizon (`how` None), or a window aggregate."""

    indicator: str
    region: str
    how: str | None = None       # None (the horizon's end value), "mean" or "sum"
    last: int | None = None      # the window: the last `last` months (None: the whole horizon)
    per_year: bool = False       # a sum divided by the window's years

    @property
    def windowed(self) -> bool:
        return self.how is not None

    def __iter__(self):  # `indicator, region = term`, as when terms were pairs
        return iter((self.indicator, self.region))

    def aggregate(self, months: np.ndarray, values: np.ndarray) -> float:
        """This window's value from one run's monthly series (months numbered from 1)."""
        if not len(values):
            return math.nan
        inside = months > months.max() - self.last if self.last else np.ones(len(months), bool)
        chosen = values[inside]
        if self.how == "mean":
            return float(chosen.mean())
        total = float(chosen.sum())
        return total * 12 / inside.sum() if self.per_year else total


@dataclass(frozen=True)
class Output:
    """An output to explain: one term, or two terms joined by / - + or *."""

    name: str
    expression: str
    terms: tuple[Term, ...]
    operator: str | None = None

    def __post_init__(self):  # terms given as (indicator, region) pairs are end values
        object.__setattr__(self, "terms", tuple(t if isinstance(t, Term) else Term(*t) for t in self.terms))

    @property
    def windowed(self) -> bool:
        """True when a term needs the monthly series (a window aggregate), not the end values alone."""
        return any(t.windowed for t in self.terms)

    @property
    def counts(self) -> bool:
        """True when the output is a count or an amount (firms, persons, M CNY): it grows with the scale."""
        units = {i.name: i.unit for i in INDICATORS}
        return self.operator in (None, "+", "-") and all(units[t.indicator] not in ("share", "index")
                                                         for t in self.terms)

    def evaluate(self, value: Callable[[Term], float]) -> float:
        """`value(term) -> float` gives this output (NaN where undefined)."""
        a = value(self.terms[0])
        if self.operator is None:
            return a
        b = value(self.terms[1])
        if self.operator == "/":
            return a / b if b else math.nan
        return {"-": a - b, "+": a + b, "*": a * b}[self.operator]


def window_values(ts: pd.DataFrame, terms: Sequence[Term], by: Sequence[str] = ("key",)) -> dict[tuple, float]:
    """(*run id, term) -> the term's window aggregate, from monthly tables with `by` id columns."""
    out: dict[tuple, float] = {}
    wanted = {(t.indicator, t.region) for t in terms}
    rows = ts[[(i, r) in wanted for i, r in zip(ts["indicator"], ts["region"], strict=True)]] if len(ts) else ts
    for ids, group in rows.groupby([*by, "indicator", "region"], sort=False):
        group = group.sort_values("month")
        months, values = group["month"].to_numpy(), group["value"].to_numpy(dtype=float)
        run, (indicator, region) = ids[:len(by)], ids[len(by):]
        for term in terms:
            if (term.indicator, term.region) == (indicator, region):
                out[(*run, term)] = term.aggregate(months, values)
    return out


def _term(exp_file: Path, where: str, text: str) -> Term:
    text = text.strip()
    call = _CALL.match(text)
    if not call:
        indicator, _, region = text.partition(".")
        return _checked(exp_file, where, Term(indicator, region))
    how, indicator, region, arguments = call.groups()
    options = {}
    for item in filter(None, (a.strip() for a in arguments.split(","))):
        key, _, value = (s.strip() for s in item.partition("="))
        if key in options:
            raise ScenarioError(exp_file, where, msg("{key}= given twice in {text}", key=key, text=excerpt(text)))
        options[key] = value
    unknown = set(options) - {"last", "per"}
    if unknown:
        raise ScenarioError(exp_file, where, msg("unknown option {option} in {text}: give last=MONTHS and, for a "
                                                 "sum, per=year", option=excerpt(min(unknown)), text=excerpt(text)))
    last = None
    if "last" in options:
        if not options["last"].isdigit() or int(options["last"]) < 1:
            raise ScenarioError(exp_file, where, msg("last= takes a number of months (1 or more), got {value}",
                                                     value=excerpt(options['last'])))
        last = int(options["last"])
    if "per" in options and options["per"] != "year":
        raise ScenarioError(exp_file, where, msg("per= takes year, got {value}", value=excerpt(options['per'])))
    if "per" in options and how != "sum":
        raise ScenarioError(exp_file, where, msg("per=year is for a sum (a mean is already per month)"))
    return _checked(exp_file, where, Term(indicator, region, how, last, "per" in options))


def _checked(exp_file: Path, where: str, term: Term) -> Term:
    if term.indicator not in INDICATOR_NAMES:
        raise ScenarioError(exp_file, where, msg("unknown indicator {name}", name=excerpt(term.indicator)))
    if term.region not in REGIONS:
        raise ScenarioError(exp_file, where, msg("unknown region {region} (one of {choices})",
                                                 region=excerpt(term.region), choices=", ".join(REGIONS)))
    if term.indicator in ZONE_ONLY and term.region != "zone":
        raise ScenarioError(exp_file, where, msg("{name} exists for the zone only", name=term.indicator))
    return term


def parse_output(exp_file: Path, name: str, expression: str) -> Output:
    """Read one `outputs:` entry, or raise ScenarioError naming the experiment file and key."""
    where = f"outputs.{name}"
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
        raise ScenarioError(exp_file, where, msg("an output name is letters, digits and _"))
    if isinstance(expression, str):  # hnte_stock.嘉善 is hnte_stock.jiashan
        expression = re.sub(r"\.([^\s.,()/*+-]+)", lambda m: "." + canonical_place(m.group(1)), expression)
    match = _EXPRESSION.match(expression)
    if not match:
        raise ScenarioError(exp_file, where, msg("cannot read {text}: write indicator.region, or two of them joined "
                                                 "by /, -, + or * (e.g. hnte_stock.jiashan / hnte_stock.zone), or a "
                                                 "window such as mean(hnte_stock.jiashan, last=36) or "
                                                 "sum(startups.zone)", text=excerpt(expression)))
    first, operator, second = match.groups()
    texts = (first,) if operator is None else (first, second)
    terms = tuple(_term(exp_file, where, text) for text in texts)
    return Output(name, expression.strip(), terms, operator)
