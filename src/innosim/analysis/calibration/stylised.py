"""The run function of calibration and the stylised facts of DESIGN.md section 1, from tables.

Calibration reads end values only, so its run function (`run_calibration`, the batch's
`run_task_by_window`) hands back every indicator summed over the whole run and over each calendar
year (``hnte_new@2018``, ``tech_deals@total``), plus two measures the indicator table cannot give
(`EXTRA_MEASURES`: high-end talents who moved in, start-ups' survival; model/stylised.py). The
statistics of three stylised facts are read from the firm table at a run's end (`firm_snapshot`,
model/stylised.py `firm_table`):

- firm sizes are right-skewed, with a Pareto upper tail (Axtell 2001, Science 293: 1818);
- firm growth rates are fat-tailed, Laplace-like (Stanley et al. 1996, Nature 379: 804;
  Bottazzi & Secchi 2006, RAND J. Econ. 37: 235);
- R&D intensity bunches just above the HNTE thresholds (Chen, Liu, Suarez Serrato & Xu 2021,
  AER 111: 2065).

Like the rest of the analysis, this module reads tables; the batch runs the model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from innosim.batch import RunRecord, Task, run_task_by_window, run_task_firms, windows
from innosim.catalogue import END_MEASURES
from innosim.scenario import Scenario

#: Measures `run_calibration` adds to the indicators (window ``total`` only: the catalogue's END_MEASURES).
EXTRA_MEASURES = tuple(m.name for m in END_MEASURES)
#: Stylised-fact statistics, over all firms at the end of a run.
STYLISED_STATS = ("size_skewness", "size_pareto_alpha", "growth_excess_kurtosis", "growth_laplace_gain",
                  "rd_bunching")
#: Half-width of the bunching window above an HNTE threshold, in R&D/sales (0.5 point).
BUNCH_WINDOW = 0.005
#: Calibration's run function (module level, so the batch engine can send it to workers).
run_calibration = run_task_by_window


def firm_snapshot(scenario: Scenario, seed: int, months: int | None = None) -> pd.DataFrame:
    """One row per alive firm at the end of a run of `scenario` (model/stylised.py `firm_table`):
    size, last two years' sales growth, R&D intensity and its HNTE threshold."""
    task = Task("", scenario, (), 0, seed, months)
    record: RunRecord = run_task_firms(task)
    return record.firms


def pareto_alpha(sizes: np.ndarray, tail: float = 0.1) -> float:
    """Hill estimator of the Pareto exponent over the largest `tail` share of sizes."""
    x = np.sort(np.asarray(sizes, dtype=float))[::-1]
    k = max(int(tail * x.size), 2)
    if x.size < 3:
        return float("nan")
    return float(1.0 / np.mean(np.log(x[:k] / x[k])))


def laplace_gain(values: np.ndarray) -> float:
    """Mean log-likelihood of a Laplace fit minus that of a normal fit, per observation (> 0: Laplace fits better)."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if x.size < 10 or np.std(x) == 0:
        return float("nan")
    loc, scale = stats.laplace.fit(x)
    mu, sigma = stats.norm.fit(x)
    return float(np.mean(stats.laplace.logpdf(x, loc, scale)) - np.mean(stats.norm.logpdf(x, mu, sigma)))


def bunching(distance: np.ndarray, window: float = BUNCH_WINDOW, reach: float = 0.03, degree: int = 3) -> float:
    """Excess mass just above the threshold (Chetty, Friedman, Olsen & Pistaferri 2011, QJE 126: 749):
    firms in [0, window) over the count a polynomial fitted to the histogram on [-reach, reach],
    leaving out [-window, window), predicts there, minus one."""
    d = np.asarray(distance, dtype=float)
    d = d[np.isfinite(d)]
    edges = np.linspace(-reach, reach, int(round(4 * reach / window)) + 1)  # bins of half a window
    counts, _ = np.histogram(d, edges)
    centres = (edges[:-1] + edges[1:]) / 2
    left_out = (centres >= -window) & (centres < window)
    if counts[~left_out].sum() == 0:
        return float("nan")
    smooth = np.polynomial.Polynomial.fit(centres[~left_out], counts[~left_out], degree)
    inside = (centres >= 0) & (centres < window)
    expected = float(smooth(centres[inside]).sum())
    return float(counts[inside].sum() / expected - 1.0) if expected > 0 else float("nan")


def stylised_stats(snapshot: pd.DataFrame) -> dict[str, float]:
    """The statistics of the three stylised facts for one run (see the module docstring)."""
    size = snapshot["employees"].to_numpy()
    growth = snapshot["growth"].dropna().to_numpy()
    distance = (snapshot["rd_intensity"] - snapshot["threshold"]).dropna().to_numpy()
    return {
        "size_skewness": float(stats.skew(size)) if size.size > 2 and np.std(size) > 0 else float("nan"),
        "size_pareto_alpha": pareto_alpha(size),
        "growth_excess_kurtosis": float(stats.kurtosis(growth)) if growth.size > 3 and np.std(growth) > 0
        else float("nan"),
        "growth_laplace_gain": laplace_gain(growth),
        "rd_bunching": bunching(distance),
    }


__all__ = ["BUNCH_WINDOW", "EXTRA_MEASURES", "STYLISED_STATS", "bunching", "firm_snapshot", "laplace_gain",
           "pareto_alpha", "run_calibration", "stylised_stats", "windows"]
