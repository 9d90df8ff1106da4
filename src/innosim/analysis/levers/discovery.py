"""Scenario discovery: which combinations of behavioural assumptions make a lever fail.

On the robustness stage's draws (one row per draw: the uncertainties' values and whether the lever
failed there), PRIM (Friedman and Fisher 1999, "Bump hunting in high-dimensional data",
*Statistics and Computing* 9) peels the space of assumptions down to a box where failures are
dense, as scenario discovery uses it (Bryant and Lempert 2010, "Thinking inside the box",
*Technological Forecasting and Social Change* 77), through EMA Workbench's `Prim`.

How a box is chosen, without a person at the trade-off plot:

1. along the peeling trajectory, the densest box that still holds at least `min_coverage` of the
   failures (ties: fewer restricted uncertainties, then more coverage);
2. restrictions whose quasi-p value (Bryant and Lempert's one-sided binomial test of the box's
   density without that restriction) is above `alpha` are dropped, the weakest first, as those
   authors advise: with a few dozen draws a restriction PRIM made by chance is common;
3. what is left is the box; a box with no restriction left says the failures are spread over the
   assumptions (or are seed noise), and is reported as such, not forced.

Fewer than `min_failures` failures (or successes) is too few for PRIM: said, not boxed.

Beside the box, `strongest_association` names the uncertainty whose rank correlation with the
lever's effect is strongest (Spearman, with a Bonferroni-adjusted p value): on noisy per-draw
effects a driver can be real without its failures forming a box that passes the quasi-p test.
Nothing here runs a model.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

MIN_FAILURES = 5
MIN_COVERAGE = 0.5
ALPHA = 0.05
PEEL_ALPHA = 0.1


def _prim_module():
    """EMA Workbench's PRIM, imported without its one import-time warning (it has no ipyparallel
    evaluator here, which PRIM does not use)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="ipyparallel not installed", category=UserWarning)
        warnings.filterwarnings("ignore", message="altair based interactive inspection", category=ImportWarning)
        from ema_workbench.analysis import prim
    return prim


@dataclass(frozen=True)
class Discovery:
    """PRIM's answer for one lever: where in the assumptions it fails to help, or why there is no box."""

    lever: str
    draws: int
    failures: int
    status: str                    # "box", "no box", "too few failures", "fails almost everywhere"
    box: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["uncertainty", "low", "high", "range_low", "range_high", "qp"]))
    coverage: float = float("nan")  # share of all failures inside the box
    density: float = float("nan")   # share of the box's draws that fail
    mass: float = float("nan")      # share of all draws inside the box
    driver: str = ""                # the uncertainty most associated with the lever's effect ...
    driver_rho: float = float("nan")  # ... its Spearman rank correlation with the effect
    driver_p: float = float("nan")  # ... and the p value, Bonferroni-adjusted over the uncertainties

    @property
    def failure_share(self) -> float:
        return self.failures / self.draws if self.draws else float("nan")


def _sides(box, i: int) -> list[tuple[float, str, int]]:
    """(quasi-p value, uncertainty, side: 0 lower / 1 upper) of each restricted side of trajectory box i."""
    return [(float(q), name, side) for name, qps in box.qp[i].items() for side, q in enumerate(qps)
            if q is not None and q >= 0]


def _release(box, name: str, side: int, initial: pd.DataFrame, sdutil) -> None:
    """Put one side of one restriction back to the full range (EMA's `drop_restriction` releases both
    sides at once); the new box goes on the trajectory and becomes the current one."""
    lims = box.box_lims[box._cur_box].copy()
    lims.iloc[side, lims.columns.get_loc(name)] = initial[name].iloc[side]
    remaining = box.prim.yi_remaining
    inside = sdutil._in_box(box.prim.x.loc[remaining, :], lims)
    box.update(lims, remaining[inside])


def _restricted(box, i: int, initial: pd.DataFrame) -> list[str]:
    lims = box.box_lims[i]
    return [c for c in lims.columns if not lims[c].equals(initial[c])]


def _choose(trajectory: pd.DataFrame, min_coverage: float) -> int:
    candidates = trajectory[trajectory["coverage"] >= min_coverage]
    if candidates.empty:
        return 0
    order = candidates.assign(neg_dim=-candidates["res_dim"]).sort_values(
        ["density", "neg_dim", "coverage"], ascending=False, kind="stable")
    return int(order.index[0])


def strongest_association(x: pd.DataFrame, effect) -> tuple[str, float, float]:
    """(uncertainty, Spearman rho, Bonferroni-adjusted p) of the uncertainty whose rank correlation
    with `effect` is strongest; ("", nan, nan) when none can be computed."""
    from scipy.stats import spearmanr

    effect = np.asarray(effect, dtype=float)
    found = []
    for name in x.columns:
        values = x[name].to_numpy(dtype=float)
        if np.ptp(values) > 0 and np.ptp(effect) > 0:
            rho, p = spearmanr(values, effect)
            found.append((abs(rho), name, float(rho), float(p)))
    if not found:
        return "", float("nan"), float("nan")
    _, name, rho, p = max(found)
    return name, rho, min(1.0, p * len(x.columns))


def find_failure_box(x: pd.DataFrame, failed, lever: str = "", *, effect=None, min_failures: int = MIN_FAILURES,
                     min_coverage: float = MIN_COVERAGE, alpha: float = ALPHA,
                     peel_alpha: float = PEEL_ALPHA) -> Discovery:
    """PRIM on `x` (one row per draw, one column per uncertainty, in its own units) and `failed`
    (True where the lever failed in that draw): the box of assumptions where failures are dense.
    With the lever's `effect` in each draw, also its strongest association with an uncertainty."""
    failed = np.asarray(failed, dtype=bool)
    x = x.reset_index(drop=True).astype(float)  # an integer column breaks EMA Workbench's pasting on pandas 3
    n, k = len(failed), int(failed.sum())
    driver = strongest_association(x, effect) if effect is not None else ("", float("nan"), float("nan"))
    if k < min_failures:
        return Discovery(lever, n, k, "too few failures", driver=driver[0], driver_rho=driver[1], driver_p=driver[2])
    if n - k < min_failures:
        return Discovery(lever, n, k, "fails almost everywhere", driver=driver[0], driver_rho=driver[1],
                         driver_p=driver[2])
    prim = _prim_module()
    with warnings.catch_warnings():
        # EMA Workbench 2.5 calls DataFrame.drop(inplace=True), which pandas 3.1 deprecates
        warnings.filterwarnings("ignore", message="The inplace keyword", module=r"ema_workbench\.")
        # threshold: y >= it marks a case of interest (a failure), and a box below it is discarded;
        # just above 0, every box is kept and step 2 judges it (a box may be informative at a
        # density under one half)
        finder = prim.Prim(x, failed.astype(int), threshold=1e-9, peel_alpha=peel_alpha,
                           mass_min=min(0.5, min_failures / n))
        box = finder.find_box()
        initial = box.box_lims[0]
        box.select(_choose(box.peeling_trajectory, min_coverage))
        while True:  # release the side least supported by the data, until every side left is significant
            sides = _sides(box, box._cur_box)
            if not sides or max(sides)[0] <= alpha:
                break
            _, name, side = max(sides)
            _release(box, name, side, initial, prim.sdutil)
    i = box._cur_box
    dims = _restricted(box, i, initial)
    if not dims:
        return Discovery(lever, n, k, "no box", driver=driver[0], driver_rho=driver[1], driver_p=driver[2])
    stats = box.peeling_trajectory.iloc[i]
    qp: dict[str, float] = {}
    for q, name, _ in _sides(box, i):
        qp[name] = max(qp.get(name, 0.0), q)
    lims = box.box_lims[i]
    rows = [{"uncertainty": d, "low": float(lims[d].iloc[0]), "high": float(lims[d].iloc[1]),
             "range_low": float(initial[d].iloc[0]), "range_high": float(initial[d].iloc[1]),
             "qp": qp.get(d, np.nan)} for d in dims]
    return Discovery(lever, n, k, "box", pd.DataFrame(rows), float(stats["coverage"]),
                     float(stats["density"]), float(stats["mass"]), *driver)


def discovery_table(discoveries: list[Discovery], labels: dict[str, str] | None = None) -> pd.DataFrame:
    """prim.csv: one row per lever and restricting uncertainty (a lever without a box: one row)."""
    rows = []
    for d in discoveries:
        common = {"lever": d.lever, "label": (labels or {}).get(d.lever, d.lever), "draws": d.draws,
                  "failures": d.failures, "status": d.status, "coverage": d.coverage, "density": d.density,
                  "mass": d.mass, "driver": d.driver, "driver_rho": d.driver_rho, "driver_p_adjusted": d.driver_p}
        if d.box.empty:
            rows.append(common)
        rows += [{**common, **row} for row in d.box.to_dict("records")]
    columns = ["lever", "label", "draws", "failures", "status", "coverage", "density", "mass", "uncertainty",
               "low", "high", "range_low", "range_high", "qp", "driver", "driver_rho", "driver_p_adjusted"]
    return pd.DataFrame(rows, columns=columns)
