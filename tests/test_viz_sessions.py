"""The visual server bounds its sessions: an idle timeout, a cap, and its memory back after the
pages leave (issue 19: 50 sessions took it from 271 MB to 1.08 GB, held after every client left).

The server test opens pages as Solara's page does (the session cookie, then a kernel websocket
that runs the app over Solara's control comm, so that each session builds its model and draws it)
and leaves without the page's close beacon, as a dropped connection does: only the idle timeout
ends those sessions.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
import weakref
from concurrent.futures import ThreadPoolExecutor

import pytest

pytest.importorskip("solara")

from innosim.viz import sessions  # noqa: E402

from .conftest import ROOT, SCENARIOS  # noqa: E402

START_TIMEOUT = 45.0  # seconds for the server to answer (imports are slow on a busy machine)
RENDER_TIMEOUT = 120.0  # seconds for one page to render on a busy machine


# ---------------------------------------------------------------- the cap and the models


class FakeSession:
    def __init__(self, name: str, *pages: str):
        from solara.server.kernel_context import PageStatus

        self.id = name
        self.page_status = {f"page-{i}": PageStatus(status) for i, status in enumerate(pages)}
        self.closed_event = threading.Event()


def test_a_new_session_ends_the_oldest_idle_ones_beyond_the_cap():
    old_idle, connected = FakeSession("old idle", "disconnected"), FakeSession("connected", "connected")
    idle, no_page = FakeSession("idle", "disconnected", "closed"), FakeSession("no page yet")
    ended = FakeSession("ended", "disconnected")
    ended.closed_event.set()
    found = [old_idle, connected, idle, ended, no_page]
    assert sessions.oldest_idle_beyond(found, max_sessions=5) == []  # 4 live + the new one
    assert sessions.oldest_idle_beyond(found, max_sessions=4) == [old_idle]
    assert sessions.oldest_idle_beyond(found, max_sessions=2) == [old_idle, idle, no_page]
    # a connected page is never ended (Solara's connection limit keeps those under the cap)
    assert sessions.oldest_idle_beyond(found, max_sessions=1) == [old_idle, idle, no_page]
    # one that Solara is closing still counts, and is left to finish
    old_idle._teardown_done = True
    assert sessions.oldest_idle_beyond(found, max_sessions=4) == [idle]


def test_a_dropped_model_is_freed_and_agents_still_count_from_one():
    from innosim.viz.vizmodel import VizModel

    first = VizModel(SCENARIOS / "baseline.yaml", scale=0.02)
    first.step()
    second = VizModel(SCENARIOS / "baseline.yaml", scale=0.02)
    assert min(a.unique_id for a in first.agents) == min(a.unique_id for a in second.agents) == 1
    gone = weakref.ref(first)
    del first
    gc.collect()
    assert gone() is None, "a model the page dropped is still held (Mesa 3.3's Agent._ids)"


def test_viz_takes_the_session_limits_to_serve(monkeypatch):
    import importlib

    from click.testing import CliRunner

    from innosim.cli import main
    from innosim.viz import server

    viz_cli = importlib.import_module("innosim.cli.viz")
    assert (viz_cli.DEFAULT_IDLE_TIMEOUT, viz_cli.DEFAULT_MAX_SESSIONS) == (sessions.DEFAULT_IDLE_TIMEOUT,
                                                                           sessions.DEFAULT_MAX_SESSIONS)
    calls = []
    monkeypatch.setattr(server, "serve", lambda *args, **kwargs: calls.append(kwargs))
    monkeypatch.setattr(server, "port_is_free", lambda *args: True)
    assert CliRunner().invoke(main, ["viz", "--port", "0"]).exit_code == 0
    assert calls[-1]["idle_timeout"] == sessions.DEFAULT_IDLE_TIMEOUT
    assert calls[-1]["max_sessions"] == sessions.DEFAULT_MAX_SESSIONS
    result = CliRunner().invoke(main, ["viz", "--port", "0", "--idle-timeout", "2.5", "--max-sessions", "4"])
    assert result.exit_code == 0, result.output
    assert calls[-1]["idle_timeout"] == 2.5 and calls[-1]["max_sessions"] == 4
    for bad in (["--idle-timeout", "0"], ["--max-sessions", "0"]):
        assert CliRunner().invoke(main, ["viz", "--port", "0", *bad]).exit_code == 2
    with pytest.raises(ValueError):
        sessions.limit_sessions(idle_timeout=0)


# ---------------------------------------------------------------- the server


IDLE_TIMEOUT = 2.0  # seconds
MAX_SESSIONS = 3
PAGES = 50


def jupyter_message(msg_type: str, content: dict, page: str) -> str:
    header = {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "session": page, "username": "", "date": "",
              "version": "5.3"}
    return json.dumps({"header": header, "parent_header": {}, "metadata": {}, "content": content,
                       "channel": "shell", "buffers": []})


class Page:
    """A page of the visual server as a browser opens it, without the browser."""

    def __init__(self, base: str):
        from websockets.sync.client import connect

        with urllib.request.urlopen(base, timeout=30) as response:
            cookie = response.headers["Set-Cookie"].split(";")[0]  # Solara's session cookie
        kernel, page = uuid.uuid4(), uuid.uuid4()
        url = f"{base.replace('http', 'ws', 1)}jupyter/api/kernels/{kernel}/channels?session_id={page}"
        self.connection = contextlib.ExitStack()
        self.socket = self.connection.enter_context(
            connect(url, additional_headers={"Cookie": cookie}, max_size=None, open_timeout=30))
        self.page = str(page)

    def run_app(self) -> None:
        """Run the app in this page's session, as Solara's page does, and wait until it is drawn."""
        comm = uuid.uuid4().hex
        self.socket.send(jupyter_message("comm_open", {"comm_id": comm, "target_name": "solara.control", "data": {}},
                                         self.page))
        run = {"method": "run", "args": {"path": "", "appName": "__default__"}}
        self.socket.send(jupyter_message("comm_msg", {"comm_id": comm, "data": run}, self.page))
        text = []
        while True:
            message = self.socket.recv(timeout=RENDER_TIMEOUT)
            if isinstance(message, bytes):  # a widget with binary buffers (the PNGs)
                continue
            text.append(message)
            content = json.loads(message)["content"]
            if content.get("comm_id") == comm and content.get("data", {}).get("method") == "finished":
                break
        assert "Running baseline" in "".join(text)  # the model was built and summarised

    def leave(self) -> None:
        """Close the connection without the close beacon: the session waits for its idle timeout."""
        self.connection.close()


def visit(base: str) -> None:
    page = Page(base)
    try:
        page.run_app()
    finally:
        page.leave()


def live_sessions(base: str) -> int:
    with urllib.request.urlopen(f"{base}resourcez", timeout=10) as response:
        return int(json.load(response)["kernels"]["total"])


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not {what} after {timeout} s"
        time.sleep(0.25)


def settled_rss(process) -> int:
    """The server's resident memory once the ended sessions' memory is given back."""
    time.sleep(sessions.RELEASE_DELAY + 1.5)
    return process.memory_info().rss


@pytest.fixture
def bounded_server(tmp_path):
    """`innosim viz` with a short idle timeout and a small cap, in its own process group."""
    from innosim.viz.server import free_port

    port = free_port("127.0.0.1")
    log = tmp_path / "server.log"
    with open(log, "w", encoding="utf-8") as output:
        proc = subprocess.Popen(
            [sys.executable, "-m", "innosim", "viz", str(SCENARIOS / "baseline.yaml"), "--port", str(port),
             "--idle-timeout", str(IDLE_TIMEOUT), "--max-sessions", str(MAX_SESSIONS)],
            cwd=ROOT, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
        try:
            base = f"http://127.0.0.1:{port}/"
            deadline = time.monotonic() + START_TIMEOUT
            while True:
                assert proc.poll() is None, f"innosim viz exited with {proc.returncode}: {log.read_text()}"
                try:
                    with urllib.request.urlopen(base, timeout=2) as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
                assert time.monotonic() < deadline, f"no answer from {base} in {START_TIMEOUT} s: {log.read_text()}"
                time.sleep(0.5)
            yield base, proc.pid, log
        finally:
            for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
                if proc.poll() is not None:
                    break
                os.killpg(proc.pid, sig)
                try:
                    proc.wait(wait)
                except subprocess.TimeoutExpired:
                    continue


@pytest.mark.slow
@pytest.mark.timeout(400)
def test_memory_is_flat_after_50_sessions_come_and_go(bounded_server):
    pytest.importorskip("websockets.sync.client", reason="needs websockets>=11 (Solara's server installs it)")
    psutil = pytest.importorskip("psutil")
    base, pid, log = bounded_server
    server = psutil.Process(pid)
    idle_ends = IDLE_TIMEOUT + sessions.RELEASE_DELAY + 15  # seconds, with room for a busy machine

    # one page first, so that "before" counts what the first page imports
    visit(base)
    wait_for(lambda: live_sessions(base) == 0, idle_ends, "ended by the idle timeout")
    before = settled_rss(server)

    # the cap: three pages stay open, a fourth waits for a place, and gets one when a page leaves
    held = []
    for _ in range(MAX_SESSIONS):
        held.append(Page(base))
        held[-1].run_app()
    with ThreadPoolExecutor(1) as pool:
        waiting = Page(base)
        drawn = pool.submit(waiting.run_app)
        time.sleep(3)
        assert not drawn.done() and live_sessions(base) == MAX_SESSIONS
        held.pop(0).leave()
        drawn.result(timeout=RENDER_TIMEOUT)
    for page in [*held, waiting]:
        page.leave()

    # the rest, two at a time; the pages' idle sessions never exceed the cap
    most = 0
    with ThreadPoolExecutor(2) as pool:
        visits = [pool.submit(visit, base) for _ in range(PAGES - MAX_SESSIONS - 1)]
        while not all(v.done() for v in visits):
            most = max(most, live_sessions(base))
            time.sleep(0.5)
        for v in visits:
            v.result()
    assert most <= MAX_SESSIONS

    wait_for(lambda: live_sessions(base) == 0, idle_ends, "ended by the idle timeout")
    after = settled_rss(server)
    mb = 2**20
    print(f"visual server memory: {before / mb:.0f} MB before {PAGES} sessions, {after / mb:.0f} MB after "
          f"({after / before:.2f}x)")
    assert after <= 1.2 * before, f"{before / mb:.0f} MB before, {after / mb:.0f} MB after {PAGES} sessions"
    output = log.read_text(encoding="utf-8")
    assert "Traceback" not in output and "Warning" not in output, output
