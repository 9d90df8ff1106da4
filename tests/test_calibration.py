"""Calibration: distance, synthetic recovery, file validation, stylised-fact statistics, the command."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from innosim.scenario.schema import Behaviour
import pytest
import yaml
from click.testing import CliRunner

from innosim.analysis.calibration.fit import distance, evaluator_for, round_values, search
from innosim.analysis.calibration.files import load_calibration
from innosim.analysis.calibration.stylised import bunching, laplace_gain, pareto_alpha
from innosim.cli import main
from innosim.scenario import ScenarioError, load_scenario

from .conftest import ROOT

#: A tiny calibration: 3 % scale, half a year; known parameter values to recover.
RUN = {"start": "2015-01", "months": 6, "scale": 0.03}
TRUE = {"input_share": 0.75, "rd_intensity_median": 0.04}
BOUNDS = {"input_share": [0.6, 0.85], "rd_intensity_median": [0.02, 0.06]}
MEASURES = {
    "revenue": {"indicator": "revenue", "region": "zone"},
    "rd_share": {"indicator": "rd_spending", "per": "revenue", "region": "zone"},
}


def write_files(folder, observed: dict[str, float], relative: float = 0.05, search_settings: dict | None = None,
                targets_extra: dict | None = None, parameters: dict | None = None):
    # the schema's defaults with the baseline's policies: independent of the committed calibration
    (folder / "base.yaml").write_text("# synthetic base\nname: synthetic\n")
    targets = {
        "scenario": "base.yaml", "run": RUN, "region": "zone",
        "targets": {name: {"pattern": name, "source": "synthetic: the model at known parameters",
                           "measure": measure, "observed": float(observed[name]),
                           "tolerance": {"relative": relative}, "reason": "synthetic"}
                    for name, measure in MEASURES.items()},
    }
    targets.update(targets_extra or {})
    params = {"parameters": parameters or {name: {"bounds": BOUNDS[name], "meaning": "test"} for name in TRUE},
              "search": {"replicates": 1, "popsize": 5, "budget": 60, "root_seed": 7, "check_replicates": 2,
                         "profile_points": 3, **(search_settings or {})}}
    (folder / "targets.yaml").write_text(yaml.safe_dump(targets, sort_keys=False))
    (folder / "parameters.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    return folder / "targets.yaml"


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """Targets produced by the model itself at TRUE, and the store of those runs."""
    folder = tmp_path_factory.mktemp("synthetic")
    cal = load_calibration(write_files(folder, {name: 1.0 for name in MEASURES}))
    evaluator = evaluator_for(cal, folder / "runs.sqlite", jobs=1, progress=False)
    _, table = evaluator.run([TRUE])
    observed = table[list(MEASURES)].mean().to_dict()
    return load_calibration(write_files(folder, observed)), folder


def test_distance_is_zero_at_the_parameters_that_made_the_targets(synthetic):
    cal, folder = synthetic
    evaluator = evaluator_for(cal, folder / "runs.sqlite", jobs=1, progress=False)
    scores, _ = evaluator.run([TRUE, {"input_share": 0.65, "rd_intensity_median": 0.04}])
    assert scores[0] == pytest.approx(0.0, abs=1e-20)
    assert scores[1] > 1.0


def test_distance_scales_errors_by_tolerance():
    class Spec:
        def __init__(self, name, low, high, weight=1.0):
            self.name, self.band, self.fitted = name, (low, high), True
            self.spec = type("S", (), {"weight": weight})()

    targets = [Spec("a", 90, 110), Spec("b", 0.4, 0.6, weight=3.0)]
    assert distance(pd.Series({"a": 100.0, "b": 0.5}), targets) == 0.0
    assert distance(pd.Series({"a": 110.0, "b": 0.5}), targets) == pytest.approx(1 / 4)  # z = 1, weight 1 of 4
    assert distance(pd.Series({"a": 100.0, "b": np.nan}), targets) == pytest.approx(3 * 100 / 4)  # undefined: z = 10


def test_search_recovers_known_parameters_and_resumes_from_the_store(synthetic):
    cal, folder = synthetic
    evaluator = evaluator_for(cal, folder / "runs.sqlite", jobs=1, progress=False)
    early = search(cal, evaluator, budget=30, log=lambda _: None)  # as if interrupted after 3 generations
    stored = len(evaluator.store)
    found = search(cal, evaluator, budget=60, log=lambda _: None)
    assert len(evaluator.store) - stored <= 30  # the first 3 generations came from the store
    pd.testing.assert_frame_equal(found.history.iloc[:3].drop(columns="seconds"),
                                  early.history.drop(columns="seconds"))
    assert found.distance < 1.0  # within tolerance (5 %) on average
    for name, value in TRUE.items():
        assert found.best[name] == pytest.approx(value, rel=0.08), name
    assert found.evaluations == 60 and found.generations == 6
    assert list(found.history["best_distance"]) == sorted(found.history["best_distance"], reverse=True)


def test_rounding_keeps_values_inside_bounds(synthetic):
    cal, _ = synthetic
    rounded = round_values({"input_share": 0.8499999, "rd_intensity_median": 0.0212345678}, cal)
    assert rounded == {"input_share": 0.85, "rd_intensity_median": 0.02123}


def test_the_committed_files_are_valid():
    cal = load_calibration(ROOT / "calibration" / "targets.yaml")
    assert len(cal.fitted) >= 10 and any(not t.modelled for t in cal.targets)
    assert cal.base.run.start == "2015-01" and cal.base.run.months == 60
    assert "jiashan" in {t.region for t in cal.fitted} <= {"jiashan", "zone"}  # county targets and zone totals


@pytest.mark.parametrize(("change", "file", "key", "reason"), [
    ({"targets_extra": {"colour": "red"}}, "targets.yaml", "colour", "unknown key"),
    ({"targets_extra": {"region": "hangzhou"}}, "targets.yaml", "region", "unknown region"),
    ({"targets_extra": {"run": {"start": "2015-13"}}}, "targets.yaml", "run.start", "YYYY-MM"),
    ({"targets_extra": {"scenario": "nowhere.yaml"}}, "targets.yaml", "scenario", "file not found"),
    ({"parameters": {"alpha_beta": {"bounds": [0, 1], "meaning": "x"}}}, "parameters.yaml",
     "parameters.alpha_beta", "not a behavioural parameter"),
    ({"parameters": {"voucher_apply_prob": {"bounds": [0.1, 1.5], "meaning": "x"}}}, "parameters.yaml",
     "parameters.voucher_apply_prob.bounds", "1.5 is not allowed"),
    ({"parameters": {"voucher_apply_prob": {"bounds": [0.5, 0.2], "meaning": "x"}}}, "parameters.yaml",
     "parameters.voucher_apply_prob.bounds", "low < high"),
    ({"search_settings": {"replicates": 0}}, "parameters.yaml", "search.replicates", "must be at least 1 (got 0)"),
])
def test_bad_files_are_refused_with_file_key_and_reason(tmp_path, change, file, key, reason):
    targets = write_files(tmp_path, {name: 1.0 for name in MEASURES}, **change)
    with pytest.raises(ScenarioError) as caught:
        load_calibration(targets)
    assert caught.value.file.endswith(file)
    assert caught.value.key == key
    assert reason in caught.value.reason


@pytest.mark.parametrize(("measure", "tolerance", "key", "reason"), [
    ({"indicator": "hnte_nwe"}, {"relative": 0.1}, "measure", "unknown indicator 'hnte_nwe'"),
    ({"indicator": "revenue", "window": "2019"}, {"relative": 0.1}, "measure.window", "outside the run"),
    ({"indicator": "highend_talents_in", "window": "2015"}, {"relative": 0.1}, "measure", "whole run only"),
    ({"indicator": "revenue"}, {"relative": 0.1, "interval": [0, 2]}, "tolerance", "exactly one"),
    ({"indicator": "revenue"}, {"interval": [2, 3]}, "", "outside its interval"),
    ({"indicator": "revenue"}, {"relative": -0.1}, "tolerance.relative", "must be more than 0 (got -0.1)"),
])
def test_bad_targets_are_refused(tmp_path, measure, tolerance, key, reason):
    bad = {"pattern": "x", "source": "x", "measure": measure, "observed": 1.0, "tolerance": tolerance, "reason": "x"}
    targets = write_files(tmp_path, {name: 1.0 for name in MEASURES})
    data = yaml.safe_load(targets.read_text())
    data["targets"]["bad"] = bad
    targets.write_text(yaml.safe_dump(data))
    with pytest.raises(ScenarioError) as caught:
        load_calibration(targets)
    assert caught.value.key == "targets.bad" + (f".{key}" if key else "")
    assert reason in caught.value.reason


def test_stylised_statistics_recognise_their_laws():
    rng = np.random.default_rng(3)
    assert pareto_alpha(rng.pareto(1.2, 20_000) + 1.0) == pytest.approx(1.2, rel=0.1)
    assert laplace_gain(rng.laplace(0, 0.2, 5000)) > 0.02
    assert laplace_gain(rng.normal(0, 0.2, 5000)) < 0
    smooth = rng.uniform(-0.03, 0.03, 5000)
    assert abs(bunching(smooth)) < 0.2
    assert abs(bunching(rng.normal(-0.01, 0.01, 5000))) < 0.2  # a sloping density is not bunching
    assert bunching(np.concatenate([smooth, rng.uniform(0, 0.004, 1000)])) > 1.0


def test_calibrate_command_writes_results_a_scenario_can_extend(synthetic, tmp_path):
    cal, folder = synthetic
    out = tmp_path / "out"
    result = CliRunner().invoke(main, [
        "calibrate", str(cal.targets_file), "--budget", "10", "--replicates", "1", "--check-replicates", "2",
        "--profile-points", "3", "--jobs", "1", "--out", str(out), "--write-to", str(tmp_path), "--no-progress"])
    assert result.exit_code == 0, result.output
    written = yaml.safe_load((tmp_path / "result.yaml").read_text())
    assert set(written["calibrated"]) == set(TRUE)
    assert written["seeds"]["root_seed"] == 7 and len(written["seeds"]["check"]) == 2
    assert set(written["targets"]) == set(MEASURES)
    assert [(row["parameters"], row["region"]) for row in written["policy_horizon"]] == [
        ("start values", "zone"), ("start values", "jiashan"), ("calibrated", "zone"), ("calibrated", "jiashan")]
    for name in ("report.md", "report.html", "fit.csv", "profiles.csv", "figures/fit.png",
                 "figures/profiles.png", "figures/stylised_growth.png"):
        assert (out / name).is_file(), name
    assert (tmp_path / "calibrated.yaml").read_text().startswith("#")
    extending = tmp_path / "uses_it.yaml"
    extending.write_text("extends: calibrated.yaml\nname: uses_it\n")
    assert load_scenario(extending).behaviour.input_share == written["calibrated"]["input_share"]


def test_calibrate_command_reports_a_bad_file_and_exits_2(tmp_path):
    targets = write_files(tmp_path, {name: 1.0 for name in MEASURES}, targets_extra={"colour": "red"})
    result = CliRunner().invoke(main, ["calibrate", str(targets)])
    assert result.exit_code == 2
    assert re.search(rf"error: {re.escape(str(targets))}:\d+: colour: unknown key", result.output)  # with its line


def test_windows_sum_flows_and_read_stocks_at_the_window_end():
    from innosim.analysis.calibration.stylised import windows

    dates = ["2015-11", "2015-12", "2016-01", "2016-02"]
    table = pd.DataFrame({
        "month": [1, 2, 3, 4] * 2, "date": dates * 2, "region": ["jiashan"] * 8,
        "indicator": ["hnte_new"] * 4 + ["hnte_stock"] * 4, "value": [1.0, 2.0, 3.0, 4.0, 10.0, 11.0, 12.0, 13.0]})
    out = windows(table)
    assert out["hnte_new@total"]["jiashan"] == 10.0
    assert out["hnte_new@2015"]["jiashan"] == 3.0 and out["hnte_new@2016"]["jiashan"] == 7.0
    assert out["hnte_stock@2015"]["jiashan"] == 11.0 and out["hnte_stock@total"]["jiashan"] == 13.0


def test_polish_takes_one_coordinate_step_only_when_a_profile_point_is_better():
    from innosim.analysis.calibration.fit import polish

    best = {"a": 1.0, "b": 2.0}
    frame = pd.DataFrame({"parameter": ["best", "a", "a", "b", "b"], "value": [0, 0.0, 2.0, 1.0, 3.0],
                          "distance": [1.0, 1.5, 0.7, 0.9, 1.2]})
    moved, step = polish(frame, best)
    assert moved == {"a": 2.0, "b": 2.0} and step["distance_after"] == 0.7
    frame.loc[frame["parameter"] != "best", "distance"] += 1.0
    assert polish(frame, best) == (best, None)


def test_a_calibration_never_reads_its_own_output(tmp_path):
    targets = write_files(tmp_path, {name: 1.0 for name in MEASURES})
    (tmp_path / "calibrated.yaml").write_text("# earlier fit\nbehaviour: {input_share: 0.62, founding_rate: 0.004}\n")
    (tmp_path / "base.yaml").write_text("# synthetic base\nextends: calibrated.yaml\nname: synthetic\n")
    cal = load_calibration(targets)
    default = Behaviour.model_fields["founding_rate"].default
    assert cal.base.behaviour.input_share == Behaviour.model_fields["input_share"].default  # schema defaults
    assert cal.base.behaviour.founding_rate == default != 0.004
    assert cal.reset == {"behaviour.founding_rate": default}  # not free: set back in every run too
    assert cal.overrides(TRUE)["behaviour.founding_rate"] == default


def test_counts_of_a_run_at_part_scale_are_read_at_full_scale():
    """A run at scale 0.5 counts half the zone's HNTEs: the calibration doubles counts and money,
    never shares or ratios, so a target means the same at any --scale."""
    from innosim.analysis.calibration.fit import full_scale, measures

    cal = load_calibration(ROOT / "calibration" / "targets.yaml")
    targets = {t.name: t for t in cal.targets if t.modelled}
    assert full_scale(targets["zone_hnte_stock_2019"], 0.5) == 0.5
    assert full_scale(targets["highend_talents"], 0.5) == 0.5
    for share in ("loss_making_share", "startup_survival", "voucher_use_rate", "tech_deals_shanghai_share",
                  "graduates_hnte_share"):
        assert full_scale(targets[share], 0.5) == 1.0, share
    target = targets["zone_hnte_stock_2019"]
    column = target.columns()[0]
    values = pd.DataFrame({"key": ["a"], "indicator": [column], "region": [target.region], "value": [780.0]})
    assert measures(values, [target], scale=0.5)[target.name].iloc[0] == 1560.0
