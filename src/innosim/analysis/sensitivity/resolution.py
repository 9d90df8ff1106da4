"""What a Gaussian-process emulator cannot resolve: upper bounds on the indices of such factors.

A factor whose fitted length scale runs to its upper bound is one the GP treats as flat: its mean
does not move with the factor, so every bootstrap refit (same hyperparameters) and SALib's Monte
Carlo estimator give S1 = ST = 0 with a zero-width interval, whatever the factor's true effect. The
data only say that the effect is too small for the emulator to see, and how small that is follows
from how much of the output the emulator misses.

The bound. Write the output as f = m + r, m the emulator's mean and r what it misses. Sobol'
components are linear in the function (Sobol' 2001, the ANOVA/HDMR decomposition), so factor j's
main effect is f_j = m_j + r_j, and by the triangle inequality in L2 (Minkowski)
sd(f_j) <= sd(m_j) + sd(r_j), with sd(r_j)^2 = Var(E[r | x_j]) <= Var(r) <= E[r^2]. The same holds
for the total effect: E[Var(f | x_~j)] <= (sqrt(E[Var(m | x_~j)]) + sqrt(E[r^2]))^2. In shares of
Var(f), with u = E[r^2] / Var(f) and Var(m) <= (1 + sqrt u)^2 Var(f):

    S_j <= (sqrt(S_j(m)) (1 + sqrt u) + sqrt u)^2

For a flat factor S_j(m) = 0 and the bound is u itself: the emulator cannot hide more variance in
one factor than it misses in all. u is measured, not assumed: 1 - Q2 of the emulator's k-fold
cross-validation is E[r^2] / Var(f) at held-out points (with the replicate noise taken off both;
a model fitted on (k-1)/k of the points misses a little more than the full fit, so it errs high),
and the bound takes its upper confidence limit, u = max(0, 1 - Q2) + z se(Q2). S_j(m) is taken at
the upper end of the emulator's own interval. The argument is that of the error bounds of
emulator-based Sobol' indices in Janon, Nodet & Prieur (2014), "Uncertainties assessment in global
sensitivity indices estimation from metamodels", Int. J. Uncertainty Quantification 4(1), 21-36,
here with the metamodel's error measured by cross-validation, as Q2 (Le Gratiet, Marelli & Sudret
2017, "Metamodel-based sensitivity analysis: polynomial chaos expansions and Gaussian processes",
Handbook of Uncertainty Quantification, Springer).

Which factors: those the emulator cannot tell from nil, the lower end of ST's interval at or below
NEGLIGIBLE. A factor whose length scale is at its bound is always one of them (the GP's mean is flat
along it, so ST = 0 +/- 0), and so is one with a long length scale that leaves it a trace of an
index with a narrow interval (in one fit of the G-function at 256 points, x4's ST = 0.0006 +/-
0.0008 where the truth is 0.0105). Their S1 and ST are reported as "below the emulator's
resolution (S1 < bound, ST < bound)", never as a point value with an interval.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.stats import norm

NEGLIGIBLE = 0.01  #: a factor whose ST interval reaches below this cannot be told from nil


def resolution(cv: dict, confidence: float) -> float:
    """u: the share of the output's variance the emulator may miss, at the upper confidence limit
    of its cross-validated error (1 - Q2 + z se(Q2); se unknown with one replicate: 0)."""
    se = cv.get("q2_se", math.nan)
    z = norm.ppf(0.5 + confidence / 2)
    return min(1.0, max(0.0, 1.0 - cv["q2"]) + (z * se if math.isfinite(se) else 0.0))


def index_bound(upper_end: pd.Series | np.ndarray, u: float) -> np.ndarray:
    """The largest index a factor can have when the emulator gives it at most `upper_end` and
    misses a share u of the variance: (sqrt(S) (1 + sqrt u) + sqrt u)^2, at most 1."""
    s = np.sqrt(np.clip(np.asarray(upper_end, dtype=float), 0.0, None))
    root = math.sqrt(u)
    return np.minimum(1.0, (s * (1.0 + root) + root) ** 2)


def mark_unresolved(table: pd.DataFrame, u: float) -> pd.DataFrame:
    """Flag the factors below the emulator's resolution (ST not told from nil) and give them upper
    bounds `S1_upper`, `ST_upper` in place of S1, ST and their intervals (left empty); S1's bound is
    at most ST's, as S1 <= ST."""
    unresolved = (table["ST"] - table["ST_conf"] <= NEGLIGIBLE).to_numpy()
    upper = {column: index_bound(table[column] + table[f"{column}_conf"], u) for column in ("ST", "S1")}
    upper["S1"] = np.minimum(upper["S1"], upper["ST"])  # S1 <= ST
    for column in ("S1", "ST"):
        table[f"{column}_upper"] = np.where(unresolved, upper[column], np.nan)
        table.loc[unresolved, [column, f"{column}_conf"]] = np.nan
    table["below_resolution"] = unresolved
    return table
