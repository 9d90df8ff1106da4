"""The robustness stage of `innosim levers`: uncertainties from the file and from a calibration result,
the Latin hypercube, per-draw effects and their summary, PRIM on the failures, and one tiny end-to-end
run that a second invocation answers from the results store."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from innosim.analysis.levers.discovery import find_failure_box
from innosim.analysis.levers.experiment import load_levers
from innosim.analysis.levers.calibrated import calibrated_range
from innosim.analysis.levers.robustness import Uncertainty, assess_robustness, draw_effects, latin_hypercube, summarise
from innosim.cli import main
from innosim.scenario import ScenarioError

from .conftest import ROOT, needs_shipped_ensemble

SCENARIOS = ROOT / "scenarios"
CALIBRATION = """\
parameters:
  hnte_first_approval: {value: 0.9, bounds: [0.5, 1.0], identifiability: not identified, width: 1.0}
  firm_entry_rate: {value: 0.02, bounds: [0.01, 0.08], identifiability: pinned, width: 0.1}
  graduate_stay_bonus: {value: 0.2, bounds: [0.0, 3.0], identifiability: weakly pinned, width: 0.4}
  incubation_months: {value: 25, bounds: [12, 48], identifiability: weakly pinned, width: 0.5}
"""
TINY = f"""\
name: tiny
base: {(SCENARIOS / "baseline.yaml").as_posix()}
full: {(SCENARIOS / "full_integration.yaml").as_posix()}
scale: 0.1
months: 18
seeds: {{first: 2, block: 1, cap: 2}}
levers:
  incubation: {{label: incubation, scenario: {(SCENARIOS / "incubation.yaml").as_posix()}}}
  science_finance: {{label: science finance, scenario: {(SCENARIOS / "science_finance.yaml").as_posix()}}}
regions: [jiashan, zone]
outputs:
  hnte_stock: mean(hnte_stock.{{region}}, last=6)
  startups: sum(startups.{{region}})
headline: {{output: hnte_stock, region: jiashan}}
precision: {{half_width: 2 %}}
robustness:
  draws: 5
  seed: 7
  from_calibration: calibration.yaml
  uncertainties:
    behaviour.founding_rate: {{multiply: [0.7, 1.3], label: founding rate}}
    behaviour.shanghai_pull: {{range: [0.5, 1.0]}}
"""


def write(tmp_path: Path, text: str = TINY, calibration: str = CALIBRATION) -> Path:
    (tmp_path / "calibration.yaml").write_text(calibration, encoding="utf-8")
    path = tmp_path / "levers.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# -- the uncertainties --------------------------------------------------------------------------
def test_calibrated_ranges_follow_the_meaning_of_width():
    # not identified: the bounds, whatever the width
    assert calibrated_range(0.9, (0.5, 1.0), "not identified", 0.8) == (0.5, 1.0)
    # pinned: an interval of width x (bounds) around the value ...
    low, high = calibrated_range(0.04, (0.01, 0.08), "pinned", 0.1)
    assert (low, high) == pytest.approx((0.0365, 0.0435)) and high - low == pytest.approx(0.1 * 0.07)
    # ... moved inside the bounds where it would cross one, keeping its length
    assert calibrated_range(0.2, (0.0, 3.0), "weakly pinned", 0.4) == pytest.approx((0.0, 1.2))
    assert calibrated_range(0.99, (0.5, 1.0), "pinned", 0.2) == pytest.approx((0.9, 1.0))


def test_the_file_gives_each_uncertainty_its_range(tmp_path):
    rob = load_levers(write(tmp_path)).robustness
    found = {u.name: u for u in rob.uncertainties}
    assert set(found) == {"behaviour.hnte_first_approval", "behaviour.firm_entry_rate",
                          "behaviour.graduate_stay_bonus", "behaviour.incubation_months",
                          "behaviour.founding_rate", "behaviour.shanghai_pull"}
    assert (found["behaviour.hnte_first_approval"].low, found["behaviour.hnte_first_approval"].high) == (0.5, 1.0)
    entry = found["behaviour.firm_entry_rate"]
    assert (entry.low, entry.high) == pytest.approx((0.0165, 0.0235)) and "pinned" in entry.source
    assert (found["behaviour.graduate_stay_bonus"].low, found["behaviour.graduate_stay_bonus"].high) == \
        pytest.approx((0.0, 1.2))
    months = found["behaviour.incubation_months"]   # 25 +- 9 in whole months
    assert months.integer and (months.low, months.high) == (16, 34)
    founding = found["behaviour.founding_rate"]      # x 0.7-1.3 of the base scenario's value
    assert (founding.low, founding.high) == pytest.approx((0.7 * founding.base, 1.3 * founding.base))
    assert founding.label == "founding rate"
    assert rob.failure_absolute == 0 and rob.failure_threshold(500.0) == 0


def test_the_latin_hypercube_covers_each_range_and_repeats_with_its_seed():
    uncertainties = [Uncertainty("behaviour.a", "a", 2.0, 4.0, False, 3.0, ""),
                     Uncertainty("behaviour.b", "b", -1.0, 0.0, False, -0.5, ""),
                     Uncertainty("behaviour.months", "m", 12, 47, True, 24, "")]
    draws = 12
    sample = latin_hypercube(uncertainties, draws, seed=5)
    assert sample.shape == (draws, 3)
    for u in uncertainties[:2]:   # one point in each of the 12 equal strata of the range
        strata = np.floor((sample[u.name] - u.low) / (u.high - u.low) * draws).astype(int)
        assert sorted(strata) == list(range(draws)), u.name
    months = sample["behaviour.months"]
    assert months.between(12, 47).all() and (months == months.round()).all()
    assert sorted((months - 12) // 3) == list(range(draws))   # 36 whole months, 3 to a stratum
    assert sample.equals(latin_hypercube(uncertainties, draws, seed=5))
    assert not sample.equals(latin_hypercube(uncertainties, draws, seed=6))


@pytest.mark.parametrize(("old", "new", "key", "reason"), [
    ("  seed: 7", "  seed: 7\n  colour: red", "robustness.colour", "unknown key"),
    ("behaviour.shanghai_pull: {range", "policy.vouchers.subsidy_share: {range",
     "robustness.uncertainties.policy.vouchers.subsidy_share", "not a behavioural setting"),
    ("behaviour.shanghai_pull: {range", "behaviour.no_such_thing: {range",
     "robustness.uncertainties.behaviour.no_such_thing", "not a setting"),
    ("behaviour.shanghai_pull: {range: [0.5, 1.0]}", "behaviour.hnte_first_approval: {range: [0.4, 1.0]}",
     "robustness.uncertainties.behaviour.hnte_first_approval.range", "outside the calibration bounds"),
    ("behaviour.shanghai_pull: {range: [0.5, 1.0]}", "behaviour.shanghai_pull: {range: [1.0, 0.5]}",
     "robustness.uncertainties.behaviour.shanghai_pull.range", "below high"),
    ("behaviour.shanghai_pull: {range: [0.5, 1.0]}", "behaviour.shanghai_pull: {}",
     "robustness.uncertainties.behaviour.shanghai_pull", "range: [low, high] or multiply"),
    ("behaviour.shanghai_pull: {range: [0.5, 1.0]}", "behaviour.hnte_renewal_approval: {range: [0.5, 2.0]}",
     "robustness.uncertainties.behaviour.hnte_renewal_approval.range", "2:"),   # a share above 1
    ("from_calibration: calibration.yaml", "from_calibration: nowhere.yaml", "robustness.from_calibration",
     "not found"),
    ("  draws: 5", "  draws: 1", "robustness.draws", "must be at least 2"),
    ("  draws: 5", "  draws: 5\n  failure: {at_most: lots}", "robustness.failure.at_most", "cannot read"),
])
def test_bad_input_is_refused_naming_file_and_key(tmp_path, old, new, key, reason):
    assert old in TINY
    with pytest.raises(ScenarioError) as info:
        load_levers(write(tmp_path, TINY.replace(old, new, 1)))
    assert info.value.key == key, str(info.value)
    assert reason in info.value.reason, info.value.reason
    assert "levers.yaml" in str(info.value)


def test_a_calibration_parameter_the_schema_lacks_is_refused(tmp_path):
    path = write(tmp_path, calibration=CALIBRATION + "  no_such_parameter: {value: 1, bounds: [0, 2], "
                                                     "identifiability: pinned, width: 0.1}\n")
    with pytest.raises(ScenarioError) as info:
        load_levers(path)
    assert info.value.key == "robustness.from_calibration" and "no_such_parameter" in info.value.reason


# -- effects over the draws -------------------------------------------------------------------------
def synthetic_runs(effects: dict[str, np.ndarray], base: np.ndarray) -> pd.DataFrame:
    """One seed a draw: the base and each lever on, on the headline (hnte_stock, jiashan)."""
    rows = []
    for draw, level in enumerate(base):
        rows.append((draw, "base", 0, 100 + draw, "hnte_stock", "jiashan", level))
        rows += [(draw, f"on:{lever}", 0, 100 + draw, "hnte_stock", "jiashan", level + effect[draw])
                 for lever, effect in effects.items()]
    return pd.DataFrame(rows, columns=["draw", "variant", "replicate", "seed", "output", "region", "value"])


def test_effects_are_lever_minus_base_and_their_summary_holds_together():
    effects = {"up": np.array([3.0, 5.0, -1.0, 4.0]), "down": np.array([-2.0, -2.0, -3.0, 1.0])}
    runs = synthetic_runs(effects, base=np.array([100.0, 120.0, 90.0, 110.0]))
    per_draw = draw_effects(runs, list(effects))
    up = per_draw[per_draw["lever"] == "up"].sort_values("draw")
    assert up["effect"].tolist() == [3.0, 5.0, -1.0, 4.0]        # on minus base, not base minus on
    assert up["base"].tolist() == [100.0, 120.0, 90.0, 110.0]
    reference = pd.DataFrame({"lever": ["up", "down"], "output": "hnte_stock", "region": "jiashan",
                              "effect": [3.5, -1.5], "sd": [2.0, 1.0]})
    summary = summarise(per_draw, reference).set_index("lever")
    assert (summary["min"] <= summary["median"]).all() and (summary["median"] <= summary["max"]).all()
    assert summary["share_sign"].between(0, 1).all()
    assert summary.loc["up", "share_sign"] == 0.75            # positive in 3 of 4 draws, as in the table
    assert summary.loc["down", "share_sign"] == 0.75          # negative in 3 of 4, as in the table
    assert summary.loc["up", ["min", "median", "max"]].tolist() == [-1.0, 3.5, 5.0]
    assert summary.loc["up", "noise_sd"] == 2.0
    without = summarise(per_draw).set_index("lever")          # no table: the median's sign
    assert without.loc["up", "sign_of"] == "median" and without.loc["up", "share_sign"] == 0.75


# -- PRIM -----------------------------------------------------------------------------------------------
def planted(n: int = 60, seed: int = 2) -> tuple[pd.DataFrame, np.ndarray]:
    """Six uncertainties; the lever's effect turns negative where a is high and b low (plus noise)."""
    uncertainties = [Uncertainty(f"behaviour.{c}", c, 0.0, 10.0, False, 5.0, "") for c in "abcdef"]
    x = latin_hypercube(uncertainties, n, seed)
    x.columns = list("abcdef")
    noise = np.random.default_rng(seed).normal(0, 0.3, n)
    effect = 2.0 - 4.0 * ((x["a"] > 6) & (x["b"] < 4)).to_numpy() + noise
    return x, effect


def test_prim_finds_the_corner_where_the_lever_fails():
    x, effect = planted()
    found = find_failure_box(x, effect <= 0, "lever")
    assert found.status == "box" and found.failures == int((effect <= 0).sum())
    box = found.box.set_index("uncertainty")
    assert set(box.index) == {"a", "b"}
    assert 5.0 <= box.loc["a", "low"] <= 6.5 and box.loc["a", "high"] == box.loc["a", "range_high"]
    assert 3.5 <= box.loc["b", "high"] <= 5.0 and box.loc["b", "low"] == box.loc["b", "range_low"]
    assert found.coverage >= 0.8 and found.density >= 0.8 and (box["qp"] <= 0.05).all()


def test_prim_says_too_few_failures_and_finds_no_box_in_noise():
    x, _ = planted()
    assert find_failure_box(x, np.zeros(len(x), bool), "lever").status == "too few failures"
    assert find_failure_box(x, np.ones(len(x), bool), "lever").status == "fails almost everywhere"
    noise = np.random.default_rng(9).uniform(size=len(x)) < 0.3   # failures unrelated to any assumption
    assert find_failure_box(x, noise, "lever").status == "no box"


def test_failures_are_where_the_effect_is_at_most_the_threshold_and_prim_reads_them(tmp_path):
    rob = load_levers(write(tmp_path, TINY.replace("  draws: 5", "  draws: 60"))).robustness
    sample = rob.sample()
    a, b = sample["behaviour.shanghai_pull"], sample["behaviour.graduate_stay_bonus"]
    fails = ((a > 0.8) & (b < 0.5)).to_numpy()
    effect = np.where(fails, -3.0, 3.0) + np.random.default_rng(1).normal(0, 0.3, len(sample))
    runs = synthetic_runs({"incubation": effect, "science_finance": -np.abs(effect)}, np.full(len(sample), 200.0))
    reference = pd.DataFrame({"lever": ["incubation", "science_finance"], "output": "hnte_stock",
                              "region": "jiashan", "effect": [2.0, -3.0], "sd": [1.0, 1.0]})
    result = assess_robustness(rob, sample, runs, ["incubation", "science_finance"],
                               {"incubation": "incubation", "science_finance": "science finance"},
                               ("hnte_stock", "jiashan"), reference)
    assert [d.lever for d in result.discoveries] == ["incubation"]   # a lever that lowers it cannot fail to raise it
    found = result.discoveries[0]
    assert found.failures == int(fails.sum()) and found.status == "box"
    assert set(found.box["uncertainty"]) == {"behaviour.shanghai_pull", "behaviour.graduate_stay_bonus"}
    head = result.summary.set_index("lever")
    assert head.loc["incubation", "failures"] == fails.sum()
    assert head.loc["incubation", "share_sign"] == pytest.approx(1 - fails.mean())
    # first in every draw but the failed ones, where science finance ties with it (-|Δ| = Δ): shared
    assert head.loc["incubation", "first_share"] == pytest.approx(1 - fails.mean() / 2)


# -- end to end -----------------------------------------------------------------------------------------
def test_the_robustness_stage_end_to_end_writes_its_tables_and_a_rerun_reuses_every_run(tmp_path):
    path = write(tmp_path)
    args = ["levers", str(path), "--jobs", "1", "--store", str(tmp_path / "store.sqlite"),
            "--out", str(tmp_path / "out"), "--no-progress"]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    out = tmp_path / "out"
    summary = pd.read_csv(out / "robustness.csv")
    assert set(summary["lever"]) == {"incubation", "science_finance"}
    assert set(summary["region"]) == {"jiashan", "zone"} and set(summary["output"]) == {"hnte_stock", "startups"}
    assert (summary["min"] <= summary["median"]).all() and (summary["median"] <= summary["max"]).all()
    assert summary["share_sign"].between(0, 1).all() and (summary["draws"] == 5).all()
    assert (summary["sign_of"] == "table").all()
    prim = pd.read_csv(out / "prim.csv")
    assert set(prim["status"]) <= {"box", "no box", "too few failures", "fails almost everywhere"}
    # each draw's effect is the lever's run minus the base's run of that draw, read from the runs
    runs = pd.read_csv(out / "robustness_runs.csv")
    draws = pd.read_csv(out / "robustness_draws.csv")
    head = runs[(runs["output"] == "hnte_stock") & (runs["region"] == "jiashan")]
    wide = head.pivot_table(index="draw", columns="variant", values="value")
    mine = draws[(draws["output"] == "hnte_stock") & (draws["region"] == "jiashan")
                 & (draws["lever"] == "incubation")].set_index("draw")["effect"]
    assert np.allclose(mine.sort_index(), (wide["on:incubation"] - wide["base"]).sort_index())
    # the uncertainties travel with the draws, inside their ranges
    uncertainties = pd.read_csv(out / "uncertainties.csv").set_index("uncertainty")
    for name, row in uncertainties.iterrows():
        assert draws[name].between(row["low"], row["high"]).all(), name
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "## Robustness over the behavioural assumptions" in report and "robustness.png" in report
    assert "seed-noise SD" in report and "PRIM" in report
    ran = int(re.search(r"\((\d+) runs, 0 reused", first.output).group(1))
    assert ran == 3 * 2 * 2 + 5 * 3      # table: base, full, 2 on, 2 off x 2 seeds; robustness: 5 draws x 3

    again = CliRunner().invoke(main, [*args, "--stage", "robustness"])
    assert again.exit_code == 0, again.output
    assert "(0 runs, 15 reused" in again.output and "signs from the lever table of" in again.output
    assert (out / "robustness.md").is_file()
    # the same numbers (the table's effects now read back from effects.csv, written to 10 digits)
    pd.testing.assert_frame_equal(pd.read_csv(out / "robustness.csv"), summary, check_exact=False, rtol=1e-8)


@needs_shipped_ensemble
def test_the_shipped_experiment_has_a_robustness_stage():
    experiment = load_levers(ROOT / "experiments" / "levers.yaml")
    rob = experiment.robustness
    names = {u.name for u in rob.uncertainties}
    assert {"behaviour.founding_rate", "behaviour.shanghai_pull", "behaviour.innovation_theta"} <= names
    assert "behaviour.tech_uptake_rate" in names and rob.spec.seeds_per_draw >= 4  # issue 23: seed noise per draw halved
    assert rob.ensemble is not None and set(rob.ensemble.names) <= names   # the calibrated ones: the ensemble's
    assert all(u.low < u.high for u in rob.uncertainties)
