"""`innosim optimise`: the package search recovers the known front of a small analytic problem through
the same code path as the model's (tasks, the batch engine, the results store, pymoo's NSGA-II), gives
the same front with one worker, two and Dask, and the shipped experiment is valid."""

from __future__ import annotations

import numpy as np
import pytest

from innosim.analysis.optimise import load_optimise, search
from innosim.batch import run_batch
from innosim.scenario import ScenarioError

from .conftest import ROOT, SCENARIOS, needs_shipped_ensemble
from .functions import package_run, package_tasks

ANALYTIC = f"""\
name: analytic
base: {(SCENARIOS / "baseline.yaml").as_posix()}
scale: 1.0
seeds: 2
county: jiashan
dials:
  a: {{label: voucher budget, set: {{policy.vouchers.budget: [18.0]}}}}
  b: {{label: incubator places, set: {{policy.incubation.capacity: [140.0]}}}}
budget: 10
cost: public_cost.jiashan
objectives:
  hnte: {{output: hnte_stock.jiashan, sense: max}}
  cost: {{output: public_cost.jiashan, sense: min}}
algorithm: {{population: 16, generations: GENERATIONS, seed: 3}}
"""


def analytic(tmp_path, generations: int):
    path = tmp_path / "analytic.yaml"
    path.write_text(ANALYTIC.replace("GENERATIONS", str(generations)), encoding="utf-8")
    return load_optimise(path)


def runner(store, **options):
    return lambda tasks, label: run_batch(tasks, store, progress=False, run_fn=package_run, **options)


def test_the_search_recovers_the_known_front_and_optimum_of_an_analytic_problem(tmp_path):
    o = analytic(tmp_path, 40)
    result = search(o, runner(tmp_path / "runs.sqlite", jobs=1), make=package_tasks(o.spec.seeds))
    front = result.front
    assert (front["extra_cost"] <= 10.0 + 1e-9).all()                    # the budget holds
    best = front.loc[front["hnte"].idxmax()]
    assert best["hnte"] == pytest.approx(3.0, abs=0.1)                    # u = 1, v = 0: +3 HNTEs
    assert best["a"] == pytest.approx(1.0, abs=0.03) and best["b"] <= 0.03
    # along the front, only the better dial is used: +0.3 HNTEs per M CNY
    np.testing.assert_allclose(front["hnte"], 0.3 * front["extra_cost"], atol=0.1)
    hypervolume = result.convergence["hypervolume"].to_numpy()
    assert (np.diff(hypervolume) >= -1e-12).all() and hypervolume[-1] > hypervolume[0]


def test_a_rerun_of_the_search_comes_from_the_store(tmp_path):
    o = analytic(tmp_path, 3)
    counted = []

    def run(tasks, label):
        store = run_batch(tasks, tmp_path / "runs.sqlite", jobs=1, progress=False, run_fn=package_run)
        counted.append(store.last_batch["ran"])
        return store

    first = search(o, run, make=package_tasks(o.spec.seeds))
    ran = sum(counted)
    counted.clear()
    again = search(o, run, make=package_tasks(o.spec.seeds))
    assert ran > 0 and sum(counted) == 0                                  # the same packages, all stored
    assert first.front.equals(again.front)


def test_the_front_is_the_same_with_one_worker_two_and_dask(tmp_path):
    distributed = pytest.importorskip("distributed")
    o = analytic(tmp_path, 4)
    make = package_tasks(o.spec.seeds)
    one = search(o, runner(tmp_path / "one.sqlite", jobs=1), make=make).front
    two = search(o, runner(tmp_path / "two.sqlite", jobs=2), make=make).front
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster:
        dask = search(o, runner(tmp_path / "dask.sqlite", scheduler=cluster.scheduler_address), make=make).front
    assert not one.empty and one.equals(two) and one.equals(dask)


@pytest.mark.parametrize(("old", "new", "key", "reason"), [
    ("budget: 10", "budget: -1", "budget", "must be at least 0 (got -1)"),
    ("county: jiashan", "county: suzhou", "county", "must be 'qingpu', 'wujiang' or 'jiashan' (got 'suzhou')"),
    ("  b: {label", "  b: {colour: red, label", "dials.b.colour", "unknown key"),
])
def test_a_bad_optimisation_file_is_refused_with_the_key(tmp_path, old, new, key, reason):
    path = tmp_path / "bad.yaml"
    path.write_text(ANALYTIC.replace("GENERATIONS", "2").replace(old, new), encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_optimise(path)
    assert err.value.key.startswith(key) and reason in err.value.reason


@needs_shipped_ensemble
def test_the_shipped_optimisation_is_valid_and_asks_for_jiashans_budget_plus_20():
    o = load_optimise(ROOT / "experiments" / "optimise.yaml")
    assert o.spec.county == "jiashan" and o.spec.budget == 20 and len(o.members) >= 3
    assert {d.name for d in o.dials} >= {"vouchers", "hnte_rewards", "rd_subsidy", "cultivation"}
