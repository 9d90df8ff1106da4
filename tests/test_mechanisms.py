"""Each mechanism of DESIGN.md section 3, called alone, and each lever changing what it names."""

from __future__ import annotations

import numpy as np
import pytest

from innosim.model import economy, finance, hnte, incubation, labour, relocation
from innosim.model.places import JIASHAN, QINGPU, SHANGHAI, WUJIANG
from innosim.model.policy import CIT_RATE, HNTE_RATE
from innosim.model.state import INCUBATED, NO_STATUS

from .conftest import make_model, small_scenario


def certified_firm(model, place=JIASHAN) -> int:
    f = model.firms
    rows = model.alive_rows()
    row = int(rows[f.region[rows] == place][0])
    f.hnte_until[row] = model.month + 20
    f.hnte_region[row] = place
    return row


@pytest.mark.parametrize(("mutual", "kept"), [(False, False), (True, True)])
def test_certified_firm_moving_across_counties_keeps_status_at_once_only_with_mutual_recognition(mutual, kept):
    """Guokefahuo [2016] 32 art. 18: the certificate is kept either way; without recognition its
    status counts in the destination only after the destination's check (tests/test_relocation_rules.py)."""
    model = make_model(small_scenario(hnte_mutual_recognition=mutual, hnte_reapply_wait_months=12))
    row = certified_firm(model, JIASHAN)
    until = int(model.firms.hnte_until[row])
    assert model.hnte_valid()[row]
    model.relocate_firm(row, WUJIANG)
    assert model.firm(row).cell is model.cells[WUJIANG]
    assert model.hnte_valid()[row] == kept
    agent = model.firm(row)  # the firm's view reads the same state
    assert agent.region == "wujiang" and agent.hnte_status == kept
    assert model.relocations_month[0, JIASHAN, WUJIANG] == 1
    assert model.firms.hnte_until[row] == until  # the certificate itself is never cancelled by the move
    assert model.monthly["hnte_moves"][WUJIANG] == 1 and model.monthly["hnte_lost_on_move"].sum() == 0
    expected_check = NO_STATUS if kept else model.month + model.behaviour.hnte_move_check_months
    assert model.firms.hnte_check_until[row] == expected_check
    assert model.firms.hnte_barred_until[row] == NO_STATUS


def test_move_within_a_province_keeps_status_even_without_recognition():
    model = make_model(small_scenario(hnte_mutual_recognition=False))
    row = certified_firm(model, QINGPU)
    model.relocate_firm(row, SHANGHAI)  # Qingpu and Shanghai's core: both Shanghai
    assert model.hnte_valid()[row]


def test_tax_rate_is_15_percent_where_status_is_recognised():
    model = make_model()
    model.step()
    f = model.firms
    row = certified_firm(model)
    other = int(model.alive_rows()[~model.hnte_valid()[model.alive_rows()]][0])
    f.profit[[row, other]] = 10.0
    f.rd_intensity[[row, other]] = 0.0
    f.extra_rd[[row, other]] = 0.0
    cash = f.cash[[row, other]].copy()
    economy.pay_tax(model)
    np.testing.assert_allclose(cash - f.cash[[row, other]], [10.0 * HNTE_RATE, 10.0 * CIT_RATE])


def test_production_follows_cobb_douglas_with_knowledge_and_effective_labour():
    model = make_model(small_scenario(behaviour={"revenue_sigma": 0.0}))
    f, b = model.firms, model.behaviour
    rows = model.alive_rows()
    f.knowledge[rows[0]] *= 2.0
    knowledge, employees = f.knowledge[rows].copy(), f.employees[rows].copy()
    labour_units = employees - f.talents[rows] + b.talent_efficiency * f.skill_sum[rows]
    economy.produce(model)
    expected = (f.productivity[rows] * model.place_productivity[f.region[rows]] * knowledge**b.alpha
                * labour_units**b.beta / (1 - b.input_share))
    np.testing.assert_allclose(f.revenue[rows], expected)
    # staff move towards labour demand, which rises with knowledge
    assert f.employees[rows[0]] > employees[0]


def test_knowledge_depreciates_at_the_rd_capital_rate_without_innovation():
    model = make_model(small_scenario())
    model.step()
    f = model.firms
    rows = model.alive_rows()
    knowledge = f.knowledge[rows].copy()
    f.rd_intensity[rows] = 0.0
    f.extra_rd[rows] = 0.0
    model.monthly["innovations"][:] = 0
    for _ in range(12):
        economy.innovate(model)
    assert model.monthly["innovations"].sum() == 0
    np.testing.assert_allclose(f.knowledge[rows], knowledge * (1 - model.behaviour.knowledge_depreciation))


def test_innovation_rises_with_rd_and_with_the_researchers_a_firm_employs():
    model = make_model(small_scenario())
    model.step()
    f = model.firms
    rows = model.alive_rows()
    rows = rows[(f.skill_sum[rows] > 0) & (f.rd_intensity[rows] > 0)]
    base = economy.innovation_rate(model, rows)
    f.rd_intensity[rows] *= 2.0
    assert (economy.innovation_rate(model, rows) > base).all()
    f.rd_intensity[rows] /= 2.0
    f.skill_sum[rows] *= 2.0  # twice the researchers (or the skill)
    assert (economy.innovation_rate(model, rows) > base).all()
    f.skill_sum[rows] = 0.0   # no researchers, no innovation
    assert (economy.innovation_rate(model, rows) == 0).all()
    # innovation events add to the stock
    f.skill_sum[rows] = 50.0
    knowledge = f.knowledge[rows].copy()
    economy.innovate(model)
    assert model.monthly["innovations"].sum() > 0
    assert (f.knowledge[rows] > knowledge * (1 - model.behaviour.knowledge_depreciation)).any()


def test_hnte_criteria_follow_the_size_bands():
    np.testing.assert_array_equal(hnte.rd_threshold(np.array([10.0, 50.0, 50.1, 200.0, 500.0])),
                                  [0.05, 0.05, 0.04, 0.04, 0.03])
    model = make_model()
    f = model.firms
    row = int(model.alive_rows()[0])
    f.birth_month[row] = -24
    f.employees[row], f.talents[row] = 20.0, 2
    f.sales_y0[row] = f.sales_y1[row] = f.sales_y2[row] = 30.0   # small firm: 5 % band
    f.rd_y0[row] = f.rd_y1[row] = f.rd_y2[row] = 1.6
    f.hightech_share[row] = 0.7
    f.ip[row] = 0                                                   # no core IP of its own
    assert not hnte.meets_criteria(model, np.array([row]))[0]
    f.ip[row] = 1
    assert hnte.meets_criteria(model, np.array([row]))[0]
    model.national = model.rules.national_at("2015-06")              # the 2008 criteria ask 6 % of small firms
    assert not hnte.meets_criteria(model, np.array([row]))[0]
    model.national = model.rules.national_at("2016-01")
    f.rd_y0[row] = f.rd_y1[row] = f.rd_y2[row] = 1.4               # 4.7 % < 5 %
    assert not hnte.meets_criteria(model, np.array([row]))[0]
    f.rd_y0[row] = f.rd_y1[row] = f.rd_y2[row] = 1.6
    f.talents[row] = 1                                              # 5 % R&D staff < 10 %
    assert not hnte.meets_criteria(model, np.array([row]))[0]
    f.talents[row] = 2
    f.hightech_share[row] = 0.5
    assert not hnte.meets_criteria(model, np.array([row]))[0]


def test_applications_are_decided_months_later_and_last_three_years():
    model = make_model(small_scenario(behaviour={"hnte_first_approval": 1.0}))
    f = model.firms
    row = int(model.alive_rows()[0])
    f.birth_month[row], f.employees[row], f.talents[row], f.hightech_share[row] = -24, 10.0, 3, 0.9
    f.sales_y0[row] = f.sales_y1[row] = f.sales_y2[row] = 10.0
    f.rd_y0[row] = f.rd_y1[row] = f.rd_y2[row] = 1.0
    f.hnte_until[row], f.hnte_ever[row] = NO_STATUS, False
    model.month = 5
    hnte.apply_for_hnte(model)
    assert f.hnte_pending[row] == 5 + hnte.APPROVAL_MONTHS
    model.month = 5 + hnte.APPROVAL_MONTHS
    cash = f.cash[row]
    hnte.decide_hnte(model)
    assert f.hnte_until[row] == model.month + 36
    assert model.monthly["hnte_new"].sum() >= 1 and f.hnte_ever[row]
    # the county's reward for a first certification, in cash
    assert f.cash[row] - cash == pytest.approx(model.rules.hnte_reward_first[f.region[row]])


def own_voucher_for_everyone(model, amount=1.0):
    f = model.firms
    rows = model.alive_rows()
    f.voucher[rows] = amount
    f.voucher_issuer[rows] = f.region[rows]
    f.revenue[rows] = np.maximum(f.revenue[rows], 1.0)
    model.vouchers.issued += np.bincount(f.region[rows], np.full(rows.size, amount), minlength=4)
    return rows


@pytest.mark.parametrize(("scope", "across"), [("own_county", False), ("zone", True), ("zone_shanghai", True)])
def test_own_county_voucher_cannot_be_spent_across_the_line(scope, across):
    model = make_model(small_scenario(vouchers={"scope": scope, "cross_county_settlement": True}))
    own_voucher_for_everyone(model)
    for _ in range(6):
        economy.spend_on_rnd(model)
    spent = model.vouchers.spent_at
    off_diagonal = spent[~np.eye(spent.shape[0], dtype=bool)].sum()  # not sum - trace: float residue
    assert spent.sum() > 0
    assert (off_diagonal > 0) == across
    assert (spent[:, SHANGHAI].sum() > 0) == (scope == "zone_shanghai")


def test_voucher_book_balances_after_use_and_expiry(model):
    own_voucher_for_everyone(model, 0.01)
    economy.spend_on_rnd(model)
    book = model.vouchers
    np.testing.assert_allclose(book.issued, book.used + book.expired + book.outstanding())
    book.expire()
    assert book.outstanding().sum() == 0
    np.testing.assert_allclose(book.issued, book.used + book.expired)


def test_equity_incentives_raise_talent_retention():
    def search_rate(enabled):
        model = make_model(small_scenario(equity_incentives={"enabled": enabled, "equity_share": 0.2,
                                                             "vesting_months": 48, "tax_deferral": True}), seed=7)
        labour.grant_to_staff(model)
        t = model.talents
        employed = np.flatnonzero(t.view("employer") >= 0)
        return labour.search_rate(model, employed).mean()

    assert search_rate(True) < 0.85 * search_rate(False)


def test_talent_recognition_makes_cross_county_moves_likelier():
    def utility_gap(recognition):
        model = make_model(small_scenario(talent_recognition=recognition))
        talent = int(np.flatnonzero(model.talents.view("home") == JIASHAN)[0])
        u = labour.place_utility(model, np.array([talent]))[0]
        return u[WUJIANG] - u[JIASHAN]

    assert utility_gap(True) - utility_gap(False) == pytest.approx(1.0)  # the recognition penalty


def test_incubator_admits_up_to_capacity_and_graduates_settle_somewhere():
    model = make_model(small_scenario(incubation={"capacity": 40}))  # 2 places at 5 % scale
    for _ in range(6):
        model.create_startup(JIASHAN)
    incubation.admit(model)
    jiashan = [i for i in model.incubators if i.region == JIASHAN][0]
    assert model.incubator_occupancy(jiashan) == jiashan.capacity == 2
    tenants = np.flatnonzero(model.firms.view("incubator") == jiashan.unique_id)
    model.firms.incubated_since[tenants] = model.month - model.behaviour.incubation_months
    incubation.graduate(model)
    assert model.incubator_occupancy(jiashan) == 0
    assert model.monthly["graduates"][JIASHAN] == 2


def test_graduates_stay_more_with_post_incubation_space_and_subsidy():
    def stay_probability(model):
        weight = np.exp(incubation.settle_utility(model, JIASHAN, 1)[0])  # logit choice probabilities
        return weight[JIASHAN] / weight.sum()

    plain = make_model(small_scenario())
    helped = make_model(small_scenario(incubation={"post_incubation_space": 50, "stay_subsidy": 1.0}))
    assert stay_probability(helped) > stay_probability(plain)


def test_fund_invests_only_across_county_lines_when_allowed():
    for cross in (False, True):
        model = make_model(small_scenario(behaviour={"fund_screen_rate": 1.0, "fund_reservation": -10.0},
                                          finance={"cross_county_investment": cross, "fund_capital": 3000}))
        money = model.ledger.total()
        for _ in range(24):
            finance.invest(model)
        places = {(fund.region, int(model.firms.region[h.firm])) for fund in model.funds for h in fund.holdings}
        assert places
        assert any(a != b for a, b in places) == cross
        assert model.ledger.total() == pytest.approx(money)


def test_firm_with_sustained_negative_cash_exits_and_frees_its_staff(model):
    f = model.firms
    row = int(model.alive_rows()[0])
    f.cash[row] = -5.0
    f.negative_months[row] = model.behaviour.exit_negative_months - 1
    staff = np.flatnonzero(model.talents.view("employer") == row)
    relocation.exit_failed_firms(model)
    assert not f.alive[row] and not model.firm(row).alive
    assert (model.talents.employer[staff] == NO_STATUS).all()


def test_location_review_prefers_keeping_tax_status():
    def utility(mutual):
        model = make_model(small_scenario(hnte_mutual_recognition=mutual))
        row = certified_firm(model, JIASHAN)
        model.firms.profit[row] = 0.2 * model.firms.revenue[row]
        return relocation.location_utility(model, np.array([row]))[0]

    without, with_recognition = utility(False), utility(True)
    assert with_recognition[WUJIANG] > without[WUJIANG]
    assert with_recognition[JIASHAN] == pytest.approx(without[JIASHAN])


def test_startup_founding_creates_an_incubation_candidate_with_its_founder():
    model = make_model(small_scenario(behaviour={"founding_rate": 1.0}))
    before = model.firms.n
    labour.found_startups(model)
    new = np.arange(before, model.firms.n)
    assert new.size > 0
    assert (model.firms.stage[new] == INCUBATED).all()
    assert (model.firms.talents[new] == 1).all()
    assert (model.firms.startup[new]).all()
