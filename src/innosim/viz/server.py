"""Start the Solara server for the page in `innosim.viz.app` (what `innosim viz` runs)."""

from __future__ import annotations

import os
import socket
import warnings
from pathlib import Path

import innosim

from .sessions import DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_SESSIONS, limit_sessions

APP = "innosim.viz.app"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
#: How the launcher tells the page which file to open and which folder the picker lists.
SCENARIO_ENV = "INNOSIM_VIZ_SCENARIO"
FOLDER_ENV = "INNOSIM_VIZ_SCENARIOS"
#: --set overrides (JSON) applied to every file the page opens, and the scale the page starts at.
OVERRIDES_ENV = "INNOSIM_VIZ_SET"
SCALE_ENV = "INNOSIM_VIZ_SCALE"


def free_port(host: str = DEFAULT_HOST) -> int:
    """A port the system says is free now on `host`."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_is_free(host: str, port: int) -> bool:
    """Whether a server could listen on `host`:`port` now (as uvicorn binds: reusing TIME_WAIT ports)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def page_environment(scenario: Path | None, overrides: dict | None = None, scale: float | None = None,
                     lang: str | None = None) -> dict[str, str]:
    """Environment variables that tell the page which file to open, which folder to list, the
    command line's --set and --scale, and the language."""
    import json

    env = {SCENARIO_ENV: "" if scenario is None else str(Path(scenario).resolve()),
           OVERRIDES_ENV: json.dumps(overrides or {}), SCALE_ENV: "" if scale is None else repr(float(scale))}
    if lang:
        from innosim.i18n import LANG_ENV

        env[LANG_ENV] = lang
    folder = find_scenario_dir(scenario)
    env[FOLDER_ENV] = "" if folder is None else str(folder)
    return env


def serve(scenario: Path | None, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
          open_browser: bool = False, announce=print, overrides: dict | None = None,
          scale: float | None = None, lang: str | None = None,
          idle_timeout: float = DEFAULT_IDLE_TIMEOUT, max_sessions: int = DEFAULT_MAX_SESSIONS) -> None:
    """Run the server until interrupted. `port=0` picks a free port; the address is announced first.

    A page's session ends `idle_timeout` seconds after its page left, and at most `max_sessions`
    are kept (see `innosim.viz.sessions`)."""
    if port == 0:
        port = free_port(host)
    os.environ.update(page_environment(scenario, overrides, scale, lang))  # telemetry is off: see innosim.viz
    # Solara warns on every plain-http address but "localhost" that it sets its session cookie
    # with SameSite=Lax rather than None: right for this page, which is never embedded in a frame
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https", category=UserWarning)
    announce(f"innosim viz: http://{host}:{port}/")
    from solara.__main__ import run as solara_run

    limit_sessions(idle_timeout, max_sessions)

    # no version check either: it would ask the package index on every start
    args = [APP, "--host", host, "--port", str(port), "--production", "--no-check-version",
            "--open" if open_browser else "--no-open", "--log-level", "warning"]
    solara_run.main(args=args, prog_name="innosim viz", standalone_mode=False)


def find_scenario_dir(scenario_file: str | Path | None = None) -> Path | None:
    """Where the picker looks: the given file's folder, else ./scenarios, else the project's scenarios/."""
    if scenario_file is not None:
        return Path(scenario_file).resolve().parent
    here = Path.cwd() / "scenarios"
    if here.is_dir():
        return here.resolve()
    project = Path(innosim.__file__).resolve().parents[2] / "scenarios"
    return project if project.is_dir() else None
