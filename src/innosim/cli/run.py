"""`innosim run` and `innosim validate`."""

from __future__ import annotations

import sys
import warnings
from contextlib import contextmanager
from pathlib import Path

import click

from innosim.catalogue import COUNTIES, INDICATORS, ZONE, main_indicators
from innosim.scenario import ScenarioError, load_scenario, warnings_for
from innosim.scenario.diagnostics import translate
from innosim.i18n import msg

from .options import MAX_MONTHS, MAX_SEED, SET_SOURCE, labels, lang_option, overrides_from, scale_option, set_option

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


#: The indicators `innosim run` prints at the horizon (zone and counties).
SUMMARY_INDICATORS = main_indicators("summary")
SUMMARY_REGIONS = (ZONE, *COUNTIES)


def horizon_summary(end: dict, t) -> str:
    """The main indicators at the horizon as a small table (flows: the last 12 months)."""
    from rich.console import Console
    from rich.table import Table

    from innosim.analysis.report import fmt

    units = {i.name: i.unit for i in INDICATORS}
    table = Table(title=t.text("Main indicators at the horizon"), header_style="bold", title_justify="left")
    table.add_column(t.text("indicator"))
    for region in SUMMARY_REGIONS:
        table.add_column(t.place(region), justify="right")
    for name in SUMMARY_INDICATORS:
        if name not in end:
            continue
        label = f"{t.indicator(name)} ({t.unit(units.get(name, ''))})"
        table.add_row(label, *(_number(end[name].get(region), fmt) for region in SUMMARY_REGIONS))
    console = Console(width=120, file=None, force_terminal=False, color_system=None, record=True)
    with console.capture() as capture:
        console.print(table)
    return capture.get()


def _number(value, fmt) -> str:
    if value is not None and float(value).is_integer():
        return f"{value:,.0f}"
    return fmt(value)


@click.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--seed", type=click.IntRange(0, MAX_SEED), default=1, show_default=True, help="random seed")
@click.option("--months", type=click.IntRange(1, MAX_MONTHS), default=None, help="horizon (default: the scenario's)")
@scale_option(None, "population scale (default: the scenario's run.scale; 1 = real size)")
@set_option
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="output folder (default: out/run/<scenario>-seed<N>)")
@click.option("--progress/--no-progress", default=None, help="progress bar (default: on a terminal)")
@lang_option
def run(scenario: Path, seed: int, months: int | None, scale: float | None, sets: tuple[str, ...],
        out_dir: Path | None, progress: bool | None, lang: str | None) -> None:
    """Run one SCENARIO file and write its indicators, summary and plot; print the main indicators
    at the horizon."""
    from innosim.errors import MechanismError
    from innosim.guard import guarded_simulate
    from innosim.model.ledger import MoneyError
    from innosim.outdir import check_out_dir, file_name
    from innosim.outputs import write_run_outputs

    t = labels(lang)
    overrides = overrides_from(sets, scale)
    spec = load_scenario(scenario, overrides, override_source=SET_SOURCE)
    for warning in warnings_for(scenario, overrides, SET_SOURCE):
        click.echo(msg("warning: {message}", message=warning.one_line()), err=True)
    out_dir = check_out_dir(out_dir or DEFAULT_OUT / "run" / f"{file_name(spec.name, scenario)}-seed{seed}")
    show = sys.stderr.isatty() if progress is None else progress
    with month_progress(f"{spec.name} (seed {seed})", show) as update, warnings.catch_warnings():
        # overflow in the model shows as a MoneyError naming the month and the account, not as numpy's warnings
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            result = guarded_simulate(spec, seed=seed, months=months, progress=update)
        except MoneyError as exc:
            raise MoneyError(f"{scenario} (seed {seed}): {exc}") from None
        except MechanismError as exc:
            raise MechanismError(exc.month, exc.mechanism, exc.cause, f"{exc.setting} in {scenario} (seed {seed})"
                                 if exc.setting else f"{scenario} (seed {seed})") from None
    write_run_outputs(result, spec, out_dir, scenario_file=scenario, seed=seed, labels=t)
    click.echo(msg("{name}, seed {seed}, scale {scale}, {months} months", name=spec.name, seed=seed,
                   scale=f"{spec.run.scale:g}", months=int(result.timeseries['month'].max())))
    click.echo(horizon_summary(result.end, t), nl=False)
    click.echo(f"{t.text('outputs written to')} {out_dir}/ (timeseries.csv, timeseries.parquet, summary.json, "
               "indicators.png)")


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@lang_option
def validate(files: tuple[Path, ...], lang: str | None) -> None:
    """Check scenario FILES without running them: every problem of each file at once (exit 2), and
    warnings (exit 0) for settings that change nothing, are overridden, or narrow the base's."""
    labels(lang)  # an unknown language is refused here
    failed = False
    for file in files:
        try:
            spec = load_scenario(file)
        except ScenarioError as exc:
            click.echo(msg("error: {message}", message=translate(exc, exc.file)), err=True)
            failed = True
        else:
            click.echo(msg("ok: {file} ({name})", file=file, name=spec.name))
            for warning in warnings_for(file):
                click.echo(msg("warning: {message}", message=warning.one_line()), err=True)
    if failed:
        sys.exit(2)
