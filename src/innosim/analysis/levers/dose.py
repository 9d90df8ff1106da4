"""Dose-response curves and the levers at equal public cost (the `dose:` section of a lever file).

Each dial (dials.py) is turned to each of its levels in each county asked for, the rest of the
base scenario as it is, and run on the same seeds as the base (common random numbers): a level's
effect on an output is its paired difference from the base, seed by seed. The curve of a dial is
its mean effect on the headline against its mean extra public cost (in the dial's county),
level by level, from (0, 0) at the base.

Equal cost: a dial's effect at `per` M CNY a year of extra public cost is read off the curve by
linear interpolation (beyond the dial's costliest level, its effect per yuan there is carried on,
and the row says so). Its interval and the probability that it ranks first come from resampling
the seeds (the same resample for every variant, so the pairing holds). A dial none of whose levels
costs measurably more than `costless_below` (the lower end of its cost interval above it) is ranked
apart, by its effect at its top level: recognition moves no money, and a lever whose direct cost is
small beside the seed noise of the county's whole public cost (tax forgone moves with the firms)
would otherwise be divided by noise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from innosim.catalogue import COUNTIES

from innosim.analysis.levers.dials import DialSpec

County = Literal[COUNTIES]


class DoseSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)

    counties: Annotated[list[County], Field(min_length=1, max_length=3)] = ["jiashan"]
    seeds: Annotated[int, Field(ge=2, le=1000)] = 10
    per: Annotated[float, Field(gt=0.0, le=10_000.0)] = Field(
        10.0, description="M CNY a year: the levers are ranked by their effect at this extra public cost")
    cost: str = Field("public_cost", description="the output (written with {region}) that is the public cost")
    costless_below: Annotated[float, Field(ge=0.0, le=10_000.0)] = Field(
        0.5, description="M CNY a year: a dial whose every level costs less is ranked apart, by effect")
    resamples: Annotated[int, Field(ge=100, le=100_000)] = 2000
    dials: Annotated[dict[str, DialSpec], Field(min_length=1, max_length=30)]


@dataclass
class DoseResult:
    """Curves (dial, county, level: mean effect and cost with intervals), the equal-cost ranking
    and the costless ranking, per county."""

    curves: pd.DataFrame
    ranking: pd.DataFrame
    costless: pd.DataFrame
    per: float
    seeds: int
    labels: dict[str, str]
    headline: tuple[str, str]           # output, and "county" (the dial's own county)
    cost_output: str
    runs: dict = field(default_factory=dict)
    values: pd.DataFrame | None = None      # the runs' values (variant, seed, output, region, value)
    decomposition: object = None            # analysis.decompose.Decomposition of the top levels, if measurable


def variant_name(dial: str, county: str, level: int) -> str:
    return f"dose:{dial}:{county}:{level}"


def _interval(samples: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    tail = (1.0 - level) / 2.0 * 100.0
    finite = samples[np.isfinite(samples)]
    if finite.size == 0:
        return np.nan, np.nan
    return float(np.percentile(finite, tail)), float(np.percentile(finite, 100.0 - tail))


def at_cost(costs: np.ndarray, effects: np.ndarray, per: float) -> tuple[float, bool]:
    """The effect at extra cost `per` on the curve through (0, 0) and the levels' (cost, effect):
    linear between points ordered by level, the running maximum of cost keeping it a function;
    beyond the costliest level its effect per yuan is carried on (extrapolated: True)."""
    cost = np.maximum.accumulate(np.concatenate([[0.0], costs]))
    effect = np.concatenate([[0.0], effects])
    if cost[-1] <= 0:
        return np.nan, True
    if per > cost[-1]:
        return float(effect[-1] * per / cost[-1]), True
    j = int(np.searchsorted(cost, per, side="left"))
    if cost[j] == cost[j - 1]:
        return float(effect[j]), False
    share = (per - cost[j - 1]) / (cost[j] - cost[j - 1])
    return float(effect[j - 1] + share * (effect[j] - effect[j - 1])), False


def paired(values: pd.DataFrame, output: str, region: str, variants: list[str]) -> np.ndarray:
    """variant x seed: each variant's value minus the base's on the same seed (seeds in order)."""
    here = values[(values["output"] == output) & (values["region"] == region)]
    wide = here.pivot_table(index="seed", columns="variant", values="value", aggfunc="first").sort_index()
    return (wide[variants].to_numpy() - wide[["base"]].to_numpy()).T


def assess_dose(values: pd.DataFrame, dials, counties: list[str], spec: DoseSpec, headline_output: str,
                level: float = 0.95, seed: int = 0) -> DoseResult:
    """The curves and the rankings from the runs' values (variant, seed, output, region, value)."""
    rng = np.random.default_rng(seed)
    n_seeds = values.loc[values["variant"] == "base", "seed"].nunique()
    resamples = rng.integers(0, n_seeds, size=(spec.resamples, n_seeds))
    curves, rows, free = [], [], []
    for county in counties:
        draws_by_dial = {}
        for dial in dials:
            names = [variant_name(dial.name, county, k) for k in range(1, dial.top + 1)]
            effect = paired(values, headline_output, county, names)
            zone = paired(values, headline_output, "zone", names)
            cost = paired(values, spec.cost, county, names)
            for k in range(dial.top):
                e_low, e_high = _interval(_mean_resampled(effect[k], resamples), level)
                c_low, c_high = _interval(_mean_resampled(cost[k], resamples), level)
                z_low, z_high = _interval(_mean_resampled(zone[k], resamples), level)
                curves.append({"dial": dial.name, "county": county, "level": k + 1,
                               "settings": dial.describe(county, k + 1),
                               "effect": effect[k].mean(), "effect_low": e_low, "effect_high": e_high,
                               "zone_effect": zone[k].mean(), "zone_low": z_low, "zone_high": z_high,
                               "cost": cost[k].mean(), "cost_low": c_low, "cost_high": c_high})
            mean_cost, mean_effect = cost.mean(axis=1), effect.mean(axis=1)
            lowest = [_interval(_mean_resampled(cost[k], resamples), level)[0] for k in range(dial.top)]
            if not any(low > spec.costless_below for low in lowest):   # no level's cost measurably above
                top_low, top_high = _interval(_mean_resampled(effect[-1], resamples), level)
                free.append({"dial": dial.name, "county": county, "settings": dial.describe(county, dial.top),
                             "effect": mean_effect[-1], "effect_low": top_low, "effect_high": top_high,
                             "cost": mean_cost[-1], "cost_low": lowest[-1],
                             "cost_high": _interval(_mean_resampled(cost[-1], resamples), level)[1]})
                continue
            point, extrapolated = at_cost(mean_cost, mean_effect, spec.per)
            boot = np.array([at_cost(cost[:, r].mean(axis=1), effect[:, r].mean(axis=1), spec.per)[0]
                             for r in resamples])
            draws_by_dial[dial.name] = boot
            low, high = _interval(boot, level)
            rows.append({"dial": dial.name, "county": county, "effect_per": point, "low": low, "high": high,
                         "extrapolated": extrapolated, "top_cost": mean_cost[-1], "top_effect": mean_effect[-1],
                         "settings_at_top": dial.describe(county, dial.top)})
        if draws_by_dial:
            names = list(draws_by_dial)
            stacked = np.vstack([np.nan_to_num(draws_by_dial[n], nan=-np.inf) for n in names])
            first = np.bincount(np.argmax(stacked, axis=0), minlength=len(names)) / stacked.shape[1]
            for row in rows:
                if row["county"] == county:
                    row["p_first"] = float(first[names.index(row["dial"])])
    ranking = pd.DataFrame(rows, columns=["dial", "county", "effect_per", "low", "high", "p_first", "extrapolated",
                                          "top_cost", "top_effect", "settings_at_top"])
    ranking = ranking.sort_values(["county", "effect_per"], ascending=[True, False], ignore_index=True)
    costless = pd.DataFrame(free, columns=["dial", "county", "settings", "effect", "effect_low", "effect_high",
                                           "cost", "cost_low", "cost_high"]).sort_values(["county", "effect"], ascending=[True, False],
                                                                ignore_index=True)
    return DoseResult(pd.DataFrame(curves), ranking, costless, spec.per, int(n_seeds),
                      {d.name: d.label for d in dials}, (headline_output, "county"), spec.cost)


def _mean_resampled(per_seed: np.ndarray, resamples: np.ndarray) -> np.ndarray:
    return per_seed[resamples].mean(axis=1)
