"""`innosim levers EXPERIMENT.yaml`: each lever on alone and off alone on the same seeds, ranked."""

from __future__ import annotations

import datetime
import platform
import shlex
import time
from pathlib import Path

import click

from .batching import resolve_scheduler, run_or_exit
from .options import labels, lang_option, store_option

DEFAULT_OUT = Path("out") / "levers"


@click.command()
@click.argument("experiment_file", metavar="EXPERIMENT.yaml", type=click.Path(path_type=Path))
@click.option("--scale", type=click.FloatRange(min=0, min_open=True, max=10), default=None,
              help="population scale (default: the experiment's); counts are reported at full scale")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, help="worker processes (default: every core)")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="dask.distributed scheduler (default: env INNOSIM_SCHEDULER, else local processes)")
@click.option("--max-seeds", type=click.IntRange(2, 10_000), default=None,
              help="stop adding seed blocks at this many seeds (default: the experiment's cap)")
@click.option("--stage", type=click.Choice(["all", "table", "dose", "robustness"]), default="all", show_default=True,
              help="all: the lever table, then the dose curves if the file has dose:, then the robustness stage "
                   "if it has robustness:; table: the table alone; dose: the dose curves and the ranking at "
                   "equal public cost alone (dose.md); robustness: the robustness stage alone (its signs from "
                   "the effects.csv a table run left in the output folder, else from the median over draws)")
@click.option("--draws", type=click.IntRange(2, 10_000), default=None,
              help="Latin hypercube draws of the robustness stage (default: the experiment's robustness.draws)")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="output folder (default: out/levers/<experiment name>)")
@store_option
@click.option("--progress/--no-progress", default=None, help="progress bar (default: on a terminal)")
@lang_option
def levers(experiment_file: Path, scale: float | None, jobs: int | None, scheduler: str | None,
           max_seeds: int | None, stage: str, draws: int | None, out_dir: Path | None, store_path: Path | None,
           progress: bool | None, lang: str | None) -> None:
    """Switch each lever of EXPERIMENT.yaml on alone from the base and off alone from the full scenario,
    on the same seeds, adding seed blocks until the headline is precise enough or its leader is clear
    (or the cap is reached); write report.md/report.html with the lever table and its CSVs.

    With a robustness: section, then draw the behavioural assumptions by Latin hypercube, run the
    base and each lever on alone in every draw, and add to the report each lever's effect over the
    draws (min / median / max, the share keeping the table's sign) and PRIM's box of the assumptions
    where it fails to help the headline (robustness.csv, prim.csv). --stage robustness alone writes
    robustness.md/robustness.html.

    Runs go through the shared results store: an interrupted study resumes, a rerun reuses every run."""
    import mesa

    from innosim import __version__
    from innosim.analysis.levers.experiment import load_levers
    from innosim.analysis.levers.report import write_levers_report
    from innosim.analysis.levers.dose_report import write_dose_report
    from innosim.analysis.levers.robustness_report import write_robustness_report
    from innosim.analysis.levers.study import decompose_effects, run_dose, run_robustness, run_study
    from innosim.batch import check_store, default_store_path
    from innosim.scenario import month_label
    from innosim.outdir import check_out_dir, claim_out_dir, file_name

    t = labels(lang)
    experiment = load_levers(experiment_file, scale=scale, draws=draws)
    if stage == "robustness" and experiment.robustness is None:
        raise click.UsageError(t.say("{file} has no robustness: section, so there is no robustness stage",
                                     file=experiment_file))
    if stage == "dose" and experiment.spec.dose is None:
        raise click.UsageError(t.say("{file} has no dose: section, so there is no dose stage", file=experiment_file))
    scheduler = resolve_scheduler(scheduler, jobs)
    store_path = check_store(store_path or default_store_path())
    out_dir = check_out_dir(out_dir or DEFAULT_OUT / file_name(experiment.name, experiment_file))
    spec = experiment.spec
    cap = max_seeds or spec.seeds.cap
    started = time.perf_counter()

    def run(tasks, label):
        return run_or_exit(tasks, store_path, jobs=jobs, scheduler=scheduler, progress=progress, label=label)

    def show(table) -> None:
        step = table.history[-1]
        click.echo(t.say("  {seeds} seeds: headline half-width up to {widest:.3g} "
                         "(asked {precision:.3g}); {leader} first in "
                         "{probability:.0%} of bootstrap samples -> {decision}", seeds=step['seeds'],
                         widest=step['widest_half_width'], precision=step['precision'],
                         leader=table.labels[step['leader']], probability=step['leader_probability'],
                         decision=t.text(step['decision'])))

    table, runs, decomposition = None, {"total": 0, "reused": 0}, None
    if stage in ("all", "table"):
        click.echo(t.say("{name}: {levers} levers, {variants} variants, "
                         "seeds {first} + {block} a block up to {cap} (scale {scale:g}, "
                         "{months} months)", name=experiment.name, levers=len(experiment.levers),
                         variants=2 + 2 * len(experiment.levers), first=spec.seeds.first, block=spec.seeds.block,
                         cap=cap, scale=spec.scale, months=experiment.months))
        table, runs = run_study(experiment, run, max_seeds=max_seeds, on_block=show)
        store, groups = runs.pop("store"), runs.pop("groups")
        decomposition = decompose_effects(experiment, store, groups, {f"on:{lever.name}": lever.label
                                                                       for lever in experiment.levers})
    dose = None
    if stage in ("all", "dose") and experiment.spec.dose is not None:
        d = experiment.spec.dose
        n_variants = 1 + len(d.counties) * sum(dial.top for dial in experiment.dials)
        click.echo(t.say("{name} dose curves: {levers} levers in {counties}, "
                         "{variants} variants x {seeds} seeds; ranked at {per:g} M CNY a year", name=experiment.name,
                         levers=len(experiment.dials), counties=t.text(", ").join(t.place(c) if t.chinese else c for c in d.counties),
                         variants=n_variants, seeds=d.seeds, per=d.per))
        dose = run_dose(experiment, run)
        for row in dose.ranking.itertuples(index=False):
            click.echo(t.say("  {county}: {lever} {effect:+.3g} [{low:+.3g}, "
                             "{high:+.3g}] per {per:g} M CNY a year, first in {p_first:.0%}", county=t.place(row.county) if t.chinese else row.county,
                             lever=dose.labels[row.dial], effect=row.effect_per, low=row.low, high=row.high, per=d.per,
                             p_first=row.p_first)
                       + (t.text(" (extrapolated)") if row.extrapolated else ""))
        for row in dose.costless.itertuples(index=False):
            click.echo(t.say("  {county}: {lever} (no measurable public cost) {effect:+.3g} "
                             "[{low:+.3g}, {high:+.3g}]", county=t.place(row.county) if t.chinese else row.county, lever=dose.labels[row.dial],
                             effect=row.effect, low=row.effect_low, high=row.effect_high))
    robustness = None
    if stage in ("all", "robustness") and experiment.robustness is not None:
        rob = experiment.robustness
        reference, signs_from = _table_reference(table, out_dir, experiment)
        click.echo(t.say("{name} robustness: {draws} draws of {assumptions} behavioural "
                         "assumptions x {variants} variants x {seeds} seed(s); signs from {source}", name=experiment.name,
                         draws=rob.spec.draws, assumptions=len(rob.uncertainties), variants=1 + len(experiment.levers),
                         seeds=rob.spec.seeds_per_draw, source=sign_source_words(signs_from, t)))
        robustness = run_robustness(experiment, run, reference)
        robustness.sign_source = signs_from
        head = robustness.summary[(robustness.summary["output"] == experiment.headline.name)
                                  & (robustness.summary["region"] == experiment.headline.region)]
        names = {lever.name: lever.label for lever in experiment.levers}
        for row in head.itertuples(index=False):
            click.echo(t.say("  {lever}: median {median:+.3g} [{min:+.3g}, {max:+.3g}], "
                             "sign held in {share:.0%} of draws, fails in {failures}", lever=names[row.lever],
                             median=row.median, min=row.min, max=row.max, share=row.share_sign,
                             failures=row.failures))
    command = ["innosim", "levers", str(experiment_file), *(["--scale", f"{scale:g}"] if scale else []),
               *(["--max-seeds", str(max_seeds)] if max_seeds else []), *(["--stage", stage] if stage != "all" else []),
               *(["--draws", str(draws)] if draws else []), *(["--lang", t.lang] if lang else [])]
    settings = {
        "created": datetime.datetime.now().isoformat(timespec="seconds"), "command": shlex.join(command),
        "experiment": str(experiment_file), "base": str(experiment.base_file), "full": str(experiment.full_file),
        "levers": {lever.name: {"label": lever.label, "on_file": str(lever.on_file), "on": lever.on,
                                "off": lever.off} for lever in experiment.levers},
        "outputs": {f"{o.name}.{o.region}": o.output.expression for o in experiment.outputs},
        "scale": spec.scale, "seed": spec.seed, "start": experiment.start, "months": experiment.months,
        "end": month_label(experiment.start, experiment.months - 1), "store": str(store_path),
        "jobs": jobs, "scheduler": scheduler,
        "innosim": __version__, "mesa": mesa.__version__, "python": platform.python_version(),
    }
    if table is not None:
        settings |= {"seeds": sorted(int(s) for s in table.values["seed"].unique()), "cap": cap, "looks": table.looks,
                     "tie_level": table.tie_level, "stopped": table.verdict.reason}
    if dose is not None:
        d = experiment.spec.dose
        settings["dose"] = {"counties": list(d.counties), "seeds": d.seeds, "per": d.per, "cost": d.cost,
                            "dials": {dial.name: {"label": dial.label, "keys": list(dial.keys),
                                                  "levels": [list(level) for level in dial.levels]}
                                      for dial in experiment.dials},
                            "runs_total": dose.runs["total"], "runs_reused": dose.runs["reused"]}
        runs = {"total": runs["total"] + dose.runs["total"], "reused": runs["reused"] + dose.runs["reused"]}
    if robustness is not None:
        rob = robustness.robustness
        settings["robustness"] = {
            "draws": rob.spec.draws, "seeds_per_draw": rob.spec.seeds_per_draw, "seed": rob.spec.seed,
            "from_calibration": str(rob.calibration_file) if rob.calibration_file and rob.ensemble is None else None,
            "from_ensemble": None if rob.ensemble is None else {
                "file": str(rob.ensemble.file), "method": rob.ensemble.method, "members": len(rob.ensemble.members),
                "parameters": rob.ensemble.names},
            "uncertainties": {u.name: {"low": u.low, "high": u.high, "integer": u.integer, "base": u.base,
                                       "source": u.source} for u in rob.uncertainties},
            "failure_at_most": rob.spec.failure.at_most, "signs_from": robustness.sign_source,
            "runs_total": robustness.runs["total"], "runs_reused": robustness.runs["reused"]}
        runs = {"total": runs["total"] + robustness.runs["total"], "reused": runs["reused"] + robustness.runs["reused"]}
    settings |= {"runs_total": runs["total"], "runs_reused": runs["reused"], "elapsed": time.perf_counter() - started}
    claim_out_dir(out_dir)
    if table is not None:
        report = write_levers_report(table, experiment, out_dir, settings, t, robustness=robustness, dose=dose,
                                     decomposition=decomposition)
    elif dose is not None:
        report = write_dose_report(dose, experiment, out_dir, settings, t)
    else:
        report = write_robustness_report(robustness, experiment, out_dir, settings, t)
    click.echo(t.say("{written} {md} and {html} ({ran} runs, {reused} reused, {elapsed:.0f} s)",
                     written=t.text('report written to'), md=report, html=report.with_suffix('.html'),
                     ran=runs['total'] - runs['reused'], reused=runs['reused'], elapsed=settings['elapsed']))


def _table_reference(table, out_dir: Path, experiment):
    """The lever table's on-from-base effects to compare the draws with, and where they come from: the
    table just run, else the effects.csv an earlier table run of the same experiment, scale and horizon
    left in `out_dir`, else (None, "the median over draws")."""
    import json

    import pandas as pd

    none = (None, "the median over draws (no lever table at hand)")
    if table is not None:
        return table.effects[table.effects["direction"] == "on"], "the lever table"
    effects, settings = out_dir / "effects.csv", out_dir / "settings.json"
    if not (effects.is_file() and settings.is_file()):
        return none
    try:
        made = json.loads(settings.read_text(encoding="utf-8"))
        frame = pd.read_csv(effects)
    except (OSError, ValueError):
        return none
    levers = {lever.name for lever in experiment.levers}
    if made.get("scale") != experiment.spec.scale or made.get("months") != experiment.months \
            or set(made.get("levers", {})) != levers or "direction" not in frame:
        return none
    return frame[frame["direction"] == "on"], f"the lever table of {made.get('created', '?')} ({effects})"


def sign_source_words(source: str, t) -> str:
    """Where the robustness stage takes its signs from, in the reader's language."""
    from innosim.analysis.levers.robustness_report import sign_source_words as words

    return words(source, t)
