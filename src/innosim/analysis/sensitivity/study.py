"""One sensitivity study from start to end: sample, run through the batch engine, analyse.

`evaluate` and `analyse_study` work for any run function (the model, or the Ishigami function
that verifies the pipeline); `run_experiment` wires them to an experiment file and the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from innosim.batch import ResultStore, Task, run_batch
from innosim.batch.tasks import run_task, run_task_end_only

from innosim.analysis.sensitivity.experiment import Experiment, Output
from innosim.analysis.sensitivity.indices import OutputResult, analyse_output, draw_sample, model_tasks, replicate_matrix, run_outputs


@dataclass
class Study:
    """A finished study: the design, every run's outputs, and the analysis of each output."""

    name: str
    method: str
    problem: dict
    X: np.ndarray
    n: int
    replicates: int
    runs: pd.DataFrame
    results: dict[str, OutputResult]
    outputs: dict[str, str]                       # name -> expression
    labels: dict[str, str] = field(default_factory=dict)
    settings: dict = field(default_factory=dict)  # levels, second_order, confidence, resamples, seed
    batch: dict = field(default_factory=dict)     # what run_batch did: tasks, stored_before, ran, seconds
    roles: dict[str, str] = field(default_factory=dict)   # factor -> "lever" or "uncertainty"
    kinds: dict[str, str] = field(default_factory=dict)   # factor -> switch, choice, real, integer, multiply
    kept_from: str = ""                           # the screening's kept.yaml the factors come from

    def label(self, factor: str) -> str:
        return self.labels.get(factor, factor)

    def role(self, factor: str) -> str:
        """A factor's role: as the experiment says, else a lever when it is a policy setting."""
        return self.roles.get(factor) or ("lever" if factor.startswith("policy.") else "uncertainty")

    def ranking(self) -> pd.DataFrame:
        """All outputs' indices in one long table, best first within each output."""
        frames = [r.indices.reset_index().assign(output=name, label=lambda d: d["factor"].map(self.label))
                  for name, r in self.results.items() if r.indices is not None]
        if not frames:
            return pd.DataFrame()
        table = pd.concat(frames, ignore_index=True)
        table["role"] = table["factor"].map(self.role)
        front = ["output", "rank", "factor", "label", "role"]
        return table[front + [c for c in table.columns if c not in front]].sort_values(
            ["output", "rank"], kind="stable").reset_index(drop=True)


def evaluate(tasks: list[Task], rows: np.ndarray, store: ResultStore, outputs: list[Output], *,
             run_fn=run_task_end_only, jobs: int | None = None, scheduler: str | None = None,
             progress: bool | None = None, label: str = "") -> tuple[pd.DataFrame, dict]:
    """Run the tasks the store lacks (parallel, resumable) and read every run's outputs."""
    run_batch(tasks, store, jobs=jobs, scheduler=scheduler, run_fn=run_fn, progress=progress, label=label)
    return run_outputs(store, tasks, rows, outputs), dict(store.last_batch)


def analyse_study(name: str, method: str, problem: dict, X: np.ndarray, runs: pd.DataFrame,
                  outputs: list[Output], *, n: int, replicates: int, levels: int = 4,
                  second_order: bool = False, confidence: float = 0.95, resamples: int = 1000,
                  seed: int = 0, labels: dict | None = None, batch: dict | None = None, ids=None,
                  roles: dict | None = None, kinds: dict | None = None,
                  emulator_settings: dict | None = None) -> Study:
    """The analysis of every output over the replicates in `runs`; `ids` as for `analyse_output`."""
    results = {}
    for output in outputs:
        Y = replicate_matrix(runs, output.name, len(X), replicates)
        results[output.name] = analyse_output(method, problem, X, Y, output.name, n=n, levels=levels,
                                              second_order=second_order, resamples=resamples,
                                              confidence=confidence, seed=seed, ids=ids,
                                              emulator_settings=emulator_settings)
    settings = {"levels": levels, "second_order": second_order, "confidence": confidence,
                "resamples": resamples, "seed": seed}
    if method == "emulator":
        settings["emulator"] = dict(emulator_settings or {})
    return Study(name, method, problem, X, n, replicates, runs, results,
                 {o.name: o.expression for o in outputs}, labels or {}, settings, batch or {}, roles or {},
                 kinds or {})


def design_size(experiment: Experiment, method: str, n: int, second_order: bool) -> int:
    d = len(experiment.factors)
    if method == "emulator":
        return n
    return n * ((d + 1) if method == "morris" else (2 * d + 2 if second_order else d + 2))


def default_n(experiment: Experiment, method: str) -> int:
    spec = experiment.spec
    return {"morris": spec.morris.trajectories, "sobol": spec.sobol.n, "emulator": spec.emulator.n}[method]


def run_experiment(experiment: Experiment, method: str, store: ResultStore | str | Path, *,
                   n: int | None = None, replicates: int | None = None, second_order: bool | None = None,
                   jobs: int | None = None, scheduler: str | None = None,
                   progress: bool | None = None) -> Study:
    """The whole study for the model: the experiment's sizes unless n / replicates are given."""
    spec = experiment.spec
    n = n or default_n(experiment, method)
    replicates = replicates or spec.replicates
    second_order = spec.sobol.second_order if second_order is None else second_order
    problem = experiment.problem()
    X = draw_sample(problem, method, n, levels=spec.morris.levels, second_order=second_order, seed=spec.seed)
    # window aggregates need each run's monthly series; end values alone keep the store small
    windowed = any(o.windowed for o in experiment.outputs)
    tasks, rows = model_tasks(experiment, X, replicates, run_fn=run_task if windowed else run_task_end_only)
    if not isinstance(store, ResultStore):
        store = ResultStore(store)
    runs, batch = evaluate(tasks, rows, store, list(experiment.outputs), run_fn=run_task if windowed else
                           run_task_end_only, jobs=jobs, scheduler=scheduler,
                           progress=progress, label=f"{experiment.name} {method}")
    distinct = len({t.key for t in tasks})  # points that repeat (switches, a coarse grid) share runs
    batch.update(design_points=len(X), distinct_runs=distinct, stored_before=distinct - batch["ran"],
                 repeated=len(tasks) - distinct)
    emulator_settings = spec.emulator.model_dump(exclude={"n"}) if method == "emulator" else None
    study = analyse_study(experiment.name, method, problem, X, runs, list(experiment.outputs), n=n,
                          replicates=replicates, levels=spec.morris.levels, second_order=second_order,
                          confidence=spec.bootstrap.confidence, resamples=spec.bootstrap.resamples,
                          seed=spec.seed, labels={f.name: f.label for f in experiment.factors}, batch=batch,
                          ids=experiment.scenario_ids(X), roles={f.name: f.role for f in experiment.factors},
                          kinds={f.name: f.kind for f in experiment.factors},
                          emulator_settings=emulator_settings)
    study.settings |= {"scale": spec.scale, "months": spec.months}
    study.kept_from = str(experiment.kept_from or "")
    return study


