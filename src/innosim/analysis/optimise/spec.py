"""Optimisation files: a county's levers as dials, its budget, the objectives a planner picks, and
the calibration ensemble every package is judged over.

    name: optimise
    base: ../scenarios/baseline.yaml
    county: jiashan
    dials_from: levers.yaml            # the dials of a lever file's dose: section (or dials: {...})
    use: [vouchers, incubation, rd_subsidy]
    budget: 20                         # M CNY a year above the base's public cost in the county
    cost: sum(public_cost.jiashan, per=year)
    objectives:
      hnte: {output: "mean(hnte_stock.jiashan, last=36)", sense: max, label: Jiashan's HNTE stock 2026-28}
      cost: {output: "sum(public_cost.jiashan, per=year)", sense: min, label: public cost}
    robust: {from_ensemble: ../calibration/ensemble.yaml, members: 3, aggregate: mean}
    algorithm: {population: 12, generations: 8, seed: 1}

Validated before anything runs: every problem is a `ScenarioError` naming the file and the key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from innosim.catalogue import COUNTIES
from innosim.i18n import msg
from innosim.scenario import ScenarioError, load_scenario, resolve_chain
from innosim.scenario.diagnostics import validated
from innosim.scenario.errors import raise_all

from innosim.analysis.levers.dials import Dial, DialSpec, load_dials
from innosim.analysis.outputs import Output, parse_output
from innosim.analysis.specfile import validate_spec


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


class ObjectiveSpec(_Strict):
    output: Annotated[str, Field(min_length=1)]
    sense: Literal["max", "min"]
    label: str | None = None


class RobustSpec(_Strict):
    from_ensemble: str | None = Field(None, description="a calibration ensemble.yaml: packages are judged over "
                                                        "its members (none: the base's parameters alone)")
    members: Annotated[int, Field(ge=1, le=100)] = 3
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 2024
    aggregate: Literal["mean", "worst_decile"] = Field(
        "mean", description="what the search optimises over the members: their mean, or the worst decile")


class AlgorithmSpec(_Strict):
    name: Literal["nsga2"] = "nsga2"
    population: Annotated[int, Field(ge=4, le=1000)] = 12
    generations: Annotated[int, Field(ge=1, le=1000)] = 8
    seed: Annotated[int, Field(ge=0, le=2**32 - 1)] = 1
    resolution: Annotated[float, Field(gt=0.0, le=1.0)] = Field(
        0.01, description="intensities are rounded to this step, so that packages met again reuse their runs")


class OptimiseSpec(_Strict):
    name: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")]
    description: str = ""
    base: Annotated[str, Field(min_length=1)]
    scale: Annotated[float, Field(gt=0.0, le=10.0)] = 0.5
    months: Annotated[int, Field(ge=1, le=600)] | None = None
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 0
    seeds: Annotated[int, Field(ge=1, le=1000)] = 2
    county: Literal[COUNTIES]
    dials_from: str | None = None
    use: list[str] | None = None
    dials: dict[str, DialSpec] | None = None
    budget: Annotated[float, Field(ge=0.0, le=100_000.0)]
    cost: Annotated[str, Field(min_length=1)]
    objectives: Annotated[dict[str, ObjectiveSpec], Field(min_length=1, max_length=4)]
    robust: RobustSpec = RobustSpec()
    algorithm: AlgorithmSpec = AlgorithmSpec()
    level: Annotated[float, Field(gt=0.5, lt=1.0)] = 0.95


@dataclass(frozen=True)
class Objective:
    name: str
    label: str
    output: Output
    sense: str          # "max" or "min"


@dataclass
class Optimisation:
    """A validated optimisation: what it varies, what it asks, over which parameter sets."""

    file: Path
    spec: OptimiseSpec
    base_file: Path
    dials: tuple[Dial, ...]
    objectives: tuple[Objective, ...]
    cost: Output
    members: list[dict[str, Any]]           # behavioural overrides of each parameter set ({} : the base's)
    members_source: str
    start: str
    months: int
    extra: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.spec.name


def _file(path: Path, origin: dict, loc: tuple[str, ...], value: str, lever_file: bool = False) -> Path:
    found = (Path(origin.get(loc, path)).parent / value).resolve()
    if not found.is_file():
        raise ScenarioError(path, ".".join(loc), msg("lever file not found: {file}", file=value) if lever_file
                            else msg("scenario file not found: {file}", file=value))
    return found


def _dial_specs(path: Path, spec: OptimiseSpec, origin: dict) -> dict[str, DialSpec]:
    """The dials: written here, or taken from a lever file's dose: section (those named in `use`)."""
    if (spec.dials is None) == (spec.dials_from is None):
        raise ScenarioError(path, "dials", msg("give the dials here (dials:) or the lever file that has them "
                                               "(dials_from:), one of the two"))
    if spec.dials is not None:
        specs = dict(spec.dials)
    else:
        source = _file(path, origin, ("dials_from",), spec.dials_from, lever_file=True)
        data, chain = resolve_chain(source)
        raw = ((data or {}).get("dose") or {}).get("dials") if isinstance(data, dict) else None
        if not isinstance(raw, dict) or not raw:
            raise ScenarioError(path, "dials_from", msg("{file} has no dose: section with dials", file=spec.dials_from))
        specs, problems = {}, []
        for name, value in raw.items():  # every problem at its line of the lever file, in plain words
            try:
                specs[name] = validated(DialSpec, value, source, chain, prefix=("dose", "dials", name), extra_keys=())
            except ScenarioError as exc:
                problems.extend(exc.problems)
        raise_all(problems)
    if spec.use is not None:
        unknown = [name for name in spec.use if name not in specs]
        if unknown:
            raise ScenarioError(path, "use", msg("no dial {name!r} (dials: {names})", name=unknown[0],
                                                 names=", ".join(specs)))
        specs = {name: specs[name] for name in spec.use}
    if not specs:
        raise ScenarioError(path, "use", msg("no dial to optimise"))
    return specs


def _members(path: Path, spec: OptimiseSpec, origin: dict, base: dict) -> tuple[list[dict], str]:
    if spec.robust.from_ensemble is None:
        return [{}], "the base's behavioural parameters"
    from innosim.analysis.levers.calibrated import read_ensemble

    ensemble = read_ensemble(path, "robust.from_ensemble", spec.robust.from_ensemble,
                              {("robustness", "from_ensemble"): origin.get(("robust", "from_ensemble"), path)}, base)
    picks = ensemble.pick(spec.robust.members, spec.robust.seed)
    members = []
    for i in picks:
        row = ensemble.members.iloc[int(i)]
        members.append({name: (int(row[name]) if ensemble.members[name].dtype.kind == "i" else float(row[name]))
                        for name in ensemble.names})
    return members, f"{len(members)} members of {ensemble.describe()}, drawn by weight (seed {spec.robust.seed})"


def load_optimise(path: str | Path, scale: float | None = None) -> Optimisation:
    """Read, merge (`extends:`) and validate an optimisation file; nothing is run."""
    path = Path(path)
    data, origin = resolve_chain(path)
    spec = validate_spec(OptimiseSpec, data, origin, path)
    if scale is not None:
        spec = spec.model_copy(update={"scale": float(scale)})
    base_file = _file(path, origin, ("base",), spec.base)
    overrides = {"run.scale": spec.scale, **({"run.months": spec.months} if spec.months else {})}
    try:
        base_scenario = load_scenario(base_file, overrides)
    except ScenarioError as exc:
        raise ScenarioError(path, "scale" if exc.key and exc.key.startswith("run.") else "base",
                            msg("{key}: {reason}", key=exc.key or msg("value"), reason=exc.reason)) from None
    base = base_scenario.model_dump(mode="python")
    dials = load_dials(path, "dials", _dial_specs(path, spec, origin), base, base_file, overrides, [spec.county])
    objectives = tuple(Objective(name, o.label or name.replace("_", " "), parse_output(path, name, o.output), o.sense)
                       for name, o in spec.objectives.items())
    for objective in objectives:
        if objective.output.operator is not None:
            raise ScenarioError(path, f"objectives.{objective.name}", msg("an objective is one indicator at one "
                                                                          "place (its effect is measured against "
                                                                          "the base)"))
    cost = parse_output(path, "cost", spec.cost)
    members, source = _members(path, spec, origin, base)
    return Optimisation(path, spec, base_file, dials, objectives, cost, members, source,
                        base_scenario.run.start, base_scenario.run.months)
