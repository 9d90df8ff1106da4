"""The Python API in three calls, for notebooks and scripts (docs/api.md):

    from innosim import api
    table = api.run("scenarios/baseline.yaml", seed=1, months=24, scale=0.1)   # tidy DataFrame
    store = api.batch(["scenarios/baseline.yaml"], replicates=5, scale=0.1)     # runs in the shared store
    result = api.compare(["scenarios/baseline.yaml", "scenarios/full_integration.yaml"], replicates=5)
    result.differences                                                          # paired differences, CIs

and the labelled indicators Mesa's and EMA Workbench's tools want: one number per indicator and
place, named ``indicator.place`` (``hnte_stock.jiashan``): `labelled`, `reporters`, `widen`.

A plain script needs no ``if __name__ == "__main__":`` guard: the batch engine keeps the
script out of its worker processes (a run function defined in the script itself still needs one).
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def _overrides(scale: float | None, settings: Mapping[str, Any] | None) -> dict[str, Any]:
    overrides = dict(settings or {})
    if scale is not None:
        overrides["run.scale"] = float(scale)
    return overrides


def run(scenario_file: str | Path, seed: int = 1, months: int | None = None, scale: float | None = None,
        settings: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """One run in this process: the tidy monthly table (month, date, region, indicator, value).

    settings: dotted keys as `--set` takes them, e.g. ``{"policy.vouchers.scope": "zone"}``."""
    from innosim.model import simulate
    from innosim.scenario import load_scenario

    scenario = load_scenario(scenario_file, _overrides(scale, settings), override_source="settings")
    return simulate(scenario, seed=seed, months=months).timeseries


def batch(scenario_files: Sequence[str | Path], replicates: int = 5, scale: float | None = None,
          settings: Mapping[str, Any] | None = None, months: int | None = None, seed: int = 0,
          jobs: int | None = None, store: str | Path | None = None, progress: bool = False):
    """Replicates of each scenario on every core, kept in the results store (default: the shared
    out/store/results.sqlite, so runs done before are reused). Returns ``(store, tasks)``:
    ``store.end_values(tasks)`` and ``store.timeseries(tasks)`` are tidy DataFrames."""
    from innosim.batch import default_store_path, make_tasks, run_batch

    tasks = make_tasks(list(scenario_files), [_overrides(scale, settings)], replicates=replicates,
                       root_seed=seed, months=months)
    result = run_batch(tasks, store or default_store_path(), jobs=jobs, progress=progress)
    return result, tasks


def compare(scenario_files: Sequence[str | Path], replicates: int = 20, scale: float | None = 0.5,
            settings: Mapping[str, Any] | None = None, months: int | None = None, seed: int = 0,
            jobs: int | None = None, store: str | Path | None = None, progress: bool = False):
    """The first scenario against the others with common random numbers: a `Comparison` whose
    `summary` (means, 95 % CIs) and `differences` (paired, against the first) are DataFrames."""
    from innosim.analysis.compare.tables import gather
    from innosim.analysis.compare.report import BAND_INDICATORS

    results, tasks = batch(scenario_files, replicates, scale, settings, months, seed, jobs, store, progress)
    groups = {}
    for i in range(len(scenario_files)):
        group = tasks[i * replicates:(i + 1) * replicates]
        groups[group[0].scenario.name] = group
    if len(groups) != len(scenario_files):
        raise ValueError("two scenarios share a name: give one of them another `name:`")
    try:
        return gather(results, groups, band_indicators=BAND_INDICATORS)
    finally:
        results.close()


# ------------------------------------------------------------------ labelled indicators
def columns(names: Iterable[str] | None = None, regions: Iterable[str] | None = None) -> list[str]:
    """Labels ``indicator.place`` of `names` (default: every indicator of `innosim.model.INDICATORS`)
    in `regions` (default: qingpu, wujiang, jiashan, shanghai, zone), indicator by indicator."""
    from innosim.model import INDICATOR_NAMES, REGIONS

    names = INDICATOR_NAMES if names is None else [names] if isinstance(names, str) else list(names)
    regions = REGIONS if regions is None else [regions] if isinstance(regions, str) else list(regions)
    unknown = [n for n in names if n not in INDICATOR_NAMES] + [r for r in regions if r not in REGIONS]
    if unknown:
        raise ValueError(f"not an indicator or a place of innosim: {', '.join(map(repr, unknown))} "
                         f"(places: {', '.join(REGIONS)}; indicators: innosim.model.INDICATOR_NAMES)")
    return [f"{name}.{region}" for name in names for region in regions]


def _label(indicators: Mapping[str, Any], labels: Sequence[str]) -> dict[str, float]:
    """One model record (indicator -> five values, as the model's DataCollector keeps it), labelled."""
    from innosim.model import REGIONS

    where = {region: i for i, region in enumerate(REGIONS)}
    out = {}
    for label in labels:
        name, region = label.rsplit(".", 1)
        out[label] = float(indicators[name][where[region]])
    return out


_latest: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model -> ((steps, records), indicators)


def _indicators_now(model) -> Mapping[str, Any]:
    """The model's indicators now. The model records them at its start and after every month (its
    DataCollector's "indicators"); that record is read when it is the current one, so the numbers are
    the ones the model keeps, and they are computed afresh (once a month) only when it is not."""
    records = model.datacollector.model_vars.get("indicators", [])
    if len(records) == model.steps + 1:
        return records[-1]
    key = (model.steps, len(records))
    cached = _latest.get(model)
    if cached is None or cached[0] != key:
        from innosim.model.indicators import snapshot

        cached = (key, snapshot(model))
        _latest[model] = cached
    return cached[1]


def labelled(model, names: Iterable[str] | None = None, regions: Iterable[str] | None = None) -> dict[str, float]:
    """The indicators of an `InnoModel` now, one number per indicator and place:
    ``{"hnte_stock.qingpu": ..., "hnte_stock.zone": ..., ...}`` (flows are this month's)."""
    return _label(_indicators_now(model), columns(names, regions))


def _report(label: str, model) -> float:
    return _label(_indicators_now(model), [label])[label]


def reporters(names: Iterable[str] | None = None,
              regions: Iterable[str] | None = None) -> dict[str, Callable[[Any], float]]:
    """Model reporters for a `mesa.DataCollector` of your own: one column per indicator and place,
    ``{"hnte_stock.jiashan": reporter, ...}``. The model's own DataCollector is left as it is."""
    # partials: Mesa calls a function or a partial with the model, and a partial pickles
    return {label: functools.partial(_report, label) for label in columns(names, regions)}


def widen(rows: Sequence[Mapping[str, Any]] | pd.DataFrame, names: Iterable[str] | None = None,
          regions: Iterable[str] | None = None) -> pd.DataFrame:
    """A table whose "indicators" column holds the model's records (`mesa.batch_run`'s rows, or
    ``model.datacollector.get_model_vars_dataframe()``), with that column replaced by one column per
    indicator and place (``hnte_stock.jiashan``); every other column is kept."""
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    if "indicators" not in frame.columns:
        raise ValueError("no 'indicators' column: pass mesa.batch_run's rows or the model's "
                         "datacollector.get_model_vars_dataframe()")
    labels = columns(names, regions)
    wide = pd.DataFrame([_label(record, labels) for record in frame["indicators"]], columns=labels,
                        index=frame.index, dtype=np.float64)
    return pd.concat([frame.drop(columns="indicators"), wide], axis=1)


__all__ = ["batch", "columns", "compare", "labelled", "reporters", "run", "widen"]
