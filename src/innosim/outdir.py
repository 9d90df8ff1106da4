"""Output folders innosim may write into, and names that may become file names.

innosim replaces and deletes only what it wrote. Every output folder it creates holds a marker file
(`MARKER`); a folder without one is someone else's, and is used only while it is empty. `--out`
never names the working folder (or one holding it), a home folder or the root of a file system:
emptying those by mistake would cost far more than a refused command.

A name from a file (a scenario's `name:`, a sweep's or an experiment's) becomes part of a path
only when it is letters, digits, - and _ (any script): `../../x` never leaves `out/`.
"""

from __future__ import annotations

import os
import re
from itertools import islice
from pathlib import Path

from innosim.scenario import ScenarioError
from innosim.i18n import msg

#: The file that marks a folder as innosim's: only such a folder (or an empty one) is written into.
MARKER = ".innosim"
MARKER_TEXT = ("innosim wrote this folder and may replace what is in it; "
               "delete this file to keep innosim out of the folder.\n")
#: What a name must look like before it becomes part of a file name: letters, digits (any script), - and _.
NAME_PATTERN = re.compile(r"[^\W_][\w-]*")
NAME_LIMIT = 100


def file_name(name: str, source: str | Path, key: str = "name") -> str:
    """`name` if it can be part of a file name, else a ScenarioError naming `source` and `key`."""
    if not isinstance(name, str) or len(name) > NAME_LIMIT or not NAME_PATTERN.fullmatch(name):
        from innosim.yamlsafe import excerpt

        raise ScenarioError(source, key, msg("{name} becomes a folder name, so it may hold only letters, digits, - and "
                                             "_ (at most {limit}, starting with a letter or digit); rename it, or "
                                             "give --out", name=excerpt(name), limit=NAME_LIMIT))
    return name


def _homes() -> set[Path]:
    """Every user's home folder this machine knows (and $HOME)."""
    homes = {Path.home()}
    try:
        import pwd

        homes |= {Path(entry.pw_dir) for entry in pwd.getpwall() if entry.pw_dir not in ("", "/")}
    except (ImportError, OSError):  # not POSIX
        pass
    return {h.resolve() for h in homes}


def _forbidden(folder: Path) -> str | None:
    """Why `folder` (resolved) must never be an output folder, or None."""
    cwd = Path.cwd().resolve()
    if folder == cwd:
        return "is the working folder"
    if folder in cwd.parents:
        return "holds the working folder"
    if folder.parent == folder or os.path.ismount(folder):
        return "is the root of a file system"
    if folder in _homes():
        return "is a home folder"
    return None


def check_out_dir(path: str | Path, option: str = "--out") -> Path:
    """Refuse (ScenarioError, exit 2) an output folder innosim may not write into; write nothing.

    Allowed: a folder that does not exist yet, an empty one, or one holding innosim's marker."""
    path = Path(path)
    folder = path.resolve()
    why = _forbidden(folder)
    if why:
        raise ScenarioError(option, str(path), msg("{why}; give a new folder, e.g. out/my-run", why=msg(why)))
    if not folder.exists():
        return path
    if not folder.is_dir():
        raise ScenarioError(option, str(path), msg("is not a folder; give a new folder, e.g. out/my-run"))
    if (folder / MARKER).is_file():
        return path
    entries = sorted(entry.name for entry in islice(folder.iterdir(), 4))
    if entries:
        shown = ", ".join(entries[:3]) + (", ..." if len(entries) > 3 else "")
        raise ScenarioError(option, str(path), msg("holds files innosim did not write ({shown}); innosim writes only "
                                                   "into a new or empty folder, or one it made: give another",
                                                   shown=shown))
    return path


def mark(folder: str | Path) -> Path:
    """Write innosim's marker into `folder` (already there, and ours or empty)."""
    marker = Path(folder) / MARKER
    if not marker.is_file():
        marker.write_text(MARKER_TEXT, encoding="utf-8")
    return Path(folder)


def claim_out_dir(path: str | Path, option: str = "--out") -> Path:
    """Check `path` as `check_out_dir` does, then create it with innosim's marker: from here on
    innosim may write, replace and delete in it."""
    path = check_out_dir(path, option)
    path.mkdir(parents=True, exist_ok=True)
    return mark(path)


def is_ours(folder: str | Path) -> bool:
    """True when `folder` holds innosim's marker (innosim made it)."""
    return (Path(folder) / MARKER).is_file()
