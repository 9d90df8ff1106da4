"""Experiment files: which settings vary, over what range, and which outputs to explain.

An experiment names a base scenario, the factors (dotted scenario keys: policy levers and
behavioural parameters) with their ranges or levels, the outputs (an indicator at a region, or a
ratio, difference, sum or product of two), the scale, the horizon, the replicates and the
sampling sizes. It is validated like a scenario file before anything runs: every problem is a
`ScenarioError` naming the file, the key and the reason. `extends:` builds on another experiment.

Kinds of factor: a number (`range`, `multiply`), a switch (a true/false setting), a choice (the
levels of a categorical setting) and a *regime*: a choice whose options are named bundles of
settings, for levers that act only together (settlement does nothing unless vouchers may be spent
outside their county; tax deferral nothing unless equity incentives are on)::

    voucher_regime:
      label: voucher regime
      options:
        own_county: {policy.vouchers.scope: own_county, policy.vouchers.cross_county_settlement: false}
        zone_settled: {policy.vouchers.scope: zone, policy.vouchers.cross_county_settlement: true}

A setting an option leaves out keeps the base scenario's value; a setting belongs to one factor
only. Every factor is a `lever` (a `policy.` setting) or an `uncertainty` (anything else), unless
its `role:` says otherwise; reports rank the levers and show the uncertainties as context.

The one thing that travels on from here is SALib's `problem` dict (names and bounds, plus
`options`: how many options each switch or choice has, 0 for a number) and
`Experiment.point_overrides`, which turns one row of a sample into scenario overrides.
"""

from __future__ import annotations

import hashlib
import json
import math
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from innosim.i18n import message_lang, msg
from innosim.scenario import COUNTIES, Scenario, ScenarioError, content_hash, load_scenario, resolve_chain

from innosim.analysis.outputs import Output, parse_output
from innosim.analysis.specfile import validate_spec
from innosim.scenario.diagnostics import validated



class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


Pair = Annotated[list[float], Field(min_length=2, max_length=2)]


Role = Literal["lever", "uncertainty"]


class FactorSpec(_Strict):
    """How one factor varies. Switches (true/false) and choices need no range."""

    range: Pair | None = Field(None, description="uniform between low and high, in the setting's units")
    multiply: Pair | None = Field(None, description="the base value(s) times a factor between low and high")
    levels: list[str] | None = Field(None, description="the choices of a categorical setting (default: all)")
    options: Annotated[dict[str, dict[str, Any]], Field(min_length=2)] | None = Field(
        None, description="a regime: named bundles of settings (dotted key -> value), one of which holds")
    role: Role | None = Field(None, description="lever or uncertainty (default: lever for policy. settings)")
    label: str | None = Field(None, description="short name for tables and plots")


class MorrisSpec(_Strict):
    trajectories: Annotated[int, Field(ge=2, le=10_000)] = 20
    levels: Annotated[int, Field(ge=2, le=20)] = 4


class SobolSpec(_Strict):
    n: Annotated[int, Field(ge=4, le=2**20)] = 256
    second_order: bool = False


class EmulatorSpec(_Strict):
    """Sobol' indices on a Gaussian-process emulator (`--method emulator`, see `emulator.py`)."""

    n: Annotated[int, Field(ge=16, le=4096)] = 128          # design points (a power of 2)
    sample: Annotated[int, Field(ge=256, le=2**16)] = 4096  # Saltelli base N on the emulator
    bootstrap: Annotated[int, Field(ge=10, le=2000)] = 100  # refits on resampled design points
    folds: Annotated[int, Field(ge=2, le=20)] = 5           # cross-validation of Q2
    q2_min: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.8   # report indices only from this Q2 on


class KeepFrom(_Strict):
    """`keep: {from_screening: PATH}`: the factors a Morris screening kept (its `kept.yaml`)."""

    from_screening: Annotated[str, Field(min_length=1)]
    also: list[str] = Field(default_factory=list, description="factors carried on whatever the screening found")


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
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 0
    morris: MorrisSpec = MorrisSpec()
    sobol: SobolSpec = SobolSpec()
    emulator: EmulatorSpec = EmulatorSpec()
    bootstrap: BootstrapSpec = BootstrapSpec()
    fixed: dict[str, Any] = Field(default_factory=dict)
    factors: Annotated[dict[str, FactorSpec | None], Field(min_length=1)]
    keep: Any = None   # a list of factor names, or {from_screening: PATH, also: [...]} (checked below)
    outputs: Annotated[dict[str, str], Field(min_length=1)]


@dataclass(frozen=True)
class Factor:
    """One varying factor: its SALib bounds and how a sampled number becomes scenario values."""

    name: str                      # the dotted scenario key (a regime: the name the file gives it)
    label: str
    kind: str                      # "switch", "choice", "real", "integer" or "multiply"
    bounds: tuple[float, float]
    levels: tuple = ()             # a choice's options, in the order written
    base: Any = None               # base value(s); a dict for per-county settings
    bundles: tuple = ()            # a choice: per option, the overrides it stands for
    role: str = "lever"
    settings: tuple[str, ...] = ()  # the scenario settings this factor sets

    @property
    def options(self) -> int:
        """How many options a switch (2) or a choice has; 0 for a number."""
        return 2 if self.kind == "switch" else len(self.levels) if self.kind == "choice" else 0

    def option(self, x: float) -> int:
        """The option a sampled number in [0, 1] stands for: option i holds [i/k, (i+1)/k)."""
        return min(int(x * self.options), self.options - 1)

    def values(self, x: float) -> dict[str, Any]:
        """The scenario overrides that sampled number `x` stands for."""
        if self.kind == "switch":
            value: Any = bool(self.option(x))
        elif self.kind == "choice":
            return dict(self.bundles[self.option(x)])
        elif self.kind == "integer":  # bounds are [low, high + 1): every integer equally likely
            value = int(min(math.floor(x), self.bounds[1] - 1))
        elif self.kind == "multiply":
            if isinstance(self.base, dict):
                return {f"{self.name}.{c}": float(v * x) for c, v in self.base.items()}
            value = float(self.base * x)
        else:
            value = float(x)
        if isinstance(self.base, dict) and self.kind != "switch":  # one value for every county
            return {f"{self.name}.{c}": value for c in self.base}
        return {self.name: value}

    def fingerprint(self) -> str:
        """A short hash of what the factor varies and how (not its label or role): the Sobol' stage
        checks that it means the same factor as the screening that kept it."""
        blob = json.dumps([self.name, self.kind, list(self.bounds), list(self.levels),
                           [list(b) for b in self.bundles], self.base], sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Experiment:
    file: Path
    spec: ExperimentSpec
    base_file: Path
    factors: tuple[Factor, ...]
    outputs: tuple[Output, ...]
    fixed: dict[str, Any]
    base_values: dict
    base_hash: str = ""            # content hash of the base scenario with scale, months and fixed
    screened: tuple[Factor, ...] = ()  # every factor the file defines, kept or not
    kept_from: Path | None = None  # the screening's kept.yaml this experiment's factors come from
    kept_reasons: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.spec.name

    def problem(self) -> dict:
        """SALib's problem description: the one contract between sampling, running and analysis.
        `options` (not SALib's) says how many options each switch or choice has (0: a number)."""
        return {"num_vars": len(self.factors), "names": [f.name for f in self.factors],
                "bounds": [list(f.bounds) for f in self.factors], "options": [f.options for f in self.factors]}

    def scenario_ids(self, X) -> list[int]:
        """One number per sample row; rows that stand for the same scenario get the same number."""
        texts = [json.dumps(self.point_overrides(row), sort_keys=True, default=str) for row in X]
        index = {t: i for i, t in enumerate(dict.fromkeys(texts))}
        return [index[t] for t in texts]

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


def _setting_value(base: dict, key: str):
    """The base value of a setting, also of one county of a setting written once for all."""
    value = _base_value(base, key)
    parent, _, county = key.rpartition(".")
    if value is None and county in COUNTIES and not isinstance(_base_value(base, parent), dict | None):
        return _base_value(base, parent)
    return value


def _check_setting(exp_file: Path, key: str, base_file: Path, overrides: dict) -> Scenario:
    """Validate the base scenario with `overrides`; re-raise any problem under the experiment's key."""
    try:
        return load_scenario(base_file, overrides)
    except ScenarioError as exc:
        raise ScenarioError(exp_file, key, msg("{key}: {reason}", key=exc.key or msg("value"),
                                               reason=exc.reason)) from None


def _joined(keys) -> str:
    """``range and multiply`` in English; amid Chinese the keys as `code` (the frame quotes the first and last)."""
    return " and ".join(keys) if message_lang() == "en" else "`、`".join(keys)


def _default_role(settings) -> str | None:
    policy = [s.startswith("policy.") for s in settings]
    return "lever" if all(policy) else "uncertainty" if not any(policy) else None


def _factor(exp_file: Path, name: str, spec: FactorSpec, base: dict, base_file: Path) -> Factor:
    where = f"factors.{name}"
    if spec.options is not None:
        return _regime(exp_file, name, spec, base, base_file)
    value = _base_value(base, name)
    if value is None or (isinstance(value, dict) and not set(value) <= set(COUNTIES)):
        raise ScenarioError(exp_file, where, msg("not a setting of the scenario schema (a dotted key such as "
                                                 "policy.vouchers.subsidy_share); a regime of several settings "
                                                 "takes `options:`"))
    parts = name.split(".")
    label = spec.label or ".".join(parts[-2:] if len(parts) > 2 else parts[-1:])
    role = spec.role or _default_role([name])
    given = [k for k in ("range", "multiply", "levels") if getattr(spec, k) is not None]
    if len(given) > 1:
        raise ScenarioError(exp_file, where, msg("give one of range, multiply or levels, not {given}",
                                                 given=_joined(given)))
    numbers = list(value.values()) if isinstance(value, dict) else [value]
    if all(isinstance(v, bool) for v in numbers):  # one switch for every county
        if given:
            raise ScenarioError(exp_file, f"{where}.{given[0]}", msg("a true/false setting takes no range or levels"))
        return Factor(name, label, "switch", (0.0, 1.0), base=value, role=role, settings=(name,))
    if all(isinstance(v, str) for v in numbers):  # one choice for every county
        allowed = _literal_levels(name)
        if spec.range or spec.multiply:
            raise ScenarioError(exp_file, f"{where}.{given[0]}", msg("a choice takes levels, not a range"))
        levels = tuple(spec.levels or allowed)
        if len(levels) < 2 or len(set(levels)) != len(levels):
            raise ScenarioError(exp_file, f"{where}.levels", msg("give two or more different levels"))
        for level in levels:
            _check_setting(exp_file, f"{where}.levels", base_file, {name: level})
        return Factor(name, label, "choice", (0.0, 1.0), levels=levels, base=value, role=role, settings=(name,),
                      bundles=tuple(((name, level),) for level in levels))
    if spec.levels is not None:
        raise ScenarioError(exp_file, f"{where}.levels", msg("levels are for choices; give a range for a number"))
    if not given:
        raise ScenarioError(exp_file, where, msg("a numeric setting needs a range [low, high] or multiply [low, high]"))
    low, high = spec.range or spec.multiply
    key = f"{where}.{given[0]}"
    if not low < high:
        raise ScenarioError(exp_file, key, msg("low must be below high (got [{low:g}, {high:g}])", low=low, high=high))
    if spec.multiply:
        if low < 0:
            raise ScenarioError(exp_file, key, msg("a multiplier cannot be negative"))
        if not any(numbers):
            raise ScenarioError(exp_file, key, msg("the base value is 0, so multiplying it changes nothing; give a range"))
        factor = Factor(name, label, "multiply", (low, high), base=value, role=role, settings=(name,))
    elif all(isinstance(v, int) for v in numbers) and not isinstance(value, dict):
        if low != int(low) or high != int(high):
            raise ScenarioError(exp_file, key, msg("an integer setting needs whole-number ends"))
        factor = Factor(name, label, "integer", (low, high + 1.0), base=value, role=role, settings=(name,))
    else:
        factor = Factor(name, label, "real", (low, high), base=value, role=role, settings=(name,))
    for end in (factor.bounds[0], factor.bounds[1] - (factor.kind == "integer")):
        _check_setting(exp_file, key, base_file, _with_sibling_counties(factor.values(end), base))
    return factor


def _overlaps(a: str, b: str) -> bool:
    """Whether two dotted settings set the same thing (equal, or one inside the other)."""
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def _regime(exp_file: Path, name: str, spec: FactorSpec, base: dict, base_file: Path) -> Factor:
    """A choice among named bundles of settings: each option sets every setting any option names
    (one it leaves out keeps the base scenario's value), and no two options are the same scenario."""
    where = f"factors.{name}"
    given = [k for k in ("range", "multiply", "levels") if getattr(spec, k) is not None]
    if given:
        raise ScenarioError(exp_file, f"{where}.{given[0]}", msg("a regime's options are its levels; give no range"))
    keys: list[str] = []
    for option, settings in spec.options.items():
        for key in settings:
            value = _setting_value(base, key)
            if value is None or (isinstance(value, dict) and not set(value) <= set(COUNTIES)):
                raise ScenarioError(exp_file, f"{where}.options.{option}.{key}", msg(
                    "not a setting of the scenario schema (a dotted key such as policy.vouchers.scope)"))
            clash = next((k for k in keys if k != key and _overlaps(k, key)), None)
            if clash:
                raise ScenarioError(exp_file, f"{where}.options.{option}.{key}",
                                    msg("sets part of {clash}, which the regime sets too: write one of them",
                                        clash=clash))
            if key not in keys:
                keys.append(key)
    bundles, seen = [], {}
    for option, settings in spec.options.items():
        full = {key: settings[key] if key in settings else _setting_value(base, key) for key in keys}
        overrides = _with_sibling_counties(_flatten(full, base), base)
        scenario = _check_setting(exp_file, f"{where}.options.{option}", base_file, overrides)
        digest = content_hash(scenario)
        if digest in seen:
            raise ScenarioError(exp_file, f"{where}.options.{option}",
                                msg("the same scenario as option {option}: options must differ",
                                    option=seen[digest]))
        seen[digest] = option
        bundles.append(tuple(sorted(overrides.items(), key=lambda item: item[0])))
    role = spec.role or _default_role(keys)
    if role is None:
        raise ScenarioError(exp_file, f"{where}.role", msg("the options set policy and other settings: "
                                                           "say `role: lever` or `role: uncertainty`"))
    return Factor(name, spec.label or name.replace("_", " "), "choice", (0.0, 1.0), levels=tuple(spec.options),
                  base={k: _setting_value(base, k) for k in keys}, bundles=tuple(bundles), role=role, settings=tuple(keys))


def _keep(path: Path, origin: dict, value: Any, screened: tuple[Factor, ...], base_hash: str,
          kept: Path | None) -> tuple[list[str] | None, Path | None, dict]:
    """The factor names `keep:` selects, the screening file they come from and its reasons."""
    from innosim.analysis.sensitivity.kept import read_kept

    names = [f.name for f in screened]
    if value is None and kept is None:
        return None, None, {}
    if kept is not None or isinstance(value, dict):
        spec = validated(KeepFrom, value if isinstance(value, dict) else {"from_screening": str(kept)},
                         origin.get(("keep",), path), origin, prefix=("keep",), extra_keys=())
        setter = origin.get(("keep", "from_screening"), origin.get(("keep",), path))
        file = Path(kept) if kept is not None else (Path(setter).parent / spec.from_screening)
        unknown = [k for k in spec.also if k not in names]
        if unknown:
            raise ScenarioError(setter, "keep.also", msg("not among the factors: {names}", names=", ".join(unknown)))
        screening = origin.get(("factors",), path)
        reasons = read_kept(file, setter, "keep.from_screening", screened, base_hash, screening)
        reasons |= {k: "carried on by keep.also" for k in spec.also if k not in reasons}
        return [n for n in names if n in reasons], file.resolve(), reasons
    if not isinstance(value, list) or not all(isinstance(k, str) for k in value):
        raise ScenarioError(origin.get(("keep",), path), "keep",
                            msg("a list of factor names, or {from_screening: PATH} (a Morris screening's kept.yaml)"))
    unknown = [k for k in value if k not in names]
    if unknown:
        raise ScenarioError(path, "keep", msg("not among the factors: {names}", names=", ".join(unknown)))
    return list(value), None, {k: "listed in keep" for k in value}


def load_experiment(path: str | Path, kept: str | Path | None = None) -> Experiment:
    """Read, merge (`extends:`) and validate an experiment file; nothing is run.

    `kept` (a screening's kept.yaml) stands in for the file's `keep: {from_screening: ...}`."""
    path = Path(path)
    data, origin = resolve_chain(path)
    spec = validate_spec(ExperimentSpec, data, origin, path)
    # `base:` is relative to the file that set it
    base_file = (origin.get(("base",), path).parent / spec.base).resolve()
    if not base_file.is_file():
        raise ScenarioError(path, "base", msg("scenario file not found: {file}", file=spec.base))
    base_scenario = load_scenario(base_file)
    base = base_scenario.model_dump(mode="python")
    for key, value in spec.fixed.items():
        if _base_value(base, key) is None:
            raise ScenarioError(path, f"fixed.{key}", msg("not a setting of the scenario schema"))
        _check_setting(path, f"fixed.{key}", base_file, _with_sibling_counties(_flatten({key: value}, base), base))
    fixed = _with_sibling_counties(_flatten(dict(spec.fixed), base), base)
    constants = {"run.scale": spec.scale, "run.months": spec.months, **fixed}
    base_hash = content_hash(_check_setting(path, "scale", base_file, constants))
    factors: list[Factor] = []
    for name, factor_spec in spec.factors.items():
        factor = _factor(path, name, factor_spec or FactorSpec(), base, base_file)
        for setting in factor.settings:
            if any(_overlaps(setting, key) for key in spec.fixed):
                raise ScenarioError(path, f"factors.{name}", msg("sets {setting}, which is also fixed: a setting is "
                                                                 "either fixed or varied", setting=setting))
            other = next((f for f in factors for s in f.settings if _overlaps(s, setting)), None)
            if other is not None:
                raise ScenarioError(path, f"factors.{name}", msg("sets {setting}, which factor {other} sets too: a "
                                                                 "setting belongs to one factor", setting=setting,
                                                                 other=other.name))
        factors.append(factor)
    screened = tuple(factors)
    keep, kept_from, reasons = _keep(path, origin, spec.keep, screened, base_hash, kept)
    if keep is not None:
        factors = [f for f in factors if f.name in keep]
    if len(factors) < 2:
        raise ScenarioError(path, "factors" if keep is None else "keep", msg("vary at least two factors"))
    outputs = tuple(parse_output(path, name, expr) for name, expr in spec.outputs.items())
    if spec.sobol.n & (spec.sobol.n - 1):
        raise ScenarioError(path, "sobol.n", msg("must be a power of 2 (Sobol' sequences), got {n}", n=spec.sobol.n))
    for key, size in (("emulator.n", spec.emulator.n), ("emulator.sample", spec.emulator.sample)):
        if size & (size - 1):
            raise ScenarioError(path, key, msg("must be a power of 2 (Sobol' sequences), got {n}", n=size))
    return Experiment(path, spec, base_file, tuple(factors), outputs, fixed, base, base_hash, screened,
                      kept_from, reasons)
