"""The package search: NSGA-II (Deb et al. 2002, through pymoo's ask-and-tell interface) over the
intensities of a county's dials, under its budget, every package judged over the same parameter
sets and seeds as the base.

A package is a vector of intensities, one per dial (0 = the base's settings, k = the dial's level
k, numbers interpolated between levels), rounded to `algorithm.resolution` so that a package met
again reuses its runs. Its effect on an objective is the paired difference from the base on the
same member and seed, averaged over the seeds; over the members the search optimises the mean or
the worst decile (`robust.aggregate`), and the report gives both. The budget is a constraint on the
mean extra public cost in the county (Deb's feasibility rules: a feasible package beats an
infeasible one).

Every generation's runs go through `run(tasks, label)`, the results store and the batch engine (local
processes or Dask): an interrupted search, run again, proposes the same packages (the algorithm is
seeded and the evaluations are deterministic) and reruns only what the store lacks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from innosim.batch import ResultStore, Task, make_tasks

from innosim.analysis.levers.study import RunValues
from innosim.analysis.optimise.spec import Optimisation

#: (overrides of one package and member, member index) -> its tasks on the common seeds
TaskMaker = Callable[[dict[str, Any], int], list[Task]]


def model_tasks(optimisation: Optimisation) -> TaskMaker:
    """Tasks of the model: the base file with the package's and the member's overrides, on the
    optimisation's seeds (the same in every package: common random numbers)."""
    spec = optimisation.spec

    def make(overrides: dict[str, Any], member: int) -> list[Task]:
        point = {"run.scale": spec.scale, **optimisation.members[member], **overrides}
        return make_tasks([str(optimisation.base_file)], [point], replicates=spec.seeds, root_seed=spec.seed,
                          months=spec.months)
    return make


def package_overrides(optimisation: Optimisation, x: np.ndarray) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for dial, intensity in zip(optimisation.dials, x, strict=True):
        out |= dial.overrides(optimisation.spec.county, float(intensity))
    return out


def rounded(optimisation: Optimisation, X: np.ndarray) -> np.ndarray:
    step = optimisation.spec.algorithm.resolution
    tops = np.array([d.top for d in optimisation.dials], dtype=float)
    return np.clip(np.round(np.asarray(X, dtype=float) / step) * step, 0.0, tops)


@dataclass
class Evaluation:
    """The packages evaluated so far: intensities, and per package each objective's and the cost's
    paired effects (member x seed)."""

    X: list[np.ndarray] = field(default_factory=list)
    effects: list[dict[str, np.ndarray]] = field(default_factory=list)
    tasks: list[dict[int, list[Task]]] = field(default_factory=list)
    generation: list[int] = field(default_factory=list)


class Evaluator:
    """Runs packages through the store and reads their effects against the base, member by member."""

    def __init__(self, optimisation: Optimisation, run: Callable[[list[Task], str], ResultStore],
                 make: TaskMaker | None = None):
        self.o = optimisation
        self.run = run
        self.make = make or model_tasks(optimisation)
        self.outputs = [SimpleNamespace(name=obj.name, region=obj.output.terms[0].region, output=obj.output)
                        for obj in optimisation.objectives]
        self.outputs.append(SimpleNamespace(name="_cost", region=optimisation.cost.terms[0].region,
                                            output=optimisation.cost))
        self.base_tasks = {m: self.make({}, m) for m in range(len(optimisation.members))}
        self.done = Evaluation()
        self.store: ResultStore | None = None
        self.reader = RunValues(SimpleNamespace(outputs=self.outputs, spec=SimpleNamespace(scale=optimisation.spec.scale)))

    def values(self, groups: dict[str, list[Task]]) -> pd.DataFrame:
        return self.reader.table(self.store, groups)

    def evaluate(self, X: np.ndarray, generation: int) -> list[dict[str, np.ndarray]]:
        """Each package's paired effects (name -> member x seed), running what the store lacks."""
        X = rounded(self.o, X)
        groups: dict[str, list[Task]] = {f"base|{m}": tasks for m, tasks in self.base_tasks.items()}
        per_package = []
        for i, x in enumerate(X):
            overrides = package_overrides(self.o, x)
            tasks = {m: self.make(overrides, m) for m in range(len(self.o.members))}
            per_package.append(tasks)
            for m, group in tasks.items():
                groups[f"{i}|{m}"] = group
        every = [t for group in groups.values() for t in group]
        self.store = self.run(every, f"{self.o.name}: generation {generation}, {len(X)} packages x "
                                     f"{len(self.o.members)} parameter sets x {self.o.spec.seeds} seeds")
        values = self.values(groups)
        wide = values.pivot_table(index=["variant", "seed"], columns="output", values="value", aggfunc="first")
        names = [o.name for o in self.outputs]
        results = []
        for i, x in enumerate(X):
            effect = {}
            for name in names:
                rows = []
                for m in range(len(self.o.members)):
                    here, base = wide.loc[f"{i}|{m}", name], wide.loc[f"base|{m}", name]
                    rows.append((here - base.reindex(here.index)).to_numpy())
                effect[name] = np.array(rows)   # member x seed
            results.append(effect)
            self.done.X.append(x)
            self.done.effects.append(effect)
            self.done.tasks.append(per_package[i])
            self.done.generation.append(generation)
        return results


def aggregate(per_member: np.ndarray, how: str, sense: str) -> float:
    """Over the members (each the mean over its seeds): the mean, or the worst decile."""
    means = per_member.mean(axis=1)
    if how == "mean":
        return float(means.mean())
    return float(np.quantile(means, 0.1 if sense == "max" else 0.9))


def objectives_of(optimisation: Optimisation, effect: dict[str, np.ndarray]) -> tuple[np.ndarray, float]:
    """pymoo's F (to minimise: a max objective negated) and G (mean extra cost minus the budget)."""
    how = optimisation.spec.robust.aggregate
    F = np.array([(-1.0 if o.sense == "max" else 1.0) * aggregate(effect[o.name], how, o.sense)
                  for o in optimisation.objectives])
    G = float(effect["_cost"].mean()) - optimisation.spec.budget
    return F, G


@dataclass
class SearchResult:
    """The front (feasible, non-dominated packages), every evaluation, and the convergence."""

    front: pd.DataFrame
    evaluations: pd.DataFrame
    convergence: pd.DataFrame
    evaluator: Evaluator
    front_effects: list[dict[str, np.ndarray]]


def search(optimisation: Optimisation, run: Callable[[list[Task], str], ResultStore],
           make: TaskMaker | None = None, on_generation: Callable[[int, pd.DataFrame], None] | None = None
           ) -> SearchResult:
    """NSGA-II over the dials' intensities; returns the front, every evaluation and the hypervolume by
    generation."""
    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.core.evaluator import Evaluator as PymooEvaluator
    from pymoo.core.problem import Problem
    from pymoo.problems.static import StaticProblem

    o, a = optimisation, optimisation.spec.algorithm
    tops = np.array([d.top for d in o.dials], dtype=float)
    problem = Problem(n_var=len(o.dials), n_obj=len(o.objectives), n_ieq_constr=1, xl=np.zeros(len(o.dials)),
                      xu=tops)
    algorithm = NSGA2(pop_size=a.population, sampling=first_population(o), eliminate_duplicates=True)
    algorithm.setup(problem, termination=("n_gen", a.generations), seed=a.seed, verbose=False)
    evaluator = Evaluator(o, run, make)
    fronts: list[np.ndarray] = []
    generation = 0
    while algorithm.has_next():
        generation += 1
        population = algorithm.ask()
        effects = evaluator.evaluate(population.get("X"), generation)
        FG = [objectives_of(o, e) for e in effects]
        F = np.array([f for f, _ in FG])
        G = np.array([[g] for _, g in FG])
        PymooEvaluator().eval(StaticProblem(problem, F=F, G=G), population)
        algorithm.tell(infills=population)
        found = np.vstack([*(fronts[-1:] or []), F[G.ravel() <= 0]]) if (G <= 0).any() or fronts else \
            np.empty((0, len(o.objectives)))
        fronts.append(found[non_dominated(found)] if len(found) else found)   # the best front found so far
        if on_generation is not None:
            on_generation(generation, pd.DataFrame(fronts[-1]))
    evaluations = evaluation_table(o, evaluator.done)
    front, front_effects = front_table(o, evaluator.done)
    return SearchResult(front, evaluations, convergence(fronts), evaluator, front_effects)


def first_population(o: Optimisation) -> np.ndarray:
    """The first generation: the base (every dial at 0), each dial alone at its first level, and the
    rest drawn uniformly up to each dial's first level (seeded). Packages of many dials turned high are
    far over any county's budget; starting near the base lets the search find the budget's edge
    within a few generations (an assumption of the design, not of the model)."""
    a = o.spec.algorithm
    n = len(o.dials)
    first = np.minimum(1.0, np.array([d.top for d in o.dials], dtype=float))
    rows = [np.zeros(n), *(np.eye(n)[i] * first for i in range(n))]
    rng = np.random.default_rng(a.seed)
    while len(rows) < a.population:
        rows.append(rng.uniform(0.0, first))
    return rounded(o, np.array(rows[:a.population]))


def evaluation_table(o: Optimisation, done: Evaluation) -> pd.DataFrame:
    rows = []
    for x, effect, generation in zip(done.X, done.effects, done.generation, strict=True):
        row = {"generation": generation, **{d.name: float(v) for d, v in zip(o.dials, x, strict=True)}}
        for obj in o.objectives:
            row[obj.name] = aggregate(effect[obj.name], "mean", obj.sense)
            row[f"{obj.name}_worst_decile"] = aggregate(effect[obj.name], "worst_decile", obj.sense)
        row["extra_cost"] = float(effect["_cost"].mean())
        row["feasible"] = row["extra_cost"] <= o.spec.budget
        rows.append(row)
    return pd.DataFrame(rows)


def non_dominated(F: np.ndarray) -> np.ndarray:
    """Indices of the rows of F (to minimise) no other row dominates (duplicates: the first)."""
    keep = []
    for i, f in enumerate(F):
        dominated = np.any(np.all(F <= f, axis=1) & np.any(F < f, axis=1))
        duplicate = any(np.array_equal(F[j], f) for j in keep)
        if not dominated and not duplicate:
            keep.append(i)
    return np.array(keep, dtype=int)


def front_table(o: Optimisation, done: Evaluation) -> tuple[pd.DataFrame, list[dict[str, np.ndarray]]]:
    """The feasible non-dominated packages among every evaluation, by extra cost, with intervals."""
    unique: dict[tuple, int] = {}
    for i, x in enumerate(done.X):
        unique.setdefault(tuple(np.round(x, 9)), i)
    index = list(unique.values())
    FG = [objectives_of(o, done.effects[i]) for i in index]
    feasible = [i for i, (_, g) in zip(index, FG, strict=True) if g <= 0]
    if not feasible:
        return pd.DataFrame(), []
    F = np.array([objectives_of(o, done.effects[i])[0] for i in feasible])
    chosen = [feasible[k] for k in non_dominated(F)]
    rows, effects = [], []
    for i in chosen:
        e = done.effects[i]
        row = {d.name: float(v) for d, v in zip(o.dials, done.X[i], strict=True)}
        for obj in [*o.objectives, None]:
            name = "_cost" if obj is None else obj.name
            values = e[name].ravel()
            mean, half = float(values.mean()), _half_width(values, o.spec.level)
            key = "extra_cost" if obj is None else obj.name
            row[key], row[f"{key}_low"], row[f"{key}_high"] = mean, mean - half, mean + half
            if obj is not None:
                row[f"{key}_worst_decile"] = aggregate(e[name], "worst_decile", obj.sense)
        rows.append(row)
        effects.append(e)
    front = pd.DataFrame(rows)
    order = np.argsort(front["extra_cost"].to_numpy(), kind="stable")
    return front.iloc[order].reset_index(drop=True), [effects[k] for k in order]


def _half_width(values: np.ndarray, level: float) -> float:
    from scipy import stats

    if values.size < 2:
        return float("nan")
    return float(stats.t.ppf(0.5 + level / 2, values.size - 1) * values.std(ddof=1) / np.sqrt(values.size))


def convergence(fronts: list[np.ndarray]) -> pd.DataFrame:
    """Hypervolume of the best feasible front found up to each generation (Zitzler & Thiele 1998; it
    cannot fall, and levels off as the search converges), the objectives scaled
    to [0, 1] by the best and worst values any front reached, the reference point 1.1 in each."""
    from pymoo.indicators.hv import HV

    seen = np.vstack([f for f in fronts if len(f)]) if any(len(f) for f in fronts) else None
    rows = []
    for g, front in enumerate(fronts, start=1):
        if seen is None or not len(front):
            rows.append({"generation": g, "hypervolume": 0.0, "front_size": len(front)})
            continue
        low, high = seen.min(axis=0), seen.max(axis=0)
        span = np.where(high > low, high - low, 1.0)
        scaled = (front - low) / span
        rows.append({"generation": g, "hypervolume": float(HV(ref_point=np.full(front.shape[1], 1.1))(scaled)),
                     "front_size": len(front)})
    return pd.DataFrame(rows)
