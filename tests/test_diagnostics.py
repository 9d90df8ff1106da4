"""Planner-facing validation: every problem at once, with file, line, key, plain reason and hints;
names and descriptions that are a file's own; empty files and bad `extends` chains refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from innosim.cli import main
from innosim.scenario import ScenarioError, load_scenario

from .conftest import SCENARIOS, refused, write


THREE_MISTAKES = f"""# three mistakes
extends: {SCENARIOS / 'baseline.yaml'}
run:
  start: 2021-01-01
policy:
  vouchers:
    subsidy_shar: 0.2
    subsidy_share: 15
"""


def test_every_problem_of_a_file_is_reported_at_once_with_line_and_hint(tmp_path):
    path = write(tmp_path, "three.yaml", THREE_MISTAKES)
    error = refused(path)
    by_key = {p.key: p for p in error.problems}
    assert set(by_key) == {"run.start", "policy.vouchers.subsidy_shar", "policy.vouchers.subsidy_share"}
    assert all(p.file == str(path) for p in error.problems)
    assert [by_key[k].line for k in ("run.start", "policy.vouchers.subsidy_shar", "policy.vouchers.subsidy_share")] \
        == [4, 7, 8]
    assert "did you mean 'subsidy_share'?" in by_key["policy.vouchers.subsidy_shar"].reason
    assert "15 % is 0.15" in by_key["policy.vouchers.subsidy_share"].reason
    assert '"2021-01"' in by_key["run.start"].reason and "datetime" not in by_key["run.start"].reason
    text = str(error)
    assert text.startswith("3 problems in") and f"{path}:8: policy.vouchers.subsidy_share" in text
    # the command prints all three and exits 2
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert all(key in result.output for key in by_key)
    assert "more problem" not in result.output


def test_misspelt_section_and_wrong_indentation_get_plain_words(tmp_path):
    error = refused(write(tmp_path, "p.yaml", "polciy:\n  talent_recognition: true\n"))
    assert error.key == "polciy" and "did you mean 'policy'?" in error.reason
    error = refused(write(tmp_path, "i.yaml", "policy:\nvouchers:\n  scope: zone\n"))
    reasons = {p.key: p.reason for p in error.problems}
    assert "indented" in reasons["policy"] and "valid dictionary" not in reasons["policy"]
    assert "setting of policy" in reasons["vouchers"]


def test_yaml_errors_name_the_file_and_line(tmp_path):
    path = write(tmp_path, "y.yaml", "name: x\nrun: [1, 2\n")
    error = refused(path)
    assert error.file == str(path) and error.line == 3
    assert "<unicode string>" not in str(error)


def test_an_empty_file_is_refused(tmp_path):
    error = refused(write(tmp_path, "empty.yaml", "# nothing but a comment\n"))
    assert "empty" in error.reason


def test_extends_problems_name_the_file_that_asked_and_the_chain(tmp_path):
    write(tmp_path, "b.yaml", "extends: /etc/passwd\n")
    a = write(tmp_path, "a.yaml", "extends: b.yaml\n")
    error = refused(a)
    assert Path(error.file).name == "b.yaml" and error.key == "extends" and error.line == 1
    assert "/etc/passwd" in error.reason and f"{a} -> {tmp_path / 'b.yaml'} -> /etc/passwd" in error.reason
    write(tmp_path, "hollow.yaml", "# nothing\n")
    error = refused(write(tmp_path, "c.yaml", "extends: hollow.yaml\n"))
    assert Path(error.file).name == "c.yaml" and "empty" in error.reason


def test_name_and_description_are_the_files_own(tmp_path):
    child = write(tmp_path, "noname.yaml",
                  f"# Jiashan doubles its vouchers.\n# Nothing else changes.\nextends: {SCENARIOS / 'baseline.yaml'}\n"
                  "policy:\n  vouchers:\n    budget: {jiashan: 16}\n")
    scenario = load_scenario(child)
    assert scenario.name == "noname"
    assert scenario.description == "Jiashan doubles its vouchers. Nothing else changes."
    assert load_scenario(SCENARIOS / "full_integration.yaml").description.startswith("All integration levers")
    assert "Pre-integration" not in load_scenario(SCENARIOS / "general_vouchers.yaml").description


def test_region_keys_accept_chinese_names(tmp_path):
    path = write(tmp_path, "zh.yaml", f"extends: {SCENARIOS / 'baseline.yaml'}\n"
                                      "policy:\n  vouchers:\n    budget: {嘉善: 20, 青浦: 1}\n"
                                      "  incubation:\n    capacity: {吴江: 7}\n")
    scenario = load_scenario(path)
    assert scenario.policy.vouchers.budget == {"qingpu": 1.0, "wujiang": 15.0, "jiashan": 20.0}
    assert scenario.policy.incubation.capacity["wujiang"] == 7.0
    both = write(tmp_path, "both.yaml", "policy:\n  vouchers:\n    budget: {嘉善: 2, jiashan: 3}\n")
    assert "same place" in refused(both).reason


def test_batch_spec_reports_every_problem(tmp_path):
    from innosim.batch import load_spec

    path = write(tmp_path, "spec.yaml", "scenario: x.yaml\nreplicate: 2\nseed: -1\n")
    with pytest.raises(ScenarioError) as info:
        load_spec(path)
    keys = {p.key for p in info.value.problems}
    assert keys == {"replicate", "seed"}
    assert any("did you mean 'replicates'?" in p.reason for p in info.value.problems)


def test_the_readme_scenario_example_does_what_its_comment_says(tmp_path):
    import re

    readme = (SCENARIOS.parent / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Writing a scenario\n\n```yaml\n(.*?)```", readme, re.DOTALL).group(1)
    path = write(tmp_path, "example.yaml", block.replace("extends: baseline.yaml",
                                                        f"extends: {SCENARIOS / 'baseline.yaml'}"))
    scenario, base = load_scenario(path), load_scenario(SCENARIOS / "baseline.yaml")
    assert "jiashan alone" in scenario.description.lower()
    assert scenario.policy.vouchers.budget == {**base.policy.vouchers.budget, "jiashan": 12.0}
    assert scenario.policy.vouchers.scope == base.policy.vouchers.scope  # until the change
    (change,) = scenario.changes
    assert change.month == "2021-07"
    assert change.settings == {"policy.vouchers.scope.jiashan": "zone_shanghai",
                               "policy.vouchers.cross_county_settlement.jiashan": True}
    assert scenario.name == "example"
