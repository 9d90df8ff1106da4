"""What a bad scenario (or experiment, spec, target) file raises: file, line, key path and reason.

`ScenarioError` is one problem; `ScenarioProblems` is every problem found in one validation,
raised together so that a planner fixes a file in one go. Both print as one line per problem,
``file:line: key: reason``, the form editors and terminals turn into links.
"""

from __future__ import annotations

from pathlib import Path

from innosim.i18n import msg


class ScenarioError(ValueError):
    """A scenario (or experiment, or target) file that cannot be used: file, key path, reason.

    `line` is the line of the file where the key is written, when known. `problems` lists every
    problem found (this one alone for a single problem)."""

    def __init__(self, file: str | Path, key: str, reason: str, line: int | None = None):
        self.file, self.key, self.reason, self.line = str(file), key, reason, line
        self.problems: list[ScenarioError] = [self]
        super().__init__(self.one_line())

    def one_line(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        where = f"{where}: {shown_key(self.key)}" if self.key else where
        return f"{where}: {self.reason}"


def shown_key(key: str) -> str:
    """A key as a message shows it: as it is in English, as `code` amid Chinese (never translated)."""
    from innosim.i18n import message_lang

    return key if message_lang() == "en" or "`" in key else f"`{key}`"


#: Problems a message lists; the rest are counted (a file of 40,000 unknown keys once printed 5 MB).
SHOWN_PROBLEMS = 20


class ScenarioProblems(ScenarioError):
    """Several problems at once; `file`, `key`, `reason` and `line` are those of the first. The message
    lists the first `SHOWN_PROBLEMS` and counts the rest; `problems` keeps them all."""

    def __init__(self, problems: list[ScenarioError]):
        if not problems:
            raise ValueError("ScenarioProblems needs at least one problem")
        first = problems[0]
        super().__init__(first.file, first.key, first.reason, first.line)
        self.problems = list(problems)
        if len(problems) > 1:
            files = sorted({p.file for p in problems})
            head = msg("{n} problems in {files}:", n=len(problems), files=", ".join(files))
            lines = [f"  {p.one_line()}" for p in problems[:SHOWN_PROBLEMS]]
            if len(problems) > SHOWN_PROBLEMS:
                lines.append("  " + msg("... and {n} more", n=f"{len(problems) - SHOWN_PROBLEMS:,}"))
            self.args = ("\n".join([head, *lines]),)

    def __str__(self) -> str:
        return str(self.args[0])


def raise_all(problems: list[ScenarioError]) -> None:
    """Raise the problems: nothing for none, the problem itself for one, `ScenarioProblems` for more."""
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise ScenarioProblems(problems)
