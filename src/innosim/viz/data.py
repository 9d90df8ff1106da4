"""What the page shows, as plain numbers: chart series and the map's stocks and flows.

These functions read a model's public attributes and its data collector only; the components
in `charts` and `mapview` draw what they return, and the tests check them without a browser.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from innosim.i18n import Labels
from innosim.model.places import LONLAT
from innosim.scenario import PLACES

#: Months of flows the map's arrows sum over.
FLOW_WINDOW = 12


@dataclass(frozen=True)
class Chart:
    """One indicator chart: a line per county; flows are shown summed since the start."""

    indicator: str
    title: str
    cumulative: bool = False
    counts: bool = True  # whole numbers (firms, persons) rather than money


CHARTS: tuple[Chart, ...] = (
    Chart("hnte_stock", "HNTE stock (firms)"),
    Chart("hnte_new", "New HNTE certifications, since start", cumulative=True),
    Chart("talents", "Key talents"),
    Chart("startups", "Start-ups founded, since start", cumulative=True),
    Chart("vouchers_used", "Vouchers used (M CNY), since start", cumulative=True, counts=False),
    Chart("graduates_stayed", "Graduates who stayed, since start", cumulative=True),
)


@dataclass(frozen=True)
class Switch:
    """A month in which the scenario's dated changes (`changes:`) set new policy values: the charts
    mark it with a dotted line labelled `number`, the page lists its notes."""

    number: int
    month: str  # YYYY-MM
    year: float  # the month's start on the time axis
    notes: tuple[str, ...]  # the changes' notes, in the file's order (a change without one: its keys)


@dataclass(frozen=True)
class ChartSeries:
    """The charts' data: time in decimal years and, per chart, a (months, places) array (the three
    counties, then Shanghai's core); the switch dates of the run's horizon."""

    years: np.ndarray
    values: dict[str, np.ndarray]
    switches: tuple[Switch, ...] = ()


def decimal_year(label: str) -> float:
    """'2020-07' -> 2020.5: the start of the month on a time axis."""
    year, month = label.split("-")
    return int(year) + (int(month) - 1) / 12


def switch_dates(spec) -> tuple[Switch, ...]:
    """The months of `spec`'s dated changes within its horizon, numbered in date order; changes of the
    same month share one. A change at or before the start is in force from the start: not a switch."""
    start = decimal_year(spec.run.start)
    end = start + spec.run.months / 12
    months: dict[str, list[str]] = {}
    for _, change in spec.changes_in_order():
        if start < decimal_year(change.month) < end:
            months.setdefault(change.month, []).append(change.note or ", ".join(change.settings))
    return tuple(Switch(number, month, decimal_year(month), tuple(notes))
                 for number, (month, notes) in enumerate(months.items(), start=1))


def record_years(model, count: int) -> np.ndarray:
    """Time (decimal years) of the last `count` indicator records: a month's record is taken at its
    end; a record before the first month (the initial state) at the start."""
    months_done = len(model.month_labels)
    return decimal_year(model.start) + np.arange(months_done - count + 1, months_done + 1) / 12


def chart_series(model) -> ChartSeries:
    """Every chart's lines from the indicator records (flows summed since the start)."""
    records = model.datacollector.model_vars.get("indicators") or []
    values = {}
    for chart in CHARTS:
        lines = np.array([record[chart.indicator][: len(PLACES)] for record in records], dtype=float)
        lines = lines.reshape(len(records), len(PLACES))
        values[chart.indicator] = np.cumsum(lines, axis=0) if chart.cumulative else lines
    return ChartSeries(years=record_years(model, len(records)), values=values, switches=switch_dates(model.spec))


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
    present = model.present_talents()  # talents gone for good or retired stay in the table, not on the map
    talents = np.bincount(np.asarray(model.talents.view("region")[present], dtype=np.int64), minlength=n)
    month = model.month_labels[-1] if model.month_labels else f"{model.start} ({Labels().text('start')})"
    return MapData(
        names=tuple(Labels().place(p) for p in PLACES),  # the page's language ($INNOSIM_LANG)
        lonlat=np.asarray(LONLAT, dtype=float),
        firms=firms, hnte=hnte, talents=talents, flows=recent_flows(model, window),
        window=window, month=month, scale=float(model.spec.run.scale),
    )


def screen_csv(model) -> str:
    """The numbers on screen as CSV: every chart's lines (date, place, indicator, value as drawn,
    flows summed since the start) and the map's stocks and moves now."""
    import pandas as pd

    series = chart_series(model)
    labels = list(model.month_labels)
    dates = ([f"{model.start} (start)"] + labels)[-len(series.years):] if len(series.years) else []
    rows = []
    for chart in CHARTS:
        values = series.values[chart.indicator]
        for m, date in enumerate(dates):
            for p, place in enumerate(PLACES):
                rows.append(("chart", date, place, chart.indicator + (" (since start)" if chart.cumulative else ""),
                             float(values[m, p])))
    data = map_data(model)
    for attribute in ("firms", "hnte", "talents"):
        for p, place in enumerate(PLACES):
            rows.append(("map", data.month, place, attribute, float(getattr(data, attribute)[p])))
    for kind, name in ((0, "firms moved"), (1, "talents moved")):
        for i, origin in enumerate(PLACES):
            for j, destination in enumerate(PLACES):
                if i != j:
                    rows.append(("map", data.month, f"{origin}->{destination}",
                                 f"{name}, last {data.window} months", float(data.flows[kind, i, j])))
    table = pd.DataFrame(rows, columns=["panel", "date", "place", "indicator", "value"])
    return table.to_csv(index=False, float_format="%.6g")
