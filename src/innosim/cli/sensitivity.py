"""`innosim sensitivity`: rank the levers of an experiment file with Morris, Sobol' (SALib), or Sobol'
on a Gaussian-process emulator."""

from __future__ import annotations

import hashlib
import importlib.metadata
import platform
import sys
import time
from pathlib import Path

import click

from innosim.batch.spec import MAX_RUNS
from innosim.scenario import ScenarioError

from .batching import resolve_scheduler
from .options import labels, lang_option

DEFAULT_OUT = Path("out") / "sensitivity"


def _provenance(experiment) -> dict:
    import mesa

    from innosim import __version__
    from innosim.scenario import content_hash, load_scenario

    return {"experiment_file": str(experiment.file), "base_scenario": str(experiment.base_file),
            "base_scenario_hash": content_hash(load_scenario(experiment.base_file)),
            "base_hash_with_constants": experiment.base_hash,
            "kept_from": str(experiment.kept_from or ""),
            "experiment_sha256": hashlib.sha256(experiment.file.read_bytes()).hexdigest(),
            "innosim": __version__, "mesa": mesa.__version__, "SALib": importlib.metadata.version("SALib"),
            "scikit-learn": importlib.metadata.version("scikit-learn"), "python": platform.python_version()}


@click.command()
@click.argument("experiment_file", metavar="EXPERIMENT.yaml", type=click.Path(path_type=Path))
@click.option("--method", type=click.Choice(["morris", "sobol", "emulator"]), required=True,
              help="morris: screening by elementary effects; sobol: variance-based S1/ST indices; emulator: "
                   "S1/ST on a Gaussian-process emulator fitted to the replicates (for noisy outputs)")
@click.option("--n", "n", type=click.IntRange(2, 10_000_000), default=None,
              help="Morris trajectories, Sobol' base sample N, or emulator design points; N and the emulator's "
                   "points a power of 2 (default: the experiment's)")
@click.option("--kept", type=click.Path(path_type=Path), default=None,
              help="a Morris screening's kept.yaml to take the factors from (instead of the file's keep:)")
@click.option("--replicates", type=click.IntRange(1, 10_000), default=None,
              help="runs per design point, averaged (default: the experiment's)")
@click.option("--jobs", type=click.IntRange(min=1), default=None, help="worker processes (default: every core)")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="output folder (default: out/sensitivity/<experiment>-<method>)")
@click.option("--scheduler", default=None, help="address of a Dask scheduler to run on (default: local)")
@click.option("--second-order/--no-second-order", default=None,
              help="Sobol' second-order indices S2 too (default: the experiment's)")
@click.option("--progress/--no-progress", default=None, help="progress bar (default: on a terminal)")
@click.option("--max-runs", type=click.IntRange(min=1), default=None,
              help=f"allow a design of more runs than the default limit ({MAX_RUNS:,})")
@lang_option
def sensitivity(experiment_file: Path, method: str, n: int | None, kept: Path | None, replicates: int | None,
                jobs: int | None, out_dir: Path | None, scheduler: str | None, second_order: bool | None,
                progress: bool | None, max_runs: int | None, lang: str | None) -> None:
    """Sample the factors of EXPERIMENT.yaml, run every point with replicates through the batch engine
    (parallel and resumable: run the same command again after an interruption), and write rankings,
    plots and report.md/report.html (a Morris screening also kept.yaml, for the Sobol' stage).
    See docs/sensitivity.md."""
    from innosim.analysis.sensitivity.experiment import load_experiment
    from innosim.analysis.sensitivity.report import check_words, strongest_levers, write_report
    from innosim.analysis.sensitivity.study import default_n, design_size, run_experiment
    from innosim.batch import BatchError, ResultStore
    from innosim.outdir import check_out_dir, claim_out_dir, file_name

    t = labels(lang)
    experiment = load_experiment(experiment_file, kept=kept)
    scheduler = resolve_scheduler(scheduler, jobs)
    provenance = _provenance(experiment)  # the file as it was when the runs started
    spec = experiment.spec
    size = n or default_n(experiment, method)
    if method in ("sobol", "emulator") and size & (size - 1):
        what = "Sobol' N" if method == "sobol" else "the emulator's design points"
        raise click.BadParameter(t.say("{what} must be a power of 2, got {size}", what=t.text(what), size=size),
                                 param_hint="--n")
    if method == "morris" and size < 2:
        raise click.BadParameter(t.text("Morris needs at least 2 trajectories"), param_hint="--n")
    reps = replicates or spec.replicates
    order = spec.sobol.second_order if second_order is None else second_order
    out_dir = check_out_dir(out_dir or DEFAULT_OUT / f"{file_name(experiment.name, experiment_file)}-{method}")
    points = design_size(experiment, method, size, order)
    if points * reps > (max_runs or MAX_RUNS):  # refused before the design is sampled or a file is written
        raise ScenarioError(experiment_file, {"morris": "morris.trajectories", "sobol": "sobol.n",
                                              "emulator": "emulator.n"}[method],
                            t.say("{method} with {factors} factors: {points:,} design points x {reps} "
                                  "replicates = {runs:,} runs, more than the limit of "
                                  "{limit:,}; pass --max-runs {runs} to allow them", method=method,
                                  factors=len(experiment.factors), points=points, reps=reps, runs=points * reps,
                                  limit=max_runs or MAX_RUNS))
    click.echo(t.say("{name}: {method}, {factors} factors, {points} design points x "
                     "{reps} replicates = up to {runs} runs (scale {scale:g}, {months} months)", name=experiment.name,
                     method=t.text(method), factors=len(experiment.factors), points=points, reps=reps,
                     runs=points * reps, scale=spec.scale, months=spec.months))
    started = time.perf_counter()
    store = ResultStore(claim_out_dir(out_dir) / "runs.sqlite")
    try:
        study = run_experiment(experiment, method, store, n=size, replicates=reps, second_order=order,
                               jobs=jobs, scheduler=scheduler, progress=progress)
    except KeyboardInterrupt:
        click.echo("\n" + t.say("interrupted: {n} finished runs are kept in {path}; "
                                "run the same command again to resume", n=len(store), path=store.path), err=True)
        sys.exit(130)
    except BatchError as exc:
        click.echo(f"{t.text('error')}: {exc}", err=True)
        sys.exit(1)
    finally:
        store.close()
    if t.chinese:   # the report, its plots and summary.json say which language they are in
        study.settings["lang"] = t.lang
    files = write_report(study, out_dir, provenance, experiment)
    b = study.batch
    repeated = t.say(" ({repeated} repeated design points share runs)", repeated=b['repeated']) \
        if b.get("repeated") else ""
    click.echo(t.say("{ran} runs done now, {stored} already stored{repeated}; {elapsed:.0f} s in all", ran=b['ran'],
                     stored=b['stored_before'], repeated=repeated, elapsed=time.perf_counter() - started))
    for name, result in study.results.items():  # the strongest levers clear of noise; uncertainties are context
        top = strongest_levers(study, result) if result.indices is not None else check_words(result.skipped, t)
        if t.chinese:
            flag = t.say(" [{n} warnings]", n=len(result.warnings)) if result.warnings else ""
        else:
            flag = f" [{len(result.warnings)} warning{'s' * (len(result.warnings) != 1)}]" if result.warnings else ""
        click.echo(f"  {name}: {top}{flag}")
    if "kept" in files:
        click.echo(t.say("kept for the Sobol' stage: {path}", path=out_dir / files['kept']))
    click.echo(t.say("report: {md} and {html}, rankings, plots in {out}/", md=out_dir / files['report'],
                     html=files['html'], out=out_dir))
