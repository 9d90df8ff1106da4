"""The ensemble calibration (history matching, `innosim calibrate --method history-matching`) and the
robustness stage of `innosim levers` drawing its calibrated parameters from the ensemble."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from innosim.analysis.calibration.ensemble import implausibility
from innosim.analysis.calibration.files import load_calibration
from innosim.analysis.calibration.fit import Evaluator, evaluator_for
from innosim.analysis.levers.experiment import load_levers
from innosim.analysis.levers.study import robustness_tasks
from innosim.cli import main
from innosim.scenario import ScenarioError

from .conftest import ROOT

SCENARIOS = ROOT / "scenarios"
#: A tiny calibration: 3 % scale, half a year, three free parameters (one a whole number).
RUN = {"start": "2015-01", "months": 6, "scale": 0.03}
TRUE = {"incubation_months": 24, "input_share": 0.75, "rd_intensity_median": 0.04}
BOUNDS = {"incubation_months": [12, 48], "input_share": [0.6, 0.85], "rd_intensity_median": [0.02, 0.06]}
MEASURES = {"revenue": {"indicator": "revenue", "region": "zone"},
            "rd_share": {"indicator": "rd_spending", "per": "revenue", "region": "zone"}}
SETTINGS = {"points": 16, "waves": 2, "replicates": 1, "min_members": 5, "seed": 3}


def write_files(folder, observed: dict[str, float]):
    (folder / "base.yaml").write_text("# synthetic base\nname: synthetic\n")
    targets = {"scenario": "base.yaml", "run": RUN, "region": "zone",
               "targets": {name: {"pattern": name, "source": "synthetic", "measure": measure,
                                  "observed": float(observed[name]), "tolerance": {"relative": 0.1},
                                  "reason": "synthetic"} for name, measure in MEASURES.items()}}
    params = {"parameters": {name: {"bounds": BOUNDS[name], "meaning": "test"} for name in TRUE},
              "search": {"replicates": 1, "root_seed": 7}, "ensemble": SETTINGS}
    (folder / "targets.yaml").write_text(yaml.safe_dump(targets, sort_keys=False))
    (folder / "parameters.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    return folder / "targets.yaml"


def calibrate(targets, out, jobs: int, *extra: str):
    return CliRunner().invoke(main, ["calibrate", str(targets), "--method", "history-matching", "--jobs", str(jobs),
                                     "--out", str(out), "--no-progress", *extra])


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """Targets made by the model at TRUE, and the ensemble calibrated to them with --jobs 1 and --jobs 2
    (separate stores, so the second computes everything afresh)."""
    folder = tmp_path_factory.mktemp("ensemble")
    cal = load_calibration(write_files(folder, {name: 1.0 for name in MEASURES}))
    _, table = evaluator_for(cal, folder / "truth.sqlite", jobs=1, progress=False).run([TRUE])
    targets = write_files(folder, table[list(MEASURES)].mean().to_dict())
    first = calibrate(targets, folder / "out1", 1)
    assert first.exit_code == 0, first.output
    one = yaml.safe_load((folder / "ensemble.yaml").read_text())
    calibrated = (folder / "calibrated.yaml").read_text()
    second = calibrate(targets, folder / "out2", 2)
    assert second.exit_code == 0, second.output
    two = yaml.safe_load((folder / "ensemble.yaml").read_text())
    return load_calibration(targets), folder, one, two, calibrated


def test_the_ensemble_holds_several_distinct_sets_inside_the_bounds(synthetic):
    cal, _, ensemble, _, _ = synthetic
    members = pd.DataFrame([m["parameters"] for m in ensemble["members"]])
    assert ensemble["method"] == "history matching" and ensemble["members_count"] == len(members) >= 3
    assert len(members.drop_duplicates()) == len(members) >= 3
    for name, (low, high) in BOUNDS.items():
        assert members[name].between(low, high).all(), name
    assert all(isinstance(m["parameters"]["incubation_months"], int) for m in ensemble["members"])
    assert sum(m["weight"] for m in ensemble["members"]) == pytest.approx(1.0, abs=1e-4)
    assert ensemble["seeds"]["root_seed"] == 7 and ensemble["settings"]["design_seed"] == 3
    assert set(ensemble["targets"]) == set(MEASURES) and len(ensemble["waves"]) == 2
    assert ensemble["provenance"]["model_code_hash"] and ensemble["provenance"]["finished"]


def test_members_fit_better_than_draws_from_the_bounds(synthetic, tmp_path):
    cal, folder, ensemble, _, _ = synthetic
    assert ensemble["cutoff_met"]
    members = ensemble["members"]
    assert max(m["implausibility"] for m in members) <= ensemble["settings"]["cutoff"]
    # the same runs as the first wave: draws over the whole bounds
    design = pd.read_csv(folder / "out1" / "ensemble_design.csv")
    prior = design[design["wave"] == 1]
    assert np.mean([m["distance"] for m in members]) < prior["distance"].mean()
    assert np.median([m["implausibility"] for m in members]) < prior["implausibility"].median()
    # the members' implausibility is their targets' worst |z|, as recorded
    for m in members:
        assert m["implausibility"] == pytest.approx(max(abs(z) for z in m["z"].values()), rel=1e-4)
    # and calibrated.yaml is the member of lowest distance
    best = min(members, key=lambda m: m["distance"])["parameters"]
    assert ensemble["best"] == best
    assert yaml.safe_load(synthetic[4])["behaviour"] == best


def test_the_same_seed_gives_the_same_ensemble_with_any_number_of_jobs(synthetic):
    _, _, one, two, _ = synthetic
    for key in ("members", "best", "waves", "parameters", "targets", "seeds", "settings"):
        assert one[key] == two[key], key


def test_implausibility_is_the_kth_largest_absolute_z():
    z = pd.DataFrame({"a": [0.5, -4.0], "b": [2.0, 1.0], "c": [np.nan, -0.5]})
    assert implausibility(z).tolist() == [10.0, 4.0]          # an undefined measure counts as z = 10
    assert implausibility(z, worst_ignored=1).tolist() == [2.0, 1.0]


def test_nothing_is_written_unless_every_wave_finishes(synthetic, tmp_path, monkeypatch):
    cal, folder, _, _, _ = synthetic
    targets = write_files(tmp_path, {name: 1.0 for name in MEASURES})
    calls = []
    real = Evaluator.run

    def failing(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Evaluator, "run", failing)
    result = calibrate(targets, tmp_path / "out", 1)
    assert result.exit_code == 130 and "run the same command again" in result.output
    assert not (tmp_path / "ensemble.yaml").exists() and not (tmp_path / "calibrated.yaml").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["base.yaml", "out", "parameters.yaml", "targets.yaml"]


@pytest.mark.parametrize(("args", "message"), [
    (["--points", "2"], "--points"),
    (["--points", "100000"], "--points"),
    (["--waves", "0"], "--waves"),
    (["--waves", "50"], "--waves"),
    (["--cutoff", "0"], "--cutoff"),
    (["--scale", "-1"], "--scale"),
    (["--points", "10000", "--waves", "10", "--replicates", "100"], "more than the limit"),
    (["--points", "2", "--waves", "1"], "--points"),
    (["--budget", "10"], "--budget belongs to --method de"),
    (["--points", "4"], "below the ensemble's min_members"),
])
def test_bad_options_are_refused_before_anything_runs(tmp_path, args, message):
    targets = write_files(tmp_path, {name: 1.0 for name in MEASURES})
    result = calibrate(targets, tmp_path / "out", 1, *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not (tmp_path / "out").exists() and not (tmp_path / "ensemble.yaml").exists()


def test_history_matching_options_are_refused_with_the_default_method(tmp_path):
    targets = write_files(tmp_path, {name: 1.0 for name in MEASURES})
    result = CliRunner().invoke(main, ["calibrate", str(targets), "--points", "16"])
    assert result.exit_code == 2 and "--points belongs to --method history-matching" in result.output


# -- robustness draws from the ensemble ---------------------------------------------------------------
LEVERS = f"""\
name: tiny
base: {(SCENARIOS / "baseline.yaml").as_posix()}
full: {(SCENARIOS / "full_integration.yaml").as_posix()}
scale: 0.05
months: 6
seeds: {{first: 2, block: 1, cap: 2}}
levers:
  incubation: {{label: incubation, scenario: {(SCENARIOS / "incubation.yaml").as_posix()}}}
  science_finance: {{label: science finance, scenario: {(SCENARIOS / "science_finance.yaml").as_posix()}}}
regions: [jiashan]
outputs:
  hnte_stock: mean(hnte_stock.{{region}}, last=3)
headline: {{output: hnte_stock, region: jiashan}}
precision: {{half_width: 2 %}}
robustness:
  draws: 4
  seed: 11
  from_ensemble: ensemble.yaml
  uncertainties:
    behaviour.founding_rate: {{multiply: [0.7, 1.3], label: founding rate}}
"""


def members_of(ensemble: dict) -> pd.DataFrame:
    return pd.DataFrame([m["parameters"] for m in ensemble["members"]]).add_prefix("behaviour.")


def test_robustness_draws_take_members_of_the_ensemble(synthetic, tmp_path):
    _, folder, ensemble, _, _ = synthetic
    (tmp_path / "ensemble.yaml").write_text((folder / "ensemble.yaml").read_text())
    path = tmp_path / "levers.yaml"
    path.write_text(LEVERS)
    rob = load_levers(path).robustness
    members = members_of(ensemble)
    assert rob.ensemble is not None and len(rob.ensemble.members) == len(members)
    assert set(rob.names) == set(members.columns) | {"behaviour.founding_rate"}
    sample = rob.sample()
    drawn = sample[list(members.columns)]
    rows = {tuple(r) for r in members.itertuples(index=False)}
    assert all(tuple(r) in rows for r in drawn.itertuples(index=False))     # whole members, values unchanged
    assert len(drawn.drop_duplicates()) == len(drawn) == 4                   # without replacement
    founding = {u.name: u for u in rob.uncertainties}["behaviour.founding_rate"]
    assert sample["behaviour.founding_rate"].between(founding.low, founding.high).all()
    assert sorted(np.floor((sample["behaviour.founding_rate"] - founding.low)
                           / (founding.high - founding.low) * 4).astype(int)) == [0, 1, 2, 3]  # still a hypercube
    assert sample.equals(rob.sample())                                      # seeded
    # the runs are given exactly those values
    for draw, variants in robustness_tasks(load_levers(path)).items():
        for tasks in variants.values():
            overrides = dict(tasks[0].overrides)
            for name in members.columns:
                assert overrides[name] == sample.loc[draw, name]
                assert type(overrides[name]) is type(members[name].iloc[0].item())


def test_draws_follow_the_weights_and_pass_over_every_member_before_repeating(tmp_path):
    members = [{"parameters": {"firm_entry_rate": r, "incubation_months": m}, "weight": w}
               for r, m, w in ((0.02, 20, 1.0), (0.03, 30, 1.0), (0.04, 40, 0.0), (0.05, 24, 2.0))]
    (tmp_path / "ensemble.yaml").write_text(yaml.safe_dump({"method": "history matching", "members": members}))
    path = tmp_path / "levers.yaml"
    path.write_text(LEVERS.replace("  draws: 4", "  draws: 7"))
    sample = load_levers(path).robustness.sample()
    rates = sample["behaviour.firm_entry_rate"].tolist()
    assert 0.04 not in rates                                   # weight 0: never drawn
    assert sorted(rates[:3]) == [0.02, 0.03, 0.05] and sorted(rates[3:6]) == [0.02, 0.03, 0.05]
    pairs = dict(zip(sample["behaviour.firm_entry_rate"], sample["behaviour.incubation_months"], strict=True))
    assert pairs == {0.02: 20, 0.03: 30, 0.05: 24}            # a member's parameters travel together


@pytest.mark.parametrize(("old", "new", "reason"), [
    ("from_ensemble: ensemble.yaml", "from_ensemble: nowhere.yaml", "not found"),
    ("from_ensemble: ensemble.yaml", "from_ensemble: ensemble.yaml\n  from_calibration: ensemble.yaml", "not both"),
    ("behaviour.founding_rate: {multiply", "behaviour.firm_entry_rate: {multiply", "drawn from the calibration"),
])
def test_a_bad_ensemble_section_is_refused(tmp_path, old, new, reason):
    members = [{"parameters": {"firm_entry_rate": r}, "weight": 0.5} for r in (0.02, 0.03)]
    (tmp_path / "ensemble.yaml").write_text(yaml.safe_dump({"method": "history matching", "members": members}))
    path = tmp_path / "levers.yaml"
    path.write_text(LEVERS.replace(old, new))
    with pytest.raises(ScenarioError) as info:
        load_levers(path)
    assert reason in info.value.reason and "robustness" in info.value.key


def test_the_robustness_report_says_the_calibrated_parameters_come_from_the_ensemble(tmp_path):
    members = [{"parameters": {"firm_entry_rate": r, "incubation_months": m}, "weight": 1 / 3}
               for r, m in ((0.02, 20), (0.03, 30), (0.05, 24))]
    (tmp_path / "ensemble.yaml").write_text(yaml.safe_dump({"method": "history matching", "members": members}))
    path = tmp_path / "levers.yaml"
    path.write_text(LEVERS.replace("  draws: 4", "  draws: 2"))
    result = CliRunner().invoke(main, ["levers", str(path), "--stage", "robustness", "--jobs", "1", "--store",
                                       str(tmp_path / "store.sqlite"), "--out", str(tmp_path / "out"),
                                       "--no-progress"])
    assert result.exit_code == 0, result.output
    report = (tmp_path / "out" / "robustness.md").read_text(encoding="utf-8")
    assert "come from the calibration ensemble (`ensemble.yaml`: 3 members, history matching)" in report
    settings = (tmp_path / "out").glob("*settings.json")
    text = "".join(p.read_text() for p in settings)
    assert '"members": 3' in text and "history matching" in text
