"""`innosim viz`: the Mesa visual server."""

from __future__ import annotations

from pathlib import Path

import click


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
def viz(scenario: Path | None, host: str, port: int, open_browser: bool) -> None:
    """Browse the model in the Mesa visual server, starting from SCENARIO (default: scenarios/baseline.yaml).

    The page offers every file in SCENARIO's folder (or ./scenarios), the policy levers, the seed
    and the scale; Step, play and Reset are Mesa's.
    """
    from innosim.scenario import load_scenario
    from innosim.viz.server import port_is_free, serve

    if scenario is not None:
        load_scenario(scenario)  # refuse a bad file here, with its key and reason, not in the browser
    if not is_loopback(host):
        click.echo(f"warning: --host {host} serves the page to other machines, and it has no login: anyone who "
                   "reaches it can run the model and see the scenario files in its folder", err=True)
    if port and not port_is_free(host, port):
        raise click.UsageError(f"cannot listen on {host}:{port} (in use, or not an address of this machine); "
                               "--port 0 picks a free port")
    serve(scenario, host=host, port=port, open_browser=open_browser,
          announce=lambda line: click.echo(f"{line}  (Ctrl+C stops it)"))
