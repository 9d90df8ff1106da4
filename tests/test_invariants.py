"""Invariants checked after every month of whole runs: nothing created or lost."""

from __future__ import annotations

import numpy as np
import pytest

from innosim.model import simulate
from innosim.model.agents import Fund, Incubator
from innosim.model.places import N_PLACES
from innosim.model.policy import CIT_RATE, HNTE_RATE
from innosim.model.state import NO_STATUS, SHANGHAI_JOB

from .conftest import make_model, small_scenario

FULL = dict(
    hnte_mutual_recognition=True, talent_recognition=True,
    vouchers={"scope": "zone_shanghai", "cross_county_settlement": True},
    equity_incentives={"enabled": True, "tax_deferral": True},
    incubation={"post_incubation_space": 20, "stay_subsidy": 0.5},
    finance={"cross_county_investment": True},
    brokers={"cross_county_reach": 0.6, "shanghai_reach": 0.8},
)


def check_invariants(model, firms_before: int, money: float) -> None:
    f, t = model.firms, model.talents
    # each talent present is in one place, the place of its row, and its view's cell is that place
    present = model.present_talents()
    assert ((t.region[present] >= 0) & (t.region[present] < N_PLACES)).all()
    for view in model.talent_views()[:: max(1, present.size // 200)]:
        assert view.cell is model.cells[t.region[view.row]] and view.present
    gone = np.flatnonzero(~t.view("present"))
    assert (t.employer[gone] == NO_STATUS).all()  # talents who left hold no job
    # at most one employer: an alive firm in the talent's own place, or Shanghai's core economy
    employer = t.view("employer")
    employed = employer >= 0
    assert f.alive[employer[employed]].all()
    np.testing.assert_array_equal(f.region[employer[employed]], t.view("region")[employed])
    assert set(np.unique(employer[~employed])) <= {NO_STATUS, SHANGHAI_JOB}
    np.testing.assert_array_equal(np.bincount(employer[employed], minlength=f.n)[: f.n][f.view("alive")],
                                  f.view("talents")[f.view("alive")])
    # firms born - exited = change in count; the views of live firms stand in their places; Mesa's
    # registry holds the institutions only (firms and talents are rows, one registry each)
    alive = int(f.view("alive").sum())
    assert alive - firms_before == model.births - model.exits
    views = model.firm_views()
    assert len(views) == alive and all(v.alive and v.cell is model.cells[f.region[v.row]] for v in views)
    assert {type(a) for a in model.agents} <= {Incubator, Fund}
    assert len(model.agents) == len(model.incubators) + len(model.funds)
    assert model.agent_count() == alive + present.size + len(model.agents)
    # vouchers: issued = used + expired + outstanding, per issuing county
    book = model.vouchers
    np.testing.assert_allclose(book.issued, book.used + book.expired + book.outstanding(), atol=1e-9)
    # no incubator over capacity
    for incubator in model.incubators:
        assert model.incubator_occupancy(incubator) <= incubator.capacity
    # money: every flow has a payer and a payee
    assert model.ledger.total() == pytest.approx(money, abs=1e-6)
    # relocation matrix counts moves only between different places
    assert np.trace(model.relocations[0]) == 0 and np.trace(model.relocations[1]) == 0
    assert model.relocations.shape == (2, N_PLACES, N_PLACES)


@pytest.mark.parametrize("policy", [{}, FULL], ids=["baseline", "full_integration"])
def test_invariants_hold_every_month(policy):
    model = make_model(small_scenario(**policy), seed=11)
    firms_before = int(model.firms.view("alive").sum())
    money = model.ledger.total()
    for _ in range(30):
        model.step()
        check_invariants(model, firms_before, money)
    # the run did exercise the mechanisms the invariants guard
    c = model.cumulative
    assert c["vouchers_used"].sum() > 0 and c["startups"].sum() > 0 and model.relocations.sum() > 0


def test_same_seed_same_numbers_and_different_seeds_differ():
    scenario = small_scenario()
    a, b, c = (simulate(scenario, seed) for seed in (5, 5, 6))
    assert a.timeseries.equals(b.timeseries)
    np.testing.assert_array_equal(a.relocations, b.relocations)
    assert not a.timeseries["value"].equals(c.timeseries["value"])


def test_tidy_table_has_every_indicator_region_and_month(small):
    result = simulate(small, 3, months=14)
    table = result.timeseries
    assert list(table.columns) == ["month", "date", "region", "indicator", "value"]
    assert table["month"].min() == 1 and table["month"].max() == 14
    assert table["date"].iloc[0] == "2019-01" and table["date"].iloc[-1] == "2020-02"
    counts = table.groupby(["indicator", "region"]).size()
    assert (counts == 14).all()
    zone = table[(table.region == "zone") & (table.indicator == "firms")]["value"].to_numpy()
    parts = table[table.region.isin(["qingpu", "wujiang", "jiashan"]) & (table.indicator == "firms")]
    np.testing.assert_array_equal(parts.groupby("month")["value"].sum().to_numpy(), zone)


def test_scale_grows_every_population_together():
    from innosim.scenario import validate_data

    small, double = (make_model(validate_data({"run": {"scale": scale}}, "<test>")) for scale in (0.05, 0.1))
    for attr in ("firms", "talents"):
        ratio = getattr(double, attr).n / getattr(small, attr).n
        assert ratio == pytest.approx(2.0, rel=0.05)
    assert double.rules.voucher_budget.sum() == pytest.approx(2 * small.rules.voucher_budget.sum())


def test_default_baseline_has_the_population_the_design_asks_for():
    from innosim.scenario import load_scenario
    from .conftest import SCENARIOS
    spec = load_scenario(SCENARIOS / "baseline.yaml")
    # the zone's technology base at 2019-01 as the back-cast has it (docs/ODD.md section 5): some 3,200
    # firms, HNTEs about a third of them, with the key talents their seats ask for
    assert spec.population.firms >= 3000 and spec.population.talents >= 5 * spec.population.firms
    assert 0.3 <= spec.population.hnte_share <= 0.5 and spec.run.scale == 1.0


def test_mesa_batch_run_can_drive_the_model_from_keyword_arguments():
    import inspect

    import mesa

    from innosim.model import InnoModel

    parameters = {"run__scale": 0.02, "run__months": 3, "policy__hnte_mutual_recognition": [False, True]}
    repeat = {"rng": [1]} if "rng" in inspect.signature(mesa.batch_run).parameters else {"iterations": 1}
    results = mesa.batch_run(InnoModel, parameters, max_steps=10, number_processes=1,
                             display_progress=False, **repeat)
    assert len(results) == 2
    assert {r["policy__hnte_mutual_recognition"] for r in results} == {False, True}
    assert all(r["Step"] <= 3 for r in results)  # the model stopped itself at the horizon, not max_steps
    assert all("hnte_stock" in r["indicators"] for r in results)


# ------------------------------------------------------------------ the accounts that move no money
def audit_tax(model) -> list[np.ndarray]:
    """Record, month by month and per place, the HNTE tax forgone the rules imply: corporate income
    tax is the one payment firms make to a government account (`Ledger.firms_pay`), and a firm taxed
    at the HNTE rate (valid where it operates, `hnte_valid`) pays 15 % of its taxable profit, so
    the 10 points it is spared are (25 % - 15 %) / 15 % of what it pays. Returns the list the
    months' totals are appended to (a new entry is started before each month's tax)."""
    implied: list[np.ndarray] = []
    pay = model.ledger.firms_pay

    def firms_pay(rows, amounts, kind, places):
        if kind == "government":
            taxed_low = model.hnte_valid()[rows]
            implied.append(np.bincount(np.asarray(places)[taxed_low],
                                       np.asarray(amounts)[taxed_low] * (CIT_RATE - HNTE_RATE) / HNTE_RATE,
                                       minlength=N_PLACES))
        pay(rows, amounts, kind, places)

    model.ledger.firms_pay = firms_pay
    return implied


#: Many whole moves across provincial lines with long checks, so that certified firms awaiting a
#: check (valid at their origin, taxed at 25 % where they operate) are in the run.
RESTLESS = {"firm_stay_bonus": 2.0, "hnte_move_check_months": 6}


@pytest.mark.parametrize(("policy", "behaviour"), [({}, RESTLESS), (FULL, {})], ids=["restless_baseline", "full"])
def test_hnte_tax_forgone_is_the_rate_difference_on_the_taxable_profit_of_firms_taxed_at_the_hnte_rate(
        policy, behaviour):
    """Tax forgone moves no money, so the ledger's balance cannot check it: this does, every month of
    a whole run and per place, against what the rules imply from the tax the firms actually paid
    (docs/ODD.md, Tax; the public-cost item `hnte_tax_forgone`)."""
    model = make_model(small_scenario(behaviour, **policy), seed=12)
    implied = audit_tax(model)
    taxed_months = awaiting_months = 0
    for _ in range(24):
        model.step()
        assert len(implied) == 1, "one tax payment a month"
        counted = model.datacollector.model_vars["indicators"][-1]["hnte_tax_saved"][:N_PLACES]
        np.testing.assert_allclose(counted, implied.pop(), rtol=1e-9, atol=1e-12)
        taxed_months += counted.sum() > 0
        f = model.firms
        awaiting_months += bool(((f.view("hnte_check_until") != NO_STATUS) & f.view("alive")).any())
    assert taxed_months >= 20  # certified firms paid tax in (almost) every month: not a sum of zeros
    if not policy:
        assert awaiting_months > 0  # some months had certified firms awaiting a destination's check
