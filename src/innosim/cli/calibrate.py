"""`innosim calibrate`: fit the baseline's free behavioural parameters to the paper's figures."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import click

from .batching import resolve_scheduler

DEFAULT_OUT = Path("out") / "calibration"
QUICK_OUT = Path("out") / "calibration-quick"
#: A quick look: the initial population only, one replicate, coarse profiles (a few minutes).
QUICK = {"budget": 48, "replicates": 1, "check_replicates": 4, "profile_points": 3}


@click.command()
@click.argument("targets_file", metavar="TARGETS.yaml", type=click.Path(path_type=Path))
@click.option("--parameters", "parameters_file", type=click.Path(path_type=Path), default=None,
              help="free parameters and search settings (default: parameters.yaml beside TARGETS.yaml)")
@click.option("--budget", type=click.IntRange(min=1), default=None,
              help="parameter sets to evaluate at most (default: the parameters file's search.budget)")
@click.option("--replicates", type=click.IntRange(min=1), default=None,
              help="runs per parameter set, same seeds for every set (default: search.replicates)")
@click.option("--check-replicates", type=click.IntRange(min=2), default=None,
              help="fresh replicates for the fit table at the optimum (default: search.check_replicates)")
@click.option("--profile-points", type=click.IntRange(min=3), default=None,
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
def calibrate(targets_file: Path, parameters_file: Path | None, budget: int | None, replicates: int | None,
              check_replicates: int | None, profile_points: int | None, jobs: int | None, scheduler: str | None,
              out_dir: Path | None, write_to: Path | None, quick: bool, progress: bool | None) -> None:
    """Fit the free parameters to TARGETS.yaml by differential evolution over runs of the baseline
    (2015-2019), evaluated through the batch engine (parallel, resumable: run the same command again
    after an interruption and finished runs are reused). Writes result.yaml and calibrated.yaml, and
    a fit report with identifiability profiles and stylised facts."""
    from innosim.analysis.calibration.files import load_calibration
    from innosim.analysis.calibration.study import calibrate as run_calibration
    from innosim.batch import BatchError

    cal = load_calibration(targets_file, parameters_file)
    scheduler = resolve_scheduler(scheduler)
    if quick:
        budget = budget or QUICK["budget"]
        replicates = replicates or QUICK["replicates"]
        check_replicates = check_replicates or QUICK["check_replicates"]
        profile_points = profile_points or QUICK["profile_points"]
        out_dir = out_dir or QUICK_OUT
        write_to = write_to or out_dir
    out_dir = out_dir or DEFAULT_OUT
    write_to = write_to or targets_file.parent
    command = "innosim calibrate " + " ".join(shlex.quote(a) for a in sys.argv[2:]) if len(sys.argv) > 2 \
        else f"innosim calibrate {targets_file}"
    try:
        outcome = run_calibration(cal, out_dir, write_to, budget=budget, replicates=replicates,
                                  check_replicates=check_replicates, profile_points=profile_points, jobs=jobs,
                                  scheduler=scheduler, progress=progress, command=command,
                                  log=lambda text: click.echo(text, err=True))
    except BatchError as exc:
        click.echo(f"error: {exc}\n(finished runs are kept: run the same command again to continue)", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("interrupted: finished runs are kept; run the same command again to continue", err=True)
        sys.exit(130)
    click.echo(f"{outcome.result['targets_met']} fitted targets met, distance "
               f"{outcome.result['distance']['check']:.3f}")
    click.echo(f"wrote {write_to / 'result.yaml'}, {write_to / 'calibrated.yaml'}, {out_dir / 'report.html'}")
