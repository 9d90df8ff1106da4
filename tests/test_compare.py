"""`innosim compare`: statistics, common random numbers, the report, refusal of a bad scenario."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy import stats

from innosim.analysis.compare.tables import excludes_zero, paired_differences, t_interval, trailing_year
from innosim.analysis.report import Report, fmt, fmt_interval
from innosim.cli import main

from .conftest import SCENARIOS

SMALL = ["--replicates", "3", "--scale", "0.04", "--months", "14", "--seed", "5", "--jobs", "1", "--no-progress"]


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_t_interval_is_students():
    mean, low, high = t_interval([1.0, 2.0, 3.0, 4.0])
    half = stats.t.ppf(0.975, 3) * np.std([1, 2, 3, 4], ddof=1) / 2
    assert mean == 2.5 and low == pytest.approx(2.5 - half) and high == pytest.approx(2.5 + half)
    assert np.isnan(t_interval([1.0])[1])
    assert excludes_zero(np.array([0.1, -1.0, -2.0]), np.array([1.0, 1.0, -0.5])).tolist() == [True, False, True]


def test_paired_differences_pair_by_replicate():
    rows = []
    for r, noise in enumerate([0.0, 5.0, -3.0]):
        rows.append(("base", r, r, "firms", "zone", 100 + noise))
        rows.append(("policy", r, r, "firms", "zone", 102 + noise))  # +2 in every replicate
    end = pd.DataFrame(rows, columns=["scenario", "replicate", "seed", "indicator", "region", "value"])
    diff = paired_differences(end, "base").iloc[0]
    assert diff["diff"] == 2 and diff["ci_low"] == diff["ci_high"] == 2 and diff["excludes_zero"]
    assert diff["baseline_mean"] == pytest.approx(100 + 2 / 3) and diff["relative"] == pytest.approx(2 / (100 + 2 / 3))


def test_flows_become_trailing_year_totals():
    ts = pd.DataFrame({"scenario": "s", "replicate": 0, "indicator": "startups", "region": "zone",
                       "month": range(1, 15), "value": 1.0})
    rolled = trailing_year(ts)["value"].tolist()
    assert rolled[:12] == list(range(1, 13)) and rolled[12:] == [12, 12]


def test_report_renders_markdown_and_standalone_html(tmp_path):
    png = tmp_path / "p.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\nfake")
    report = Report("Title")
    report.paragraph("Some **bold** and `code` <tag>.")
    report.table(pd.DataFrame({"name": ["a|b"], "value": ["+1.00 [0.5, 2]"]}))
    report.figure(png, "a figure")
    md, html = report.write(tmp_path)
    text = md.read_text()
    assert "| a\\|b | +1.00 [0.5, 2] |" in text and "|:--|--:|" in text and "![a figure](p.png)" in text
    page = html.read_text()
    assert "<strong>bold</strong>" in page and "&lt;tag&gt;" in page and "data:image/png;base64," in page
    assert fmt(1234.5678) == "1,235" and fmt(0.012345) == "0.0123" and fmt(float("nan")) == "–"
    assert fmt_interval(2.0, 1.0, 3.0, signed=True) == "+2.00 [+1.00, +3.00]"


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    """Baseline against full integration and against a renamed copy of itself: one small comparison."""
    folder = tmp_path_factory.mktemp("compare")
    copy = folder / "baseline_again.yaml"
    copy.write_text(f"extends: {SCENARIOS / 'baseline.yaml'}\nname: baseline_again\n", encoding="utf-8")
    out = folder / "out"
    result = invoke("compare", SCENARIOS / "baseline.yaml", SCENARIOS / "full_integration.yaml", copy,
                    "--out", out, *SMALL)
    assert result.exit_code == 0, result.output
    return out, result


def test_a_scenario_compared_with_itself_differs_by_exactly_zero(compared):
    out, _ = compared
    diffs = pd.read_csv(out / "differences.csv")
    same = diffs[diffs["scenario"] == "baseline_again"]
    assert len(same) > 100
    # sd is undefined (NaN) where a rate is defined in one replicate only (e.g. no tenant left a tiny
    # incubator within the run): zero wherever it is defined
    assert (same["diff"] == 0).all() and (same["sd"].fillna(0.0) == 0).all() and not same["excludes_zero"].any()
    reloc = pd.read_csv(out / "relocations.csv")
    assert (reloc.loc[reloc["scenario"] == "baseline_again", "diff"] == 0).all()
    end = pd.read_csv(out / "end_values.csv")
    assert end.groupby("scenario")["seed"].apply(lambda s: tuple(sorted(set(s)))).nunique() == 1
    costs = pd.read_csv(out / "public_cost_differences.csv")
    assert (costs.loc[costs["scenario"] == "baseline_again", "diff"] == 0).all()
    effect = pd.read_csv(out / "cost_effectiveness.csv")
    assert (effect.loc[effect["scenario"] == "baseline_again", "verdict"] == "no significant gain").all()


def test_the_report_has_tables_plots_and_marks(compared):
    out, result = compared
    assert "report written to" in result.output and "9 runs, 0 reused" in result.output
    for name in ("report.md", "report.html", "summary.csv", "differences.csv", "end_values.csv",
                 "timeseries_bands.csv", "relocations.csv", "differences.png", "timeseries.png",
                 "relocations.png", "settings.json", "public_cost.csv", "public_cost_differences.csv",
                 "public_cost_by_year.csv", "public_cost_by_year_differences.csv", "cost_effectiveness.csv"):
        assert (out / name).is_file(), name
    md = (out / "report.md").read_text()
    assert "## full_integration against baseline" in md and "## baseline_again against baseline" in md
    assert "![" in md and "(differences.png)" in md and "scale **0.04**" in md
    assert md.count("▲") + md.count("▼") > 0  # full integration changes something clearly
    html = (out / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 3
    summary = pd.read_csv(out / "summary.csv")
    assert set(summary.columns) >= {"scenario", "indicator", "region", "unit", "n", "mean", "ci_low", "ci_high"}
    assert set(summary["n"]) <= {0, 1, 2, 3}  # a rate with no cases in a replicate (no graduates yet) counts fewer
    assert (summary.loc[summary["indicator"].isin(["firms", "hnte_stock", "talents"]), "n"] == 3).all()
    settings = json.loads((out / "settings.json").read_text())
    assert settings["replicates"] == 3 and settings["scale"] == 0.04 and len(settings["seeds"]) == 3
    bands = pd.read_csv(out / "timeseries_bands.csv")
    assert bands["month"].max() == 14 and set(bands["scenario"]) == {"baseline", "full_integration",
                                                                     "baseline_again"}


def test_rerunning_the_same_comparison_reuses_every_run(compared):
    out, _ = compared
    copy = out.parent / "baseline_again.yaml"
    result = invoke("compare", SCENARIOS / "baseline.yaml", SCENARIOS / "full_integration.yaml", copy,
                    "--out", out, *SMALL)
    assert result.exit_code == 0 and "0 runs, 9 reused" in result.output


def test_a_bad_scenario_among_several_stops_before_any_run(tmp_path, results_store):
    bad = tmp_path / "broken.yaml"
    bad.write_text(f"extends: {SCENARIOS / 'baseline.yaml'}\npolicy:\n  vouchers:\n    subsidy_share: 1.5\n")
    out = tmp_path / "out"
    result = invoke("compare", SCENARIOS / "baseline.yaml", bad, SCENARIOS / "full_integration.yaml",
                    "--out", out, *SMALL)
    assert result.exit_code == 2
    assert f"{bad}:4: policy.vouchers.subsidy_share" in result.stderr
    assert not out.exists() and not list(tmp_path.glob("**/*.sqlite"))
    assert not results_store.exists() or "broken" not in results_store.read_bytes().decode("latin-1")


def test_compare_needs_two_scenarios():
    result = invoke("compare", SCENARIOS / "baseline.yaml")
    assert result.exit_code == 2 and "at least one other scenario" in result.output


def test_a_second_comparison_reuses_the_baselines_runs_from_the_shared_store(compared, tmp_path, results_store):
    out, _ = compared
    result = invoke("compare", SCENARIOS / "baseline.yaml", SCENARIOS / "general_vouchers.yaml",
                    "--out", tmp_path / "second", *SMALL)
    assert result.exit_code == 0, result.output
    assert "3 runs, 3 reused" in result.output  # the baseline's three replicates come from the store
    settings = json.loads((tmp_path / "second" / "settings.json").read_text())
    assert settings["store"] == str(results_store) and not (out / "results.sqlite").exists()


def test_the_report_opens_with_the_answer_then_what_each_scenario_changes_and_how_far_to_trust_it(compared):
    out, _ = compared
    md = (out / "report.md").read_text()
    changes = md.index("## What each scenario changes")
    assert md.index("## In short") < changes < md.index("## How far to trust this") < md.index("## Set-up")
    table = md[changes:md.index("## How far to trust this")]
    assert ("| full_integration | `policy.hnte_mutual_recognition` | the start | false → true | "
            "`scenarios/full_integration.yaml` |") in table.replace(str(SCENARIOS.parent) + "/", "")
    assert "`policy.vouchers.scope.qingpu` | the start | own_county → zone_shanghai |" in table
    assert "baseline_again" not in table  # a renamed copy changes no setting
    trust = md[md.index("## How far to trust this"):md.index("## Set-up")]
    assert "calibration/result.yaml" in trust and "targets met" in trust and "Known misses" in trust
    import yaml

    result = yaml.safe_load((SCENARIOS.parent / "calibration" / "result.yaml").read_text(encoding="utf-8"))
    missed = [name for name, target in result["targets"].items() if target["verdict"] == "missed"]
    assert missed and all(name in trust for name in missed)  # the misses of the committed fit


def test_two_scenarios_of_one_name_are_refused_with_both_files(tmp_path):
    twin = tmp_path / "twin.yaml"
    twin.write_text(f"extends: {SCENARIOS / 'general_vouchers.yaml'}\nname: baseline\n", encoding="utf-8")
    result = invoke("compare", SCENARIOS / "baseline.yaml", twin, "--out", tmp_path / "o", *SMALL)
    assert result.exit_code == 2
    assert str(SCENARIOS / "baseline.yaml") in result.output and str(twin) in result.output
    assert not (tmp_path / "o").exists()


def test_store_list_and_prune(compared, results_store):
    listed = invoke("store", "list")
    assert listed.exit_code == 0, listed.output
    assert "baseline" in listed.output and "full_integration" in listed.output
    dry = invoke("store", "prune", "--scenario", "baseline_again", "--dry-run")
    assert dry.exit_code == 0 and "would remove 3 of" in dry.output
    assert invoke("store", "prune").exit_code == 2  # no condition: nothing is removed by accident
    pruned = invoke("store", "prune", "--scenario", "baseline_again")
    assert pruned.exit_code == 0 and "removed 3 runs" in pruned.output
    assert invoke("store", "prune", "--stale").output.startswith("removed 0 runs")
