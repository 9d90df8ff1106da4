"""Options several commands share: --set KEY=VALUE, --scale, --lang, --store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from innosim.scenario import ScenarioError
from innosim.scenario.loader import read_yaml_value
from innosim.scenario.regions import canonical_key, canonical_regions
from innosim.i18n import msg

SET_SOURCE = "--set"
#: The largest seed (SQLite keeps seeds as 64-bit integers) and horizon (the schema's run.months) an option takes.
MAX_SEED = 2**63 - 1
MAX_MONTHS = 600
#: Replicates an option may ask for; more runs than the commands' limit still need --max-runs.
MAX_REPLICATES = 10_000


def parse_sets(items: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """``KEY=VALUE`` pairs as dotted overrides, each value read as YAML (``0.2``, ``true``, ``{jiashan: 3}``)."""
    overrides: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ScenarioError(SET_SOURCE, item, msg("must be KEY=VALUE, e.g. --set policy.vouchers.scope=zone"))
        value = read_yaml_value(text, SET_SOURCE, key) if text.strip() else ""
        written, key = key, canonical_key(key)  # policy.vouchers.scope.嘉善 is policy.vouchers.scope.jiashan
        if key in overrides:
            raise ScenarioError(SET_SOURCE, written, msg("given twice") if written == key
                                else msg("given twice (as {key})", key=key))
        overrides[key] = canonical_regions(value, SET_SOURCE)
    return overrides


def set_option(function):
    return click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
                        help="change one setting (repeatable), validated like a file: "
                             "--set policy.vouchers.scope=zone --set run.months=60")(function)


def scale_option(default: float | None, help_text: str = "population scale (1 = real size)"):
    def decorate(function):
        return click.option("--scale", type=click.FloatRange(min=0, min_open=True, max=10), default=default,
                            show_default=default is not None, help=help_text)(function)
    return decorate


def lang_option(function):
    return click.option("--lang", default=None, metavar="LANG",
                        help="language of reports, plots and summaries: en or zh (default: $INNOSIM_LANG, "
                             "else en)")(function)


def store_option(function):
    return click.option("--store", "store_path", type=click.Path(path_type=Path), default=None,
                        help="the results store shared by every comparison and batch "
                             "(default: $INNOSIM_STORE, else out/store/results.sqlite)")(function)


def overrides_from(sets: tuple[str, ...], scale: float | None) -> dict[str, Any]:
    """--set pairs and --scale as one overrides mapping (--scale wins over --set run.scale)."""
    overrides = parse_sets(sets)
    if scale is not None:
        overrides["run.scale"] = float(scale)
    for key, value in overrides.items():  # `run=5` beside `run.scale`: one would silently undo the other
        inner = sorted(other for other in overrides if other.startswith(key + "."))
        if inner and not isinstance(value, dict):
            source = "--scale" if inner == ["run.scale"] and scale is not None else f"--set {inner[0]}"
            raise ScenarioError(SET_SOURCE, key, msg("is a section of settings, and {source} sets one of its keys: "
                                                     "give a setting inside it (e.g. {example}=...), not a value",
                                                     source=source, example=inner[0]))
    return overrides


def labels(lang: str | None):
    """The labels of the chosen language, or a usage error naming the bad one."""
    from innosim.i18n import Labels

    try:
        return Labels(lang)
    except ValueError as exc:
        from innosim.i18n import LANG_ENV, LANGUAGES, message_lang

        if message_lang() == "en":
            raise click.UsageError(str(exc)) from None
        chosen = (lang or "").strip() or f"${LANG_ENV}"
        raise click.UsageError(msg("unknown language {lang!r}: choose one of {choices} (--lang or {env})",
                                   lang=chosen, choices=", ".join(LANGUAGES), env=f"${LANG_ENV}")) from None
