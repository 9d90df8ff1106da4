"""Nothing leaks: workers end with their parent, however it ends; SIGTERM stops a batch like Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from .conftest import SCENARIOS, small_scenario

linux_only = pytest.mark.skipif(sys.platform != "linux", reason="signals and processes as on Linux")

COMPARE = ["compare", SCENARIOS / "baseline.yaml", SCENARIOS / "full_integration.yaml", "-r", "20",
           "--scale", "0.05", "--months", "120", "-j", "2", "--no-progress"]


#: Generous limits: a fresh venv's first run compiles and caches (fonts, bytecode), and the suite
#: runs two test processes on two cores; a hang still fails, a slow start does not.
START_SECONDS = STOP_SECONDS = 150


def start_batch(tmp_path) -> tuple[subprocess.Popen, list[psutil.Process]]:
    """`innosim compare` in a fresh process, returned once its two workers are running."""
    proc = subprocess.Popen([sys.executable, "-m", "innosim", *map(str, COMPARE), "--out", str(tmp_path / "o")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        family = psutil.Process(proc.pid).children(recursive=True)
        workers = [p for p in family if p.ppid() != proc.pid]  # the forkserver's children
        if len(workers) >= 2:
            return proc, family
        assert proc.poll() is None, proc.stderr.read()
        time.sleep(0.1)
    proc.kill()
    raise AssertionError(f"the workers did not start within {START_SECONDS} s")


def alive(processes: list[psutil.Process]) -> list[psutil.Process]:
    found = []
    for p in processes:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                found.append(p)
        except psutil.NoSuchProcess:
            pass
    return found


def wait_gone(processes: list[psutil.Process], seconds: float) -> list[psutil.Process]:
    deadline = time.monotonic() + seconds
    while alive(processes) and time.monotonic() < deadline:
        time.sleep(0.2)
    return alive(processes)


@linux_only
def test_sigkill_of_the_parent_ends_workers_forkserver_and_resource_tracker(tmp_path):
    proc, family = start_batch(tmp_path)
    names = sorted({" ".join(p.cmdline()[-3:])[:60] for p in family})
    assert len(family) >= 4, names  # forkserver, resource tracker, two workers
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    left = wait_gone(family, 10)
    for p in left:
        p.kill()
    assert not left, f"still alive 10 s after the parent's SIGKILL: {[p.cmdline()[-1][:80] for p in left]}"


@linux_only
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_stop_a_batch_like_ctrl_c(tmp_path, sig):
    proc, family = start_batch(tmp_path)
    proc.send_signal(sig)
    try:
        _, err = proc.communicate(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        proc.kill()                       # leave no batch running behind a failed test
        raise
    left = wait_gone(family, 10)
    for p in left:
        p.kill()
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert not left


# ---------------------------------------------------------------- money
def test_a_run_whose_money_turns_non_finite_stops_naming_month_and_account(tmp_path):
    from click.testing import CliRunner

    from innosim.cli import main
    from innosim.model import simulate
    from innosim.model.ledger import MoneyError

    huge = small_scenario().model_copy(deep=True)
    places = huge.places.model_copy(update={"jiashan": huge.places.jiashan.model_copy(update={"rent": 1.0e308})})
    with pytest.warns(RuntimeWarning), pytest.raises(MoneyError, match=r"month 0: the money in .* is -?inf"):
        simulate(huge.model_copy(update={"places": places}), seed=1, months=3)
    file = tmp_path / "rent.yaml"
    file.write_text(f"extends: {SCENARIOS / 'baseline.yaml'}\nrun: {{scale: 0.02, months: 3}}\n"
                    "places:\n  jiashan: {rent: 1.0e+308}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["run", str(file), "--out", str(tmp_path / "o")])
    # since issue 19 every setting has a physical bound: such a rent is refused before it runs
    assert result.exit_code == 2 and result.stderr.count("\n") == 1, result.output
    assert "rent.yaml:4: places.jiashan.rent: must be at most 1" in result.stderr
    assert not (tmp_path / "o").exists()


def test_the_ledger_check_catches_money_made_from_nothing():
    from .conftest import make_model
    from innosim.model.ledger import MoneyError

    model = make_model()
    model.ledger.check(0)
    model.step()
    model.ledger.check(1)
    model.ledger.accounts["government"][2] += 5.0  # a flow without a payer
    with pytest.raises(MoneyError, match=r"month 2: the money total drifted by 5 M CNY.*government of jiashan"):
        model.ledger.check(2)


def test_a_run_failing_inside_compare_is_one_line(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from innosim.cli import main
    from innosim.model import economy

    def innovate(model):  # what an overflow below the schema's bounds would look like (runs in this process: -j 1)
        raise OverflowError("(34, 'Numerical result out of range')")

    monkeypatch.setattr(economy, "innovate", innovate)
    file = tmp_path / "other.yaml"
    file.write_text(f"extends: {SCENARIOS / 'baseline.yaml'}\nname: other\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["compare", str(SCENARIOS / "baseline.yaml"), str(file), "-r", "2",
                                       "--scale", "0.02", "--months", "2", "-j", "1", "--out", str(tmp_path / "o"),
                                       "--store", str(tmp_path / "s.sqlite")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.count("\n") == 1 and "run failed: " in result.stderr
    assert "MechanismError: month 2019-01, " in result.stderr and "innovate: OverflowError" in result.stderr


# ---------------------------------------------------------------- two processes, one store
def test_a_second_batch_on_a_busy_store_waits_and_reuses_the_runs(tmp_path, capsys):
    import threading

    from innosim.batch import ResultStore, make_tasks, run_batch
    from innosim.batch.tasks import function_name, run_task

    tasks = make_tasks([SCENARIOS / "baseline.yaml"], [{"run.scale": 0.02}], replicates=2, months=3)
    path = tmp_path / "s.sqlite"
    first = ResultStore(path)
    done = {}
    with first.exclusive():  # "the other process" holds the store
        second = threading.Thread(target=lambda: done.update(store=run_batch(tasks, path, jobs=1, progress=False)))
        second.start()
        time.sleep(0.5)
        assert second.is_alive(), "the second batch must wait for the first"
        for task in tasks:  # the first finishes the shared runs meanwhile
            first.put(task, run_task(task), run_fn=function_name(run_task))
    second.join(30)
    assert done["store"].last_batch["ran"] == 0 and done["store"].last_batch["stored_before"] == 2
    assert "waiting: another process" in capsys.readouterr().err
    first.close()


# ---------------------------------------------------------------- leftovers of killed writers
def test_part_files_of_a_killed_writer_are_removed_at_the_next_write(tmp_path):
    from innosim.io import write_text_atomic

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / f".report.md.{dead.pid}.abc123.part").write_text("half", encoding="utf-8")
    (tmp_path / ".report.md.old_style.part").write_text("half", encoding="utf-8")
    alive_writer = tmp_path / f".report.md.{os.getppid()}.xyz.part"  # a writer still running: kept
    alive_writer.write_text("being written", encoding="utf-8")
    other = tmp_path / ".report.md.html.1.q.part"  # not a temporary file of report.md: kept
    other.write_text("x", encoding="utf-8")
    write_text_atomic(tmp_path / "report.md", "done")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([alive_writer.name, other.name, "report.md"])
