"""`innosim optimise EXPERIMENT.yaml`: the best packages of a county's levers under its budget."""

from __future__ import annotations

import datetime
import platform
import shlex
import time
from pathlib import Path

import click

from .batching import resolve_scheduler, run_or_exit
from .options import labels, lang_option, store_option

DEFAULT_OUT = Path("out") / "optimise"


@click.command()
@click.argument("experiment_file", metavar="EXPERIMENT.yaml", type=click.Path(path_type=Path))
@click.option("--scale", type=click.FloatRange(min=0, min_open=True, max=10), default=None,
              help="population scale (default: the file's); counts and money are reported at full scale")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, help="worker processes (default: every core)")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="dask.distributed scheduler (default: env INNOSIM_SCHEDULER, else local processes)")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="output folder (default: out/optimise/<name>)")
@store_option
@click.option("--progress/--no-progress", default=None, help="progress bar (default: on a terminal)")
@lang_option
def optimise(experiment_file: Path, scale: float | None, jobs: int | None, scheduler: str | None,
             out_dir: Path | None, store_path: Path | None, progress: bool | None, lang: str | None) -> None:
    """Search the intensities of a county's levers (the dials of EXPERIMENT.yaml) for the packages that
    do best on its objectives within its budget (NSGA-II), every package judged on the same parameter
    sets of the calibration ensemble and the same seeds as the base; write report.md/report.html with
    the packages in planner words, the Pareto front and the search's convergence.

    Runs go through the shared results store: an interrupted search, run again, proposes the same
    packages and reruns only what the store lacks."""
    import mesa

    from innosim import __version__
    from innosim.analysis.optimise import load_optimise, search
    from innosim.analysis.optimise.gains import decompose_packages
    from innosim.analysis.optimise.report import chosen_packages, write_optimise_report
    from innosim.batch import check_store, default_store_path
    from innosim.scenario import month_label
    from innosim.outdir import check_out_dir, claim_out_dir, file_name

    t = labels(lang)
    o = load_optimise(experiment_file, scale=scale)
    scheduler = resolve_scheduler(scheduler, jobs)
    store_path = check_store(store_path or default_store_path())
    out_dir = check_out_dir(out_dir or DEFAULT_OUT / file_name(o.name, experiment_file))
    spec = o.spec
    started = time.perf_counter()
    runs = {"total": 0, "ran": 0}

    def run(tasks, label):
        store = run_or_exit(tasks, store_path, jobs=jobs, scheduler=scheduler, progress=progress, label=label)
        runs["total"] += store.last_batch["tasks"]
        runs["ran"] += store.last_batch["ran"]
        return store

    def show(generation, front) -> None:
        click.echo(t.say("  generation {generation}/{generations}: {n} package(s) on the front", generation=generation,
                         generations=spec.algorithm.generations, n=len(front)))

    click.echo(t.say("{name}: {dials} dials in {county}, budget +{budget:g} M CNY a year; population "
                     "{population} x {generations} generations, each package on "
                     "{members} parameter set(s) x {seeds} seed(s) (scale {scale:g}, {months} months)", name=o.name,
                     dials=len(o.dials), county=t.place(spec.county) if t.chinese else spec.county, budget=spec.budget,
                     population=spec.algorithm.population, generations=spec.algorithm.generations,
                     members=len(o.members), seeds=spec.seeds, scale=spec.scale, months=o.months))
    result = search(o, run, on_generation=show)
    chosen = chosen_packages(result.front, o)
    decomposition = decompose_packages(o, result, chosen) if chosen else None
    command = ["innosim", "optimise", str(experiment_file), *(["--scale", f"{scale:g}"] if scale else []),
               *(["--lang", t.lang] if lang else [])]
    settings = {
        "created": datetime.datetime.now().isoformat(timespec="seconds"), "command": shlex.join(command),
        "experiment": str(experiment_file), "base": str(o.base_file), "county": spec.county, "budget": spec.budget,
        "dials": {d.name: {"label": d.label, "keys": list(d.keys), "levels": [list(level) for level in d.levels]}
                  for d in o.dials},
        "objectives": {obj.name: {"output": obj.output.expression, "sense": obj.sense} for obj in o.objectives},
        "members": o.members, "members_source": o.members_source, "seeds": spec.seeds, "seed": spec.seed,
        "algorithm": spec.algorithm.model_dump(), "scale": spec.scale, "start": o.start, "months": o.months,
        "end": month_label(o.start, o.months - 1), "store": str(store_path), "jobs": jobs, "scheduler": scheduler,
        "evaluations": len(result.evaluations), "runs_total": runs["total"], "runs_reused": runs["total"] - runs["ran"],
        "elapsed": time.perf_counter() - started,
        "innosim": __version__, "mesa": mesa.__version__, "python": platform.python_version(),
    }
    claim_out_dir(out_dir)
    report = write_optimise_report(result, o, out_dir, settings, t, decomposition)
    click.echo(t.say("{written} {md} and {html} ({ran} runs, {reused} reused, {elapsed:.0f} s)",
                     written=t.text('report written to'), md=report, html=report.with_suffix('.html'),
                     ran=runs['ran'], reused=runs['total'] - runs['ran'], elapsed=settings['elapsed']))
