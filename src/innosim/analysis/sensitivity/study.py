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

    def label(self, factor: str) -> str:
        return self.labels.get(factor, factor)

    def ranking(self) -> pd.DataFrame:
        """All outputs' indices in one long table, best first within each output."""
        frames = [r.indices.reset_index().assign(output=name, label=lambda d: d["factor"].map(self.label))
                  for name, r in self.results.items() if r.indices is not None]
        if not frames:
            return pd.DataFrame()
        table = pd.concat(frames, ignore_index=True)
        front = ["output", "rank", "factor", "label"]
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
                  seed: int = 0, labels: dict | None = None, batch: dict | None = None) -> Study:
    """SALib analysis of every output over the replicate means of `runs`."""
    results = {}
    for output in outputs:
        Y = replicate_matrix(runs, output.name, len(X), replicates)
        results[output.name] = analyse_output(method, problem, X, Y, output.name, n=n, levels=levels,
                                              second_order=second_order, resamples=resamples,
                                              confidence=confidence, seed=seed)
    settings = {"levels": levels, "second_order": second_order, "confidence": confidence,
                "resamples": resamples, "seed": seed}
    return Study(name, method, problem, X, n, replicates, runs, results,
                 {o.name: o.expression for o in outputs}, labels or {}, settings, batch or {})


def design_size(experiment: Experiment, method: str, n: int, second_order: bool) -> int:
    d = len(experiment.factors)
    return n * ((d + 1) if method == "morris" else (2 * d + 2 if second_order else d + 2))


def run_experiment(experiment: Experiment, method: str, store: ResultStore | str | Path, *,
                   n: int | None = None, replicates: int | None = None, second_order: bool | None = None,
                   jobs: int | None = None, scheduler: str | None = None,
                   progress: bool | None = None) -> Study:
    """The whole study for the model: the experiment's sizes unless n / replicates are given."""
    spec = experiment.spec
    if n is None:
        n = spec.morris.trajectories if method == "morris" else spec.sobol.n
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
    return analyse_study(experiment.name, method, problem, X, runs, list(experiment.outputs), n=n,
                         replicates=replicates, levels=spec.morris.levels, second_order=second_order,
                         confidence=spec.bootstrap.confidence, resamples=spec.bootstrap.resamples,
                         seed=spec.seed, labels={f.name: f.label for f in experiment.factors}, batch=batch)


