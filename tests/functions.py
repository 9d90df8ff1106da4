"""The Ishigami function as a stand-in model: it verifies the sensitivity pipeline end to end.

Ishigami & Homma (1990): y = sin x1 + a sin^2 x2 + b x3^4 sin x1, each x uniform on [-pi, pi].
Its Sobol' indices are known in closed form (Saltelli et al. 2008, Global Sensitivity Analysis:
The Primer, section 4.6). The run function adds artificial replicate noise, so the replicate
averaging and the noise report are exercised too; the tasks go through the same `run_batch` and
results store as the model's.
"""

from __future__ import annotations

import hashlib
import math

import numpy as np

from innosim.batch import RunRecord, Task, derive_seeds, function_name
from innosim.scenario import Scenario

A, B = 7.0, 0.1
NOISE_SD = 0.5  #: standard deviation of the replicate noise unless a task says "noise"
PROBLEM = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-math.pi, math.pi]] * 3}


def ishigami(x1: float, x2: float, x3: float, a: float = A, b: float = B) -> float:
    return math.sin(x1) + a * math.sin(x2) ** 2 + b * x3 ** 4 * math.sin(x1)


def analytic_indices(a: float = A, b: float = B) -> dict[str, np.ndarray]:
    """Closed-form first-order (S1) and total (ST) Sobol' indices and the variance V."""
    v1 = 0.5 * (1 + b * math.pi ** 4 / 5) ** 2
    v2 = a ** 2 / 8
    v13 = 8 * b ** 2 * math.pi ** 8 / 225
    v = v1 + v2 + v13
    return {"S1": np.array([v1, v2, 0.0]) / v, "ST": np.array([v1 + v13, v2, v13]) / v, "V": v}


def ishigami_run(task: Task) -> dict | RunRecord:
    """Run function: the point from `task.overrides` (x1, x2, x3), plus noise drawn from the seed.

    The noise generator is seeded by the task's seed *and* the point: with common random numbers
    (one seed per replicate at every point) noise seeded by the seed alone would be the same at
    every point and cancel out of every difference, unlike a stochastic model's.
    """
    point = dict(task.overrides)
    x = [float(point[k]) for k in ("x1", "x2", "x3")]
    digest = hashlib.sha256(repr(x).encode()).digest()
    rng = np.random.default_rng([task.seed, int.from_bytes(digest[:8], "little")])
    y = ishigami(*x) + float(point.get("noise", NOISE_SD)) * rng.standard_normal()
    return RunRecord(end={"y": {"zone": y}})


def ishigami_tasks(X: np.ndarray, replicates: int, root_seed: int = 0,
                   noise: float = NOISE_SD) -> tuple[list[Task], np.ndarray]:
    """One task per sample row and replicate (row-major) with the default Scenario, and each task's row."""
    seeds = derive_seeds(root_seed, replicates)
    scenario = Scenario()
    name = function_name(ishigami_run)
    tasks = [Task("<ishigami>", scenario, (("noise", noise), ("x1", float(r[0])), ("x2", float(r[1])),
                                           ("x3", float(r[2]))), rep, seeds[rep], None, name)
             for r in X for rep in range(replicates)]
    return tasks, np.repeat(np.arange(len(X)), replicates)


# -- a function whose Morris effects are known: a switch, a number and a regime of four options ----
#: y = 3 * switch + x + REGIME[regime] + 0 * idle: the switch's on/off effect is 3, x's effect over
#: its range is 1, the regime's effect between options a and b is REGIME[b] - REGIME[a], idle's 0.
REGIME = (0.0, 1.0, 4.0, 2.0)
TOY = {"num_vars": 4, "names": ["switch", "x", "regime", "idle"], "bounds": [[0.0, 1.0]] * 4,
       "options": [2, 0, len(REGIME), 0]}


def toy_point(row, coarse_idle: bool = False) -> tuple[tuple[str, float], ...]:
    """The scenario a design row stands for: the switch's and the regime's options, not the numbers
    that picked them (so rows of one scenario share their runs, as the model's do). `coarse_idle`:
    idle is read as a whole number, rounded down, so some of its steps leave the scenario unchanged."""
    switch, x, regime, idle = (float(v) for v in row)
    return (("idle", float(math.floor(idle)) if coarse_idle else idle), ("regime", float(min(int(regime * 4), 3))), ("switch", float(switch >= 0.5)),
            ("x", x))


def toy(switch: float, x: float, regime: float, idle: float) -> float:
    return 3.0 * switch + x + REGIME[int(regime)] + 0.0 * idle


def toy_run(task: Task) -> RunRecord:
    """Run function: `toy` at the task's point plus noise of sd `noise`, drawn from the seed and the point."""
    point = dict(task.overrides)
    x = [point[k] for k in ("switch", "x", "regime", "idle")]
    digest = hashlib.sha256(repr(x).encode()).digest()
    rng = np.random.default_rng([task.seed, int.from_bytes(digest[:8], "little")])
    return RunRecord(end={"y": {"zone": toy(*x) + float(point.get("noise", 0.0)) * rng.standard_normal()}})


def toy_tasks(X: np.ndarray, replicates: int, root_seed: int = 0, noise: float = 0.0, coarse_idle: bool = False):
    """Tasks as `ishigami_tasks`, one per row and replicate, with the scenario's identity per row."""
    seeds = derive_seeds(root_seed, replicates)
    scenario, name = Scenario(), function_name(toy_run)
    points = [toy_point(row, coarse_idle) for row in X]
    tasks = [Task("<toy>", scenario, (("noise", noise), *point), rep, seeds[rep], None, name)
             for point in points for rep in range(replicates)]
    index = {p: i for i, p in enumerate(dict.fromkeys(points))}
    return tasks, np.repeat(np.arange(len(X)), replicates), np.array([index[p] for p in points])


# -- Sobol' G-function: eight inputs, two large indices, one small (0.024), one smaller, four nil ----
#: a = (0, 1, 4.5, 9, 99, 99, 99, 99) as in Saltelli et al. (2010), Comput. Phys. Commun. 181, 259-270,
#: and SALib's `test_functions.Sobol_G`, which evaluates it and gives its indices in closed form
G_PROBLEM = {"num_vars": 8, "names": [f"x{i}" for i in range(1, 9)], "bounds": [[0.0, 1.0]] * 8}


def g_indices() -> dict[str, np.ndarray]:
    """Closed-form S1 and ST of the G-function (SALib's)."""
    from SALib.test_functions import Sobol_G

    a = [0, 1, 4.5, 9, 99, 99, 99, 99]
    return {"S1": Sobol_G.sensitivity_index(a), "ST": Sobol_G.total_sensitivity_index(a)}


def g_replicates(X: np.ndarray, replicates: int, noise: float, seed: int = 0) -> np.ndarray:
    """points x replicates: the G-function at each row plus independent noise of sd `noise`."""
    from SALib.test_functions import Sobol_G

    rng = np.random.default_rng([seed, 7])
    return Sobol_G.evaluate(X)[:, None] + noise * rng.standard_normal((len(X), replicates))


# -- a package problem whose front is known: two dials of Jiashan, one three times as good per yuan ------
#: dial a (the voucher budget, 8 -> 18 M CNY) at share u of its range adds 3u HNTEs, dial b (incubator
#: places, 40 -> 140) at share v adds v; each costs 10 M CNY a year at its top. Under a budget of 10 the
#: best package is u = 1, v = 0 (+3 HNTEs), and the front is +0.3 HNTEs per M CNY of a alone.
def package_run(task: Task) -> RunRecord:
    point = dict(task.overrides)
    u = (float(point.get("policy.vouchers.budget.jiashan", 8.0)) - 8.0) / 10.0
    v = (float(point.get("policy.incubation.capacity.jiashan", 40.0)) - 40.0) / 100.0
    noise = float(np.random.default_rng(task.seed).normal(0.0, 1.0))   # the seed's: common to every package
    return RunRecord(end={"hnte_stock": {"jiashan": 100.0 + 3.0 * u + v + noise},
                          "public_cost": {"jiashan": 50.0 + 10.0 * (u + v) + noise}})


def package_tasks(seeds: int, root_seed: int = 0):
    """A TaskMaker for `package_run`: the package's overrides on the common seeds."""
    seeds_ = derive_seeds(root_seed, seeds)
    name = function_name(package_run)

    def make(overrides: dict, member: int) -> list[Task]:
        return [Task("<package>", Scenario(), tuple(sorted(overrides.items())), r, seeds_[r], None, name)
                for r in range(seeds)]
    return make
