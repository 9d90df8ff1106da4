"""`innosim compare`: replicates of several scenarios with common random numbers, and a report."""

from __future__ import annotations

import datetime
import hashlib
import platform
import shlex
import time
from pathlib import Path

import click

from .batching import resolve_scheduler, run_or_exit

DEFAULT_OUT = Path("out")
#: Sized so that `innosim compare baseline full_integration` takes a few minutes on two cores.
DEFAULT_REPLICATES = 20
DEFAULT_SCALE = 0.5


def scenario_labels(names: list[str]) -> list[str]:
    """Scenario names, made unique where a name repeats (``baseline``, ``baseline#2``)."""
    seen: dict[str, int] = {}
    labels = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        labels.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
    return labels


def default_out(labels: list[str]) -> Path:
    name = "-vs-".join(labels)
    if len(name) > 80:
        name = f"{labels[0]}-vs-{len(labels) - 1}-others-{hashlib.sha256(name.encode()).hexdigest()[:8]}"
    return DEFAULT_OUT / "compare" / name.replace("#", "_")


@click.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--replicates", "-r", type=click.IntRange(min=2), default=DEFAULT_REPLICATES, show_default=True,
              help="runs per scenario (replicate r has the same seed in every scenario)")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="worker processes (default: every core)")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="output folder (default: out/compare/<names>); holds the results store, so rerunning resumes")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="root seed")
@click.option("--months", type=click.IntRange(min=1, max=600), default=None,
              help="horizon (default: the scenarios')")
@click.option("--scale", type=click.FloatRange(min=0, min_open=True, max=10), default=DEFAULT_SCALE,
              show_default=True, help="population scale of every scenario (1 = real size)")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="dask.distributed scheduler (default: env INNOSIM_SCHEDULER, else local processes)")
@click.option("--progress/--no-progress", default=None, help="progress bar (default: on a terminal)")
def compare(scenarios: tuple[Path, ...], replicates: int, jobs: int | None, out_dir: Path | None, seed: int,
            months: int | None, scale: float, scheduler: str | None, progress: bool | None) -> None:
    """Compare SCENARIOS (the first is the baseline): means, 95 % CIs and paired differences."""
    from innosim.batch import make_tasks

    if len(scenarios) < 2:
        raise click.UsageError("give a baseline and at least one other scenario")
    scheduler = resolve_scheduler(scheduler)  # recorded in settings.json; a wrong address stops here
    # every file is loaded and validated here: a bad one stops everything before a run or a file
    tasks = make_tasks(list(scenarios), [{"run.scale": scale}], replicates=replicates, root_seed=seed,
                       months=months)

    import mesa

    from innosim import __version__
    from innosim.analysis.compare import gather
    from innosim.analysis.compare_report import BAND_INDICATORS, write_comparison
    from innosim.model import month_label
    from innosim.scenario import content_hash

    groups_list = [tasks[i * replicates:(i + 1) * replicates] for i in range(len(scenarios))]
    labels = scenario_labels([group[0].scenario.name for group in groups_list])
    groups = dict(zip(labels, groups_list, strict=True))
    out_dir = out_dir or default_out(labels)
    store_path = out_dir / "results.sqlite"

    started = time.perf_counter()
    store = run_or_exit(tasks, store_path, jobs=jobs, scheduler=scheduler, progress=progress,
                        label=f"compare {len(labels)} scenarios")
    comparison = gather(store, groups, band_indicators=BAND_INDICATORS)
    first = tasks[0].scenario
    horizon = months or first.run.months
    settings = {
        "created": datetime.datetime.now().isoformat(timespec="seconds"),
        "command": shlex.join(["innosim", "compare", *map(str, scenarios), "--replicates", str(replicates),
                               "--scale", f"{scale:g}", "--seed", str(seed),
                               *(["--months", str(months)] if months else []), "--out", str(out_dir)]),
        "scenarios": [{"label": label, "file": str(group[0].scenario_file), "name": group[0].scenario.name,
                       "description": " ".join(group[0].scenario.description.split()),
                       "hash": content_hash(group[0].scenario)} for label, group in groups.items()],
        "replicates": replicates, "seed": seed, "seeds": [t.seed for t in groups_list[0]], "scale": scale,
        "months": horizon, "start": first.run.start, "end": month_label(first.run.start, horizon - 1),
        "store": store_path.name, "runs_total": store.last_batch["tasks"],
        "runs_reused": store.last_batch["stored_before"], "elapsed": time.perf_counter() - started,
        "jobs": jobs, "scheduler": scheduler, "level": 0.95,
        "innosim": __version__, "mesa": mesa.__version__, "python": platform.python_version(),
    }
    report = write_comparison(comparison, out_dir, settings)
    store.close()
    click.echo(f"report written to {report} and {report.with_suffix('.html')} "
               f"({settings['runs_total'] - settings['runs_reused']} runs, "
               f"{settings['runs_reused']} reused, {settings['elapsed']:.0f} s)")
