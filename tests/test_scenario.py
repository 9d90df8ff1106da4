"""Scenario files: merging, and every kind of bad input refused with file, key and reason."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from innosim.cli import main
from innosim.scenario import content_hash, load_scenario

from .conftest import SCENARIOS, refused, write


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.name)
def test_every_scenario_file_loads_and_says_what_it_represents(path):
    scenario = load_scenario(path)
    assert scenario.name == path.stem
    assert path.read_text(encoding="utf-8").startswith("# "), "a scenario file starts with a comment"


def test_extends_overrides_only_what_it_names(tmp_path):
    base = load_scenario(SCENARIOS / "baseline.yaml")
    child = load_scenario(SCENARIOS / "hnte_mutual_recognition.yaml")
    assert child.policy.hnte_mutual_recognition and not base.policy.hnte_mutual_recognition
    assert child.policy.vouchers == base.policy.vouchers
    assert content_hash(child) != content_hash(base)


def test_one_number_stands_for_all_three_counties(tmp_path):
    path = write(tmp_path, "s.yaml", "policy:\n  vouchers:\n    budget: 5\n")
    assert load_scenario(path).policy.vouchers.budget == {"qingpu": 5.0, "wujiang": 5.0, "jiashan": 5.0}


def test_partial_county_override_keeps_the_others(tmp_path):
    parent = write(tmp_path, "p.yaml", "policy:\n  vouchers:\n    budget: {qingpu: 1, wujiang: 2, jiashan: 3}\n")
    child = write(tmp_path, "c.yaml", f"extends: {parent.name}\npolicy:\n  vouchers:\n    budget: {{jiashan: 9}}\n")
    assert load_scenario(child).policy.vouchers.budget == {"qingpu": 1.0, "wujiang": 2.0, "jiashan": 9.0}


BAD = [
    ("unknown key", "policy:\n  voucher_scope: zone\n", "policy.voucher_scope", "unknown key"),
    ("wrong type", "run:\n  months: twelve\n", "run.months", "must be a whole number"),
    ("number as text", "run:\n  scale: '0.5'\n", "run.scale", "must be a number"),
    ("share above one", "policy:\n  vouchers:\n    subsidy_share: 1.5\n", "policy.vouchers.subsidy_share", "must be at most 1"),
    ("negative budget", "policy:\n  vouchers:\n    budget: {jiashan: -3}\n", "policy.vouchers.budget.jiashan", "must be at least 0"),
    ("unknown region", "policy:\n  vouchers:\n    budget: {hangzhou: 3}\n", "policy.vouchers.budget.hangzhou", "'qingpu', 'wujiang' or 'jiashan'"),
    ("unknown scope", "policy:\n  vouchers:\n    scope: everywhere\n", "policy.vouchers.scope", "own_county"),
    ("bad month", "run:\n  start: 2019/01\n", "run.start", "YYYY-MM"),
    ("returns to scale", "behaviour:\n  alpha: 0.6\n  beta: 0.6\n", "behaviour", "alpha + beta"),
    ("boolean as text", "policy:\n  talent_recognition: 'yes'\n", "policy.talent_recognition", "true or false"),
]


@pytest.mark.parametrize(("case", "text", "key", "reason"), BAD, ids=[b[0] for b in BAD])
def test_bad_values_are_refused_with_file_key_and_reason(tmp_path, case, text, key, reason):
    path = write(tmp_path, "bad.yaml", text)
    error = refused(path)
    assert Path(error.file).name == "bad.yaml"
    assert error.key == key
    assert reason in error.reason


def test_an_inherited_bad_value_names_the_file_that_set_it(tmp_path):
    write(tmp_path, "parent.yaml", "policy:\n  vouchers:\n    cap_per_firm: -1\n")
    child = write(tmp_path, "child.yaml", "extends: parent.yaml\nname: child\n")
    error = refused(child)
    assert Path(error.file).name == "parent.yaml"
    assert error.key == "policy.vouchers.cap_per_firm"


def test_extends_cycle_is_refused(tmp_path):
    write(tmp_path, "a.yaml", "extends: b.yaml\n")
    b = write(tmp_path, "b.yaml", "extends: a.yaml\n")
    error = refused(b)
    assert error.key == "extends" and "cycle" in error.reason


def test_missing_file_and_missing_parent(tmp_path):
    assert "file not found" in refused(tmp_path / "nowhere.yaml").reason
    child = write(tmp_path, "c.yaml", "extends: nowhere.yaml\n")
    error = refused(child)
    assert error.key == "extends" and "nowhere.yaml" in error.reason


@pytest.mark.parametrize("text", [
    "run: !!python/object:os.system {}\n",
    "name: !custom thing\n",
    "run:\n  months: !!int 12\n",
])
def test_yaml_tags_are_refused(tmp_path, text):
    assert "tag" in refused(write(tmp_path, "t.yaml", text)).reason


def test_duplicate_keys_and_non_mappings_are_refused(tmp_path):
    assert "duplicate key" in refused(write(tmp_path, "d.yaml", "name: a\nname: b\n")).reason
    assert "mapping" in refused(write(tmp_path, "l.yaml", "- 1\n- 2\n")).reason
    assert "not valid YAML" in refused(write(tmp_path, "y.yaml", "run: [1, 2\n")).reason


def test_validate_command_exit_status_and_message(tmp_path):
    bad = write(tmp_path, "bad.yaml", "policy:\n  vouchers:\n    subsidy_share: 2\n")
    result = CliRunner().invoke(main, ["validate", str(SCENARIOS / "baseline.yaml"), str(bad)])
    assert result.exit_code == 2
    assert f"{bad}:3: policy.vouchers.subsidy_share:" in result.output
    assert "ok: " in result.output


def test_run_with_a_bad_scenario_exits_2_and_writes_nothing(tmp_path):
    bad = write(tmp_path, "bad.yaml", "run:\n  scale: -1\n")
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "innosim", "run", str(bad), "--out", str(out)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert "run.scale" in proc.stderr and "bad.yaml" in proc.stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [bad]
