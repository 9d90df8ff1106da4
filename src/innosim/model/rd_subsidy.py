"""County R&D expense subsidies (研发费用补助): a county pays a firm a share of the R&D it reported
last year above a threshold, capped per firm, in January.

County and provincial schemes of this kind pay on the R&D a firm claimed for the super-deduction
(e.g. Jiangsu's provincial reward for enterprise R&D expenses, 企业研究开发费用省级财政奖励, and
Zhejiang counties' R&D "post-subsidies", 研发投入后补助: a share of the R&D claimed, capped per firm). The share,
threshold and cap are the county's levers (`policy.rd_subsidy`); the baseline pays none, an
assumption that leaves the counties' present schemes inside the calibrated R&D habits.

The channel: where the subsidy is paid at the margin (R&D above the threshold, the cap not reached),
a yuan of R&D costs the firm `share` less, and plans follow the after-tax cost of R&D with the
elasticity of `hnte.rd_cost_factor` (Bloom, Griffith & Van Reenen 2002), as they follow the
super-deduction.
"""

from __future__ import annotations

import numpy as np


def paid_for(model, rows: np.ndarray) -> np.ndarray:
    """M CNY each of `rows` receives for last year's reported R&D: share x (R&D - threshold), capped."""
    rules, f = model.rules, model.firms
    region = f.region[rows].astype(np.int64)
    above = np.maximum(f.rd_y1[rows] - rules.rd_subsidy_threshold[region], 0.0)
    return np.minimum(rules.rd_subsidy_share[region] * above, rules.rd_subsidy_cap[region])


def marginal_share(model, rows: np.ndarray) -> np.ndarray:
    """Share of a further yuan of R&D each of `rows` expects the county to pay: its county's share
    where last year's R&D was above the threshold and the payment below the cap, else 0."""
    rules, f = model.rules, model.firms
    region = f.region[rows].astype(np.int64)
    share = rules.rd_subsidy_share[region]
    above = f.rd_y1[rows] >= rules.rd_subsidy_threshold[region]
    under_cap = share * (f.rd_y1[rows] - rules.rd_subsidy_threshold[region]) < rules.rd_subsidy_cap[region]
    return np.where(above & under_cap, share, 0.0)


def pay(model) -> None:
    """January: each county pays its firms' subsidies on last year's reported R&D (nothing is drawn)."""
    if not model.rules.rd_subsidy_share.any():
        return
    f = model.firms
    rows = model.alive_rows()
    paid = paid_for(model, rows)
    rows, paid = rows[paid > 0], paid[paid > 0]
    place = f.region[rows].astype(np.int64)
    model.ledger.firms_receive(rows, paid, "government", place)
    model.count("rd_subsidies", place, paid)
