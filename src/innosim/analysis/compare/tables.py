"""Scenario comparison on result tables: means with t-based 95 % confidence intervals over replicates,
and paired differences against a baseline under common random numbers.

Replicate r of every scenario runs with the same seed, so the difference of replicate r's outcomes
removes the noise the scenarios share; the paired t interval of those differences (Law 2015,
*Simulation Modeling and Analysis*, 5th ed., section 10.2, "paired-t confidence interval") is
narrower than comparing two independent means. Everything here reads tables; nothing runs a model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from innosim.batch import ResultStore, Task
from innosim.catalogue import INDICATOR_NAMES, INDICATORS, PLACE_KEYS, REGIONS

from innosim.analysis.compare.cost import SERIES_INDICATORS, PublicCost, public_cost_tables
from innosim.analysis.compare.stats import (_interval, excludes_zero, paired_differences,  # noqa: F401  (tables.*, as before)
                                            summarise, t_interval)
from innosim.analysis.decompose import NEEDED, Decomposition, effects

KINDS = {i.name: i.kind for i in INDICATORS}
UNITS = {i.name: i.unit for i in INDICATORS}
DESCRIPTIONS = {i.name: i.description for i in INDICATORS}
PLACES = PLACE_KEYS
RELOCATION_KINDS = ("firms", "talents")


def in_model_order(table: pd.DataFrame, scenarios: Sequence[str] | None = None) -> pd.DataFrame:
    """Rows sorted by scenario (as given), indicator (as the model lists them) and place (Qingpu first)."""
    keys, orders = [], {"indicator": INDICATOR_NAMES, "region": REGIONS}
    if scenarios is not None:
        orders = {"scenario": tuple(scenarios), **orders}
    ranks = {}
    for column, order in orders.items():
        if column in table.columns:
            rank = {value: i for i, value in enumerate(order)}
            ranks[f"_{column}"] = table[column].map(lambda v, r=rank: r.get(v, len(r)))
            keys.append(f"_{column}")
    if not keys:
        return table
    return table.assign(**ranks).sort_values(keys, kind="stable").drop(columns=keys).reset_index(drop=True)


def trailing_year(ts: pd.DataFrame) -> pd.DataFrame:
    """Flows as trailing 12-month totals (the end value's definition); stocks and rates unchanged."""
    ts = ts.sort_values(["scenario", "replicate", "indicator", "region", "month"], kind="stable")
    series = ts.groupby(["scenario", "replicate", "indicator", "region"], sort=False)["value"]
    total = series.cumsum()
    earlier = total.groupby([ts["scenario"], ts["replicate"], ts["indicator"], ts["region"]]).shift(12)
    rolled = total - earlier.fillna(0.0)
    is_flow = ts["indicator"].map(KINDS).eq("flow")
    return ts.assign(value=np.where(is_flow, rolled, ts["value"]))


def timeseries_bands(ts: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Mean and confidence band per scenario, month, region and indicator (flows: trailing 12 months)."""
    rolled = trailing_year(ts)
    table = _interval(rolled.groupby(["scenario", "indicator", "region", "month", "date"], sort=False)["value"],
                      level).reset_index()
    table["measure"] = np.where(table["indicator"].map(KINDS).eq("flow"), "trailing 12-month total", "value")
    return table


def relocation_table(matrices: Mapping[str, np.ndarray], baseline: str, level: float = 0.95) -> pd.DataFrame:
    """Moves between the four places over the horizon: mean per scenario and paired difference.

    `matrices` maps scenario -> array [replicate, kind, from, to] (replicates in the same order).
    """
    rows = []
    base = np.asarray(matrices[baseline], dtype=float)
    for scenario, array in matrices.items():
        array = np.asarray(array, dtype=float)
        for k, kind in enumerate(RELOCATION_KINDS):
            for i, origin in enumerate(PLACES):
                for j, destination in enumerate(PLACES):
                    mean, low, high = t_interval(array[:, k, i, j], level)
                    diff, d_low, d_high = t_interval(array[:, k, i, j] - base[:, k, i, j], level)
                    rows.append((scenario, kind, origin, destination, len(array), mean, low, high,
                                 diff, d_low, d_high))
    table = pd.DataFrame(rows, columns=["scenario", "kind", "from", "to", "n", "mean", "ci_low", "ci_high",
                                        "diff", "diff_ci_low", "diff_ci_high"])
    table["excludes_zero"] = excludes_zero(table["diff_ci_low"], table["diff_ci_high"])
    return table


@dataclass
class Comparison:
    """The tables a comparison report is made of."""

    scenarios: list[str]                    # labels, the baseline first
    end: pd.DataFrame                       # tidy end values of every run, with the scenario label
    summary: pd.DataFrame                   # per scenario, indicator, region: n, mean, sd, CI
    differences: pd.DataFrame               # paired differences against the baseline
    bands: pd.DataFrame                     # time-series means and bands
    relocations: pd.DataFrame               # relocation means and paired differences
    costs: PublicCost | None = None         # public cost and cost per extra outcome (compare_cost.py)
    decomposition: Decomposition | None = None  # where the effects on the three stocks come from (decompose.py)
    settings: dict = field(default_factory=dict)

    @property
    def baseline(self) -> str:
        return self.scenarios[0]


def gather(store: ResultStore, groups: Mapping[str, Sequence[Task]], level: float = 0.95,
           band_indicators: Sequence[str] | None = None) -> Comparison:
    """Read the runs of each labelled group of tasks (the baseline first) and build every table."""

    labels = list(groups)
    end = in_model_order(pd.concat([store.end_values(tasks).assign(scenario=label)
                                    for label, tasks in groups.items()], ignore_index=True), labels)
    wanted = None if band_indicators is None else list(dict.fromkeys([*band_indicators, *SERIES_INDICATORS,
                                                                       *NEEDED]))
    ts = pd.concat([store.timeseries(tasks, indicators=wanted).assign(scenario=label)
                    for label, tasks in groups.items()], ignore_index=True)
    banded = ts if band_indicators is None else ts[ts["indicator"].isin(band_indicators)]
    matrices = {label: store.relocations(tasks) for label, tasks in groups.items()}
    return Comparison(scenarios=labels, end=end, summary=summarise(end, level=level),
                      differences=paired_differences(end, labels[0], level),
                      bands=timeseries_bands(banded, level) if len(banded) else banded,
                      relocations=relocation_table(matrices, labels[0], level),
                      costs=public_cost_tables(ts, labels[0], level), decomposition=decomposition(ts, labels[0], level),
                      settings={"level": level})


def decomposition(ts: pd.DataFrame, baseline: str, level: float = 0.95) -> Decomposition | None:
    """Where each effect on the three stocks comes from, at the horizon (as the headline table's
    differences); None where the runs lack the monthly series or were made before the model counted
    every part (`analysis/decompose.py`)."""

    if ts.empty or ts["scenario"].nunique() < 2:
        return None
    try:
        return effects(ts, baseline, how="end", level=level)
    except (KeyError, ValueError):
        return None
