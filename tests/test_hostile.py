"""Hostile input (tests/hostile/ and files made here): refused fast, in one short line, nothing written."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from innosim.cli import main
from innosim.scenario import ScenarioError, load_scenario, read_yaml
from innosim.yamlsafe import excerpt

from .conftest import ROOT, SCENARIOS

HOSTILE = Path(__file__).parent / "hostile"
CORPUS = sorted(p.name for p in HOSTILE.glob("*.yaml"))


def command_for(file: Path, out: Path) -> list[str]:
    """The command that reads this kind of file (by its name's prefix)."""
    kind = file.name.split("_", 1)[0]
    if kind == "scenario":
        return ["validate", str(file)]
    if kind == "experiment":
        return ["sensitivity", str(file), "--method", "morris", "--out", str(out)]
    if kind == "sweep":
        return ["batch", str(file), "--out", str(out)]
    if kind == "targets":
        return ["calibrate", str(file), "--parameters", str(ROOT / "calibration" / "parameters.yaml"),
                "--out", str(out), "--write-to", str(out)]
    if kind == "parameters":
        return ["calibrate", str(ROOT / "calibration" / "targets.yaml"), "--parameters", str(file),
                "--out", str(out), "--write-to", str(out)]
    raise AssertionError(f"no command for {file.name}: name it scenario_*, experiment_*, sweep_*, ...")


def refused(args: list[str], status: int = 2, seconds: float = 5.0) -> str:
    """Run the command in this process; it must fail with `status`, in one line under 1 KB, within `seconds`."""
    started = time.perf_counter()
    result = CliRunner().invoke(main, args)
    elapsed = time.perf_counter() - started
    err = result.stderr
    assert result.exit_code == status, (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert len(err.encode()) < 1024, len(err)
    assert elapsed < seconds, f"took {elapsed:.1f} s"
    return err


@pytest.mark.parametrize("name", CORPUS)
def test_the_hostile_corpus_is_refused_in_one_line(tmp_path, name):
    file = HOSTILE / name
    out = tmp_path / "out"
    err = refused(command_for(file, out), seconds=1.0 if "bomb" in name else 10.0)
    assert name in err
    assert "root:" not in err  # nothing of another file's contents
    assert not out.exists(), "nothing may be written for a refused file"


def test_a_yaml_bomb_is_refused_within_a_second_in_a_short_message():
    started = time.perf_counter()
    with pytest.raises(ScenarioError) as caught:
        load_scenario(HOSTILE / "scenario_bomb.yaml")
    assert time.perf_counter() - started < 1.0
    assert len(str(caught.value)) < 1024 and "expand" in str(caught.value)


def test_anchors_that_expand_a_little_are_still_fine(tmp_path):
    file = tmp_path / "ok.yaml"
    file.write_text("x: &budget {qingpu: 1.0, wujiang: 2.0, jiashan: 3.0}\n"
                    "policy:\n  vouchers: {budget: *budget}\n", encoding="utf-8")
    assert read_yaml(file)["policy"]["vouchers"]["budget"]["jiashan"] == 3.0


@pytest.mark.parametrize("key, value, where", [
    ("places.jiashan.amenity", ".nan", "places.jiashan.amenity"),
    ("policy.incubation.stay_subsidy", ".inf", "policy.incubation.stay_subsidy"),
    ("policy.finance.fund_capital", "-.inf", "policy.finance.fund_capital"),
    ("behaviour.fund_reservation", ".NaN", "behaviour.fund_reservation"),
])
def test_non_finite_numbers_are_refused_by_key(tmp_path, key, value, where):
    *parents, leaf = key.split(".")
    text = "".join(f"{'  ' * i}{p}:\n" for i, p in enumerate(parents)) + f"{'  ' * len(parents)}{leaf}: {value}\n"
    file = tmp_path / "s.yaml"
    file.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(file)
    assert caught.value.key.startswith(where) and "finite" in caught.value.reason


def test_non_finite_overrides_are_refused_by_the_schema():
    for value in (float("nan"), float("inf")):
        with pytest.raises(ScenarioError, match="finite"):
            load_scenario(SCENARIOS / "baseline.yaml", {"behaviour.shanghai_pull": value})


def test_an_experiment_with_an_infinite_range_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    err = refused(["sensitivity", str(HOSTILE / "experiment_inf_range.yaml"), "--method", "morris"])
    assert "experiment_inf_range.yaml: factors.policy.vouchers.subsidy_share.range[1]" in err
    assert not (tmp_path / "out").exists()


def test_yaml_1_1_text_that_looks_like_a_number_gets_a_hint(tmp_path):
    file = tmp_path / "s.yaml"
    file.write_text("behaviour: {knowledge_depreciation: 6e-3}\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"write 6\.0e-3"):
        load_scenario(file)


def test_values_in_messages_are_excerpts():
    assert len(excerpt("x" * 10_000)) <= 80
    assert len(excerpt([["lol"] * 1000] * 1000)) <= 80


def test_yaml_errors_do_not_quote_the_files_lines(tmp_path):
    file = tmp_path / "s.yaml"
    file.write_text("secret_line_one: x\nsecret_two: [unclosed\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        read_yaml(file)
    assert "line " in str(caught.value) and "secret" not in str(caught.value)


def test_an_oversized_or_deeply_nested_file_is_refused(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text("# " + "x" * 1_100_000 + "\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="larger than"):
        read_yaml(big)
    deep = tmp_path / "deep.yaml"
    deep.write_text("a: " + "[" * 20_000 + "]" * 20_000 + "\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="nested too deeply|not valid YAML"):
        read_yaml(deep)


# ---------------------------------------------------------------- files that cannot be read
def test_a_symlink_loop_is_one_line_and_validate_goes_on(tmp_path):
    (tmp_path / "loop1.yaml").symlink_to(tmp_path / "loop2.yaml")
    (tmp_path / "loop2.yaml").symlink_to(tmp_path / "loop1.yaml")
    (tmp_path / "child.yaml").write_text("extends: loop1.yaml\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(tmp_path / "child.yaml"), str(tmp_path / "loop1.yaml"),
                                       str(SCENARIOS / "baseline.yaml")])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 3 and "Traceback" not in result.output
    # the file that asked, its line, then the extended file's problem and the chain (issue-12's form)
    assert "child.yaml:1: extends: cannot build on " in lines[0]
    assert "loop1.yaml: cannot be read: a loop of symbolic links (chain: " in lines[0]
    assert lines[2].startswith("ok: ") and "baseline" in lines[2]


def test_a_chain_of_extends_deeper_than_the_limit_is_one_short_line(tmp_path):
    """A 1000-deep chain once blamed a healthy file in a 44 KB line: now the file where the chain
    passes the limit is named, with the chain's ends."""
    from innosim.scenario.loader import MAX_EXTENDS_DEPTH

    (tmp_path / "f999.yaml").write_text(f"extends: {SCENARIOS / 'baseline.yaml'}\n", encoding="utf-8")
    for i in range(999):
        (tmp_path / f"f{i}.yaml").write_text(f"extends: f{i + 1}.yaml\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(tmp_path / "f0.yaml")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    (line,) = result.output.strip().splitlines()
    assert f"f{MAX_EXTENDS_DEPTH - 1}.yaml:1: extends: a chain of extends may hold at most {MAX_EXTENDS_DEPTH} files" in line
    assert "f0.yaml" in line and "more)" in line and len(line) < 1000
    (tmp_path / "root.yaml").write_text("run: {months: 12}\n", encoding="utf-8")
    (tmp_path / f"f{MAX_EXTENDS_DEPTH - 2}.yaml").write_text("extends: root.yaml\n", encoding="utf-8")
    ok = CliRunner().invoke(main, ["validate", str(tmp_path / "f0.yaml")])
    assert ok.exit_code == 0, ok.output  # a chain of exactly the limit is fine


def test_an_unreadable_file_reached_through_extends(tmp_path):
    (tmp_path / "folder.yaml").mkdir()  # a folder where a file belongs: unreadable even for root
    (tmp_path / "child.yaml").write_text("extends: folder.yaml\n", encoding="utf-8")
    err = refused(["validate", str(tmp_path / "child.yaml")])
    assert "child.yaml:1: extends: cannot build on " in err and "folder.yaml: not a file" in err
    if os.geteuid() != 0:  # root reads any file: the permission case only means something for others
        locked = tmp_path / "locked.yaml"
        locked.write_text("name: x\n", encoding="utf-8")
        locked.chmod(0)
        (tmp_path / "child2.yaml").write_text("extends: locked.yaml\n", encoding="utf-8")
        err = refused(["validate", str(tmp_path / "child2.yaml")])
        assert "locked.yaml: cannot be read: Permission denied" in err


# ---------------------------------------------------------------- size guards
def test_a_huge_grid_is_refused_with_its_size_and_the_flag(tmp_path):
    err = refused(["batch", str(HOSTILE / "sweep_huge_grid.yaml"), "--out", str(tmp_path / "o")], seconds=1.0)
    assert "10,000,000,000 runs" in err and "--max-runs 10000000000" in err


def test_a_huge_morris_design_is_refused_before_sampling(tmp_path):
    err = refused(["sensitivity", str(ROOT / "experiments" / "screening.yaml"), "--method", "morris",
                   "--n", "100000", "--out", str(tmp_path / "o")])
    assert "2,200,000 design points" in err and "--max-runs" in err
    assert not (tmp_path / "o").exists()


def test_population_bounds_and_memory_estimate(tmp_path):
    with pytest.raises(ScenarioError, match="population.firms: must be at most"):
        load_scenario(HOSTILE / "scenario_huge_population.yaml")
    with pytest.raises(ScenarioError, match=r"agents \(about [\d.]+ GB of memory\)"):
        load_scenario(HOSTILE / "scenario_population_memory.yaml")
    load_scenario(SCENARIOS / "baseline.yaml", {"run.scale": 10.0})  # the largest scale allowed still fits


# ---------------------------------------------------------------- the results store
def test_a_corrupt_store_says_its_path_and_what_to_do(tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    (out / "results.sqlite").write_bytes(b"this is not a database" * 100)
    err = refused(["compare", str(SCENARIOS / "baseline.yaml"), str(SCENARIOS / "full_integration.yaml"), "-r", "2",
                   "--scale", "0.02", "--months", "2", "-j", "1", "--out", str(out),
                   "--store", str(out / "results.sqlite")], status=1)
    assert str(out / "results.sqlite") in err and "delete it" in err


def test_a_full_disk_names_the_cause_and_keeps_the_store_consistent(tmp_path):
    import numpy as np
    import pandas as pd

    from innosim.batch import ResultStore, StoreError, make_tasks
    from innosim.batch.tasks import RunRecord

    tasks = make_tasks([SCENARIOS / "baseline.yaml"], [{"run.scale": 0.02}], replicates=1)
    with ResultStore(tmp_path / "s.sqlite") as store:
        pages = store._db.execute("PRAGMA page_count").fetchone()[0]
        store._db.execute(f"PRAGMA max_page_count = {pages + 1}")  # SQLite then reports a full disk
        big = RunRecord(end={"x": {"zone": 1.0}}, timeseries=pd.DataFrame({"v": np.random.default_rng(1).random(50_000)}))
        with pytest.raises(StoreError, match="the disk is full"):
            store.put(tasks[0], big)
        assert not store.has(tasks[0].key) and len(store) == 0
        store._db.execute(f"PRAGMA max_page_count = {10**9}")
        store.put(tasks[0], RunRecord(end={"x": {"zone": 1.0}}))  # the store still works
        assert store.has(tasks[0].key)


def test_a_wrong_scheduler_fails_fast_and_writes_nothing(tmp_path):
    out = tmp_path / "o"
    err = refused(["compare", str(SCENARIOS / "baseline.yaml"), str(SCENARIOS / "baseline.yaml"), "-r", "2",
                   "--scale", "0.02", "--out", str(out), "--scheduler", "tcp://127.0.0.1:1"], status=1, seconds=8)
    assert "tcp://127.0.0.1:1" in err and not out.exists()
    err = refused(["batch", str(ROOT / "experiments" / "sweep_example.yaml"), "--out", str(out),
                   "--scheduler", "nonsense::"], status=1, seconds=8)
    assert not out.exists()


def test_the_scheduler_from_the_environment_is_the_one_recorded(monkeypatch):
    from innosim.batch import engine
    from innosim.cli.batching import resolve_scheduler

    monkeypatch.setenv("INNOSIM_SCHEDULER", "tcp://scheduler.example:8786")
    monkeypatch.setattr(engine, "check_scheduler", lambda address: None)
    assert resolve_scheduler(None) == "tcp://scheduler.example:8786"
    assert resolve_scheduler("tcp://other:1") == "tcp://other:1"


def test_seed_must_not_be_negative():
    result = CliRunner().invoke(main, ["run", str(SCENARIOS / "baseline.yaml"), "--seed", "-1"])
    assert result.exit_code == 2 and "Traceback" not in result.output and "--seed" in result.output
