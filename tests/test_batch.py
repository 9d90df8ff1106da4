"""The batch engine: seeds, task keys, the results store, resuming, workers and Dask give the same numbers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from innosim.batch import (
    BatchError,
    ResultStore,
    RunRecord,
    Task,
    derive_seeds,
    make_tasks,
    run_batch,
    run_task,
)
from innosim.model import INDICATORS, REGIONS
from innosim.scenario import Scenario, ScenarioError

from .conftest import SCENARIOS

SMALL = [{"run.scale": 0.04}]
MONTHS = 12
CALLS: list[str] = []


def counting_run(task: Task) -> RunRecord:
    """`run_task` that notes which tasks it ran (in-process batches only)."""
    CALLS.append(task.key)
    return run_task(task)


def toy_run(task: Task) -> dict:
    """A run function that is not the model: end values from the overrides (the sensitivity tests' way)."""
    x = dict(task.overrides)["x"]
    return {"y": {"zone": x * 2 + np.random.default_rng(task.seed).normal()}}


def small_tasks(files=("baseline.yaml", "full_integration.yaml"), replicates=2, run_fn=None):
    return make_tasks([SCENARIOS / f for f in files], SMALL, replicates=replicates, root_seed=7, months=MONTHS,
                      run_fn=run_fn)


def assert_same_results(a: ResultStore, b: ResultStore, tasks) -> None:
    pd.testing.assert_frame_equal(a.end_values(tasks), b.end_values(tasks))
    pd.testing.assert_frame_equal(a.timeseries(tasks), b.timeseries(tasks))
    np.testing.assert_array_equal(a.relocations(tasks), b.relocations(tasks))


def test_seeds_come_from_one_root_and_keep_their_place():
    seeds = derive_seeds(3, 5)
    assert seeds == derive_seeds(3, 5) and seeds[:3] == derive_seeds(3, 3)
    assert len(set(seeds)) == 5 and all(0 <= s < 2**63 for s in seeds)
    assert derive_seeds(4, 5) != seeds


def test_replicate_seeds_are_shared_across_scenarios_and_points():
    tasks = make_tasks([SCENARIOS / "baseline.yaml", SCENARIOS / "full_integration.yaml"],
                       [{"run.scale": 0.04}, {"run.scale": 0.05}], replicates=3, root_seed=1)
    assert len(tasks) == 12
    by_replicate = {}
    for task in tasks:
        by_replicate.setdefault(task.replicate, set()).add(task.seed)
    assert all(len(seeds) == 1 for seeds in by_replicate.values())
    assert len({t.key for t in tasks}) == 12


def test_task_key_follows_what_decides_the_numbers():
    base = Task("a.yaml", Scenario(), (("x", 1.0),), 0, 5)
    assert base.key == Task("elsewhere.yaml", Scenario(), (("x", np.float64(1.0)),), 3, 5).key
    changed = [Task("a.yaml", Scenario(name="other"), (("x", 1.0),), 0, 5),
               Task("a.yaml", Scenario(), (("x", 2.0),), 0, 5),
               Task("a.yaml", Scenario(), (("x", 1.0),), 0, 6),
               Task("a.yaml", Scenario(), (("x", 1.0),), 0, 5, months=12),
               Task("a.yaml", Scenario(), (("x", 1.0),), 0, 5, run_fn="pkg.other_run")]
    assert len({base.key, *(t.key for t in changed)}) == 6


def test_a_bad_file_among_several_stops_make_tasks_naming_it(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"extends: {SCENARIOS / 'baseline.yaml'}\npolicy:\n  vouchers:\n    scope: everywhere\n")
    with pytest.raises(ScenarioError) as info:
        make_tasks([SCENARIOS / "baseline.yaml", bad, SCENARIOS / "full_integration.yaml"])
    assert info.value.file.endswith("bad.yaml") and info.value.key == "policy.vouchers.scope"


def test_store_tables_have_the_agreed_columns(tmp_path):
    tasks = small_tasks(replicates=1)
    store = run_batch(tasks, tmp_path / "r.sqlite", jobs=1)
    end = store.end_values(tasks)
    assert list(end.columns) == ["key", "scenario", "scenario_file", "overrides", "replicate", "seed",
                                 "indicator", "region", "value"]
    assert end.groupby("key").size().tolist() == [len(INDICATORS) * len(REGIONS)] * 2
    assert end["overrides"].iloc[0] == '{"run.scale":0.04}'
    ts = store.timeseries(tasks, indicators=["firms"], regions=["zone"])
    assert list(ts.columns[-5:]) == ["month", "date", "region", "indicator", "value"] and len(ts) == 2 * MONTHS
    assert store.relocations(tasks).shape == (2, 2, 4, 4)
    assert len(store) == 2 and store.has(tasks[0].key) and store.missing(tasks) == []
    with pytest.raises(KeyError):
        store.relocations(small_tasks(files=("incubation.yaml",), replicates=1))


def test_a_run_leaves_no_model_behind():
    import mesa

    ids = getattr(mesa.Agent, "_ids", {})  # Mesa 3.3 keeps every model here unless told otherwise
    before = len(ids)
    run_task(small_tasks(replicates=1)[0])
    assert len(ids) == before


def test_jobs_1_and_jobs_2_give_identical_results(tmp_path):
    tasks = small_tasks()
    one = run_batch(tasks, tmp_path / "one.sqlite", jobs=1, progress=False)
    two = run_batch(tasks, tmp_path / "two.sqlite", jobs=2, progress=False)
    assert one.last_batch["ran"] == two.last_batch["ran"] == 4
    assert_same_results(one, two, tasks)


def test_rerun_runs_only_what_is_missing(tmp_path):
    tasks = small_tasks(run_fn=counting_run)
    CALLS.clear()
    run_batch(tasks[:3], tmp_path / "r.sqlite", jobs=1, run_fn=counting_run)
    store = run_batch(tasks, tmp_path / "r.sqlite", jobs=1, run_fn=counting_run)
    assert CALLS == [t.key for t in tasks]  # each task ran once, over the two calls
    assert store.last_batch == {**store.last_batch, "tasks": 4, "stored_before": 3, "ran": 1}
    assert len(store.runs()) == 4


def test_a_changed_scenario_file_reruns_only_its_own_runs(tmp_path):
    for name in ("a", "b"):
        (tmp_path / f"{name}.yaml").write_text(f"extends: {SCENARIOS / 'baseline.yaml'}\nname: {name}\n")
    files = [tmp_path / "a.yaml", tmp_path / "b.yaml"]
    CALLS.clear()
    run_batch(make_tasks(files, SMALL, replicates=2, months=MONTHS, run_fn=counting_run), tmp_path / "r.sqlite",
              jobs=1, run_fn=counting_run)
    (tmp_path / "b.yaml").write_text(f"extends: {SCENARIOS / 'baseline.yaml'}\nname: b\n"
                                     "policy:\n  brokers:\n    cross_county_reach: 0.4\n")
    tasks = make_tasks(files, SMALL, replicates=2, months=MONTHS, run_fn=counting_run)
    CALLS.clear()
    store = run_batch(tasks, tmp_path / "r.sqlite", jobs=1, run_fn=counting_run)
    assert CALLS == [t.key for t in tasks if t.scenario.name == "b"]
    assert store.end_values(tasks)["key"].nunique() == 4


def test_dask_local_cluster_gives_the_local_results(tmp_path):
    distributed = pytest.importorskip("distributed")
    tasks = small_tasks(files=("full_integration.yaml",))
    local = run_batch(tasks, tmp_path / "local.sqlite", jobs=1)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster:
        remote = run_batch(tasks, tmp_path / "dask.sqlite", scheduler=cluster.scheduler_address)
    assert remote.last_batch["ran"] == 2
    assert_same_results(local, remote, tasks)


def test_run_functions_are_not_mixed_in_one_store(tmp_path):
    tasks = [Task("", Scenario(), (("x", float(x)),), r, s) for x in (1, 2)
             for r, s in enumerate(derive_seeds(0, 2))]
    store = run_batch(tasks, tmp_path / "toy.sqlite", jobs=1, run_fn=toy_run)
    table = store.end_values(tasks)
    assert table["indicator"].tolist() == ["y"] * 4 and table["value"].notna().all()
    with pytest.raises(BatchError, match="already holds"):
        run_batch(tasks, store, jobs=1, run_fn=run_task)
    with pytest.raises(BatchError, match="made for run function"):
        run_batch(small_tasks(run_fn=counting_run), tmp_path / "other.sqlite", jobs=1, run_fn=toy_run)


def broken_run(task: Task) -> RunRecord:
    if task.replicate == 1:
        raise RuntimeError("boom")
    return run_task(task)


def test_a_failing_run_stops_the_batch_and_keeps_finished_runs(tmp_path):
    tasks = small_tasks(files=("baseline.yaml",), run_fn=broken_run)
    with pytest.raises(BatchError, match="replicate 1.*boom"):
        run_batch(tasks, tmp_path / "r.sqlite", jobs=1, run_fn=broken_run)
    store = ResultStore(tmp_path / "r.sqlite")
    assert store.has(tasks[0].key) and not store.has(tasks[1].key)


def test_a_change_to_the_model_code_changes_every_key(monkeypatch):
    import dataclasses

    from innosim.batch import tasks as tasks_module

    task = make_tasks([SCENARIOS / "baseline.yaml"], [{"run.scale": 0.02}], replicates=1)[0]
    before = task.key
    monkeypatch.setattr(tasks_module, "model_code_hash", lambda: "changed-model")
    assert dataclasses.replace(task).key != before


def test_the_model_code_hash_covers_the_catalogue(monkeypatch, tmp_path):
    """A place's fact or a lever's rule lives in the catalogue: editing it must invalidate stored runs."""
    import shutil

    import innosim.catalogue
    from innosim.batch import tasks as tasks_module

    before = tasks_module.model_code_hash()
    copy = tmp_path / "catalogue"
    shutil.copytree(Path(innosim.catalogue.__file__).parent, copy)
    monkeypatch.setattr(innosim.catalogue, "__file__", str(copy / "__init__.py"))
    tasks_module.model_code_hash.cache_clear()
    try:
        assert tasks_module.model_code_hash() == before  # the same files: the same hash
        places = copy / "places.py"
        places.write_text(places.read_text() + "\n# an edited fact\n")
        tasks_module.model_code_hash.cache_clear()
        assert tasks_module.model_code_hash() != before
    finally:
        tasks_module.model_code_hash.cache_clear()
