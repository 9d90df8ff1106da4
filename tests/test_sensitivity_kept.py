"""The Sobol' stage reads the factors the screening kept from the screening's own kept.yaml, and is
refused when the screening ran on another base scenario or other factor definitions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from innosim.analysis.sensitivity.experiment import load_experiment
from innosim.analysis.sensitivity.kept import KEPT_FILE, write_kept
from innosim.cli import main
from innosim.scenario import ScenarioError

from .conftest import ROOT

BASE = (ROOT / "scenarios" / "baseline.yaml").as_posix()
SCREENING = f"""# a small screening
name: small
base: {BASE}
scale: 0.02
months: 12
replicates: 1
factors:
  policy.hnte_mutual_recognition:
  policy.vouchers.subsidy_share: {{range: [0.3, 0.8]}}
  equity_regime:
    options:
      "off": {{policy.equity_incentives.enabled: false}}
      "on": {{policy.equity_incentives.enabled: true, policy.equity_incentives.tax_deferral: true}}
  behaviour.founding_rate: {{multiply: [0.5, 1.5]}}
outputs:
  hnte: hnte_stock.zone
"""
STAGE2 = """# the second stage
extends: screening.yaml
name: stage2
keep: {from_screening: out/kept.yaml}
"""


@pytest.fixture
def files(tmp_path):
    (tmp_path / "screening.yaml").write_text(SCREENING, encoding="utf-8")
    (tmp_path / "stage2.yaml").write_text(STAGE2, encoding="utf-8")
    screening = load_experiment(tmp_path / "screening.yaml")
    write_kept(tmp_path / "out", screening, {"policy.vouchers.subsidy_share": "hnte: mu* 40% of the largest",
                                             "equity_regime": "hnte: the largest"}, "test rule")
    return tmp_path


def refused(path: Path) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_experiment(path)
    return info.value


def test_the_second_stage_takes_the_screenings_kept_factors(files):
    kept = yaml.safe_load((files / "out" / KEPT_FILE).read_text(encoding="utf-8"))
    assert kept["experiment"] == "small" and len(kept["base_hash"]) == 16 and len(kept["factors"]) == 4
    stage2 = load_experiment(files / "stage2.yaml")
    assert [f.name for f in stage2.factors] == ["policy.vouchers.subsidy_share", "equity_regime"]
    assert stage2.kept_reasons["equity_regime"] == "hnte: the largest"
    assert stage2.kept_from == (files / "out" / KEPT_FILE).resolve()
    assert stage2.base_hash == load_experiment(files / "screening.yaml").base_hash
    also = files / "also.yaml"
    also.write_text(STAGE2.replace("out/kept.yaml}", "out/kept.yaml, also: [policy.hnte_mutual_recognition]}"),
                    encoding="utf-8")
    assert [f.name for f in load_experiment(also).factors][0] == "policy.hnte_mutual_recognition"


def test_a_missing_kept_file_says_what_to_run(files):
    (files / "out" / KEPT_FILE).unlink()
    error = refused(files / "stage2.yaml")
    assert (Path(error.file).name, error.key) == ("stage2.yaml", "keep.from_screening")
    assert "kept.yaml not found" in error.reason
    assert f"innosim sensitivity {files / 'screening.yaml'} --method morris" in error.reason


@pytest.mark.parametrize(("change", "reason"), [
    ("scale: 0.05\n", "another base scenario"),
    ("fixed: {policy.talent_recognition: true}\n", "another base scenario"),
    ("factors:\n  policy.vouchers.subsidy_share: {range: [0.2, 0.8]}\n", "other factor definitions (differ: "
                                                                        "policy.vouchers.subsidy_share)"),
])
def test_a_screening_of_another_base_or_other_factors_is_refused(files, change, reason):
    (files / "stage2.yaml").write_text(STAGE2 + change, encoding="utf-8")
    error = refused(files / "stage2.yaml")
    assert (Path(error.file).name, error.key) == ("stage2.yaml", "keep.from_screening")
    assert reason in error.reason and "run the screening again" in error.reason


def test_a_bad_keep_is_refused(files):
    (files / "stage2.yaml").write_text(STAGE2.replace("from_screening", "from_screenin"), encoding="utf-8")
    error = refused(files / "stage2.yaml")
    assert error.key == "keep.from_screenin" and error.reason == "unknown key; did you mean 'from_screening'?"
    (files / "stage2.yaml").write_text(STAGE2.replace("out/kept.yaml}", "out/kept.yaml, also: [policy.nope]}"),
                                       encoding="utf-8")
    assert "policy.nope" in refused(files / "stage2.yaml").reason
    (files / "out" / KEPT_FILE).write_text("keep: 3\n", encoding="utf-8")
    (files / "stage2.yaml").write_text(STAGE2, encoding="utf-8")
    assert "is not a screening's kept.yaml" in refused(files / "stage2.yaml").reason


@pytest.mark.slow
def test_screening_then_second_stage_through_the_command(tmp_path):
    """The screening writes kept.yaml; the second stage reads it (the emulator on a tiny design)."""
    (tmp_path / "screening.yaml").write_text(SCREENING, encoding="utf-8")
    (tmp_path / "stage2.yaml").write_text(STAGE2.replace("out/kept.yaml", "screening-out/kept.yaml"),
                                          encoding="utf-8")
    first = CliRunner().invoke(main, ["sensitivity", str(tmp_path / "screening.yaml"), "--method", "morris", "--n",
                                      "3", "--jobs", "1", "--out", str(tmp_path / "screening-out")])
    assert first.exit_code == 0, first.output
    assert "kept for the Sobol' stage" in first.output
    kept = yaml.safe_load((tmp_path / "screening-out" / KEPT_FILE).read_text(encoding="utf-8"))
    names = [e["factor"] for e in kept["keep"]]
    if len(names) < 2:  # a tiny screening may keep less than two: carry two on, as keep.also would
        text = STAGE2.replace("out/kept.yaml}", "out/kept.yaml, also: [policy.vouchers.subsidy_share, "
                                                "behaviour.founding_rate]}").replace("out/", "screening-out/")
        (tmp_path / "stage2.yaml").write_text(text, encoding="utf-8")
    second = CliRunner().invoke(main, ["sensitivity", str(tmp_path / "stage2.yaml"), "--method", "emulator", "--n",
                                       "16", "--jobs", "1", "--out", str(tmp_path / "stage2-out")])
    assert second.exit_code == 0, second.output
    summary = json.loads((tmp_path / "stage2-out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["method"] == "emulator" and summary["provenance"]["kept_from"].endswith(KEPT_FILE)
    report = (tmp_path / "stage2-out" / "report.md").read_text(encoding="utf-8")
    assert "The factors are those the Morris screening kept" in report
    (tmp_path / "screening.yaml").write_text(SCREENING.replace("scale: 0.02", "scale: 0.03"), encoding="utf-8")
    third = CliRunner().invoke(main, ["sensitivity", str(tmp_path / "stage2.yaml"), "--method", "sobol", "--n", "4"])
    assert third.exit_code == 2 and "another base scenario" in third.output
