"""`innosim batch SPEC.yaml`: a sweep like NetLogo's BehaviorSpace, written as tidy tables."""

from __future__ import annotations

import datetime
import platform
import shutil
import time
from pathlib import Path

import click

from innosim.i18n import msg

from .batching import resolve_scheduler, run_or_exit
from .options import labels, lang_option, store_option

DEFAULT_OUT = Path("out")


def _setting(task, dotted: str):
    """The value a task's scenario has at a dotted key (what a point that does not set it runs with)."""
    values = dict(task.overrides)
    if dotted in values:
        return values[dotted]
    node = task.scenario.model_dump(mode="json")
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _point_table(tasks, swept: list[str]):
    """One row per task: point number, scenario, the swept settings, replicate, seed, key."""
    import json

    import pandas as pd

    def cell(value):
        return json.dumps(value, sort_keys=True) if isinstance(value, (list, dict)) else value

    points: dict[tuple[str, tuple], int] = {}
    rows = []
    for task in tasks:
        point = points.setdefault((task.scenario_file, task.overrides), len(points))
        rows.append({"point": point, "scenario": task.scenario.name, "scenario_file": task.scenario_file,
                     **{key: cell(_setting(task, key)) for key in swept}, "replicate": task.replicate,
                     "seed": task.seed, "key": task.key})
    return pd.DataFrame(rows)


@click.command()
@click.argument("spec_file", metavar="SPEC.yaml", type=click.Path(path_type=Path))
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, help="worker processes (default: every core)")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="output folder (default: out/batch/<spec name>); the runs stay in the shared store, so rerunning resumes")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="dask.distributed scheduler (default: env INNOSIM_SCHEDULER, else local processes)")
@store_option
@click.option("--progress/--no-progress", default=None, help="progress bar (default: on a terminal)")
@click.option("--max-runs", type=click.IntRange(min=1), default=None,
              help="allow a sweep of more runs than the default limit (100,000)")
@lang_option
def batch(spec_file: Path, jobs: int | None, out_dir: Path | None, scheduler: str | None,
          store_path: Path | None, progress: bool | None, max_runs: int | None, lang: str | None) -> None:
    """Run the sweep in SPEC.yaml (scenario, override grid or points, replicates) and write tidy tables."""
    labels(lang)  # the tables hold keys and numbers; the messages are in this language
    from innosim.batch import check_store, default_store_path, load_spec, spec_tasks
    from innosim.batch.spec import MAX_RUNS

    spec = load_spec(spec_file, max_runs=max_runs or MAX_RUNS)
    tasks = spec_tasks(spec, spec_file)  # every point validated: a bad one stops all before any run
    scheduler = resolve_scheduler(scheduler, jobs)

    import mesa

    from innosim import __version__
    from innosim.analysis.compare.tables import in_model_order, summarise
    from innosim.analysis.trust import trust_paragraphs
    from innosim.io import write_atomic, write_json_atomic
    from innosim.outdir import check_out_dir, claim_out_dir, file_name

    store_path = check_store(store_path or default_store_path())
    out_dir = check_out_dir(out_dir or DEFAULT_OUT / "batch" / file_name(spec.name, spec_file))
    started = time.perf_counter()
    store = run_or_exit(tasks, store_path, jobs=jobs, scheduler=scheduler, progress=progress,
                        label=msg("batch {name}", name=spec.name))

    swept = spec.swept_keys()
    ids = _point_table(tasks, swept)
    end = store.end_values(tasks)[["key", "indicator", "region", "value"]]
    results = in_model_order(ids.drop(columns="scenario_file").merge(end, on="key", how="inner"))
    results = results.sort_values(["point", "replicate"], kind="stable").reset_index(drop=True)
    summary = summarise(results, by=["point", "scenario", *swept, "indicator", "region"])
    point_cols = ["point", "scenario", "scenario_file", *swept]
    points = ids.drop_duplicates("point")[point_cols]
    claim_out_dir(out_dir)
    write_atomic(out_dir / "results.csv", lambda p: results.to_csv(p, index=False, float_format="%.10g"))
    write_atomic(out_dir / "summary.csv", lambda p: summary.to_csv(p, index=False, float_format="%.10g"))
    write_atomic(out_dir / "points.csv", lambda p: points.to_csv(p, index=False))
    written = ["results.csv", "summary.csv", "points.csv"]
    if spec.timeseries:
        series = store.timeseries(tasks)
        write_atomic(out_dir / "timeseries.parquet", lambda p: series.to_parquet(p, index=False))
        written.append("timeseries.parquet")
    write_atomic(out_dir / "spec.yaml", lambda p: shutil.copyfile(spec_file, p))
    write_json_atomic(out_dir / "settings.json", {
        "spec": str(spec_file), "name": spec.name, "created": datetime.datetime.now().isoformat(timespec="seconds"),
        "points": len(points), "replicates": spec.replicates, "seed": spec.seed, "runs": store.last_batch,
        "jobs": jobs, "scheduler": scheduler,
        "elapsed": time.perf_counter() - started, "innosim": __version__, "mesa": mesa.__version__,
        "python": platform.python_version(), "store": str(store_path),
        "trust": trust_paragraphs(tasks[0].scenario_file) if tasks else [],
    })
    store.close()
    stats = store.last_batch
    click.echo(msg("{points} points x {replicates} replicates: {ran} runs done, {reused} reused; tables in "
                   "{out}/ ({files})", points=len(points), replicates=spec.replicates, ran=stats["ran"],
                   reused=stats["stored_before"], out=out_dir, files=", ".join(written)))
