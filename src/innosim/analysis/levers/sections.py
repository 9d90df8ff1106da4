"""Sections the lever, dose and package reports share: where the gains come from, and the closing
note of the command that made the report."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pandas as pd

from innosim.analysis import decompose
from innosim.analysis.levers.wording import settings_words, what
from innosim.analysis.report import Report, fmt_interval
from innosim.i18n import Labels
from innosim.io import write_atomic


def command_note(command: str, total: int, reused: int, elapsed: float, t: Labels) -> str:
    """The closing note of a report: the command, its runs and the time it took."""
    return t.say("Command: `{command}`. Runs: {total} ({reused} reused from the store), {elapsed:.0f} s.",
                 command=command, total=total, reused=reused, elapsed=elapsed)


def gains_table(d, region: str, stock: str, t: Labels) -> pd.DataFrame:
    """Parts (rows, planner words) x variants (columns): each variant's paired effect on `stock` in
    `region` split by where it comes from, mean [95 % CI]; the parts add up to the total."""
    e = d.effects[(d.effects["region"] == region) & (d.effects["stock"] == stock)]
    parts = [p for p in decompose.PART_ORDER if decompose.stock_has(stock, p)
             and (e.loc[e["part"] == p, "diff"].abs() > 1e-9).any()] + ["total"]
    rows = []
    for part in parts:
        cells = {t.text("part"): decompose.part_label(part, t)}
        for scenario in d.scenarios[1:]:
            row = e[(e["scenario"] == scenario) & (e["part"] == part)]
            text = "–" if row.empty else fmt_interval(row["diff"].iloc[0], row["ci_low"].iloc[0],
                                                      row["ci_high"].iloc[0], signed=True)
            cells[scenario] = f"**{text}**" if part == "total" else text
        rows.append(cells)
    return pd.DataFrame(rows)


def gains_section(report: Report, d, region: str, stock: str, out_dir: Path, t: Labels, csv: str) -> str:
    """"Where the gains come from": a sentence per variant and the table of parts; writes `csv`."""
    original = d    # the CSV keeps the variants' own names
    if t.chinese:   # the variants' names as the reader says them: 基准, a dial's settings in words
        def said(name: str) -> str:
            found = re.fullmatch(r"(.*) \((.*→.*)\)", name)
            if found:
                return f"{found.group(1)}（{settings_words(found.group(2), t)}）"
            found = re.fullmatch(r"package (\d+)", name)   # optimise's packages on the front
            return t.say("package {n}", n=found.group(1)) if found else name

        d = dataclasses.replace(d, baseline=t.text("base") if d.baseline == "base" else d.baseline,
                                scenarios=[said(s) for s in d.scenarios],
                                effects=d.effects.assign(scenario=d.effects["scenario"].map(said)))
    report.heading(t.text("Where the gains come from"), level=3)
    report.bullets([decompose.reading(d, scenario, region, stock, t) for scenario in d.scenarios[1:]])
    report.table(gains_table(d, region, stock, t), caption=t.say(
        "Each effect on {subject} ({measure}) split into what was created or "
        "ended in the county, what moved in from or out to each other county and Shanghai's core, and what "
        "entered from or left for outside: paired differences against the base, mean [95 % CI]; the parts add "
        "up to the total in every seed.", subject=what(stock, region, stock, t), measure=d.measure.words(t)))
    write_atomic(out_dir / csv, lambda p: decompose.table_for_csv(original, t).to_csv(p, index=False))
    return csv
