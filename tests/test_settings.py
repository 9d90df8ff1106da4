"""`innosim settings`: every setting of the schema with default, range, unit, meaning, the value a
scenario resolves to and the file that set it; read from the schema, so new fields appear by themselves."""

from __future__ import annotations

import json

import yaml
from click.testing import CliRunner

from innosim.cli import main
from innosim.scenario import Scenario
from innosim.scenario.catalogue import _leaves, catalogue, changed_settings, scenario_settings

from .conftest import SCENARIOS


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_the_catalogue_covers_every_leaf_of_the_schema():
    keys = [s.key for s in catalogue()]
    assert keys == [".".join(path) for path, _ in _leaves(Scenario().model_dump(mode="json"), ())]
    by_key = {s.key: s for s in catalogue()}
    share = by_key["policy.vouchers.subsidy_share"]
    assert (share.default, share.range, share.unit) == (0.5, "0 ≤ x ≤ 1", "share (0-1)")
    budget = by_key["policy.vouchers.budget.jiashan"]
    assert budget.unit == "M CNY" and budget.meaning == "M CNY issued per county per year"
    assert by_key["policy.vouchers.scope"].range == "own_county | own_county_shanghai | zone | zone_shanghai"
    assert by_key["run.months"].range == "1 ≤ whole number ≤ 600" and by_key["run.months"].unit == "months"
    assert any(k.startswith("behaviour.") for k in keys) and any(k.startswith("places.shanghai.") for k in keys)


def test_settings_of_a_scenario_as_json_name_values_and_their_files():
    result = invoke("settings", SCENARIOS / "general_vouchers.yaml", "--format", "json",
                    "--set", "policy.vouchers.budget.jiashan=20")
    assert result.exit_code == 0, result.output
    rows = {r["key"]: r for r in json.loads(result.output)}
    assert len(rows) == len(catalogue()) + 2  # the baseline sets hnte_recognition per county: 3 rows
    assert rows["policy.vouchers.scope"]["value"] == "zone_shanghai"
    assert rows["policy.vouchers.scope"]["set_by"].endswith("scenarios/general_vouchers.yaml")
    assert rows["policy.vouchers.subsidy_share"]["set_by"].endswith("scenarios/baseline.yaml")
    assert rows["behaviour.firm_stay_bonus"]["set_by"].endswith("calibration/calibrated.yaml")
    assert rows["population.firms"]["set_by"] == "default"
    jiashan = rows["policy.vouchers.budget.jiashan"]
    assert (jiashan["value"], jiashan["set_by"], jiashan["default"]) == (20, "--set", 8.0)
    assert "Pre-integration" not in rows["description"]["value"]  # its own first comment, not the baseline's


def test_settings_table_yaml_and_changed_only():
    table = invoke("settings", SCENARIOS / "full_integration.yaml", "--grep", "vouchers.scope")
    assert table.exit_code == 0
    assert "policy.vouchers.scope" in table.output and "zone_shanghai" in table.output
    assert "own_county | own_county_shanghai | zone" in table.output and "scenarios/full_integration.yaml" in table.output
    changed = yaml.safe_load(invoke("settings", SCENARIOS / "full_integration.yaml", "--changed",
                                    "--format", "yaml").output)
    keys = {r["key"] for r in changed}
    assert "policy.hnte_mutual_recognition" in keys and "population.firms" not in keys
    bad = invoke("settings", SCENARIOS / "baseline.yaml", "--set", "policy.vouchers.subsidy_share=15")
    assert bad.exit_code == 2 and "--set: policy.vouchers.subsidy_share" in bad.output and "0.15" in bad.output


def test_changed_settings_against_the_base():
    base = scenario_settings(SCENARIOS / "baseline.yaml")
    other = scenario_settings(SCENARIOS / "general_vouchers.yaml")
    # the baseline sets the scope per county (Jiashan's vouchers reach Shanghai), general_vouchers zone-wide
    assert [c["key"] for c in changed_settings(base, other)] == [
        "policy.vouchers.scope.qingpu", "policy.vouchers.scope.wujiang", "policy.vouchers.scope.jiashan",
        "policy.vouchers.cross_county_settlement"]
    assert changed_settings(base, base) == []
