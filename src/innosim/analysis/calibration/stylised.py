"""The run function of calibration and the stylised facts of DESIGN.md section 1.

Calibration reads end values only, so its run function (`run_calibration`) hands back every
indicator summed over the whole run and over each calendar year (``hnte_new@2018``,
``tech_deals@total``), plus a measure the indicator table cannot give: high-end talents who moved
in. `firm_snapshot` and `stylised_stats` read three stylised facts from the firms at a run's end:

- firm sizes are right-skewed, with a Pareto upper tail (Axtell 2001, Science 293: 1818);
- firm growth rates are fat-tailed, Laplace-like (Stanley et al. 1996, Nature 379: 804;
  Bottazzi & Secchi 2006, RAND J. Econ. 37: 235);
- R&D intensity bunches just above the HNTE thresholds (Chen, Liu, Suarez Serrato & Xu 2021,
  AER 111: 2065).

This is the one analysis module that runs the model itself; the rest read result tables.
"""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd
from scipy import stats

from innosim.batch import RunRecord, Task
from innosim.model import INDICATORS, InnoModel
from innosim.model.hnte import rd_threshold
from innosim.model.indicators import stack, tidy
from innosim.scenario import COUNTIES, Scenario

#: Skill of a "high-end" talent: the top decile of the initial skill distribution
#: (lognormal, sigma 0.35, in `InnoModel._populate_talents`): exp(0.35 * 1.2816).
HIGHEND_SKILL = float(np.exp(0.35 * 1.2816))
#: Measures `run_calibration` adds to the indicators (window ``total`` only).
EXTRA_MEASURES = ("highend_talents_in", "startup_survival")
#: Start-ups founded in a run's first this many months are followed to its end.
SURVIVAL_COHORT_MONTHS = 24
#: Stylised-fact statistics, over all firms at the end of a run.
STYLISED_STATS = ("size_skewness", "size_pareto_alpha", "growth_excess_kurtosis", "growth_laplace_gain",
                  "rd_bunching")
#: Half-width of the bunching window above an HNTE threshold, in R&D/sales (0.5 point).
BUNCH_WINDOW = 0.005

_KIND = {i.name: i.kind for i in INDICATORS}


def run_model(scenario: Scenario, seed: int, months: int | None = None) -> InnoModel:
    """Run `scenario` and hand back the model itself (its firms are what stylised facts read)."""
    model = InnoModel(scenario, rng=np.random.default_rng(seed))
    for _ in range(months if months is not None else scenario.run.months):
        model.step()
    return model


def windows(table: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Each indicator over the whole run (``@total``) and per calendar year (``@YYYY``).

    Flows are summed; stocks and rates are read at the window's last month.
    """
    table = table.assign(year=table["date"].str[:4])
    out: dict[str, dict[str, float]] = {}
    for window, part in [("total", table), *table.groupby("year", sort=True)]:
        flows = part[part["indicator"].map(_KIND) == "flow"]
        summed = flows.groupby(["indicator", "region"], sort=False)["value"].sum()
        last = part[(part["month"] == part["month"].max()) & (part["indicator"].map(_KIND) != "flow")]
        for frame in (summed.reset_index(), last):
            for indicator, region, value in frame[["indicator", "region", "value"]].itertuples(index=False):
                out.setdefault(f"{indicator}@{window}", {})[region] = None if pd.isna(value) else float(value)
    return out


def highend_talents_in(model: InnoModel) -> dict[str, float]:
    """High-end talents living in each county at the end who came during the run: from outside
    the model (graduates, migrants, programmes) or from another place."""
    t = model.talents
    region, home = t.view("region"), t.view("home")
    top = t.view("skill") >= HIGHEND_SKILL
    came = t.view("present") & ((home != region) | (t.view("arrived") > 0))
    counts = {name: float(np.count_nonzero(top & came & (region == i))) for i, name in enumerate(COUNTIES)}
    counts["zone"] = sum(counts.values())
    return counts


def startup_survival(model: InnoModel) -> dict[str, float]:
    """Share of the start-ups founded in the run's first two years still alive at its end (three
    to five years later in a five-year run), by the county they are in (or left from when they exited)."""
    f = model.firms
    rows = np.flatnonzero(f.view("startup") & (f.view("birth_month") >= 1)
                          & (f.view("birth_month") <= SURVIVAL_COHORT_MONTHS))
    out = {}
    for i, name in enumerate(COUNTIES):
        here = rows[f.region[rows] == i]
        out[name] = float(f.alive[here].mean()) if here.size else None
    zone = rows[f.region[rows] < len(COUNTIES)]
    out["zone"] = float(f.alive[zone].mean()) if zone.size else None
    return out


def firm_snapshot(model: InnoModel) -> pd.DataFrame:
    """One row per alive firm: size, last two years' sales, R&D intensity and its HNTE threshold."""
    f = model.firms
    rows = model.alive_rows()
    sales = f.sales_y1[rows] + f.sales_y2[rows]
    rd = f.rd_y1[rows] + f.rd_y2[rows]
    with np.errstate(divide="ignore", invalid="ignore"):
        growth = np.where((f.sales_y1[rows] > 0) & (f.sales_y2[rows] > 0),
                          np.log(f.sales_y1[rows] / f.sales_y2[rows]), np.nan)
        intensity = np.where(sales > 0, rd / sales, np.nan)
    old_enough = model.month - f.birth_month[rows] >= 36  # two full accounting years behind it
    return pd.DataFrame({
        "region": np.asarray(f.region[rows], dtype=np.int64),
        "employees": f.employees[rows],
        "growth": np.where(old_enough, growth, np.nan),
        "rd_intensity": np.where(old_enough, intensity, np.nan),
        "threshold": rd_threshold(f.sales_y1[rows]),
        "hnte": model.hnte_valid()[rows],
    })


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


def run_calibration(task: Task) -> RunRecord:
    """Run function of calibration (module level, so the batch engine can send it to workers):
    end values by window and high-end talents moved in; no monthly table."""
    model = run_model(task.scenario, task.seed, task.months)
    records = model.datacollector.model_vars["indicators"]
    table = tidy(stack(records[len(records) - len(model.month_labels):]), model.month_labels)  # months simulated only
    end = windows(table)
    end["highend_talents_in@total"] = highend_talents_in(model)
    end["startup_survival@total"] = startup_survival(model)
    record = RunRecord(end=end, relocations=model.relocations.copy())
    _forget(model)
    return record


def _forget(model: InnoModel) -> None:
    """Mesa 3.3 counts agent ids in a class-level dict keyed by model, which would keep every
    model a worker has run alive; drop this one's entry so its memory is freed."""
    ids = getattr(mesa.Agent, "_ids", None)
    if isinstance(ids, dict):
        ids.pop(model, None)


__all__ = ["EXTRA_MEASURES", "HIGHEND_SKILL", "STYLISED_STATS", "bunching", "firm_snapshot", "highend_talents_in",
           "laplace_gain", "startup_survival", "pareto_alpha", "run_calibration", "run_model", "stylised_stats", "windows"]
