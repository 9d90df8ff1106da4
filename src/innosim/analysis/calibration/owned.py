"""The calibration's own files (result.yaml, calibrated.yaml, ensemble.yaml): innosim replaces one
only when innosim wrote it.

Every such file begins with `MARK`. A file without it is someone else's (a hand-written fragment, a
copy kept on purpose): `innosim calibrate` refuses to replace it before anything runs, and checks
again just before writing, both files or neither. Files written before the mark existed are known
by the header innosim wrote then (`EARLIER_HEADERS`, frozen: do not edit them to follow study.py).
"""

from __future__ import annotations

from pathlib import Path

from innosim.scenario import ScenarioError

#: The first line of every file `innosim calibrate` writes.
MARK = "# innosim calibrate wrote this file and replaces it at the next calibration; delete this line to keep it.\n"

#: The headers of the files innosim wrote before `MARK` (result.yaml, calibrated.yaml of either
#: method, ensemble.yaml), exactly as they were written.
EARLIER_HEADERS = (
    "# Written by `innosim calibrate`: the fit of the baseline to the paper's Jiashan figures.\n",
    "# Calibrated behavioural parameters: the free parameters of calibration/parameters.yaml fitted to\n"
    "# the seed paper's Jiashan figures for 2015-2019 and the zone's (calibration/targets.yaml) by `innosim calibrate`.\n"
    "# scenarios/baseline.yaml extends this file, so every scenario built on the baseline uses them.\n"
    "# Written by the tool: see result.yaml beside it for the fit, the seeds and the provenance.\n",
    "# Calibrated behavioural parameters: the best member (lowest distance on the fit's seeds) of the\n"
    "# calibration ensemble, ensemble.yaml beside this file, fitted to the seed paper's Jiashan figures for\n"
    "# 2015-2019 and the zone's (calibration/targets.yaml) by `innosim calibrate --method history-matching`.\n"
    "# scenarios/baseline.yaml extends this file, so every scenario built on the baseline uses them.\n",
    "# The calibration ensemble: every parameter set of calibration/parameters.yaml that history matching\n"
    "# against calibration/targets.yaml (2015-2019) did not rule out, written by\n"
    "# `innosim calibrate --method history-matching` (src/innosim/analysis/calibration/ensemble.py).\n",
)
_READ = max(len(text.encode()) for text in (MARK, *EARLIER_HEADERS))


def written_by_innosim(path: str | Path) -> bool:
    """True when `path` is a regular file (not a link) that begins with `MARK` or an earlier header."""
    path = Path(path)
    if path.is_symlink() or not path.is_file():
        return False
    try:
        with path.open("rb") as file:
            head = file.read(_READ).decode("utf-8", errors="replace")
    except OSError:
        return False
    return head.startswith(MARK) or any(head.startswith(header) for header in EARLIER_HEADERS)


def check_replaceable(paths: list[Path], option: str = "--write-to") -> None:
    """Refuse (ScenarioError, exit 2) when any of `paths` exists and innosim did not write it."""
    for path in paths:
        if path.exists() or path.is_symlink():
            if not written_by_innosim(path):
                raise ScenarioError(path, "", "innosim did not write this file (its first line is not innosim's "
                                              "mark), so it will not replace it: move it away, or give "
                                              f"{option} another folder")


def write_own(folder: str | Path, texts: dict[str, str]) -> list[Path]:
    """Write each `texts` item (file name -> text) into `folder` after `MARK`, each by an atomic
    rename; refused, with nothing written, when any of them is there and innosim did not write it."""
    from innosim.io import write_text_atomic

    folder = Path(folder)
    check_replaceable([folder / name for name in texts])
    return [write_text_atomic(folder / name, MARK + text) for name, text in texts.items()]


__all__ = ["EARLIER_HEADERS", "MARK", "check_replaceable", "write_own", "written_by_innosim"]
