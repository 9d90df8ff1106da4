"""The public cost of the levers: its items, the ledger it must agree with, cost per extra outcome."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from innosim.analysis.compare.cost import OUTCOMES, cost_effectiveness, cost_per_extra
from innosim.cli import main
from innosim.model import simulate
from innosim.model.indicators import PUBLIC_COST_ITEMS, tidy

from .conftest import SCENARIOS, make_model, small_scenario

#: Levers that cost money: stay subsidies, equity incentives with tax deferral, funds investing anywhere
#: and selling after six months, so that every item can move within two years.
COSTLY = {"equity_incentives": {"enabled": True, "tax_deferral": True},
          "incubation": {"post_incubation_space": 20, "stay_subsidy": 0.5},
          "finance": {"cross_county_investment": True}}
SHORT_HOLDING = {"fund_holding_months": 6}
#: The county subsidies of the last wave: a cultivation pool and an R&D expense subsidy in every county.
SUBSIDIES = {"cultivation": {"capacity": 200, "subsidy": 0.05},
             "rd_subsidy": {"share": 0.2, "threshold": 0.1, "cap_per_firm": 0.5}}


def test_public_cost_is_the_sum_of_its_items_in_every_month_and_place():
    table = simulate(small_scenario(SHORT_HOLDING, **COSTLY), seed=3).timeseries
    wide = table.pivot_table(index=["month", "region"], columns="indicator", values="value")
    items = sum(sign * wide[name] for terms in PUBLIC_COST_ITEMS.values() for name, sign in terms)
    np.testing.assert_allclose(wide["public_cost"], items, rtol=1e-12, atol=1e-12)
    assert wide["public_cost"].xs("zone", level="region").sum() > 0  # money was spent: not a sum of zeros
    counties = wide["public_cost"].unstack("region")[["qingpu", "wujiang", "jiashan"]].sum(axis=1)
    np.testing.assert_allclose(wide["public_cost"].xs("zone", level="region"), counties, rtol=1e-12)


def indicator_totals(model) -> dict[str, np.ndarray]:
    """Indicator -> total over the months run so far, per place (Qingpu, Wujiang, Jiashan, Shanghai)."""
    table = tidy(model.datacollector.model_vars["indicators"][1:], model.month_labels)
    totals = table.groupby(["indicator", "region"])["value"].sum()
    places = ["qingpu", "wujiang", "jiashan", "shanghai"]
    return {name: totals[name].reindex(places).to_numpy() for name in totals.index.levels[0]}


@pytest.mark.parametrize("policy, behaviour", [({}, {}), (COSTLY, SHORT_HOLDING), (SUBSIDIES, {})],
                         ids=["baseline", "costly", "subsidies"])
def test_the_government_and_the_funds_accounts_move_by_the_counted_items(policy, behaviour):
    """Per place, the government account's change over a run = tax received - vouchers redeemed (by
    issuing county) - HNTE rewards - cultivation pool and R&D subsidies - incubator rent subsidies -
    stay subsidies; and the funds' capital changes by returns - investments. Tax forgone (HNTE rate,
    equity deferral) moves no money: tests/test_invariants.py checks it against the tax paid."""
    model = make_model(small_scenario(behaviour, **policy), seed=4)
    government = model.ledger.accounts["government"].copy()
    capital = sum(f.capital for f in model.funds)
    for _ in range(24):
        model.step()
    total = indicator_totals(model)
    changed = model.ledger.accounts["government"] - government
    expected = (total["tax"] - total["vouchers_used"] - total["hnte_rewards"] - total["pool_subsidies"]
                - total["rd_subsidies"] - total["incubator_rent_subsidy"] - total["stay_subsidies"])
    np.testing.assert_allclose(changed, expected, rtol=1e-9, atol=1e-9)
    assert total["vouchers_used"].sum() > 0 and total["hnte_rewards"].sum() > 0
    assert total["incubator_rent_subsidy"].sum() > 0
    funds = sum(f.capital for f in model.funds) - capital
    assert funds == pytest.approx(total["fund_returns"].sum() - total["fund_invested"].sum(), abs=1e-9)
    assert total["fund_invested"].sum() > 0
    if policy is COSTLY:
        assert total["stay_subsidies"].sum() > 0 and total["fund_returns"].sum() > 0
    if policy is SUBSIDIES:
        assert (total["pool_subsidies"][:3] > 0).all() and (total["rd_subsidies"][:3] > 0).all()


def test_public_cost_is_the_money_spent_and_forgone_the_odd_lists():
    """docs/ODD.md section 8, written out here rather than read from `PUBLIC_COST_ITEMS`: vouchers used
    + HNTE tax forgone + HNTE rewards + pool subsidies + R&D subsidies + incubator rent + stay subsidies
    + equity tax deferred + fund investments - fund returns, in every month and place of a run where
    every item moves."""
    table = simulate(small_scenario(SHORT_HOLDING, **COSTLY, **SUBSIDIES), seed=3).timeseries
    wide = table.pivot_table(index=["month", "region"], columns="indicator", values="value")
    spent = (wide["vouchers_used"] + wide["hnte_tax_saved"] + wide["hnte_rewards"] + wide["pool_subsidies"]
             + wide["rd_subsidies"] + wide["incubator_rent_subsidy"] + wide["stay_subsidies"]
             + wide["equity_tax_forgone"] + wide["fund_invested"] - wide["fund_returns"])
    np.testing.assert_allclose(wide["public_cost"], spent, rtol=1e-12, atol=1e-12)
    moved = ["vouchers_used", "hnte_tax_saved", "hnte_rewards", "pool_subsidies", "rd_subsidies",
             "incubator_rent_subsidy", "stay_subsidies", "equity_tax_forgone", "fund_invested", "fund_returns"]
    zone = wide.xs("zone", level="region")
    assert [name for name in moved if zone[name].sum() <= 0] == []  # every item is tested, not a zero


def test_cost_per_extra_outcome_is_the_ratio_of_the_paired_sums():
    rng = np.random.default_rng(0)
    gain = rng.normal(5.0, 1.0, 30)
    cost = 3.0 * gain + rng.normal(0.0, 1.0, 30)
    result = cost_per_extra(cost, gain)
    assert result["verdict"] == "ratio" and result["n"] == 30
    assert result["ratio"] == pytest.approx(cost.sum() / gain.sum())
    assert result["ratio_low"] < result["ratio"] < result["ratio_high"]
    assert result["ratio_low"] < 3.0 < result["ratio_high"] and result["ratio_high"] - result["ratio_low"] < 0.5
    assert cost_per_extra(cost, gain) == result  # a fixed bootstrap seed: the same report every time
    exact = cost_per_extra([20.0, 21.0, 19.0], [2.0, 2.1, 1.9])  # 10 per unit in every pair
    assert [exact[k] for k in ("ratio", "ratio_low", "ratio_high")] == pytest.approx([10.0] * 3)


def test_no_ratio_without_a_clear_gain():
    unclear = cost_per_extra([5.0, 6.0, 7.0, 8.0], [1.0, -1.0, 2.0, -1.5])
    assert unclear["verdict"] == "no significant gain" and np.isnan(unclear["ratio"])
    assert unclear["extra_outcome_low"] < 0 < unclear["extra_outcome_high"]
    lost = cost_per_extra([5.0, 6.0, 7.0, 8.0], [-5.0, -6.0, -5.5, -6.2])
    assert lost["verdict"] == "significant loss" and np.isnan(lost["ratio"])
    assert cost_per_extra([5.0], [2.0])["verdict"] == "no significant gain"  # one pair has no interval


def test_cost_effectiveness_pairs_replicates_by_seed():
    """Replicates differ a lot, the scenario adds the same cost and outcome to each: the exact ratio."""
    rows = []
    for r, (cost, outcome) in enumerate([(100.0, 10.0), (300.0, 50.0), (50.0, 3.0)]):
        rows.append({"scenario": "base", "replicate": r, "seed": 10 + r, "region": "zone", "cost": cost,
                     **{o: outcome for o in OUTCOMES}})
        rows.append({"scenario": "policy", "replicate": r, "seed": 10 + r, "region": "zone", "cost": cost + 6.0,
                     "hnte": outcome + 2.0, "startups": outcome + 3.0, "talents": outcome})
    table = cost_effectiveness(pd.DataFrame(rows), "base").set_index("outcome")
    assert table.loc["hnte", "ratio"] == pytest.approx(3.0) and table.loc["startups", "ratio"] == pytest.approx(2.0)
    assert table.loc["hnte", "ratio_low"] == pytest.approx(3.0) == table.loc["hnte", "ratio_high"]
    assert table.loc["talents", "verdict"] == "no significant gain"
    assert table.loc["hnte", "extra_cost"] == pytest.approx(6.0) and (table["scenario"] == "policy").all()


def test_a_comparison_report_gives_the_public_cost_and_the_cost_per_extra_hnte(tmp_path):
    args = ["compare", SCENARIOS / "baseline.yaml", SCENARIOS / "full_integration.yaml", "--replicates", "2",
            "--scale", "0.05", "--months", "24", "--seed", "2", "--jobs", "1", "--no-progress"]
    result = CliRunner().invoke(main, [str(a) for a in [*args, "--out", tmp_path / "en"]])
    assert result.exit_code == 0, result.output
    md = (tmp_path / "en" / "report.md").read_text()
    short = md[md.index("## In short"):md.index("## What each scenario changes")]
    assert "M CNY a year at the zone's full size, against" in short and "per extra HNTE" in short
    assert "Public cost, zone:" in md and "per extra HNTE:" in md  # the scenario's own section
    section = md[md.index("## Public cost"):]
    assert "| place | vouchers | HNTE tax forgone | HNTE rewards | cultivation pools | R&D subsidies | " \
           "incubator rent | stay subsidies | equity tax deferral | funds, net | total |" in section
    assert "Public cost a year by item, full_integration" in section and "| Zone |" in section
    assert "Δ public cost a year, full_integration − baseline" in section
    assert "| place | extra public cost (M CNY) | per extra HNTE | per extra start-up | per extra talent |" in section
    html = (tmp_path / "en" / "report.html").read_text()
    assert "<h2>Public cost</h2>" in html and "<th>per extra HNTE</th>" in html
    costs = pd.read_csv(tmp_path / "en" / "public_cost.csv").set_index(["scenario", "region", "item"])["mean"]
    items = costs.drop("public_cost", level="item").groupby(["scenario", "region"]).sum()
    np.testing.assert_allclose(items, costs.xs("public_cost", level="item").reindex(items.index), rtol=1e-9)
    effect = pd.read_csv(tmp_path / "en" / "cost_effectiveness.csv")
    assert set(effect["outcome"]) == set(OUTCOMES) and set(effect["verdict"]) <= {
        "ratio", "no significant gain", "significant loss"}
    assert effect["ratio"].isna().eq(effect["verdict"] != "ratio").all()
    years = pd.read_csv(tmp_path / "en" / "public_cost_by_year.csv")
    assert set(years["year"]) == {2019, 2020} and set(years["months"]) == {12}

    chinese = CliRunner().invoke(main, [str(a) for a in [*args, "--out", tmp_path / "zh", "--lang", "zh"]])
    assert chinese.exit_code == 0, chinese.output
    zh = (tmp_path / "zh" / "report.md").read_text()
    assert "## 公共财政成本" in zh and "每新增一家高企" in zh and "基金净投入" in zh
