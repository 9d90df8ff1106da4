"""The opening of a comparison report: the answer first, county by county, in words a planner forwards.

Per scenario, one paragraph and one table: for each county (the reader's first, `focus`) and the
zone, what the scenario does to the HNTE stock (and to start-ups and key talents where that is
clear), how sure (the 95 % interval of the paired difference, and "no clear change" where it
includes zero), the extra public cost a year and the extra cost per extra HNTE. Labels only, never
an indicator's or a setting's code name; every phrase goes through `Labels.text`, so the Chinese
report opens in Chinese (`i18n/zh.yaml`, block "compare report (planner opening)").

The figures are those of the tables it is given: `fullsize.at_full_size` has divided counts and
money by the run's scale, and the paragraph says so in its first sentence.
"""

from __future__ import annotations

import pandas as pd

from innosim.analysis.compare.tables import Comparison
from innosim.analysis.report import fmt_interval
from innosim.i18n import Labels, region_aliases
from innosim.scenario import COUNTIES

#: Outcome (a key of `cost.OUTCOMES`) -> its phrase in the opening ({period}, {value}, {verdict}).
OUTCOME_PHRASES = {"hnte": "HNTEs in {period} {value}, {verdict}",
                   "startups": "start-ups over {period} {value}, {verdict}",
                   "talents": "key talents in {period} {value}, {verdict}"}
#: The outcomes' names where several are said to show no clear change together.
OUTCOME_NAMES = {"startups": "start-ups", "talents": "key talents"}
#: Column headers of the opening table ({period}: the outcome's period).
OUTCOME_COLUMNS = {"hnte": "HNTEs in {period}", "startups": "start-ups over {period}",
                   "talents": "key talents in {period}"}


# ------------------------------------------------------------------------------------- the focus
def county_key(name: str | None) -> str | None:
    """A county's key from its key or any of its names (Jiashan, 嘉善); None for None."""
    if name is None:
        return None
    text = name.strip()
    key = region_aliases().get(text, text.lower())
    if key not in COUNTIES:
        raise ValueError(f"unknown county {name!r}: choose one of {', '.join(COUNTIES)}")
    return key


def counties_concerned(key: str) -> set[str] | None:
    """The counties a changed setting (`policy.vouchers.budget.jiashan from 2021-07`) concerns: its
    county part, or None for a setting of every county (a zone-wide lever, a behavioural parameter)."""
    parts = key.split(" from ")[0].split(".")
    aliases = region_aliases()
    for part in parts:
        county = aliases.get(part, part)
        if county in COUNTIES:
            return {county}
    return None


def inferred_focus(settings: dict) -> str | None:
    """The one county every changed setting of every compared scenario concerns, else None."""
    found: set[str] = set()
    for scenario in settings.get("scenarios", [])[1:]:
        for change in scenario.get("changes", []):
            concerned = counties_concerned(change["key"])
            if concerned is None:
                return None
            found |= concerned
    return found.pop() if len(found) == 1 else None


def place_order(focus: str | None) -> list[str]:
    """The three counties with `focus` first (else in the model's order), then the zone."""
    counties = list(COUNTIES)
    if focus in counties:
        counties.remove(focus)
        counties.insert(0, focus)
    return [*counties, "zone"]


# --------------------------------------------------------------------------------- the wording
def verdict(row, t: Labels) -> str:
    """"a clear rise", "a clear fall", or "no clear change" (the 95 % interval includes zero)."""
    low, high = row["low"], row["high"]
    if low > 0:
        return t.text("a clear rise")
    if high < 0:
        return t.text("a clear fall")
    return t.text("no clear change")


def interval(mean: float, low: float, high: float) -> str:
    return fmt_interval(mean, low, high, signed=True)


def periods(settings: dict, t: Labels) -> dict[str, str]:
    """The periods the outcomes are measured over: the horizon's last 12 months ("2028") for the
    stocks, the whole horizon ("2019-2028") for start-ups and the extra cost."""
    start, end = str(settings.get("start", "")), str(settings.get("end", ""))
    try:
        end_year, end_month = int(end[:4]), int(end[5:7])
        start_year, start_month = int(start[:4]), int(start[5:7])
    except ValueError:
        return {"last": t.text("the last 12 months"), "horizon": t.text("the horizon")}
    if end_month == 12:
        last = t.text("{year}").format(year=end_year)
    else:
        first = f"{end_year - 1}-{end_month + 1:02d}"
        last = t.text("{start} to {end}").format(start=first, end=end)
    if start_month == 1 and end_month == 12:
        horizon = t.text("{first}-{last}").format(first=start_year, last=end_year)
    else:
        horizon = t.text("{start} to {end}").format(start=start, end=end)
    return {"last": last, "horizon": horizon}


def outcome_period(outcome: str, p: dict[str, str]) -> str:
    return p["horizon"] if outcome == "startups" else p["last"]


def scenario_title(label: str) -> str:
    """A scenario's name as a reader writes it: words, not a file name (full_integration -> full integration)."""
    return label.replace("_", " ").replace("-", " ").strip()


def _rows(comparison: Comparison, scenario: str):
    costs = comparison.costs
    e = costs.effectiveness
    e = e[e["scenario"] == scenario].set_index(["region", "outcome"])
    d = costs.differences
    d = d[(d["scenario"] == scenario) & (d["item"] == "public_cost")].set_index("region")
    s = costs.summary
    s = s[s["item"] == "public_cost"].set_index(["scenario", "region"])
    return e, d, s


def _outcome(e: pd.DataFrame, region: str, outcome: str) -> dict | None:
    if (region, outcome) not in e.index:
        return None
    row = e.loc[(region, outcome)]
    return {"mean": row["extra_outcome"], "low": row["extra_outcome_low"], "high": row["extra_outcome_high"],
            "verdict": row["verdict"], "ratio": row["ratio"], "ratio_low": row["ratio_low"],
            "ratio_high": row["ratio_high"]}


def place_sentence(comparison: Comparison, scenario: str, region: str, settings: dict,
                   labels: Labels | None = None) -> str:
    """One county's (or the zone's) sentence of the opening paragraph."""
    t = labels or Labels("en")
    e, d, s = _rows(comparison, scenario)
    p = periods(settings, t)
    parts, quiet = [], []
    for outcome, phrase in OUTCOME_PHRASES.items():
        row = _outcome(e, region, outcome)
        if row is None:
            continue
        clear = row["low"] > 0 or row["high"] < 0
        if outcome == "hnte" or clear:
            parts.append(t.text(phrase).format(period=outcome_period(outcome, p),
                                               value=interval(row["mean"], row["low"], row["high"]),
                                               verdict=verdict(row, t)))
        else:
            quiet.append(t.text(OUTCOME_NAMES[outcome]))
    if quiet:
        names = quiet[0] if len(quiet) == 1 else t.text("{a} and {b}").format(a=quiet[0], b=quiet[1])
        parts.append(t.text("{outcomes}: no clear change").format(outcomes=names))
    if region in d.index:
        row = d.loc[region]
        cost = {"mean": row["diff"], "low": row["ci_low"], "high": row["ci_high"]}
        value = interval(cost["mean"], cost["low"], cost["high"])
        if region == "zone" and (scenario, "zone") in s.index and (comparison.baseline, "zone") in s.index:
            level = s.loc[(scenario, "zone")]
            base = s.loc[(comparison.baseline, "zone")]
            parts.append(t.text("public cost {level} M CNY a year at the zone's full size, against {base} in "
                                "{baseline} (Δ {value}, {verdict})").format(
                level=fmt_interval(level["mean"], level["ci_low"], level["ci_high"]),
                base=fmt_interval(base["mean"], base["ci_low"], base["ci_high"]),
                baseline=scenario_title(comparison.baseline), value=value, verdict=verdict(cost, t)))
        else:
            parts.append(t.text("extra public cost {value} M CNY a year, {verdict}").format(
                value=value, verdict=verdict(cost, t)))
    hnte = _outcome(e, region, "hnte")
    if hnte is not None:
        parts.append(per_hnte_words(hnte, p, t))
    place = t.text("The zone (the three counties)") if region == "zone" else t.place(region)
    return t.text("**{place}**: {parts}.").format(place=place, parts=t.text("; ").join(parts))


def per_hnte_words(row: dict, p: dict[str, str], t: Labels) -> str:
    if row["verdict"] == "ratio":
        return t.text("{ratio} M CNY of extra public cost over {period} per extra HNTE").format(
            ratio=fmt_interval(row["ratio"], row["ratio_low"], row["ratio_high"]), period=p["horizon"])
    if row["verdict"] == "significant loss":
        return t.text("no cost per extra HNTE (HNTEs fall)")
    return t.text("no cost per extra HNTE (no clear gain)")


def intro(comparison: Comparison, scenario: str, settings: dict, labels: Labels | None = None) -> str:
    """The paragraph's first sentence: which scenarios, at the zone's full size (and how), how sure."""
    t = labels or Labels("en")
    scale = float(settings.get("scale", 1.0) or 1.0)
    scaled = "" if scale == 1 else t.text(" (a run at scale {scale} with its counts and money divided by "
                                          "{scale})").format(scale=f"{scale:g}")
    e = comparison.costs.effectiveness
    runs = int(e.loc[e["scenario"] == scenario, "n"].max()) if len(e) else settings.get("replicates", 0)
    return t.text("**{scenario}** against **{baseline}**: changes at the zone's full size{scaled}, over {runs} paired "
                  "runs; 95 % intervals in brackets, and \"no clear change\" where the interval includes "
                  "zero.").format(scenario=scenario_title(scenario), baseline=scenario_title(comparison.baseline),
                                  scaled=scaled, runs=runs)


def opening_paragraph(comparison: Comparison, scenario: str, settings: dict, focus: str | None = None,
                      labels: Labels | None = None) -> str:
    """The memo-ready paragraph: the intro, then a sentence per county (`focus` first) and the zone."""
    t = labels or Labels("en")
    sentences = [intro(comparison, scenario, settings, t)]
    sentences += [place_sentence(comparison, scenario, region, settings, t) for region in place_order(focus)]
    sentences.append(periods_sentence(comparison, scenario, settings, t))
    return t.text(" ").join(sentences)


def periods_sentence(comparison: Comparison, scenario: str, settings: dict, labels: Labels | None = None) -> str:
    """Which period the opening's figures are and which the section's table further down is, in one
    sentence: the opening (and the table below it) gives HNTEs and key talents as the mean over the last 12
    months, the section "<scenario> against <baseline>" their value in the last month."""
    t = labels or Labels("en")
    p = periods(settings, t)
    return t.say("HNTEs and key talents here and in the table below are the mean over {last}; the section "
                 "“{scenario} against {baseline}” gives their value in {end}, the last month, so its figures "
                 "differ by their change within that year.", last=p["last"], scenario=scenario_title(scenario),
                 baseline=scenario_title(comparison.baseline), end=settings.get("end") or t.text("the horizon"))


def _cell(mean: float, low: float, high: float) -> str:
    text = interval(mean, low, high)
    if low > 0:
        return f"**{text} ▲**"
    if high < 0:
        return f"**{text} ▼**"
    return text


def opening_table(comparison: Comparison, scenario: str, settings: dict, focus: str | None = None,
                  labels: Labels | None = None) -> pd.DataFrame:
    """Places (the focus first, the zone, Shanghai's core) x the opening's outcomes and costs."""
    t = labels or Labels("en")
    e, d, _ = _rows(comparison, scenario)
    p = periods(settings, t)
    rows = []
    for region in [*place_order(focus), "shanghai"]:
        cells = {t.text("place"): t.place(region)}
        for outcome, header in OUTCOME_COLUMNS.items():
            row = _outcome(e, region, outcome)
            cells[t.text(header).format(period=outcome_period(outcome, p))] = (
                "–" if row is None else _cell(row["mean"], row["low"], row["high"]))
        cost = d.loc[region] if region in d.index else None
        cells[t.text("Δ public cost, M CNY a year")] = (
            "–" if cost is None else _cell(cost["diff"], cost["ci_low"], cost["ci_high"]))
        hnte = _outcome(e, region, "hnte")
        cells[t.text("extra public cost per extra HNTE, M CNY")] = (
            "–" if hnte is None else fmt_interval(hnte["ratio"], hnte["ratio_low"], hnte["ratio_high"])
            if hnte["verdict"] == "ratio" else t.text("no clear gain") if hnte["verdict"] != "significant loss"
            else t.text("HNTEs fall"))
        rows.append(cells)
    return pd.DataFrame(rows)


def table_caption(settings: dict, labels: Labels | None = None) -> str:
    t = labels or Labels("en")
    p = periods(settings, t)
    return t.text("Δ against the baseline at the zone's full size, mean [95 % interval], paired by replicate; "
                  "**bold with ▲ or ▼**: a clear change. HNTEs and key talents: the mean over {last}; "
                  "start-ups: the total over {horizon}; the extra public cost per extra HNTE: the extra "
                  "cost over {horizon} divided by the extra HNTEs.").format(**p)


__all__ = ["counties_concerned", "county_key", "inferred_focus", "opening_paragraph", "opening_table",
           "periods_sentence", "place_order", "place_sentence", "scenario_title", "table_caption"]
