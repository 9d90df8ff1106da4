"""The public cost of each scenario of a comparison, and what an extra outcome costs, from monthly tables.

Cost: the items of `public_cost` (`model/indicators.py`, a cash view) per run, as a yearly mean over
the horizon and per calendar year, summarised over replicates and paired against the baseline with
`compare.py`'s t intervals.

Cost-effectiveness: the extra public cost over the horizon per extra HNTE, start-up or talent, as a
ratio of means (sum of the paired extra costs / sum of the paired extra outcomes) with a percentile
bootstrap interval over the paired replicates (Efron and Tibshirani 1993, *An Introduction to the
Bootstrap*, chapter 13). Replicate r of the baseline and of a scenario share a seed, so a pair is
resampled as a unit. A ratio is given only where the extra outcome's paired t interval lies above
zero: a gain indistinguishable from zero would make it a meaningless huge or negative number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from innosim.catalogue import PUBLIC_COST_ITEMS

from innosim.analysis.compare.stats import paired_differences, summarise, t_interval

#: Cost items in report order, then their total.
ITEMS: tuple[str, ...] = (*PUBLIC_COST_ITEMS, "public_cost")
#: Outcome -> (indicator, how one run's value is taken): stocks as a mean over the last 12 months
#: (steadier than the last month), start-ups summed over the horizon.
OUTCOMES: dict[str, tuple[str, str]] = {
    "hnte": ("hnte_stock", "mean of the last 12 months"),
    "startups": ("startups", "total over the horizon"),
    "talents": ("talents", "mean of the last 12 months"),
}
#: Every indicator these tables read from the monthly series.
SERIES_INDICATORS: tuple[str, ...] = tuple(dict.fromkeys(
    [name for terms in PUBLIC_COST_ITEMS.values() for name, _ in terms] + [i for i, _ in OUTCOMES.values()]))
BOOTSTRAP_DRAWS = 2000
#: Fixed, so that a report's intervals are the same each time it is written from the same runs.
BOOTSTRAP_SEED = 20240610
RUN_IDS = ["scenario", "replicate", "seed", "region"]


@dataclass
class PublicCost:
    """The public-cost tables of a comparison (`item` is a key of PUBLIC_COST_ITEMS or `public_cost`)."""

    summary: pd.DataFrame          # scenario, item, region: mean per year over the horizon [CI]
    differences: pd.DataFrame      # the same, each scenario minus the baseline (paired)
    by_year: pd.DataFrame          # scenario, year, item, region: the calendar year's cost [CI], months
    year_differences: pd.DataFrame  # the same, each scenario minus the baseline (paired)
    effectiveness: pd.DataFrame    # scenario, region, outcome: extra cost per extra outcome [bootstrap CI]


def monthly_items(ts: pd.DataFrame) -> pd.DataFrame:
    """Monthly cost per run, region and item (indicator column = item), from the indicators' series.
    An indicator absent from the series (a run made before it was counted) counts as zero."""
    names = [name for terms in PUBLIC_COST_ITEMS.values() for name, _ in terms]
    rows = ["scenario", "replicate", "seed", "month", "date", "region"]
    wide = (ts[ts["indicator"].isin(names)].pivot_table(index=rows, columns="indicator", values="value",
                                                        aggfunc="sum")
            .reindex(columns=names, fill_value=0.0).fillna(0.0))
    items = pd.DataFrame({item: sum(sign * wide[name] for name, sign in terms)
                          for item, terms in PUBLIC_COST_ITEMS.items()}, index=wide.index)
    items["public_cost"] = items.sum(axis=1)
    return items.rename_axis(columns="indicator").stack().rename("value").reset_index()


def cost_per_extra(extra_cost: Sequence[float], extra_outcome: Sequence[float], level: float = 0.95,
                   draws: int = BOOTSTRAP_DRAWS, seed: int = BOOTSTRAP_SEED) -> dict:
    """Extra cost per extra outcome from paired differences (one per replicate pair).

    `ratio` = sum(extra_cost) / sum(extra_outcome), with a percentile bootstrap interval over the
    pairs; given only when `verdict` is "ratio", i.e. the extra outcome's t interval lies above
    zero ("no significant gain" when it covers zero, "significant loss" when below)."""
    cost = np.asarray(extra_cost, dtype=float)
    gain = np.asarray(extra_outcome, dtype=float)
    cost_mean, cost_low, cost_high = t_interval(cost, level)
    gain_mean, gain_low, gain_high = t_interval(gain, level)
    row = {"n": cost.size, "extra_cost": cost_mean, "extra_cost_low": cost_low, "extra_cost_high": cost_high,
           "extra_outcome": gain_mean, "extra_outcome_low": gain_low, "extra_outcome_high": gain_high,
           "ratio": np.nan, "ratio_low": np.nan, "ratio_high": np.nan}
    if not gain_low > 0:
        return row | {"verdict": "significant loss" if gain_high < 0 else "no significant gain"}
    pick = np.random.default_rng(seed).integers(0, cost.size, size=(draws, cost.size))
    totals = gain[pick].sum(axis=1)
    ratios = cost[pick].sum(axis=1)[totals != 0] / totals[totals != 0]
    low, high = np.quantile(ratios, [0.5 - level / 2, 0.5 + level / 2])
    return row | {"ratio": cost.sum() / gain.sum(), "ratio_low": low, "ratio_high": high, "verdict": "ratio"}


def run_totals(items: pd.DataFrame, ts: pd.DataFrame) -> pd.DataFrame:
    """Per run and region: the public cost over the horizon and each outcome (OUTCOMES), one column each."""
    cost = items[items["indicator"] == "public_cost"].groupby(RUN_IDS)["value"].sum().rename("cost")
    last = ts["month"].max()
    columns = [cost]
    for outcome, (indicator, how) in OUTCOMES.items():
        rows = ts[ts["indicator"] == indicator]
        if how.startswith("mean of the last 12"):
            rows = rows[rows["month"] > last - 12]
            columns.append(rows.groupby(RUN_IDS)["value"].mean().rename(outcome))
        else:
            columns.append(rows.groupby(RUN_IDS)["value"].sum().rename(outcome))
    return pd.concat(columns, axis=1).reset_index()


def cost_effectiveness(totals: pd.DataFrame, baseline: str, level: float = 0.95) -> pd.DataFrame:
    """Each scenario against `baseline`, per region and outcome: `cost_per_extra` of the paired runs."""
    ids = ["replicate", "seed", "region"]
    base = totals[totals["scenario"] == baseline]
    paired = totals[totals["scenario"] != baseline].merge(base.drop(columns="scenario"), on=ids,
                                                          suffixes=("", "_base"))
    rows = []
    for (scenario, region), group in paired.groupby(["scenario", "region"], sort=False):
        extra_cost = group["cost"] - group["cost_base"]
        for outcome in OUTCOMES:
            result = cost_per_extra(extra_cost, group[outcome] - group[f"{outcome}_base"], level)
            rows.append({"scenario": scenario, "baseline": baseline, "region": region, "outcome": outcome,
                         "indicator": OUTCOMES[outcome][0], "measure": OUTCOMES[outcome][1], **result})
    return pd.DataFrame(rows)


def public_cost_tables(ts: pd.DataFrame, baseline: str, level: float = 0.95) -> PublicCost:
    """Every public-cost table from the monthly series of a comparison's runs (with a scenario label)."""
    if ts.empty:
        return PublicCost(*(pd.DataFrame() for _ in range(5)))
    items = monthly_items(ts)
    runs = ["scenario", "replicate", "seed", "indicator", "region"]
    yearly = items.groupby(runs, sort=False)["value"].agg(["sum", "count"]).reset_index()
    yearly["value"] = yearly["sum"] * 12 / yearly["count"]
    by_year = items.assign(year=items["date"].str[:4])
    by_year = by_year.groupby(["scenario", "replicate", "seed", "year", "indicator", "region"],
                              sort=False)["value"].agg(["sum", "count"]).reset_index()
    by_year = by_year.rename(columns={"sum": "value", "count": "months"})
    keys = ["scenario", "year", "indicator", "region"]
    months = by_year.groupby(keys, sort=False)["months"].max().reset_index()
    year_summary = summarise(by_year, by=keys, level=level).merge(months, on=keys)
    item = {"indicator": "item"}
    return PublicCost(
        summary=summarise(yearly, level=level).rename(columns=item),
        differences=paired_differences(yearly, baseline, level).rename(columns=item),
        by_year=year_summary.rename(columns=item),
        year_differences=paired_differences(by_year, baseline, level, by=keys[1:]).rename(columns=item),
        effectiveness=cost_effectiveness(run_totals(items, ts), baseline, level))
