"""Indicators of DESIGN.md section 5, per place and for the zone (the three counties), monthly.

Flows are this month's totals; stocks are values at the month's end; rates are cumulative
since the start of the run. The indicators are declared in the catalogue (`innosim.catalogue`);
`snapshot` is what Mesa's DataCollector records each month.

Public money is counted where it is spent or forgone: `public_cost` is the sum of the items of
`PUBLIC_COST_ITEMS`, a cash view (a fund's investment counts when it is paid out, its returns when
they come back; the endowment itself is not a cost until invested).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from innosim.catalogue import (COUNTED, COUNTIES, INDICATOR_NAMES, INDICATORS, PUBLIC_COST_ITEMS, RATES, REGIONS,
                               Indicator)

from . import kernels
from .places import N_COUNTIES, POPULATION
from .stockflows import snapshot_flows



def gini(values: np.ndarray) -> float:
    values = np.sort(np.asarray(values, dtype=float))
    if values.sum() <= 0:
        return 0.0
    n = values.size
    return float((2 * np.arange(1, n + 1) - n - 1) @ values / (n * values.sum()))


def _with_zone(per_place: np.ndarray, how: str = "sum") -> np.ndarray:
    zone = per_place[:N_COUNTIES].sum() if how == "sum" else np.nan
    return np.append(per_place, zone)


class Snapshot(dict):
    """One month's indicators: name -> five values. Mesa's DataCollector deep-copies what a reporter
    returns, in case the reporter hands out state the model goes on changing; a snapshot is built
    afresh each month and nothing changes it after, so its copy is itself (a tenth of a run's time
    went to copying some 90 small arrays a month)."""

    def __deepcopy__(self, memo) -> Snapshot:
        return self


def snapshot(model) -> Snapshot:
    """All indicators now: name -> five values (Qingpu, Wujiang, Jiashan, Shanghai core, zone)."""
    f = model.firms
    month = model.monthly
    counted = np.array([month[name] for name in COUNTED])  # the mechanisms' monthly counters, a row each
    counted = np.concatenate([counted, counted[:, :N_COUNTIES].sum(axis=1, keepdims=True)], axis=1)  # + zone
    out: dict[str, np.ndarray] = dict(zip(COUNTED, counted))
    out["public_cost"] = sum(sign * out[name] for terms in PUBLIC_COST_ITEMS.values() for name, sign in terms)
    # moves inside the zone are not zone in/out-flows
    rel = model.relocations_month
    out["talents_in"][-1] = rel[1, 3, :3].sum()
    out["talents_out"][-1] = rel[1, :3, 3].sum()
    out["firms_in"][-1] = rel[0, 3, :3].sum()
    out["firms_out"][-1] = rel[0, :3, 3].sum()
    out["net_talent_inflow"] = out["talents_in"] - out["talents_out"]
    between = rel[0, :N_COUNTIES, :N_COUNTIES] * (1.0 - np.eye(N_COUNTIES))
    out["firm_moves"] = _with_zone(np.append(between.sum(axis=0), 0.0))

    alive = model.alive_rows()
    region = f.region[alive].astype(np.int64)
    out["firms"] = _with_zone(np.bincount(region, minlength=4).astype(float))
    hnte = model.hnte_certified()[alive]
    hnte_per_place = np.bincount(region[hnte], minlength=4).astype(float)
    out["hnte_stock"] = _with_zone(hnte_per_place)
    year = model.calendar_year
    out["tech_smes"] = _with_zone(np.bincount(region[f.tech_sme_year[alive] == year], minlength=4).astype(float))
    out["hnte_pool"] = _with_zone(np.bincount(region[f.pool_year[alive] == year], minlength=4).astype(float))
    out["knowledge"] = _with_zone(np.bincount(region, f.knowledge[alive], minlength=4))
    losing = np.bincount(region[f.profit[alive] < 0], minlength=4).astype(float)
    firms = np.bincount(region, minlength=4).astype(float)
    out["loss_share"] = np.divide(_with_zone(losing), _with_zone(firms), out=np.full(5, np.nan),
                                  where=_with_zone(firms) > 0)
    t = model.talents
    talents, unemployed = kernels.talents_by_place(t.view("region"), t.view("present"), t.view("employer"), 4)
    out["talents"] = _with_zone(talents.astype(float))
    out["unemployed"] = _with_zone(unemployed.astype(float))
    out["incubator_tenants"] = _with_zone(np.bincount(region[f.incubator[alive] >= 0], minlength=4).astype(float))

    cumulative = model.cumulative
    for name, (num, den) in RATES.items():
        top = _with_zone(cumulative[num])
        bottom = _with_zone(cumulative[den])
        out[name] = np.divide(top, bottom, out=np.full(5, np.nan), where=bottom > 0)
    per_resident = hnte_per_place[:N_COUNTIES] / POPULATION[:N_COUNTIES]
    balance = np.full(5, np.nan)
    balance[-1] = 1.0 - gini(per_resident)
    out["balance_index"] = balance
    out.update(snapshot_flows(model))
    return Snapshot((name, np.asarray(out[name], dtype=float)) for name in INDICATOR_NAMES)


def stack(records: list[dict]) -> np.ndarray:
    """DataCollector records -> one array, month x indicator (INDICATOR_NAMES) x region (REGIONS)."""
    names = list(INDICATOR_NAMES)
    return np.array([[record[n] for n in names] for record in records])


def tidy(values: np.ndarray | list[dict], months: list[str]) -> pd.DataFrame:
    """DataCollector records, or the array `stack` makes of them -> long table (month, date,
    region, indicator, value)."""
    names = list(INDICATOR_NAMES)
    values = values if isinstance(values, np.ndarray) else stack(values)
    n_months, n_ind, n_reg = values.shape
    return pd.DataFrame({
        "month": np.repeat(np.arange(1, n_months + 1), n_ind * n_reg),
        "date": np.repeat(np.asarray(months), n_ind * n_reg),
        "region": np.tile(np.asarray(REGIONS), n_months * n_ind),
        "indicator": np.tile(np.repeat(np.asarray(names), n_reg), n_months),
        "value": values.reshape(-1),
    })


def end_values(values: np.ndarray) -> dict[str, dict[str, float]]:
    """Indicator -> region -> value at the horizon (flows: the last twelve months summed; a stock
    that is undefined there, such as a rate with nothing below it, is None), from the stacked
    records (`stack`)."""
    kinds = {i.name: i.kind for i in INDICATORS}
    out: dict[str, dict[str, float]] = {}
    for i, indicator in enumerate(INDICATOR_NAMES):
        if kinds[indicator] == "flow":
            block = np.ascontiguousarray(values[-12:, i, :].T)  # region x month: summed as a column is
            ends = np.where(np.isnan(block), 0.0, block).sum(axis=1)  # (pairwise), NaN as nothing
        else:
            ends = values[-1, i, :]
        out[indicator] = {region: None if np.isnan(v) else float(v) for region, v in zip(REGIONS, ends.tolist())}
    return out


__all__ = ["COUNTIES", "INDICATORS", "INDICATOR_NAMES", "PUBLIC_COST_ITEMS", "REGIONS", "Indicator", "end_values", "snapshot",
           "stack", "tidy"]
