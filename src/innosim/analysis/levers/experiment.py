"""Lever experiment files: which levers to rank, on what outputs, and when enough seeds have run.

A lever is switched on alone from the base scenario ("on") and switched off alone from the full
scenario ("off": the full scenario with the lever's settings at the base's values), on the same
seeds. A lever is given by its own scenario file (its settings are those where the file differs
from the base) or by the `policy.` keys it sets (on: the base with those keys at the full
scenario's values). The file is validated like an experiment file before anything runs: every
problem is a `ScenarioError` naming the file, the key and the reason.

    name: levers
    base: ../scenarios/baseline.yaml
    full: ../scenarios/full_integration.yaml
    levers:
      science_finance: {label: science finance, scenario: ../scenarios/science_finance.yaml}
      vouchers: {label: general-use vouchers, keys: [policy.vouchers.scope]}
    regions: [qingpu, wujiang, jiashan, zone]
    outputs:                                    # {region} stands for each of `regions`
      hnte_stock: mean(hnte_stock.{region}, last=36)
    headline: {output: hnte_stock, region: jiashan}
    seeds: {first: 10, block: 10, cap: 60}
    precision: {half_width: 2 %}                # of the base level; or a number in the output's units
    leader: {probability: 0.95}
    robustness:                                 # optional: the levers over draws of the behavioural assumptions
      draws: 48                                 # Latin hypercube draws (robustness.py)
      from_calibration: ../calibration/result.yaml
      uncertainties:
        behaviour.founding_rate: {multiply: [0.7, 1.3]}
      failure: {at_most: 0}                     # or '1 %' of the draw's base level
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from innosim.catalogue import COUNTY_REGIONS, REGIONS
from innosim.i18n import msg
from innosim.scenario import COUNTIES, ScenarioError, load_scenario, resolve_chain, setting_at

from innosim.analysis.specfile import validate_spec
from innosim.analysis.outputs import Output, parse_output
from innosim.analysis.levers.robustness import Robustness, RobustnessSpec, load_robustness
from innosim.analysis.levers.dials import Dial, load_dials
from innosim.analysis.levers.dose import DoseSpec

_PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


class LeverSpec(_Strict):
    label: str | None = Field(None, description="the lever's name in tables and in the opening sentence")
    scenario: str | None = Field(None, description="a scenario file that switches the lever on from the base")
    keys: list[str] | None = Field(None, description="the policy keys the lever sets (default: the scenario's)")


class SeedBlocks(_Strict):
    first: Annotated[int, Field(ge=2, le=10_000)] = 10
    block: Annotated[int, Field(ge=1, le=10_000)] = 10
    cap: Annotated[int, Field(ge=2, le=10_000)] = 60

    @model_validator(mode="after")
    def _cap_above_first(self):
        if self.cap < self.first:
            raise ValueError(msg("cap ({cap}) must be at least first ({first})", cap=self.cap, first=self.first))
        return self


class Precision(_Strict):
    half_width: Annotated[str, Field(description="'2 %' of the base level, or a number in the output's units")]

    @field_validator("half_width", mode="before")
    @classmethod
    def _number_or_percent(cls, value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ValueError(msg("give a percentage of the base level ('2 %') or a number in the output's units"))
        if isinstance(value, str) and not _PERCENT.match(value):
            raise ValueError(msg("cannot read {value!r}: write a percentage such as '2 %' or a number", value=value))
        if not isinstance(value, str) and not value > 0:
            raise ValueError(msg("must be above 0"))
        return str(value)


class Leader(_Strict):
    probability: Annotated[float, Field(gt=0.5, le=1.0)] = 0.95
    resamples: Annotated[int, Field(ge=100, le=100_000)] = 2000


class Headline(_Strict):
    output: str
    region: str


class LeversSpec(_Strict):
    name: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")]
    description: str = ""
    base: Annotated[str, Field(min_length=1)]
    full: Annotated[str, Field(min_length=1)]
    scale: Annotated[float, Field(gt=0.0, le=10.0)] = 0.5
    months: Annotated[int, Field(ge=1, le=600)] | None = None
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 0
    seeds: SeedBlocks = SeedBlocks()
    levers: Annotated[dict[str, LeverSpec], Field(min_length=2)]
    regions: Annotated[list[Literal[REGIONS]], Field(min_length=1)] = list(COUNTY_REGIONS)
    outputs: Annotated[dict[str, str], Field(min_length=1)]
    headline: Headline
    rank_by: Literal["on_from_base", "off_from_full"] = "on_from_base"
    precision: Precision
    leader: Leader = Leader()
    level: Annotated[float, Field(gt=0.5, lt=1.0)] = 0.95
    robustness: RobustnessSpec | None = Field(None, description="the levers over draws of the behavioural "
                                                                "assumptions (see levers/robustness.py)")
    dose: DoseSpec | None = Field(None, description="dose-response curves and the ranking at equal public cost "
                                                    "(see levers/dose.py)")


@dataclass(frozen=True)
class Lever:
    """One lever: how to switch it on from the base, and how to switch it off from the full scenario."""

    name: str
    label: str
    on_file: Path                  # the base, or the lever's own scenario
    on: dict[str, Any]             # overrides of on_file
    off: dict[str, Any]            # overrides of the full scenario: the lever's keys at the base's values


@dataclass(frozen=True)
class LeverOutput:
    """One output at one region (an output written with {region} gives one per region)."""

    name: str
    region: str
    output: Output


@dataclass(frozen=True)
class LeversExperiment:
    file: Path
    spec: LeversSpec
    base_file: Path
    full_file: Path
    levers: tuple[Lever, ...]
    outputs: tuple[LeverOutput, ...]
    start: str
    months: int
    precision_share: float | None   # "2 %": 0.02 of the base level
    precision_absolute: float | None
    robustness: Robustness | None = None
    dials: tuple[Dial, ...] = ()

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def headline(self) -> LeverOutput:
        h = self.spec.headline
        return next(o for o in self.outputs if (o.name, o.region) == (h.output, h.region))

    def variants(self) -> dict[str, tuple[Path, dict[str, Any]]]:
        """Variant -> (scenario file, overrides): base, full, on:<lever>, off:<lever>."""
        out = {"base": (self.base_file, {}), "full": (self.full_file, {})}
        for lever in self.levers:
            out[f"on:{lever.name}"] = (lever.on_file, lever.on)
            out[f"off:{lever.name}"] = (self.full_file, lever.off)
        return out


def _settings(data: dict, prefix: str = "policy") -> dict[str, Any]:
    """Policy settings as dotted key -> value; a per-county mapping is one setting."""
    out: dict[str, Any] = {}
    node = setting_at(data, prefix)
    if isinstance(node, dict) and not (node and set(node) <= set(COUNTIES)):
        for key in node:
            out |= _settings(data, f"{prefix}.{key}")
    else:
        out[prefix] = node
    return out


def _file(path: Path, origin: dict, loc: tuple[str, ...], value: str) -> Path:
    """A scenario file named in the experiment, relative to the file that named it."""
    found = (Path(origin.get(loc, path)).parent / value).resolve()
    if not found.is_file():
        raise ScenarioError(path, ".".join(loc), msg("scenario file not found: {file}", file=value))
    return found


def _lever(path: Path, name: str, spec: LeverSpec, origin: dict, base: dict, full: dict,
           base_file: Path, overrides: dict) -> Lever:
    where = f"levers.{name}"
    if spec.scenario is None and spec.keys is None:
        raise ScenarioError(path, where, msg("give the lever's scenario file or the policy keys it sets (or both)"))
    label = spec.label or name.replace("_", " ")
    on_file, on = base_file, {}
    if spec.scenario is not None:
        on_file = _file(path, origin, ("levers", name, "scenario"), spec.scenario)
        own = load_scenario(on_file, overrides).model_dump(mode="python")
        keys = spec.keys or [k for k, v in _settings(own).items() if _settings(base).get(k) != v]
        if not keys:
            raise ScenarioError(path, f"{where}.scenario", msg("{file} sets no policy differently from the base",
                                                               file=spec.scenario))
    else:
        keys = spec.keys
    for key in keys:
        if not key.startswith("policy.") or setting_at(base, key) is None:
            raise ScenarioError(path, f"{where}.keys", msg("{key} is not a policy setting of the scenario schema "
                                                           "(a dotted key such as policy.vouchers.scope)", key=key))
    for which, scenario in (("full", full), ("base", base)):
        dated = [k for change in scenario.get("changes") or [] for k in change.get("set", {})]  # dumped by alias
        changed = [k for k in dated if any(k == key or k.startswith(key + ".") or key.startswith(k + ".")
                                           for key in keys)]
        if changed:  # a dated change would set the lever again after the start
            reason = (msg("the full scenario changes {key} during the run (changes:), so the lever cannot be "
                          "switched by its settings alone", key=changed[0]) if which == "full" else
                      msg("the base scenario changes {key} during the run (changes:), so the lever cannot be "
                          "switched by its settings alone", key=changed[0]))
            raise ScenarioError(path, where, reason)
    if spec.scenario is None:
        on = {key: setting_at(full, key) for key in keys}
    off = {key: setting_at(base, key) for key in keys}
    if all(setting_at(full, key) == value for key, value in off.items()):
        raise ScenarioError(path, where, msg("the full scenario sets this lever as the base does: switching it off "
                                             "from the full scenario would change nothing"))
    try:
        load_scenario(on_file, {**overrides, **on})
    except ScenarioError as exc:
        raise ScenarioError(path, where, msg("switched on: {key}: {reason}", key=exc.key or msg("value"),
                                             reason=exc.reason)) from None
    return Lever(name, label, on_file, on, off)


def _outputs(path: Path, spec: LeversSpec) -> tuple[LeverOutput, ...]:
    outputs = []
    for name, expression in spec.outputs.items():
        regions = spec.regions if "{region}" in expression else [None]
        for region in regions:
            output = parse_output(path, name, expression.replace("{region}", region or ""))
            here = region or output.terms[0].region
            outputs.append(LeverOutput(name, here, output))
    return tuple(outputs)


def load_levers(path: str | Path, scale: float | None = None, draws: int | None = None) -> LeversExperiment:
    """Read, merge (`extends:`) and validate a lever experiment file (at another `scale`, with another
    number of robustness `draws`, if given); nothing is run."""
    path = Path(path)
    data, origin = resolve_chain(path)
    spec = validate_spec(LeversSpec, data, origin, path)
    if scale is not None:
        spec = spec.model_copy(update={"scale": float(scale)})
    if draws is not None and spec.robustness is not None:
        spec = spec.model_copy(update={"robustness": spec.robustness.model_copy(update={"draws": int(draws)})})
    base_file, full_file = _file(path, origin, ("base",), spec.base), _file(path, origin, ("full",), spec.full)
    overrides = {"run.scale": spec.scale, **({"run.months": spec.months} if spec.months else {})}
    try:
        base_scenario = load_scenario(base_file, overrides)
        full = load_scenario(full_file, overrides).model_dump(mode="python")
    except ScenarioError as exc:
        raise ScenarioError(path, "scale" if exc.key and exc.key.startswith("run.") else "base",
                            msg("{key}: {reason}", key=exc.key or msg("value"), reason=exc.reason)) from None
    base = base_scenario.model_dump(mode="python")
    levers = tuple(_lever(path, name, lever, origin, base, full, base_file, overrides)
                   for name, lever in spec.levers.items())
    for lever in levers:  # the full scenario with the lever's settings at the base's values must be valid
        try:
            load_scenario(full_file, {**overrides, **lever.off})
        except ScenarioError as exc:
            raise ScenarioError(path, f"levers.{lever.name}", msg("switched off from the full scenario: {key}: {reason}",
                                                                  key=exc.key or msg("value"),
                                                                  reason=exc.reason)) from None
    outputs = _outputs(path, spec)
    h = spec.headline
    if not any((o.name, o.region) == (h.output, h.region) for o in outputs):
        names = ", ".join(dict.fromkeys(o.name for o in outputs))
        raise ScenarioError(path, "headline", msg("no output {output!r} at {region!r} (outputs: {names}; regions: "
                                                  "{regions})", output=h.output, region=h.region, names=names,
                                                  regions=", ".join(spec.regions)))
    if h.region not in REGIONS:
        raise ScenarioError(path, "headline.region", msg("unknown region {region!r}", region=h.region))
    share = _PERCENT.match(spec.precision.half_width)
    robustness = None if spec.robustness is None else \
        load_robustness(path, spec.robustness, origin, base, base_file, overrides)
    dials = () if spec.dose is None else _dials(path, spec, outputs, base, base_file, overrides)
    return LeversExperiment(path, spec, base_file, full_file, levers, outputs, base_scenario.run.start,
                            base_scenario.run.months, float(share.group(1)) / 100 if share else None,
                            None if share else float(spec.precision.half_width), robustness, dials)


def _dials(path: Path, spec: LeversSpec, outputs, base: dict, base_file: Path, overrides: dict) -> tuple[Dial, ...]:
    """The dose section's dials, and the outputs its curves read: the headline and the cost output in
    every county it asks for and in the zone."""
    dose = spec.dose
    have = {(o.name, o.region) for o in outputs}
    for name in (spec.headline.output, dose.cost):
        missing = [r for r in (*dose.counties, "zone") if (name, r) not in have]
        if missing:
            raise ScenarioError(path, "dose.cost" if name == dose.cost else "dose.counties",
                                msg("the dose curves need output {name!r} in {places}: write it with {region} and "
                                    "list those places under regions:", name=name, places=", ".join(missing),
                                    region="{region}"))
    return load_dials(path, "dose.dials", dose.dials, base, base_file, overrides, list(dose.counties))

