"""Levers as dials with a price (levers/dials.py, levers/dose.py): what a level sets, how the effect at
equal cost is read off a curve, that each shipped dial moves its channel one way as it is turned up,
and one tiny `innosim levers --stage dose` run end to end."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from innosim.analysis.levers.dials import Dial
from innosim.analysis.levers.dose import DoseSpec, assess_dose, at_cost, variant_name
from innosim.analysis.levers.experiment import load_levers
from innosim.cli import main
from innosim.model import InnoModel
from innosim.scenario import ScenarioError, load_scenario

from .conftest import ROOT, SCENARIOS, needs_shipped_ensemble

JIASHAN = 2


# ------------------------------------------------------------------ reading a curve at equal cost
def test_the_effect_at_equal_cost_is_interpolated_on_the_curve_through_the_base():
    # levels cost 4 and 16 M CNY a year for +2 and +8: at 10, half-way between them
    assert at_cost(np.array([4.0, 16.0]), np.array([2.0, 8.0]), 10.0) == (pytest.approx(5.0), False)
    # below the first level: on the segment from the base (0, 0)
    assert at_cost(np.array([20.0, 40.0]), np.array([6.0, 9.0]), 10.0) == (pytest.approx(3.0), False)


def test_beyond_the_costliest_level_its_effect_per_yuan_is_carried_on_and_said():
    assert at_cost(np.array([2.0, 5.0]), np.array([1.0, 4.0]), 10.0) == (pytest.approx(8.0), True)


def test_a_dial_that_costs_nothing_has_no_effect_per_yuan():
    effect, extrapolated = at_cost(np.array([0.0]), np.array([3.0]), 10.0)
    assert np.isnan(effect) and extrapolated


def synthetic_runs(slopes: dict[str, float], noise: float = 0.0, seeds: int = 8) -> tuple[pd.DataFrame, list[Dial]]:
    """Runs where each dial's level k costs 5k M CNY a year and adds slope x 5k HNTEs in Jiashan."""
    rng = np.random.default_rng(0)
    dials = [Dial(name, name, ("policy.vouchers.budget",), ((1.0,), (2.0,), (3.0,)),
                  {"policy.vouchers.budget": {"qingpu": 0.0, "wujiang": 0.0, "jiashan": 0.0, "zone": 0.0}},
                  {"policy.vouchers.budget": True}) for name in slopes]
    rows = []
    for seed in range(seeds):
        base = 100.0 + rng.normal(0, 5)
        for variant, cost, effect in [("base", 0.0, 0.0)] + [
                (variant_name(name, "jiashan", k), 5.0 * k, slope * 5.0 * k)
                for name, slope in slopes.items() for k in (1, 2, 3)]:
            jitter = rng.normal(0, noise) if variant != "base" else 0.0
            for output, region, value in (("hnte_stock", "jiashan", base + effect + jitter),
                                          ("hnte_stock", "zone", 3 * base + effect + jitter),
                                          ("public_cost", "jiashan", 50.0 + cost)):
                rows.append({"variant": variant, "replicate": seed, "seed": seed, "output": output,
                             "region": region, "value": value})
    return pd.DataFrame(rows), dials


def test_levers_are_ranked_by_their_effect_at_equal_cost_with_intervals_and_p_first():
    values, dials = synthetic_runs({"cheap": 1.0, "dear": 0.25}, noise=0.5)
    spec = DoseSpec(dials={"cheap": {"set": {"policy.vouchers.budget": [1.0]}}}, resamples=500)
    result = assess_dose(values, dials, ["jiashan"], spec, "hnte_stock")
    ranking = result.ranking.set_index("dial")
    assert list(result.ranking["dial"]) == ["cheap", "dear"]
    assert ranking.loc["cheap", "effect_per"] == pytest.approx(10.0, abs=0.5)   # 1 HNTE a M CNY x 10
    assert ranking.loc["dear", "effect_per"] == pytest.approx(2.5, abs=0.5)
    assert ranking.loc["cheap", "low"] < 10.0 < ranking.loc["cheap", "high"]
    assert ranking.loc["cheap", "p_first"] == pytest.approx(1.0) and ranking.loc["dear", "p_first"] == 0.0
    curve = result.curves[result.curves["dial"] == "cheap"]
    assert list(curve["cost"]) == pytest.approx([5.0, 10.0, 15.0])


def test_a_dial_without_public_cost_is_ranked_apart_by_its_effect():
    values, dials = synthetic_runs({"free": 0.0, "paid": 1.0})
    values.loc[values["variant"].str.startswith("dose:free") & (values["output"] == "public_cost"), "value"] = 50.0
    values.loc[values["variant"].str.startswith("dose:free") & (values["output"] == "hnte_stock"), "value"] += 4.0
    spec = DoseSpec(dials={"free": {"set": {"policy.vouchers.budget": [1.0]}}}, resamples=200)
    result = assess_dose(values, dials, ["jiashan"], spec, "hnte_stock")
    assert list(result.ranking["dial"]) == ["paid"] and list(result.costless["dial"]) == ["free"]
    assert result.costless["effect"].iloc[0] == pytest.approx(4.0)


# ------------------------------------------------------------------ what a level sets
def dial(**levels) -> Dial:
    return Dial("d", "d", tuple(levels), tuple(zip(*levels.values(), strict=True)),
                {key: {"qingpu": 1, "wujiang": 2, "jiashan": 8.0, "zone": 0} for key in levels},
                {key: key != "policy.equity_incentives.equity_share" for key in levels})


def test_a_level_sets_a_county_setting_for_the_dials_county_alone_and_interpolates_numbers():
    d = dial(**{"policy.vouchers.budget": [16.0, 32.0], "policy.vouchers.scope": ["zone", "zone_shanghai"]})
    assert d.overrides("jiashan", 2) == {"policy.vouchers.budget.jiashan": 32.0,
                                         "policy.vouchers.scope.jiashan": "zone_shanghai"}
    halfway = d.overrides("jiashan", 0.5)
    assert halfway["policy.vouchers.budget.jiashan"] == pytest.approx(12.0)
    assert halfway["policy.vouchers.scope.jiashan"] == 8.0   # a choice takes the lower level (here the base's)
    assert d.overrides("qingpu", 0)["policy.vouchers.budget.qingpu"] == 1


def test_a_zone_wide_setting_is_set_for_the_zone():
    d = dial(**{"policy.equity_incentives.equity_share": [0.2]})
    assert d.overrides("jiashan", 1) == {"policy.equity_incentives.equity_share": 0.2}


@pytest.mark.parametrize(("dose", "reason"), [
    ("{vouchers: {set: {policy.vouchers.budget: [12, 16], policy.vouchers.cap_per_firm: [0.1]}}}",
     "different numbers of levels"),
    ("{vouchers: {set: {policy.vouchers.colour: [1]}}}", "not a policy setting"),
    ("{vouchers: {set: {policy.vouchers.budget: [-5]}}}", "level 1 in jiashan"),
])
def test_a_bad_dial_is_refused_with_the_file_and_the_key(tmp_path, dose, reason):
    path = tmp_path / "levers.yaml"
    path.write_text(TINY.replace("DIALS", dose), encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_levers(path)
    assert err.value.key.startswith("dose.dials.vouchers") and reason in err.value.reason
    assert str(path) in str(err.value)


# ------------------------------------------------------------------ each shipped dial moves its channel
#: the outcome each lever's channel must move up as its dial is turned up, and the public-cost item it
#: pays through (docs/ODD.md); the whole public cost also holds tax forgone, which moves with the firms
CHANNELS = {"vouchers": ("vouchers_issued", "vouchers_used"), "incubation": ("incubator_tenants", "incubator_rent_subsidy"),
            "science_finance": ("fund_invested", "fund_invested"), "hnte_rewards": ("hnte_new", "hnte_rewards"),
            "cultivation": ("hnte_pool", "pool_subsidies"), "rd_subsidy": ("rd_spending", "rd_subsidies"),
            "talent_recognition": ("talents_in", None)}


@needs_shipped_ensemble
def test_every_shipped_dial_has_its_channel_named_here():
    experiment = load_levers(ROOT / "experiments" / "levers.yaml")
    assert {d.name for d in experiment.dials} == set(CHANNELS)


@needs_shipped_ensemble
@pytest.mark.parametrize("name", sorted(CHANNELS))
def test_turning_a_shipped_dial_up_moves_its_channel_up_and_costs_more(name):
    experiment = load_levers(ROOT / "experiments" / "levers.yaml")
    d = next(d for d in experiment.dials if d.name == name)

    def run(level: int) -> tuple[float, float]:
        # a county fund makes a deal or two a year at 5 % scale: too few to see its pace
        scale = 0.1 if name == "science_finance" else 0.05
        scenario = load_scenario(SCENARIOS / "baseline.yaml", {"run.scale": scale, "run.months": 24,
                                                               **d.overrides("jiashan", level)})
        model = InnoModel(scenario, rng=np.random.default_rng(7))
        for _ in range(24):
            model.step()
        records = model.datacollector.model_vars["indicators"][1:]
        outcome, item = CHANNELS[name]
        return (sum(r[outcome][JIASHAN] for r in records),
                sum(r[item][JIASHAN] for r in records) if item else 0.0)

    levels = sorted({0, 1, d.top})
    channel, cost = zip(*(run(level) for level in levels), strict=True)
    assert all(b > a for a, b in zip(channel, channel[1:])), f"{CHANNELS[name][0]} by level {levels}: {channel}"
    if CHANNELS[name][1]:   # recognition moves no public money
        assert all(b > a for a, b in zip(cost, cost[1:])), f"{CHANNELS[name][1]} by level {levels}: {cost}"


# ------------------------------------------------------------------ end to end
TINY = f"""\
name: tinydose
base: {(SCENARIOS / "baseline.yaml").as_posix()}
full: {(SCENARIOS / "full_integration.yaml").as_posix()}
scale: 0.05
months: 24
seeds: {{first: 2, block: 2, cap: 2}}
levers:
  science_finance: {{label: science finance, scenario: {(SCENARIOS / "science_finance.yaml").as_posix()}}}
  incubation: {{label: incubation, scenario: {(SCENARIOS / "incubation.yaml").as_posix()}}}
regions: [jiashan, zone]
outputs:
  hnte_stock: mean(hnte_stock.{{region}}, last=12)
  public_cost: sum(public_cost.{{region}}, per=year)
headline: {{output: hnte_stock, region: jiashan}}
precision: {{half_width: 2 %}}
dose:
  seeds: 2
  resamples: 200
  dials: DIALS
"""


def test_the_dose_stage_writes_its_ranking_and_a_rerun_comes_from_the_store(tmp_path):
    path = tmp_path / "levers.yaml"
    path.write_text(TINY.replace("DIALS", "{vouchers: {label: voucher budget, set: {policy.vouchers.budget: [16, 32]}},"
                                          " recognition: {set: {policy.talent_recognition: [true]}}}"),
                    encoding="utf-8")
    args = ["levers", str(path), "--stage", "dose", "--jobs", "1", "--no-progress", "--out", str(tmp_path / "out")]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    assert "voucher budget" in first.output and "(no measurable public cost)" in first.output
    out = tmp_path / "out"
    md = (out / "dose.md").read_text(encoding="utf-8")
    assert "## The levers at equal public cost" in md and "per 10.0 M CNY a year" in md
    ranking = pd.read_csv(out / "dose_ranking.csv")
    assert list(ranking["dial"]) == ["vouchers"] and {"effect_per", "low", "high", "p_first"} <= set(ranking)
    curves = pd.read_csv(out / "dose_curves.csv")
    assert len(curves) == 3 and (out / "dose_jiashan.png").stat().st_size > 0
    settings = json.loads((out / "dose_settings.json").read_text())
    assert settings["dose"]["dials"]["vouchers"]["levels"] == [[16], [32]]
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0 and "(0 runs, 8 reused" in again.output, again.output


def test_the_whole_recipe_opens_with_the_table_and_the_ranking_at_equal_cost_and_says_where_gains_come_from(tmp_path):
    path = tmp_path / "levers.yaml"
    path.write_text(TINY.replace("DIALS", "{vouchers: {label: voucher budget, set: {policy.vouchers.budget: [32]}}}"),
                    encoding="utf-8")
    result = CliRunner().invoke(main, ["levers", str(path), "--jobs", "1", "--no-progress", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    md = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    opening = md[:md.index("## ")]
    assert "raises Jiashan's HNTE stock most" in opening and "At equal public cost, voucher budget" in opening
    parts = pd.read_csv(tmp_path / "out" / "decomposition.csv")
    assert {"science finance", "incubation"} <= set(parts["scenario"])   # each lever switched on, by its label
    assert "### Where the gains come from" in md
