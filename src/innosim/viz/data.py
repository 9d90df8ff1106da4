"""What the page shows, as plain numbers: chart series and the map's stocks and flows.

These functions read a model's public attributes and its data collector only; the components
in `app` and `mapview` draw what they return, and the tests check them without a browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np

from innosim.model.places import LABELS, LONLAT
from innosim.scenario import COUNTIES, PLACES

#: Months of flows the map's arrows sum over.
FLOW_WINDOW = 12


@dataclass(frozen=True)
class Chart:
    """One indicator chart: a line per county; flows are shown summed since the start."""

    indicator: str
    title: str
    cumulative: bool = False


CHARTS: tuple[Chart, ...] = (
    Chart("hnte_stock", "HNTE stock (firms)"),
    Chart("hnte_new", "New HNTE certifications, since start", cumulative=True),
    Chart("talents", "Key talents"),
    Chart("startups", "Start-ups founded, since start", cumulative=True),
    Chart("vouchers_used", "Vouchers used (M CNY), since start", cumulative=True),
    Chart("graduates_stayed", "Incubator graduates who stayed, since start", cumulative=True),
)


def series_name(indicator: str, county: str) -> str:
    """Name of the data collector's column for one chart line."""
    return f"{indicator}:{county}"


def chart_value(model, indicator: str, place: int, cumulative: bool) -> float:
    """This month's value of one chart line, from the indicator records collected so far.

    Mesa validates reporters once before the first record exists: that call gets 0.
    """
    records = model.datacollector.model_vars.get("indicators") or []
    if not records:
        return 0.0
    if cumulative:
        return float(sum(record[indicator][place] for record in records))
    return float(records[-1][indicator][place])


def chart_reporters() -> dict[str, partial]:
    """Data collector reporters, one per chart line (they read the "indicators" record, so come after it)."""
    return {
        series_name(chart.indicator, county): partial(chart_value, indicator=chart.indicator, place=i,
                                                      cumulative=chart.cumulative)
        for chart in CHARTS
        for i, county in enumerate(COUNTIES)
    }


def relocations_this_month(model) -> np.ndarray:
    """Copy of [kind (0 firm, 1 talent), from, to] moves this month, for the data collector."""
    return np.array(model.relocations_month, dtype=float)


def recent_flows(model, window: int = FLOW_WINDOW) -> np.ndarray:
    """Moves [kind, from, to] summed over the last `window` months (this month only if not recorded)."""
    history = model.datacollector.model_vars.get("relocations") or []
    if history:
        return np.sum(history[-window:], axis=0)
    return np.array(model.relocations_month, dtype=float)


@dataclass(frozen=True)
class MapData:
    """Everything the map draws, per place in the model's order (Qingpu, Wujiang, Jiashan, Shanghai)."""

    names: tuple[str, ...]
    lonlat: np.ndarray   # (4, 2)
    firms: np.ndarray    # firms alive
    hnte: np.ndarray     # firms with valid HNTE status where they operate
    talents: np.ndarray  # key talents living there
    flows: np.ndarray    # (2, 4, 4) moves in the last `window` months: [firm|talent, from, to]
    window: int
    month: str           # label of the last simulated month, or the start month
    scale: float


def map_data(model, window: int = FLOW_WINDOW) -> MapData:
    """Stocks now and flows over the last `window` months, read from the model's public attributes."""
    n = len(PLACES)
    alive = model.alive_rows()
    region = model.firms.region[alive].astype(np.int64)
    firms = np.bincount(region, minlength=n)
    hnte = np.bincount(region[model.hnte_valid()[alive]], minlength=n)
    talents = np.bincount(np.asarray(model.talents.view("region"), dtype=np.int64), minlength=n)
    month = model.month_labels[-1] if model.month_labels else f"{model.start} (start)"
    return MapData(
        names=tuple(LABELS[p] for p in PLACES), lonlat=np.asarray(LONLAT, dtype=float),
        firms=firms, hnte=hnte, talents=talents, flows=recent_flows(model, window),
        window=window, month=month, scale=float(model.spec.run.scale),
    )
