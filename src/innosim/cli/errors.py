"""One-line errors: what the command prints instead of a traceback, and the exit status.

One line per problem: a file with several problems gets a heading and one line for each.

Bad input (a file, a key, a value) exits 2, as click does for bad options; a failure while running
(a run, the results store, the disk, the scheduler) exits 1; an interruption (Ctrl-C, SIGTERM,
SIGHUP) exits 130 after saying what is kept. ``innosim --debug ...`` shows the traceback instead.
"""

from __future__ import annotations

import signal
import sqlite3
import sys

import click

from innosim.scenario import ScenarioError


#: Set INNOSIM_DEBUG=1 (or pass --debug) to see tracebacks.
DEBUG_ENV = "INNOSIM_DEBUG"


def clip(text: str, limit: int) -> str:
    """`text` on one line, at most `limit` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _as_interrupt(signum, frame):
    raise KeyboardInterrupt(signal.Signals(signum).name)


def handle_stop_signals() -> None:
    """SIGTERM and SIGHUP stop a command as Ctrl-C does: finished runs kept, workers ended, exit 130."""
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            try:
                signal.signal(getattr(signal, name), _as_interrupt)
            except ValueError:  # not the main thread (an embedding program): leave its handlers alone
                return


def one_line(exc: BaseException) -> tuple[str, int] | None:
    """The message and exit status for a known failure, or None for an unexpected one."""
    from innosim.batch import BatchError, StoreError

    from innosim.errors import MechanismError
    from innosim.model.ledger import MoneyError

    if isinstance(exc, ScenarioError):
        return str(exc), 2
    if isinstance(exc, (MoneyError, MechanismError)):
        return f"run stopped: {clip(str(exc), 600)}", 1
    if isinstance(exc, (BatchError, StoreError)):
        return str(exc), 1
    if isinstance(exc, sqlite3.DatabaseError):
        return f"results store: {clip(str(exc), 200)}", 1
    if isinstance(exc, MemoryError):
        return "out of memory: lower run.scale, the population or the number of runs", 1
    if isinstance(exc, OSError):
        import errno

        where = f"{exc.filename}: " if exc.filename else ""
        advice = ("; free some space and run the same command again (finished runs are kept in the store)"
                  if exc.errno in (errno.ENOSPC, errno.EDQUOT) else "")
        return f"{where}{exc.strerror or clip(str(exc), 200)}{advice}", 1
    return None


def report(exc: BaseException) -> int:
    """Print one line for `exc` on stderr and return the exit status."""
    if isinstance(exc, ScenarioError):  # every check's problem at the line of its key, as the schema's are
        from innosim.scenario.diagnostics import translate

        exc = translate(exc, exc.file)
    known = one_line(exc)
    if known is None:
        message = (f"unexpected {type(exc).__name__}: {clip(str(exc), 300)} "
                   "(run with --debug for the traceback)")
        status = 1
    else:
        message, status = known
    if isinstance(exc, ScenarioError) and len(exc.problems) > 1:
        # every problem of a file at once: a heading, then one line per problem (file:line: key: reason)
        head, *lines = message.splitlines()
        click.echo("\n".join([f"error: {' '.join(head.split())}", *(f"  {' '.join(line.split())}" for line in lines)]),
                   err=True)
        return status
    click.echo(f"error: {' '.join(message.split())}", err=True)
    return status


def exit_with(exc: BaseException) -> None:
    sys.exit(report(exc))
