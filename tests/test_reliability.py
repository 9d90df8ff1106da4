"""Nothing leaks: workers end with their parent, however it ends; SIGTERM stops a batch like Ctrl-C."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import psutil
import pytest

from .conftest import SCENARIOS

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="process groups and signals as on Linux")

COMPARE = ["compare", SCENARIOS / "baseline.yaml", SCENARIOS / "full_integration.yaml", "-r", "20",
           "--scale", "0.05", "--months", "120", "-j", "2", "--no-progress"]


def start_batch(tmp_path) -> tuple[subprocess.Popen, list[psutil.Process]]:
    """`innosim compare` in a fresh process, returned once its two workers are running."""
    proc = subprocess.Popen([sys.executable, "-m", "innosim", *map(str, COMPARE), "--out", str(tmp_path / "o")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        family = psutil.Process(proc.pid).children(recursive=True)
        workers = [p for p in family if p.ppid() != proc.pid]  # the forkserver's children
        if len(workers) >= 2:
            return proc, family
        assert proc.poll() is None, proc.stderr.read()
        time.sleep(0.1)
    proc.kill()
    raise AssertionError("the workers did not start within 60 s")


def alive(processes: list[psutil.Process]) -> list[psutil.Process]:
    found = []
    for p in processes:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                found.append(p)
        except psutil.NoSuchProcess:
            pass
    return found


def wait_gone(processes: list[psutil.Process], seconds: float) -> list[psutil.Process]:
    deadline = time.monotonic() + seconds
    while alive(processes) and time.monotonic() < deadline:
        time.sleep(0.2)
    return alive(processes)


def test_sigkill_of_the_parent_ends_workers_forkserver_and_resource_tracker(tmp_path):
    proc, family = start_batch(tmp_path)
    names = sorted({" ".join(p.cmdline()[-3:])[:60] for p in family})
    assert len(family) >= 4, names  # forkserver, resource tracker, two workers
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    left = wait_gone(family, 10)
    for p in left:
        p.kill()
    assert not left, f"still alive 10 s after the parent's SIGKILL: {[p.cmdline()[-1][:80] for p in left]}"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_stop_a_batch_like_ctrl_c(tmp_path, sig):
    proc, family = start_batch(tmp_path)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    left = wait_gone(family, 10)
    for p in left:
        p.kill()
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert not left
