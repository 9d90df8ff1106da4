"""Calibration files: the targets (what is measured, the observed figure, a tolerance) and the free
parameters (behavioural settings with bounds), validated like scenario files: every problem is a
`ScenarioError` naming the file, the key and the reason, before anything runs.

A target's measure is an indicator (or a sum of indicators) of one region over a window, the whole
run (``total``) or a calendar year (``"2018"``), optionally divided by another (``per``). Flows
are summed over the window; stocks and rates are read at its last month. Its error is scaled by
its tolerance: ``z = (simulated - centre) / half-width``, where a relative tolerance r gives the
band observed x (1 +- r) and an interval gives its own band; |z| <= 1 is "within tolerance".
"""

from __future__ import annotations

import hashlib
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from innosim.catalogue import INDICATOR_NAMES, INDICATORS, REGIONS
from innosim.i18n import msg
from innosim.yamlsafe import excerpt
from innosim.scenario import Scenario, ScenarioError, load_scenario, read_yaml, resolve_chain, validate_data
from innosim.scenario.diagnostics import validated
from innosim.scenario.regions import canonical_regions
from innosim.scenario.schema import Behaviour, RunSettings

from innosim.analysis.calibration.owned import written_by_innosim
from innosim.analysis.calibration.stylised import EXTRA_MEASURES

MEASURABLE = (*INDICATOR_NAMES, *EXTRA_MEASURES)
_KIND = {i.name: i.kind for i in INDICATORS}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


Names = str | Annotated[list[str], Field(min_length=1)]
Text = Annotated[str, Field(min_length=1)]


class Measure(_Strict):
    indicator: Names
    per: Names | None = None
    window: Annotated[str, Field(pattern=r"^(total|\d{4}|\d{4}-\d{4})$")] = Field(
        "total", description="total, a calendar year, or a span of years (flows only: summed)")
    per_window: Annotated[str, Field(pattern=r"^(total|\d{4}|\d{4}-\d{4})$")] | None = Field(
        None, description="window of the denominator (default: window), e.g. for growth over years")
    region: str | None = None

    @model_validator(mode="after")
    def _known(self) -> Measure:
        for name in _as_list(self.indicator) + _as_list(self.per):
            if name not in MEASURABLE:
                raise ValueError(msg("unknown indicator {name} (one of {choices})", name=excerpt(name),
                                     choices=", ".join(MEASURABLE)))
            if name in EXTRA_MEASURES and self.window != "total":
                raise ValueError(msg("{name} is measured over the whole run only (window: total)", name=name))
            if "-" in self.window + (self.per_window or "") and _KIND.get(name) != "flow":
                raise ValueError(msg("{name} is a {kind}: a span of years sums flows only", name=name,
                                     kind=_KIND.get(name)))
        if self.region is not None and self.region not in REGIONS:
            raise ValueError(msg("unknown region {region} (one of {choices})", region=excerpt(self.region),
                                 choices=", ".join(REGIONS)))
        return self


class Tolerance(_Strict):
    relative: Annotated[float, Field(gt=0.0)] | None = None
    interval: Annotated[list[float], Field(min_length=2, max_length=2)] | None = None

    @model_validator(mode="after")
    def _one(self) -> Tolerance:
        if (self.relative is None) == (self.interval is None):
            raise ValueError(msg("give exactly one of relative or interval"))
        if self.interval is not None and not self.interval[0] < self.interval[1]:
            raise ValueError(msg("interval must be [low, high] with low < high"))
        return self


class TargetSpec(_Strict):
    pattern: Text
    source: Text
    measure: Measure | None = Field(None, description="null: the model has no counterpart (reported only)")
    observed: float
    tolerance: Tolerance | None = None
    reason: Text
    weight: Annotated[float, Field(ge=0.0)] = 1.0
    if_missed: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> TargetSpec:
        if self.measure is not None and self.tolerance is None:
            raise ValueError(msg("a measured target needs a tolerance"))
        if self.tolerance is not None and self.tolerance.interval is not None:
            low, high = self.tolerance.interval
            if not low <= self.observed <= high:
                raise ValueError(msg("observed {observed:g} lies outside its interval [{low:g}, {high:g}]",
                                     observed=self.observed, low=low, high=high))
        return self


class TargetsFile(_Strict):
    scenario: Text
    run: dict[str, Any] = Field(default_factory=dict)
    region: str = "jiashan"
    targets: Annotated[dict[str, TargetSpec], Field(min_length=1)]


class ParameterSpec(_Strict):
    bounds: Annotated[list[float], Field(min_length=2, max_length=2)]
    meaning: Text


class SearchSpec(_Strict):
    budget: Annotated[int, Field(ge=1, le=100_000)] = 1200
    replicates: Annotated[int, Field(ge=1, le=100)] = 2
    popsize: Annotated[int, Field(ge=1, le=100)] = 5
    # differential evolution's dithering range: scipy takes 0 <= low <= high < 2
    mutation: Annotated[list[Annotated[float, Field(ge=0.0, lt=2.0)]], Field(min_length=2, max_length=2)] = [0.5, 1.0]
    recombination: Annotated[float, Field(ge=0.0, le=1.0)] = 0.5
    root_seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 2015
    optimiser_seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 1
    check_replicates: Annotated[int, Field(ge=2, le=1000)] = 20
    profile_points: Annotated[int, Field(ge=3, le=50)] = 9
    polish_rounds: Annotated[int, Field(ge=0, le=10)] = 1

    @model_validator(mode="after")
    def _mutation_in_order(self) -> SearchSpec:
        if self.mutation[0] > self.mutation[1]:
            raise ValueError(msg("mutation: give [low, high] with low <= high, got {value}", value=self.mutation))
        return self


class EnsembleSpec(_Strict):
    """Settings of the ensemble calibration (`innosim calibrate --method history-matching`, ensemble.py)."""

    points: Annotated[int, Field(ge=4, le=10_000)] = 256
    waves: Annotated[int, Field(ge=1, le=10)] = 3
    replicates: Annotated[int, Field(ge=1, le=100)] = 2
    cutoff: Annotated[float, Field(ge=0.1, le=100.0)] = 3.0
    worst_ignored: Annotated[int, Field(ge=0, le=5)] = 0
    margin: Annotated[float, Field(ge=0.0, le=1.0)] = 0.1
    min_members: Annotated[int, Field(ge=2, le=10_000)] = 8
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 1
    scale: Annotated[float, Field(gt=0.0, le=10.0)] | None = None


class ParametersFile(_Strict):
    parameters: Annotated[dict[str, ParameterSpec], Field(min_length=1)]
    search: SearchSpec = SearchSpec()
    ensemble: EnsembleSpec = EnsembleSpec()


def _as_list(names: str | list[str] | None) -> list[str]:
    return [] if names is None else [names] if isinstance(names, str) else list(names)


@dataclass(frozen=True)
class Target:
    """One pattern, ready to measure and score."""

    name: str
    spec: TargetSpec
    region: str

    @property
    def modelled(self) -> bool:
        return self.spec.measure is not None

    @property
    def fitted(self) -> bool:
        return self.modelled and self.spec.weight > 0

    @property
    def band(self) -> tuple[float, float]:
        """The tolerance band (low, high) around the observed figure."""
        tol = self.spec.tolerance
        if tol.interval is not None:
            return tol.interval[0], tol.interval[1]
        spread = tol.relative * abs(self.spec.observed)
        return self.spec.observed - spread, self.spec.observed + spread

    def columns(self, which: str = "indicator") -> list[str]:
        """End-value names (``indicator@window``) of the numerator or (``per``) denominator."""
        m = self.spec.measure
        window = m.per_window or m.window if which == "per" else m.window
        if "-" in window:  # a span of calendar years: the years' flows summed
            first, last = (int(y) for y in window.split("-"))
            windows = [str(year) for year in range(first, last + 1)]
        else:
            windows = [window]
        return [f"{name}@{w}" for name in _as_list(getattr(m, which)) for w in windows]

    def describe(self) -> str:
        m = self.spec.measure
        if m is None:
            return "not modelled"
        text = " + ".join(_as_list(m.indicator))
        if m.per is not None:
            below = " + ".join(_as_list(m.per))
            if m.per_window and m.per_window != m.window:
                return f"({text}, {m.window}) / ({below}, {m.per_window}), {self.region}"
            text = f"({text}) / ({below})"
        return f"{text}, {self.region}, {m.window}"


@dataclass(frozen=True)
class Calibration:
    """The validated targets and parameters files: everything a calibration reads."""

    targets_file: Path
    parameters_file: Path
    scenario_file: Path
    run: dict[str, Any]
    targets: tuple[Target, ...]
    parameters: dict[str, ParameterSpec]
    search: SearchSpec
    base: Scenario
    reset: dict[str, Any]  # behaviour the base would take from this calibration's own output, set back
    ensemble: EnsembleSpec = EnsembleSpec()

    @property
    def base_horizon(self) -> Scenario:
        """The base scenario over its own horizon (the policy period), at the calibration's scale."""
        return load_scenario(self.scenario_file, self.horizon_overrides)

    @property
    def horizon_overrides(self) -> dict[str, Any]:
        return {**self.reset, **({"run.scale": self.run["scale"]} if "scale" in self.run else {})}

    @property
    def names(self) -> list[str]:
        return list(self.parameters)

    @property
    def bounds(self) -> list[tuple[float, float]]:
        return [tuple(p.bounds) for p in self.parameters.values()]

    @property
    def fitted(self) -> list[Target]:
        return [t for t in self.targets if t.fitted]

    def integer(self) -> list[bool]:
        """Which free parameters are whole numbers in the schema."""
        return [_field_type(name) is int for name in self.names]

    def overrides(self, values: dict[str, float]) -> dict[str, Any]:
        """Scenario overrides for one parameter set: the calibration period plus the values."""
        point = {f"run.{key}": value for key, value in self.run.items()} | self.reset
        for (name, value), whole in zip(values.items(), self.integer(), strict=True):
            point[f"behaviour.{name}"] = int(round(value)) if whole else float(value)
        return point

    def digest(self) -> dict[str, str]:
        return {str(p): hashlib.sha256(p.read_bytes()).hexdigest()[:16]
                for p in (self.targets_file, self.parameters_file)}


def _field_type(name: str) -> type:
    annotation = Behaviour.model_fields[name].annotation
    if typing.get_origin(annotation) is Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _validated(model: type[BaseModel], data: dict, file: Path) -> BaseModel:
    """`model` from a targets or parameters file, or every problem at once (the scenario's translator)."""
    return validated(model, canonical_regions(data, file), file, extra_keys=())


def load_calibration(targets_file: str | Path, parameters_file: str | Path | None = None) -> Calibration:
    """Read and validate both files and the base scenario over the calibration period."""
    targets_file = Path(targets_file)
    parameters_file = Path(parameters_file) if parameters_file else targets_file.parent / "parameters.yaml"
    spec = _validated(TargetsFile, read_yaml(targets_file), targets_file)
    if spec.region not in REGIONS:
        raise ScenarioError(targets_file, "region", msg("unknown region {region} (one of {choices})",
                                                        region=excerpt(spec.region), choices=", ".join(REGIONS)))
    unknown_run = set(spec.run) - set(RunSettings.model_fields)
    if unknown_run:
        raise ScenarioError(targets_file, f"run.{sorted(unknown_run)[0]}", msg("unknown key"))
    scenario_file = targets_file.parent / spec.scenario
    if not scenario_file.is_file():
        raise ScenarioError(targets_file, "scenario", msg("file not found: {file}{chain}", file=spec.scenario, chain=""))
    reset = _own_output(scenario_file, targets_file.parent / "calibrated.yaml")
    try:
        base = load_scenario(scenario_file, {f"run.{k}": v for k, v in spec.run.items()} | reset)
    except ScenarioError as exc:
        if exc.key.startswith("run.") and exc.key[4:] in spec.run:
            raise ScenarioError(targets_file, exc.key, exc.reason) from None
        raise
    first = int(base.run.start[:4])
    last = (int(base.run.start[:4]) * 12 + int(base.run.start[5:]) - 2 + base.run.months) // 12
    targets = []
    for name, target in spec.targets.items():
        for key in ("window", "per_window"):
            window = getattr(target.measure, key) if target.measure else None
            if window in (None, "total"):
                continue
            years = [int(y) for y in window.split("-")]
            if not all(first <= year <= last for year in years):
                raise ScenarioError(targets_file, f"targets.{name}.measure.{key}",
                                    msg("{window} is outside the run ({first}-{last})", window=window, first=first,
                                        last=last))
        region = target.measure.region if target.measure and target.measure.region else spec.region
        targets.append(Target(name, target, region))
    if not any(t.fitted for t in targets):
        raise ScenarioError(targets_file, "targets", msg("no target is measured with a weight above 0"))

    params = _validated(ParametersFile, read_yaml(parameters_file), parameters_file)
    for name, parameter in params.parameters.items():
        key = f"parameters.{name}"
        if name not in Behaviour.model_fields:
            raise ScenarioError(parameters_file, key, msg("not a behavioural parameter (see Behaviour in "
                                                          "scenario/schema.py)"))
        low, high = parameter.bounds
        if not low < high:
            raise ScenarioError(parameters_file, f"{key}.bounds", msg("must be [low, high] with low < high"))
        for bound in (low, high):
            value = int(bound) if _field_type(name) is int else bound
            try:
                validate_data({"behaviour": {name: value}}, parameters_file)
            except ScenarioError as exc:
                raise ScenarioError(parameters_file, f"{key}.bounds", msg("{bound:g} is not allowed: {reason}",
                                                                          bound=bound, reason=exc.reason)) from None
    reset = {k: v for k, v in reset.items() if k.removeprefix("behaviour.") not in params.parameters}
    return Calibration(targets_file, parameters_file, scenario_file, dict(spec.run), tuple(targets),
                       dict(params.parameters), params.search, base, reset, params.ensemble)


def _own_output(scenario_file: Path, calibrated: Path) -> dict[str, Any]:
    """Overrides that set back to the schema's defaults every behavioural value the base scenario
    takes from a calibration's output: `calibrated` (the file this calibration writes) or any file
    `innosim calibrate` wrote (its mark, owned.py). A calibration never reads such output, so its
    start values, and so its search, do not depend on an earlier fit, and a copy of the calibration
    files in another folder, whose base still extends the original calibrated.yaml, starts where
    the originals do (issue 19: it started from that fit, at a bound where the fit had left one)."""
    _, origin = resolve_chain(scenario_file)
    defaults = Behaviour().model_dump()
    own = calibrated.resolve()
    outputs = {file for file in set(origin.values()) if Path(file).resolve() == own or written_by_innosim(file)}
    return {f"behaviour.{key[1]}": defaults[key[1]] for key, file in origin.items()
            if len(key) == 2 and key[0] == "behaviour" and file in outputs}


__all__ = ["Calibration", "Target", "load_calibration"]
