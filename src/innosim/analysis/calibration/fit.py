"""Calibration: fit the free behavioural parameters to the paper's figures, and say how well they fit.

Distance. For each fitted target k, ``z_k = (mean_k - centre_k) / half-width_k``: the replicate
mean of its measure against its tolerance band (see `calibration_files`). The distance is
``D = sum_k w_k z_k^2 / sum_k w_k``; D <= 1 on average means "within tolerance", and D = 0 exactly
when every mean sits on its centre. A target whose measure is undefined in every replicate
(say, a share with nothing to divide) counts as ``z = 10``.

Search. scipy's `differential_evolution` (Storn & Price 1997): a population of parameter sets,
each generation evaluated as one `run_batch` over candidates x replicates (``vectorized=True``,
``updating="deferred"``). It needs no gradient (the distance of an agent-based model has none
worth the name), copes with a rugged surface, and a generation is a natural parallel batch.
Every replicate r uses the same seed for every candidate (common random numbers), so candidates
differ by their parameters, not their luck, and the distance is a deterministic function of the
parameters: the search can be rerun and, because finished runs are in the store, an interrupted
search replays its finished generations from disk and carries on. Approximate Bayesian
computation would give a posterior, but needs tens of thousands of runs; on a workstation the
identifiability profiles (`profiles`) answer the same question, "which parameters do the data
pin down", at a few hundred runs.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import differential_evolution

from innosim.batch import ResultStore, Task, make_tasks, run_batch
from innosim.catalogue import END_MEASURES, INDICATORS
from innosim.i18n import msg
from innosim.scenario import ScenarioError

from innosim.analysis.calibration.files import Calibration, Target
from innosim.analysis.calibration.stylised import run_calibration

NAN_Z = 10.0      #: z of a target whose measure is undefined in every replicate
INVALID = 1e6     #: distance of a parameter set the scenario schema refuses


#: Units of indicators that do not grow with `run.scale` (shares, rates, indices).
UNSCALED_UNITS = {"share", "index"}
#: Units of the calibration's own measures (the catalogue's END_MEASURES), beside the indicators'.
EXTRA_UNITS = {m.name: m.unit for m in END_MEASURES}


def full_scale(target: Target, scale: float) -> float:
    """What a target's measure is divided by at `scale`: counts and money are those of a run at that
    scale, so a run at 0.5 counts half the zone's HNTEs; ratios (`per`) and shares are not."""
    if target.spec.measure.per is not None or scale == 1.0:
        return 1.0
    names = target.spec.measure.indicator
    names = [names] if isinstance(names, str) else list(names)
    units = {**{i.name: i.unit for i in INDICATORS}, **EXTRA_UNITS}
    return 1.0 if all(units.get(n) in UNSCALED_UNITS for n in names) else scale


def measures(values: pd.DataFrame, targets: list[Target], scale: float = 1.0) -> pd.DataFrame:
    """Tidy end values (key, ..., indicator, region, value) -> one row per run, one column per target,
    counts and money at full scale (runs at `scale`)."""
    values = values.drop_duplicates(["key", "indicator", "region"])  # a parameter set may come twice
    wide = values.set_index(["key", "indicator", "region"])["value"].unstack(["indicator", "region"])

    def total(columns: list[str], region: str) -> pd.Series:
        parts = [wide[(c, region)] if (c, region) in wide.columns else pd.Series(np.nan, wide.index)
                 for c in columns]
        return sum(parts[1:], parts[0]).astype(float)

    out = {}
    for target in targets:
        value = total(target.columns(), target.region)
        if target.spec.measure.per is not None:
            below = total(target.columns("per"), target.region)
            value = value / below.where(below != 0)
        out[target.name] = value / full_scale(target, scale)
    return pd.DataFrame(out, index=wide.index)


def zscores(means: pd.Series, targets: list[Target]) -> pd.Series:
    """Scaled errors of replicate means against the tolerance bands."""
    z = {}
    for target in targets:
        low, high = target.band
        value = means.get(target.name, np.nan)
        z[target.name] = NAN_Z if pd.isna(value) else (value - (low + high) / 2) / ((high - low) / 2)
    return pd.Series(z, dtype=float)


def distance(means: pd.Series, targets: list[Target]) -> float:
    """Weighted mean of squared scaled errors over the fitted targets."""
    fitted = [t for t in targets if t.fitted]
    z = zscores(means, fitted)
    weights = np.array([t.spec.weight for t in fitted])
    return float(weights @ z.to_numpy() ** 2 / weights.sum())


def round_values(values: dict[str, float], cal: Calibration, digits: int = 4) -> dict[str, float]:
    """Parameter values as written to calibrated.yaml: `digits` significant figures, inside the bounds."""
    out = {}
    for (name, value), whole, (low, high) in zip(values.items(), cal.integer(), cal.bounds, strict=True):
        value = float(np.clip(float(f"{value:.{digits}g}"), low, high))
        out[name] = int(round(value)) if whole else value
    return out


@dataclass
class Evaluator:
    """Scores parameter sets through the batch engine, one `run_batch` call per list of sets."""

    cal: Calibration
    store: ResultStore
    replicates: int
    jobs: int | None = None
    scheduler: str | None = None
    progress: bool | None = None
    runs: int = 0  # runs this evaluator asked for (stored or not)

    def tasks(self, point: dict[str, float], replicates: int | None = None) -> list[Task] | None:
        """The runs of one parameter set, or None when the scenario schema refuses it."""
        try:
            return make_tasks([self.cal.scenario_file], [self.cal.overrides(point)],
                              replicates=replicates or self.replicates, root_seed=self.cal.search.root_seed,
                              run_fn=run_calibration)
        except ScenarioError:
            return None

    def run(self, points: list[dict[str, float]], replicates: int | None = None,
            label: str = "") -> tuple[np.ndarray, pd.DataFrame]:
        """Distances of `points` and the per-run measures (column ``candidate`` = index in `points`)."""
        per_point = [self.tasks(p, replicates) for p in points]
        tasks = [t for group in per_point if group for t in group]
        if not tasks:
            return np.full(len(points), INVALID), pd.DataFrame(columns=["candidate", "replicate"])
        self.runs += len(tasks)
        run_batch(tasks, self.store, jobs=self.jobs, scheduler=self.scheduler, run_fn=run_calibration,
                  progress=self.progress, label=label)
        by_run = measures(self.store.end_values(tasks), [t for t in self.cal.targets if t.modelled],
                          float(self.cal.run.get("scale", 1.0)))
        result = np.full(len(points), INVALID)
        frames = []
        for i, group in enumerate(per_point):
            if not group:
                continue
            runs = by_run.loc[[t.key for t in group]]
            result[i] = distance(runs.mean(), self.cal.targets)
            frames.append(runs.assign(candidate=i, replicate=[t.replicate for t in group]))
        table = pd.concat(frames).reset_index(drop=True) if frames else pd.DataFrame(columns=["candidate", "replicate"])
        return result, table


@dataclass
class SearchResult:
    best: dict[str, float]
    distance: float
    history: pd.DataFrame
    evaluations: int
    generations: int
    message: str
    seconds: float
    settings: dict = field(default_factory=dict)


#: How far inside its bounds a start point at (or beyond) a bound is put, as a share of the range.
START_INSIDE = 1e-9


def start_point(cal: Calibration) -> np.ndarray:
    """The search's start: the base scenario's values, inside the bounds. A value at a bound (or
    clipped to it) is moved a billionth of the range inside: scipy rescales x0 to [0, 1] and refuses
    it when rounding puts it a hair outside, e.g. 0.3 in [0.3, 1.0] gives -1.1e-16 (issue 19)."""
    start_values = cal.base.behaviour.model_dump()
    x0 = []
    for name, (low, high), whole in zip(cal.names, cal.bounds, cal.integer(), strict=True):
        margin = 0.0 if whole else START_INSIDE * (high - low)  # scipy widens whole numbers' bounds by 0.5
        x0.append(float(np.clip(start_values[name], low + margin, high - margin)))
    return np.array(x0)


def search(cal: Calibration, evaluator: Evaluator, budget: int,
           log: Callable[[str], None] = print) -> SearchResult:
    """Differential evolution over the free parameters, at most `budget` parameter sets."""
    names, bounds, s = cal.names, cal.bounds, cal.search
    population = s.popsize * len(names)
    maxiter = max(budget // population - 1, 0)
    x0 = start_point(cal)
    rows: list[dict] = []
    started = time.perf_counter()

    def objective(x: np.ndarray) -> np.ndarray:  # x: (parameters, candidates)
        generation = len(rows)
        points = [dict(zip(names, column, strict=True)) for column in x.T]
        scores, _ = evaluator.run(points, label=msg("generation {n}/{last}", n=generation, last=maxiter))
        i = int(np.argmin(scores))
        best_before = rows[-1]["best_distance"] if rows else math.inf
        best = min(best_before, float(scores[i]))
        rows.append({"generation": generation, "evaluations": (rows[-1]["evaluations"] if rows else 0) + x.shape[1],
                     "generation_best": float(scores[i]), "generation_median": float(np.median(scores)),
                     "best_distance": best, "seconds": time.perf_counter() - started})
        log(msg("generation {n}/{last}: best distance {best:.3f} (this generation {this:.3f}, median {median:.3f})",
                n=generation, last=maxiter, best=best, this=scores[i], median=np.median(scores)))
        return scores

    settings = {"optimiser": "scipy.optimize.differential_evolution", "strategy": "best1bin",
                "popsize": s.popsize, "population": population, "max_generations": maxiter,
                "mutation": list(s.mutation), "recombination": s.recombination, "init": "latinhypercube",
                "optimiser_seed": s.optimiser_seed, "polish": False, "tol": 0.01,
                "x0": "the base scenario's values, never its own calibrated.yaml (see Calibration.reset)"}
    result = differential_evolution(
        objective, bounds, strategy="best1bin", maxiter=maxiter, popsize=s.popsize, tol=0.01,
        mutation=tuple(s.mutation), recombination=s.recombination, rng=s.optimiser_seed, polish=False,
        init="latinhypercube", updating="deferred", vectorized=True, x0=x0,
        integrality=np.array(cal.integer()) if any(cal.integer()) else None)
    return SearchResult(best=dict(zip(names, map(float, result.x), strict=True)), distance=float(result.fun),
                        history=pd.DataFrame(rows), evaluations=int(rows[-1]["evaluations"]), generations=len(rows),
                        message=str(result.message), seconds=time.perf_counter() - started, settings=settings)


def fit_table(table: pd.DataFrame, cal: Calibration) -> pd.DataFrame:
    """Per target: observed, band, simulated mean and 95 % interval over replicates, z, verdict."""
    rows = []
    for target in cal.targets:
        row = {"target": target.name, "pattern": target.spec.pattern, "measure": target.describe(),
               "observed": target.spec.observed, "weight": target.spec.weight if target.modelled else 0.0}
        if target.modelled:
            values = table[target.name].dropna()
            low, high = target.band
            mean = float(values.mean()) if len(values) else math.nan
            z = float(zscores(pd.Series({target.name: mean}), [target]).iloc[0])
            row.update(band_low=low, band_high=high, mean=mean,
                       low=float(values.quantile(0.025)) if len(values) else math.nan,
                       high=float(values.quantile(0.975)) if len(values) else math.nan,
                       z=z, within=bool(abs(z) <= 1.0))
            row["verdict"] = ("met" if row["within"] else "missed") + ("" if target.fitted else " (reported only)")
        else:
            row["verdict"] = "not modelled"
        rows.append(row)
    return pd.DataFrame(rows)


def profiles(cal: Calibration, evaluator: Evaluator, best: dict[str, float], points: int,
             label: str = "profiles") -> pd.DataFrame:
    """Distance along each parameter's range, the others held at `best` (same seeds throughout)."""
    grid: list[tuple[str, float]] = [("best", best[cal.names[0]])]
    candidates = [dict(best)]
    for name, (low, high) in zip(cal.names, cal.bounds, strict=True):
        for value in np.linspace(low, high, points):
            value = float(np.clip(float(f"{value:.4g}"), low, high))  # as calibrated.yaml would write it
            grid.append((name, value))
            candidates.append({**best, name: value})
    scores, table = evaluator.run(candidates, label=label)
    fitted = cal.fitted
    z = table.groupby("candidate")[[t.name for t in fitted]].mean().apply(
        lambda row: zscores(row, fitted), axis=1)
    frame = pd.DataFrame({"parameter": [g[0] for g in grid], "value": [g[1] for g in grid], "distance": scores})
    return frame.join(z.add_prefix("z:"), how="left")


def distance_noise(table: pd.DataFrame, cal: Calibration, replicates: int) -> float:
    """Standard deviation of the distance of one parameter set evaluated with `replicates` seeds,
    from disjoint groups of its check replicates (`table`: one row per run)."""
    groups = len(table) // replicates
    if groups < 2:
        return float("nan")
    names = [t.name for t in cal.targets if t.modelled]
    scores = [distance(table.iloc[g * replicates:(g + 1) * replicates][names].mean(), cal.targets)
              for g in range(groups)]
    return float(np.std(scores, ddof=1))


def identifiability(frame: pd.DataFrame, cal: Calibration, best: dict[str, float], allowance: float) -> pd.DataFrame:
    """How sharply the distance responds to each parameter around the optimum.

    ``width``: share of the parameter's range where the profile (linearly interpolated) stays
    within `allowance` of its lowest point. Below 0.25: pinned by the data; up to 0.75: weakly
    pinned; above: not identified. ``driver``: the fitted target whose squared error a quadratic
    trend along the profile moves most (a trend, so that one noisy point does not decide it).
    """
    rows = []
    for name, (low, high) in zip(cal.names, cal.bounds, strict=True):
        part = frame[frame["parameter"] == name]
        at_best = frame[frame["parameter"] == "best"].assign(parameter=name, value=best[name])
        part = pd.concat([part, at_best]).sort_values("value", kind="stable")
        fine = np.linspace(low, high, 401)
        curve = np.interp(fine, part["value"], part["distance"])
        width = float(np.mean(curve <= part["distance"].min() + allowance))
        swings = {}
        for column in (c for c in part.columns if c.startswith("z:")):
            trend = np.polynomial.Polynomial.fit(part["value"], part[column] ** 2, 2)(fine)
            swings[column[2:]] = float(trend.max() - trend.min())
        driver = max(swings, key=swings.get) if swings else ""
        verdict = "pinned" if width < 0.25 else "weakly pinned" if width <= 0.75 else "not identified"
        rows.append({"parameter": name, "value": best[name], "low": low, "high": high, "width": width,
                     "identifiability": verdict, "driver": driver,
                     "profile_min": float(part["distance"].min()), "profile_max": float(part["distance"].max())})
    return pd.DataFrame(rows)


def polish(frame: pd.DataFrame, best: dict[str, float]) -> tuple[dict[str, float], dict | None]:
    """One coordinate step: the profile point with the lowest distance, if it beats `best`."""
    reference = float(frame.loc[frame["parameter"] == "best", "distance"].iloc[0])
    grid = frame[frame["parameter"] != "best"]
    i = grid["distance"].idxmin()
    if grid.loc[i, "distance"] >= reference:
        return best, None
    name, value = str(grid.loc[i, "parameter"]), float(grid.loc[i, "value"])
    step = {"parameter": name, "from": best[name], "to": value, "distance_before": reference,
            "distance_after": float(grid.loc[i, "distance"])}
    return {**best, name: value}, step


def evaluator_for(cal: Calibration, store_path: str | Path, replicates: int | None = None, **kwargs) -> Evaluator:
    return Evaluator(cal, ResultStore(store_path), replicates or cal.search.replicates, **kwargs)


__all__ = ["INVALID", "NAN_Z", "Evaluator", "SearchResult", "distance", "distance_noise", "evaluator_for",
           "fit_table", "identifiability", "measures", "polish", "profiles", "round_values", "search", "start_point",
           "zscores"]
