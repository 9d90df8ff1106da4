"""Errors any layer may raise, the model included: this module imports nothing from innosim.

`MechanismError` is a run that a mechanism could not go on with (an overflow, a non-finite or
impossibly large array, numpy refusing a size): the model stops with the month and the mechanism,
and the tool that ran it adds the setting most likely to blame (`blame_setting`), so the planner
reads one line, never a traceback or a crash.
"""

from __future__ import annotations


class MechanismError(ArithmeticError):
    """A mechanism failed on numbers the model cannot go on with: month, mechanism and the cause."""

    def __init__(self, month: str, mechanism: str, cause: str, setting: str = ""):
        self.month, self.mechanism, self.cause, self.setting = month, mechanism, cause, setting
        super().__init__(self._text())

    def _text(self) -> str:
        text = f"month {self.month}, {self.mechanism}: {self.cause}"
        return f"{text}; {self.setting}" if self.setting else text

    @classmethod
    def during(cls, month: str, mechanism, exc: BaseException) -> MechanismError:
        """The error for `exc`, raised by `mechanism` (a function) while simulating `month`."""
        name = getattr(mechanism, "__qualname__", None) or repr(mechanism)
        cause = " ".join(f"{type(exc).__name__}: {exc}".split())[:200]
        return cls(month, name, cause)

    def blaming(self, setting: str) -> MechanismError:
        """The same error, naming the setting most likely to blame."""
        return MechanismError(self.month, self.mechanism, self.cause, setting)

    def __reduce__(self):  # crosses process boundaries whole (a worker raises, the parent reports)
        return (MechanismError, (self.month, self.mechanism, self.cause, self.setting))
