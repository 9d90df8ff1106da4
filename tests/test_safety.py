"""innosim touches only what it made (issue 19): output folders, names that become paths, the store,
sizes bounded where they are read, settings bounded so that no legal value overflows."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from innosim.cli import main
from innosim.outdir import MARKER

from .conftest import SCENARIOS
from .test_hostile import refused

TINY = ["--scale", "0.02", "--months", "2"]


def tiny_scenario(folder: Path, name: str = "tiny", extra: str = "") -> Path:
    file = folder / f"{name.replace('/', '_').replace('.', '_') or 'x'}.yaml"
    file.write_text(f"extends: {SCENARIOS / 'baseline.yaml'}\nname: {name!r}\n{extra}", encoding="utf-8")
    return file


# ---------------------------------------------------------------- output folders
def test_run_out_on_a_folder_innosim_did_not_write_keeps_its_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "notes.txt").write_text("mine", encoding="utf-8")
    err = refused(["run", str(SCENARIOS / "baseline.yaml"), *TINY, "--out", str(theirs)])
    assert str(theirs) in err and "notes.txt" in err
    assert (theirs / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert sorted(p.name for p in theirs.iterdir()) == ["notes.txt"]


def test_run_out_replaces_its_own_folder_and_fills_an_empty_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "o"
    out.mkdir()  # empty: used
    for _ in range(2):  # the second time: ours (the marker), replaced
        result = CliRunner().invoke(main, ["run", str(SCENARIOS / "baseline.yaml"), *TINY, "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert (out / MARKER).is_file() and (out / "summary.json").is_file()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".o.")]  # no staging folder left


@pytest.mark.parametrize("where", [".", "..", "/", "HOME"])
def test_out_never_names_the_working_folder_a_home_or_a_root(tmp_path, monkeypatch, where):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    (work / "precious.yaml").write_text("x: 1\n", encoding="utf-8")
    target = str(Path.home()) if where == "HOME" else where
    err = refused(["run", str(SCENARIOS / "baseline.yaml"), *TINY, "--out", target])
    assert "--out" in err
    assert (work / "precious.yaml").is_file()


def test_a_staging_folder_of_a_killed_run_is_removed_by_the_next(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    stale = tmp_path / ".o.999999999.abcd.staging"  # a pid that cannot run
    stale.mkdir()
    (stale / MARKER).write_text("", encoding="utf-8")
    foreign = tmp_path / ".o.999999999.efgh.staging"  # looks alike, but not ours: kept
    foreign.mkdir()
    result = CliRunner().invoke(main, ["run", str(SCENARIOS / "baseline.yaml"), *TINY, "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert not stale.exists() and foreign.exists()


@pytest.mark.parametrize("name", ["../../x", "..", "a/b", ".hidden", "x y"])
def test_a_name_that_is_a_path_writes_nothing_outside_out(tmp_path, monkeypatch, name):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    file = tiny_scenario(tmp_path, name)
    err = refused(["run", str(file), *TINY])
    assert "name" in err and "letters, digits" in err
    err = refused(["compare", str(SCENARIOS / "baseline.yaml"), str(file), "-r", "2", *TINY, "-j", "1"])
    assert "name" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["work", file.name])
    assert not (work / "out").exists()


def test_a_sweep_named_dot_dot_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    spec = tmp_path / "sweep.yaml"
    spec.write_text(f"name: '..'\nscenario: {SCENARIOS / 'baseline.yaml'}\nreplicates: 1\n"
                    "overrides: {run.scale: 0.02, run.months: 2}\n", encoding="utf-8")
    err = refused(["batch", str(spec)])
    assert "sweep.yaml" in err and "name" in err
    assert not (tmp_path / "out").exists()


def test_chinese_names_still_make_folders(tmp_path, monkeypatch):
    from innosim.outdir import file_name

    assert file_name("嘉善创新券", "x.yaml") == "嘉善创新券"
    assert file_name("baseline_again-2", "x.yaml") == "baseline_again-2"
