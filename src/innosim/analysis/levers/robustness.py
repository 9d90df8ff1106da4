"""Levers apart from uncertainties: does a lever's effect hold over the behavioural assumptions?

EMA Workbench keeps the levers (what a planner decides) apart from the uncertainties (what nobody
knows well: here the behavioural parameters) (Kwakkel 2017, "The Exploratory Modeling Workbench",
*Environmental Modelling & Software* 96). The robustness stage draws the uncertainties by Latin
hypercube (McKay, Beckman and Conover 1979; `scipy.stats.qmc.LatinHypercube`, seeded), and in each
draw runs the base scenario and each lever switched on alone from it on the same seed(s) (common
random numbers), so a lever's effect in a draw is a paired difference. Each lever's effect is then
summarised over the draws (minimum, median, maximum, and the share of draws in which it keeps the
sign of its effect in the lever table), and `discovery` looks for the assumptions under which it
fails.

An uncertainty's range is given in the experiment file (`range:` or `multiply:` the base value),
or taken from a calibration result (`from_calibration:`). What the calibration's identifiability
`width` means (`innosim.analysis.calibration.fit.identifiability`): the share of the parameter's
bounds where the distance profile stays within the noise allowance of its lowest point, i.e. the
length of the set of values the targets cannot tell from the fit is width x (high - low). So a
pinned or weakly pinned parameter varies over an interval of that length around the calibrated
value (moved inside the bounds where it would cross one); the profile is only a few points
linearly interpolated, so the interval is the simplest honest reading of it, not its exact shape.
A parameter the targets do not identify varies over its whole bounds.

Or the calibrated parameters come from the calibration ensemble (`from_ensemble:`, the
ensemble.yaml of `innosim calibrate --method history-matching`): each draw takes one member, all of
its parameters together (so their correlations under the targets are kept), chosen by weight with a
seeded generator, without replacement while members last (a draw count above the members starts a
new pass over them). The other uncertainties, the assumptions no target constrains, stay a Latin
hypercube, drawn exactly as without the ensemble.

Nothing here runs a model: `study.run_robustness` does, through the batch engine.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from innosim.i18n import msg
from innosim.scenario import ScenarioError, load_scenario, setting_at

from innosim.analysis.levers.calibrated import (Ensemble, calibrated_range, calibration_entry, read_calibration,
                                                read_ensemble)
from innosim.analysis.levers.discovery import Discovery, find_failure_box

_PERCENT = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*%\s*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


Pair = Annotated[list[float], Field(min_length=2, max_length=2)]


class UncertaintySpec(_Strict):
    range: Pair | None = Field(None, description="uniform between low and high, in the setting's units")
    multiply: Pair | None = Field(None, description="the base value times a factor between low and high")
    label: str | None = Field(None, description="short name for tables and plots")


class FailureSpec(_Strict):
    at_most: Annotated[str, Field(description="a lever fails in a draw when its effect on the headline is at "
                                              "most this: a number in the headline's units, or '1 %' of the "
                                              "draw's base level")] = "0"

    @field_validator("at_most", mode="before")
    @classmethod
    def _number_or_percent(cls, value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ValueError(msg("give a number in the headline's units or a percentage of the base level ('1 %')"))
        if isinstance(value, str) and not _PERCENT.match(value):
            raise ValueError(msg("cannot read {value!r}: write a number or a percentage such as '1 %'", value=value))
        if not isinstance(value, str) and not math.isfinite(value):
            raise ValueError(msg("must be a finite number"))
        return str(value)


class RobustnessSpec(_Strict):
    draws: Annotated[int, Field(ge=2, le=10_000)] = 48
    seeds_per_draw: Annotated[int, Field(ge=1, le=1000)] = 1
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 0
    from_calibration: str | None = Field(None, description="a calibration result.yaml: its parameters and ranges")
    from_ensemble: str | None = Field(None, description="a calibration ensemble.yaml: each draw takes one member")
    uncertainties: dict[str, UncertaintySpec] = Field(default_factory=dict)
    failure: FailureSpec = FailureSpec()


@dataclass(frozen=True)
class Uncertainty:
    """One behavioural parameter drawn in [low, high] (an integer one: each whole number in it equally likely)."""

    name: str                      # the dotted scenario key, behaviour.<parameter>
    label: str
    low: float
    high: float
    integer: bool
    base: float                    # the base scenario's value
    source: str                    # where the range comes from, in words

    def value(self, u: float) -> float | int:
        """The parameter's value at `u` in [0, 1)."""
        if self.integer:
            return int(min(math.floor(self.low + u * (self.high - self.low + 1)), self.high))
        return float(self.low + u * (self.high - self.low))


@dataclass(frozen=True)
class Robustness:
    spec: RobustnessSpec
    uncertainties: tuple[Uncertainty, ...]
    calibration_file: Path | None
    failure_share: float | None    # "1 %": 0.01 of the draw's base level
    failure_absolute: float | None
    ensemble: Ensemble | None = None

    @property
    def names(self) -> list[str]:
        return [u.name for u in self.uncertainties]

    @property
    def hypercube(self) -> list[Uncertainty]:
        """The uncertainties drawn by Latin hypercube (all but the ensemble's parameters)."""
        taken = set(self.ensemble.names) if self.ensemble is not None else set()
        return [u for u in self.uncertainties if u.name not in taken]

    def sample(self) -> pd.DataFrame:
        cube = self.hypercube
        frame = (latin_hypercube(cube, self.spec.draws, self.spec.seed) if cube
                 else pd.DataFrame(index=pd.RangeIndex(self.spec.draws, name="draw")))
        if self.ensemble is not None:
            picks = self.ensemble.pick(self.spec.draws, self.spec.seed)
            for name in self.ensemble.names:
                values = self.ensemble.members[name].to_numpy()[picks]
                frame[name] = [int(v) for v in values] if self.ensemble.members[name].dtype.kind == "i" \
                    else [float(v) for v in values]
        return frame[self.names]

    def failure_threshold(self, base_level: float) -> float:
        """The effect at or below which a lever fails, in a draw whose base level is `base_level`."""
        if self.failure_share is not None:
            return self.failure_share * abs(base_level)
        return float(self.failure_absolute)

    @property
    def failure_text(self) -> str:
        at = self.spec.failure.at_most
        return f"{at} of the draw's base level" if self.failure_share is not None else at


def latin_hypercube(uncertainties, draws: int, seed: int) -> pd.DataFrame:
    """`draws` points, one column per uncertainty (values in its units), row i = draw i.

    Each range is cut into `draws` equal strata with exactly one point in each
    (`scipy.stats.qmc.LatinHypercube`, scrambled, seeded: the same seed gives the same draws)."""
    from scipy.stats import qmc

    uncertainties = list(uncertainties)
    unit = qmc.LatinHypercube(d=len(uncertainties), rng=np.random.default_rng(seed)).random(draws)
    frame = pd.DataFrame({u.name: [u.value(x) for x in unit[:, j]] for j, u in enumerate(uncertainties)})
    return frame.rename_axis("draw")


def _check_ends(path: Path, where: str, u: Uncertainty, base_file: Path, overrides: dict) -> None:
    for end in (u.low, u.high):
        value = int(end) if u.integer else float(end)
        try:
            load_scenario(base_file, {**overrides, u.name: value})
        except ScenarioError as exc:
            raise ScenarioError(path, where, msg("{value:g}: {reason}", value=value, reason=exc.reason)) from None


def load_robustness(path: Path, spec: RobustnessSpec, origin: dict, base: dict, base_file: Path,
                    overrides: dict) -> Robustness:
    """The uncertainties of a `robustness:` section, checked against the base scenario and the
    calibration's bounds; every problem is a ScenarioError naming the file and the key."""
    found: dict[str, Uncertainty] = {}
    bounds: dict[str, tuple[float, float]] = {}
    calibration_file = None
    ensemble = None
    if spec.from_calibration is not None and spec.from_ensemble is not None:
        raise ScenarioError(path, "robustness.from_ensemble", msg("give from_ensemble or from_calibration, not both: "
                                                                  "both say how to draw the calibrated parameters"))
    if spec.from_ensemble is not None:
        where = "robustness.from_ensemble"
        ensemble = read_ensemble(path, where, spec.from_ensemble, origin, base)
        calibration_file = ensemble.file
        for key in ensemble.names:
            column = ensemble.members[key]
            integer = column.dtype.kind == "i"
            found[key] = Uncertainty(key, key.removeprefix("behaviour.").replace("_", " "), float(column.min()),
                                     float(column.max()), integer, float(setting_at(base, key)), ensemble.describe())
            bounds[key] = (float(column.min()), float(column.max()))
            _check_ends(path, where, found[key], base_file, overrides)
    if spec.from_calibration is not None:
        where = "robustness.from_calibration"
        calibration_file, parameters = read_calibration(path, where, spec.from_calibration, origin)
        for name, entry in parameters.items():
            key = f"behaviour.{name}"
            value, limits, verdict, width = calibration_entry(path, where, name, entry)
            current = setting_at(base, key)
            if isinstance(current, bool) or not isinstance(current, (int, float)):
                raise ScenarioError(path, where, msg("parameter {name} is not a behavioural setting of the scenario "
                                                     "schema", name=name))
            low, high = calibrated_range(value, limits, verdict, width)
            integer = isinstance(current, int)
            if integer:
                low, high = math.floor(low), math.ceil(high)
            bounds[key] = limits
            if high <= low:
                continue  # pinned to a point: nothing to vary
            source = (f"calibration: {verdict}, its bounds" if verdict == "not identified" else
                      f"calibration: {verdict} (width {width:.2g} of the bounds [{limits[0]:g}, {limits[1]:g}])")
            found[key] = Uncertainty(key, name.replace("_", " "), low, high, integer, float(current), source)
            _check_ends(path, where, found[key], base_file, overrides)
    for key, given in spec.uncertainties.items():
        where = f"robustness.uncertainties.{key}"
        if not key.startswith("behaviour."):
            raise ScenarioError(path, where, msg("not a behavioural setting: uncertainties are behaviour.* keys "
                                                 "(policy settings are the levers)"))
        current = setting_at(base, key)
        if current is None:
            raise ScenarioError(path, where, msg("not a setting of the scenario schema (a dotted key such as "
                                                 "behaviour.founding_rate)"))
        if isinstance(current, bool) or not isinstance(current, (int, float)):
            raise ScenarioError(path, where, msg("not a number: only numeric behavioural settings can be drawn"))
        if (given.range is None) == (given.multiply is None):
            raise ScenarioError(path, where, msg("give range: [low, high] or multiply: [low, high] (one of them)"))
        kind = "range" if given.range is not None else "multiply"
        low, high = given.range or given.multiply
        if not low < high:
            raise ScenarioError(path, f"{where}.{kind}", msg("low must be below high (got [{low:g}, {high:g}])",
                                                             low=low, high=high))
        if kind == "multiply":
            if low < 0:
                raise ScenarioError(path, f"{where}.{kind}", msg("a multiplier cannot be negative"))
            if current == 0:
                raise ScenarioError(path, f"{where}.{kind}", msg("the base value is 0, so multiplying it changes "
                                                                 "nothing; give a range"))
            low, high = sorted((current * low, current * high))
        if ensemble is not None and key in ensemble.names:
            raise ScenarioError(path, where, msg("{key} is drawn from the calibration ensemble ({file}); remove it "
                                                 "from uncertainties", key=key, file=spec.from_ensemble))
        if key in bounds and not bounds[key][0] <= low <= high <= bounds[key][1]:
            raise ScenarioError(path, f"{where}.{kind}", msg("[{low:g}, {high:g}] is outside the calibration bounds "
                                                             "[{lowest:g}, {highest:g}] of {key}", low=low, high=high,
                                                             lowest=bounds[key][0], highest=bounds[key][1], key=key))
        integer = isinstance(current, int)
        if integer:
            low, high = math.ceil(low), math.floor(high)
        source = (f"x {given.multiply[0]:g}-{given.multiply[1]:g} of the base value" if kind == "multiply"
                  else "range given")
        found[key] = Uncertainty(key, given.label or key.removeprefix("behaviour.").replace("_", " "),
                                 float(low), float(high), integer, float(current), source)
        _check_ends(path, f"{where}.{kind}", found[key], base_file, overrides)
    if not found:
        raise ScenarioError(path, "robustness", msg("no uncertainties: give from_ensemble (or from_calibration), "
                                                    "uncertainties or both"))
    share = _PERCENT.match(spec.failure.at_most)
    return Robustness(spec, tuple(found.values()), calibration_file,
                      float(share.group(1)) / 100 if share else None,
                      None if share else float(spec.failure.at_most), ensemble)


# -- on the runs ---------------------------------------------------------------------------------
def draw_effects(values: pd.DataFrame, levers) -> pd.DataFrame:
    """Each lever's effect in each draw: the lever switched on alone minus the base, paired by seed
    within the draw, averaged over the draw's seeds.

    `values`: draw, variant, replicate, seed, output, region, value. Columns: draw, lever, output,
    region, base (the base's level in the draw), effect."""
    wide = values.pivot_table(index=["draw", "output", "region", "seed"], columns="variant", values="value",
                              aggfunc="first")
    frames = []
    for lever in levers:
        pair = pd.DataFrame({"base": wide["base"], "effect": wide[f"on:{lever}"] - wide["base"]}).dropna()
        frames.append(pair.groupby(level=["draw", "output", "region"]).mean().reset_index().assign(lever=lever))
    return pd.concat(frames, ignore_index=True)[["draw", "lever", "output", "region", "base", "effect"]]


def _sign(x: float) -> int:
    return 0 if x == 0 or pd.isna(x) else int(np.sign(x))


def summarise(effects: pd.DataFrame, reference: pd.DataFrame | None = None, seeds_per_draw: int = 1) -> pd.DataFrame:
    """Per lever, output and region: the effect's minimum, median and maximum over the draws, their SD,
    and the share of draws with the sign of the lever table's effect (`reference`: lever, output,
    region, effect, sd: the table's on-from-base rows), or of the median where there is no table.

    noise_sd: the SD of one draw's effect that seed noise alone gives (the table's SD of a paired
    effect over seeds, at the calibrated values, over the square root of the seeds per draw);
    share_sign_noise: the share of draws that would keep the sign if each draw's effect were the
    table's effect plus that noise (normal) and the assumptions changed nothing."""
    keys = ["lever", "output", "region"]
    grouped = effects.groupby(keys, sort=False)["effect"]
    table = grouped.agg(draws="count", min="min", median="median", max="max", sd="std").reset_index()
    if reference is not None and not reference.empty:
        ref = reference[keys + ["effect", "sd"]].rename(columns={"effect": "table_effect", "sd": "table_sd"})
        table = table.merge(ref, on=keys, how="left")
    else:
        table = table.assign(table_effect=np.nan, table_sd=np.nan)
    table["noise_sd"] = table["table_sd"] / math.sqrt(seeds_per_draw)
    table["sign_of"] = np.where(table["table_effect"].notna(), "table", "median")
    table["sign"] = [_sign(t if s == "table" else m) for t, m, s in
                     zip(table["table_effect"], table["median"], table["sign_of"], strict=True)]
    signs = effects.merge(table[keys + ["sign"]], on=keys)
    held = (np.sign(signs["effect"]) == signs["sign"]).groupby([signs[k] for k in keys], sort=False).mean()
    table["share_sign"] = [float(held.loc[tuple(row)]) for row in table[keys].itertuples(index=False)]
    # what the share would be with seed noise alone: each draw's effect ~ normal(table effect, noise SD)
    from scipy.stats import norm

    z = table["table_effect"].abs() / table["noise_sd"]
    table["share_sign_noise"] = np.where(table["noise_sd"] > 0, norm.cdf(z), np.nan)
    return table[keys + ["draws", "table_effect", "table_sd", "noise_sd", "min", "median", "max", "sd",
                         "sign", "sign_of", "share_sign", "share_sign_noise"]]


@dataclass
class RobustnessResult:
    """What the report's robustness section is made of."""

    robustness: Robustness
    levers: list[str]
    labels: dict[str, str]
    headline: tuple[str, str]
    sample: pd.DataFrame           # draw, one column per uncertainty: the values the runs were given
    values: pd.DataFrame           # draw, variant, replicate, seed, output, region, value
    effects: pd.DataFrame          # draw_effects, with failed (headline rows) and the draw's uncertainties
    summary: pd.DataFrame          # summarise, with failures and first_share (headline rows)
    discoveries: list[Discovery]
    runs: dict = field(default_factory=dict)
    sign_source: str = "the lever table"   # where the signs compared with come from, in words

    @property
    def draws(self) -> int:
        return int(self.sample.shape[0])


def assess_robustness(robustness: Robustness, sample: pd.DataFrame, values: pd.DataFrame, levers, labels: dict,
                      headline: tuple[str, str], reference: pd.DataFrame | None = None) -> RobustnessResult:
    """Effects per draw, their summary, the failures on the headline, and PRIM for each lever that
    the table (or the median over draws) says helps the headline."""
    levers = list(levers)
    effects = draw_effects(values, levers)
    summary = summarise(effects, reference, robustness.spec.seeds_per_draw)
    effects = effects.merge(sample.reset_index(), on="draw", how="left")   # each draw's assumptions beside it
    output, region = headline
    on_headline = (effects["output"] == output) & (effects["region"] == region)
    thresholds = effects.loc[on_headline, "base"].map(robustness.failure_threshold)
    effects["failed"] = pd.Series(pd.NA, index=effects.index, dtype="boolean")
    effects.loc[on_headline, "failed"] = effects.loc[on_headline, "effect"] <= thresholds
    counts = effects[on_headline].groupby("lever")["failed"].sum()
    head = (summary["output"] == output) & (summary["region"] == region)
    summary["failures"] = pd.Series(pd.NA, index=summary.index, dtype="Int64")
    summary.loc[head, "failures"] = summary.loc[head, "lever"].map(counts).astype("Int64")
    first = effects[on_headline].pivot_table(index="draw", columns="lever", values="effect", aggfunc="first")
    best = first[levers].to_numpy(dtype=float)
    tops = best == np.nanmax(best, axis=1, keepdims=True)           # a tie in a draw is shared
    shares = dict(zip(levers, (tops / tops.sum(axis=1, keepdims=True)).mean(axis=0), strict=True))
    summary["first_share"] = np.where(head, summary["lever"].map(shares), np.nan)
    discoveries = []
    for lever in levers:
        row = summary[head & (summary["lever"] == lever)].iloc[0]
        if row["sign"] <= 0:
            continue  # a lever that does not help the headline cannot fail to help it
        rows = effects[on_headline & (effects["lever"] == lever)].sort_values("draw")
        discoveries.append(find_failure_box(rows[robustness.names], rows["failed"].to_numpy(dtype=bool), lever,
                                            effect=rows["effect"].to_numpy(dtype=float)))
    return RobustnessResult(robustness, levers, dict(labels), headline, sample, values, effects, summary, discoveries)
