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


# ---------------------------------------------------------------- no legal value overflows
def _maxima() -> dict[str, float]:
    """Each numeric setting at its schema's maximum, a county's or a place's at once in all of them."""
    import re

    from innosim.scenario.catalogue import numeric_bounds

    found = {}
    for key, bound in numeric_bounds().items():
        key = re.sub(r"^places\.(qingpu|wujiang|jiashan|shanghai)\.", "places.*.", key)
        key = re.sub(r"\.(qingpu|wujiang|jiashan)$", "", key)
        top = bound["le"] if "le" in bound else bound["lt"] * (1 - 1e-6) if bound["lt"] else -1e-9
        found[key] = int(top) if bound.get("whole") else float(top)
    return found


def _nested(key: str, value) -> dict:
    from innosim.scenario import PLACES

    if key.startswith("places.*."):
        return {"places": {p: {key.rsplit(".", 1)[1]: value} for p in PLACES}}
    data: dict = {}
    node = data
    *parents, leaf = key.split(".")
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = value
    return data


#: Two months from December: the year's close and the next year's start run too.
SHORT = {"run": {"scale": 0.01, "months": 2, "start": "2019-12"}}


def test_every_numeric_setting_is_bounded_and_1e300_is_refused_by_key():
    from innosim.scenario import ScenarioError, deep_merge, validate_data

    maxima = _maxima()
    assert len(maxima) > 100
    for key in maxima:
        for value in (1e300, -1e300):
            with pytest.raises(ScenarioError) as caught:
                validate_data(deep_merge(SHORT, _nested(key, value)), "<test>")
            assert key.rsplit(".", 1)[-1] in str(caught.value), (key, str(caught.value)[:200])


def _quick_run(scenario):
    """The months of `simulate` and its money checks, without its (slower) end values: the monthly table."""
    import numpy as np

    from innosim.model import InnoModel
    from innosim.model.indicators import tidy

    model = InnoModel(scenario, rng=np.random.default_rng(1))
    model.ledger.check(0)
    for month in range(scenario.run.months):
        model.step()
        model.ledger.check(month + 1)
    return tidy(model.datacollector.model_vars["indicators"][1:], model.month_labels)


def _finite_or_stopped(key: str, scenario) -> None:
    """The run finishes with finite numbers (NaN only for a share or index with nothing to divide), or
    stops with a MechanismError or MoneyError naming the month and the setting."""
    import numpy as np

    from innosim.errors import MechanismError
    from innosim.guard import check_finite, guarded
    from innosim.model import INDICATORS
    from innosim.model.ledger import MoneyError

    ratios = {i.name for i in INDICATORS if i.unit in ("share", "index")}
    try:
        table = guarded(scenario, lambda: _quick_run(scenario))
        check_finite(table, scenario)
    except (MechanismError, MoneyError) as exc:
        assert "month" in str(exc) and key.rsplit(".", 1)[-1] in str(exc), (key, str(exc))
        return
    values = table["value"].to_numpy(dtype=float)
    assert set(table.loc[np.isnan(values), "indicator"]) <= ratios, key


def test_every_setting_at_its_maximum_runs_or_stops_in_one_line():
    import warnings

    from innosim.scenario import ScenarioError, deep_merge, validate_data

    refused_keys = []
    for key, value in _maxima().items():
        if key.startswith("run."):
            continue
        try:
            scenario = validate_data(deep_merge(SHORT, _nested(key, value)), "<test>")
        except ScenarioError:  # e.g. alpha at its maximum breaks alpha + beta <= 1: refused, exit 2
            refused_keys.append(key)
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            _finite_or_stopped(key, scenario)
    assert len(refused_keys) < 5, refused_keys


def test_the_guard_names_month_mechanism_and_setting(monkeypatch):
    """A mechanism that still fails (numpy refusing a size) stops the run in one line."""
    from innosim.errors import MechanismError
    from innosim.guard import guarded_simulate
    from innosim.model import economy
    from innosim.scenario import deep_merge, validate_data

    def innovate(model):
        raise ValueError("negative dimensions are not allowed")

    monkeypatch.setattr(economy, "innovate", innovate)
    scenario = validate_data(deep_merge(SHORT, {"behaviour": {"innovation_theta": 9.0}}), "<test>")
    with pytest.raises(MechanismError) as caught:
        guarded_simulate(scenario, seed=1)
    text = str(caught.value)
    assert text.startswith("month 2019-12, ") and "innovate: ValueError: negative dimensions" in text
    assert "behaviour.innovation_theta = 9" in text


EXTREME = ("places.qingpu.staff_wage", "places.qingpu.rent", "policy.talent_programmes", "policy.incubation.capacity",
           "behaviour.innovation_theta")


@pytest.mark.parametrize("key", EXTREME)
def test_settings_that_once_crashed_the_process_are_refused_at_1e300(key):
    err = refused(["run", str(SCENARIOS / "baseline.yaml"), *TINY, "--set", f"{key}=1e300"])
    assert key in err


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_those_settings_at_their_maxima_run_in_a_batch(tmp_path, jobs):
    maxima = _maxima()
    overrides = {key: maxima[key.replace("places.qingpu.", "places.*.")] for key in EXTREME}
    spec = tmp_path / "extreme.yaml"
    spec.write_text(f"name: extreme\nscenario: {SCENARIOS / 'baseline.yaml'}\nreplicates: 2\nmonths: 2\n"
                    f"overrides: {{run.scale: 0.01, run.start: '2019-12', "
                    + ", ".join(f"{k}: {v}" for k, v in overrides.items()) + "}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["batch", str(spec), "-j", jobs, "--out", str(tmp_path / "o"),
                                       "--store", str(tmp_path / "s.sqlite")])
    assert "Traceback" not in result.output
    if result.exit_code:
        assert result.exit_code == 1 and result.stderr.count("\n") == 1 and "run failed" in result.stderr
    else:
        assert (tmp_path / "o" / "results.csv").is_file()


# ---------------------------------------------------------------- sizes bounded where they are read
def test_jobs_beyond_the_cores_are_refused_without_a_scheduler(tmp_path):
    err = refused(["compare", str(SCENARIOS / "baseline.yaml"), str(SCENARIOS / "full_integration.yaml"), "-r", "2",
                   *TINY, "-j", "100000", "--out", str(tmp_path / "o")])
    assert "--jobs" in err and "cores" in err and not (tmp_path / "o").exists()


def test_replicates_are_counted_before_tasks_are_made(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    err = refused(["compare", str(SCENARIOS / "baseline.yaml"), str(SCENARIOS / "full_integration.yaml"),
                   "-r", "9000", "--scale", "0.02", "--max-runs", "1000"], seconds=3)
    assert "18,000 runs" in err and "--max-runs 18000" in err
    result = CliRunner().invoke(main, ["compare", str(SCENARIOS / "baseline.yaml"), str(SCENARIOS / "baseline.yaml"),
                                       "-r", str(10**12)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("args", [["--months", "1000000"], ["--scale", "5e-324"], ["--seed", str(2**64)]])
def test_run_refuses_sizes_beyond_the_schema(tmp_path, args):
    result = CliRunner().invoke(main, ["run", str(SCENARIOS / "baseline.yaml"), *args, "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert not (tmp_path / "o").exists()


def test_a_file_of_many_unknown_keys_gives_a_short_list(tmp_path):
    file = tmp_path / "keys.yaml"
    file.write_text("".join(f"k{i}: 1\n" for i in range(500)), encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(file)])
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) <= 22 and "and 480 more" in result.stderr


# ---------------------------------------------------------------- smaller items of issue 19
PATHS = Path(__file__).parent / "hostile" / "paths"


def test_the_hostile_names_write_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    err = refused(["run", str(PATHS / "scenario_name_escapes.yaml"), *TINY])
    assert "scenario_name_escapes.yaml:3: name" in err  # with the line of its key
    err = refused(["batch", str(PATHS / "sweep_named_dotdot.yaml")])
    assert "sweep_named_dotdot.yaml:2: name" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("value, words", [
    ("x" * 100_000, "100,000 characters"),
    ("!!python/object:os.system x", "tags are not allowed"),
    ("&a {x: 1}", "anchors and aliases are not allowed"),
    ("[" * 5000 + "]" * 5000, "nested too deeply"),
    ("2e5", "write 2.0e+5"),
])
def test_set_values_are_read_as_files_are(value, words):
    err = refused(["run", str(SCENARIOS / "baseline.yaml"), *TINY, "--set", f"policy.vouchers.budget.jiashan={value}"])
    assert err.startswith("error: --set: policy.vouchers.budget.jiashan") and words in err and len(err) < 400


def test_a_bad_set_key_is_blamed_on_the_command_line():
    err = refused(["run", str(SCENARIOS / "baseline.yaml"), *TINY, "--set", "policy.vouchers.scope.jiashan.x=1"])
    assert err.startswith("error: --set: ") and "baseline.yaml" not in err


def test_a_float_hint_that_yaml_reads_as_a_number():
    import yaml

    from innosim.yamlsafe import float_hint

    for text in ("2e5", "6e-3", "1E+4"):
        written = float_hint(text).rsplit("write ", 1)[1]
        assert isinstance(yaml.safe_load(written), float), written


def test_a_mutation_scipy_refuses_is_refused_before_runs_sqlite(tmp_path):
    out = tmp_path / "o"
    err = refused(["calibrate", str(Path(__file__).parents[1] / "calibration" / "targets.yaml"), "--parameters",
                   str(Path(__file__).parent / "hostile" / "parameters_mutation_out_of_range.yaml"),
                   "--out", str(out), "--write-to", str(out)])
    assert "search.mutation" in err and not out.exists()


def test_a_full_disk_while_writing_a_report_names_the_file(tmp_path):
    import errno

    from innosim.cli.errors import one_line
    from innosim.io import write_atomic

    def writer(path):
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError) as caught:
        write_atomic(tmp_path / "report.md", writer)
    message, status = one_line(caught.value)
    assert status == 1 and message.startswith(f"{tmp_path / 'report.md'}: No space left on device; free some space")
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("args", [["--set", "run=5", "--scale", "0.02"], ["--set", "run=5", "--set", "run.months=2"]])
def test_a_section_set_to_a_value_beside_one_of_its_keys_is_refused(tmp_path, args):
    """`--set run=5` beside `--scale` once ran: the inner key silently replaced the section."""
    result = CliRunner().invoke(main, ["run", str(SCENARIOS / "baseline.yaml"), *args, "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "run: is a section of settings" in result.output
    assert not (tmp_path / "o").exists()
