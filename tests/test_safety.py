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


# ---------------------------------------------------------------- the results store is ours alone
def _another_programs_database(path: Path) -> None:
    import sqlite3

    db = sqlite3.connect(path)
    db.execute("CREATE TABLE contacts (name TEXT)")
    db.execute("INSERT INTO contacts VALUES ('Ada')")
    db.commit()
    db.close()


def test_another_programs_database_is_refused_and_left_as_it_was(tmp_path):
    import sqlite3

    from innosim.batch import ResultStore, StoreError

    theirs = tmp_path / "contacts.sqlite"
    _another_programs_database(theirs)
    before = theirs.read_bytes()
    with pytest.raises(StoreError, match="did not make"):
        ResultStore(theirs)
    err = refused(["compare", str(SCENARIOS / "baseline.yaml"), str(SCENARIOS / "full_integration.yaml"), "-r", "2",
                   *TINY, "-j", "1", "--out", str(tmp_path / "o"), "--store", str(theirs)], status=1)
    assert str(theirs) in err and "did not make" in err
    assert theirs.read_bytes() == before and not (tmp_path / "o").exists()
    db = sqlite3.connect(theirs)
    assert {n for (n,) in db.execute("SELECT name FROM sqlite_master")} == {"contacts"}
    db.close()


def test_a_device_is_not_a_store(tmp_path):
    from innosim.batch import ResultStore, StoreError

    with pytest.raises(StoreError, match="/dev/null: not a regular file"):
        ResultStore("/dev/null")
    assert not Path("/dev/null-journal").exists()


def test_an_older_innosim_store_is_adopted(tmp_path):
    import sqlite3

    from innosim.batch import ResultStore
    from innosim.batch.store import SCHEMA
    from innosim.batch.storefile import APPLICATION_ID

    old = tmp_path / "old.sqlite"
    db = sqlite3.connect(old)
    db.executescript(SCHEMA)  # innosim's tables, no mark: written before the mark existed
    db.close()
    with ResultStore(old) as store:
        assert len(store) == 0
    db = sqlite3.connect(old)
    assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    db.close()


def test_a_damaged_store_names_its_path_and_store_list_fails(tmp_path):
    from innosim.batch import ResultStore, make_tasks
    from innosim.batch.tasks import RunRecord

    path = tmp_path / "s.sqlite"
    tasks = make_tasks([SCENARIOS / "baseline.yaml"], [{"run.scale": 0.02}], replicates=40)
    with ResultStore(path) as store:
        store._db.execute("PRAGMA journal_mode=DELETE")
        for task in tasks:
            store.put(task, RunRecord(end={"x": {"zone": 1.0}, "y": {"zone": 2.0}}))
    data = bytearray(path.read_bytes())
    middle = len(data) // 2 // 4096 * 4096
    data[middle + 100:middle + 4000] = b"\xff" * 3900  # a page in the middle, not the header
    path.write_bytes(bytes(data))
    err = refused(["store", "list", "--store", str(path)], status=1)
    assert str(path) in err and "damaged" in err


def test_prune_waits_for_a_running_batch(tmp_path):
    """A process holding the store (a comparison between its runs and its report) keeps prune out."""
    import subprocess
    import sys
    import time

    from innosim.batch import ResultStore

    path = tmp_path / "s.sqlite"
    ResultStore(path).close()
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from innosim.batch import ResultStore; s = ResultStore(sys.argv[1]).hold(); "
        "print('held', flush=True); time.sleep(3)"), str(path)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "innosim", "store", "prune", "--all", "--store", str(path)],
                            capture_output=True, text=True, timeout=60)
    holder.wait(timeout=30)
    assert result.returncode == 0, result.stderr
    assert "waiting" in result.stderr and time.perf_counter() - started > 1.0


def test_runs_finished_while_the_store_is_locked_are_kept(tmp_path, monkeypatch):
    import sqlite3

    from innosim.batch import ResultStore, StoreError, make_tasks, run_batch, store as store_module
    from innosim.batch.storefile import pending_folder

    monkeypatch.setattr(store_module, "LOCK_WAIT", 0.2)
    path = tmp_path / "s.sqlite"
    ResultStore(path).close()
    tasks = make_tasks([SCENARIOS / "baseline.yaml"], [{"run.scale": 0.02}], replicates=2, months=2)
    other = sqlite3.connect(path, isolation_level=None)  # another program writing to it
    other.execute("BEGIN IMMEDIATE")
    with pytest.raises(StoreError) as caught:
        run_batch(tasks, path, jobs=1)
    assert str(path) in str(caught.value) and "2 finished runs are kept" in str(caught.value)
    assert len(list(pending_folder(path).glob("*.json"))) == 2
    other.execute("ROLLBACK")
    other.close()
    with ResultStore(path) as store:  # the next open adds them
        assert store.missing(tasks) == [] and not pending_folder(path).exists()
