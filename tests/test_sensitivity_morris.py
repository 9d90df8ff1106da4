"""Morris effects of switches and choices, the sigma-against-noise verdict and same-scenario pairs,
on a function whose answer is known (tests/functions.py: y = 3 switch + x + REGIME[regime] + 0 idle)."""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import pytest
from SALib.analyze import morris as salib_morris
from SALib.sample import morris as salib_sample

from innosim.analysis.sensitivity import morris
from innosim.analysis.sensitivity.checks import design_pairs, noise_share
from innosim.analysis.sensitivity.experiment import Output
from innosim.analysis.sensitivity.indices import analyse_output, draw_sample, replicate_matrix
from innosim.analysis.sensitivity.study import evaluate
from innosim.batch import ResultStore
from tests.functions import REGIME, TOY, toy, toy_point, toy_run, toy_tasks

Y = [Output("y", "y.zone", (("y", "zone"),))]


def exact(X: np.ndarray) -> np.ndarray:
    return np.array([toy(*(v for _, v in sorted(dict(toy_point(r)).items(), key=lambda kv: TOY["names"].index(kv[0]))))
                     for r in X])


def test_a_switch_effect_is_its_on_off_effect_and_a_number_its_change_over_the_range():
    X = morris.sample(TOY, 30, seed=1)
    table = morris.indices(TOY, X, exact(X), resamples=0)
    assert table.at["switch", "mu_star"] == pytest.approx(3.0) and table.at["switch", "mu"] == pytest.approx(3.0)
    assert table.at["switch", "sigma"] == pytest.approx(0.0, abs=1e-12)
    assert table.at["x", "mu_star"] == pytest.approx(1.0) and table.at["idle", "mu_star"] == 0.0
    # SALib alone divides the switch's step by the grid's Delta = 2/3 too: 1.5 times its on/off effect
    plain = {k: v for k, v in TOY.items() if k != "options"}
    Xs = salib_sample.sample(plain, 30, num_levels=4, seed=1)
    ys = 3.0 * (Xs[:, 0] >= 0.5) + Xs[:, 1]
    assert salib_morris.analyze(plain, Xs, ys, num_levels=4)["mu_star"][0] == pytest.approx(4.5)


def test_a_choice_compares_every_pair_of_its_options():
    X = morris.sample(TOY, 60, seed=2)
    table = morris.indices(TOY, X, exact(X), resamples=0)
    codes = morris.codes(TOY, X).reshape(60, 5, 4)[:, :, 2]
    visited = [(int(t[0]), int(t[-1])) for t in codes]
    assert all(a != b for a, b in visited), "every step moves to another option"
    assert {tuple(sorted(p)) for p in visited} == set(combinations(range(4), 2)), "every pair is compared"
    # the effect of a step is y(later option) - y(earlier option), in the order the options are listed
    steps = [REGIME[max(a, b)] - REGIME[min(a, b)] for a, b in visited]
    assert table.at["regime", "mu_star"] == pytest.approx(np.mean(np.abs(steps)))
    assert table.at["regime", "mu"] == pytest.approx(np.mean(steps))


def study_output(tmp_path, method: str, n: int, replicates: int, noise: float, *, seed: int = 5, ids=True,
                 coarse_idle: bool = False):
    X = draw_sample(TOY, method, n, seed=seed)
    tasks, rows, scenario = toy_tasks(X, replicates, root_seed=seed, noise=noise, coarse_idle=coarse_idle)
    with ResultStore(tmp_path / "toy.sqlite") as store:
        runs, _ = evaluate(tasks, rows, store, Y, run_fn=toy_run, jobs=1, progress=False)
    matrix = replicate_matrix(runs, "y", len(X), replicates)
    return analyse_output(method, TOY, X, matrix, "y", n=n, seed=seed, resamples=200,
                          ids=scenario if ids else np.arange(len(X))), X, matrix, scenario


def test_noise_alone_is_not_called_non_linear_or_interacting(tmp_path):
    """A factor that does nothing has sigma / mu* = sqrt(pi / 2) = 1.25 from noise alone: the old rule
    (sigma > mu*) called it interacting; sigma is now judged against the sigma of noise. The regime's
    effects do differ between pairs of options (1, 4, 2, 3, ...): that is found."""
    result, *_ = study_output(tmp_path, "morris", 40, 3, noise=0.5)
    t = result.indices
    assert 0.9 < t.at["idle", "sigma"] / t.at["idle", "mu_star"] < 1.7
    assert t.at["idle", "sigma"] == pytest.approx(t.at["idle", "sigma_noise"], rel=0.35)
    assert not t.loc[["switch", "x", "idle"], "interacting"].any(), t[["sigma", "sigma_noise", "sigma_p"]]
    assert t.at["regime", "interacting"]
    assert not t.at["idle", "above_noise"] and t.at["switch", "above_noise"]
    assert t.at["switch", "mu_star"] == pytest.approx(3.0, abs=0.3)
    # the expected noise of an effect: independent noise of sd 0.5 at both points, 3 replicates averaged
    assert result.noise["pair_var"] == pytest.approx(2 * 0.25 / 3, rel=0.25)
    assert t.at["x", "sigma_noise"] == pytest.approx(math.sqrt(2 * 0.25 / 3) * 1.5, rel=0.15)


def test_interactions_above_noise_are_still_found(tmp_path):
    from tests.test_sensitivity import ishigami_study

    table = ishigami_study(tmp_path, "morris", n=30, replicates=2).results["y"].indices
    assert table.at["x3", "interacting"] and table.at["x1", "interacting"]


def test_same_scenario_sobol_pairs_no_longer_lower_the_noise_floor(tmp_path):
    """Half the Sobol' pairs of a switch are one scenario (A and B pick the same option): they share
    their runs, so their difference has no noise. Counted, they pulled the floor down."""
    result, X, matrix, _ = study_output(tmp_path, "sobol", 64, 3, noise=0.5)
    expected = 2 * 0.25 / 3
    assert result.noise["pair_var"] == pytest.approx(expected, rel=0.2)
    counted = noise_share(matrix, design_pairs(TOY, "sobol", len(X)))["pair_var"]  # every pair, as before
    assert counted < 0.85 * result.noise["pair_var"]
    floors = result.indices["noise_floor"]
    assert floors["switch"] == pytest.approx(0.5 * floors["x"], abs=0.15 * floors["x"])  # half its pairs differ
    assert floors["x"] == pytest.approx(0.5 * expected / np.var(matrix.mean(axis=1)), rel=0.2)


def test_morris_steps_that_leave_the_scenario_unchanged_are_left_out(tmp_path):
    fine, *_ = study_output(tmp_path / "a", "morris", 40, 3, noise=0.5)
    coarse, X, matrix, scenario = study_output(tmp_path / "b", "morris", 40, 3, noise=0.5, coarse_idle=True)
    same = np.diff(scenario.reshape(40, 5), axis=1) == 0
    assert same.sum() > 5, "some of idle's steps leave the scenario as it was"
    assert coarse.indices.at["idle", "effects"] == 40 - same.sum()
    assert coarse.noise["pair_var"] == pytest.approx(fine.noise["pair_var"], rel=0.3)
    old = analyse_output("morris", TOY, X, matrix, "y", n=40, resamples=0, ids=np.arange(len(X)))
    assert old.noise["pair_var"] < coarse.noise["pair_var"]
