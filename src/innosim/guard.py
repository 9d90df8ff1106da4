"""One run, guarded: a run that cannot go on stops in one line with the month, the mechanism and
the setting most likely to blame; a run that ends with infinite indicators stops the same way.

The schema bounds every setting so that no legal value should overflow; this is the net below
those bounds (settings combined at their extremes, dated changes), for `innosim run` and batches.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from innosim.errors import MechanismError
from innosim.scenario import Scenario

#: A setting this many times its baseline value (or more) is named as the likely cause.
FAR = 10.0


def _numbers(data: Any, prefix: str = "") -> dict[str, float]:
    """Dotted key -> number, for every numeric leaf of a scenario's data."""
    if isinstance(data, dict):
        found: dict[str, float] = {}
        for key, value in data.items():
            found.update(_numbers(value, f"{prefix}.{key}" if prefix else str(key)))
        return found
    if isinstance(data, (int, float)) and not isinstance(data, bool):
        return {prefix: float(data)}
    return {}


def blame_setting(scenario: Scenario) -> str:
    """The setting furthest above its baseline value, as 'key = value (baseline b)', or ''."""
    mine = _numbers(scenario.model_dump(exclude={"changes"}))
    base = _numbers(Scenario().model_dump(exclude={"changes"}))
    best, ratio = "", FAR
    for key, value in mine.items():
        default = base.get(key)
        if default is None or key.startswith("run.") or not math.isfinite(value):
            continue
        far = abs(value) / max(abs(default), 1e-3)
        if far >= ratio:
            best, ratio = f"likely setting: {key} = {value:g} (baseline {default:g})", far
    return best


def guarded_simulate(scenario: Scenario, seed: int, months: int | None = None,
                     progress: Callable[[int, int], None] | None = None, measures: bool = False):
    """`simulate`, with a failure naming the setting to blame and infinite indicators refused."""
    from innosim.model import simulate

    result = guarded(scenario, lambda: simulate(scenario, seed=seed, months=months, progress=progress,
                                                measures=measures))
    check_finite(result.timeseries, scenario)
    return result


def guarded(scenario: Scenario, run: Callable[[], Any]) -> Any:
    """`run()`; a MechanismError or MoneyError it raises comes back naming the setting to blame."""
    from innosim.model.ledger import MoneyError

    try:
        return run()
    except MechanismError as exc:
        raise exc.blaming(blame_setting(scenario)) from None
    except MoneyError as exc:
        blame = blame_setting(scenario)
        raise MoneyError(f"{exc}; {blame}" if blame else str(exc)) from None


def check_finite(table, scenario: Scenario) -> None:
    """Raise MechanismError (month, indicator, setting) when a monthly indicator is infinite."""
    values = table["value"].to_numpy(dtype=float)
    infinite = np.isinf(values)
    if infinite.any():
        row = table.iloc[int(np.argmax(infinite))]
        raise MechanismError(str(row["date"]), "indicators", f"{row['indicator']} at {row['region']} is infinite",
                             blame_setting(scenario))
