"""What a run's end holds that the monthly indicators cannot give: the firm table the stylised facts
of DESIGN.md section 1 are read from, and two measures calibration fits (high-end talents who moved
in, start-ups' survival). Computed here, beside the tables they read, so that the analysis reads
tables only (`analysis/calibration/stylised.py` turns them into statistics).

Nothing is drawn and nothing changes: a run is the same with or without them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from innosim.catalogue import COUNTIES, ZONE

from .hnte import rd_threshold
from .population import SKILL_SIGMA

#: Skill of a "high-end" talent: the top decile of the initial skill distribution (lognormal(0,
#: SKILL_SIGMA), `population.py`): exp(0.35 * 1.2816).
HIGHEND_SKILL = float(np.exp(SKILL_SIGMA * 1.2816))
#: Start-ups founded in a run's first this many months are followed to its end.
SURVIVAL_COHORT_MONTHS = 24


def highend_talents_in(model) -> dict[str, float]:
    """High-end talents living in each county at the end who came during the run: from outside
    the model (graduates, migrants, programmes) or from another place."""
    t = model.talents
    region, home = t.view("region"), t.view("home")
    top = t.view("skill") >= HIGHEND_SKILL
    came = t.view("present") & ((home != region) | (t.view("arrived") > 0))
    counts = {name: float(np.count_nonzero(top & came & (region == i))) for i, name in enumerate(COUNTIES)}
    counts[ZONE] = sum(counts.values())
    return counts


def startup_survival(model) -> dict[str, float | None]:
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
    out[ZONE] = float(f.alive[zone].mean()) if zone.size else None
    return out


#: How each end-of-run measure of the catalogue (`END_MEASURES`) is computed: name -> region -> value.
MEASURES = {"highend_talents_in": highend_talents_in, "startup_survival": startup_survival}


def end_measures(model) -> dict[str, dict[str, float | None]]:
    """Every end-of-run measure of `model` (`MEASURES`)."""
    return {name: measure(model) for name, measure in MEASURES.items()}


def firm_table(model) -> pd.DataFrame:
    """One row per alive firm: size, last two years' sales growth, R&D intensity and its HNTE threshold."""
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


__all__ = ["HIGHEND_SKILL", "MEASURES", "SURVIVAL_COHORT_MONTHS", "end_measures", "firm_table", "highend_talents_in",
           "startup_survival"]
