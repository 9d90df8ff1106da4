"""Validation as the README promises it: every problem of any file kind at once, with file, line and
"did you mean"; Chinese county keys wherever a county is named; warnings for settings that change
nothing, are overridden, or narrow the base. Validation only: nothing here runs the model."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from click.testing import CliRunner

from innosim.cli import main
from innosim.scenario import ScenarioError, load_scenario, warnings_for

from .conftest import SCENARIOS, refused, write

#: The planner's scenario of the issue: Jiashan alone raises its voucher budget by half and opens its
#: vouchers to the zone from 2021-07, written with Chinese county keys in `policy:` and in `changes:`.
PLANNER = f"""# Jiashan alone raises its voucher budget by half and opens its vouchers to the zone from 2021-07.
extends: {SCENARIOS / 'baseline.yaml'}
policy:
  vouchers:
    budget: {{嘉善: 12.0}}
changes:
  - from: "2021-07"
    note: "Jiashan's vouchers usable anywhere in the zone"
    set:
      policy.vouchers.scope.嘉善: zone
"""


def messages(path, **kwargs) -> dict[str, str]:
    """Key -> its warnings, one per line."""
    found: dict[str, str] = {}
    for w in warnings_for(path, **kwargs):
        found[w.key] = "\n".join(filter(None, [found.get(w.key), w.message]))
    return found


# ---------------------------------------------------------------- the planner's scenario
def test_the_planners_scenario_validates_with_a_warning_naming_the_narrowed_scope(tmp_path):
    path = write(tmp_path, "planner.yaml", PLANNER)
    scenario = load_scenario(path)
    assert scenario.policy.vouchers.budget["jiashan"] == 12.0
    assert scenario.changes[0].settings == {"policy.vouchers.scope.jiashan": "zone"}
    (warning,) = warnings_for(path)
    assert (warning.key, warning.line) == ("changes.0.set.policy.vouchers.scope.jiashan", 10)
    assert "own_county_shanghai" in warning.message and "Shanghai's core" in warning.message
    assert "write zone_shanghai" in warning.message and "from 2021-07" in warning.message
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert f"ok: {path}" in result.stdout
    assert f"warning: {path}:10: changes.0.set.policy.vouchers.scope.jiashan: zone from 2021-07 narrows " \
           "Jiashan's voucher scope" in result.stderr


def test_zone_shanghai_keeps_what_the_base_had_and_draws_no_warning(tmp_path):
    path = write(tmp_path, "wide.yaml", PLANNER.replace("scope.嘉善: zone", "scope.嘉善: zone_shanghai"))
    assert warnings_for(path) == []


# ---------------------------------------------------------------- warnings
def test_a_county_value_equal_to_the_base_is_no_change(tmp_path):
    path = write(tmp_path, "same.yaml", f"extends: {SCENARIOS / 'baseline.yaml'}\n"
                                        "policy:\n  vouchers:\n    budget: {嘉善: 12, 青浦: 12}\n")
    found = messages(path)
    assert list(found) == ["policy.vouchers.budget.qingpu"]
    assert "Qingpu's value in baseline.yaml already: no change" in found["policy.vouchers.budget.qingpu"]
    # a dated change to the value in force is no change either
    change = write(tmp_path, "change.yaml", f"extends: {SCENARIOS / 'baseline.yaml'}\nchanges:\n"
                                            "  - {from: '2020-01', set: {policy.vouchers.scope.qingpu: own_county}}\n")
    assert "in force before 2020-01 (baseline.yaml) already: no change" in \
        messages(change)["changes.0.set.policy.vouchers.scope.qingpu"]


def test_a_setting_overridden_by_a_wider_rule_names_the_value_in_force(tmp_path):
    path = write(tmp_path, "qp.yaml", f"extends: {SCENARIOS / 'full_integration.yaml'}\n"
                                      "policy:\n  hnte_recognition: {青浦: own_province}\n")
    message = messages(path)["policy.hnte_recognition.qingpu"]
    assert "overridden in Qingpu" in message and "hnte_mutual_recognition.qingpu is true" in message
    assert "so zone is in force" in message
    # switching mutual recognition on, which widens on purpose, is no slip
    assert warnings_for(SCENARIOS / "hnte_mutual_recognition.yaml") == []


def test_settings_that_act_on_nothing_are_named(tmp_path):
    path = write(tmp_path, "idle.yaml", f"extends: {SCENARIOS / 'baseline.yaml'}\n"
                                        "policy:\n  vouchers: {cross_county_settlement: {wujiang: true}}\n"
                                        "  equity_incentives: {tax_deferral: true}\n")
    found = messages(path)
    assert "its vouchers are spent in Wujiang only (scope own_county)" in \
        found["policy.vouchers.cross_county_settlement.wujiang"]
    assert "equity incentives are off" in found["policy.equity_incentives.tax_deferral"]


def test_a_set_on_the_command_line_is_warned_about_against_the_file(tmp_path):
    found = messages(SCENARIOS / "baseline.yaml", overrides={"policy.vouchers.scope.嘉善": "own_county"})
    assert "narrows Jiashan's voucher scope" in found["policy.vouchers.scope.jiashan"]
    (warning,) = warnings_for(SCENARIOS / "baseline.yaml", overrides={"policy.vouchers.scope.嘉善": "own_county"})
    assert warning.file == "--set"


def test_shipped_scenarios_that_only_switch_levers_on_draw_no_warning():
    for name in ("baseline", "full_integration", "general_vouchers", "equity_incentives", "incubation"):
        assert warnings_for(SCENARIOS / f"{name}.yaml") == [], name


def test_the_warnings_read_the_rules_as_the_model_does():
    """scenario/warnings.py restates model/policy.py's reach of vouchers and HNTE recognition (a
    scenario imports no model): the two must agree for every choice and county."""
    from innosim.model import policy
    from innosim.model.places import SAME_PROVINCE
    from innosim.scenario import COUNTIES, PLACES
    from innosim.scenario import warnings as rules
    from innosim.scenario.schema import Policy

    for scope in policy.VOUCHER_REACH:
        for i, county in enumerate(COUNTIES):
            reach = policy.VOUCHER_REACH[scope].copy()
            reach[i] = True
            assert rules.voucher_places(county, scope) == {p for p, on in zip(PLACES, reach) if on}
    for recognition, mutual in itertools.product(policy.HNTE_SCOPES, (False, True)):
        p = Policy(hnte_recognition=recognition, hnte_mutual_recognition=mutual)
        assert rules.hnte_scope(p) == policy.hnte_scope(p)
        for i, county in enumerate(COUNTIES):
            honoured = SAME_PROVINCE[:, i] | policy.HONOURED[recognition]
            assert rules.hnte_places(county, recognition) == {q for q, on in zip(PLACES, honoured) if on}
    assert np.array_equal(SAME_PROVINCE, [[rules.PROVINCE[a] == rules.PROVINCE[b] for b in PLACES] for a in PLACES])


# ---------------------------------------------------------------- Chinese county keys
def test_chinese_county_keys_are_read_in_changes_and_in_set(tmp_path):
    from innosim.cli.options import parse_sets

    overrides = parse_sets(("policy.vouchers.scope.嘉善=zone_shanghai", "policy.vouchers.budget={青浦: 3}"))
    assert overrides == {"policy.vouchers.scope.jiashan": "zone_shanghai", "policy.vouchers.budget": {"qingpu": 3}}
    scenario = load_scenario(SCENARIOS / "baseline.yaml", {"policy.incubation.capacity.吴江": 7.0})
    assert scenario.policy.incubation.capacity["wujiang"] == 7.0
    with pytest.raises(ScenarioError, match="given twice"):
        parse_sets(("policy.vouchers.scope.嘉善=zone", "policy.vouchers.scope.jiashan=zone"))
    twice = write(tmp_path, "twice.yaml", "changes:\n  - from: '2020-01'\n    set:\n"
                                          "      policy.vouchers.scope.嘉善: zone\n"
                                          "      policy.vouchers.scope.jiashan: zone\n")
    assert "name the same place" in refused(twice).reason


def test_chinese_county_names_are_read_in_a_batch_spec(tmp_path):
    from innosim.batch import load_spec

    path = write(tmp_path, "spec.yaml", f"scenario: {SCENARIOS / 'baseline.yaml'}\n"
                                        "grid:\n  policy.vouchers.budget.嘉善: [8, 12]\n")
    assert list(load_spec(path).grid) == ["policy.vouchers.budget.jiashan"]


def test_chinese_county_names_are_read_in_experiment_files(tmp_path):
    from innosim.analysis.outputs import parse_output
    from innosim.analysis.sensitivity.experiment import load_experiment

    output = parse_output(tmp_path / "exp.yaml", "o", "mean(hnte_stock.嘉善, last=36) / mean(hnte_stock.示范区, last=36)")
    assert [(t.indicator, t.region) for t in output.terms] == [("hnte_stock", "jiashan"), ("hnte_stock", "zone")]
    path = write(tmp_path, "exp.yaml", EXPERIMENT.replace("scal:", "scale:").replace("a: {rang:", "behaviour.alpha: {range:")
                 .replace("[1, 2]}", "[0.2, 0.3]}", 1) + "fixed: {policy.vouchers.scope.嘉善: zone_shanghai}\n")
    experiment = load_experiment(path)
    assert experiment.fixed["policy.vouchers.scope.jiashan"] == "zone_shanghai"
    assert "policy.vouchers.budget.jiashan" in [s for f in experiment.factors for s in f.settings]


# ---------------------------------------------------------------- every problem at once
def test_every_problem_in_changes_is_reported_at_once(tmp_path):
    path = write(tmp_path, "changes.yaml", f"extends: {SCENARIOS / 'baseline.yaml'}\nchanges:\n"
                                           "  - from: '2020-01'\n    set:\n      policy.vouchers.scope.嘉善: zon\n"
                                           "  - from: '2021-01'\n    set:\n      policy.vouchers.subsidy_share.青浦: 50\n")
    error = refused(path)
    by_key = {p.key: p for p in error.problems}
    assert set(by_key) == {"changes.0.set.policy.vouchers.scope.jiashan",
                           "changes.1.set.policy.vouchers.subsidy_share.qingpu"}
    assert [by_key[k].line for k in sorted(by_key)] == [5, 8]
    assert "did you mean 'zone'?" in by_key["changes.0.set.policy.vouchers.scope.jiashan"].reason


EXPERIMENT = f"""name: two
base: {SCENARIOS / 'baseline.yaml'}
scal: 0.2
factors:
  a: {{rang: [1, 2]}}
  policy.vouchers.budget.嘉善: {{range: [1, 2]}}
outputs:
  o: mean(hnte_stock.jiashan)
"""


@pytest.mark.parametrize("kind", ["sensitivity", "levers", "optimise"])
def test_an_experiment_file_with_two_mistakes_reports_both_with_lines_and_hints(tmp_path, kind):
    from innosim.analysis.levers.experiment import load_levers
    from innosim.analysis.optimise.spec import load_optimise
    from innosim.analysis.sensitivity.experiment import load_experiment

    load = {"sensitivity": load_experiment, "levers": load_levers, "optimise": load_optimise}[kind]
    path = write(tmp_path, "exp.yaml", EXPERIMENT)
    with pytest.raises(ScenarioError) as caught:
        load(path)
    by_key = {p.key: p for p in caught.value.problems}
    assert by_key["scal"].line == 3 and "did you mean 'scale'?" in by_key["scal"].reason
    if kind == "sensitivity":
        assert by_key["factors.a.rang"].line == 5 and "did you mean 'range'?" in by_key["factors.a.rang"].reason
    assert str(caught.value).startswith(f"{len(by_key)} problems in {path}")


def test_a_targets_file_reports_every_problem_with_lines(tmp_path):
    from innosim.analysis.calibration.files import load_calibration

    path = write(tmp_path, "targets.yaml", "scenario: x.yaml\nregoin: jiashan\ntargets: 3\n")
    with pytest.raises(ScenarioError) as caught:
        load_calibration(path, tmp_path / "none.yaml")
    by_key = {p.key: p for p in caught.value.problems}
    assert by_key["regoin"].line == 2 and "did you mean 'region'?" in by_key["regoin"].reason
    assert by_key["targets"].line == 3


def test_a_check_of_the_tools_own_gets_its_line_on_the_command_line(tmp_path):
    path = write(tmp_path, "exp.yaml", EXPERIMENT.replace("scal:", "scale:").replace("rang:", "range:")
                 .replace("a: {range: [1, 2]}", "policy.nope: {range: [1, 2]}"))
    result = CliRunner().invoke(main, ["sensitivity", str(path), "--method", "morris", "--out",
                                       str(tmp_path / "out")])
    assert result.exit_code == 2
    assert f"error: {path}:5: factors.policy.nope: not a setting" in result.stderr
    assert not (tmp_path / "out").exists()


def test_problems_beyond_twenty_are_counted(tmp_path):
    from innosim.batch import load_spec

    path = write(tmp_path, "spec.yaml", "scenario: x.yaml\n" + "".join(f"bogus{i}: 1\n" for i in range(25)))
    with pytest.raises(ScenarioError) as caught:
        load_spec(path)
    assert len(caught.value.problems) == 25 and "... and 5 more" in str(caught.value)
