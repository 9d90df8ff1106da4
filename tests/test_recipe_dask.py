"""The headline recipe (lever table and robustness stage) runs unchanged on a Dask cluster: `innosim levers --scheduler ADDRESS` gives
the numbers that local worker processes give, run for run (issue 11, point 9)."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from innosim.cli import main

from .test_levers_cmd import TINY, write


def run_levers(path, tmp_path, name: str, *extra: str):
    out = tmp_path / name
    result = CliRunner().invoke(main, ["levers", str(path), "--store", str(tmp_path / f"{name}.sqlite"),
                                       "--out", str(out), "--no-progress", *extra])
    assert result.exit_code == 0, result.output
    return out


def test_the_lever_recipe_on_a_dask_cluster_matches_local_processes(tmp_path):
    distributed = pytest.importorskip("distributed")
    robustness = ("robustness:\n  draws: 3\n  seed: 5\n  uncertainties:\n"
                  "    behaviour.founding_rate: {multiply: [0.7, 1.3]}\n"
                  "    behaviour.shanghai_pull: {multiply: [0.7, 1.3]}\n")
    path = write(tmp_path, TINY.replace("cap: 5", "cap: 3") + robustness)
    local = run_levers(path, tmp_path, "local", "--jobs", "1")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster:
        remote = run_levers(path, tmp_path, "dask", "--scheduler", cluster.scheduler_address)
    for name in ("runs.csv", "effects.csv", "rank_first.csv", "robustness_runs.csv", "robustness.csv"):
        mine, theirs = pd.read_csv(local / name), pd.read_csv(remote / name)
        pd.testing.assert_frame_equal(mine, theirs, check_exact=False, rtol=1e-12)
    assert len(pd.read_csv(local / "runs.csv")) > 0 and len(pd.read_csv(local / "robustness_runs.csv")) > 0
