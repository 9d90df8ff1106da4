"""One-line errors: what the command prints instead of a traceback, and the exit status.

One line per problem: a file with several problems gets a heading and one line for each.

Bad input (a file, a key, a value) exits 2, as click does for bad options; a failure while running
(a run, the results store, the disk, the scheduler) exits 1; an interruption (Ctrl-C, SIGTERM,
SIGHUP) exits 130 after saying what is kept. ``innosim --debug ...`` shows the traceback instead.

Under ``--lang zh`` (or ``INNOSIM_LANG=zh``) every line is in Chinese: the tool's own messages are
sentence frames translated where they are made (`innosim.i18n.msg`); click's usage errors (a missing
argument, a bad option value) are translated here, at the boundary, by `in_language`, from the frames
of click's English messages (`CLICK_FRAMES`), keeping click's exit status (2). File names, keys,
options and values stay as they are.
"""

from __future__ import annotations

import functools
import re
import signal
import sqlite3
import sys

import click

from innosim.i18n import message_lang, msg
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
        return msg("run stopped: {why}", why=clip(str(exc), 600)), 1
    if isinstance(exc, (BatchError, StoreError)):
        return str(exc), 1
    if isinstance(exc, sqlite3.DatabaseError):
        return msg("results store: {why}", why=clip(str(exc), 200)), 1
    if isinstance(exc, MemoryError):
        return msg("out of memory: lower run.scale, the population or the number of runs"), 1
    if isinstance(exc, OSError):
        import errno

        where = f"{exc.filename}: " if exc.filename else ""
        advice = (msg("; free some space and run the same command again (finished runs are kept in the store)")
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
        message = msg("unexpected {kind}: {why} (run with --debug for the traceback)", kind=type(exc).__name__,
                      why=clip(str(exc), 300))
        status = 1
    else:
        message, status = known
    if isinstance(exc, ScenarioError) and len(exc.problems) > 1:
        # every problem of a file at once: a heading, then one line per problem (file:line: key: reason)
        head, *lines = message.splitlines()
        click.echo("\n".join([msg("error: {message}", message=' '.join(head.split())),
                              *(f"  {' '.join(line.split())}" for line in lines)]), err=True)
        return status
    click.echo(msg("error: {message}", message=' '.join(message.split())), err=True)
    return status


def exit_with(exc: BaseException) -> None:
    sys.exit(report(exc))


# ---------------------------------------------------------------- click's usage errors, in the reader's language
#: click's English messages (8.1 to 8.5) as frames: ``{name}`` matches any text. A message no frame
#: matches stays English (a newer click's new wording), which the tests of `tests/test_zh_cli.py` catch.
CLICK_FRAMES = (
    "Missing argument {name}. Choose from:{choices}", "Missing option {name}. Choose from:{choices}",
    "Missing argument {name}.", "Missing option {name}.", "Missing parameter: {name}", "Missing command.",
    "No such option: {name}", "No such option {name}. Did you mean {choice}?",
    "No such option {name}. (Did you mean one of: {choices}?)", "No such option {name}.",
    "No such command {name}. Did you mean {choice}?", "No such command {name}.",
    "Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})",
    "Option {name} requires an argument.", "Option {name} requires {n} arguments.",
    "Option {name} does not take a value.", "Argument {name} takes {n} values.",
    "Invalid value for {name}: {message}", "Invalid value: {message}",
    "{value} is not a valid integer range.", "{value} is not a valid float range.",
    "{value} is not a valid integer.", "{value} is not a valid float.", "{value} is not a valid boolean.",
    "{value} is not in the range {range}.", "{value} is not one of {choices}.", "{value} is not {choice}.",
    "File {file} does not exist.", "Path {file} does not exist.", "Directory {file} does not exist.",
    "File {file} is a directory.", "Path {file} is a directory.", "Directory {file} is a file.",
    "Path {file} is a file.", "File {file} is not readable.", "Path {file} is not readable.",
    "Directory {file} is not writable.", "Path {file} is not writable.", "File {file} is not writable.",
    "Could not open file {file}: {message}",
)
#: Fields of a frame that are click's own words, translated in their turn (the rest are names and values).
_NESTED = ("message",)


@functools.cache
def _click_patterns() -> tuple[tuple[re.Pattern, str], ...]:
    patterns = []
    for frame in CLICK_FRAMES:
        regex = "".join(f"(?P<{part[1:-1]}>.+?)" if part.startswith("{") else re.escape(part)
                        for part in re.split(r"(\{\w+\})", frame) if part)
        patterns.append((re.compile(regex + r"\Z", re.S), frame))
    return tuple(patterns)


def click_message(text: str) -> str:
    """One of click's English messages in the language of messages (as it is in English, or unmatched)."""
    if message_lang() == "en":
        return text
    text = text.strip()
    for pattern, frame in _click_patterns():
        found = pattern.match(text)
        if found:
            values = {name: click_message(value) if name in _NESTED else _quoted(value)
                      for name, value in found.groupdict().items()}
            return msg(frame, **values)
    return text


def _quoted(value: str) -> str:
    """A name or value as it was written (click quotes some with ' '), as code: `--seed`, `SCENARIO`."""
    value = " ".join(value.split())
    if value.startswith("'") and value.endswith("'") and value.count("'") == 2:
        value = value[1:-1]
    return f"`{value}`" if value and "`" not in value else value


class TranslatedError(click.UsageError):
    """A click error shown in the language of messages, with click's exit status (2 for bad usage)."""

    def __init__(self, original: click.ClickException):
        super().__init__(click_message(original.format_message()), getattr(original, "ctx", None))
        self.exit_code = original.exit_code
        self.usage = isinstance(original, click.UsageError)

    def show(self, file=None) -> None:
        def say(text: str = "") -> None:  # on stderr unless a file is given, as click's own show does
            click.echo(text, file=file, err=file is None)

        ctx = self.ctx
        if self.usage and ctx is not None:
            usage = ctx.get_usage()
            usage = usage.partition(" ")[2] if usage.startswith("Usage:") else usage
            say(msg("Usage: {usage}", usage=f"`{' '.join(usage.split())}`"))
            if ctx.command.get_help_option(ctx) is not None:
                help_option = max(ctx.help_option_names, key=len)
                say(msg("Try {command} for help.", command=f"`{ctx.command_path} {help_option}`"))
            say()
        say(msg("Error: {message}", message=self.format_message()))


def in_language(exc: click.ClickException) -> click.ClickException:
    """`exc` as it is in English; in another language, the same error in that language."""
    if message_lang() == "en" or isinstance(exc, TranslatedError):
        return exc
    return TranslatedError(exc)
