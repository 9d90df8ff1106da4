"""Morris elementary effects, with switches and choices measured by what they do when they change.

Morris (1991) draws trajectories through a grid of `p` levels, moving one factor at a time by
Delta = p / (2 (p - 1)) of its range (2/3 on 4 levels); Campolongo, Cariboni & Saltelli (2007)
rank by mu*, the mean absolute effect. SALib (`SALib.sample.morris`) draws the trajectories; this
module gives switches and choices their own steps and computes the effects, because SALib divides
every step by the same Delta and so reports a switch's on/off effect times 1.5, and a choice on
the numeric grid only ever compares options p/2 grid levels apart (own_county never with zone).

The rule: an elementary effect is the change of the output over a factor's whole range.
- A number: (y after - y before) / (step as a share of the range): the change over the whole
  range where the output is linear in the factor (the usual Morris effect, units of the output).
- A switch: y(on) - y(off), its on/off effect, whichever way the trajectory moves.
- A choice of k options: y(later option) - y(earlier option), in the order the experiment file
  lists the options; each trajectory steps between two *different* options drawn at random, so
  every pair of options is compared, each equally often.
mu* is the mean |effect|, mu the mean effect (its sign says which way the factor moves the output;
for a choice, whether later options raise it), sigma the effects' standard deviation. A step
whose two rows stand for the same scenario (`ids` equal) is no effect and is left out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from SALib.sample import morris as morris_sample
from scipy.stats import norm

from innosim.analysis.sensitivity.checks import rank_intervals

TRAJECTORY_BOOTSTRAP = 1000  #: resamples of whole trajectories for the intervals of mu*, mu and sigma


def _options(problem: dict) -> np.ndarray:
    return np.asarray(problem.get("options") or [0] * problem["num_vars"], dtype=int)


def codes(problem: dict, X: np.ndarray) -> np.ndarray:
    """The option each switch or choice takes in each row (-1 for a number)."""
    k = _options(problem)
    low = np.array([b[0] for b in problem["bounds"]])
    high = np.array([b[1] for b in problem["bounds"]])
    unit = (X - low) / (high - low)
    out = np.minimum(np.floor(unit * np.maximum(k, 1)), np.maximum(k - 1, 0)).astype(int)
    return np.where(k > 0, out, -1)


def sample(problem: dict, n: int, *, levels: int = 4, seed: int = 0) -> np.ndarray:
    """n trajectories of d + 1 rows (SALib's), with each switch's and choice's column redrawn: it
    holds option a up to its step and option b != a after it, a and b drawn at random (option i is
    written as the middle of its share of [0, 1], (i + 0.5) / k)."""
    X = morris_sample.sample({k: v for k, v in problem.items() if k != "options"}, n, num_levels=levels, seed=seed)
    d, k = problem["num_vars"], _options(problem)
    Xt = X.reshape(n, d + 1, d)
    rng = np.random.default_rng([seed, 2])
    for j in np.flatnonzero(k):
        low, high = problem["bounds"][j]
        for t in range(n):
            step = int(np.flatnonzero(np.diff(Xt[t, :, j]))[0]) + 1  # the first row after the move
            before = rng.integers(k[j])
            after = (before + 1 + rng.integers(k[j] - 1)) % k[j]
            Xt[t, :step, j] = low + (high - low) * (before + 0.5) / k[j]
            Xt[t, step:, j] = low + (high - low) * (after + 0.5) / k[j]
    return Xt.reshape(-1, d)


def effects(problem: dict, X: np.ndarray, y: np.ndarray, ids=None) -> tuple[np.ndarray, np.ndarray]:
    """Elementary effects (trajectories x factors, NaN where a step left the scenario unchanged) and
    each effect's step: the share of the range moved for a number, 1 for a switch or a choice."""
    d = problem["num_vars"]
    n = len(X) // (d + 1)
    Xt, Yt = X.reshape(n, d + 1, d), np.asarray(y, dtype=float).reshape(n, d + 1)
    Ct = codes(problem, X).reshape(n, d + 1, d)
    same = np.zeros((n, d), bool) if ids is None else np.diff(np.asarray(ids).reshape(n, d + 1), axis=1) == 0
    width = np.array([b[1] - b[0] for b in problem["bounds"]])
    discrete = _options(problem) > 0
    ee, steps = np.full((n, d), np.nan), np.full((n, d), np.nan)
    dX, dY, dC = np.diff(Xt, axis=1), np.diff(Yt, axis=1), np.diff(Ct, axis=1)
    for t in range(n):
        for s in range(d):
            j = int(np.argmax(np.abs(dX[t, s])))
            if discrete[j]:
                step, sign = 1.0, np.sign(dC[t, s, j])
            else:
                step = abs(dX[t, s, j]) / width[j]
                sign = np.sign(dX[t, s, j])
            if same[t, s] or sign == 0:
                continue
            ee[t, j] = sign * dY[t, s] / step
            steps[t, j] = step
    return ee, steps


def _stats(ee: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """mu*, mu, sigma and the count of effects per factor along the last-but-one axis, NaN-aware
    (NaN, without a warning, where a factor has too few effects)."""
    valid = ~np.isnan(ee)
    count = valid.sum(axis=-2)
    filled = np.where(valid, ee, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mu = np.where(count > 0, filled.sum(axis=-2) / count, np.nan)
        mu_star = np.where(count > 0, np.abs(filled).sum(axis=-2) / count, np.nan)
        squares = np.where(valid, ee - np.expand_dims(mu, -2), 0.0) ** 2
        sigma = np.where(count > 1, np.sqrt(squares.sum(axis=-2) / (count - 1)), np.nan)
    return mu_star, mu, sigma, count


def indices(problem: dict, X: np.ndarray, y: np.ndarray, *, ids=None, confidence: float = 0.95, seed: int = 0,
            resamples: int = TRAJECTORY_BOOTSTRAP) -> pd.DataFrame:
    """mu*, mu and sigma per factor with bootstrap intervals (whole trajectories resampled), rank
    intervals, the share of resamples in which each factor ranks first, and the effects' count and
    mean step (`effects`, `step_rms`) for the noise checks."""
    ee, steps = effects(problem, X, y, ids)
    mu_star, mu, sigma, count = _stats(ee)
    table = pd.DataFrame({"mu_star": mu_star, "mu": mu, "sigma": sigma, "effects": count},
                         index=pd.Index(problem["names"], name="factor"))
    taken = ~np.isnan(steps)  # mean of 1 / step^2: the noise of an effect is the pair's over step^2
    inverse = np.where(taken, 1.0 / np.where(taken, steps, 1.0) ** 2, 0.0).sum(axis=0)
    table["inverse_step2"] = np.where(count > 0, inverse / np.maximum(count, 1), np.nan)
    if resamples:
        rng = np.random.default_rng(seed)
        draws = ee[rng.integers(len(ee), size=(resamples, len(ee)))]
        b_star, b_mu, b_sigma, _ = _stats(draws)
        z = norm.ppf(0.5 + confidence / 2)
        for name, values in (("mu_star_conf", b_star), ("mu_conf", b_mu), ("sigma_conf", b_sigma)):
            table[name] = z * _nanstd(values)
        table["rank_low"], table["rank_high"], table["p_first"] = rank_intervals(np.nan_to_num(b_star, nan=-1.0),
                                                                                confidence)
        table.attrs["draws"] = b_star  # bootstrap draws of mu*; analyse_output takes them off at once
    return table


def _nanstd(values: np.ndarray) -> np.ndarray:
    """Standard deviation over the first axis ignoring NaN (NaN, without a warning, below two values)."""
    valid = ~np.isnan(values)
    count = valid.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(valid, values, 0.0).sum(axis=0) / count
        squares = (np.where(valid, values - mean, 0.0) ** 2).sum(axis=0)
        return np.where(count > 1, np.sqrt(squares / (count - 1)), np.nan)
