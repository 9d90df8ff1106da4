"""Global sensitivity analysis over replicate-averaged outputs; SALib does the statistics.

The pipeline passes one SALib `problem` dict along: sample it (SALib) -> one batch task per sample
point and replicate -> `run_batch` (parallel, resumable, Dask-capable) -> outputs per run from the
store's end values -> replicate means and within-point variance -> SALib analysis -> ranking,
bootstrap confidence intervals, the share of variance that is replicate noise, and a convergence
check (the same analysis on the first half of the design).

Methods: Morris (1991) elementary effects with Campolongo, Cariboni & Saltelli's (2007) mu*;
Sobol' (2001) indices with the estimators of Saltelli et al. (2010) on Saltelli's (2002) design.
This module reads result tables and never touches agents.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample
from scipy.stats import norm

from innosim.batch import ResultStore, Task, make_tasks
from innosim.batch.tasks import run_task_end_only

from innosim.analysis.sensitivity.experiment import Experiment, Output
from innosim.analysis.outputs import Term, window_values
from innosim.analysis.sensitivity.checks import design_pairs, judge, noise_share, rows_per_unit

METHODS = ("morris", "sobol")
TRAJECTORY_BOOTSTRAP = 200   #: resamples of whole trajectories for the CIs of Morris mu and sigma


def bootstrap_seed(seed: int) -> int:
    """A non-zero seed for SALib's bootstraps (SALib's Sobol' analysis ignores a seed of 0)."""
    return int(np.random.SeedSequence([seed, 1]).generate_state(1)[0]) or 1


def draw_sample(problem: dict, method: str, n: int, *, levels: int = 4, second_order: bool = False,
                seed: int = 0) -> np.ndarray:
    """SALib's design: n Morris trajectories, or Saltelli's extension of n Sobol' points."""
    if method == "morris":
        return morris_sample.sample(dict(problem), n, num_levels=levels, seed=seed)
    if method == "sobol":
        return sobol_sample.sample(dict(problem), n, calc_second_order=second_order, seed=seed)
    raise ValueError(f"unknown method {method!r}; one of {', '.join(METHODS)}")


def model_tasks(experiment: Experiment, X: np.ndarray, replicates: int,
                run_fn=run_task_end_only) -> tuple[list[Task], np.ndarray]:
    """Batch tasks for every sample row and replicate (row-major), and each task's row.

    Rows that map to the same scenario (switches and choices make some) share their tasks, so the
    batch runs them once. Validation of every point happens here, before anything runs.
    """
    points = [experiment.point_overrides(row) for row in X]
    texts = [json.dumps(p, sort_keys=True) for p in points]
    unique = list(dict.fromkeys(texts))
    index = {text: i for i, text in enumerate(unique)}
    made = make_tasks([str(experiment.base_file)], [json.loads(t) for t in unique], replicates=replicates,
                      root_seed=experiment.spec.seed, run_fn=run_fn)
    tasks = [made[index[text] * replicates + r] for text in texts for r in range(replicates)]
    return tasks, np.repeat(np.arange(len(X)), replicates)


def run_outputs(store: ResultStore, tasks: Sequence[Task], rows: np.ndarray,
                outputs: Sequence[Output]) -> pd.DataFrame:
    """Outputs of every stored run: columns row, replicate, key and one per output."""
    unique = list({t.key: t for t in tasks}.values())
    table = store.end_values(unique)
    values = table.set_index(["key", "indicator", "region"])["value"].to_dict()
    windows = [term for o in outputs for term in o.terms if term.windowed]
    if windows:  # window aggregates read the monthly series (the runs were made with run_task)
        series = store.timeseries(unique, indicators=sorted({t.indicator for t in windows}))
        values |= window_values(series, windows)
    per_key = {}
    for key in dict.fromkeys(table["key"]):
        def value(term: Term, key: str = key) -> float:
            found = (key, term) if term.windowed else (key, term.indicator, term.region)
            return float(values.get(found, math.nan))
        per_key[key] = [o.evaluate(value) for o in outputs]
    records = [(row, t.replicate, t.key, *per_key[t.key]) for t, row in zip(tasks, rows, strict=True)
               if t.key in per_key]
    return pd.DataFrame(records, columns=["row", "replicate", "key", *[o.name for o in outputs]])


def replicate_matrix(runs: pd.DataFrame, output: str, n_rows: int, replicates: int) -> np.ndarray:
    """rows x replicates array of one output (NaN where a run is missing or undefined)."""
    matrix = np.full((n_rows, replicates), np.nan)
    matrix[runs["row"].to_numpy(), runs["replicate"].to_numpy()] = runs[output].to_numpy(dtype=float)
    return matrix


def _rank_intervals(samples: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bootstrap draws x factors -> each factor's central `confidence` interval of ranks (1 = top)
    and the share of draws in which it ranks first."""
    ranks = (-samples).argsort(axis=1).argsort(axis=1) + 1
    tail = (1 - confidence) / 2 * 100
    return (np.percentile(ranks, tail, axis=0), np.percentile(ranks, 100 - tail, axis=0),
            (ranks == 1).mean(axis=0))


def morris_indices(problem: dict, X: np.ndarray, Y: np.ndarray, *, levels: int, resamples: int,
                   confidence: float, seed: int, bootstrap: int = TRAJECTORY_BOOTSTRAP) -> pd.DataFrame:
    """mu*, mu and sigma with bootstrap CIs. SALib bootstraps mu* over elementary effects; the CIs of
    mu and sigma and the rank intervals come from resampling whole trajectories through SALib."""
    si = morris_analyze.analyze(dict(problem), X, Y, num_levels=levels, num_resamples=resamples,
                                conf_level=confidence, seed=seed)
    table = pd.DataFrame({k: np.asarray(si[k], dtype=float) for k in ("mu_star", "mu_star_conf", "mu", "sigma")},
                         index=pd.Index(problem["names"], name="factor"))
    if bootstrap:
        size = problem["num_vars"] + 1
        Xt, Yt = X.reshape(-1, size, X.shape[1]), Y.reshape(-1, size)
        rng = np.random.default_rng(seed)
        draws = {k: [] for k in ("mu_star", "mu", "sigma")}
        for _ in range(bootstrap):
            pick = rng.integers(len(Yt), size=len(Yt))
            b = morris_analyze.analyze(dict(problem), Xt[pick].reshape(-1, X.shape[1]), Yt[pick].reshape(-1),
                                       num_levels=levels, num_resamples=2, seed=seed)
            for k in draws:
                draws[k].append(np.asarray(b[k], dtype=float))
        z = norm.ppf(0.5 + confidence / 2)
        table["mu_conf"] = z * np.std(draws["mu"], axis=0, ddof=1)
        table["sigma_conf"] = z * np.nanstd(draws["sigma"], axis=0, ddof=1)
        table["rank_low"], table["rank_high"], table["p_first"] = _rank_intervals(np.array(draws["mu_star"]),
                                                                                  confidence)
    return table


def sobol_indices(problem: dict, Y: np.ndarray, *, second_order: bool, resamples: int, confidence: float,
                  seed: int) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """S1 and ST (and S2) with SALib's bootstrap CIs; rank intervals of ST from the same resamples."""
    si = sobol_analyze.analyze(dict(problem), Y, calc_second_order=second_order, num_resamples=resamples,
                               conf_level=confidence, seed=bootstrap_seed(seed), keep_resamples=True)
    names = problem["names"]
    table = pd.DataFrame({k: np.asarray(si[k], dtype=float) for k in ("S1", "S1_conf", "ST", "ST_conf")},
                         index=pd.Index(names, name="factor"))
    table["rank_low"], table["rank_high"], table["p_first"] = _rank_intervals(np.asarray(si["ST_conf_all"]),
                                                                              confidence)
    pairs = None
    if second_order:
        pairs = pd.DataFrame([(names[i], names[j], si["S2"][i, j], si["S2_conf"][i, j])
                              for i in range(len(names)) for j in range(i + 1, len(names))],
                             columns=["factor", "other", "S2", "S2_conf"])
    return table, pairs


@dataclass
class OutputResult:
    """Everything known about one output: indices at N and N/2, noise, verdict, warnings."""

    output: str
    indices: pd.DataFrame | None
    half: pd.DataFrame | None = None
    pairs: pd.DataFrame | None = None
    noise: dict = field(default_factory=dict)
    noise_floor: float = math.nan          # an index below this cannot be told from noise
    top_half: list[str] = field(default_factory=list)
    top_full: list[str] = field(default_factory=list)
    max_change: float = math.nan           # largest change of a (normalised) index from N/2 to N
    verdict: str = ""
    warnings: list[str] = field(default_factory=list)
    skipped: str = ""


def measure(method: str) -> str:
    return "mu_star" if method == "morris" else "ST"


def _top(table: pd.DataFrame, column: str, k: int) -> list[str]:
    return list(table[column].sort_values(ascending=False, kind="stable").index[:k])


def _normalised(table: pd.DataFrame, column: str, method: str) -> pd.Series:
    values = table[column]
    if method == "morris":
        return values / values.max() if values.max() > 0 else values * 0
    return values


def analyse_output(method: str, problem: dict, X: np.ndarray, Y: np.ndarray, output: str, *, n: int,
                   levels: int = 4, second_order: bool = False, resamples: int = 1000,
                   confidence: float = 0.95, seed: int = 0, top: int = 3) -> OutputResult:
    """Analyse one output: Y is rows x replicates. Indices use the replicate means."""
    result = OutputResult(output, None)
    missing = np.isnan(Y).all(axis=1)
    if missing.any():
        result.skipped = f"undefined (no value) at {int(missing.sum())} of {len(Y)} design points"
        return result
    means = np.nanmean(Y, axis=1)
    if np.ptp(means) <= np.finfo(float).eps * max(1.0, abs(means).max()):
        result.skipped = "the same value at every design point: no factor moves it"
        return result
    result.noise = noise_share(Y, design_pairs(problem, method, len(Y), second_order))
    R = Y.shape[1]
    column = measure(method)
    half_rows = n // 2 * rows_per_unit(problem, method, second_order)
    checkable = n // 2 >= 2 and np.ptp(means[:half_rows]) > 0
    if method == "morris":
        result.indices = morris_indices(problem, X, means, levels=levels, resamples=resamples,
                                        confidence=confidence, seed=seed)
        if checkable:
            result.half = morris_indices(problem, X[:half_rows], means[:half_rows], levels=levels,
                                         resamples=resamples, confidence=confidence, seed=seed, bootstrap=0)
        delta = levels / (2 * (levels - 1))
        # mu* of a factor that does nothing: mean |noise of a step| / delta, noise ~ N(0, pair_var)
        result.noise_floor = math.sqrt(result.noise["pair_var"]) / delta * math.sqrt(2 / math.pi)
    else:
        result.indices, result.pairs = sobol_indices(problem, means, second_order=second_order,
                                                     resamples=resamples, confidence=confidence, seed=seed)
        if checkable:
            result.half, _ = sobol_indices(problem, means[:half_rows], second_order=second_order,
                                           resamples=min(resamples, 200), confidence=confidence, seed=seed)
        # ST of a factor that does nothing: 0.5 E[(noise_A - noise_AB)^2] / Var(Y)
        result.noise_floor = 0.5 * result.noise["pair_var"] / float(np.var(means))
    table = result.indices
    conf = f"{column}_conf"
    table["rank"] = table[column].rank(ascending=False, method="min").astype(int)
    above = (table[column] - table[conf] > result.noise_floor).astype("boolean")
    table["above_noise"] = above if not math.isnan(result.noise_floor) else pd.array([pd.NA] * len(table),
                                                                                      dtype="boolean")
    k = min(top, len(table))
    result.top_full = _top(table, column, k)
    if result.half is not None:
        result.top_half = _top(result.half, column, k)
        result.max_change = float((_normalised(table, column, method)
                                   - _normalised(result.half, column, method)).abs().max())
    judge(result, method, n, R, column)
    return result
