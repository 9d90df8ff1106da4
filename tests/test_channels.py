"""The channels the levers work through: voucher projects, equity grants, venture money."""

from __future__ import annotations

import numpy as np
import pytest

from innosim.model import economy, finance, labour, population
from innosim.model.policy import EQUITY_KEPT_WITH_DEFERRAL, EQUITY_KEPT_WITHOUT_DEFERRAL
from innosim.model.vouchers import VOUCHER_PROJECT_MONTHS

from .conftest import make_model, small_scenario


def run(model, months: int):
    for _ in range(months):
        model.step()
    return model


# ---------------------------------------------------------------- vouchers
def test_additional_vouchers_pay_for_projects_the_firm_would_not_have_bought():
    def year(additionality):
        model = make_model(small_scenario(behaviour={"voucher_additionality": additionality},
                                          vouchers={"budget": 100}), seed=3)
        return run(model, 12)

    none, all_ = year(0.0), year(1.0)
    assert none.cumulative["voucher_project_spending"].sum() == 0
    assert all_.cumulative["voucher_project_spending"].sum() > 0
    # the projects are R&D on top of the plan, and they yield innovations
    assert all_.cumulative["rd_spending"].sum() > none.cumulative["rd_spending"].sum()
    assert all_.cumulative["innovations"].sum() > none.cumulative["innovations"].sum()
    # the voucher pays its share of a project, the firm the rest: projects cost more than the vouchers used
    assert all_.cumulative["voucher_project_spending"].sum() > all_.cumulative["vouchers_used"].sum()


def test_a_voucher_project_is_bought_over_a_few_months_and_its_subsidy_is_the_subsidy_share():
    model = make_model(small_scenario(behaviour={"voucher_additionality": 1.0}, vouchers={"budget": 100}), seed=2)
    model.step()  # January: vouchers issued, projects start
    f = model.firms
    rows = np.flatnonzero(f.view("voucher_project") > 0)
    assert rows.size
    rate = f.voucher_project_rate[rows]
    # after the first month a project has at most one month's share bought
    assert (f.voucher_project[rows] >= rate * (VOUCHER_PROJECT_MONTHS - 1) - 1e-12).all()
    assert (f.voucher_project[rows] <= rate * VOUCHER_PROJECT_MONTHS + 1e-12).all()
    share = model.rules.voucher_subsidy_share.max()
    run(model, VOUCHER_PROJECT_MONTHS + 6)
    # money a voucher paid is the subsidy share of what the projects and services cost, no more
    assert model.vouchers.used.sum() <= share * (model.cumulative["voucher_project_spending"].sum()
                                                 + model.cumulative["rd_spending"].sum()) + 1e-9


def test_the_collaboration_a_voucher_project_starts_fades_within_a_year_and_a_half():
    model = make_model(small_scenario(behaviour={"voucher_additionality": 1.0}, vouchers={"budget": 100}), seed=2)
    run(model, 4)
    f = model.firms
    linked = model.alive_rows()
    linked = linked[f.voucher_link[linked] > 0.3]
    assert linked.size
    start = f.voucher_link[linked].copy()
    f.voucher_project[: f.n] = 0.0  # no new projects
    f.voucher[: f.n] = 0.0
    for _ in range(18):
        economy.spend_on_rnd(model)
    assert (f.voucher_link[linked] < 0.06 * start).all()


# ---------------------------------------------------------------- equity
@pytest.fixture
def equity_model():
    return run(make_model(small_scenario(equity_incentives={"enabled": True, "tax_deferral": True,
                                                             "vesting_months": 24}), seed=4), 2)


def test_equity_is_granted_once_at_hire_and_not_reset_each_january(equity_model):
    model = equity_model
    t = model.talents
    holders = np.flatnonzero((t.view("equity_grant") > 0) & (t.view("employer") >= 0))
    assert holders.size
    grant, start, hired = t.equity_grant[holders].copy(), t.equity_start[holders].copy(), t.hired_month[holders].copy()
    while model.calendar_month != 12:
        model.step()
    model.step()  # January
    still = holders[(t.hired_month[holders] == hired) & (t.employer[holders] >= 0)]  # never changed job
    assert still.size
    np.testing.assert_array_equal(t.equity_start[still], start[np.isin(holders, still)])
    np.testing.assert_array_equal(t.equity_grant[still], grant[np.isin(holders, still)])
    labour.grant_to_staff(model)  # again: nobody gets a second grant from the same employer
    np.testing.assert_array_equal(t.equity_grant[still], grant[np.isin(holders, still)])


def test_a_grant_vests_linearly_and_the_unvested_part_is_forfeited_on_leaving(equity_model):
    model = equity_model
    t = model.talents
    talent = int(np.flatnonzero((t.view("equity_grant") > 0) & (t.view("employer") >= 0))[0])
    grant, banked = t.equity_grant[talent], t.equity_vested[talent]
    model.month = t.equity_start[talent] + 6  # a quarter of 24 months
    labour.quit_job(model, np.array([talent]))
    kept = model.rules.equity_kept
    assert t.equity_vested[talent] - banked == pytest.approx(0.25 * grant * kept)
    assert t.equity_grant[talent] == 0.0


def test_the_grant_is_a_documented_share_of_the_firm_shared_over_its_key_positions(equity_model):
    model = equity_model
    f = model.firms
    rows = model.alive_rows()
    young = rows[(model.month - f.birth_month[rows] < labour.EQUITY_YOUNG_MONTHS) & (f.region[rows] != 3)]
    offer = labour.equity_offer(model, young)
    positions = np.maximum(population.seats(f, young), f.talents[young])
    value = labour.FIRM_VALUE_SALES_MULTIPLE * 12 * f.revenue[young]
    np.testing.assert_allclose(offer * positions, model.rules.equity_share * value)


def test_the_tax_deferral_is_income_tax_forgone_on_what_vests():
    def forgone(deferral):
        model = make_model(small_scenario(equity_incentives={"enabled": True, "tax_deferral": deferral,
                                                             "vesting_months": 12}), seed=5)
        run(model, 30)
        return model.cumulative["equity_tax_forgone"].sum(), model.cumulative["equity_vested"].sum()

    none, vested_without = forgone(False)
    some, vested_with = forgone(True)
    assert none == 0.0 and vested_without > 0
    assert some == pytest.approx((EQUITY_KEPT_WITH_DEFERRAL - EQUITY_KEPT_WITHOUT_DEFERRAL) * vested_with)


def test_equity_on_offer_puts_a_position_first_in_line(equity_model):
    model = equity_model
    rows = model.alive_rows()
    offer = labour.equity_offer(model, rows)
    assert (offer > 0).any() and (offer == 0).any()
    first_half = 0
    for _ in range(50):
        ordered = labour.order_vacancies(model, rows, 0)
        first_half += (offer[np.searchsorted(rows, ordered[: rows.size // 4])] > 0).mean()
    assert first_half / 50 > (offer > 0).mean()


# ---------------------------------------------------------------- venture money
def test_fund_capital_limits_deal_flow():
    model = make_model(small_scenario(behaviour={"fund_screen_rate": 1.0, "fund_reservation": -10.0},
                                      finance={"fund_capital": 400}), seed=1)
    capital = {id(fund): fund.capital for fund in model.funds}
    ticket = model.behaviour.fund_ticket
    for month in range(1, 25):
        finance.invest(model)
        for fund in model.funds:
            # the endowment sets the pace: what a fund has invested by now is at most its pace so far
            assert capital[id(fund)] - fund.capital <= month * fund.size / finance.FUND_INVESTMENT_MONTHS + 1e-9
    for fund in model.funds:
        assert fund.holdings  # the pace let some deals through
    for _ in range(24):
        for fund in model.funds:
            fund.pace_left = 1e9  # with no pace limit, capital ends the deals
        finance.invest(model)
    for fund in model.funds:
        assert 0 <= fund.capital < ticket
        assert sum(h.amount for h in fund.holdings) == pytest.approx(capital[id(fund)] - fund.capital)


def test_a_venture_investment_finances_rnd_and_positions_until_the_money_is_spent():
    model = make_model(small_scenario(finance={"fund_capital": 0}), seed=1)
    f = model.firms
    firm = int(model.alive_rows()[0])
    seats = population.seats(f, np.array([firm]))[0]
    fund = model.funds[0]
    fund.capital = 10.0
    finance.back(model, fund, firm)
    assert f.extra_seats[firm] > 0
    assert population.seats(f, np.array([firm]))[0] == seats + f.extra_seats[firm]
    spent = sum(finance.spend_venture_money(model, np.array([firm]))[0] for _ in range(finance.VENTURE_MONTHS))
    assert spent == pytest.approx(finance.VENTURE_RD_SHARE * model.behaviour.fund_ticket)
    assert f.venture_budget[firm] == pytest.approx(0.0) and f.extra_seats[firm] == 0


def test_the_collaboration_a_voucher_project_leaves_raises_innovation_while_it_lasts():
    model = run(make_model(small_scenario(), seed=2), 1)
    f = model.firms
    rows = model.alive_rows()
    rows = rows[(f.rd_intensity[rows] > 0) & (f.skill_sum[rows] > 0) & (f.collaboration[rows] < 0.9)]
    f.voucher_link[rows] = 0.0
    before = economy.innovation_rate(model, rows)
    f.voucher_link[rows] = 1.0  # a project with the best providers (Shanghai's)
    after = economy.innovation_rate(model, rows)
    assert (after > before).all()


def test_equity_incentives_are_the_counties_lever_not_shanghais(equity_model):
    model = equity_model
    f = model.firms
    rows = model.alive_rows()
    # young firms with sales: one founded this month has none yet, so no value to grant a share of
    young = rows[(model.month - f.birth_month[rows] < labour.EQUITY_YOUNG_MONTHS) & (f.revenue[rows] > 0)]
    offer = labour.equity_offer(model, young)
    in_shanghai = f.region[young] == 3
    assert in_shanghai.any() and (~in_shanghai).any()
    assert (offer[in_shanghai] == 0).all() and (offer[~in_shanghai] > 0).all()
