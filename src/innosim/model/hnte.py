"""High- and new-technology enterprise (HNTE) status (DESIGN.md section 3, step 4).

Criteria: Measures for the Administration of the Certification of HNTEs (Guokefahuo [2016] 32):
registered a year or more; R&D staff at least 10 % of employees; R&D over sales in the last
three years at least 5 % (sales up to 50 M CNY), 4 % (50-200 M) or 3 % (above 200 M);
high-tech products at least 60 % of revenue. A certificate lasts three years.
"""

from __future__ import annotations

import numpy as np

from .policy import HNTE_VALID_MONTHS
from .state import NO_STATUS

APPLICATION_MONTH = 5    #: applications are filed in May (calendar month 1..12)
APPROVAL_MONTHS = 5      #: review takes months: decisions come in October
MIN_AGE_MONTHS = 12
MIN_RD_STAFF_SHARE = 0.10
MIN_HIGHTECH_SHARE = 0.60


def rd_threshold(annual_sales: np.ndarray) -> np.ndarray:
    """The R&D intensity a firm must reach, by its annual sales in M CNY (size bands 5/4/3 %)."""
    return np.where(annual_sales <= 50.0, 0.05, np.where(annual_sales <= 200.0, 0.04, 0.03))


def meets_criteria(model, rows: np.ndarray) -> np.ndarray:
    """Which of `rows` meet every HNTE criterion now."""
    f = model.firms
    age_ok = model.month - f.birth_month[rows] >= MIN_AGE_MONTHS
    staff_ok = f.talents[rows] >= MIN_RD_STAFF_SHARE * f.employees[rows]
    sales = f.sales_y0[rows] + f.sales_y1[rows] + f.sales_y2[rows]
    rd = f.rd_y0[rows] + f.rd_y1[rows] + f.rd_y2[rows]
    annual_sales = np.maximum(f.sales_y1[rows], f.sales_y0[rows])
    intensity_ok = rd >= rd_threshold(annual_sales) * sales
    hightech_ok = f.hightech_share[rows] >= MIN_HIGHTECH_SHARE
    return age_ok & staff_ok & intensity_ok & hightech_ok & (sales > 0)


def plan_rnd(model) -> None:
    """January: firms close to the HNTE criteria set R&D just above their size band's threshold.

    This is what makes R&D intensity bunch at the thresholds (Chen, Liu, Suarez Serrato & Xu
    2021, AER): the 10-point tax cut is worth more than the extra R&D for such firms.
    """
    f, b = model.firms, model.behaviour
    rows = model.alive_rows()
    annual_sales = np.maximum(f.sales_y1[rows], 12.0 * f.revenue[rows])
    threshold = rd_threshold(annual_sales)
    profit_margin = np.clip(f.profit[rows] / np.maximum(f.revenue[rows], 1e-9), 0.0, None)
    tax_saving = 0.10 * profit_margin  # per unit of sales
    extra_rd = np.maximum(threshold + b.hnte_seeking_margin - f.base_rd_intensity[rows], 0.0)
    worth_it = extra_rd < tax_saving + b.hnte_status_value
    seeking = (f.hightech_share[rows] >= MIN_HIGHTECH_SHARE - 0.1) & worth_it
    f.rd_intensity[rows] = np.where(seeking, np.maximum(f.base_rd_intensity[rows], threshold + b.hnte_seeking_margin),
                                    f.base_rd_intensity[rows])


def apply_for_hnte(model) -> None:
    """In the application month, firms that meet the criteria and hold no long-valid status apply."""
    f = model.firms
    rows = model.alive_rows()
    renewing = f.hnte_until[rows] <= model.month + 12
    free = (f.hnte_pending[rows] == NO_STATUS) & (f.hnte_barred_until[rows] < model.month) & renewing
    candidates = rows[free]
    applying = candidates[meets_criteria(model, candidates)]
    f.hnte_pending[applying] = model.month + APPROVAL_MONTHS
    model.count("hnte_applications", f.region[applying].astype(np.int64), np.ones(applying.size))


def decide_hnte(model) -> None:
    """Applications due this month are decided; an approved firm is certified for three years."""
    f = model.firms
    rows = model.alive_rows()
    due = rows[f.hnte_pending[rows] == model.month]
    if due.size == 0:
        return
    approved = due[model.rng.random(due.size) < model.behaviour.hnte_approval_prob]
    new = approved[f.hnte_until[approved] < model.month]  # renewals are not new certifications
    f.hnte_until[approved] = model.month + HNTE_VALID_MONTHS - 1
    f.hnte_region[approved] = f.region[approved]
    f.hnte_pending[due] = NO_STATUS
    model.count("hnte_new", f.region[new].astype(np.int64), np.ones(new.size))


def certify(model) -> None:
    """Step 4 of the month: the annual application round and the decisions that fall due."""
    if model.calendar_month == APPLICATION_MONTH:
        apply_for_hnte(model)
    decide_hnte(model)


def carry_status_on_move(model, row: int, destination: int) -> None:
    """A certified firm that moves keeps its status only where the status is recognised.

    Without mutual recognition a move across a provincial line cancels the status and the firm
    may re-apply only after the waiting period: the paper's "policy barrier" (1.3).
    """
    f = model.firms
    if f.hnte_until[row] < model.month and f.hnte_pending[row] == NO_STATUS:
        return
    if model.rules.hnte_kept_on_move[f.region[row], destination]:
        f.hnte_region[row] = destination
        return
    if f.hnte_until[row] >= model.month:
        model.count("hnte_lost_on_move", np.array([f.region[row]]), np.ones(1))
    f.hnte_until[row] = NO_STATUS
    f.hnte_region[row] = -1
    f.hnte_pending[row] = NO_STATUS
    f.hnte_barred_until[row] = model.month + model.rules.hnte_reapply_wait


def close_accounting_year(model) -> None:
    """December: shift the three-year R&D and sales windows."""
    f = model.firms
    n = f.n
    f.rd_y2[:n], f.rd_y1[:n], f.rd_y0[:n] = f.rd_y1[:n], f.rd_y0[:n], 0.0
    f.sales_y2[:n], f.sales_y1[:n], f.sales_y0[:n] = f.sales_y1[:n], f.sales_y0[:n], 0.0
