"""`innosim viz`: the Mesa visual server."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import click
from innosim.i18n import msg

from .options import SET_SOURCE, labels, lang_option, parse_sets, scale_option, set_option

#: What `innosim viz` imports beyond innosim's own dependencies (the `viz` extra).
VIZ_PACKAGES = ("solara", "altair")
#: innosim.viz.sessions' defaults, restated so that `innosim --help` imports no viz package (a test
#: checks that they agree)
DEFAULT_IDLE_TIMEOUT = 120.0
DEFAULT_MAX_SESSIONS = 20


def missing_viz_packages() -> list[str]:
    """The packages of the viz extra that cannot be imported here."""
    return [name for name in VIZ_PACKAGES if importlib.util.find_spec(name) is None]


def is_loopback(host: str) -> bool:
    """Whether `host` is reachable from this machine only (127.0.0.1, ::1, localhost)."""
    import ipaddress

    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to any interface


@click.command()
@click.argument("scenario", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True,
              help="address to listen on (another than 127.0.0.1 exposes the page to the network)")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="port to listen on; 0 picks a free one")
@click.option("--open/--no-open", "open_browser", default=False, show_default=True,
              help="open the page in a web browser")
@click.option("--idle-timeout", type=click.FloatRange(0, min_open=True), default=DEFAULT_IDLE_TIMEOUT,
              show_default=True, metavar="SECONDS",
              help="end a page's session (its model, its memory) this long after its page left without closing")
@click.option("--max-sessions", type=click.IntRange(1), default=DEFAULT_MAX_SESSIONS, show_default=True,
              help="sessions kept at once: a page beyond them waits, and a new one first ends the oldest idle ones")
@scale_option(None, "the scale the page starts at (default: 0.1, small enough to step quickly)")
@set_option
@lang_option
def viz(scenario: Path | None, host: str, port: int, open_browser: bool, idle_timeout: float, max_sessions: int,
        scale: float | None, sets: tuple[str, ...], lang: str | None) -> None:
    """Browse the model in the Mesa visual server, starting from SCENARIO (default: scenarios/baseline.yaml).

    The page offers every file in SCENARIO's folder (or ./scenarios), the policy levers, the seed
    and the scale; Step, play and Reset are Mesa's.
    """
    from innosim.scenario import Scenario, apply_overrides, load_scenario, validate_data

    t = labels(lang)
    overrides = parse_sets(sets)
    # refuse a bad file or --set here, with its key and reason, not in the browser
    if scenario is not None:
        load_scenario(scenario, overrides, override_source=SET_SOURCE)
    elif overrides:
        validate_data(apply_overrides(Scenario().model_dump(), overrides), SET_SOURCE,
                      {tuple(k.split(".")): SET_SOURCE for k in overrides})
    missing = missing_viz_packages()
    if missing:
        click.echo(msg("error: the visual server needs {packages}, which this environment lacks; install "
                       "innosim's viz extra:\n  {command}   (in the project folder)", packages=", ".join(missing),
                       command="pip install -e '.[viz]'"), err=True)
        sys.exit(2)
    from innosim.viz import assets
    from innosim.viz.server import port_is_free, serve

    if not is_loopback(host):
        click.echo(msg("warning: --host {host} serves the page to other machines, and it has no login: anyone "
                       "who reaches it can run the model and see the scenario files in its folder", host=host),
                   err=True)
    absent = assets.missing()
    if absent:
        click.echo(msg("warning: {message}", message=assets.advice(absent)), err=True)
    if port and not port_is_free(host, port):
        raise click.UsageError(msg("cannot listen on {address} (in use, or not an address of this machine); "
                                   "--port 0 picks a free port", address=f"{host}:{port}"))
    serve(scenario, host=host, port=port, open_browser=open_browser,
          announce=lambda line: click.echo(msg("{line}  (Ctrl+C stops it)", line=line)), overrides=overrides, scale=scale,
          lang=t.lang if lang else None, idle_timeout=idle_timeout, max_sessions=max_sessions)
