"""The file under the results store: whose it is, its lock, and where runs wait when it is locked.

innosim writes only into a store it made. A store carries SQLite's `application_id` set to
`APPLICATION_ID`; an existing file without it is refused with its path (another program's
database would otherwise gain innosim's tables), as is anything but a regular file (`/dev/null`
would gain a `-journal` beside it). A store written by innosim before the mark existed, holding
innosim's tables and nothing else, is adopted: marked, then used.

Writers and `store prune` take one lock per store (a file beside it, `flock`), re-entrant within
a thread (another thread waits, as another process does), so a comparison that holds it from its runs to its report never sees a prune
delete runs under it.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import sys
from collections.abc import Callable
from pathlib import Path
from innosim.i18n import msg

#: SQLite's application_id of an innosim results store ("inno" in ASCII).
APPLICATION_ID = 0x696E6E6F
#: The tables innosim puts in a store: a file holding these and no others is an older innosim store.
TABLES = frozenset({"runs", "end_values", "series", "scenarios"})


class NotOurs(Exception):
    """The file is not an innosim results store: the reason, for a StoreError naming the path."""


def _tables(db: sqlite3.Connection) -> set[str]:
    return {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def check_file(path: Path) -> bool:
    """Whether `path` is a store file to open: False when there is none yet (or an empty file), True
    for an innosim store (or an older one to adopt); NotOurs for anything else. Writes nothing."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return False
    if not stat.S_ISREG(mode):
        raise NotOurs(msg("not a regular file (a device, a folder or a pipe)"))
    if os.path.getsize(path) == 0:
        return False
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
    try:
        (found,) = db.execute("PRAGMA application_id").fetchone()
        if found == APPLICATION_ID:
            return True
        tables = _tables(db)
    finally:
        db.close()
    if found != 0 or "runs" not in tables or not tables <= TABLES:
        shown = ", ".join(sorted(tables)[:5]) or "no tables"
        raise NotOurs(msg("a database innosim did not make ({shown}); innosim writes only into its own stores",
                          shown=shown))
    return True


def mark(db: sqlite3.Connection) -> None:
    """Mark an opened store (new, or an older innosim store being adopted) as innosim's."""
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")


# -- the lock ------------------------------------------------------------------------------
_HELD: dict[tuple[str, int], list] = {}  # (lock file, thread) -> [open handle, holders]


def _lock_key(path: Path) -> tuple[str, int]:
    import threading

    return str(path.with_name(path.name + ".lock").resolve()), threading.get_ident()


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def acquire(path: Path, waiting: Callable[[str], None] | None = None) -> tuple[str, int] | None:
    """Take the store's lock for this thread (again, if it holds it already); wait while another
    process or thread holds it. Returns the hold for `release` (None where there are no locks)."""
    try:
        import fcntl
    except ImportError:
        return None
    lock_path = _lock_key(path)
    if lock_path in _HELD:
        _HELD[lock_path][1] += 1
        return lock_path
    handle = open(lock_path[0], "a+")  # noqa: SIM115 - kept open while the lock is held
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        (waiting or _say)(msg("waiting: another process is using {path} (a batch, a comparison or a prune); "
                              "this one will reuse its runs and do only the rest", path=path))
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
        except BaseException:
            handle.close()
            raise
    _HELD[lock_path] = [handle, 1]
    return lock_path


def release(lock_path: tuple[str, int] | None) -> None:
    """Give back one hold of the lock (`acquire`'s answer); the last one unlocks it."""
    held = _HELD.get(lock_path) if lock_path else None
    if held is None:
        return
    held[1] -= 1
    if held[1] <= 0:
        import fcntl

        del _HELD[lock_path]
        fcntl.flock(held[0], fcntl.LOCK_UN)
        held[0].close()


# -- runs kept aside while the store is locked ------------------------------------------------
def pending_folder(path: Path) -> Path:
    """Where finished runs wait when the store stays locked: a folder beside it."""
    return path.with_name(path.name + ".pending")


def keep_aside(path: Path, key: str, row: dict) -> Path:
    """Write one finished run's row (plain values and bytes) beside the store, atomically."""
    import base64
    import hashlib
    import json

    from innosim.io import write_text_atomic

    folder = pending_folder(path)
    folder.mkdir(exist_ok=True)
    plain = {k: {"b64": base64.b64encode(v).decode()} if isinstance(v, bytes) else v for k, v in row.items()}
    return write_text_atomic(folder / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.json", json.dumps(plain))


def kept_aside(path: Path):
    """(file, row) for every run waiting beside the store."""
    import base64
    import json

    folder = pending_folder(path)
    if not folder.is_dir():
        return
    for file in sorted(folder.glob("*.json")):
        try:
            plain = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # half a file from a killed writer is never renamed into place; anything else: skip
        yield file, {k: base64.b64decode(v["b64"]) if isinstance(v, dict) and "b64" in v else v
                     for k, v in plain.items()}
