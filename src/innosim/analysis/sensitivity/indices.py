"""Global sensitivity analysis over replicate-averaged outputs; SALib does the statistics.

The pipeline passes one SALib `problem` dict along: sample it -> one batch task per sample point
and replicate -> `run_batch` (parallel, resumable, Dask-capable) -> outputs per run from the
store's end values -> replicate means and within-point variance -> analysis -> ranking, bootstrap
confidence intervals, the share of variance that is replicate noise, and a convergence check (the
same analysis on the first half of the design).

Methods (one module each): `morris` - Morris (1991) elementary effects with Campolongo, Cariboni &
Saltelli's (2007) mu*, switches and choices measured by their on/off and option-to-option effects;
`sobol` - Sobol' (2001) indices with the estimators of Saltelli et al. (2010) on Saltelli's (2002)
design (SALib); `emulator` - the same indices on a Gaussian-process emulator fitted to a
space-filling design, for outputs with much replicate noise. This module reads result tables and
never touches agents.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import sobol as sobol_sample

from innosim.batch import ResultStore, Task, make_tasks
from innosim.batch.tasks import run_task_end_only

from innosim.analysis.sensitivity import emulator, morris
from innosim.analysis.sensitivity.experiment import Experiment, Output
from innosim.analysis.outputs import Term, window_values
from innosim.analysis.sensitivity.checks import (design_pairs, distinct_share, judge, judge_emulator, morris_noise,
                                                  noise_share, rank_intervals, rows_per_unit)
from innosim.analysis.sensitivity.resolution import NEGLIGIBLE

METHODS = ("morris", "sobol", "emulator")


def salib(problem: dict) -> dict:
    """The problem as SALib takes it (without innosim's `options`)."""
    return {k: v for k, v in problem.items() if k != "options"}


def bootstrap_seed(seed: int) -> int:
    """A non-zero seed for SALib's bootstraps (SALib's Sobol' analysis ignores a seed of 0)."""
    return int(np.random.SeedSequence([seed, 1]).generate_state(1)[0]) or 1


def draw_sample(problem: dict, method: str, n: int, *, levels: int = 4, second_order: bool = False,
                seed: int = 0) -> np.ndarray:
    """The design: n Morris trajectories, Saltelli's extension of n Sobol' points, or n points of a
    scrambled Sobol' sequence for the emulator."""
    if method == "morris":
        return morris.sample(problem, n, levels=levels, seed=seed)
    if method == "sobol":
        return sobol_sample.sample(salib(problem), n, calc_second_order=second_order, seed=seed)
    if method == "emulator":
        return emulator.design(problem, n, seed=seed)
    raise ValueError(f"unknown method {method!r}; one of {', '.join(METHODS)}")


def scenario_ids(problem: dict, X: np.ndarray) -> np.ndarray:
    """One number per row, equal for rows that stand for the same point (a switch's or choice's
    option, not the number that picked it). An experiment's own `scenario_ids` also knows integers."""
    codes = morris.codes(problem, X)
    key = np.where(codes >= 0, codes, X)
    return np.unique(key, axis=0, return_inverse=True)[1].ravel()


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


def sobol_indices(problem: dict, Y: np.ndarray, *, second_order: bool, resamples: int, confidence: float,
                  seed: int) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """S1 and ST (and S2) with SALib's bootstrap CIs; rank intervals of ST from the same resamples."""
    si = sobol_analyze.analyze(salib(problem), Y, calc_second_order=second_order, num_resamples=resamples,
                               conf_level=confidence, seed=bootstrap_seed(seed), keep_resamples=True)
    names = problem["names"]
    table = pd.DataFrame({k: np.asarray(si[k], dtype=float) for k in ("S1", "S1_conf", "ST", "ST_conf")},
                         index=pd.Index(names, name="factor"))
    table["rank_low"], table["rank_high"], table["p_first"] = rank_intervals(np.asarray(si["ST_conf_all"]),
                                                                             confidence)
    table.attrs["draws"] = np.asarray(si["ST_conf_all"])  # taken off at once by analyse_output
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
    noise_floor: float = math.nan          # the largest factor's noise floor (per factor: indices' column)
    top_half: list[str] = field(default_factory=list)
    top_full: list[str] = field(default_factory=list)
    max_change: float = math.nan           # largest change of a (normalised) index from N/2 to N
    verdict: str = ""
    warnings: list[str] = field(default_factory=list)
    skipped: str = ""
    emulator: emulator.EmulatorFit | None = None
    draws: np.ndarray | None = None        # bootstrap draws x factors of the ranking index


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
                   confidence: float = 0.95, seed: int = 0, top: int = 3, ids=None,
                   emulator_settings: dict | None = None) -> OutputResult:
    """Analyse one output: Y is rows x replicates. Indices use the replicate means (the emulator:
    every replicate). `ids`: one number per row, equal for rows of the same scenario."""
    result = OutputResult(output, None)
    missing = np.isnan(Y).all(axis=1)
    if missing.any():
        result.skipped = f"undefined (no value) at {int(missing.sum())} of {len(Y)} design points"
        return result
    means = np.nanmean(Y, axis=1)
    if np.ptp(means) <= np.finfo(float).eps * max(1.0, abs(means).max()):
        result.skipped = "the same value at every design point: no factor moves it"
        return result
    ids = scenario_ids(problem, X) if ids is None else np.asarray(ids)
    R = Y.shape[1]
    column = measure(method)
    if method == "emulator":
        result.noise = noise_share(Y)
        fitted = emulator.emulator_indices(problem, X, Y, confidence=confidence, seed=seed,
                                           **(emulator_settings or {}))
        result.emulator = fitted
        if not fitted.reported:
            result.skipped = f"emulator not good enough: {fitted.reason}"
            return result
        result.indices = fitted.indices
        result.draws = result.indices.attrs.pop("draws", None)
        result.noise_floor = NEGLIGIBLE
        result.indices["noise_floor"] = NEGLIGIBLE
        _rank(result, column, top)
        result.indices["above_noise"] = result.indices["above_noise"].mask(result.indices["below_resolution"], False)
        judge_emulator(result, fitted, n, R)
        return result
    result.noise = noise_share(Y, design_pairs(problem, method, len(Y), second_order, ids))
    half_rows = n // 2 * rows_per_unit(problem, method, second_order)
    checkable = n // 2 >= 2 and np.ptp(means[:half_rows]) > 0
    if method == "morris":
        result.indices = morris.indices(problem, X, means, ids=ids, confidence=confidence, seed=seed,
                                        resamples=resamples)
        morris_noise(result.indices, result.noise, confidence)
        if checkable:
            result.half = morris.indices(problem, X[:half_rows], means[:half_rows], ids=ids[:half_rows],
                                         resamples=0)
    else:
        result.indices, result.pairs = sobol_indices(problem, means, second_order=second_order,
                                                     resamples=resamples, confidence=confidence, seed=seed)
        if checkable:
            result.half, _ = sobol_indices(problem, means[:half_rows], second_order=second_order,
                                           resamples=min(resamples, 200), confidence=confidence, seed=seed)
        # ST of a factor that does nothing: 0.5 E[(noise_A - noise_AB)^2] / Var(Y), over the pairs
        # (A, AB_j) that are two scenarios; a pair of one scenario shares its runs and adds no noise
        share = distinct_share(problem, len(Y), ids, second_order)
        result.indices["noise_floor"] = 0.5 * result.noise["pair_var"] * share / float(np.var(means))
    result.noise_floor = float(result.indices["noise_floor"].max())
    result.draws = result.indices.attrs.pop("draws", None)
    if result.half is not None:
        result.half.attrs.pop("draws", None)
    _rank(result, column, top)
    if result.half is not None:
        result.top_half = _top(result.half, column, len(result.top_full))
        result.max_change = float((_normalised(result.indices, column, method)
                                   - _normalised(result.half, column, method)).abs().max())
    judge(result, method, n, R, column)
    return result


def _rank(result: OutputResult, column: str, top: int) -> None:
    """Ranks, whether each index stands clear of its noise floor, and the leading factors."""
    table = result.indices
    conf = table[f"{column}_conf"] if f"{column}_conf" in table else pd.Series(0.0, index=table.index)
    # a factor without an index (no step changed its scenario) ranks last
    table["rank"] = table[column].rank(ascending=False, method="min", na_option="bottom").astype(int)
    floor = table["noise_floor"]
    above = pd.array([pd.NA if math.isnan(f) or math.isnan(v) else bool(v - c > f)
                      for v, c, f in zip(table[column], conf, floor, strict=True)], dtype="boolean")
    table["above_noise"] = above
    result.top_full = _top(table, column, min(top, len(table)))
