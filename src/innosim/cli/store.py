"""`innosim store list` and `innosim store prune`: what the shared results store holds, and clearing it."""

from __future__ import annotations

from pathlib import Path

import click
from innosim.i18n import msg

from .options import labels, lang_option, store_option


def _open(store_path: Path | None):
    from innosim.batch import ResultStore, default_store_path

    path = store_path or default_store_path()
    if not path.exists():
        raise click.UsageError(msg("no results store at {path} yet (compare and batch create it)", path=path))
    return ResultStore(path)


@click.group()
def store() -> None:
    """The results store every comparison and batch shares (out/store/results.sqlite)."""


@store.command("list")
@store_option
@lang_option
def list_runs(store_path: Path | None, lang: str | None) -> None:
    """Stored runs by scenario, overrides and horizon; 'stale' runs were made by older model code
    and are never reused."""
    from rich.console import Console
    from rich.table import Table

    labels(lang)
    with _open(store_path) as results:
        results.check()  # a damaged store says so (exit 1) rather than list what it can still read
        overview = results.overview()
        table = Table(title=msg("{path}: {n} runs", path=results.path, n=len(results)), header_style="bold")
        for column in ("scenario", "file", "overrides", "months", "runs", "stale", "last run"):
            table.add_column(msg(column), overflow="fold")
        for row in overview.itertuples(index=False):
            stale = int(row.runs - row.current)
            table.add_row(row.scenario, str(row.scenario_file), row.overrides,
                          "" if row.months is None or row.months != row.months else str(int(row.months)),
                          str(int(row.runs)), str(stale) if stale else "", row.last)
        Console(width=160).print(table)
        size = results.path.stat().st_size / 1e6
    click.echo(msg("{size} MB; `innosim store prune --stale` removes runs of older model code", size=f"{size:.1f}"))


@store.command()
@store_option
@click.option("--stale", is_flag=True, help="runs made by older model code (never reused)")
@click.option("--scenario", default=None, help="runs of this scenario name")
@click.option("--older-than", "days", type=click.FloatRange(min=0), default=None, metavar="DAYS",
              help="runs finished more than DAYS days ago")
@click.option("--all", "everything", is_flag=True, help="every run")
@click.option("--dry-run", is_flag=True, help="say what would be removed, remove nothing")
@lang_option
def prune(store_path: Path | None, stale: bool, scenario: str | None, days: float | None, everything: bool,
          dry_run: bool, lang: str | None) -> None:
    """Remove stored runs matching every condition given (at least one is needed)."""
    labels(lang)
    if not (stale or scenario or days is not None or everything):
        raise click.UsageError(msg("say which runs: --stale, --scenario NAME, --older-than DAYS or --all"))
    with _open(store_path) as results, results.exclusive():  # never under a running batch
        keys = results.runs()["key"].tolist() if everything else \
            results.select_keys(scenario=scenario, older_than_days=days, stale=stale)
        if dry_run:
            click.echo(msg("would remove {n} of {total} runs from {path}", n=len(keys), total=len(results),
                           path=results.path))
            return
        removed = results.delete(keys)
        results.vacuum()
        click.echo(msg("removed {n} runs; {left} left in {path}", n=removed, left=len(results), path=results.path))
