"""Where a gain comes from: an effect on the HNTE stock, firms or talents of a place, split into what
was created there, what moved in from or out to each other place, and what came from or left for
outside the four places.

A planner's first question about integration is at whose expense a gain comes: Jiashan's +23 HNTEs
may be firms certified there, firms that moved from Qingpu or Wujiang, or firms kept from Shanghai's
core. The model counts every flow that changes the three stocks (`model/stockflows.py`, the stock
identity of docs/ODD.md section 8), so for each run and place

    output = initial stock + sum over parts of (the part's cumulative flow, measured as the output is)

where the output is the stock at the horizon ("end") or its mean over the last months ("mean"). The
effect of a scenario is its output minus the baseline's on the same seed (common random numbers),
and the same difference of each part: the parts sum to the effect in every run pair, and so do their
means. The initial stock differs only where a scenario changes the starting population; it is a part
of its own. Everything here reads result tables (the monthly series the store keeps); nothing runs a
model.

    from innosim.analysis import decompose
    d = decompose.effects(ts, baseline="baseline")          # ts: monthly tables with a scenario column
    decompose.render_table(d, "full_integration", "jiashan", labels)     # parts x stocks, for a report
    decompose.reading(d, "full_integration", "jiashan", "hnte_stock", labels)  # one sentence
    decompose.write_section(report, d, labels)              # the whole section, every scenario and county
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from innosim.analysis.compare.stats import paired_differences
from innosim.analysis.report import fmt, fmt_interval
from innosim.i18n import Labels
from innosim.catalogue import COUNTIES, COUNTY_REGIONS, STOCK_FLOWS, StockFlows
from innosim.catalogue.indicators import BY_NAME
from innosim.catalogue import PLACE_KEYS as PLACES

STOCKS: tuple[str, ...] = tuple(s.stock for s in STOCK_FLOWS)
#: Every indicator the split reads: ask the store for these (`ResultStore.timeseries(tasks, NEEDED)`).
NEEDED: tuple[str, ...] = tuple(dict.fromkeys(
    name for s in STOCK_FLOWS for name in (s.stock, *s.created, *s.entered, *s.ended, *s.departed,
                                           *(s.pair(s.moved_in, p) for p in PLACES),
                                           *(s.pair(s.moved_out, p) for p in PLACES if s.moved_out))))
RUN_IDS = ("scenario", "replicate", "seed")
REGIONS = COUNTY_REGIONS
#: The parts in the order reports list them (`from_<place>`, `to_<place>` for the other places).
PART_ORDER = ("created", "entered", "ended", "departed",
              *(f"{way}_{p}" for p in PLACES for way in ("from", "to")),
              "among_counties", "initial", "unexplained")


@dataclass(frozen=True)
class Measure:
    """How an output reads a stock's monthly series: its value at the horizon, or its mean over the
    last `last` months (all months when None)."""

    how: str = "end"        # "end" or "mean"
    last: int | None = None

    def of(self, series: np.ndarray) -> np.ndarray:
        """The measure of each row of `series` (runs x months)."""
        if self.how == "end":
            return series[:, -1]
        window = series[:, -self.last:] if self.last else series
        return window.mean(axis=1)

    def words(self, labels: Labels | None = None) -> str:
        """The measure in the reader's language ("at the horizon", "averaged over the last 12 months")."""
        t = labels or Labels("en")
        if self.how == "end":
            return t.text("at the horizon")
        if not self.last:
            return t.text("averaged over the horizon")
        return t.text("averaged over the last {months} months").format(months=self.last)


@dataclass
class Decomposition:
    """Each run's parts, and their paired differences against the baseline (mean, 95 % interval)."""

    baseline: str
    scenarios: list[str]        # the baseline first
    measure: Measure
    runs: pd.DataFrame          # scenario, replicate, seed, stock, region, part, value (part "total" too)
    effects: pd.DataFrame       # scenario, baseline, stock, region, part, n, diff, ci_low, ci_high, ...
    scale: float = 1.0          # values were divided by this (planner units at full size)


# ---------------------------------------------------------------------------- the parts of each run
def monthly_cube(ts: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray, dict[str, int]]:
    """Tidy monthly tables -> (run ids, array run x month x (indicator, place), column index)."""
    rows = ts[ts["indicator"].isin(NEEDED) & ts["region"].isin(PLACES)]
    wide = rows.set_index([*RUN_IDS, "month", "indicator", "region"])["value"].unstack(["indicator", "region"])
    wide = wide.sort_index()
    missing = [name for name in NEEDED if name not in wide.columns.get_level_values(0)]
    if missing:
        raise KeyError(f"the runs lack the stock-flow indicators {missing[:4]}: made by an older model? "
                       "Run them again.")
    wide = wide.fillna(0.0)
    runs = wide.index.droplevel("month").unique().to_frame(index=False)
    months = wide.index.get_level_values("month").nunique()
    if len(wide) != len(runs) * months:
        raise ValueError("the runs differ in their months: split them by horizon first")
    columns = {f"{indicator}.{region}": i for i, (indicator, region) in enumerate(wide.columns)}
    return runs, wide.to_numpy(dtype=float).reshape(len(runs), months, -1), columns


def monthly_flows(cube: np.ndarray, columns: dict[str, int], stock: StockFlows, place: str) -> dict[str, np.ndarray]:
    """Part -> runs x months: each part's signed flow into `place`'s stock, every month."""
    def get(name: str, where: str) -> np.ndarray:
        return cube[:, :, columns[f"{name}.{where}"]]

    def total(names: Sequence[str]) -> np.ndarray:
        return sum((get(n, place) for n in names), np.zeros(cube.shape[:2]))

    flows = {"created": total(stock.created), "entered": total(stock.entered),
             "ended": -total(stock.ended), "departed": -total(stock.departed)}
    for other in PLACES:
        if other == place:
            continue
        flows[f"from_{other}"] = get(stock.pair(stock.moved_in, other), place)
        out = get(stock.pair(stock.moved_out, other), place) if stock.moved_out else \
            get(stock.pair(stock.moved_in, place), other)  # what arrived there from here
        flows[f"to_{other}"] = -out
    return flows


def place_parts(cube: np.ndarray, columns: dict[str, int], stock: StockFlows, place: str,
                measure: Measure) -> dict[str, np.ndarray]:
    """Part -> per run: the output (`total`) and its parts, the initial stock and what the counted
    flows leave unexplained (zero where the stock identity holds) among them."""
    level = cube[:, :, columns[f"{stock.stock}.{place}"]]
    flows = monthly_flows(cube, columns, stock, place)
    first_month = sum(flows.values())[:, 0]
    initial = level[:, 0] - first_month  # the stock before the first month
    parts = {name: measure.of(np.cumsum(flow, axis=1)) for name, flow in flows.items()}
    total = measure.of(level)
    parts["initial"] = initial
    parts["unexplained"] = total - initial - sum(parts[name] for name in flows)
    parts["total"] = total
    return parts


def zone_parts(by_place: dict[str, dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """The three counties' parts added up: moves among them net into one part (zero for firms and
    talents; for HNTEs, those still under a destination's check or lost on it)."""
    counties = [by_place[c] for c in COUNTIES]
    among = [f"{way}_{c}" for c in COUNTIES for way in ("from", "to")]
    zone = {name: sum(parts[name] for parts in counties) for name in counties[0] if name not in among}
    zone["among_counties"] = sum(parts[name] for parts in counties for name in among if name in parts)
    return zone


def run_parts(ts: pd.DataFrame, measure: Measure = Measure(), scale: float = 1.0) -> pd.DataFrame:
    """Each run's output and its parts for every stock, county and the zone: a tidy table
    (scenario, replicate, seed, stock, region, part, value), divided by `scale`."""
    runs, cube, columns = monthly_cube(ts)
    frames = []
    for stock in STOCK_FLOWS:
        by_place = {p: place_parts(cube, columns, stock, p, measure) for p in PLACES}
        by_place["zone"] = zone_parts(by_place)
        for region in REGIONS:
            for part, values in by_place[region].items():
                frames.append(runs.assign(stock=stock.stock, region=region, part=part, value=values / scale))
    return pd.concat(frames, ignore_index=True)


def effects(ts: pd.DataFrame, baseline: str, how: str = "end", last: int | None = None, level: float = 0.95,
            scale: float = 1.0) -> Decomposition:
    """Split each scenario's effect against `baseline` on the three stocks of every county and the
    zone into its parts, paired by replicate and seed (common random numbers): the mean difference of
    each part with its paired-t interval (Law 2015, section 10.2).

    `ts`: the monthly tables of the runs (`ResultStore.timeseries(tasks, NEEDED)`) with a `scenario`
    column; `how`/`last`: the output, the stock at the horizon ("end") or its mean over the last
    `last` months ("mean"); `scale`: divide every value (e.g. the run's scale, for full-size counts)."""
    measure = Measure(how, last)
    runs = run_parts(ts, measure, scale)
    table = paired_differences(runs, baseline, level, by=("stock", "region", "part"))
    scenarios = [baseline, *(s for s in dict.fromkeys(runs["scenario"]) if s != baseline)]
    return Decomposition(baseline, scenarios, measure, runs, in_order(table), scale)


def in_order(table: pd.DataFrame) -> pd.DataFrame:
    """Rows by scenario as given, stock, region (Qingpu first, the zone last) and part (report order)."""
    ranks = {"stock": STOCKS, "region": REGIONS, "part": (*PART_ORDER, "total")}
    keys = {f"_{c}": table[c].map({v: i for i, v in enumerate(order)}) for c, order in ranks.items()}
    return (table.assign(**keys).sort_values(list(keys), kind="stable").drop(columns=list(keys))
            .reset_index(drop=True))


# ---------------------------------------------------------------------------- words and tables
#: Row labels (English; the glossary translates them, zh.yaml `text`), the same for the three stocks.
ROW_LABELS = {
    "created": "created here (certified, founded, taken up)",
    "entered": "entered from outside the four places",
    "ended": "ended here (lapsed, exited)",
    "departed": "left the four places for good",
    "among_counties": "moves among the three counties, net",
    "initial": "difference at the start",
    "unexplained": "not accounted for",
    "total": "total effect",
}
MOVE_LABELS = {"from": "moved in from {place}", "to": "moved out to {place}"}
STOCK_LABELS = {s.stock: BY_NAME[s.stock].noun for s in STOCK_FLOWS}
#: What each part is, per stock, in the one-sentence reading (parts a stock cannot have are absent).
PART_NOUNS = {
    "hnte_stock": {"created": "certifications there", "ended": "lapses and exits there"},
    "firms": {"created": "start-ups, new entities and uptake there", "entered": "entries from outside",
              "ended": "exits there"},
    "talents": {"entered": "arrivals from outside", "departed": "departures for good"},
}
MOVE_NOUNS = {"from": "moves in from {place}", "to": "moves out to {place}"}
OTHER_NOUNS = {"among_counties": "moves among the counties", "initial": "the difference at the start",
               "unexplained": "parts not accounted for"}
UNIT_NOUNS = {s.stock: s.counted_in for s in STOCK_FLOWS}


def part_label(part: str, labels: Labels) -> str:
    """A part's row label in the reader's language."""
    way, _, place = part.partition("_")
    if way in MOVE_LABELS and place in PLACES:
        return labels.text(MOVE_LABELS[way]).format(place=labels.place(place))
    return labels.text(ROW_LABELS[part])


def part_noun(stock: str, part: str, labels: Labels) -> str:
    """A part as the noun of the one-sentence reading ("certifications there", "moves in from Wujiang")."""
    way, _, place = part.partition("_")
    if way in MOVE_NOUNS and place in PLACES:
        return labels.text(MOVE_NOUNS[way]).format(place=labels.place(place))
    return labels.text(PART_NOUNS[stock].get(part) or OTHER_NOUNS[part])


def stock_has(stock: str, part: str) -> bool:
    """Whether `stock` can have `part` (talents are not created in a place, HNTEs do not enter from outside)."""
    return part not in ("created", "entered", "ended", "departed") or part in PART_NOUNS[stock]


def change_words(stock: str, part: str, value: float, labels: Labels) -> str:
    """A part's contribution in words: "more certifications there", "fewer moves out to Wujiang"
    (an out-flow's contribution is the opposite of its change)."""
    noun = part_noun(stock, part, labels)
    if part in OTHER_NOUNS:
        return noun
    outward = part in ("ended", "departed") or part.startswith("to_")
    return labels.text("fewer {noun}" if (value > 0) == outward else "more {noun}").format(noun=noun)


def shown_parts(d: Decomposition, scenario: str, region: str) -> list[str]:
    """The parts a table shows, in order: the initial difference and the unexplained rest only when not nil."""
    e = d.effects[(d.effects["scenario"] == scenario) & (d.effects["region"] == region)]
    present = set(e["part"])
    nil = {p for p in ("initial", "unexplained") if (e.loc[e["part"] == p, "diff"].abs() < 1e-9).all()}
    return [p for p in PART_ORDER if p in present and p not in nil] + ["total"]


def render_table(d: Decomposition, scenario: str, region: str, labels: Labels | None = None) -> pd.DataFrame:
    """Parts (rows, planner words) x stocks (columns): the paired difference against the baseline,
    mean [95 % CI]; "–" where a stock has no such part."""
    t = labels or Labels("en")
    e = d.effects[(d.effects["scenario"] == scenario) & (d.effects["region"] == region)]
    e = e.set_index(["stock", "part"])
    rows = []
    for part in shown_parts(d, scenario, region):
        cells = {t.text("part"): part_label(part, t)}
        for stock in STOCKS:
            row = e.loc[(stock, part)] if stock_has(stock, part) and (stock, part) in e.index else None
            text = "–" if row is None else fmt_interval(row["diff"], row["ci_low"], row["ci_high"], signed=True)
            cells[t.text(STOCK_LABELS[stock])] = f"**{text}**" if part == "total" and row is not None else text
        rows.append(cells)
    return pd.DataFrame(rows)


def reading(d: Decomposition, scenario: str, region: str, stock: str, labels: Labels | None = None,
            at_most: int = 4) -> str:
    """One sentence: the effect and its `at_most` largest parts, the rest in one ("Of Jiashan's +23
    HNTEs (...): more certifications there +15, more moves in from Wujiang +6, ..., the rest +0.4.")."""
    t = labels or Labels("en")
    e = d.effects[(d.effects["scenario"] == scenario) & (d.effects["region"] == region)
                  & (d.effects["stock"] == stock)].set_index("part")
    total = float(e.loc["total", "diff"])
    parts = e.drop(index="total")["diff"]
    parts = parts[(parts.abs() > 1e-9) & np.array([stock_has(stock, p) for p in parts.index])]
    parts = parts.sort_values(key=np.abs, ascending=False)
    named, rest = parts.iloc[:at_most], float(parts.iloc[at_most:].sum())
    said = [f"{change_words(stock, part, value, t)} {signed(value)}" for part, value in named.items()]
    if abs(rest) > 1e-9:
        said.append(t.text("the rest {value}").format(value=signed(rest)))
    return t.text("Of {place}'s {total} {unit} ({measure}, {scenario} − {baseline}): {parts}.").format(
        place=t.text("the zone") if region == "zone" else t.place(region), total=signed(total),
        unit=t.text(UNIT_NOUNS[stock]), measure=d.measure.words(t),
        scenario=scenario, baseline=d.baseline, parts=t.text(", ").join(said) if said else t.text("no part differs"))


def signed(value: float) -> str:
    text = fmt(value)
    return f"+{text}" if value > 0 else text


def write_section(report, d: Decomposition, labels: Labels | None = None,
                  regions: Sequence[str] = REGIONS) -> None:
    """The report section "Where the gains come from": per scenario and region, a sentence for each
    stock and the table of parts. `report`: an `analysis.report.Report` (compare, levers, optimise)."""
    t = labels or Labels("en")
    report.heading(t.text("Where the gains come from"))
    report.paragraph(t.text(
        "Each effect on the HNTE stock, firms and talents ({measure}) split into where it comes from: "
        "created in the county (HNTEs certified, firms founded or taken up), ended there (certificates "
        "lapsed, firms exited), moved in from or out to each other county and Shanghai's core, and "
        "entered from or left for outside the four places. A part is the paired difference against "
        "{baseline} of that flow, cumulated and measured as the output is, mean [95 % CI] over the "
        "replicates; the parts add up to the total effect in every replicate. An HNTE moving across a "
        "provincial line without recognition leaves its county's stock at once but joins the "
        "destination's only when the destination's check passes.").format(
            measure=d.measure.words(t), baseline=d.baseline))
    for scenario in d.scenarios[1:]:
        for region in regions:
            report.heading(f"{t.place(region)}: {scenario} {t.text('against')} {d.baseline}", level=3)
            report.bullets([reading(d, scenario, region, stock, t) for stock in STOCKS])
            report.table(render_table(d, scenario, region, t))


def table_for_csv(d: Decomposition, labels: Labels | None = None) -> pd.DataFrame:
    """The effects table with each part's label, for `decomposition.csv`."""
    t = labels or Labels("en")
    return d.effects.assign(label=d.effects["part"].map(lambda p: part_label(p, t)),
                            measure=d.measure.words())


__all__ = ["NEEDED", "Decomposition", "Measure", "effects", "reading", "render_table", "run_parts",
           "table_for_csv", "write_section"]
