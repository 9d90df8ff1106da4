"""Tasks of a batch: (scenario, parameter overrides, replicate) with a seed, and the default run.

Seeds come from one root seed through `numpy.random.SeedSequence`, so replicate r gets the same
seed in every scenario and at every parameter point (common random numbers), whatever the number
of workers. A task's key hashes everything that decides its numbers; the results store is keyed by
it, so an edited scenario file changes only its own keys and reruns only its own runs.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from innosim.catalogue import INDICATORS
from innosim.guard import guarded_simulate
from innosim.scenario import Scenario, content_hash, load_scenario


def derive_seeds(root_seed: int, n: int) -> list[int]:
    """n independent seeds from one root: ``SeedSequence(root_seed).spawn(n)``, 63 bits each.

    Replicate r gets the same seed for every n > r, so adding replicates keeps the old ones.
    """
    children = np.random.SeedSequence(root_seed).spawn(n)
    return [int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for child in children]


def _plain(value: Any) -> Any:
    """numpy scalars and tuples as JSON-friendly Python values (keys must not depend on the type)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def overrides_json(overrides: Sequence[tuple[str, Any]]) -> str:
    """Overrides as canonical JSON text: a mapping with sorted keys."""
    return json.dumps({k: _plain(v) for k, v in sorted(overrides)}, sort_keys=True, separators=(",", ":"))


def function_name(fn: Callable) -> str:
    """``module.qualname`` of a run function: part of every task key."""
    return f"{fn.__module__}.{fn.__qualname__}"


@dataclass(frozen=True)
class Task:
    """One run to do: a validated scenario (overrides applied), a replicate and its seed."""

    scenario_file: str
    scenario: Scenario
    overrides: tuple[tuple[str, Any], ...]
    replicate: int
    seed: int
    months: int | None = None
    run_fn: str = ""  # qualified name of the run function; "" means the default `run_task`

    @cached_property
    def key(self) -> str:
        """Stable hash of (scenario content, overrides, seed, months, run function name, model code).

        The model's source is part of the key, so runs stored before a change to the model are
        never reused as if the changed model had made them."""
        blob = json.dumps([content_hash(self.scenario), overrides_json(self.overrides), int(self.seed),
                           self.months, self.run_fn or DEFAULT_RUN_FN, model_code_hash()],
                          separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()[:24]

    @property
    def label(self) -> str:
        """Short human description for progress and error messages."""
        point = ", ".join(f"{k}={v}" for k, v in self.overrides)
        return f"{self.scenario.name}" + (f" [{point}]" if point else "") + f" replicate {self.replicate}"


@functools.cache
def model_code_hash() -> str:
    """Hash of the source of `innosim.model`, the scenario schema it reads and the catalogue both
    derive from (a place's facts, a lever's rule)."""
    import innosim.catalogue
    import innosim.model
    import innosim.scenario

    digest = hashlib.sha256()
    for package in (innosim.model, innosim.scenario, innosim.catalogue):
        for path in sorted(Path(package.__file__).parent.glob("*.py")):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def make_tasks(scenario_files: Sequence[str | Path], overrides: Sequence[Mapping[str, Any]] | None = None,
               replicates: int = 1, root_seed: int = 0, months: int | None = None,
               run_fn: Callable | None = None) -> list[Task]:
    """Every scenario file x override point x replicate, in that order.

    All scenarios are loaded and validated (with each override point) before anything is returned:
    a bad file raises `ScenarioError` naming it, so nothing runs and nothing is written.
    """
    if replicates < 1:
        raise ValueError("replicates must be at least 1")
    points = list(overrides) if overrides else [{}]
    seeds = derive_seeds(root_seed, replicates)
    fn_name = "" if run_fn is None or run_fn is run_task else function_name(run_fn)
    tasks = []
    for file in scenario_files:
        for point in points:
            scenario = load_scenario(file, point)
            pairs = tuple(sorted((str(k), _plain(v)) for k, v in point.items()))
            tasks.extend(Task(str(file), scenario, pairs, r, seeds[r], months, fn_name)
                         for r in range(replicates))
    return tasks


@dataclass
class RunRecord:
    """What a worker sends back: indicator tables, never a model."""

    end: dict[str, dict[str, float]]
    timeseries: pd.DataFrame | None = None
    relocations: np.ndarray | None = None
    firms: pd.DataFrame | None = None  # the firm table at the end (model/stylised.py), when a run function keeps it


def run_task(task: Task) -> RunRecord:
    """The default run function: one simulation of the task's scenario and seed."""
    result = guarded_simulate(task.scenario, task.seed, task.months)  # frees its model: memory stays flat
    return RunRecord(end=result.end, timeseries=result.timeseries, relocations=result.relocations)


def run_task_end_only(task: Task) -> RunRecord:
    """Like `run_task` but keeps only the end values (smaller stores for large sweeps)."""
    record = run_task(task)
    return RunRecord(end=record.end, relocations=record.relocations)


def windows(table: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Each indicator of a monthly table over the whole run (``@total``) and per calendar year
    (``@YYYY``). Flows are summed; stocks and rates are read at the window's last month."""
    kind = {i.name: i.kind for i in INDICATORS}
    table = table.assign(year=table["date"].str[:4])
    out: dict[str, dict[str, float]] = {}
    for window, part in [("total", table), *table.groupby("year", sort=True)]:
        flows = part[part["indicator"].map(kind) == "flow"]
        summed = flows.groupby(["indicator", "region"], sort=False)["value"].sum()
        last = part[(part["month"] == part["month"].max()) & (part["indicator"].map(kind) != "flow")]
        for frame in (summed.reset_index(), last):
            for indicator, region, value in frame[["indicator", "region", "value"]].itertuples(index=False):
                out.setdefault(f"{indicator}@{window}", {})[region] = None if pd.isna(value) else float(value)
    return out


def run_task_by_window(task: Task) -> RunRecord:
    """Calibration's run function: every indicator over the whole run and each calendar year
    (`windows`), and the end-of-run measures of the model's tables (``highend_talents_in@total``,
    ``startup_survival@total``: model/stylised.py); no monthly table."""
    result = guarded_simulate(task.scenario, task.seed, task.months, measures=True)
    end = windows(result.timeseries)
    end.update({f"{name}@total": values for name, values in result.measures.items()})
    return RunRecord(end=end, relocations=result.relocations)


def run_task_firms(task: Task) -> RunRecord:
    """Like `run_task_end_only`, with the firm table at the run's end (the stylised facts read it)."""
    result = guarded_simulate(task.scenario, task.seed, task.months, measures=True)
    return RunRecord(end=result.end, relocations=result.relocations, firms=result.firms)


DEFAULT_RUN_FN = function_name(run_task)
