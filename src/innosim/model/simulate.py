"""Run the model once and hand back its indicator tables (not the model): what every tool uses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import mesa
import numpy as np
import pandas as pd

from innosim.scenario import Scenario

from .indicators import end_values, stack, tidy
from .model import InnoModel
from .stylised import end_measures, firm_table


@dataclass
class RunResult:
    """What one run leaves: the tidy monthly table, end values and the relocation matrix."""

    timeseries: pd.DataFrame          # month, date, region, indicator, value
    end: dict[str, dict[str, float]]  # indicator -> region -> value at the horizon
    relocations: np.ndarray           # [kind (0 firm, 1 talent), from place, to place], cumulative
    agent_steps: int = 0              # agents alive summed over steps (for benchmarks)
    extra: dict = field(default_factory=dict)
    measures: dict = field(default_factory=dict)  # end-of-run measures (stylised.MEASURES), when asked
    firms: pd.DataFrame | None = None  # the firm table at the end (stylised.firm_table), when asked


def simulate(scenario: Scenario, seed: int, months: int | None = None,
             progress: Callable[[int, int], None] | None = None, measures: bool = False) -> RunResult:
    """Run `scenario` with random seed `seed` for `months` (default: the scenario's horizon); with
    `measures`, also the end-of-run measures and the firm table the stylised facts read."""
    model = InnoModel(scenario, rng=np.random.default_rng(seed))
    horizon = months if months is not None else scenario.run.months
    agent_steps = 0
    model.ledger.check(0)
    for month in range(horizon):
        agent_steps += model.agent_count()
        model.step()
        model.ledger.check(month + 1)  # money is conserved and finite, or the run stops here
        if progress is not None:
            progress(month + 1, horizon)
    records = model.datacollector.model_vars["indicators"][1:]  # [0] is the initial state
    values = stack(records)
    result = RunResult(timeseries=tidy(values, model.month_labels), end=end_values(values),
                       relocations=model.relocations.copy(),
                       agent_steps=agent_steps,
                       extra={"money_drift": model.ledger.total() - model.money_at_start})
    if measures:
        result.measures, result.firms = end_measures(model), firm_table(model)
    release(model)
    return result


def release(model: InnoModel) -> None:
    """Let a finished model be freed: Mesa 3.3 counts agent ids in a class-level dict keyed by
    model (`Agent._ids`), which would otherwise keep every model of a batch alive."""
    ids = getattr(mesa.Agent, "_ids", None)
    if hasattr(ids, "pop"):  # a dict, or the weak-keyed table the visual server puts in its place
        ids.pop(model, None)
