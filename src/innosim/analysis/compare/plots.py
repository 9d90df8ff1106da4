"""Figures of a scenario comparison, drawn from its tables (county colours of `innosim.outputs`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from innosim.i18n import Labels  # noqa: E402
from innosim.outputs import COUNTY_COLOURS  # noqa: E402

from innosim.analysis.compare.tables import PLACES, RELOCATION_KINDS, UNITS  # noqa: E402

LINE_STYLES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1)), (0, (1, 3)))
HATCHES = ("", "//", "..", "xx", "\\\\", "oo")


def _years(dates: pd.Series) -> np.ndarray:
    """'2019-01' -> 2019.0 (month starts as fractions of a year)."""
    return (dates.str[:4].astype(int) + (dates.str[5:7].astype(int) - 1) / 12).to_numpy()


def plot_difference_bars(diffs: pd.DataFrame, indicators: Sequence[str], regions: Sequence[str],
                         path: Path, baseline: str, labels: Labels | None = None) -> Path:
    """One panel per indicator: paired difference against the baseline per region, 95 % CI error bars.

    Solid bars: the interval excludes zero; faded bars: it does not.
    """
    t = labels or Labels("en")
    scenarios = list(dict.fromkeys(diffs["scenario"]))
    ncols = 4
    nrows = -(-len(indicators) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 3.1 * nrows), squeeze=False)
    # a fixed layout: the constrained layout engine costs seconds on figures with this many panels
    fig.subplots_adjust(left=0.05, right=0.99, top=0.93, bottom=0.1 if len(scenarios) > 1 else 0.06,
                        hspace=0.55, wspace=0.25)
    width = 0.8 / max(len(scenarios), 1)
    for ax, indicator in zip(axes.flat, indicators, strict=False):
        rows = diffs[diffs["indicator"] == indicator].set_index(["scenario", "region"])
        shown = [r for r in regions if any((s, r) in rows.index for s in scenarios)]
        for s, scenario in enumerate(scenarios):
            for x, region in enumerate(shown):
                if (scenario, region) not in rows.index:
                    continue
                row = rows.loc[(scenario, region)]
                err = np.array([[row["diff"] - row["ci_low"]], [row["ci_high"] - row["diff"]]])
                err = np.nan_to_num(err)
                ax.bar(x + (s - (len(scenarios) - 1) / 2) * width, row["diff"], width * 0.95, yerr=err,
                       color=COUNTY_COLOURS[region], alpha=1.0 if row["excludes_zero"] else 0.3,
                       hatch=HATCHES[s % len(HATCHES)], edgecolor="white" if s else None, capsize=3,
                       error_kw={"elinewidth": 1, "ecolor": "#333"})
        ax.axhline(0, color="#333", lw=0.8)
        ax.set_xticks(range(len(shown)), [t.place(r) for r in shown], rotation=30, ha="right", fontsize=8)
        ax.set_title(f"{t.indicator(indicator)} ({t.unit(UNITS.get(indicator, ''))})", fontsize=9)
        ax.grid(axis="y", alpha=0.3)
    for ax in list(axes.flat)[len(indicators):]:
        ax.set_visible(False)
    if len(scenarios) > 1:
        handles = [plt.Rectangle((0, 0), 1, 1, facecolor="#999", hatch=HATCHES[i % len(HATCHES)], edgecolor="w")
                   for i in range(len(scenarios))]
        fig.legend(handles, scenarios, loc="lower center", ncols=len(scenarios), frameon=False)
    fig.suptitle(t.say("Change against {baseline} at the horizon (mean paired difference, 95 % CI; "
                       "faded: CI includes 0)", baseline=baseline), fontsize=11)
    fig.savefig(path, dpi=100, format="png")
    plt.close(fig)
    return path


def numbered_switches(switches: Mapping[str, Sequence[Mapping]], first: str, last: str) -> list[dict]:
    """The dated policy changes of every scenario (`{"from": "2021-07", "note": ..., "places": [...]}`)
    that fall inside the plotted months (after `first`, up to `last`), one entry per month in date
    order, numbered from 1 as the visual server numbers them: its notes, the scenarios that switch
    then, and the counties its changes concern (None: every county)."""
    months: dict[str, dict] = {}
    for scenario, changes in switches.items():
        for change in changes:
            month = change["from"]
            if not first < month <= last:
                continue  # in force from the start, or after the horizon
            entry = months.setdefault(month, {"from": month, "notes": [], "scenarios": [], "places": set()})
            note = (change.get("note") or "").strip()
            if note and note not in entry["notes"]:
                entry["notes"].append(note)
            if scenario not in entry["scenarios"]:
                entry["scenarios"].append(scenario)
            places = change.get("places")
            entry["places"] = None if entry["places"] is None or not places else entry["places"] | set(places)
    return [{**entry, "number": n} for n, entry in enumerate((months[m] for m in sorted(months)), start=1)]


def concerns(entry: Mapping, region: str) -> bool:
    """Whether a numbered change is drawn on `region`'s panels: its counties' and the zone's."""
    return region == "zone" or entry["places"] is None or region in entry["places"]


def switch_legend(numbered: Sequence[Mapping], labels: Labels | None = None) -> list[str]:
    """One line per numbered change: ``1 2021-07: note; note (scenario; Jiashan)``."""
    t = labels or Labels("en")
    lines = []
    for entry in numbered:
        where = [*entry["scenarios"], *(t.place(p) for p in sorted(entry["places"] or ()))]
        notes = "; ".join(entry["notes"])
        lines.append(f"{entry['number']} {entry['from']}: {notes} ({'; '.join(where)})".replace(":  (", ": ("))
    return lines


def mark_switches(ax, numbered: Sequence[Mapping], region: str, styles: Mapping[str, object],
                  label: bool) -> list:
    """A thin vertical line at each numbered change concerning `region`, in the line style of each
    scenario that switches then; with `label`, its number in a small box at the top, moved down a
    level where it would touch the previous one (changes a few months apart). Returns the labels."""
    shown = [e for e in numbered if concerns(e, region)]
    left, right = ax.get_xlim()
    gap = 0.07 * (right - left)  # about the width of a two-digit box on a 3.6-inch panel
    levels: list[float] = []     # the x of the last label at each height
    texts = []
    for entry in shown:
        x = _years(pd.Series([entry["from"]]))[0]
        for scenario in entry["scenarios"]:
            ax.axvline(x, color="#555", ls=styles.get(scenario, ":"), lw=0.7, alpha=0.8)
        if not label:
            continue
        level = next((k for k, last in enumerate(levels) if x - last >= gap), len(levels))
        if level == len(levels):
            levels.append(x)
        levels[level] = x
        texts.append(ax.text(x, 0.97 - 0.13 * level, str(entry["number"]), transform=ax.get_xaxis_transform(),
                             ha="center", va="top", fontsize=6.5, color="#222", zorder=5,
                             bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "#777", "lw": 0.5}))
    return texts


def plot_bands(bands: pd.DataFrame, indicators: Sequence[str], regions: Sequence[str],
               scenarios: Sequence[str], path: Path, labels: Labels | None = None,
               switches: Mapping[str, Sequence[Mapping]] | None = None) -> Path:
    """Rows of indicators, columns of regions: one line per scenario with its 95 % band; a thin
    line marks each scenario's dated policy changes (`switches`: scenario -> its changes)."""
    t = labels or Labels("en")
    fig, axes = plt.subplots(len(indicators), len(regions), figsize=(3.6 * len(regions), 2.3 * len(indicators)),
                             squeeze=False, sharex=True)
    fig.subplots_adjust(left=0.07, right=0.99, top=0.94, bottom=0.07, hspace=0.12, wspace=0.22)
    last_month = bands["month"].max()
    numbered = numbered_switches(switches or {}, bands["date"].min(), bands["date"].max())
    styles = {scenario: LINE_STYLES[s % len(LINE_STYLES)] for s, scenario in enumerate(scenarios)}
    legend = switch_legend(numbered, t)
    if legend:  # the numbered changes, listed under the panels
        fig.subplots_adjust(bottom=0.08 + 0.012 * len(legend))
        fig.text(0.07, 0.035, "\n".join(legend), fontsize=7, va="bottom", ha="left", color="#222")
    for i, indicator in enumerate(indicators):
        rows = bands[bands["indicator"] == indicator]
        flow = (rows["measure"] == "trailing 12-month total").any()
        if flow and last_month >= 12:
            rows = rows[rows["month"] >= 12]  # earlier totals cover less than a year
        for j, region in enumerate(regions):
            ax = axes[i, j]
            colour = COUNTY_COLOURS[region]
            for s, scenario in enumerate(scenarios):
                line = rows[(rows["scenario"] == scenario) & (rows["region"] == region)]
                if line.empty or line["mean"].isna().all():
                    continue
                x = _years(line["date"])
                ax.fill_between(x, line["ci_low"], line["ci_high"], color=colour, alpha=0.15, lw=0)
                ax.plot(x, line["mean"], color=colour, ls=LINE_STYLES[s % len(LINE_STYLES)], lw=1.4,
                        label=scenario)
            mark_switches(ax, numbered, region, styles, label=i == 0)
            ax.grid(alpha=0.3)
            ax.tick_params(labelsize=7)
            if i == 0:
                ax.set_title(t.place(region), color=colour, fontsize=10, fontweight="bold")
            if j == 0:
                suffix = "\n" + t.text("(last 12 months)") if flow else ""
                ax.set_ylabel(f"{t.indicator(indicator)}{suffix}", fontsize=8)
    handles = [plt.Line2D([], [], color="#333", ls=LINE_STYLES[s % len(LINE_STYLES)]) for s in range(len(scenarios))]
    fig.legend(handles, scenarios, loc="lower center", ncols=len(scenarios), frameon=False)
    fig.suptitle(t.text("Indicators over time: mean over replicates with 95 % band"), fontsize=11)
    fig.savefig(path, dpi=100, format="png")
    plt.close(fig)
    return path


def _matrix(table: pd.DataFrame, column: str) -> np.ndarray:
    pivot = table.pivot(index="from", columns="to", values=column)
    return pivot.reindex(index=list(PLACES), columns=list(PLACES)).to_numpy(dtype=float)


def _label_axes(ax, title: str, t: Labels) -> None:
    ax.set_xticks(range(4), [t.place(p) for p in PLACES], rotation=30, ha="right", fontsize=8)
    ax.set_yticks(range(4), [t.place(p) for p in PLACES], fontsize=8)
    for tick, place in zip(ax.get_xticklabels(), PLACES, strict=True):
        tick.set_color(COUNTY_COLOURS[place])
    for tick, place in zip(ax.get_yticklabels(), PLACES, strict=True):
        tick.set_color(COUNTY_COLOURS[place])
    # "from" alone is the glossary's month a change starts from (the changes table)
    ax.set_xlabel(t.text("to (place)") if t.chinese else "to", fontsize=8)
    ax.set_ylabel(t.text("from (place)") if t.chinese else "from", fontsize=8)
    ax.set_title(title, fontsize=9)


def _heat(ax, matrix: np.ndarray, cmap: str, bound: float, text: list[list[str]], title: str,
          t: Labels) -> None:
    shown = matrix.copy()
    np.fill_diagonal(shown, np.nan)  # staying is not a move
    colours = matplotlib.colormaps[cmap].with_extremes(bad="#eeeeee")
    ax.imshow(shown, cmap=colours, vmin=-bound if cmap == "RdBu_r" else 0, vmax=bound)
    for (i, j), value in np.ndenumerate(shown):
        if np.isnan(value):
            continue
        dark = abs(value) > 0.6 * bound
        ax.text(j, i, text[i][j], ha="center", va="center", fontsize=8, color="white" if dark else "black")
    _label_axes(ax, title, t)


def plot_relocations(relocations: pd.DataFrame, scenarios: Sequence[str], path: Path,
                     labels: Labels | None = None) -> Path:
    """Heat maps of moves between the four places over the horizon (rows: firms, talents): the mean
    per run in each scenario, then each scenario's change against the baseline (* where the CI excludes 0)."""
    t = labels or Labels("en")
    baseline, others = scenarios[0], list(scenarios[1:])
    ncols = len(scenarios) + len(others)
    fig, axes = plt.subplots(2, ncols, figsize=(3.9 * ncols, 7.6), squeeze=False)
    fig.subplots_adjust(left=0.09, right=0.98, top=0.91, bottom=0.12, hspace=0.5, wspace=0.55)
    for k, kind in enumerate(RELOCATION_KINDS):
        part = relocations[relocations["kind"] == kind]
        means = {s: _matrix(part[part["scenario"] == s], "mean") for s in scenarios}
        top = max(np.nanmax(m) for m in means.values()) or 1.0
        for c, scenario in enumerate(scenarios):
            m = means[scenario]
            _heat(axes[k, c], m, "Blues", top, [[f"{v:.3g}" for v in row] for row in m],
                  t.say("{kind} moved: {scenario}", kind=t.text(kind), scenario=scenario), t)
        for c, scenario in enumerate(others, start=len(scenarios)):
            rows = part[part["scenario"] == scenario]
            diff, sure = _matrix(rows, "diff"), _matrix(rows, "excludes_zero") > 0
            bound = np.nanmax(np.abs(diff)) or 1.0
            text = [[(f"{diff[i, j]:+.3g}" if diff[i, j] else "0") + ("*" if sure[i, j] else "") for j in range(4)]
                    for i in range(4)]
            title = t.say("{kind}: {scenario} − {baseline}", kind=t.text(kind), scenario=scenario, baseline=baseline)
            _heat(axes[k, c], diff, "RdBu_r", bound, text, title, t)
    fig.suptitle(t.text("Moves between the four places over the horizon, mean per run (row: from, column: to); "
                        "changes: * where the 95 % CI excludes 0"), fontsize=10)
    fig.savefig(path, dpi=100, format="png")
    plt.close(fig)
    return path
