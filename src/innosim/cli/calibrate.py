"""`innosim calibrate`: fit the baseline's free behavioural parameters to the paper's figures."""

from __future__ import annotations

import contextlib
import shlex
import sys
from pathlib import Path

import click

from innosim.outdir import claim_out_dir
from innosim.i18n import msg

from .batching import resolve_scheduler
from .options import labels, lang_option

DEFAULT_OUT = Path("out") / "calibration"
QUICK_OUT = Path("out") / "calibration-quick"
#: A quick look: the initial population only, one replicate, coarse profiles (a few minutes).
QUICK = {"budget": 48, "replicates": 1, "check_replicates": 4, "profile_points": 3}
ENSEMBLE_OUT = Path("out") / "calibration-ensemble"
#: Options of one method only: name -> method.
ONLY = {"budget": "de", "check_replicates": "de", "profile_points": "de", "quick": "de",
        "points": "history-matching", "waves": "history-matching", "cutoff": "history-matching",
        "worst_ignored": "history-matching", "scale": "history-matching", "seed": "history-matching"}


@click.command()
@click.argument("targets_file", metavar="TARGETS.yaml", type=click.Path(path_type=Path))
@click.option("--parameters", "parameters_file", type=click.Path(path_type=Path), default=None,
              help="free parameters and search settings (default: parameters.yaml beside TARGETS.yaml)")
@click.option("--method", type=click.Choice(["de", "history-matching"]), default="de", show_default=True,
              help="de: one best fit by differential evolution, with profiles and a fit report; history-matching: "
                   "an ensemble of every parameter set the targets do not rule out (ensemble.yaml, its best member "
                   "in calibrated.yaml), which `innosim levers` robustness draws from")
@click.option("--points", type=click.IntRange(4, 10_000), default=None,
              help="history matching: parameter sets per wave (default: the parameters file's ensemble.points)")
@click.option("--waves", type=click.IntRange(1, 10), default=None,
              help="history matching: waves, each sampling the previous wave's kept sets (default: ensemble.waves)")
@click.option("--cutoff", type=click.FloatRange(0.1, 100.0), default=None,
              help="history matching: largest implausibility (|z| of the worst target) kept (default: ensemble.cutoff)")
@click.option("--worst-ignored", type=click.IntRange(0, 5), default=None,
              help="history matching: targets whose |z| the implausibility skips, worst first (default: "
                   "ensemble.worst_ignored)")
@click.option("--scale", type=click.FloatRange(min=0, min_open=True, max=10), default=None,
              help="history matching: model scale of the runs (default: ensemble.scale, else the targets file's)")
@click.option("--seed", type=click.IntRange(0, 2**63 - 1), default=None,
              help="history matching: seed of the design (default: ensemble.seed; the runs' seeds are search.root_seed's)")
@click.option("--budget", type=click.IntRange(1, 100_000), default=None,
              help="parameter sets to evaluate at most (default: the parameters file's search.budget)")
@click.option("--replicates", type=click.IntRange(1, 100), default=None,
              help="runs per parameter set, same seeds for every set (default: search.replicates)")
@click.option("--check-replicates", type=click.IntRange(2, 1000), default=None,
              help="fresh replicates for the fit table at the optimum (default: search.check_replicates)")
@click.option("--profile-points", type=click.IntRange(3, 50), default=None,
              help="points per identifiability profile (default: search.profile_points)")
@click.option("--jobs", type=click.IntRange(min=1), default=None, help="worker processes (default: every core)")
@click.option("--scheduler", default=None, help="address of a Dask scheduler to run on (default: local)")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help=f"runs, tables, figures and report (default: {DEFAULT_OUT})")
@click.option("--write-to", type=click.Path(path_type=Path), default=None,
              help="where result.yaml and calibrated.yaml go (default: the folder of TARGETS.yaml)")
@click.option("--quick", is_flag=True,
              help=f"a quick look: budget {QUICK['budget']}, {QUICK['replicates']} replicate, everything under "
                   f"{QUICK_OUT} (calibration/ is left alone); explicit options still apply")
@click.option("--progress/--no-progress", default=None, help="progress bars (default: on a terminal)")
@lang_option
def calibrate(targets_file: Path, parameters_file: Path | None, method: str, points: int | None, waves: int | None,
              cutoff: float | None, worst_ignored: int | None, scale: float | None, seed: int | None,
              budget: int | None, replicates: int | None,
              check_replicates: int | None, profile_points: int | None, jobs: int | None, scheduler: str | None,
              out_dir: Path | None, write_to: Path | None, quick: bool, progress: bool | None,
              lang: str | None) -> None:
    """Fit the free parameters to TARGETS.yaml over runs of the back-cast (2015-2019), evaluated
    through the batch engine (parallel, resumable: run the same command again after an interruption
    and finished runs are reused).

    --method de (the default): differential evolution to one best fit; writes result.yaml and
    calibrated.yaml, and a fit report with identifiability profiles and stylised facts.
    --method history-matching: waves of parameter sets, keeping those whose implausibility is at
    most the cutoff; writes ensemble.yaml (the members) and calibrated.yaml (its best member), and
    an ensemble report."""
    from innosim.analysis.calibration.files import load_calibration
    from innosim.analysis.calibration.owned import check_replaceable
    from innosim.analysis.calibration.study import calibrate as run_calibration

    t = labels(lang)
    given = {"points": points, "waves": waves, "cutoff": cutoff, "worst_ignored": worst_ignored, "scale": scale,
             "seed": seed, "budget": budget, "check_replicates": check_replicates,
             "profile_points": profile_points, "quick": quick or None}
    for name, value in given.items():
        if value is not None and ONLY[name] != method:
            raise click.UsageError(t.say("--{option} belongs to --method {method}, not {given}",
                                         option=name.replace('_', '-'), method=ONLY[name], given=method))
    cal = load_calibration(targets_file, parameters_file)
    scheduler = resolve_scheduler(scheduler, jobs)
    if method == "history-matching":
        _ensemble(cal, targets_file, out_dir, write_to, points, waves, cutoff, worst_ignored, scale, seed,
                  replicates, jobs, scheduler, progress, t)
        return
    if quick:
        budget = budget or QUICK["budget"]
        replicates = replicates or QUICK["replicates"]
        check_replicates = check_replicates or QUICK["check_replicates"]
        profile_points = profile_points or QUICK["profile_points"]
        out_dir = out_dir or QUICK_OUT
        write_to = write_to or out_dir
    write_to = write_to or targets_file.parent
    check_replaceable([write_to / "result.yaml", write_to / "calibrated.yaml"])  # before anything runs
    out_dir = claim_out_dir(out_dir or DEFAULT_OUT)
    command = _command(targets_file)
    with _finished_runs_kept(t):
        outcome = run_calibration(cal, out_dir, write_to, budget=budget, replicates=replicates,
                                  check_replicates=check_replicates, profile_points=profile_points, jobs=jobs,
                                  scheduler=scheduler, progress=progress, command=command,
                                  log=lambda text: click.echo(text, err=True), labels=t)
    met, _, of = str(outcome.result['targets_met']).partition(" of ")
    click.echo(t.say("{met} of {of} fitted targets met, distance {distance:.3f}", met=met, of=of,
                     distance=outcome.result['distance']['check']) if t.chinese and of else
               f"{outcome.result['targets_met']} fitted targets met, distance "
               f"{outcome.result['distance']['check']:.3f}")
    click.echo(t.say("wrote {files}", files=", ".join(str(f) for f in (write_to / 'result.yaml',
                                                                       write_to / 'calibrated.yaml',
                                                                       out_dir / 'report.html'))))


@contextlib.contextmanager
def _finished_runs_kept(t=None):
    """A failed or interrupted calibration says its finished runs are kept, and exits 1 or 130."""
    from innosim.batch import BatchError
    from innosim.i18n import Labels

    t = t or Labels("en")
    try:
        yield
    except BatchError as exc:
        click.echo(t.say("error: {error}\n(finished runs are kept: run the same command again to continue)",
                         error=exc), err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo(t.text("interrupted: finished runs are kept; run the same command again to continue"), err=True)
        sys.exit(130)


def _command(targets_file: Path) -> str:
    return "innosim calibrate " + " ".join(shlex.quote(a) for a in sys.argv[2:]) if len(sys.argv) > 2 \
        else f"innosim calibrate {targets_file}"


def _ensemble(cal, targets_file: Path, out_dir: Path | None, write_to: Path | None, points: int | None,
              waves: int | None, cutoff: float | None, worst_ignored: int | None, scale: float | None,
              seed: int | None, replicates: int | None, jobs: int | None, scheduler: str | None,
              progress: bool | None, t=None) -> None:
    from innosim.analysis.calibration.owned import check_replaceable
    from innosim.analysis.calibration.study import calibrate_ensemble
    from innosim.batch.spec import MAX_RUNS

    e = cal.ensemble
    runs = (points or e.points) * (waves or e.waves) * (replicates or e.replicates)
    if runs > MAX_RUNS:  # refused before anything runs or is written
        raise click.UsageError(msg("{points} sets x {waves} waves x {replicates} replicates = {runs} runs, more "
                                   "than the limit of {limit}", points=points or e.points, waves=waves or e.waves,
                                   replicates=replicates or e.replicates, runs=f"{runs:,}", limit=f"{MAX_RUNS:,}"))
    if (points or e.points) < e.min_members:
        raise click.UsageError(msg("--points {points} is below the ensemble's min_members ({least}, calibration "
                                   "parameters file)", points=points or e.points, least=e.min_members))
    write_to = write_to or targets_file.parent
    check_replaceable([write_to / "ensemble.yaml", write_to / "calibrated.yaml"])  # before anything runs
    out_dir = claim_out_dir(out_dir or ENSEMBLE_OUT)
    with _finished_runs_kept(t):
        outcome = calibrate_ensemble(cal, out_dir, write_to, points=points, waves=waves, cutoff=cutoff,
                                     worst_ignored=worst_ignored, replicates=replicates, scale=scale, seed=seed,
                                     jobs=jobs, scheduler=scheduler, progress=progress,
                                     command=_command(targets_file), log=lambda text: click.echo(text, err=True),
                                     labels=t)
    data = outcome.data
    click.echo(t.say("{n} ensemble members ({method}{cutoff})", n=data['members_count'], method=t.text(data['method']),
                     cutoff="" if data["cutoff_met"] else
                     t.text("; the cutoff was not met: the sets of lowest implausibility")))
    click.echo(t.say("wrote {files}", files=", ".join(str(f) for f in (write_to / 'ensemble.yaml',
                                                                       write_to / 'calibrated.yaml',
                                                                       out_dir / 'report.html'))))
