"""What a mechanism does, not the rule it reads: each test sets up the state a mechanism acts on,
runs the mechanism alone, and checks its outcome against the documented value (docs/ODD.md).

These are the rules that once survived every behavioural test, caught only by the golden
numbers (which say that something changed, not what is wrong): a fund's holding period, the
incubation period, the balance index per resident, HNTE tax forgone at the 10-point rate
difference, and the per-firm voucher cap. Each test fails when its rule is broken (the note of
the session that wrote them lists the breaks tried).
"""

from __future__ import annotations

import numpy as np
import pytest

from innosim.model import economy, finance, incubation
from innosim.model.agents import Holding
from innosim.model.indicators import gini, snapshot
from innosim.model.places import N_COUNTIES, POPULATION, SHANGHAI
from innosim.model.policy import CIT_RATE, HNTE_RATE
from innosim.model.state import NO_STATUS

from .conftest import make_model, small_scenario

#: The documented values (docs/ODD.md section 7) these outcomes are checked against.
FUND_HOLDING_MONTHS = 60
INCUBATION_MONTHS = 30
HNTE_TAX_POINTS = CIT_RATE - HNTE_RATE  # 25 % - 15 %


def test_the_documented_rates_are_the_ones_the_model_runs():
    model = make_model()
    assert model.behaviour.fund_holding_months == FUND_HOLDING_MONTHS
    assert model.behaviour.incubation_months == INCUBATION_MONTHS
    assert HNTE_TAX_POINTS == pytest.approx(0.10)


# ------------------------------------------------------------------ funds
def fund_with_holding(model, months_held: int):
    f = model.firms
    fund = model.funds[0]
    firm = int(model.alive_rows()[0])
    f.revenue[firm] = 2.0
    fund.holdings = [Holding(firm=firm, stake=0.1, amount=1.0, entry_month=model.month - months_held)]
    return fund, firm


def test_a_fund_keeps_a_holding_until_its_holding_period_ends():
    model = make_model()
    fund, _ = fund_with_holding(model, FUND_HOLDING_MONTHS - 1)
    capital = fund.capital
    finance.exit_holdings(model)
    assert len(fund.holdings) == 1 and fund.capital == capital


def test_a_fund_sells_a_holding_when_its_holding_period_ends_at_the_exit_value():
    model = make_model()
    fund, firm = fund_with_holding(model, FUND_HOLDING_MONTHS)
    capital, market = fund.capital, model.ledger.accounts["market"].copy()
    finance.exit_holdings(model)
    value = 0.1 * finance.EXIT_VALUE_MULTIPLE * 12.0 * 2.0  # stake x multiple x a year of sales
    assert fund.holdings == []
    assert fund.capital == pytest.approx(capital + value)
    place = int(model.firms.region[firm])
    assert model.ledger.accounts["market"][place] == pytest.approx(market[place] - value)  # outside buyers pay
    assert model.monthly["fund_returns"][fund.region] == pytest.approx(value)


# ------------------------------------------------------------------ incubation
def tenant(model) -> int:
    f = model.firms
    rows = model.alive_rows()
    return int(rows[f.incubator[rows] >= 0][0])


@pytest.mark.parametrize(("months_in", "graduates"), [(INCUBATION_MONTHS - 1, False), (INCUBATION_MONTHS, True)])
def test_tenants_graduate_when_the_incubation_period_ends(months_in, graduates):
    model = make_model()
    model.month = 40
    f = model.firms
    rows = model.alive_rows()
    f.incubated_since[rows[f.incubator[rows] >= 0]] = model.month  # every other tenant just came in
    row = tenant(model)
    f.incubated_since[row] = model.month - months_in
    incubation.graduate(model)
    assert (f.incubator[row] < 0) == graduates
    assert model.monthly["graduates_or_failed"].sum() == (1 if graduates else 0)
    if graduates:
        assert f.incubated_since[row] == NO_STATUS


# ------------------------------------------------------------------ the balance index
def certify_per_county(model, counts: np.ndarray) -> None:
    """Exactly `counts[c]` certified firms in each county (the others' status cleared)."""
    f = model.firms
    rows = model.alive_rows()
    f.hnte_until[rows] = NO_STATUS
    for county in range(N_COUNTIES):
        here = rows[f.region[rows] == county][: counts[county]]
        assert here.size == counts[county], "the small model has too few firms for this test"
        f.hnte_until[here] = model.month + 12
        f.hnte_region[here] = county


def test_the_balance_index_is_one_minus_the_gini_of_hntes_per_resident():
    model = make_model(small_scenario(), seed=2)
    per_resident = POPULATION[:N_COUNTIES] / POPULATION[:N_COUNTIES].min()  # HNTEs in proportion to residents
    certify_per_county(model, np.round(4 * per_resident).astype(int))
    proportional = snapshot(model)["balance_index"][-1]
    counts = np.array([10, 10, 10])  # the same count everywhere: unequal per resident
    certify_per_county(model, counts)
    equal = snapshot(model)["balance_index"][-1]
    assert proportional > 0.98
    assert equal == pytest.approx(1.0 - gini(counts / POPULATION[:N_COUNTIES]))
    assert equal < proportional - 0.05


# ------------------------------------------------------------------ tax forgone
def test_hnte_tax_forgone_is_the_ten_points_on_a_certified_firms_taxable_profit():
    model = make_model()
    f = model.firms
    rows = model.alive_rows()
    certified, plain = int(rows[0]), int(rows[1])
    for row, until in ((certified, model.month + 12), (plain, NO_STATUS)):
        f.hnte_until[row], f.hnte_region[row] = until, f.region[row]
    f.profit[rows], f.rd_intensity[rows], f.extra_rd[rows] = 0.0, 0.0, 0.0
    f.profit[certified], f.profit[plain] = 10.0, 10.0
    cash = f.cash[[certified, plain]].copy()
    economy.pay_tax(model)
    assert cash - f.cash[[certified, plain]] == pytest.approx([HNTE_RATE * 10.0, CIT_RATE * 10.0])
    saved = model.monthly["hnte_tax_saved"]
    assert saved.sum() == pytest.approx(HNTE_TAX_POINTS * 10.0)
    assert saved[f.region[certified]] == pytest.approx(HNTE_TAX_POINTS * 10.0)


# ------------------------------------------------------------------ vouchers
def test_no_firm_gets_more_than_its_countys_cap_and_the_cap_binds_when_money_is_ample():
    cap = 0.05
    model = make_model(small_scenario(behaviour={"voucher_apply_prob": 1.0},
                                      vouchers={"budget": {"qingpu": 1e4, "wujiang": 1e4, "jiashan": 1e4},
                                                "cap_per_firm": cap}))
    model.vouchers.issue()
    f = model.firms
    held = f.view("voucher")
    holders = held > 0
    assert holders.sum() > 20
    assert held.max() <= cap + 1e-12
    assert np.isclose(held[holders], cap).mean() > 0.5  # most firms' need exceeds a small cap
    assert model.vouchers.issued[:SHANGHAI].sum() == pytest.approx(held.sum())
