"""The words of the lever reports: indicator nouns, signed numbers and percentages, the period a
window output covers, and "X and Y" in English or Chinese."""

from __future__ import annotations

import pandas as pd

from innosim.i18n import Labels
from innosim.model import month_label

from innosim.analysis.outputs import Term
from innosim.analysis.report import fmt


#: Short English nouns of the indicators a planner asks about (others: the indicator's name).
NOUNS = {"hnte_stock": "HNTE stock", "firms": "firms", "talents": "talents", "startups": "start-ups",
         "public_cost": "public cost", "innovations": "innovations", "hightech_revenue": "high-tech revenue"}
DIRECTION_TEXT = {"on": "on alone from the base", "off": "off alone from full integration"}


def signed(value: float, digits: int = 3) -> str:
    text = fmt(value, digits)
    return f"+{text}" if value > 0 else text.replace("-", "−")


def percent(value: float) -> str:
    return "–" if pd.isna(value) else f"{value * 100:+.1f} %".replace("-", "−")


def period(start: str, months: int, term: Term) -> str:
    """The window's months as a planner says them: 2026-28, or 2026-03 to 2028-12."""
    first = month_label(start, months - term.last if term.last else 0)
    last = month_label(start, months - 1)
    if first.endswith("-01") and last.endswith("-12"):
        return first[:4] if first[:4] == last[:4] else f"{first[:4]}-{last[2:4]}"
    return f"{first} to {last}"


def window_phrase(start: str, months: int, term: Term, t: Labels) -> str:
    """`on average over 2026-28`, `a year over 2019-28`, `in total over 2019-28`, `in 2028-12`."""
    when = period(start, months, term)
    if t.chinese:
        if term.how == "mean":
            return f"{when}年平均"
        return f"{when}年{'年均' if term.per_year else '合计'}" if term.how == "sum" else \
            f"{month_label(start, months - 1)}"
    if term.how == "mean":
        return f"on average over {when}"
    if term.how == "sum":
        return f"a year over {when}" if term.per_year else f"in total over {when}"
    return f"in {month_label(start, months - 1)}"


def what(output: str, region: str, indicator: str, t: Labels) -> str:
    """`Jiashan's HNTE stock`, `the zone's start-ups`."""
    if t.chinese:
        return f"{t.place(region)}{t.indicator(indicator)}"
    noun = NOUNS.get(indicator, output.replace("_", " "))
    return f"the zone's {noun}" if region == "zone" else f"{t.place(region)}'s {noun}"


def join_and(items: list[str], t: Labels) -> str:
    if t.chinese:
        return "、".join(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
