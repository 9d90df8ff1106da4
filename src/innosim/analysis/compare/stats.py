"""Intervals and paired differences over replicates: the statistics every report of runs uses
(the comparison's tables, its public cost and decomposition, the lever table)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats


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
