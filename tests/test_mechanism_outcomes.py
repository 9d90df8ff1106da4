"""What a mechanism does, not the rule it reads: each test sets up the state a mechanism acts on,
runs the mechanism alone, and checks its outcome against the documented value (docs/ODD.md).

The first ones are the rules that once survived every behavioural test, caught only by the golden
numbers (which say that something changed, not what is wrong): a fund's holding period, the
incubation period, the balance index per resident, HNTE tax forgone at the 10-point rate
difference, and the per-firm voucher cap. The others cover the levers and public-cost items whose
rules could be broken without a behavioural test failing: voucher budget, share and settlement,
HNTE rewards, cultivation pools, talent programmes and recognition, incubator places, stay
subsidy and post-incubation space, the location review's stay bonus, brokers, equity grants.
`python -m tests.break_rules` breaks each rule in turn; docs/testing.md lists the breaks and the
test that catches each.
"""

from __future__ import annotations

import numpy as np
import pytest

from innosim.model import demography, economy, finance, hnte, incubation, labour, population, relocation, techmarket
from innosim.model.agents import Holding
from innosim.model.indicators import gini, snapshot
from innosim.model.places import JIASHAN, N_COUNTIES, POPULATION, QINGPU, SHANGHAI, WUJIANG
from innosim.model.policy import CIT_RATE, HNTE_RATE
from innosim.model.state import NO_STATUS
from innosim.scenario import validate_data

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


def test_a_countys_voucher_budget_is_all_it_grants_when_firms_ask_for_more():
    """Firms are served in random order while the budget lasts: what a county grants is its budget
    (at the run's scale) to the cent, and some applicants get less than they asked or nothing."""
    budget = 4.0  # M CNY a year at full size: 0.2 at the 5 % scale, a handful of vouchers at the cap
    model = make_model(small_scenario(behaviour={"voucher_apply_prob": 1.0},
                                      vouchers={"budget": {"qingpu": budget, "wujiang": 1e4, "jiashan": budget},
                                                "cap_per_firm": 0.1}))
    model.vouchers.issue()
    f = model.firms
    scale = model.spec.run.scale
    for place in (QINGPU, JIASHAN):
        assert model.vouchers.issued[place] == pytest.approx(budget * scale, rel=1e-12)
        here = model.alive_rows()[f.region[model.alive_rows()] == place]
        wanting = here[f.rd_intensity[here] > 0]
        assert np.count_nonzero(f.voucher[wanting] > 0) < wanting.size  # the money ran out before the queue
    held = f.view("voucher")
    assert held[f.view("region") == WUJIANG].sum() == pytest.approx(model.vouchers.issued[WUJIANG])
    assert model.vouchers.issued[WUJIANG] > 2 * budget * scale  # where money is ample, the caps bind instead


# ------------------------------------------------------------------ HNTE rewards
def decide_three(model):
    """A first applicant, a renewal and a firm regaining a lapsed status, decided this month with
    certain approval; every other application cleared. Returns their rows and their cash before."""
    f = model.firms
    rows = model.alive_rows()
    rows = rows[f.region[rows] == JIASHAN][:3]
    new, renewed, regained = (int(r) for r in rows)
    f.hnte_pending[model.alive_rows()] = NO_STATUS
    f.hnte_pending[rows] = model.month
    f.hnte_until[new], f.hnte_ever[new], f.hnte_region[new] = NO_STATUS, False, -1
    f.hnte_until[renewed], f.hnte_ever[renewed], f.hnte_region[renewed] = model.month, True, JIASHAN
    f.hnte_until[regained], f.hnte_ever[regained], f.hnte_region[regained] = model.month - 3, True, JIASHAN
    f.hnte_treated[rows] = False
    return (new, renewed, regained), f.cash[rows].copy()


def test_the_county_pays_its_reward_for_a_first_certification_and_a_renewal_and_none_for_a_regained_one():
    """docs/ODD.md, HNTE certification: `hnte_rewards.first` for a first certification,
    `hnte_rewards.renewal` for a renewal, nothing for a status regained after a lapse; from the
    county where the firm is, to the firm's cash, counted as `hnte_rewards` (public cost)."""
    first, renewal = 0.3, 0.07
    model = make_model(small_scenario(behaviour={"hnte_first_approval": 1.0, "hnte_renewal_approval": 1.0},
                                      hnte_rewards={"first": {"qingpu": 9.0, "wujiang": 9.0, "jiashan": first},
                                                    "renewal": {"qingpu": 9.0, "wujiang": 9.0, "jiashan": renewal}}))
    model.month = 10
    rows, cash = decide_three(model)
    government = model.ledger.accounts["government"].copy()
    hnte.decide_hnte(model)
    f = model.firms
    assert [model.monthly[name][JIASHAN] for name in ("hnte_new", "hnte_renewed", "hnte_regained")] == [1, 1, 1]
    assert f.cash[list(rows)] - cash == pytest.approx([first, renewal, 0.0])
    assert model.monthly["hnte_rewards"][JIASHAN] == pytest.approx(first + renewal)
    assert model.monthly["hnte_rewards"].sum() == pytest.approx(first + renewal)  # no other county paid
    assert government - model.ledger.accounts["government"] == pytest.approx([0, 0, first + renewal, 0])
    assert (f.hnte_until[list(rows)] == model.month + 36).all()


# ------------------------------------------------------------------ cultivation pools
def test_a_cultivation_pool_takes_its_capacity_of_the_nearest_candidates_coaches_and_pays_them():
    """docs/ODD.md, cultivation pools: each January a county takes up to `capacity` (at the run's
    scale) uncertified candidates outside the incubators within 10 points of the 60 % high-tech
    share, the highest first; each gets at least one granted IP right (the coaching) and the
    county's `subsidy` from the county's government account, counted as `pool_subsidies`."""
    subsidy = 0.04
    model = make_model(small_scenario(cultivation={"capacity": {"qingpu": 0, "wujiang": 0, "jiashan": 100},
                                                   "subsidy": subsidy}))
    places = 5  # 100 x the 5 % scale: a whole number, no lot
    f = model.firms
    rows = model.alive_rows()
    jiashan = rows[(f.region[rows] == JIASHAN) & (f.incubator[rows] < 0)]
    f.hnte_until[jiashan], f.hnte_region[jiashan] = NO_STATUS, -1
    f.hightech_share[rows] = 0.1
    candidates = jiashan[:8]
    assert candidates.size == 8, "the small model has too few Jiashan firms for this test"
    f.hightech_share[candidates] = [0.52, 0.9, 0.55, 0.7, 0.8, 0.6, 0.65, 0.75]
    f.ip[candidates] = 0
    certified = jiashan[8]
    f.hnte_until[certified], f.hnte_region[certified], f.hightech_share[certified] = model.month + 12, JIASHAN, 0.99
    cash, government = f.cash[candidates].copy(), model.ledger.accounts["government"][JIASHAN]
    hnte.admit_to_pools(model)
    pooled = candidates[hnte.in_pool(model, candidates)]
    expected = candidates[np.argsort(-f.hightech_share[candidates])][:places]  # 0.9 0.8 0.75 0.7 0.65
    assert sorted(pooled.tolist()) == sorted(expected.tolist())
    assert not hnte.in_pool(model, np.array([certified]))[0]  # a certified firm needs no coaching
    assert (f.ip[pooled] >= 1).all() and (f.ip[np.setdiff1d(candidates, pooled)] == 0).all()
    assert f.cash[pooled] - cash[np.isin(candidates, pooled)] == pytest.approx(np.full(places, subsidy))
    assert model.monthly["pool_subsidies"][JIASHAN] == pytest.approx(places * subsidy)
    assert government - model.ledger.accounts["government"][JIASHAN] == pytest.approx(places * subsidy)
    assert snapshot(model)["hnte_pool"][JIASHAN] == places


# ------------------------------------------------------------------ talent programmes
def test_talent_programmes_bring_their_yearly_number_to_their_county():
    """`talent_programmes` is high-end talents a year per county (at the run's scale), arriving
    month by month: a year of arrivals is that number within Poisson noise."""
    model = make_model(small_scenario(talent_programmes={"qingpu": 1200, "wujiang": 0, "jiashan": 2400}))
    for _ in range(12):
        demography.arrive(model)
    came = model.monthly["programme_talents"]  # counters add up until the model resets them
    scale = model.spec.run.scale
    assert came[WUJIANG] == 0 and came[SHANGHAI] == 0
    for place, yearly in ((QINGPU, 1200), (JIASHAN, 2400)):
        expected = yearly * scale
        assert abs(came[place] - expected) < 4 * np.sqrt(expected)  # 60 and 120, Poisson sd 8 and 11


# ------------------------------------------------------------------ incubation: settling graduates
def graduates_staying(incubation_policy: dict) -> tuple[int, int, float, float]:
    """40 Jiashan tenants graduate at once: (stayed, graduates, stay subsidies counted, government
    money paid out)."""
    model = make_model(small_scenario(incubation={"capacity": 1000, **incubation_policy}), seed=3)
    f = model.firms
    for _ in range(40):
        model.create_startup(JIASHAN)
    incubation.admit(model)
    rows = model.alive_rows()
    tenants = rows[(f.incubator[rows] >= 0) & (f.region[rows] == JIASHAN)]
    assert tenants.size >= 40
    others = rows[(f.incubator[rows] >= 0) & (f.region[rows] != JIASHAN)]
    f.incubated_since[others] = model.month  # only Jiashan's graduate now
    f.incubated_since[tenants] = model.month - model.behaviour.incubation_months
    government = model.ledger.accounts["government"][JIASHAN]
    incubation.graduate(model)
    stayed = int(model.monthly["graduates_stayed"][JIASHAN])
    return (stayed, int(model.monthly["graduates"][JIASHAN]), float(model.monthly["stay_subsidies"][JIASHAN]),
            float(government - model.ledger.accounts["government"][JIASHAN]))


def test_a_stay_subsidy_keeps_more_graduates_and_each_stayer_is_paid_it():
    plain_stayed, graduates, plain_paid, _ = graduates_staying({})
    stayed, graduates_too, paid, government = graduates_staying({"stay_subsidy": 1.0})
    assert graduates == graduates_too >= 40 and plain_paid == 0.0
    assert stayed >= plain_stayed + 5  # the same draws: only the subsidy's pull differs
    assert paid == pytest.approx(1.0 * stayed) and government == pytest.approx(paid)


def test_post_incubation_space_in_the_county_keeps_more_graduates():
    plain_stayed, _, _, _ = graduates_staying({})
    stayed, _, paid, _ = graduates_staying({"post_incubation_space": {"qingpu": 0, "wujiang": 0, "jiashan": 1000}})
    assert stayed >= plain_stayed + 3 and paid == 0.0


# ------------------------------------------------------------------ the location review
def test_the_stay_bonus_keeps_firms_where_they_are_in_their_location_review():
    """`firm_stay_bonus` is the taste for staying put: it adds exactly its value to the firm's own
    place, and at the documented 7 few firms move in a review, without it many do."""
    def review(bonus: float):
        model = make_model(small_scenario(behaviour={"firm_stay_bonus": bonus}), seed=4)
        f = model.firms
        model.month = 1  # January: every firm outside an incubator reviews its location now
        rows = model.alive_rows()
        rows = rows[f.incubator[rows] < 0]
        f.review_month[rows] = model.calendar_month
        home = f.region[rows].copy()
        utility = relocation.location_utility(model, rows)
        relocation.review_locations(model)
        return utility, home, model.relocations_month[0].sum() / rows.size

    (stay, home, moved), (none, _, moved_without_bonus) = review(7.0), review(0.0)
    own = np.zeros_like(stay, dtype=bool)
    own[np.arange(home.size), home] = True
    np.testing.assert_allclose((stay - none)[own], 7.0)
    np.testing.assert_allclose((stay - none)[~own], 0.0, atol=1e-12)
    assert moved < 0.02 and moved_without_bonus > 0.2


# ------------------------------------------------------------------ brokers and the technology market
@pytest.mark.parametrize("reach", [0.0, 1.0])
def test_brokers_reach_decides_whether_problems_find_solvers_across_county_lines(reach):
    """A posted problem is found by solvers in other places with `solver_local_prob` x the brokers'
    reach; a signed deal costs `deal_value` (paid to the solver's providers) and adds one innovation
    of knowledge. With no reach every deal is local, with full reach many are not."""
    model = make_model(small_scenario(behaviour={"problem_post_rate": 1.0, "deal_threshold": 0.0,
                                                 "solver_local_prob": 1.0},
                                      brokers={"cross_county_reach": reach, "shanghai_reach": reach}))
    f = model.firms
    rows = model.alive_rows()
    knowledge, cash = f.knowledge[rows].copy(), f.cash[rows].copy()
    providers = model.ledger.accounts["providers"].copy()
    techmarket.match_technical_problems(model)
    deals = model.monthly["tech_deals"].sum()
    assert deals == rows.size  # everyone posts, and any found match clears a threshold of 0
    np.testing.assert_allclose(f.knowledge[rows] - knowledge, 1.0)
    value = model.behaviour.deal_value
    np.testing.assert_allclose(cash - f.cash[rows], value)
    assert (model.ledger.accounts["providers"] - providers).sum() == pytest.approx(value * deals)
    across = model.monthly["tech_deals_across"].sum()
    assert (across == 0) if reach == 0.0 else (across > 0.3 * deals)


# ------------------------------------------------------------------ voucher settlement
def test_cross_county_settlement_makes_providers_across_the_line_accept_every_voucher():
    """Without settlement a provider across the county line accepts a voucher with
    `provider_acceptance_without_settlement` (0.3); with it, always. The same firms choose the same
    providers either way (the voucher's pull is where it is spendable), so settlement adds redemptions
    across the line and leaves those at home as they were."""
    def spent(settlement: bool) -> np.ndarray:
        model = make_model(small_scenario(vouchers={"scope": "zone_shanghai", "cross_county_settlement": settlement}))
        f = model.firms
        rows = model.alive_rows()
        f.voucher[rows], f.voucher_issuer[rows] = 1.0, f.region[rows]
        f.revenue[rows] = np.maximum(f.revenue[rows], 1.0)
        f.rd_intensity[rows] = np.maximum(f.rd_intensity[rows], 0.02)
        economy.spend_on_rnd(model)
        return model.vouchers.spent_at.copy()

    settled, unsettled = spent(True), spent(False)
    home = np.eye(settled.shape[0], dtype=bool)
    np.testing.assert_allclose(np.diag(settled), np.diag(unsettled))
    assert settled[~home].sum() > 0
    ratio = unsettled[~home].sum() / settled[~home].sum()
    assert 0.1 < ratio < 0.5  # about the 0.3 acceptance


def test_a_voucher_pays_its_subsidy_share_of_the_services_bill_and_the_firm_the_rest():
    """A voucher spent on services the firm buys anyway pays `subsidy_share` of the bill (the external
    share of its planned R&D), never the whole: the firm pays the provider the rest."""
    share = 0.4
    model = make_model(small_scenario(vouchers={"subsidy_share": share}))
    f = model.firms
    rows = model.alive_rows()
    f.voucher[rows], f.voucher_issuer[rows] = 10.0, f.region[rows]  # balances that never bind
    f.voucher_project[rows] = 0.0
    f.revenue[rows] = np.maximum(f.revenue[rows], 1.0)
    f.rd_intensity[rows] = np.maximum(f.rd_intensity[rows], 0.02)
    bill = f.rd_intensity[rows] * f.revenue[rows] * model.behaviour.external_share
    providers = model.ledger.accounts["providers"].sum()
    economy.spend_on_rnd(model)
    paid = 10.0 - f.voucher[rows]
    used = paid > 0
    assert used.sum() > 0.3 * rows.size  # most firms buy at home, where the voucher is accepted
    np.testing.assert_allclose(paid[used], share * bill[used], rtol=1e-12)
    assert model.vouchers.used.sum() == pytest.approx(paid.sum())
    assert model.ledger.accounts["providers"].sum() - providers == pytest.approx(bill.sum())  # providers get the bill


def test_an_incubator_admits_the_oldest_waiting_start_ups_up_to_its_free_places():
    """Start-ups wait for a place in their county's incubator, oldest first, up to its capacity: with
    more waiting than places free, the incubator ends exactly full and those left waiting are no
    older than any it admitted."""
    model = make_model(small_scenario(incubation={"capacity": {"qingpu": 60, "wujiang": 70, "jiashan": 400}}))
    f = model.firms
    jiashan = next(i for i in model.incubators if i.region == JIASHAN)
    free = jiashan.capacity - model.incubator_occupancy(jiashan)
    assert free >= 2
    waiting = np.array([model.create_startup(JIASHAN) for _ in range(free + 6)])
    f.birth_month[waiting] = -(np.arange(waiting.size) % 11)  # founded in the last eleven months
    incubation.admit(model)
    admitted = waiting[f.incubator[waiting] == jiashan.unique_id]
    left = waiting[f.incubator[waiting] < 0]
    assert model.incubator_occupancy(jiashan) == jiashan.capacity
    assert admitted.size == free and left.size == 6
    assert f.birth_month[admitted].max() <= f.birth_month[left].min()
    assert (f.incubated_since[admitted] == model.month).all()


# ------------------------------------------------------------------ equity incentives
def test_a_talent_hired_by_an_eligible_firm_gets_the_equity_share_of_a_year_of_sales_over_its_key_positions():
    """docs/ODD.md, Equity incentives: a firm under five years old (or certified) reserves
    `equity_share` of its value, a year of sales, for its key staff, shared over its key positions; a
    talent it hires gets that grant (the owners' dilution, `equity_granted`); an old uncertified firm
    grants nothing."""
    share = 0.25
    model = make_model(small_scenario(equity_incentives={"enabled": True, "equity_share": share}))
    f, t = model.firms, model.talents
    rows = model.alive_rows()
    rows = rows[(f.region[rows] == JIASHAN) & (f.revenue[rows] > 0)]
    young, old = int(rows[0]), int(rows[1])
    f.birth_month[young], f.birth_month[old] = model.month - 12, model.month - 120
    f.hnte_until[[young, old]], f.hnte_region[[young, old]] = NO_STATUS, -1
    positions = max(int(population.seats(f, np.array([young]))[0]), int(f.talents[young]))
    expected = share * 12.0 * f.revenue[young] / positions
    seekers = np.flatnonzero(t.view("present") & (t.view("region") == JIASHAN)
                             & (t.view("employer") != young) & (t.view("employer") != old))[:2]
    labour.hire(model, int(seekers[0]), young)
    labour.hire(model, int(seekers[1]), old)
    assert t.equity_grant[seekers[0]] == pytest.approx(expected)
    assert t.equity_grant[seekers[1]] == 0.0
    assert model.monthly["equity_granted"][JIASHAN] == pytest.approx(expected)


# ------------------------------------------------------------------ talent recognition
def test_talent_recognition_moves_more_talents_across_provincial_lines_inside_the_zone():
    """With recognition a talent's qualifications count across the zone's provincial lines, so on the
    same draws more searching talents take positions in a zone county of another province than
    without it (docs/ODD.md, Talents; the lever moves talents between counties)."""
    def across(recognition: bool) -> int:
        scenario = small_scenario(behaviour={"job_search_rate": 1.0, "talent_stay_bonus": 0.0},
                                  talent_recognition=recognition)
        model = make_model(validate_data({**scenario.model_dump(by_alias=True), "run": {"scale": 0.3}}, "<test>"),
                           seed=6)
        labour.search_jobs(model)
        moves = model.relocations_month[1, :N_COUNTIES, :N_COUNTIES]  # talents' moves between the counties
        return int(moves.sum())  # each pair of counties lies across a provincial line

    with_recognition, without = across(True), across(False)
    assert without > 0 and with_recognition > 1.5 * without  # measured: 96 against 49
