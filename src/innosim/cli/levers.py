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
@click.option("--max-seeds", type=click.IntRange(min=2), default=None,
              help="stop adding seed blocks at this many seeds (default: the experiment's cap)")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="output folder (default: out/levers/<experiment name>)")
@store_option
@click.option("--progress/--no-progress", default=None, help="progress bar (default: on a terminal)")
@lang_option
def levers(experiment_file: Path, scale: float | None, jobs: int | None, scheduler: str | None,
           max_seeds: int | None, out_dir: Path | None, store_path: Path | None, progress: bool | None,
           lang: str | None) -> None:
    """Switch each lever of EXPERIMENT.yaml on alone from the base and off alone from the full scenario,
    on the same seeds, adding seed blocks until the headline is precise enough or its leader is clear
    (or the cap is reached); write report.md/report.html with the lever table and its CSVs.

    Runs go through the shared results store: an interrupted study resumes, a rerun reuses every run."""
    import mesa

    from innosim import __version__
    from innosim.analysis.levers.experiment import load_levers
    from innosim.analysis.levers.report import write_levers_report
    from innosim.analysis.levers.study import run_study
    from innosim.batch import default_store_path
    from innosim.model import month_label

    t = labels(lang)
    experiment = load_levers(experiment_file, scale=scale)
    scheduler = resolve_scheduler(scheduler)
    store_path = store_path or default_store_path()
    out_dir = out_dir or DEFAULT_OUT / experiment.name
    spec = experiment.spec
    cap = max_seeds or spec.seeds.cap
    click.echo(f"{experiment.name}: {len(experiment.levers)} levers, {2 + 2 * len(experiment.levers)} variants, "
               f"seeds {spec.seeds.first} + {spec.seeds.block} a block up to {cap} (scale {spec.scale:g}, "
               f"{experiment.months} months)")
    started = time.perf_counter()

    def run(tasks, label):
        return run_or_exit(tasks, store_path, jobs=jobs, scheduler=scheduler, progress=progress, label=label)

    def show(table) -> None:
        step = table.history[-1]
        click.echo(f"  {step['seeds']} seeds: headline half-width up to {step['widest_half_width']:.3g} "
                   f"(asked {step['precision']:.3g}); {table.labels[step['leader']]} first in "
                   f"{step['leader_probability']:.0%} of bootstrap samples -> {step['decision']}")

    table, runs = run_study(experiment, run, max_seeds=max_seeds, on_block=show)
    command = ["innosim", "levers", str(experiment_file), *(["--scale", f"{scale:g}"] if scale else []),
               *(["--max-seeds", str(max_seeds)] if max_seeds else []), *(["--lang", t.lang] if lang else [])]
    settings = {
        "created": datetime.datetime.now().isoformat(timespec="seconds"), "command": shlex.join(command),
        "experiment": str(experiment_file), "base": str(experiment.base_file), "full": str(experiment.full_file),
        "levers": {lever.name: {"label": lever.label, "on_file": str(lever.on_file), "on": lever.on,
                                "off": lever.off} for lever in experiment.levers},
        "outputs": {f"{o.name}.{o.region}": o.output.expression for o in experiment.outputs},
        "scale": spec.scale, "seed": spec.seed, "seeds": sorted(int(s) for s in table.values["seed"].unique()),
        "cap": cap, "looks": table.looks, "tie_level": table.tie_level, "stopped": table.verdict.reason, "start": experiment.start, "months": experiment.months,
        "end": month_label(experiment.start, experiment.months - 1), "store": str(store_path),
        "runs_total": runs["total"], "runs_reused": runs["reused"], "elapsed": time.perf_counter() - started,
        "jobs": jobs, "scheduler": scheduler,
        "innosim": __version__, "mesa": mesa.__version__, "python": platform.python_version(),
    }
    report = write_levers_report(table, experiment, out_dir, settings, t)
    click.echo(f"{t.text('report written to')} {report} and {report.with_suffix('.html')} "
               f"({runs['total'] - runs['reused']} runs, {runs['reused']} reused, {settings['elapsed']:.0f} s)")

