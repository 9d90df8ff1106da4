"""County R&D expense subsidies (model/rd_subsidy.py): what a county pays, and what it does to R&D.

The payment is share x (last year's reported R&D - threshold), at most the cap, to the firm's cash
from its county's government account; the channel is the R&D plan, which follows the after-tax
cost of R&D (docs/ODD.md, the HNTE road)."""

from __future__ import annotations

import numpy as np
import pytest

from innosim.model import hnte, rd_subsidy
from innosim.model.policy import PolicyRules
from innosim.scenario import validate_data

from .conftest import make_model, small_scenario

JIASHAN = 2
SUBSIDY = {"share": {"qingpu": 0.0, "wujiang": 0.0, "jiashan": 0.2}, "threshold": 0.5, "cap_per_firm": 1.0}


def jiashan_firms(model, n: int = 3) -> np.ndarray:
    rows = model.alive_rows()
    return rows[model.firms.region[rows] == JIASHAN][:n]


def test_a_county_pays_its_share_of_rd_above_the_threshold_up_to_the_cap():
    model = make_model(small_scenario(rd_subsidy=SUBSIDY))
    f = model.firms
    below, above, capped = jiashan_firms(model)
    f.rd_y1[[below, above, capped]] = [0.4, 2.5, 20.0]   # M CNY reported last year
    cash = f.cash[[below, above, capped]].copy()
    government = model.ledger.accounts["government"][JIASHAN]
    rd_subsidy.pay(model)
    paid = f.cash[[below, above, capped]] - cash
    assert paid == pytest.approx([0.0, 0.2 * (2.5 - 0.5), 1.0])
    assert model.monthly["rd_subsidies"][JIASHAN] >= paid.sum() - 1e-12   # other Jiashan firms may be paid too
    assert government - model.ledger.accounts["government"][JIASHAN] == pytest.approx(
        model.monthly["rd_subsidies"][JIASHAN])
    model.ledger.check(model.month)   # no money created or lost


def test_a_county_without_the_subsidy_pays_nothing_to_its_firms():
    model = make_model(small_scenario(rd_subsidy=SUBSIDY))
    model.firms.rd_y1[:] = 10.0
    rd_subsidy.pay(model)
    assert model.monthly["rd_subsidies"][:2].sum() == 0.0 and model.monthly["rd_subsidies"][JIASHAN] > 0


def test_the_subsidy_at_the_margin_raises_the_planned_rd_of_firms_above_the_threshold_only():
    model = make_model()
    f = model.firms
    below, above, capped = jiashan_firms(model)
    f.rd_y1[[below, above, capped]] = [0.4, 2.5, 20.0]
    rows = np.array([below, above, capped])
    before = hnte.planned_base(model, rows)
    model.rules = PolicyRules.from_scenario(small_scenario(rd_subsidy=SUBSIDY))
    after = hnte.planned_base(model, rows)
    assert after[0] == before[0] and after[2] == before[2]      # below the threshold, at the cap: no margin
    assert after[1] > before[1] * 1.1                           # 20 % off a yuan of R&D: about 1/(1-0.2) more


def test_an_rd_subsidy_in_jiashan_raises_jiashans_rd_spending_and_its_public_cost():
    def run(scenario):
        model = make_model(scenario, seed=5)
        for _ in range(24):
            model.step()
        records = model.datacollector.model_vars["indicators"][1:]   # the months after set-up
        return {name: np.sum([record[name] for record in records], axis=0)
                for name in ("rd_spending", "rd_subsidies", "public_cost")}
    base, subsidised = run(small_scenario()), run(small_scenario(rd_subsidy=SUBSIDY))
    assert base["rd_subsidies"].sum() == 0.0
    assert subsidised["rd_subsidies"][JIASHAN] > 0 and subsidised["rd_subsidies"][:2].sum() == 0.0
    assert subsidised["rd_spending"][JIASHAN] > base["rd_spending"][JIASHAN] * 1.02
    extra = subsidised["public_cost"][JIASHAN] - base["public_cost"][JIASHAN]
    assert extra > 0.5 * subsidised["rd_subsidies"][JIASHAN]   # the payments are public money


def test_a_dated_rd_subsidy_is_paid_from_the_january_after_its_month_in_its_county_only():
    scenario = validate_data({"run": {"scale": 0.05, "months": 24},
                              "changes": [{"from": "2019-07", "note": "Jiashan starts paying R&D subsidies",
                                           "set": {"policy.rd_subsidy.share.jiashan": 0.2}}]}, "<test>")
    model = make_model(scenario, seed=5)
    for _ in range(24):
        model.step()
    records = model.datacollector.model_vars["indicators"][1:]   # 2019-01 .. 2020-12
    jiashan = [r["rd_subsidies"][JIASHAN] for r in records]
    assert sum(jiashan[:12]) == 0.0            # in force from July 2019: the first payment is January 2020
    assert jiashan[12] > 0 and sum(jiashan[13:]) == 0.0
    assert sum(r["rd_subsidies"][:2].sum() for r in records) == 0.0
