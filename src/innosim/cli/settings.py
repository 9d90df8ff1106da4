"""`innosim settings [SCENARIO]`: every setting, its default, range, unit and meaning, and the value
a scenario resolves to with the file that set it."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from innosim.i18n import msg

from .options import SET_SOURCE, labels, lang_option, overrides_from, scale_option, set_option


@click.command()
@click.argument("scenario", required=False, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["table", "yaml", "json"]), default="table", show_default=True,
              help="a table for reading, YAML or JSON for tools")
@click.option("--changed", is_flag=True, help="only the settings whose value differs from the default")
@click.option("--grep", "pattern", default=None, metavar="TEXT", help="only settings whose key contains TEXT")
@set_option
@scale_option(None, "population scale to resolve with")
@lang_option
def settings(scenario: Path | None, fmt: str, changed: bool, pattern: str | None, sets: tuple[str, ...],
             scale: float | None, lang: str | None) -> None:
    """List every setting a scenario file may hold, with its default, range, unit and meaning; with
    SCENARIO, also the value it resolves to (after extends, --set and --scale) and the file that set it."""
    from innosim.scenario.catalogue import DEFAULT_SOURCE, scenario_settings, show_value

    t = labels(lang)
    overrides = overrides_from(sets, scale)
    rows = scenario_settings(scenario, overrides, override_source=SET_SOURCE)
    if changed:
        rows = [r for r in rows if r.set_by != DEFAULT_SOURCE and show_value(r.value) != show_value(r.default)]
    if pattern:
        rows = [r for r in rows if pattern.lower() in r.key.lower()]
    cwd = Path.cwd()

    def where(source: str) -> str:
        try:
            return str(Path(source).relative_to(cwd)) if source.startswith("/") else source
        except ValueError:
            return source

    records = [{**r.as_dict(), "set_by": where(r.set_by), "label": t.setting(r.key)} for r in rows]
    if fmt == "json":
        click.echo(json.dumps(records, ensure_ascii=False, indent=2, default=str))
        return
    if fmt == "yaml":
        import yaml

        click.echo(yaml.safe_dump(records, allow_unicode=True, sort_keys=False), nl=False)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=msg("settings of {file}", file=scenario) if scenario else msg("settings (schema defaults)"),
                  show_lines=False, header_style="bold")
    for column in ("key", "default", "range", "unit", "meaning", "value", "set by"):
        table.add_column(msg(column), overflow="fold")
    for r in records:
        key = r["key"] if r["label"] == r["key"] else f"{r['key']}\n{r['label']}"
        value = show_value(r["value"])
        style = "bold" if value != show_value(r["default"]) else ""
        table.add_row(key, show_value(r["default"]), r["range"], r["unit"], r["meaning"],
                      f"[{style}]{value}[/{style}]" if style else value, r["set_by"])
    width = None if sys.stdout.isatty() else 200
    Console(width=width, soft_wrap=False).print(table)
