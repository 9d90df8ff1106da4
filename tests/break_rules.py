"""Break each model rule in turn and see which test catches it (issue 21: no break may survive the
suite without the golden test).

    PYTHONPATH=src python -m tests.break_rules                 # every break in tests/breaks.yaml
    PYTHONPATH=src python -m tests.break_rules --only B01 B07  # some of them
    PYTHONPATH=src python -m tests.break_rules --check         # only check that every edit applies

For each break of `tests/breaks.yaml` (id, the rule in words, file, the exact text to find, its
replacement, the test files likely to catch it) the script copies the project (without .git and
outputs) to a temporary folder, makes the one edit there (refusing loudly unless the text occurs
exactly once), and runs pytest with `-x` in the copy: first on the break's own test files, then,
only if the break survived them, on the whole suite without `tests/test_golden.py`. The golden
numbers say that something changed, not what is wrong: a rule is covered when a behavioural test
fails. It prints a table (break, caught, first failing test, stage, seconds) and, with --markdown,
writes it as a Markdown table for docs/testing.md. The real tree is never edited.

The project is copied once at the start and each break copies that snapshot, so edits made to the
real tree while the breaks run do not leak into them. Before the breaks it runs the break files'
tests on an unbroken copy: if they fail there, every break would look caught, so the script stops.

It lives beside the tests (run as a module, like `python -m tests.golden`) because it is a check of
the test suite, reads tests/breaks.yaml, and must change when the tests do; benchmarks/ measures
the model's speed.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BREAKS = ROOT / "tests" / "breaks.yaml"
GOLDEN = "tests/test_golden.py"
#: What a copy leaves out: history, outputs, caches.
IGNORED = shutil.ignore_patterns(".git", "out", "runs", "results", "__pycache__", ".pytest_cache", "*.egg-info",
                                 ".venv*", "build", "dist")
TIMEOUT = 3600  # seconds for one pytest run (the whole suite on two busy cores)


@dataclass
class Break:
    id: str
    rule: str
    file: str
    find: str
    replace: str
    tests: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    caught: str          # "yes", "no" or "error" (the broken copy did not run: not a catch)
    first_failure: str   # the first failing test (or the error)
    stage: str           # "targeted" or "suite"
    seconds: float


def load_breaks(path: Path = BREAKS) -> list[Break]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    breaks = [Break(**entry) for entry in data["breaks"]]
    ids = [b.id for b in breaks]
    if len(set(ids)) != len(ids):
        raise SystemExit(f"{path}: a break id is used twice")
    return breaks


def apply(tree: Path, brk: Break) -> None:
    """Make the break's one edit in `tree` (a copy), refusing unless the text occurs exactly once."""
    path = tree / brk.file
    text = path.read_text(encoding="utf-8")
    found = text.count(brk.find)
    if found != 1:
        raise SystemExit(f"break {brk.id}: the text to find occurs {found} times in {brk.file}, not once:\n{brk.find}")
    path.write_text(text.replace(brk.find, brk.replace), encoding="utf-8")


def check_all(breaks: list[Break]) -> None:
    """Every edit applies to the real tree's text (read only), and every listed test file exists."""
    for brk in breaks:
        text = (ROOT / brk.file).read_text(encoding="utf-8")
        found = text.count(brk.find)
        if found != 1:
            raise SystemExit(f"break {brk.id}: the text to find occurs {found} times in {brk.file}, not once:\n"
                             f"{brk.find}")
        if brk.find == brk.replace:
            raise SystemExit(f"break {brk.id}: the replacement is the text itself")
        for test in brk.tests:
            if not (ROOT / test.split("::")[0]).is_file():
                raise SystemExit(f"break {brk.id}: no test file {test}")


def copy_tree(into: Path, source: Path = ROOT) -> Path:
    tree = into / "tree"
    shutil.copytree(source, tree, ignore=IGNORED)
    return tree


FAILED = re.compile(r"^(FAILED|ERROR) (\S+)", re.MULTILINE)


def pytest(tree: Path, targets: list[str], log) -> tuple[int, str]:
    """Run pytest -x on `targets` in `tree`; (exit code, first failing test or '')."""
    env = {**os.environ, "PYTHONPATH": str(tree / "src"), "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "-rfE",
               "--ignore", GOLDEN, *targets]
    try:
        done = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return -1, f"timeout after {TIMEOUT} s"
    output = done.stdout + done.stderr
    if log is not None:
        log.write(f"$ {' '.join(command[3:])}\n{output[-4000:]}\n")
        log.flush()
    first = FAILED.search(output)
    return done.returncode, (first.group(2) if first else "")


def run_break(brk: Break, source: Path, log, fallback: bool = True) -> Outcome:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"break-{brk.id}-") as tmp:
        tree = copy_tree(Path(tmp), source)
        apply(tree, brk)
        stages = [("targeted", brk.tests)] if brk.tests else []
        if fallback or not stages:
            stages.append(("suite", ["tests"]))
        for stage, targets in stages:
            if log is not None:
                log.write(f"\n=== {brk.id} ({stage}): {brk.rule}\n")
            code, first = pytest(tree, targets, log)
            if code == 1 and first:
                return Outcome("yes", first, stage, time.monotonic() - started)
            if code != 0:
                return Outcome("error", first or f"pytest exit code {code}", stage, time.monotonic() - started)
        return Outcome("no", "", stages[-1][0], time.monotonic() - started)


def sanity(breaks: list[Break], source: Path, log) -> None:
    """The targeted tests pass on an unbroken copy (else every break would look caught)."""
    targets = sorted({t for b in breaks for t in b.tests})
    with tempfile.TemporaryDirectory(prefix="break-none-") as tmp:
        code, first = pytest(copy_tree(Path(tmp), source), targets, log)
    if code != 0:
        raise SystemExit(f"the targeted tests fail on the unbroken tree ({first or code}): fix that first")


def table(rows: list[tuple[Break, Outcome]]) -> str:
    lines = ["| break | rule broken | caught | first failing test | stage | s |", "|---|---|---|---|---|---|"]
    for brk, out in rows:
        rule = brk.rule.replace("|", "/").strip()
        lines.append(f"| {brk.id} | {rule} | {out.caught} | `{out.first_failure}` | {out.stage} | "
                     f"{out.seconds:.0f} |" if out.first_failure else
                     f"| {brk.id} | {rule} | {out.caught} | | {out.stage} | {out.seconds:.0f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.break_rules", description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", metavar="ID", help="run these breaks only")
    parser.add_argument("--check", action="store_true", help="only check that every edit applies")
    parser.add_argument("--no-fallback", action="store_true",
                        help="do not run the whole suite for a break its own tests miss")
    parser.add_argument("--no-sanity", action="store_true", help="skip the run on the unbroken copy")
    parser.add_argument("--log", type=Path, help="append pytest's output here")
    parser.add_argument("--markdown", type=Path, help="write the table here")
    args = parser.parse_args(argv)

    breaks = load_breaks()
    check_all(breaks)
    if args.only:
        unknown = set(args.only) - {b.id for b in breaks}
        if unknown:
            raise SystemExit(f"no break {', '.join(sorted(unknown))} in {BREAKS}")
        breaks = [b for b in breaks if b.id in args.only]
    if args.check:
        print(f"{len(breaks)} breaks: every edit applies exactly once")
        return 0
    log = args.log.open("a", encoding="utf-8") if args.log else None
    started = time.monotonic()
    # one snapshot of the tree at the start: edits made while the breaks run do not leak into them
    pristine = tempfile.TemporaryDirectory(prefix="break-source-")
    try:
        source = copy_tree(Path(pristine.name))
        if not args.no_sanity:
            sanity(breaks, source, log)
        rows = []
        for brk in breaks:
            out = run_break(brk, source, log, fallback=not args.no_fallback)
            rows.append((brk, out))
            print(f"{brk.id:5s} {out.caught:5s} {out.stage:8s} {out.seconds:6.0f} s  {out.first_failure}", flush=True)
    finally:
        pristine.cleanup()
        if log is not None:
            log.close()
    text = table(rows)
    print()
    print(text)
    print(f"\n{len(rows)} breaks, {sum(o.caught == 'yes' for _, o in rows)} caught, "
          f"{time.monotonic() - started:.0f} s in all")
    if args.markdown:
        args.markdown.write_text(text + "\n", encoding="utf-8")
    return 0 if all(o.caught == "yes" for _, o in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
