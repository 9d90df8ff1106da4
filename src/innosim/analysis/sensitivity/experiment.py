"""Experiment files: which settings vary, over what range, and which outputs to explain.

An experiment names a base scenario, the factors (dotted scenario keys: policy levers and
behavioural parameters) with their ranges or levels, the outputs (an indicator at a region, or a
ratio, difference, sum or product of two), the scale, the horizon, the replicates and the
sampling sizes. It is validated like a scenario file before anything runs: every problem is a
`ScenarioError` naming the file, the key and the reason. `extends:` builds on another experiment.

The one thing that travels on from here is SALib's `problem` dict (names and bounds) plus
`Experiment.point_overrides`, which turns one row of a SALib sample into scenario overrides.
"""

from __future__ import annotations

import math
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from innosim.scenario import COUNTIES, Scenario, ScenarioError, load_scenario, resolve_chain

from innosim.analysis.outputs import Output, parse_output
from innosim.analysis.specfile import validate_spec



class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


Pair = Annotated[list[float], Field(min_length=2, max_length=2)]


class FactorSpec(_Strict):
    """How one factor varies. Switches (true/false) and choices need no range."""

    range: Pair | None = Field(None, description="uniform between low and high, in the setting's units")
    multiply: Pair | None = Field(None, description="the base value(s) times a factor between low and high")
    levels: list[str] | None = Field(None, description="the choices of a categorical setting (default: all)")
    label: str | None = Field(None, description="short name for tables and plots")


class MorrisSpec(_Strict):
    trajectories: Annotated[int, Field(ge=2, le=10_000)] = 20
    levels: Annotated[int, Field(ge=2, le=20)] = 4


class SobolSpec(_Strict):
    n: Annotated[int, Field(ge=4, le=2**20)] = 256
    second_order: bool = False


class BootstrapSpec(_Strict):
    resamples: Annotated[int, Field(ge=50, le=100_000)] = 1000
    confidence: Annotated[float, Field(gt=0.5, lt=1.0)] = 0.95


class ExperimentSpec(_Strict):
    name: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")]
    description: str = ""
    base: Annotated[str, Field(min_length=1)]
    scale: Annotated[float, Field(gt=0.0, le=10.0)] = 0.2
    months: Annotated[int, Field(ge=1, le=600)] = 120
    replicates: Annotated[int, Field(ge=1, le=1000)] = 3
    seed: Annotated[int, Field(ge=0)] = 0
    morris: MorrisSpec = MorrisSpec()
    sobol: SobolSpec = SobolSpec()
    bootstrap: BootstrapSpec = BootstrapSpec()
    fixed: dict[str, Any] = Field(default_factory=dict)
    factors: Annotated[dict[str, FactorSpec | None], Field(min_length=1)]
    keep: list[str] | None = None
    outputs: Annotated[dict[str, str], Field(min_length=1)]


@dataclass(frozen=True)
class Factor:
    """One varying setting: its SALib bounds and how a sampled number becomes scenario values."""

    name: str                      # the dotted scenario key
    label: str
    kind: str                      # "switch", "choice", "real", "integer" or "multiply"
    bounds: tuple[float, float]
    levels: tuple = ()             # choices (kind "choice")
    base: Any = None               # base value(s); a dict for per-county settings

    def values(self, x: float) -> dict[str, Any]:
        """The scenario overrides that sampled number `x` stands for."""
        if self.kind == "switch":
            value: Any = bool(x >= 0.5)
        elif self.kind == "choice":
            value = self.levels[min(int(x * len(self.levels)), len(self.levels) - 1)]
        elif self.kind == "integer":  # bounds are [low, high + 1): every integer equally likely
            value = int(min(math.floor(x), self.bounds[1] - 1))
        elif self.kind == "multiply":
            if isinstance(self.base, dict):
                return {f"{self.name}.{c}": float(v * x) for c, v in self.base.items()}
            value = float(self.base * x)
        else:
            value = float(x)
        if isinstance(self.base, dict) and self.kind not in ("switch", "choice"):  # one value for every county
            return {f"{self.name}.{c}": value for c in self.base}
        return {self.name: value}


@dataclass(frozen=True)
class Experiment:
    file: Path
    spec: ExperimentSpec
    base_file: Path
    factors: tuple[Factor, ...]
    outputs: tuple[Output, ...]
    fixed: dict[str, Any]
    base_values: dict

    @property
    def name(self) -> str:
        return self.spec.name

    def problem(self) -> dict:
        """SALib's problem description: the one contract between sampling, running and analysis."""
        return {"num_vars": len(self.factors), "names": [f.name for f in self.factors],
                "bounds": [list(f.bounds) for f in self.factors]}

    def constant_overrides(self) -> dict[str, Any]:
        return {"run.scale": self.spec.scale, "run.months": self.spec.months, **self.fixed}

    def point_overrides(self, row) -> dict[str, Any]:
        """Scenario overrides for one sample row (constants first, then the factors)."""
        overrides = self.constant_overrides()
        for factor, x in zip(self.factors, row, strict=True):
            overrides.update(factor.values(float(x)))
        return _with_sibling_counties(overrides, self.base_values)


def _with_sibling_counties(overrides: dict[str, Any], base: dict) -> dict[str, Any]:
    """Setting one county of a per-county setting keeps the base scenario's other two counties.

    (Without this a base file that wrote one number for all counties would see the other two fall
    back to the schema's defaults.)"""
    out = dict(overrides)
    for key in overrides:
        parent, _, county = key.rpartition(".")
        siblings = _base_value(base, parent) if county in COUNTIES else None
        if isinstance(siblings, dict):
            for other, value in siblings.items():
                out.setdefault(f"{parent}.{other}", value)
    return out


def _flatten(data: dict[str, Any], base: dict) -> dict[str, Any]:
    """`fixed:` values that are per-county mappings become one dotted key per county."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict) and isinstance(_base_value(base, key), dict):
            flat.update({f"{key}.{c}": v for c, v in value.items()})
        else:
            flat[key] = value
    return flat


def _literal_levels(key: str) -> tuple:
    """The choices a Literal-typed scenario setting allows, found by walking the schema."""
    model: Any = Scenario
    annotation = None
    for part in key.split("."):
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return ()
        annotation = model = field.annotation
    for choice in (annotation, *typing.get_args(annotation)):  # a per-county lever: choice | {county: choice}
        if typing.get_origin(choice) is Literal:
            return typing.get_args(choice)
    return ()


def _base_value(base: dict, key: str):
    node: Any = base
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _check_setting(exp_file: Path, key: str, base_file: Path, overrides: dict) -> None:
    """Validate the base scenario with `overrides`; re-raise any problem under the experiment's key."""
    try:
        load_scenario(base_file, overrides)
    except ScenarioError as exc:
        raise ScenarioError(exp_file, key, f"{exc.key or 'value'}: {exc.reason}") from None


def _factor(exp_file: Path, name: str, spec: FactorSpec, base: dict, base_file: Path) -> Factor:
    where = f"factors.{name}"
    value = _base_value(base, name)
    if value is None or (isinstance(value, dict) and not set(value) <= set(COUNTIES)):
        raise ScenarioError(exp_file, where, "not a setting of the scenario schema (a dotted key such as "
                                             "policy.vouchers.subsidy_share)")
    label = spec.label or ".".join(name.split(".")[-2:])
    given = [k for k in ("range", "multiply", "levels") if getattr(spec, k) is not None]
    if len(given) > 1:
        raise ScenarioError(exp_file, where, f"give one of range, multiply or levels, not {' and '.join(given)}")
    numbers = list(value.values()) if isinstance(value, dict) else [value]
    if all(isinstance(v, bool) for v in numbers):  # one switch for every county
        if given:
            raise ScenarioError(exp_file, f"{where}.{given[0]}", "a true/false setting takes no range or levels")
        return Factor(name, label, "switch", (0.0, 1.0), base=value)
    if all(isinstance(v, str) for v in numbers):  # one choice for every county
        allowed = _literal_levels(name)
        if spec.range or spec.multiply:
            raise ScenarioError(exp_file, f"{where}.{given[0]}", "a choice takes levels, not a range")
        levels = tuple(spec.levels or allowed)
        if len(levels) < 2 or len(set(levels)) != len(levels):
            raise ScenarioError(exp_file, f"{where}.levels", "give two or more different levels")
        for level in levels:
            _check_setting(exp_file, f"{where}.levels", base_file, {name: level})
        return Factor(name, label, "choice", (0.0, 1.0), levels=levels, base=value)
    if spec.levels is not None:
        raise ScenarioError(exp_file, f"{where}.levels", "levels are for choices; give a range for a number")
    if not given:
        raise ScenarioError(exp_file, where, "a numeric setting needs a range [low, high] or multiply [low, high]")
    low, high = spec.range or spec.multiply
    key = f"{where}.{given[0]}"
    if not low < high:
        raise ScenarioError(exp_file, key, f"low must be below high (got [{low:g}, {high:g}])")
    if spec.multiply:
        if low < 0:
            raise ScenarioError(exp_file, key, "a multiplier cannot be negative")
        if not any(numbers):
            raise ScenarioError(exp_file, key, "the base value is 0, so multiplying it changes nothing; give a range")
        factor = Factor(name, label, "multiply", (low, high), base=value)
    elif all(isinstance(v, int) for v in numbers) and not isinstance(value, dict):
        if low != int(low) or high != int(high):
            raise ScenarioError(exp_file, key, "an integer setting needs whole-number ends")
        factor = Factor(name, label, "integer", (low, high + 1.0), base=value)
    else:
        factor = Factor(name, label, "real", (low, high), base=value)
    for end in (factor.bounds[0], factor.bounds[1] - (factor.kind == "integer")):
        _check_setting(exp_file, key, base_file, _with_sibling_counties(factor.values(end), base))
    return factor


def load_experiment(path: str | Path) -> Experiment:
    """Read, merge (`extends:`) and validate an experiment file; nothing is run."""
    path = Path(path)
    data, origin = resolve_chain(path)
    spec = validate_spec(ExperimentSpec, data, origin, path)
    # `base:` is relative to the file that set it
    base_file = (origin.get(("base",), path).parent / spec.base).resolve()
    if not base_file.is_file():
        raise ScenarioError(path, "base", f"scenario file not found: {spec.base}")
    base_scenario = load_scenario(base_file)
    base = base_scenario.model_dump(mode="python")
    for key, value in spec.fixed.items():
        if _base_value(base, key) is None:
            raise ScenarioError(path, f"fixed.{key}", "not a setting of the scenario schema")
        _check_setting(path, f"fixed.{key}", base_file, _with_sibling_counties(_flatten({key: value}, base), base))
    fixed = _with_sibling_counties(_flatten(dict(spec.fixed), base), base)
    _check_setting(path, "scale", base_file, {"run.scale": spec.scale, "run.months": spec.months, **fixed})
    keep = spec.keep
    if keep is not None:
        unknown = [k for k in keep if k not in spec.factors]
        if unknown:
            raise ScenarioError(path, "keep", f"not among the factors: {', '.join(unknown)}")
    factors = []
    for name, factor_spec in spec.factors.items():
        if keep is not None and name not in keep:
            continue
        if name in fixed:
            raise ScenarioError(path, f"factors.{name}", "also fixed: a setting is either fixed or varied")
        overlap = [f.name for f in factors if name.startswith(f.name + ".") or f.name.startswith(name + ".")]
        if overlap:
            raise ScenarioError(path, f"factors.{name}", f"sets the same setting as factor {overlap[0]}")
        factors.append(_factor(path, name, factor_spec or FactorSpec(), base, base_file))
    if len(factors) < 2:
        raise ScenarioError(path, "factors" if keep is None else "keep", "vary at least two factors")
    outputs = tuple(parse_output(path, name, expr) for name, expr in spec.outputs.items())
    if spec.sobol.n & (spec.sobol.n - 1):
        raise ScenarioError(path, "sobol.n", f"must be a power of 2 (Sobol' sequences), got {spec.sobol.n}")
    return Experiment(path, spec, base_file, tuple(factors), outputs, fixed, base)
