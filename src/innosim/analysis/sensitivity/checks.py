"""Honesty about noise and convergence: how much of an output's variance is replicate noise, the
index a factor that does nothing would get (the noise floor), and plain verdicts and warnings.

A stochastic model's output at a design point is signal plus replicate noise. Indices are computed
on replicate means, so noise of variance s^2 / R remains in them: it inflates every Sobol' ST and
gives every factor a Morris mu* above zero. These functions measure it from the replicates.

Noise alone makes Morris effects vary too: a factor that does nothing gets effects that are pure
noise, with sigma / mu* = sqrt(pi / 2) = 1.25. So a factor is called non-linear or interacting
only when its sigma exceeds the sigma noise alone would give, by an F test (`morris_noise`).
Design pairs whose two rows stand for the same scenario share their runs: their difference has no
noise, so they are left out of the noise measurement (they would lower the floor).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.stats import f as f_distribution
from scipy.stats import norm

NOISE_WARNING = 0.10         #: warn when replicate noise is more than this share of the variance
MIN_TRAJECTORIES = 10        #: fewer Morris trajectories give rough ranks (Campolongo et al. 2007)
MIN_SOBOL_N = 128
WIDE_CI = 0.10               #: a Sobol' ST interval wider than this (half-width) is too loose to rank
ALPHA = 0.05                 #: sigma is above noise when noise alone gives it less often than this


def rank_intervals(samples: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bootstrap draws x factors -> each factor's central `confidence` interval of ranks (1 = top)
    and the share of draws in which it ranks first."""
    ranks = (-samples).argsort(axis=1).argsort(axis=1) + 1
    tail = (1 - confidence) / 2 * 100
    return (np.percentile(ranks, tail, axis=0), np.percentile(ranks, 100 - tail, axis=0),
            (ranks == 1).mean(axis=0))


def rows_per_unit(problem: dict, method: str, second_order: bool = False) -> int:
    """Design rows per trajectory (Morris) or per base point (Sobol')."""
    d = problem["num_vars"]
    if method == "morris":
        return d + 1
    return 2 * d + 2 if second_order else d + 2


def _mean(values: np.ndarray) -> float:
    """Mean ignoring NaN; NaN (without a warning) when nothing is left."""
    values = values[~np.isnan(values)]
    return float(values.mean()) if values.size else math.nan


def design_pairs(problem: dict, method: str, n_rows: int, second_order: bool = False, ids=None) -> np.ndarray:
    """The pairs of design rows whose difference an index is built on: consecutive points of a Morris
    trajectory; a Sobol' base point A and each of its cross-samples AB_j. With `ids` (one number per
    row, equal for rows that stand for the same scenario) pairs of one scenario are left out."""
    d, step = problem["num_vars"], rows_per_unit(problem, method, second_order)
    starts = np.arange(0, n_rows, step)
    offsets = np.arange(d)
    first = (starts[:, None] + offsets).ravel() if method == "morris" else np.repeat(starts, d)
    second = (starts[:, None] + offsets + 1).ravel()
    pairs = np.column_stack([first, second])
    if ids is not None:
        ids = np.asarray(ids)
        pairs = pairs[ids[pairs[:, 0]] != ids[pairs[:, 1]]]
    return pairs


def distinct_share(problem: dict, n_rows: int, ids, second_order: bool = False) -> np.ndarray:
    """Per factor, the share of Sobol' pairs (A, AB_j) whose two rows are different scenarios: only
    those add noise to the factor's ST (a pair of one scenario shares its runs, difference 0)."""
    d = problem["num_vars"]
    if ids is None:
        return np.ones(d)
    ids = np.asarray(ids)
    starts = np.arange(0, n_rows, rows_per_unit(problem, "sobol", second_order))
    return (ids[starts][:, None] != ids[starts[:, None] + np.arange(d) + 1]).mean(axis=0)


def replicate_variance(values: np.ndarray) -> np.ndarray:
    """Variance across replicates (axis 1, ddof=1), ignoring NaN; NaN where fewer than two values."""
    valid = ~np.isnan(values)
    count = valid.sum(axis=1)
    mean = np.where(valid, values, 0.0).sum(axis=1) / np.maximum(count, 1)
    squares = np.where(valid, values - mean[:, None], 0.0) ** 2
    return np.where(count >= 2, squares.sum(axis=1) / np.maximum(count - 1, 1), np.nan)


def noise_share(Y: np.ndarray, pairs: np.ndarray | None = None) -> dict:
    """How much of the variance is replicate noise (rows x replicates in, NaN with one replicate).

    `of_mean`: share of the variance of the replicate-averaged output (what the indices explain)
    that is noise; `of_single_run`: the same for one run. `pair_var`: noise variance of the
    difference of two paired points' means. With common random numbers the noise of two points is
    correlated, so this is measured from the replicates' own differences, not assumed independent.
    """
    R = Y.shape[1]
    nan = {"within_var": math.nan, "of_mean": math.nan, "of_single_run": math.nan, "pair_var": math.nan,
           "pair_df": 0}
    if R < 2:
        return nan
    within = _mean(replicate_variance(Y))
    means = np.nanmean(Y, axis=1)
    total_mean, total_single = float(np.var(means, ddof=1)), float(np.nanvar(Y, ddof=1))

    def share(noise: float, total: float) -> float:
        return min(1.0, noise / total) if total > 0 else (0.0 if noise == 0 else 1.0)

    pair_var, pair_df = math.nan, 0
    if pairs is not None and len(pairs):
        differences = Y[pairs[:, 0]] - Y[pairs[:, 1]]
        pair_var = _mean(replicate_variance(differences)) / R
        pair_df = int(np.maximum((~np.isnan(differences)).sum(axis=1) - 1, 0).sum())
    return {"within_var": within, "of_mean": share(within / R, total_mean),
            "of_single_run": share(within, total_single), "pair_var": pair_var, "pair_df": pair_df}


def morris_noise(table: pd.DataFrame, noise: dict, confidence: float = 0.95) -> None:
    """Add to Morris indices what replicate noise alone would give, and whether each factor beats it.

    An effect's noise has variance pair_var / step^2 (pair_var: the noise variance of the difference
    of two paired points' means, measured from the replicates). For a factor that does nothing its
    effects are that noise: `sigma_noise` = sqrt(pair_var * mean(1 / step^2)), and mu* =
    sigma_noise * sqrt(2 / pi) (`noise_floor`). `sigma_p`: the chance that noise alone gives a sigma
    this large (F test of sigma^2 / sigma_noise^2 on effects - 1 and the noise's degrees of freedom);
    `interacting`: sigma_p < ALPHA, the factor's effect changes with where it is taken (non-linear,
    or interacting with other factors). Unknown (NA) with one replicate. A few trajectories can agree
    by chance (a bootstrap interval of 0): mu*'s interval is at least what the noise of a mean of
    that many effects gives, z * sigma_noise / sqrt(effects)."""
    pair_var, df = noise.get("pair_var", math.nan), noise.get("pair_df", 0)
    table["sigma_noise"] = np.sqrt(pair_var * table["inverse_step2"])
    table["noise_floor"] = table["sigma_noise"] * math.sqrt(2 / math.pi)
    if "mu_star_conf" in table and not math.isnan(pair_var):
        z = norm.ppf(0.5 + confidence / 2)
        least = z * table["sigma_noise"] / np.sqrt(np.maximum(table["effects"], 1))
        table["mu_star_conf"] = np.fmax(table["mu_star_conf"], least)
    if math.isnan(pair_var) or df < 1:
        table["sigma_p"] = math.nan
        table["interacting"] = pd.array([pd.NA] * len(table), dtype="boolean")
        return
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (table["sigma"] / table["sigma_noise"]) ** 2
    p = np.where(table["sigma_noise"] > 0, f_distribution.sf(ratio, np.maximum(table["effects"] - 1, 1), df),
                 np.where(table["sigma"] > 0, 0.0, 1.0))
    table["sigma_p"] = np.where(table["effects"] > 1, p, np.nan)
    table["interacting"] = pd.array([bool(x < ALPHA) if not math.isnan(x) else pd.NA for x in table["sigma_p"]],
                                    dtype="boolean")


def judge(result, method: str, n: int, R: int, column: str) -> None:
    """The convergence verdict and plain warnings about N and R."""
    tolerance = 0.1 if method == "morris" else 0.05
    if result.half is None:
        result.verdict = "not checked: N/2 is too small (or constant) to analyse"
    elif set(result.top_full) != set(result.top_half):
        result.verdict = "not converged: other factors lead at N/2 than at N"
    elif result.top_full != result.top_half:
        # the same leaders, reordered: fine if they are tied within their intervals
        result.verdict = "top ranks stable as a set; their order changes between N/2 and N"
    elif result.max_change > tolerance:
        result.verdict = f"top ranks stable, but indices still move by up to {result.max_change:.2f}"
    else:
        result.verdict = "converged: same top ranks and indices within " + f"{tolerance:g} at N/2 and N"
    w = result.warnings
    if R < 2:
        w.append("one replicate per point: replicate noise is neither averaged out nor measured; use R >= 2")
    elif result.noise["of_mean"] > NOISE_WARNING:
        w.append(f"{result.noise['of_mean']:.0%} of the variance of the replicate means is noise; raise R")
    if method == "morris" and n < MIN_TRAJECTORIES:
        w.append(f"only {n} trajectories: use at least {MIN_TRAJECTORIES} for a screening ranking")
    if method == "sobol":
        if n < MIN_SOBOL_N:
            w.append(f"N = {n} is small for Sobol' indices; use N >= {MIN_SOBOL_N}")
        leaders = result.indices.loc[result.top_full]
        if (leaders[f"{column}_conf"] > WIDE_CI).any():
            w.append(f"confidence intervals of the leading ST exceed +/-{WIDE_CI:g}: raise N")
    if result.verdict.startswith("not converged"):
        w.append("the ranking is not converged: raise N before trusting it")
    elif result.verdict.startswith("not checked"):
        w.append("convergence could not be checked: raise N")


def judge_emulator(result, fitted, n: int, R: int) -> None:
    """The verdict of an emulator's indices: its cross-validated Q2, and plain warnings."""
    se = f" +/- {fitted.q2_se:.2f}" if math.isfinite(fitted.q2_se) else ""
    result.verdict = (f"emulator checked: cross-validated Q2 = {fitted.q2:.2f}{se} "
                      f"({fitted.cv['folds']}-fold over {n} design points; {fitted.q2_raw:.2f} before the replicate "
                      "noise is taken off)")
    w = result.warnings
    if R < 2:
        w.append("one replicate per point: Q2 cannot be corrected for noise, nor noise told from misfit by "
                 "replicates; use R >= 2")
    leaders = result.indices.loc[result.top_full]
    if (leaders["ST_conf"] > WIDE_CI).any():
        w.append(f"confidence intervals of the leading ST exceed +/-{WIDE_CI:g}: raise the design points (--n)")
