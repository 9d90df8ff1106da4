"""`innosim batch SPEC.yaml`: spec validation, tidy tables, and a batch killed with SIGKILL then resumed."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time

import pandas as pd
import pytest
from click.testing import CliRunner

from innosim.batch import ResultStore, load_spec, run_batch, spec_tasks
from innosim.cli import main
from innosim.model import INDICATORS, REGIONS

from .conftest import ROOT, SCENARIOS

PER_RUN = len(INDICATORS) * len(REGIONS)


def write_spec(tmp_path, body: str, name: str = "spec.yaml"):
    path = tmp_path / name
    path.write_text(f"scenario: {SCENARIOS / 'baseline.yaml'}\n" + body, encoding="utf-8")
    return path


SWEEP = """name: sweep
replicates: 2
seed: 3
months: 12
overrides: {run.scale: 0.04}
grid:
  policy.vouchers.scope: [own_county, zone_shanghai]
points:
  - {policy.brokers.cross_county_reach: 0.6}
"""


def cli(*args, **kwargs):
    """The command in a fresh process, as a planner runs it."""
    return subprocess.run([sys.executable, "-m", "innosim", *map(str, args)], capture_output=True, text=True,
                          check=False, **kwargs)


def invoke(*args):
    """The command in this process (faster)."""
    return CliRunner().invoke(main, [str(a) for a in args])


def stored_runs(path) -> int:
    if not path.exists():
        return 0
    with sqlite3.connect(path, timeout=30) as db:
        try:
            return db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
        except sqlite3.OperationalError:  # tables not created yet
            return 0


@pytest.mark.parametrize(("body", "key", "reason"), [
    ("replicates: 0\n", "replicates", "must be at least 1"),
    ("repetitions: 3\n", "repetitions", "unknown key"),
    ("grid: {policy.vouchers.scope: [own_county, everywhere]}\n", "grid.policy.vouchers.scope", "zone_shanghai"),
    ("grid: {policy.vouchers.scopes: [zone]}\n", "grid.policy.vouchers.scopes", "unknown key"),
    ("overrides: {run.scale: -1}\n", "overrides.run.scale", "must be more than 0"),
    ("points: [{run.months: 0}]\n", "points[0].run.months", "must be at least 1"),
    ("grid: {policy.talent_recognition: []}\n", "grid", "at least one value"),
])
def test_a_bad_spec_is_refused_before_anything_runs(tmp_path, body, key, reason):
    spec = write_spec(tmp_path, body)
    result = invoke("batch", spec, "--out", tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert re.search(re.escape(str(spec)) + r"(:\d+)?: " + re.escape(key), result.stderr), result.stderr
    assert reason in result.stderr
    assert not (tmp_path / "out").exists()


def test_spec_points_are_the_grid_then_the_listed_points(tmp_path):
    spec = load_spec(write_spec(tmp_path, SWEEP))
    assert [p for _, p in spec.point_list()] == [
        {"policy.vouchers.scope": "own_county"}, {"policy.vouchers.scope": "zone_shanghai"},
        {"policy.brokers.cross_county_reach": 0.6}]
    tasks = spec_tasks(spec, tmp_path / "spec.yaml")
    assert len(tasks) == 6 and tasks[0].seed == tasks[2].seed == tasks[4].seed
    assert dict(tasks[0].overrides) == {"policy.vouchers.scope": "own_county", "run.scale": 0.04}


def test_batch_writes_tidy_tables_and_resumes(tmp_path):
    spec = write_spec(tmp_path, SWEEP)
    result = invoke("batch", spec, "--out", tmp_path / "out", "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert "3 points x 2 replicates: 6 runs done, 0 reused" in result.stdout
    results = pd.read_csv(tmp_path / "out" / "results.csv")
    assert list(results.columns) == ["point", "scenario", "policy.vouchers.scope", "policy.brokers.cross_county_reach",
                                     "replicate", "seed", "key", "indicator", "region", "value"]
    assert len(results) == 6 * PER_RUN
    summary = pd.read_csv(tmp_path / "out" / "summary.csv")
    assert set(summary["n"]) == {2} or summary["n"].max() == 2
    assert len(pd.read_csv(tmp_path / "out" / "points.csv")) == 3
    again = invoke("batch", spec, "--out", tmp_path / "out", "--jobs", "1")
    assert "0 runs done, 6 reused" in again.stdout


KILL_SPEC = """name: killed
replicates: 8
seed: 11
months: 24
overrides: {run.scale: 0.05}
grid:
  policy.vouchers.scope: [own_county, zone]
"""


def test_a_batch_killed_with_sigkill_resumes_to_the_same_results(tmp_path):
    spec = write_spec(tmp_path, KILL_SPEC)
    out = tmp_path / "out"
    store_path = out / "results.sqlite"
    process = subprocess.Popen([sys.executable, "-m", "innosim", "batch", str(spec), "--out", str(out),
                                "--store", str(store_path), "--jobs", "2", "--no-progress"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True, cwd=ROOT)
    deadline = time.monotonic() + 120
    try:
        while stored_runs(store_path) < 3 and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)  # the batch and its workers, mid-run
        process.wait()
    killed_at = stored_runs(store_path)
    assert 3 <= killed_at < 16, "the batch was not killed part-way"
    assert not (out / "results.csv").exists()

    proc = cli("batch", spec, "--out", out, "--store", store_path, "--jobs", "2", "--no-progress")
    assert proc.returncode == 0, proc.stderr
    assert f"{16 - killed_at} runs done, {killed_at} reused" in proc.stdout

    tasks = spec_tasks(load_spec(spec), spec)
    with sqlite3.connect(store_path) as db:
        keys = [k for (k,) in db.execute("SELECT key FROM runs")]
        rows = dict(db.execute("SELECT key, COUNT(*) FROM end_values GROUP BY key").fetchall())
    assert sorted(keys) == sorted(t.key for t in tasks)  # exactly the expected runs, each once
    assert set(rows.values()) == {PER_RUN}
    reference = run_batch(tasks, tmp_path / "uninterrupted.sqlite", jobs=1)
    pd.testing.assert_frame_equal(ResultStore(store_path).end_values(tasks), reference.end_values(tasks))
    results = pd.read_csv(out / "results.csv")
    assert len(results) == 16 * PER_RUN


def test_the_example_sweep_validates():
    spec_file = ROOT / "experiments" / "sweep_example.yaml"
    spec = load_spec(spec_file)
    assert len(spec_tasks(spec, spec_file)) == len(spec.point_list()) * spec.replicates
