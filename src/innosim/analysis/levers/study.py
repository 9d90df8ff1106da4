"""The lever table from start to end: run every variant on a block of seeds through the batch engine,
assess, and add blocks until the stopping rule says enough. Then the robustness stage: the base and
each lever on alone in every draw of the behavioural assumptions, through the same engine.

`run` is handed in (the CLI's runs through the shared results store, with a progress bar and a
clean stop on Ctrl-C), so an interrupted study resumes and a rerun reuses every stored run.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import pandas as pd

from innosim.batch import ResultStore, Task, derive_seeds, make_tasks
from innosim.i18n import msg

from innosim.analysis.outputs import window_values
from innosim.analysis.levers.table import RANK_BY, LeverTable, assess
from innosim.analysis.levers.experiment import LeversExperiment
from innosim.analysis.levers.robustness import RobustnessResult, assess_robustness
from innosim.analysis.levers.dose import DoseResult, assess_dose, variant_name
from innosim.analysis import decompose


def variant_tasks(experiment: LeversExperiment, seeds: int) -> dict[str, list[Task]]:
    """Variant -> its tasks on the first `seeds` seeds (seed r the same in every variant).

    The scale is an override and the horizon the tasks' `months`, as `innosim compare` makes them,
    so a comparison of the base and full scenarios at this scale and root seed shares their runs."""
    spec = experiment.spec
    return {variant: make_tasks([str(file)], [{"run.scale": spec.scale, **changes}], replicates=seeds,
                                root_seed=spec.seed, months=spec.months)
            for variant, (file, changes) in experiment.variants().items()}


class RunValues:
    """Each run's outputs in planner units (counts and money at full scale), read once per run."""

    def __init__(self, experiment: LeversExperiment):
        self.experiment = experiment
        self._rows: dict[str, list[tuple[str, str, float]]] = {}   # run key -> (output, region, value)

    def _read(self, store: ResultStore, tasks: Sequence[Task]) -> None:
        todo = [t for t in {t.key: t for t in tasks}.values() if t.key not in self._rows]
        if not todo:
            return
        outputs = self.experiment.outputs
        terms = [term for o in outputs for term in o.output.terms]
        windows = [t for t in terms if t.windowed]
        found: dict[tuple, float] = {}
        if windows:
            series = store.timeseries(todo, indicators=sorted({t.indicator for t in windows}))
            found |= window_values(series, windows)
        if len(windows) < len(terms):
            end = store.end_values(todo)
            found |= end.set_index(["key", "indicator", "region"])["value"].to_dict()
        scale = self.experiment.spec.scale
        for task in todo:
            def value(term, key=task.key) -> float:
                return float(found.get((key, term) if term.windowed else (key, term.indicator, term.region),
                                       math.nan))
            self._rows[task.key] = [(o.name, o.region, o.output.evaluate(value) / (scale if o.output.counts else 1))
                                    for o in outputs]

    def table(self, store: ResultStore, groups: dict[str, list[Task]]) -> pd.DataFrame:
        """variant, replicate, seed, output, region, value: one row per run and output."""
        self._read(store, [t for tasks in groups.values() for t in tasks])
        rows = [(variant, t.replicate, t.seed, *row) for variant, tasks in groups.items() for t in tasks
                for row in self._rows[t.key]]
        return pd.DataFrame(rows, columns=["variant", "replicate", "seed", "output", "region", "value"])


def precision_for(experiment: LeversExperiment, values: pd.DataFrame) -> float:
    """The half-width asked for, in the headline's units: a share of the base's level, or absolute."""
    if experiment.precision_absolute is not None:
        return experiment.precision_absolute
    h = experiment.headline
    base = values[(values["variant"] == "base") & (values["output"] == h.name) & (values["region"] == h.region)]
    return experiment.precision_share * abs(float(base["value"].mean()))


def run_study(experiment: LeversExperiment, run: Callable[[list[Task], str], ResultStore], *,
              max_seeds: int | None = None, on_block: Callable[[LeverTable], None] | None = None
              ) -> tuple[LeverTable, dict]:
    """Run blocks of seeds until the stopping rule is met; the last assessment and what was run.

    run(tasks, label) runs what the store lacks and returns the store (its `last_batch` says what
    it did). max_seeds lowers (or raises) the experiment's cap."""
    spec = experiment.spec
    cap = max(2, max_seeds or spec.seeds.cap)
    seeds = min(spec.seeds.first, cap)
    levers = [lever.name for lever in experiment.levers]
    labels = {lever.name: lever.label for lever in experiment.levers}
    h = experiment.headline
    reader = RunValues(experiment)
    history: list[dict] = []
    looks = 1 + max(0, math.ceil((cap - seeds) / spec.seeds.block))
    runs = {"total": 0, "reused": 0, "ran": 0}
    while True:
        groups = variant_tasks(experiment, seeds)
        tasks = [t for group in groups.values() for t in group]
        store = run(tasks, msg("{name}: {variants} variants x {seeds} seeds", name=experiment.name, variants=len(groups), seeds=seeds))
        batch = store.last_batch
        runs = {"total": batch["tasks"], "ran": runs["ran"] + batch["ran"],
                "reused": batch["tasks"] - runs["ran"] - batch["ran"]}
        values = reader.table(store, groups)
        precision = precision_for(experiment, values)
        table = assess(values, levers, labels, (h.name, h.region), RANK_BY[spec.rank_by], precision, spec.leader.probability, spec.leader.resamples, cap,
                       spec.level, history, looks)
        history = table.history
        if on_block is not None:
            on_block(table)
        if table.verdict.stop:
            runs["store"], runs["groups"] = store, groups
            return table, runs
        seeds = min(seeds + spec.seeds.block, cap)



def robustness_tasks(experiment: LeversExperiment) -> dict[int, dict[str, list[Task]]]:
    """Draw -> variant (base, on:<lever>) -> its tasks: the draw's uncertainties as overrides, on the
    draw's own seeds (the same in every variant of the draw: common random numbers)."""
    spec, robustness = experiment.spec, experiment.robustness
    sample = robustness.sample()
    roots = derive_seeds(robustness.spec.seed, len(sample))
    variants = {name: v for name, v in experiment.variants().items() if name == "base" or name.startswith("on:")}
    groups: dict[int, dict[str, list[Task]]] = {}
    for draw, row in sample.iterrows():
        drawn = {u.name: int(row[u.name]) if u.integer else float(row[u.name]) for u in robustness.uncertainties}
        groups[int(draw)] = {
            variant: make_tasks([str(file)], [{"run.scale": spec.scale, **changes, **drawn}],
                                replicates=robustness.spec.seeds_per_draw, root_seed=roots[draw], months=spec.months)
            for variant, (file, changes) in variants.items()}
    return groups


def drawn_values(groups: dict[int, dict[str, list[Task]]], names: Sequence[str]) -> pd.DataFrame:
    """The uncertainties' values each draw's runs were given, read back from their tasks' overrides
    (what the results store keeps with every run)."""
    rows = {}
    for draw, variants in groups.items():
        overrides = dict(variants["base"][0].overrides)
        rows[draw] = {name: overrides[name] for name in names}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("draw")


def run_robustness(experiment: LeversExperiment, run: Callable[[list[Task], str], ResultStore],
                   reference: pd.DataFrame | None = None) -> RobustnessResult:
    """Run every draw's variants (what the store lacks), and assess: effects per draw, their summary
    against the lever table's effects (`reference`: its on-from-base rows), PRIM on the failures."""
    robustness = experiment.robustness
    groups = robustness_tasks(experiment)
    tasks = [t for variants in groups.values() for group in variants.values() for t in group]
    n_variants = len(next(iter(groups.values())))
    store = run(tasks, msg("{name} robustness: {draws} draws x {variants} variants x {seeds} seed(s)", name=experiment.name,
                           draws=len(groups), variants=n_variants, seeds=robustness.spec.seeds_per_draw))
    batch = store.last_batch
    reader = RunValues(experiment)
    values = pd.concat([reader.table(store, variants).assign(draw=draw) for draw, variants in groups.items()],
                       ignore_index=True)
    values = values[["draw", "variant", "replicate", "seed", "output", "region", "value"]]
    sample = drawn_values(groups, robustness.names)
    h = experiment.headline
    result = assess_robustness(robustness, sample, values, [lever.name for lever in experiment.levers],
                               {lever.name: lever.label for lever in experiment.levers}, (h.name, h.region),
                               reference)
    result.runs = {"total": batch["tasks"], "ran": batch["ran"], "reused": batch["tasks"] - batch["ran"]}
    return result


def dose_tasks(experiment: LeversExperiment) -> dict[str, list[Task]]:
    """Variant -> its tasks: the base and every dial at every level in every county of `dose:`, on
    the first `dose.seeds` seeds of the experiment (the lever table's base runs are reused)."""
    spec, dose = experiment.spec, experiment.spec.dose
    base = str(experiment.base_file)
    points = {"base": {}}
    for county in dose.counties:
        for dial in experiment.dials:
            for level in range(1, dial.top + 1):
                points[variant_name(dial.name, county, level)] = dial.overrides(county, level)
    return {variant: make_tasks([base], [{"run.scale": spec.scale, **changes}], replicates=dose.seeds,
                                root_seed=spec.seed, months=spec.months)
            for variant, changes in points.items()}


def run_dose(experiment: LeversExperiment, run: Callable[[list[Task], str], ResultStore]) -> DoseResult:
    """Run the dose curves (what the store lacks) and assess them."""
    dose = experiment.spec.dose
    groups = dose_tasks(experiment)
    tasks = [t for group in groups.values() for t in group]
    store = run(tasks, msg("{name} dose: {variants} variants x {seeds} seeds", name=experiment.name, variants=len(groups), seeds=dose.seeds))
    batch = store.last_batch
    values = RunValues(experiment).table(store, groups)
    result = assess_dose(values, experiment.dials, list(dose.counties), dose, experiment.spec.headline.output,
                         experiment.spec.level, seed=experiment.spec.seed)
    result.runs = {"total": batch["tasks"], "ran": batch["ran"], "reused": batch["tasks"] - batch["ran"]}
    result.values = values
    county = dose.counties[0]   # the report's decomposition: the dials of the first county, at their top level
    tops = {variant_name(d.name, county, d.top): f"{d.label} ({d.describe(county, d.top)})" for d in experiment.dials}
    result.decomposition = decompose_effects(experiment, store, groups, tops)
    return result


def decompose_effects(experiment: LeversExperiment, store: ResultStore, groups: dict[str, list[Task]],
                      names: dict[str, str]) -> decompose.Decomposition | None:
    """Where the effects of the variants `names` (variant -> label) on the headline's stock come from,
    against the base on the same seeds: measured as the headline measures its stock (its mean over
    the window, or its value at the horizon), at full size. None if the headline is not a stock of
    the decomposition or the stored runs lack its flows (runs stored before they were counted)."""
    term = experiment.headline.output.terms[0]
    if term.indicator not in decompose.STOCKS or term.how not in (None, "mean"):
        return None
    chosen = {"base": "base", **names}
    tasks = [t for variant in chosen for t in groups[variant]]
    label = {t.key: chosen[variant] for variant in chosen for t in groups[variant]}
    ts = store.timeseries(tasks, indicators=decompose.NEEDED)
    if ts.empty or set(decompose.NEEDED) - set(ts["indicator"].unique()):
        return None
    ts = ts.assign(scenario=ts["key"].map(label))
    how, last = ("end", None) if term.how is None else ("mean", term.last)
    return decompose.effects(ts, baseline="base", how=how, last=last, level=experiment.spec.level,
                             scale=experiment.spec.scale)
