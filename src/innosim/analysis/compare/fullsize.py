"""A comparison's figures at the zone's full size: counts and money divided by the run's scale.

`run.scale` shrinks every population, capacity and budget together, so a count or a sum of money of
a run at scale 0.5 is about half the real zone's; shares, rates and indices do not scale. Reports
show full-size figures (and say so), while the CSV files keep the runs' own values. Ratios of two
scaled figures (cost per extra HNTE) are unchanged, and so are relative changes.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from innosim.analysis.compare.tables import UNITS, Comparison

#: Units that do not grow with the population (everything else is a count or money).
INTENSIVE_UNITS = frozenset({"share", "index"})
#: Value columns of each table that are in the indicator's unit.
_SUMMARY = ("mean", "sd", "ci_low", "ci_high")
_DIFFERENCES = ("baseline_mean", "mean", "diff", "sd", "ci_low", "ci_high")
_RELOCATIONS = ("mean", "ci_low", "ci_high", "diff", "diff_ci_low", "diff_ci_high")
_EFFECTIVENESS = ("extra_cost", "extra_cost_low", "extra_cost_high",
                  "extra_outcome", "extra_outcome_low", "extra_outcome_high")


def scales(indicator: str) -> bool:
    """True for an indicator whose values grow with the population (counts and money)."""
    return UNITS.get(indicator, "") not in INTENSIVE_UNITS


def _divide(table: pd.DataFrame | None, columns, scale: float, by: str | None = None) -> pd.DataFrame | None:
    """`table` with `columns` divided by `scale`, on the rows whose `by` indicator scales (all rows
    when `by` is None)."""
    if table is None or table.empty:
        return table
    out = table.copy()
    rows = slice(None) if by is None else out[by].map(scales).to_numpy(dtype=bool)
    for column in columns:
        if column in out.columns:
            out[column] = out[column].astype(float)
            out.loc[rows, column] = out.loc[rows, column] / scale
    return out


def at_full_size(comparison: Comparison, scale: float) -> Comparison:
    """A copy of `comparison` whose counts and money are divided by `scale` (itself when scale is 1).
    `end` (the runs' own end values) is left as run."""
    if not scale or scale == 1:
        return comparison
    costs = comparison.costs
    if costs is not None:
        costs = dataclasses.replace(
            costs,
            summary=_divide(costs.summary, _SUMMARY, scale),
            differences=_divide(costs.differences, _DIFFERENCES, scale),
            by_year=_divide(costs.by_year, _SUMMARY, scale),
            year_differences=_divide(costs.year_differences, _DIFFERENCES, scale),
            effectiveness=_divide(costs.effectiveness, _EFFECTIVENESS, scale))
    decomposition = comparison.decomposition
    if decomposition is not None and decomposition.scale == 1:
        decomposition = dataclasses.replace(
            decomposition, scale=scale,
            runs=_divide(decomposition.runs, ("value",), scale),
            effects=_divide(decomposition.effects, _DIFFERENCES, scale))
    return dataclasses.replace(
        comparison,
        summary=_divide(comparison.summary, _SUMMARY, scale, by="indicator"),
        differences=_divide(comparison.differences, _DIFFERENCES, scale, by="indicator"),
        bands=_divide(comparison.bands, _SUMMARY, scale, by="indicator"),
        relocations=_divide(comparison.relocations, _RELOCATIONS, scale),
        costs=costs, decomposition=decomposition,
        settings={**comparison.settings, "full_size_from_scale": scale})


__all__ = ["INTENSIVE_UNITS", "at_full_size", "scales"]
