"""`innosim levers`: the experiment file, window aggregates, ranking probabilities, the stopping rule,
and one tiny end-to-end run that a second invocation answers from the results store."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from innosim.analysis.outputs import parse_output, window_values
from innosim.analysis.levers.table import assess, rank_first, stopping_rule
from innosim.analysis.levers.experiment import load_levers
from innosim.cli import main
from innosim.scenario import ScenarioError

from .conftest import ROOT, needs_shipped_ensemble

SCENARIOS = ROOT / "scenarios"
TINY = f"""\
name: tiny
base: {(SCENARIOS / "baseline.yaml").as_posix()}
full: {(SCENARIOS / "full_integration.yaml").as_posix()}
scale: 0.05
months: 24
seeds: {{first: 3, block: 2, cap: 5}}
levers:
  science_finance: {{label: science finance, scenario: {(SCENARIOS / "science_finance.yaml").as_posix()}}}
  vouchers: {{label: general-use vouchers, keys: [policy.vouchers.scope, policy.vouchers.cross_county_settlement]}}
regions: [jiashan, zone]
outputs:
  hnte_stock: mean(hnte_stock.{{region}}, last=12)
  startups: sum(startups.{{region}})
  public_cost: sum(public_cost.zone, per=year)
headline: {{output: hnte_stock, region: jiashan}}
precision: {{half_width: 2 %}}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "levers.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@needs_shipped_ensemble
def test_the_shipped_experiment_is_valid():
    experiment = load_levers(ROOT / "experiments" / "levers.yaml")
    assert len(experiment.levers) == 7 and experiment.headline.region == "jiashan"
    assert experiment.precision_share == pytest.approx(0.02)
    finance = next(lever for lever in experiment.levers if lever.name == "science_finance")
    assert set(finance.off) == {"policy.finance.fund_capital", "policy.finance.cross_county_investment"}


@pytest.mark.parametrize(("old", "new", "key", "reason"), [
    ("scale: 0.05", "scale: 0.05\ncolour: red", "colour", "unknown key"),
    ("full: ", "fool: ", "full", "must be given"),
    ("cap: 5", "cap: 2", "seeds", "at least first"),
    ("half_width: 2 %", "half_width: 2 percent", "precision.half_width", "cannot read"),
    ("half_width: 2 %", "half_width: -1", "precision.half_width", "above 0"),
    ("{output: hnte_stock, region: jiashan}", "{output: talents, region: jiashan}", "headline", "no output"),
    ("keys: [policy.vouchers.scope, policy.vouchers.cross_county_settlement]", "keys: [policy.nowhere]",
     "levers.vouchers.keys", "not a policy setting"),
    ("keys: [policy.vouchers.scope, policy.vouchers.cross_county_settlement]", "keys: [policy.vouchers.budget]",
     "levers.vouchers", "would change nothing"),
    ("{label: general-use vouchers, keys: [policy.vouchers.scope, policy.vouchers.cross_county_settlement]}",
     "{label: general-use vouchers}", "levers.vouchers", "scenario file or the policy keys"),
    ("science_finance.yaml", "no_such_lever.yaml", "levers.science_finance.scenario", "not found"),
    ("last=12", "last=0", "outputs.hnte_stock", "number of months"),
    ("sum(startups.{region})", "mean(startups.{region}, per=year)", "outputs.startups", "for a sum"),
    ("sum(startups.{region})", "sum(startups.{region}, over=3)", "outputs.startups", "unknown option"),
])
def test_bad_files_are_refused_naming_file_and_key(tmp_path, old, new, key, reason):
    assert old in TINY
    path = write(tmp_path, TINY.replace(old, new, 1))
    with pytest.raises(ScenarioError) as info:
        load_levers(path)
    assert info.value.key == key, str(info.value)
    assert reason in info.value.reason
    assert "levers.yaml" in str(info.value)


def test_window_aggregates_compute_what_they_say():
    months = np.arange(1, 49)
    ts = pd.DataFrame({"key": "run", "month": np.tile(months, 2), "indicator": "startups",
                       "region": np.repeat(["jiashan", "zone"], 48),
                       "value": np.concatenate([months, 2 * months]).astype(float)})
    outputs = {text: parse_output(Path("x.yaml"), "o", text) for text in (
        "mean(startups.jiashan, last=36)", "sum(startups.jiashan)", "sum(startups.jiashan, per=year)",
        "sum(startups.zone, last=12, per=year)", "sum(startups.jiashan) / sum(startups.zone)")}
    terms = [term for o in outputs.values() for term in o.terms]
    found = window_values(ts, terms)
    value = {text: o.evaluate(lambda term: found[("run", term)]) for text, o in outputs.items()}
    assert value["mean(startups.jiashan, last=36)"] == pytest.approx(np.arange(13, 49).mean())   # 30.5
    assert value["sum(startups.jiashan)"] == pytest.approx(48 * 49 / 2)                          # 1,176
    assert value["sum(startups.jiashan, per=year)"] == pytest.approx(1176 / 4)                  # 4 years
    assert value["sum(startups.zone, last=12, per=year)"] == pytest.approx(2 * np.arange(37, 49).sum())
    assert value["sum(startups.jiashan) / sum(startups.zone)"] == pytest.approx(0.5)
    assert not parse_output(Path("x.yaml"), "o", "hnte_stock.zone").windowed


def synthetic(effects: dict[str, float], seeds: int, noise: float, rng_seed: int = 1) -> pd.DataFrame:
    """Runs of base, full and each lever on and off: seed noise shared, plus each run's own noise."""
    rng = np.random.default_rng(rng_seed)
    rows = []
    for seed in range(seeds):
        shared = rng.normal(100, 10)
        full = shared + sum(effects.values())
        values = {"base": shared, "full": full}
        for lever, effect in effects.items():
            values[f"on:{lever}"] = shared + effect + rng.normal(0, noise)
            values[f"off:{lever}"] = full - effect + rng.normal(0, noise)
        rows += [(variant, seed, seed, "hnte", "jiashan", value) for variant, value in values.items()]
    return pd.DataFrame(rows, columns=["variant", "replicate", "seed", "output", "region", "value"])


def blocks(effects: dict[str, float], noise: float, first: int = 5, block: int = 5, cap: int = 40,
           direction: str = "on"):
    """The stopping loop on synthetic runs: assess after each block of seeds until told to stop."""
    levers, seeds, history = list(effects), first, None
    while True:
        table = assess(synthetic(effects, seeds, noise), levers, {k: k for k in levers}, ("hnte", "jiashan"),
                       direction, precision=0.01, leader_probability=0.95, resamples=1000, cap=cap, history=history,
                       looks=1 + (cap - first) // block)
        history = table.history
        if table.verdict.stop:
            return table
        seeds = min(seeds + block, cap)


def test_rank_first_is_reproducible_and_sums_to_one():
    effects = np.random.default_rng(3).normal([1.0, 0.0, 0.5], 1.0, size=(20, 3))
    p = rank_first(effects, resamples=500)
    assert p.sum() == pytest.approx(1.0) and p.argmax() == 0
    assert np.array_equal(p, rank_first(effects, resamples=500))
    assert rank_first(np.tile([2.0, 1.0], (5, 1)), resamples=100).tolist() == [1.0, 0.0]


@pytest.mark.parametrize("direction", ["on", "off"])
def test_a_clear_leader_stops_early(direction):
    table = blocks({"finance": 10.0, "incubation": 2.0, "brokers": 0.0}, noise=1.0, direction=direction)
    assert table.verdict.reason == "leader" and table.levers[table.verdict.leader] == "finance"
    assert table.history[-1]["seeds"] == 5 and table.tied == []


def test_a_tie_runs_to_the_cap_and_is_declared_tied():
    table = blocks({"finance": 5.0, "incubation": 5.0, "brokers": 0.0}, noise=3.0)
    assert table.verdict.reason == "cap" and table.history[-1]["seeds"] == 40
    assert [h["seeds"] for h in table.history] == [5, 10, 15, 20, 25, 30, 35, 40]
    leader = table.levers[table.verdict.leader]
    assert {leader, *table.tied} == {"finance", "incubation"}


def test_precision_met_stops_before_the_leader_is_clear():
    verdict = stopping_rule([0.5, 0.4], [0.6, 0.4], [1.0, 0.9], precision=1.0, leader_probability=0.95,
                            seeds=10, cap=60)
    assert verdict.stop and verdict.reason == "precision"
    assert not stopping_rule([2.0, 0.4], [0.6, 0.4], [1.0, 0.9], 1.0, 0.95, 10, 60).stop


def test_end_to_end_writes_the_report_and_a_rerun_reuses_every_run(tmp_path):
    path = write(tmp_path, TINY)
    args = ["levers", str(path), "--jobs", "1", "--store", str(tmp_path / "store.sqlite"),
            "--out", str(tmp_path / "out"), "--no-progress"]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    report = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    sentence = report.split("\n")[2]
    assert re.match(r"\*\*(Of the 2 levers, (science finance|general-use vouchers) raises|None of the 2 levers)",
                    sentence), sentence
    assert "Jiashan's HNTE stock" in sentence and "bootstrap samples" in sentence
    effects = pd.read_csv(tmp_path / "out" / "effects.csv")
    assert set(effects["direction"]) == {"on", "off"} and set(effects["region"]) == {"jiashan", "zone"}
    stopping = pd.read_csv(tmp_path / "out" / "stopping.csv")
    assert stopping["seeds"].iloc[0] == 3 and stopping["seeds"].iloc[-1] <= 5
    assert (tmp_path / "out" / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    ran = int(re.search(r"\((\d+) runs, 0 reused", first.output).group(1))
    assert ran == 6 * stopping["seeds"].iloc[-1]

    again = CliRunner().invoke(main, [*args, "--lang", "zh"])
    assert again.exit_code == 0, again.output
    assert f"（运行 0 次，复用 {ran} 次" in again.output      # the command's own messages in Chinese too
    assert "在2项政策中" in (tmp_path / "out" / "report.md").read_text(encoding="utf-8")


def test_a_sensitivity_experiment_takes_window_outputs(tmp_path):
    from innosim.analysis.sensitivity.experiment import load_experiment

    path = tmp_path / "exp.yaml"
    path.write_text(f"name: w\nbase: {(SCENARIOS / 'baseline.yaml').as_posix()}\nfactors:\n"
                    "  policy.talent_recognition:\n  policy.hnte_mutual_recognition:\noutputs:\n"
                    "  hnte: mean(hnte_stock.jiashan, last=36) / mean(hnte_stock.zone, last=36)\n"
                    "  zone: hnte_stock.zone\n", encoding="utf-8")
    share, zone = load_experiment(path).outputs
    assert share.windowed and share.operator == "/" and not share.counts
    assert not zone.windowed and zone.counts


def test_a_lever_the_full_scenario_changes_during_the_run_is_refused(tmp_path):
    full = tmp_path / "full.yaml"
    full.write_text(f"extends: {(SCENARIOS / 'full_integration.yaml').as_posix()}\nname: dated\nchanges:\n"
                    "  - {from: '2020-01', set: {policy.vouchers.scope.jiashan: own_county}}\n", encoding="utf-8")
    text = TINY.replace(f"full: {(SCENARIOS / 'full_integration.yaml').as_posix()}", f"full: {full.as_posix()}")
    with pytest.raises(ScenarioError) as info:
        load_levers(write(tmp_path, text))
    assert info.value.key == "levers.vouchers" and "during the run" in info.value.reason
