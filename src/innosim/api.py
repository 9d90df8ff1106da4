"""The Python API in three calls, for notebooks and scripts (docs/api.md):

    from innosim import api
    table = api.run("scenarios/baseline.yaml", seed=1, months=24, scale=0.1)   # tidy DataFrame
    store = api.batch(["scenarios/baseline.yaml"], replicates=5, scale=0.1)     # runs in the shared store
    result = api.compare(["scenarios/baseline.yaml", "scenarios/full_integration.yaml"], replicates=5)
    result.differences                                                          # paired differences, CIs

A plain script needs no ``if __name__ == "__main__":`` guard: the batch engine keeps the
script out of its worker processes (a run function defined in the script itself still needs one).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd


def _overrides(scale: float | None, settings: Mapping[str, Any] | None) -> dict[str, Any]:
    overrides = dict(settings or {})
    if scale is not None:
        overrides["run.scale"] = float(scale)
    return overrides


def run(scenario_file: str | Path, seed: int = 1, months: int | None = None, scale: float | None = None,
        settings: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """One run in this process: the tidy monthly table (month, date, region, indicator, value).

    settings: dotted keys as `--set` takes them, e.g. ``{"policy.vouchers.scope": "zone"}``."""
    from innosim.model import simulate
    from innosim.scenario import load_scenario

    scenario = load_scenario(scenario_file, _overrides(scale, settings), override_source="settings")
    return simulate(scenario, seed=seed, months=months).timeseries


def batch(scenario_files: Sequence[str | Path], replicates: int = 5, scale: float | None = None,
          settings: Mapping[str, Any] | None = None, months: int | None = None, seed: int = 0,
          jobs: int | None = None, store: str | Path | None = None, progress: bool = False):
    """Replicates of each scenario on every core, kept in the results store (default: the shared
    out/store/results.sqlite, so runs done before are reused). Returns ``(store, tasks)``:
    ``store.end_values(tasks)`` and ``store.timeseries(tasks)`` are tidy DataFrames."""
    from innosim.batch import default_store_path, make_tasks, run_batch

    tasks = make_tasks(list(scenario_files), [_overrides(scale, settings)], replicates=replicates,
                       root_seed=seed, months=months)
    result = run_batch(tasks, store or default_store_path(), jobs=jobs, progress=progress)
    return result, tasks


def compare(scenario_files: Sequence[str | Path], replicates: int = 20, scale: float | None = 0.5,
            settings: Mapping[str, Any] | None = None, months: int | None = None, seed: int = 0,
            jobs: int | None = None, store: str | Path | None = None, progress: bool = False):
    """The first scenario against the others with common random numbers: a `Comparison` whose
    `summary` (means, 95 % CIs) and `differences` (paired, against the first) are DataFrames."""
    from innosim.analysis.compare.tables import gather
    from innosim.analysis.compare.report import BAND_INDICATORS

    results, tasks = batch(scenario_files, replicates, scale, settings, months, seed, jobs, store, progress)
    groups = {}
    for i in range(len(scenario_files)):
        group = tasks[i * replicates:(i + 1) * replicates]
        groups[group[0].scenario.name] = group
    if len(groups) != len(scenario_files):
        raise ValueError("two scenarios share a name: give one of them another `name:`")
    try:
        return gather(results, groups, band_indicators=BAND_INDICATORS)
    finally:
        results.close()


__all__ = ["batch", "compare", "run"]
