"""The words of the lever reports: indicator nouns, signed numbers and percentages, the period a
window output covers, and "X and Y" in English or Chinese."""

from __future__ import annotations

import pandas as pd

from innosim.catalogue import INDICATORS
from innosim.i18n import Labels
from innosim.scenario import month_label

from innosim.analysis.outputs import Term
from innosim.analysis.report import fmt


#: Short English nouns of the indicators a planner asks about (the catalogue's; others: the output's name).
NOUNS = {i.name: i.noun for i in INDICATORS if i.noun}
DIRECTION_TEXT = {"on": "on alone from the base", "off": "off alone from full integration"}


def signed(value: float, digits: int = 3) -> str:
    text = fmt(value, digits)
    return f"+{text}" if value > 0 else text.replace("-", "−")


def percent(value: float) -> str:
    return "–" if pd.isna(value) else f"{value * 100:+.1f} %".replace("-", "−")


def period(start: str, months: int, term: Term, t: Labels | None = None) -> str:
    """The window's months as a planner says them: 2026-28, or 2026-03 to 2028-12."""
    first = month_label(start, months - term.last if term.last else 0)
    last = month_label(start, months - 1)
    if first.endswith("-01") and last.endswith("-12"):
        return first[:4] if first[:4] == last[:4] else f"{first[:4]}-{last[2:4]}"
    return f"{first} 至 {last}" if t is not None and t.chinese else f"{first} to {last}"


def window_phrase(start: str, months: int, term: Term, t: Labels) -> str:
    """`on average over 2026-28`, `a year over 2019-28`, `in total over 2019-28`, `in 2028-12`."""
    when = period(start, months, term, t)
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


def setting_words(key: str, t: Labels) -> str:
    """A policy key as the reader says it: `vouchers.budget` as is in English, 科技创新券年度预算 in Chinese."""
    if not t.chinese:
        return key
    dotted = key if key.startswith("policy.") else f"policy.{key}"
    whole = t.setting(dotted)
    parts = dotted.split(".")
    sections = [".".join(parts[:n]) for n in range(2, len(parts) + 1)]  # policy.vouchers, policy.vouchers.budget
    labels = [t.setting(section) for section in sections]
    if all(label != section for label, section in zip(labels, sections, strict=True)):
        if len(labels) > 1 and not _names_its_section(labels[-1], labels[-2]):
            return "".join(labels[-2:])
        return labels[-1]
    return whole if whole != dotted else key


def _names_its_section(label: str, section: str) -> bool:
    """Whether a setting's label already says its section: 研发费用补助比例 (研发费用补助), 孵化容量 (孵化),
    培育库容量 (高企培育库): it holds the section's name, or starts with the end of it."""
    return section in label or any(label.startswith(section[i:]) for i in range(len(section) - 1))


def settings_words(text: str, t: Labels) -> str:
    """A dial's settings (`vouchers.budget 8 → 16; talent_recognition false → true`, as `Dial.describe`
    writes them) in the reader's language."""
    if not t.chinese or not isinstance(text, str):
        return text
    parts = []
    for part in text.split("; "):
        key, _, change = part.partition(" ")
        before, arrow, after = change.partition(" → ")
        if arrow:
            change = f"{t.value(before)} → {t.value(after)}"
        parts.append(f"{setting_words(key, t)} {change}".strip())
    return "；".join(parts)
