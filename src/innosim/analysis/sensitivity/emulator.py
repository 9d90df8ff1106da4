"""Sobol' indices on a Gaussian-process emulator: for outputs whose replicate noise is large.

Sobol' indices computed on replicate means keep the noise left in the means (s^2 / R) and count it
as variance the factors explain. An emulator separates the two: a Gaussian process (scikit-learn's
`GaussianProcessRegressor`; Rasmussen & Williams 2006, ch. 2 and 5) with an anisotropic Matern 5/2
kernel (one length scale per input) plus a white-noise term is fitted to every replicate's output
at a space-filling design (a scrambled Sobol' sequence of n points; Owen 1998). The white term
takes the replicate noise; the GP mean is the model's expected output, free of it.

Check: k-fold cross-validation over design points (a point's replicates stay together), with the
kernel's hyperparameters held at the full fit's. Q2 = 1 - PRESS / SS_tot on the held-out points'
replicate means, with both sums counted on the signal: the noise a replicate mean carries (its
own part, not shared with other points under common random numbers: half the noise variance of
the difference of two points' means, measured from the replicates) is taken off each sum, so a perfect
emulator of a noisy model scores 1 rather than 1 - noise share (`q2_raw` keeps the plain ratio).
The noise left in PRESS makes that Q2 uncertain (`q2_se`, one standard error). Indices are reported
only when Q2 >= q2_min (0.8) and Q2 is measured to within 0.1; when the replicate means are mostly
noise it cannot be, and the report says to raise the replicates.

Indices: SALib's Saltelli (2002) design of N base points, evaluated on the GP mean, with the
estimators of Saltelli et al. (2010) (`SALib.analyze.sobol`). Intervals: bootstrap over design
points (B resamples with replacement, each point with its replicates), each resample refitted with
the full fit's hyperparameters and analysed on the same Saltelli sample; the interval's half-width
combines the bootstrap's z * sd with SALib's Monte Carlo interval at N. Switches and choices enter
the GP as 0/1 and one column per option, numbers as their share of the range.

Resolution: a factor the GP treats as flat (its length scale at the bound) gets S1 = ST = 0 in every
resample, an interval of width 0 that says nothing. Such factors, and any whose ST interval reaches
nil, are reported as below the emulator's resolution with upper bounds on S1 and ST from the share
of variance the emulator misses in cross-validation (`resolution.py`).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from SALib.analyze import sobol as sobol_analyze
from SALib.analyze.sobol import first_order, separate_output_values, total_order
from SALib.sample import sobol as sobol_sample
from scipy.stats import norm, qmc
from sklearn.exceptions import ConvergenceWarning
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel
from threadpoolctl import threadpool_limits

from innosim.analysis.sensitivity.checks import noise_share, rank_intervals
from innosim.analysis.sensitivity.morris import codes
from innosim.analysis.sensitivity.resolution import mark_unresolved, resolution

Q2_MIN = 0.8
Q2_SE_MAX = 0.1  #: Q2 must be measured to within this (one standard error) to pass
CHUNK = 8192  #: rows predicted at once (memory: CHUNK x training rows)
LENGTH_SCALE_BOUNDS = (1e-2, 1e3)  #: of every GP input, in shares of its range


def design(problem: dict, n: int, seed: int = 0) -> np.ndarray:
    """n points of a scrambled Sobol' sequence over the factors' bounds (n a power of 2)."""
    unit = qmc.Sobol(problem["num_vars"], scramble=True, seed=np.random.default_rng([seed, 3])).random(n)
    low = np.array([b[0] for b in problem["bounds"]])
    high = np.array([b[1] for b in problem["bounds"]])
    return low + unit * (high - low)


def features(problem: dict, X: np.ndarray) -> np.ndarray:
    """The GP's inputs: a number as its share of the range, a switch as 0/1, a choice of k options
    as k 0/1 columns (a choice's options have no distance between them)."""
    options = problem.get("options") or [0] * problem["num_vars"]
    option = codes(problem, X)
    columns = []
    for j, k in enumerate(options):
        low, high = problem["bounds"][j]
        if k == 0:
            columns.append(((X[:, j] - low) / (high - low))[:, None])
        elif k == 2:
            columns.append(option[:, j:j + 1].astype(float))
        else:
            columns.append((option[:, j][:, None] == np.arange(k)).astype(float))
    return np.hstack(columns)


def _kernel(width: int):
    return (ConstantKernel(1.0, (1e-3, 1e3)) * Matern(np.ones(width), LENGTH_SCALE_BOUNDS, nu=2.5)
            + WhiteKernel(0.1, (1e-8, 10.0)))


def fit(F: np.ndarray, y: np.ndarray, *, kernel=None, seed: int = 0, restarts: int = 1) -> GaussianProcessRegressor:
    """The GP fitted to rows F (features) and outputs y; with `kernel` (a fitted one), its
    hyperparameters are kept as they are. A length scale at its bound (an input with no effect, or
    one the data cannot resolve) is normal here, so scikit-learn's warning about it is not shown."""
    gp = GaussianProcessRegressor(kernel if kernel is not None else _kernel(F.shape[1]), normalize_y=True,
                                  optimizer=None if kernel is not None else "fmin_l_bfgs_b",
                                  n_restarts_optimizer=0 if kernel is not None else restarts, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return gp.fit(F, y)


def bootstrap_means(F: np.ndarray, Y: np.ndarray, kernel, Fs: np.ndarray, picks) -> list[np.ndarray]:
    """The GP mean at rows Fs, refitted (hyperparameters as in `kernel`) on each resample of design
    points in `picks`. With the hyperparameters fixed the mean is m + k(x, X) (K + w I)^-1 (y - m)
    (m the training outputs' mean, w the white noise; normalize_y's scale cancels), so the
    covariances with the design points are computed once and shared by every refit."""
    signal, white = kernel.k1, float(kernel.k2.noise_level)
    K = signal(F)
    cross = np.vstack([signal(Fs[i:i + CHUNK], F) for i in range(0, len(Fs), CHUNK)])
    means = []
    for pick in picks:
        rows = np.repeat(pick, Y.shape[1])
        y = Y[pick].ravel()
        rows, y = rows[~np.isnan(y)], y[~np.isnan(y)]
        m = y.mean()
        weights = np.linalg.solve(K[np.ix_(rows, rows)] + (white + 1e-10) * np.eye(len(rows)), y - m)
        means.append(m + cross @ np.bincount(rows, weights=weights, minlength=len(F)))
    return means


def _training(F: np.ndarray, Y: np.ndarray, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Replicate-level rows of the given design points (a point picked twice counts twice)."""
    rows = np.repeat(points, Y.shape[1])
    y = Y[points].ravel()
    keep = ~np.isnan(y)
    return F[rows[keep]], y[keep]


def cross_validate(F: np.ndarray, Y: np.ndarray, kernel, folds: int, seed: int) -> dict:
    """Q2 over `folds` folds of design points: plain (`q2_raw`) and on the signal (`q2`)."""
    n, R = Y.shape
    order = np.random.default_rng([seed, 4]).permutation(n)
    means = np.nanmean(Y, axis=1)
    predicted = np.empty(n)
    for held in np.array_split(order, folds):
        gp = fit(*_training(F, Y, np.setdiff1d(order, held)), kernel=kernel)
        predicted[held] = gp.predict(F[held])
    press, total = float(np.sum((means - predicted) ** 2)), float(np.sum((means - means.mean()) ** 2))
    # the noise of a replicate mean that is its own: with common random numbers part of the noise is
    # shared by every point and drops out of PRESS and SS_tot alike; half the noise variance of the
    # difference of two points' means (measured from the replicates) is the part that does not
    points = np.arange(n)
    noise = noise_share(Y, np.column_stack([points, np.roll(points, -1)]))["pair_var"] / 2 if R > 1 else math.nan
    q2_raw = 1 - press / total if total > 0 else math.nan
    if math.isnan(noise):
        return {"q2": q2_raw, "q2_raw": q2_raw, "q2_se": math.nan, "folds": folds, "mean_noise_var": noise}
    signal = total - (n - 1) * noise          # the spread of the expected outputs, noise taken off
    error = press - n * noise                 # the emulator's own error, noise taken off
    if signal <= 0:
        return {"q2": math.nan, "q2_raw": q2_raw, "q2_se": math.inf, "folds": folds, "mean_noise_var": noise}
    # the noise left in PRESS makes Q2 uncertain: sd of sum (d_i + e_i)^2 with e_i ~ N(0, noise)
    se = math.sqrt(2 * n * noise ** 2 + 4 * noise * max(error, 0.0)) / signal
    return {"q2": 1 - error / signal, "q2_raw": q2_raw, "q2_se": se, "folds": folds,
            "mean_noise_var": noise}


def _indices(Y: np.ndarray, d: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """S1 and ST of each factor from outputs of a Saltelli design without second order."""
    Y = (Y - Y.mean()) / Y.std()  # as SALib's analyze does
    A, B, AB, _ = separate_output_values(Y, d, n, False)
    return (np.array([first_order(A, AB[:, j], B) for j in range(d)]),
            np.array([total_order(A, AB[:, j], B) for j in range(d)]))


@dataclass
class EmulatorFit:
    """An output's emulator: the check, and the indices when it passed."""

    q2: float
    q2_raw: float
    reported: bool
    reason: str
    q2_se: float = math.nan
    noise_var: float = math.nan            # the GP's white-noise variance (one run's replicate noise)
    resolution: float = math.nan           # u: the share of variance it may miss (bounds unresolved indices)
    length_scales: dict = field(default_factory=dict)
    indices: pd.DataFrame | None = None
    cv: dict = field(default_factory=dict)


def emulator_indices(problem: dict, X: np.ndarray, Y: np.ndarray, *, sample: int = 4096, bootstrap: int = 100,
                     folds: int = 5, q2_min: float = Q2_MIN, confidence: float = 0.95,
                     seed: int = 0) -> EmulatorFit:
    """Fit the emulator to X (design points) and Y (points x replicates), check it, and when it
    passes give S1 and ST with intervals, rank intervals and the share of resamples ranking first.
    Linear algebra runs on one thread: on a shared machine more threads only queue for the cores."""
    with threadpool_limits(limits=1):
        return _emulator_indices(problem, X, Y, sample=sample, bootstrap=bootstrap, folds=folds, q2_min=q2_min,
                                 confidence=confidence, seed=seed)


def _emulator_indices(problem: dict, X: np.ndarray, Y: np.ndarray, *, sample: int, bootstrap: int, folds: int,
                      q2_min: float, confidence: float, seed: int) -> EmulatorFit:
    F = features(problem, X)
    F_train, y_train = _training(F, Y, np.arange(len(X)))
    gp = fit(F_train, y_train, seed=seed)
    params = gp.kernel_.get_params()
    scales = np.atleast_1d(params["k1__k2__length_scale"])
    noise_var = float(params["k2__noise_level"]) * float(np.var(y_train))  # normalize_y: unit variance
    cv = cross_validate(F, Y, gp.kernel_, folds, seed)
    fitted = EmulatorFit(cv["q2"], cv["q2_raw"], False, "", cv["q2_se"], noise_var, cv=cv,
                         length_scales={f"input {i + 1}": float(s) for i, s in enumerate(scales)})
    noisy = ("the replicate means are mostly noise, so cross-validation cannot tell how well the emulator "
             f"predicts (Q2 = {_q2(cv)}; raw {cv['q2_raw']:.2f}); raise the replicates")
    if math.isnan(cv["q2"]):
        fitted.reason = noisy
        return fitted
    if cv["q2"] < q2_min:
        fitted.reason = (f"cross-validated Q2 = {_q2(cv)} is below {q2_min:g}: the emulator predicts held-out "
                         f"design points too poorly ({len(X)} points for {F.shape[1]} inputs); raise the design "
                         "points (--n) or the replicates, or use --method sobol")
        return fitted
    if cv["q2_se"] > Q2_SE_MAX:  # (NaN with one replicate: nothing to take off, nothing to check)
        fitted.reason = noisy
        return fitted
    d, names = problem["num_vars"], problem["names"]
    Xs = sobol_sample.sample({k: v for k, v in problem.items() if k != "options"}, sample,
                             calc_second_order=False, seed=seed)
    Fs = features(problem, Xs)
    rng = np.random.default_rng([seed, 5])
    picks = [np.arange(len(X))] + [rng.integers(len(X), size=len(X)) for _ in range(bootstrap)]
    ys, *resampled = bootstrap_means(F, Y, gp.kernel_, Fs, picks)
    si = sobol_analyze.analyze({k: v for k, v in problem.items() if k != "options"}, ys, calc_second_order=False,
                               num_resamples=200, conf_level=confidence, seed=seed or 1)
    draws_s1, draws_st = zip(*(_indices(y, d, sample) for y in resampled), strict=True)
    z = norm.ppf(0.5 + confidence / 2)
    table = pd.DataFrame({"S1": si["S1"], "ST": si["ST"]}, index=pd.Index(names, name="factor"))
    for column, draws in (("S1", draws_s1), ("ST", draws_st)):
        spread = z * np.std(np.array(draws), axis=0, ddof=1)
        table[f"{column}_conf"] = np.sqrt(spread ** 2 + np.asarray(si[f"{column}_conf"]) ** 2)
    table["rank_low"], table["rank_high"], table["p_first"] = rank_intervals(np.array(draws_st), confidence)
    table.attrs["draws"] = np.array(draws_st)
    fitted.resolution = resolution(cv, confidence)
    mark_unresolved(table, fitted.resolution)
    fitted.indices, fitted.reported = table, True
    fitted.reason = f"cross-validated Q2 = {_q2(cv)} (at least {q2_min:g})"
    return fitted


def _q2(cv: dict) -> str:
    if math.isnan(cv["q2"]):
        return "undefined (no spread left once the noise is taken off)"
    return f"{cv['q2']:.2f}" + (f" +/- {cv['q2_se']:.2f}" if math.isfinite(cv["q2_se"]) else "")
