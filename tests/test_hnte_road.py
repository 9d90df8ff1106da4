"""The road to HNTE status and the national timeline: what each mechanism does to firms.

Each test checks an outcome (tax paid, R&D planned, firms certified, firms joining the base),
so that disconnecting the mechanism fails it, not only the rule it reads.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from innosim.model import demography, economy, hnte
from innosim.model.places import JIASHAN, N_PLACES
from innosim.scenario import validate_data

from .conftest import make_model, small_scenario


def dated(start: str, months: int = 24, scale: float = 0.05, **sections):
    return validate_data({"run": {"start": start, "months": months, "scale": scale}, **sections}, "<test>")


# ------------------------------------------------------------------ the national timeline
def test_the_national_timeline_is_in_force_by_date():
    rules = make_model().rules
    assert rules.national_at("2015-12").rd_thresholds == (0.06, 0.04, 0.03)   # Guokefahuo [2008] 172
    assert rules.national_at("2016-01").rd_thresholds == (0.05, 0.04, 0.03)   # Guokefahuo [2016] 32
    assert not rules.national_at("2016-12").tech_sme_evaluation
    assert rules.national_at("2017-01").tech_sme_evaluation
    np.testing.assert_array_equal(rules.national_at("2016-06").rd_deduction, [0.5, 0.5, 0.5])
    np.testing.assert_array_equal(rules.national_at("2017-06").rd_deduction, [0.5, 0.5, 0.75])
    np.testing.assert_array_equal(rules.national_at("2018-01").rd_deduction, [0.75, 0.75, 0.75])
    np.testing.assert_array_equal(rules.national_at("2021-03").rd_deduction, [0.75, 1.0, 0.75])
    np.testing.assert_array_equal(rules.national_at("2022-01").rd_deduction, [0.75, 1.0, 1.0])
    np.testing.assert_array_equal(rules.national_at("2030-01").rd_deduction, [1.0, 1.0, 1.0])


def test_a_run_changes_its_national_rules_at_their_dates():
    model = make_model(dated("2015-11", months=4))
    thresholds = []
    for _ in range(3):
        model.step()
        thresholds.append(model.national.rd_thresholds[0])
    assert thresholds == [0.06, 0.06, 0.05]  # 2015-11, 2015-12, 2016-01


def test_the_super_deduction_lowers_the_tax_on_rnd_by_the_rate_times_the_extra_share():
    model = make_model(small_scenario(), seed=3)
    model.month = 1
    economy.produce(model)
    economy.spend_on_rnd(model)
    rows = model.alive_rows()
    f = model.firms
    rd = economy.rd_spend(model, rows)
    profit = f.profit[rows].copy()
    rate = model.rules.tax_rate(model.hnte_valid()[rows])

    def tax_with(deduction: float) -> float:
        f.profit[rows] = profit
        model.monthly["tax"][:] = 0
        model.national = replace(model.national, rd_deduction=np.full(3, deduction))
        economy.pay_tax(model)
        return model.monthly["tax"].sum()

    half, full = tax_with(0.5), tax_with(1.0)
    expected = (rate * np.maximum(profit - 1.5 * rd, 0)).sum() - (rate * np.maximum(profit - 2.0 * rd, 0)).sum()
    assert expected > 0
    np.testing.assert_allclose(half - full, expected, rtol=1e-9)
    assert model.monthly["rd_deduction_tax_saved"].sum() > 0


def test_rnd_plans_rise_as_the_super_deduction_lowers_the_cost_of_rnd():
    def planned(deduction: float):
        timeline = [{"from": "2008-01", "all_firms": deduction, "manufacturer": deduction, "tech_sme": deduction}]
        model = make_model(small_scenario(national={"rd_super_deduction": timeline}), seed=4)
        hnte.plan_rnd(model)
        rows = model.alive_rows()
        return model.firms.rd_intensity[rows].mean()

    low, high = planned(0.5), planned(1.0)
    # at the 25 % rate the after-tax cost of a yuan of R&D falls from 0.625 to 0.5: a quarter more
    # R&D at an elasticity of 1 for firms that do not bunch, somewhat less on average
    assert 1.08 < high / low < 1.3


def test_technology_smes_are_evaluated_from_2017_and_get_their_deduction():
    model = make_model(dated("2017-01"), seed=2)
    f = model.firms
    rows = model.alive_rows()
    model.month = 1
    hnte.evaluate_tech_smes(model)
    evaluated = hnte.is_tech_sme(model, rows)
    assert evaluated.mean() > 0.5
    large = rows[f.employees[rows] > hnte.TECH_SME_MAX_STAFF]
    assert not hnte.is_tech_sme(model, large).any()
    # their super-deduction is the technology SMEs' 75 %, the others' the general 50 %
    plain = rows[~evaluated & ~f.manufacturer[rows]]
    assert (hnte.deduction(model, rows[evaluated]) == 0.75).all()
    assert (hnte.deduction(model, plain) == 0.5).all()
    before = make_model(dated("2016-01"), seed=2)
    before.month = 1
    hnte.evaluate_tech_smes(before)
    assert not hnte.is_tech_sme(before, before.alive_rows()).any()


# ------------------------------------------------------------------ the road
def test_ip_is_granted_only_after_examination():
    model = make_model(small_scenario(behaviour={"ip_grant_months": 12.0, "ip_per_innovation": 1.0}), seed=5)
    f = model.firms
    rows = model.alive_rows()
    f.ip[rows] = 0
    f.ip_pending[rows] = 0
    f.skill_sum[rows] = np.maximum(f.skill_sum[rows], 5.0)
    model.month = 1
    economy.innovate(model)
    filed = f.ip_pending[rows].sum() + f.ip[rows].sum()
    assert filed > 0
    # about one in twelve granted in a month, the rest still under examination
    assert f.ip[rows].sum() < 0.25 * filed


def test_young_firms_without_granted_ip_cannot_be_certified():
    model = make_model(small_scenario(behaviour={"hnte_first_approval": 1.0}), seed=6)
    f = model.firms
    rows = model.alive_rows()
    eligible = rows[hnte.meets_criteria(model, rows) & ~model.hnte_valid()[rows]]
    assert eligible.size > 0
    f.ip[eligible] = 0
    assert not hnte.meets_criteria(model, eligible).any()


def test_a_cultivation_pool_certifies_more_of_its_county_at_its_cost():
    def run(capacity: float, subsidy: float):
        scenario = small_scenario(cultivation={"capacity": {"qingpu": 0, "wujiang": 0, "jiashan": capacity},
                                               "subsidy": subsidy})
        scenario = validate_data({**scenario.model_dump(by_alias=True), "run": {"scale": 0.3, "months": 24}},
                                 "<test>")
        model = make_model(scenario, seed=7)
        for _ in range(24):
            model.step()
        return model

    without, pooled = run(0.0, 0.0), run(300.0, 0.05)
    new = lambda m: m.cumulative["hnte_new"][JIASHAN] + m.cumulative["hnte_regained"][JIASHAN]  # noqa: E731
    assert new(pooled) > new(without) + 5
    # each pool firm is paid its subsidy each year, and the subsidies are public cost
    paid = pooled.cumulative["pool_subsidies"]
    assert paid[JIASHAN] > 0 and paid[np.arange(N_PLACES) != JIASHAN].sum() == 0
    assert paid[JIASHAN] <= 2 * 300 * 0.3 * 0.05 + 1e-9


def test_pool_members_are_approved_at_the_pool_rate():
    model = make_model(small_scenario(behaviour={"hnte_first_approval": 0.0, "hnte_pool_approval": 1.0}), seed=8)
    f = model.firms
    rows = model.alive_rows()
    first = rows[~model.hnte_valid()[rows] & ~f.hnte_ever[rows]][:20]
    pooled, outside = first[:10], first[10:]
    f.pool_year[pooled] = model.calendar_year
    f.hnte_pending[first] = model.month
    hnte.decide_hnte(model)
    assert model.hnte_valid()[pooled].all()
    assert not model.hnte_valid()[outside].any()


def test_graduates_counted_as_hnte_only_when_certified():
    model = make_model(small_scenario(), seed=9)
    for _ in range(24):
        model.step()
    assert (model.cumulative["graduates_hnte"] <= model.cumulative["graduates"]).all()


# ------------------------------------------------------------------ the growing base
def test_local_firms_join_the_technology_base_faster_with_the_super_deduction():
    def joined(deduction: float, rate: float = 0.2, ceiling: float = 5.0):
        timeline = [{"from": "2008-01", "all_firms": deduction, "manufacturer": deduction, "tech_sme": deduction}]
        scenario = validate_data({"run": {"scale": 0.3, "months": 24},
                                  "behaviour": {"tech_uptake_rate": rate, "tech_base_ceiling": ceiling},
                                  "policy": {"national": {"rd_super_deduction": timeline}}}, "<test>")
        model = make_model(scenario, seed=10)
        assert demography.uptake_factor(model) > 0
        for _ in range(24):
            model.step()
        return model.cumulative["firms_uptake"][:3].sum(), model

    half, _ = joined(0.5)
    full, model = joined(1.0)
    assert half > 50 and full > 1.1 * half  # 25 % more at an elasticity of 1, less its noise
    none, _ = joined(0.5, rate=0.0)
    assert none == 0
    # a place at its ceiling of adopters takes up no more
    saturated, _ = joined(1.0, ceiling=0.05)
    assert saturated == 0
    # those who join start with no registered IP of their own, on the road
    f = model.firms
    new = np.flatnonzero(f.view("birth_month") >= 0)
    assert new.size == 0 or f.ip[new].mean() < 1.0
