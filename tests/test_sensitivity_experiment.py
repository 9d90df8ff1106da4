"""Experiment files: factors, outputs and sizes validated like scenarios (file, key, reason)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from innosim.analysis.sensitivity.experiment import load_experiment
from innosim.analysis.sensitivity.kept import write_kept
from innosim.cli import main
from innosim.scenario import ScenarioError

from .conftest import ROOT

EXPERIMENTS = ROOT / "experiments"
BASE = (ROOT / "scenarios" / "baseline.yaml").as_posix()
GOOD = f"""\
name: tiny
base: {BASE}
factors:
  policy.vouchers.subsidy_share: {{range: [0.3, 0.8]}}
  policy.hnte_mutual_recognition:
outputs:
  hnte: hnte_stock.zone
"""


def write(tmp_path: Path, text: str, name: str = "exp.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def refused(path: Path) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_experiment(path)
    return info.value


@pytest.fixture(scope="module")
def screening_kept(tmp_path_factory) -> Path:
    """A kept.yaml as the screening of experiments/screening.yaml writes it (three factors kept)."""
    screening = load_experiment(EXPERIMENTS / "screening.yaml")
    reasons = {"voucher_regime": "test", "policy.talent_recognition": "test", "behaviour.founding_rate": "test"}
    return write_kept(tmp_path_factory.mktemp("screening"), screening, reasons, "test")


@pytest.mark.parametrize("path", [EXPERIMENTS / "screening.yaml", EXPERIMENTS / "sobol.yaml"], ids=lambda p: p.name)
def test_every_experiment_file_loads_and_says_what_it_is(path, screening_kept):
    experiment = load_experiment(path, kept=screening_kept if path.name == "sobol.yaml" else None)
    assert len(experiment.factors) >= 2 and experiment.outputs
    assert path.read_text(encoding="utf-8").startswith("# "), "an experiment file starts with a comment"


def test_sobol_stage_keeps_what_the_screening_kept_and_the_headline_lever(screening_kept):
    screening = load_experiment(EXPERIMENTS / "screening.yaml")
    sobol = load_experiment(EXPERIMENTS / "sobol.yaml", kept=screening_kept)
    assert [f.name for f in sobol.factors] == ["policy.hnte_mutual_recognition", "policy.talent_recognition",
                                               "voucher_regime", "behaviour.founding_rate"]
    assert sobol.kept_reasons["policy.hnte_mutual_recognition"] == "carried on by keep.also"
    assert [o.name for o in sobol.outputs] == [o.name for o in screening.outputs]


def test_screening_groups_conditional_levers_into_regimes():
    experiment = load_experiment(EXPERIMENTS / "screening.yaml")
    by_name = {f.name: f for f in experiment.factors}
    vouchers, equity = by_name["voucher_regime"], by_name["equity_regime"]
    assert vouchers.levels == ("own_county", "zone", "zone_settled", "zone_shanghai_settled")
    assert vouchers.values(0.6) == {"policy.vouchers.scope": "zone", "policy.vouchers.cross_county_settlement": True}
    assert equity.levels == ("off", "on", "on_deferred") and equity.role == "lever"
    assert equity.values(0.5) == {"policy.equity_incentives.enabled": True,
                                  "policy.equity_incentives.tax_deferral": False}
    assert by_name["policy.hnte_mutual_recognition"].kind == "switch"  # the seed paper's headline lever
    settings = [s for f in experiment.factors for s in f.settings]
    assert len(settings) == len(set(settings)), "a setting belongs to one factor"
    roles = {f.name: f.role for f in experiment.factors}
    assert roles["behaviour.founding_rate"] == "uncertainty" and roles["policy.talent_recognition"] == "lever"
    assert experiment.problem()["options"][list(by_name).index("voucher_regime")] == 4


REGIME = """  r:
    options:
      a: {policy.vouchers.scope: own_county, policy.vouchers.cross_county_settlement: false}
      b: {policy.vouchers.scope: zone}
"""


@pytest.mark.parametrize(("change", "key", "reason"), [
    (("scope: zone}", "scop: zone}"), "factors.r.options.b.policy.vouchers.scop", "not a setting"),
    (("scope: zone}", "scope: galaxy}"), "factors.r.options.b", "policy.vouchers.scope"),
    (("scope: zone}", "scope: own_county, policy.vouchers.cross_county_settlement: false}"), "factors.r.options.b",
     "the same scenario as option a"),
    (("b: {policy.vouchers.scope: zone}", "b: {behaviour.founding_rate: 0.1}"), "factors.r.role", "role: lever"),
    (("    options:", "    range: [0, 1]\n    options:"), "factors.r.range", "give no range"),
    (("      b: {policy.vouchers.scope: zone}\n", ""), "factors.r.options", "at least 2"),
    (("b: {policy.vouchers.scope: zone}", "b: {policy.vouchers.scope.jiashan: zone}"),
     "factors.r.options.b.policy.vouchers.scope.jiashan", "sets part of policy.vouchers.scope"),
])
def test_bad_regimes_are_refused_with_their_key(tmp_path, change, key, reason):
    error = refused(write(tmp_path, GOOD.replace("factors:\n", "factors:\n" + REGIME.replace(*change), 1)))
    assert (error.key, Path(error.file).name) == (key, "exp.yaml")
    assert reason in error.reason


def test_a_setting_belongs_to_one_factor(tmp_path):
    text = GOOD.replace("factors:\n", "factors:\n" + REGIME + "  policy.vouchers.cross_county_settlement:\n", 1)
    error = refused(write(tmp_path, text))
    assert error.key == "factors.policy.vouchers.cross_county_settlement"
    assert "which factor r sets too" in error.reason
    error = refused(write(tmp_path, GOOD.replace("factors:\n", "factors:\n" + REGIME, 1)
                          + "fixed: {policy.vouchers.scope: zone}\n"))
    assert error.key == "factors.r" and "also fixed" in error.reason


@pytest.mark.parametrize(("change", "key", "reason"), [
    ("bogus: 1\n", "bogus", "unknown key"),
    ("replicates: 0\n", "replicates", "must be at least 1 (got 0)"),
    ("sobol: {n: 100}\n", "sobol.n", "power of 2"),
    ("morris: {trajectories: 20, sideways: true}\n", "morris.sideways", "unknown key"),
])
def test_bad_top_level_settings_are_refused(tmp_path, change, key, reason):
    error = refused(write(tmp_path, GOOD + change))
    assert (error.key, Path(error.file).name) == (key, "exp.yaml")
    assert reason in error.reason


@pytest.mark.parametrize(("factor", "key", "reason"), [
    ("policy.nonsense: {range: [0, 1]}", "factors.policy.nonsense", "not a setting"),
    ("policy.vouchers.cap_per_firm: {range: [0.2, 0.1]}", "factors.policy.vouchers.cap_per_firm.range",
     "low must be below high"),
    ("policy.brokers.shanghai_reach: {range: [0.5, 1.5]}", "factors.policy.brokers.shanghai_reach.range",
     "must be at most 1"),
    ("policy.talent_recognition: {range: [0, 1]}", "factors.policy.talent_recognition.range", "true/false"),
    ("policy.vouchers.scope: {levels: [own_county, everywhere]}", "factors.policy.vouchers.scope.levels",
     "everywhere"),
    ("policy.incubation.stay_subsidy: {multiply: [0.5, 2]}", "factors.policy.incubation.stay_subsidy.multiply",
     "base value is 0"),
    ("policy.hnte_reapply_wait_months: {range: [0, 2.5]}", "factors.policy.hnte_reapply_wait_months.range",
     "whole-number"),
    ("policy.vouchers.subsidy_share: {range: [0.1, 0.2], multiply: [1, 2]}", "factors.policy.vouchers.subsidy_share",
     "not range and multiply"),
    ("behaviour.alpha: {rang: [0.1, 0.2]}", "factors.behaviour.alpha.rang", "unknown key"),
])
def test_bad_factors_are_refused_with_their_key(tmp_path, factor, key, reason):
    text = GOOD.replace("factors:\n", f"factors:\n  {factor}\n", 1)
    if factor.startswith("policy.vouchers.subsidy_share"):  # replaces the good one
        text = text.replace("  policy.vouchers.subsidy_share: {range: [0.3, 0.8]}\n", "", 1)
    error = refused(write(tmp_path, text))
    assert error.key == key
    assert reason in error.reason


@pytest.mark.parametrize(("expression", "reason"), [
    ("hnte_stock.atlantis", "unknown region"),
    ("hnte_stockpile.zone", "unknown indicator"),
    ("balance_index.jiashan", "zone only"),
    ("hnte_stock.jiashan // hnte_stock.zone", "cannot read"),
])
def test_bad_outputs_are_refused(tmp_path, expression, reason):
    error = refused(write(tmp_path, GOOD.replace("hnte_stock.zone", expression)))
    assert error.key == "outputs.hnte" and reason in error.reason


def test_base_keep_and_fixed_are_checked(tmp_path):
    assert "scenario file not found" in refused(write(tmp_path, GOOD.replace(BASE, "nowhere.yaml"))).reason
    error = refused(write(tmp_path, GOOD + "keep: [policy.vouchers.subsidy_share, policy.unknown]\n"))
    assert error.key == "keep" and "policy.unknown" in error.reason
    error = refused(write(tmp_path, GOOD + "fixed: {policy.vouchers.subsidy_share: 0.5}\n"))
    assert error.key == "factors.policy.vouchers.subsidy_share" and "fixed" in error.reason
    error = refused(write(tmp_path, GOOD + "fixed: {policy.vouchers.scope: galaxy}\n"))
    assert error.key == "fixed.policy.vouchers.scope"


def test_extends_merges_and_blames_the_file_that_set_a_key(tmp_path):
    write(tmp_path, GOOD, "parent.yaml")
    child = write(tmp_path, "extends: parent.yaml\nname: child\nreplicates: 5\n", "child.yaml")
    experiment = load_experiment(child)
    assert (experiment.name, experiment.spec.replicates, len(experiment.factors)) == ("child", 5, 2)
    bad = write(tmp_path, "extends: parent.yaml\nscale: -1\n", "bad_child.yaml")
    error = refused(bad)
    assert (Path(error.file).name, error.key) == ("bad_child.yaml", "scale")


def test_sample_numbers_become_scenario_values(tmp_path):
    text = GOOD.replace("factors:\n", "factors:\n  policy.vouchers.scope:\n"
                        "  policy.vouchers.budget: {multiply: [0.5, 2]}\n"
                        "  policy.incubation.capacity.jiashan: {range: [10, 80]}\n"
                        "  policy.hnte_reapply_wait_months: {range: [0, 24]}\n", 1)
    experiment = load_experiment(write(tmp_path, text))
    by_name = {f.name: f for f in experiment.factors}
    switch = by_name["policy.hnte_mutual_recognition"]
    assert [switch.values(x)[switch.name] for x in (0, 1 / 3, 2 / 3, 1)] == [False, False, True, True]
    scope = by_name["policy.vouchers.scope"]
    assert [scope.values(x)[scope.name] for x in (0, 1 / 4, 2 / 4, 3 / 4, 1)] == [
        "own_county", "own_county_shanghai", "zone", "zone_shanghai", "zone_shanghai"]
    wait = by_name["policy.hnte_reapply_wait_months"]
    assert wait.bounds == (0, 25) and wait.values(24.99)[wait.name] == 24 and wait.values(0)[wait.name] == 0
    assert by_name["policy.vouchers.budget"].values(2.0) == {
        "policy.vouchers.budget.qingpu": 24.0, "policy.vouchers.budget.wujiang": 30.0,
        "policy.vouchers.budget.jiashan": 16.0}
    point = experiment.point_overrides(np.array([b[0] for b in experiment.problem()["bounds"]]))
    # one county varied: the other two keep the base scenario's values
    assert point["policy.incubation.capacity.jiashan"] == 10.0
    assert point["policy.incubation.capacity.qingpu"] == 60.0 and point["run.scale"] == experiment.spec.scale


def test_cli_refuses_a_bad_experiment_with_exit_2(tmp_path):
    path = write(tmp_path, GOOD.replace("hnte_stock.zone", "hnte_stock.mars"))
    result = CliRunner().invoke(main, ["sensitivity", str(path), "--method", "morris"])
    assert result.exit_code == 2
    assert "exp.yaml:7: outputs.hnte: unknown region 'mars'" in result.output
    result = CliRunner().invoke(main, ["sensitivity", str(write(tmp_path, GOOD, "ok.yaml")), "--method", "sobol",
                                       "--n", "100"])
    assert result.exit_code == 2 and "power of 2" in result.output
