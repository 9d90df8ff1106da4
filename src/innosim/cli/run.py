"""`innosim run` and `innosim validate`."""

from __future__ import annotations

import sys
import warnings
from contextlib import contextmanager
from pathlib import Path

import click

from innosim.scenario import ScenarioError, load_scenario

DEFAULT_OUT = Path("out")


@contextmanager
def month_progress(label: str, enabled: bool):
    """A rich progress bar on a terminal; silence elsewhere. Yields a callback(done, total)."""
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), transient=True) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


@click.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--seed", type=click.IntRange(min=0), default=1, show_default=True, help="random seed")
@click.option("--months", type=click.IntRange(min=1), default=None, help="horizon (default: the scenario's)")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="output folder (default: out/run/<scenario>-seed<N>)")
@click.option("--progress/--no-progress", default=None, help="progress bar (default: on a terminal)")
def run(scenario: Path, seed: int, months: int | None, out_dir: Path | None, progress: bool | None) -> None:
    """Run one SCENARIO file and write its indicators, summary and plot."""
    from innosim.model import simulate
    from innosim.model.ledger import MoneyError
    from innosim.outputs import write_run_outputs

    spec = load_scenario(scenario)
    out_dir = out_dir or DEFAULT_OUT / "run" / f"{spec.name}-seed{seed}"
    show = sys.stderr.isatty() if progress is None else progress
    with month_progress(f"{spec.name} (seed {seed})", show) as update, warnings.catch_warnings():
        # overflow in the model shows as a MoneyError naming the month and the account, not as numpy's warnings
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            result = simulate(spec, seed=seed, months=months, progress=update)
        except MoneyError as exc:
            raise MoneyError(f"{scenario} (seed {seed}): {exc}") from None
    write_run_outputs(result, spec, out_dir, scenario_file=scenario, seed=seed)
    click.echo(f"outputs written to {out_dir}/ (timeseries.csv, timeseries.parquet, summary.json, indicators.png)")


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate(files: tuple[Path, ...]) -> None:
    """Check scenario FILES without running them."""
    failed = False
    for file in files:
        try:
            spec = load_scenario(file)
        except ScenarioError as exc:
            click.echo(f"error: {exc}", err=True)
            failed = True
        else:
            click.echo(f"ok: {file} ({spec.name})")
    if failed:
        sys.exit(2)
