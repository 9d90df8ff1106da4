"""Atomic file writes: a reader (or a Ctrl-C) never sees a half-written file."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def _left_over(part: Path, target: Path) -> bool:
    """Whether `part` is a temporary file of `target` whose writer has gone.

    Names are ``.<target>.<pid>.<random>.part`` (older ones ``.<target>.<random>.part``); a file
    whose writer process still runs is kept, as is anything that only looks alike (another target)."""
    fields = part.name[len(target.name) + 2:-len(".part")].split(".")
    if len(fields) == 1:
        return True  # the older name, from before the pid was written in it
    if len(fields) != 2 or not fields[0].isdigit():
        return False
    import psutil

    pid = int(fields[0])
    return pid == os.getpid() or not psutil.pid_exists(pid)


def remove_leftovers(target: str | Path) -> list[Path]:
    """Delete the temporary files a killed writer of `target` left beside it (``.name.<pid>.*.part``)."""
    target = Path(target)
    removed = []
    for part in target.parent.glob(f".{target.name}.*.part"):
        if _left_over(part, target):
            part.unlink(missing_ok=True)
            removed.append(part)
    return removed


@contextmanager
def atomic_path(target: str | Path):
    """Yield a temporary path beside `target`; on success rename it over `target`, else delete it."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(target)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".part", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp_path, 0o666 & ~umask)  # mkstemp makes 0600; outputs are for sharing
    try:
        try:
            yield tmp_path
        except OSError as exc:  # a full disk inside a writer (pandas, matplotlib) often names no file
            if exc.filename is None and exc.errno is not None:
                raise OSError(exc.errno, exc.strerror or str(exc), str(target)) from exc
            raise
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_atomic(target: str | Path, writer: Callable[[Path], Any]) -> Path:
    """Call `writer(tmp_path)` and move the result to `target` in one rename."""
    with atomic_path(target) as tmp:
        writer(tmp)
    return Path(target)


def write_text_atomic(target: str | Path, text: str) -> Path:
    return write_atomic(target, lambda p: p.write_text(text, encoding="utf-8"))


def write_json_atomic(target: str | Path, data: Any) -> Path:
    return write_text_atomic(target, json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
