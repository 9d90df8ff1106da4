"""Batch specs: a sweep like NetLogo's BehaviorSpace (scenario, overrides on a grid or a list, replicates).

A spec is validated like a scenario: every problem is a `ScenarioError` naming the spec file, the key
and the reason, and every point is applied to its scenario and validated before anything runs.

    name: voucher_sweep
    scenario: ../scenarios/baseline.yaml      # or a list of files; paths relative to this file
    replicates: 5
    seed: 0
    months: 60                                # optional: the scenario's horizon otherwise
    overrides: {run.scale: 0.2}               # applied at every point
    grid:                                     # full factorial of these values ...
      policy.vouchers.scope: [own_county, zone, zone_shanghai]
    points:                                   # ... followed by these points (either may be left out)
      - {policy.brokers.cross_county_reach: 0.6}
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from innosim.scenario import ScenarioError, read_yaml
from innosim.i18n import msg
from innosim.scenario.diagnostics import validated
from innosim.scenario.regions import canonical_regions

from .tasks import Task, make_tasks

#: Runs a spec may ask for unless the command is told more (``innosim batch --max-runs N``).
MAX_RUNS = 100_000


class BatchSpec(BaseModel):
    """What `innosim batch` reads."""

    # strict like the scenario files: replicates: '2' and timeseries: 'yes' are refused, not coerced
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

    name: Annotated[str, Field(min_length=1, pattern=r"^[\w.-]+$")] = "batch"
    description: str = ""
    scenario: str | list[str]
    replicates: Annotated[int, Field(ge=1, le=100_000)] = 1
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 0
    months: Annotated[int, Field(ge=1, le=600)] | None = None
    overrides: dict[str, Any] = {}
    grid: dict[str, list[Any]] = {}
    points: list[dict[str, Any]] = []
    timeseries: bool = Field(False, description="also write every run's monthly table to timeseries.parquet")

    @field_validator("grid")
    @classmethod
    def _values_in_grid(cls, grid: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for key, values in grid.items():
            if not values:
                raise ValueError(f"{key}: needs at least one value")
        return grid

    @property
    def scenario_files(self) -> list[str]:
        return [self.scenario] if isinstance(self.scenario, str) else list(self.scenario)

    def swept_keys(self) -> list[str]:
        """The override keys that vary between points, in order of first appearance."""
        keys = list(self.grid)
        for point in self.points:
            keys.extend(k for k in point if k not in keys)
        return keys

    def run_count(self) -> int:
        """Runs the spec asks for (points x replicates x scenario files), counted without building them."""
        points = (math.prod(len(values) for values in self.grid.values()) if self.grid else 0) + len(self.points)
        return max(points, 1) * self.replicates * len(self.scenario_files)

    def point_list(self) -> list[tuple[str, dict[str, Any]]]:
        """(where in the spec, overrides) for every point: the grid's product, then the listed points."""
        found: list[tuple[str, dict[str, Any]]] = []
        if self.grid:
            for values in itertools.product(*self.grid.values()):
                found.append(("grid", dict(zip(self.grid, values, strict=True))))
        found.extend((f"points[{i}]", dict(point)) for i, point in enumerate(self.points))
        return found or [("", {})]


def load_spec(path: str | Path, max_runs: int = MAX_RUNS) -> BatchSpec:
    """Read and validate a batch spec file (not yet its points); refuse more than `max_runs` runs."""
    path = Path(path)
    data = canonical_regions(read_yaml(path), path)  # policy.vouchers.scope.嘉善 as in a scenario
    data.setdefault("name", path.stem)
    spec = validated(BatchSpec, data, path, extra_keys=())
    runs = spec.run_count()
    if runs > max_runs:
        raise ScenarioError(path, "grid" if spec.grid else "points",
                            msg("{total} runs (points x {replicates} replicates x {files} scenario files) are more "
                                "than the limit of {limit}; pass --max-runs {runs} to allow them", total=f"{runs:,}",
                                replicates=spec.replicates, files=len(spec.scenario_files), limit=f"{max_runs:,}",
                                runs=runs))
    for where, point in spec.point_list():
        clash = sorted(set(point) & set(spec.overrides))
        if clash:
            raise ScenarioError(path, f"{where}.{clash[0]}", msg("also set under overrides: set it in one place"))
    return spec


def _blame_spec(spec_file: Path, spec: BatchSpec, where: str, point: dict[str, Any],
                exc: ScenarioError) -> ScenarioError:
    """An error caused by an override is the spec's: name the spec file and the override's key."""
    for prefix, keys in ((where, point), ("overrides", spec.overrides)):
        for key in keys:
            if exc.key == key or exc.key.startswith(key + "."):
                return ScenarioError(spec_file, f"{prefix}.{key}", exc.reason)
    return exc


def spec_tasks(spec: BatchSpec, spec_file: str | Path) -> list[Task]:
    """All tasks of a spec (scenario x point x replicate), every point validated before returning."""
    spec_file = Path(spec_file)
    tasks: list[Task] = []
    for name in spec.scenario_files:
        file = spec_file.parent / name
        if not file.is_file():
            raise ScenarioError(spec_file, "scenario", msg("file not found: {file}{chain}", file=name, chain=""))
        for where, point in spec.point_list():
            try:
                tasks += make_tasks([file], [{**spec.overrides, **point}], replicates=spec.replicates,
                                    root_seed=spec.seed, months=spec.months)
            except ScenarioError as exc:
                raise _blame_spec(spec_file, spec, where, point, exc) from None
    return tasks
