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
    """Run the command in this process; it must fail with `status`, in one line under 1 KB (a line per problem
    where a file has several), within `seconds`."""
    started = time.perf_counter()
    result = CliRunner().invoke(main, args)
    elapsed = time.perf_counter() - started
    err = result.stderr
    assert result.exit_code == status, (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output
    # one line, or (every problem of a file at once) a heading that counts them and a line for each
    lines = err.splitlines()
    assert err.startswith("error: ") and (len(lines) == 1 or lines[0].endswith(":") and
                                          f"error: {len(lines) - 1} problems in" in lines[0]), err
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
    assert "experiment_inf_range.yaml:4: factors.policy.vouchers.subsidy_share.range[1]" in err
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


# ---------------------------------------------------------------- calibration files (issue 19)
class _NoRuns:
    """Scores parameter sets without running the model: what is tested is where the search starts."""

    def __init__(self):
        self.points: list[dict] = []

    def run(self, points, label=""):
        import numpy as np

        self.points += points
        return np.arange(len(points), dtype=float), None


def _first_generation(cal):
    """Start the differential evolution of `cal` (one generation, no runs); the points it scored."""
    from innosim.analysis.calibration.fit import search

    evaluator = _NoRuns()
    found = search(cal, evaluator, budget=cal.search.popsize * len(cal.names), log=lambda _: None)
    assert found.generations == 1 and len(evaluator.points) == cal.search.popsize * len(cal.names)
    return evaluator.points


def test_a_copy_of_the_calibration_files_outside_calibration_starts_as_the_originals(tmp_path):
    """The copy's base extends the original calibrated.yaml, which it once took its start values from:
    from a fit that had left voucher_additionality at its bound, 0.3, which scipy refused."""
    import re
    import shutil

    from innosim.analysis.calibration.files import load_calibration
    from innosim.analysis.calibration.fit import start_point

    shutil.copytree(ROOT / "calibration", tmp_path / "calibration")
    shutil.copytree(ROOT / "scenarios", tmp_path / "scenarios")
    fit = tmp_path / "calibration" / "calibrated.yaml"
    fit.write_text(re.sub(r"voucher_additionality: .*", "voucher_additionality: 0.3", fit.read_text()))
    shutil.copytree(tmp_path / "calibration", tmp_path / "mycal")  # ../scenarios/history.yaml still resolves
    ok = CliRunner().invoke(main, ["validate", str(tmp_path / "scenarios" / "history.yaml")])
    assert ok.exit_code == 0, ok.output
    original = load_calibration(tmp_path / "calibration" / "targets.yaml")
    copy = load_calibration(tmp_path / "mycal" / "targets.yaml")
    assert copy.reset == original.reset and copy.base == original.base
    assert list(start_point(copy)) == list(start_point(original))
    assert _first_generation(copy)[0] == _first_generation(original)[0]


@pytest.mark.parametrize("end", ["low", "high"])
def test_a_start_point_at_its_bound_starts_the_search(end):
    """scipy scales x0 to [0, 1] and refused 0.3 in [0.3, 1.0] (-1.1e-16); every parameter here
    starts at one of its bounds."""
    from dataclasses import replace

    from innosim.analysis.calibration.files import load_calibration
    from innosim.analysis.calibration.fit import START_INSIDE

    cal = load_calibration(ROOT / "calibration" / "targets.yaml")
    start = cal.base.behaviour.model_dump()
    parameters = {name: p.model_copy(update={"bounds": [start[name], p.bounds[1]] if end == "low"
                                             else [p.bounds[0], start[name]]})
                  for name, p in cal.parameters.items()}
    first = _first_generation(replace(cal, parameters=parameters))[0]
    for name, (low, high) in zip(cal.names, replace(cal, parameters=parameters).bounds, strict=True):
        assert low <= first[name] <= high and first[name] == pytest.approx(start[name], abs=2 * START_INSIDE * (high - low))


def test_calibrate_leaves_a_hand_written_file_at_write_to_alone(tmp_path):
    mine = tmp_path / "w" / "calibrated.yaml"
    mine.parent.mkdir()
    mine.write_bytes((HOSTILE / "write_to" / "calibrated.yaml").read_bytes())
    (mine.parent / "result.yaml").write_text((ROOT / "calibration" / "result.yaml").read_text())  # innosim's
    for method in ("de", "history-matching"):
        out = tmp_path / f"out-{method}"
        err = refused(["calibrate", str(ROOT / "calibration" / "targets.yaml"), "--method", method,
                       "--write-to", str(mine.parent), "--out", str(out)])
        assert f"{mine}: innosim did not write this file" in err and "move it away" in err and "--write-to" in err
        assert not out.exists(), "refused before anything runs"
    assert mine.read_bytes() == (HOSTILE / "write_to" / "calibrated.yaml").read_bytes()


def test_calibrate_replaces_its_own_files_and_writes_both_or_neither(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from innosim.analysis.calibration import study
    from innosim.analysis.calibration.owned import MARK, write_own, written_by_innosim
    from innosim.scenario import ScenarioError

    folder = tmp_path / "w"
    folder.mkdir()
    for name in ("result.yaml", "calibrated.yaml", "ensemble.yaml"):  # written before the mark existed
        (folder / name).write_text((ROOT / "calibration" / name).read_text())
        assert written_by_innosim(folder / name), name

    def fit(cal, out_dir, write_to, **_):  # the study's writing, without its runs
        write_own(write_to, {"result.yaml": "distance: 1.0\n", "calibrated.yaml": "behaviour: {}\n"})
        return SimpleNamespace(result={"targets_met": "0 of 0", "distance": {"check": 1.0}})

    monkeypatch.setattr(study, "calibrate", fit)
    for _ in range(2):  # over the earlier headers, then over its own mark
        result = CliRunner().invoke(main, ["calibrate", str(ROOT / "calibration" / "targets.yaml"),
                                           "--write-to", str(folder), "--out", str(tmp_path / "out")])
        assert result.exit_code == 0, result.output
        assert (folder / "calibrated.yaml").read_text() == MARK + "behaviour: {}\n"
    (folder / "calibrated.yaml").write_text("behaviour: {}\n")  # the mark deleted: the user keeps it
    with pytest.raises(ScenarioError, match="innosim did not write this file"):
        write_own(folder, {"result.yaml": "distance: 2.0\n", "calibrated.yaml": "behaviour: {}\n"})
    assert (folder / "result.yaml").read_text() == MARK + "distance: 1.0\n", "neither is written"
    (folder / "link.yaml").symlink_to(folder / "result.yaml")
    assert not written_by_innosim(folder / "link.yaml")


# ---------------------------------------------------------------- many unknown keys (issue 19)
def test_a_megabyte_of_unknown_keys_is_refused_with_twenty_problems_shown(tmp_path, monkeypatch):
    """43,524 unknown keys (0.99 MB) took 17 s and more: each error's blame looped over every key, the
    file was parsed four times. Now: parsed once, the blame is a lookup, hints only for the 20 shown."""
    from innosim.scenario import diagnostics, loader

    file = tmp_path / "unknown.yaml"
    keys = [f"  knowledge_depreciaton: 0.1"] + [f"  unknown_k{i:05d}: 1.5" for i in range(43_523)]
    file.write_text("name: unknown\nbehaviour:\n" + "\n".join(keys) + "\n", encoding="utf-8")
    assert 0.9e6 < file.stat().st_size < 1.0e6
    calls = {"read_yaml": 0, "suggest": 0, "blame_all": 0}
    read_yaml, suggest, blame = loader.read_yaml, diagnostics.suggest, diagnostics._blame

    def counted(name, function):
        def call(*args, **kwargs):
            calls[name] += 1
            return function(*args, **kwargs)
        return call

    monkeypatch.setattr(loader, "read_yaml", counted("read_yaml", read_yaml))
    monkeypatch.setattr(diagnostics, "suggest", counted("suggest", suggest))
    monkeypatch.setattr(diagnostics, "_blame", lambda origin, loc, default, commands=None: (
        calls.__setitem__("blame_all", calls["blame_all"] + (commands is None)) or blame(origin, loc, default, commands)))
    result = CliRunner().invoke(main, ["validate", str(file)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert lines[0] == f"error: 43524 problems in {file}:" and lines[-1] == "  ... and 43,504 more"
    assert len(lines) == 22 and len(result.stderr.encode()) < 4096
    assert lines[1] == (f"  {file}:3: behaviour.knowledge_depreciaton: unknown key; "
                        "did you mean 'knowledge_depreciation'?")
    assert lines[2] == f"  {file}:4: behaviour.unknown_k00000: unknown key"
    assert calls == {"read_yaml": 1, "suggest": 20, "blame_all": 0}
