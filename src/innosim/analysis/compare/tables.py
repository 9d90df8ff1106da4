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
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from innosim.batch import ResultStore, Task
from innosim.catalogue import INDICATOR_NAMES, INDICATORS, PLACE_KEYS, REGIONS

if TYPE_CHECKING:
    from innosim.analysis.compare.cost import PublicCost
    from innosim.analysis.decompose import Decomposition

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


def _interval(grouped: pd.core.groupby.SeriesGroupBy, level: float) -> pd.DataFrame:
    """n, mean, sd and the t interval of each group's values (NaN values left out)."""
    table = grouped.agg(n="count", mean="mean", sd="std")
    n = table["n"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(n > 1, stats.t.ppf(0.5 + level / 2, np.maximum(n - 1, 1)), np.nan)
        half = t * table["sd"].to_numpy() / np.sqrt(n)
    table["ci_low"] = table["mean"] - half
    table["ci_high"] = table["mean"] + half
    return table


def t_interval(values: Sequence[float], level: float = 0.95) -> tuple[float, float, float]:
    """Mean and the t-based confidence interval of one sample: (mean, low, high)."""
    row = _interval(pd.Series(values, dtype=float).groupby(np.zeros(len(values))), level).iloc[0]
    return float(row["mean"]), float(row["ci_low"]), float(row["ci_high"])


def excludes_zero(low: pd.Series | np.ndarray, high: pd.Series | np.ndarray) -> np.ndarray:
    """True where a confidence interval lies wholly above or wholly below zero."""
    return (np.asarray(low) > 0) | (np.asarray(high) < 0)


def summarise(end: pd.DataFrame, by: Sequence[str] = ("scenario", "indicator", "region"),
              level: float = 0.95) -> pd.DataFrame:
    """Mean, sd and confidence interval of `value` over replicates, per `by` group."""
    return _interval(end.groupby(list(by), sort=False, dropna=False)["value"], level).reset_index()


def paired_differences(end: pd.DataFrame, baseline: str, level: float = 0.95,
                       by: Sequence[str] = ("indicator", "region")) -> pd.DataFrame:
    """Each scenario minus `baseline`, paired by replicate and seed, per `by` group (indicator and region).

    Columns: scenario, baseline, the `by` columns, n, baseline_mean, mean (of the scenario), diff,
    sd, ci_low, ci_high, excludes_zero, relative (diff / |baseline_mean|, NaN when that is 0).
    """
    ids = ["replicate", "seed", *by]
    base = end[end["scenario"] == baseline][ids + ["value"]].rename(columns={"value": "base"})
    others = end[end["scenario"] != baseline]
    paired = others.merge(base, on=ids, how="inner").dropna(subset=["value", "base"])
    paired["diff"] = paired["value"] - paired["base"]
    keys = ["scenario", *by]
    table = _interval(paired.groupby(keys, sort=False)["diff"], level).rename(columns={"mean": "diff"})
    means = paired.groupby(keys, sort=False)[["base", "value"]].mean()
    table = table.join(means).rename(columns={"base": "baseline_mean", "value": "mean"}).reset_index()
    table.insert(1, "baseline", baseline)
    table["excludes_zero"] = excludes_zero(table["ci_low"], table["ci_high"])
    scale = table["baseline_mean"].abs().replace(0.0, np.nan)
    table["relative"] = table["diff"] / scale
    columns = ["scenario", "baseline", *by, "n", "baseline_mean", "mean", "diff", "sd",
               "ci_low", "ci_high", "excludes_zero", "relative"]
    return table[columns]


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
    from innosim.analysis.compare.cost import SERIES_INDICATORS, public_cost_tables
    from innosim.analysis.decompose import NEEDED

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
    from innosim.analysis.decompose import effects

    if ts.empty or ts["scenario"].nunique() < 2:
        return None
    try:
        return effects(ts, baseline, how="end", level=level)
    except (KeyError, ValueError):
        return None
