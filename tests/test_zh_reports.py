"""`--lang zh` reports, their PNGs and the commands' messages carry no English left untranslated
(tests/english_leftovers.py): levers (table, dose and robustness stages), compare, optimise, sensitivity
and calibrate, each at the smallest settings that run. The checker itself fails on a planted English sentence."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from innosim.cli import main

from .conftest import ROOT
from .english_leftovers import assert_chinese, collect_figure_text, html_text, leftovers, report_text

SCENARIOS = ROOT / "scenarios"


def check(folder: Path, stem: str, figures, output: str, extra=()) -> None:
    assert_chinese(report_text(folder / f"{stem}.md"), report_text(folder / f"{stem}.html"), figures.text, output,
                   extra=extra, where=str(folder))


def test_the_checker_fails_on_a_planted_english_sentence_and_passes_names_keys_and_paths():
    clean = ("# 政策杠杆排序：tiny\n\n在2项政策中，科技金融提升最大（`hnte_stock.jiashan`，见 `effects.csv`，"
             "/tmp/x/report.md；Bonferroni 校正，NSGA-II，95 % 区间 −0.5 至 +1.2）。")
    assert leftovers(clean, extra=["tiny"]) == []
    planted = clean + "\n\nThe levers are ranked by their effect."
    with pytest.raises(AssertionError, match="English word"):
        assert_chinese(planted, extra=["tiny"])
    assert [w for w, _ in leftovers(html_text("<p>单位 <code>M CNY</code> 与 M CNY/yr</p>"))] == ["CNY"]


def test_levers_table_and_dose_stage_in_chinese(tmp_path):
    from .test_dose import TINY as DOSE
    from .test_levers_cmd import TINY

    table = tmp_path / "table.yaml"
    table.write_text(TINY.replace("label: science finance", "label: 科技金融")
                     .replace("label: general-use vouchers", "label: 通用创新券"), encoding="utf-8")
    dose = tmp_path / "dose.yaml"
    dose.write_text(DOSE.replace("DIALS", "{vouchers: {label: 创新券预算, set: {policy.vouchers.budget: [16, 32]}}, "
                                          "recognition: {label: 人才互认, set: {policy.talent_recognition: [true]}}}")
                    .replace("label: science finance", "label: 科技金融").replace("label: incubation", "label: 孵化"),
                    encoding="utf-8")
    store = ["--jobs", "1", "--store", str(tmp_path / "store.sqlite"), "--no-progress", "--lang", "zh"]
    with collect_figure_text() as figures:
        run = CliRunner().invoke(main, ["levers", str(table), "--stage", "table", "--out", str(tmp_path / "t"), *store])
    assert run.exit_code == 0, run.output
    assert "levers.png" in " ".join(figures.by_file) or figures.text
    check(tmp_path / "t", "report", figures, run.output, extra=["tiny"])
    with collect_figure_text() as figures:
        run = CliRunner().invoke(main, ["levers", str(dose), "--stage", "dose", "--out", str(tmp_path / "d"), *store])
    assert run.exit_code == 0, run.output
    check(tmp_path / "d", "dose", figures, run.output, extra=["tinydose"])


def test_optimise_report_in_chinese(tmp_path):
    from innosim.analysis.optimise import load_optimise, search
    from innosim.analysis.optimise.report import write_optimise_report
    from innosim.batch import run_batch
    from innosim.i18n import Labels

    from .functions import package_run, package_tasks
    from .test_optimise import ANALYTIC

    path = tmp_path / "analytic.yaml"
    path.write_text(ANALYTIC.replace("GENERATIONS", "3").replace("voucher budget", "创新券预算")
                    .replace("incubator places", "孵化器席位"), encoding="utf-8")
    o = load_optimise(path)
    result = search(o, lambda tasks, label: run_batch(tasks, tmp_path / "runs.sqlite", jobs=1, progress=False,
                                                      run_fn=package_run), make=package_tasks(o.spec.seeds))
    settings = {"base": str(o.base_file), "start": o.start, "end": "2030-12", "store": str(tmp_path / "runs.sqlite"),
                "command": "innosim optimise analytic.yaml --lang zh", "runs_total": 10, "runs_reused": 2,
                "elapsed": 3.0}
    with collect_figure_text() as figures:
        md = write_optimise_report(result, o, tmp_path / "out", settings, Labels("zh"))
    assert {"front.png", "convergence.png"} <= {Path(name).suffix and name for name in figures.by_file} or figures.text
    check(md.parent, "report", figures, "", extra=["analytic"])


def test_sensitivity_morris_in_chinese(tmp_path):
    experiment = tmp_path / "tiny.yaml"
    experiment.write_text(f"""name: tiny
base: {(SCENARIOS / "baseline.yaml").as_posix()}
scale: 0.02
months: 12
replicates: 1
factors:
  policy.vouchers.subsidy_share: {{range: [0.3, 0.8]}}
  policy.vouchers.scope:
outputs:
  voucher_use: voucher_use_rate.zone
  hnte_share_jiashan: hnte_stock.jiashan / hnte_stock.zone
""", encoding="utf-8")
    with collect_figure_text() as figures:
        run = CliRunner().invoke(main, ["sensitivity", str(experiment), "--method", "morris", "--n", "2", "--jobs", "1",
                                        "--out", str(tmp_path / "out"), "--lang", "zh"])
    assert run.exit_code == 0, run.output
    assert figures.by_file
    check(tmp_path / "out", "report", figures, run.output, extra=["tiny"])


def test_calibrate_in_chinese(tmp_path):
    from innosim.analysis.calibration.files import load_calibration

    from .test_calibration import MEASURES, write_files

    cal = load_calibration(write_files(tmp_path, {name: 1.0 for name in MEASURES}))
    with collect_figure_text() as figures:
        run = CliRunner().invoke(main, [
            "calibrate", str(cal.targets_file), "--budget", "10", "--replicates", "1", "--check-replicates", "2",
            "--profile-points", "3", "--jobs", "1", "--out", str(tmp_path / "out"), "--write-to", str(tmp_path / "w"),
            "--no-progress", "--lang", "zh"])
    assert run.exit_code == 0, run.output
    assert "figures" not in figures.by_file and len(figures.by_file) >= 5
    # the targets' names, patterns, notes and the parameters' meanings are the files' own words
    words = ["revenue", "rd_share", "synthetic", "test"]
    stdout = "\n".join(line for line in run.stdout.splitlines())
    check(tmp_path / "out", "report", figures, stdout, extra=words)


def _words_of_output(run) -> str:
    """What the command said (stdout and stderr), without matplotlib's font-fallback log lines."""
    return "\n".join(line for line in run.output.splitlines() if not line.startswith("findfont:"))


def test_compare_report_in_chinese(tmp_path):
    out = tmp_path / "out"
    with collect_figure_text() as figures:
        run = CliRunner().invoke(main, [
            "compare", str(SCENARIOS / "baseline.yaml"), str(SCENARIOS / "full_integration.yaml"), "--lang", "zh",
            "--replicates", "2", "--scale", "0.05", "--months", "24", "--jobs", "1", "--no-progress",
            "--store", str(tmp_path / "store.sqlite"), "--out", str(out)])
    assert run.exit_code == 0, run.output
    for png in ("differences.png", "timeseries.png", "relocations.png"):   # saved under a temporary name
        assert any(png in name for name in figures.by_file), png
    # the scenarios' names and the descriptions their files give are the user's own words
    import json

    settings = json.loads((out / "settings.json").read_text(encoding="utf-8"))
    words = [s["label"] for s in settings["scenarios"]] + [s["description"] for s in settings["scenarios"]]
    check(out, "report", figures, _words_of_output(run), extra=words)


def test_levers_robustness_stage_in_chinese(tmp_path):
    from .test_robustness import TINY, write

    path = write(tmp_path, TINY.replace("scale: 0.1", "scale: 0.05").replace("months: 18", "months: 24")
                 .replace("draws: 5", "draws: 3").replace("label: incubation", "label: 孵化")
                 .replace("label: science finance", "label: 科技金融")
                 .replace("label: founding rate", "label: 创业率"))
    args = ["levers", str(path), "--jobs", "1", "--store", str(tmp_path / "store.sqlite"), "--out",
            str(tmp_path / "out"), "--no-progress", "--lang", "zh"]
    table = CliRunner().invoke(main, [*args, "--stage", "table"])   # the signs and the seed noise come from it
    assert table.exit_code == 0, table.output
    with collect_figure_text() as figures:
        run = CliRunner().invoke(main, [*args, "--stage", "robustness"])
    assert run.exit_code == 0, run.output
    assert any("robustness.png" in name for name in figures.by_file)
    check(tmp_path / "out", "robustness", figures, _words_of_output(run), extra=["tiny"])


def test_prim_box_paragraph_and_tables_in_chinese():
    """The robustness report's PRIM paragraph for a lever with a box (which the tiny end-to-end run, with
    three draws, never reaches), its box table and the driver's phrase: Chinese, with the assumptions'
    labels and ranges."""
    import dataclasses
    from types import SimpleNamespace

    from innosim.analysis.levers.discovery import find_failure_box
    from innosim.analysis.levers.robustness import Uncertainty
    from innosim.analysis.levers.robustness_report import prim_box_table, prim_sentence, prim_table
    from innosim.i18n import Labels

    from .test_robustness import planted

    x, effect = planted()
    names = {c: f"behaviour.{n}" for c, n in zip("abcdef", ["founding_rate", "shanghai_pull", "incubation_months",
                                                           "hnte_first_approval", "firm_entry_rate",
                                                           "graduate_stay_bonus"], strict=True)}
    found = find_failure_box(x.rename(columns=names), effect <= 0, "finance")
    assert found.status == "box"
    found = dataclasses.replace(found, driver=names["a"], driver_rho=-0.61, driver_p=0.001)
    units = [Uncertainty(name, name.removeprefix("behaviour.").replace("_", " "), float(x[c].min()),
                         float(x[c].max()), name.endswith("months"), 1.0, "the file") for c, name in names.items()]
    import pandas as pd

    summary = pd.DataFrame([{"lever": "finance", "output": "hnte_stock", "region": "jiashan", "table_effect": 1.0,
                             "median": 1.0}])
    result = SimpleNamespace(labels={"finance": "科技金融"}, levers=["finance"], discoveries=[found],
                             summary=summary, headline=("hnte_stock", "jiashan"),
                             robustness=SimpleNamespace(failure_text="0", uncertainties=units))
    t = Labels("zh")
    sentence = prim_sentence(found, result, "嘉善的高新技术企业存量", t)
    assert "科技金融" in sentence and "%" in sentence and "Spearman" in sentence
    tables = [prim_box_table(result, t), prim_table(result, ["finance"], t)]
    text = "\n".join([sentence, *(" | ".join(map(str, [*frame.columns, *frame.to_numpy().ravel()]))
                                   for frame in tables)])
    assert len(tables[0]) >= 2 and "至" in text
    assert_chinese(text)
    english = prim_sentence(found, result, "Jiashan's HNTE stock", Labels("en"))
    assert "of those draws lie where" in english


@pytest.mark.parametrize("cutoff_met, worst_ignored", [(True, 0), (False, 1)])
def test_calibration_ensemble_report_in_chinese(tmp_path, cutoff_met, worst_ignored):
    """The ensemble's report (`innosim calibrate --method history_matching`) in Chinese, from the tables
    `calibrate_ensemble` gives it: every paragraph, the cutoff-not-met note, captions and headers."""
    import pandas as pd

    from innosim.analysis.calibration.ensemble import METHOD, REFERENCES
    from innosim.analysis.calibration.report import build_ensemble_report
    from innosim.i18n import Labels

    data = {"members_count": 3, "method": METHOD, "references": REFERENCES, "cutoff_met": cutoff_met,
            "settings": {"waves": 2, "points": 8, "design_seed": 5, "replicates": 2, "cutoff": 3.0, "margin": 0.1,
                         "min_members": 3, "worst_ignored": worst_ignored,
                         "implausibility": "the largest |z| over the 2 fitted targets"},
            "period": {"months": 48, "start": "2015-01", "scale": 0.05},
            "members": [{"implausibility": v} for v in (0.8, 1.2, 2.1)],
            "runs": {"asked": 32, "wall_minutes": 3.0},
            "waves": [{"wave": 1, "points": 8, "not_ruled_out": 4, "implausibility_min": 0.8,
                       "implausibility_median": 3.4}, {"wave": 2, "points": 8, "not_ruled_out": 3,
                                                       "implausibility_min": 0.8, "implausibility_median": 2.0}],
            "best": {"firm_entry_rate": 0.021}, "provenance": {"command": "innosim calibrate t.yaml --lang zh",
                                                               "store": "out/calibration/runs.sqlite"}}
    params = pd.DataFrame({"parameter": ["firm_entry_rate"], "low": [0.01], "high": [0.08], "min": [0.015],
                           "q05": [0.016], "median": [0.021], "q95": [0.03], "max": [0.031],
                           "share_of_bounds": [0.23]})
    targets = pd.DataFrame({"target": ["revenue", "rd_share"], "z_min": [-0.5, -1.0], "z_median": [0.1, 0.2],
                            "z_max": [0.9, 1.4], "share_within": [1.0, 0.66]})
    prior = pd.DataFrame({"implausibility": [0.8, 3.0, 5.5, 9.0]})
    report = build_ensemble_report(data, params, targets, prior, {"firm_entry_rate": "企业进入率"}, Labels("zh"))
    md, html = report.write(tmp_path)
    references = [w for w in REFERENCES.replace("&", " ").split() if w[:1].isalpha()]
    assert_chinese(report_text(md), report_text(html), extra=["revenue", "rd_share", *references])
    assert ("未达到阈值" in md.read_text(encoding="utf-8")) is not cutoff_met
    english = build_ensemble_report(data, params, targets, prior, {}, Labels("en")).to_markdown()
    assert "parameter sets are not ruled out by the targets" in english
