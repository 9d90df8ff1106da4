"""The comparison report: tidy CSVs, three figures, report.md and report.html from a `Comparison`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from innosim.catalogue import COST_ITEMS as CATALOGUE_COST_ITEMS
from innosim.catalogue import COUNTY_REGIONS, PLACE_KEYS, REGIONS, main_indicators
from innosim.i18n import Labels
from innosim.io import write_atomic, write_json_atomic

from innosim.analysis.compare.tables import DESCRIPTIONS, UNITS, Comparison
from innosim.analysis.compare.cost import OUTCOMES
from innosim.analysis.compare.fullsize import at_full_size
from innosim.analysis.compare.opening import (inferred_focus, opening_paragraph, opening_table, periods,
                                              table_caption)
from innosim.analysis.compare.plots import (numbered_switches, plot_bands, plot_difference_bars, plot_relocations,
                                            switch_legend)
from innosim.analysis import decompose
from innosim.analysis.report import Report, fmt, fmt_interval

#: Indicators of the headline tables and the difference chart (DESIGN.md section 5), and of the band plots.
MAIN_INDICATORS = main_indicators("headline")
BAND_INDICATORS = main_indicators("bands")
BAND_REGIONS = COUNTY_REGIONS
#: Column labels of the public-cost tables, by item of `PUBLIC_COST_ITEMS` (and the total).
COST_ITEMS = {**{item.key: item.label for item in CATALOGUE_COST_ITEMS}, "public_cost": "total"}
OUTCOME_NAMES = {"hnte": "HNTE", "startups": "start-ups", "talents": "key talents"}
OUTCOME_LABELS = {"hnte": "per extra HNTE", "startups": "per extra start-up", "talents": "per extra talent"}
UP, DOWN = "▲", "▼"


def named(indicator: str, t: Labels) -> str:
    """``高新技术企业存量 (`hnte_stock`)`` in Chinese (the key as code, no English prose), ``hnte_stock``
    in English (as `Labels.both`)."""
    label = t.indicator(indicator)
    return f"{label} (`{indicator}`)" if label != indicator else indicator


def mark(row) -> str:
    """▲ where the difference's CI lies above zero, ▼ below, nothing where it includes zero."""
    if not row["excludes_zero"]:
        return ""
    return UP if row["diff"] > 0 else DOWN


def diff_cell(row) -> str:
    text = fmt_interval(row["diff"], row["ci_low"], row["ci_high"], signed=True)
    return f"**{text} {mark(row)}**" if row["excludes_zero"] else text


def _change(row, t: Labels | None = None) -> str:
    """Relative change in percent, or the absolute one (with its unit) where the baseline is zero."""
    if pd.isna(row["relative"]):
        sign = "+" if row["diff"] > 0 else ""
        unit = UNITS.get(row["indicator"], "")
        return f"{sign}{fmt(row['diff'])} {(t or Labels('en')).unit(unit) if unit else ''}".strip()
    return f"{row['relative']:+.1%}"


def headline_table(comparison: Comparison, scenario: str, labels: Labels | None = None) -> pd.DataFrame:
    """Main indicators x regions: the paired difference against the baseline with its CI and mark."""
    t = labels or Labels("en")
    d = comparison.differences
    d = d[d["scenario"] == scenario].set_index(["indicator", "region"])
    rows = []
    for indicator in MAIN_INDICATORS:
        cells = {t.text("indicator"): f"{named(indicator, t)} ({t.unit(UNITS[indicator])})"}
        zone = (indicator, "zone") in d.index
        zone_mean = fmt(d.loc[(indicator, "zone"), "baseline_mean"]) if zone else "–"
        cells[t.say("zone, {baseline}", baseline=comparison.baseline)] = zone_mean
        for region in REGIONS:
            has = (indicator, region) in d.index
            cells[t.place(region)] = diff_cell(d.loc[(indicator, region)]) if has else "–"
        rows.append(cells)
    return pd.DataFrame(rows)


def in_short(comparison: Comparison, scenario: str, labels: Labels | None = None) -> list[str]:
    """Plain-language bullets: the zone's clear changes in the main indicators, then who gains and who
    loses, place by place (clear = the 95 % interval of the paired difference excludes zero)."""
    t = labels or Labels("en")
    d = comparison.differences
    d = d[(d["scenario"] == scenario) & d["excludes_zero"]]
    zone = d[d["region"] == "zone"].set_index("indicator")
    main = [i for i in MAIN_INDICATORS if i in zone.index]
    if main:
        parts = [f"{named(i, t)} {mark(zone.loc[i])} {_change(zone.loc[i].to_dict() | {'indicator': i}, t)}"
                 for i in main]
        items = [t.say("Zone, clear changes against {baseline}: {parts}.", baseline=comparison.baseline,
                       parts=t.text("; ").join(parts))]
    else:
        items = [t.say("Zone: no main indicator differs clearly from {baseline}.", baseline=comparison.baseline)]
    rest = [i for i in zone.index if i not in MAIN_INDICATORS]
    if rest:
        items.append(t.say("Also clearly changed in the zone: {indicators}.", indicators=t.text(", ").join(
            f"{named(i, t) if t.chinese else i} {mark(zone.loc[i])}" for i in rest)))
    for indicator in main_indicators("gains"):
        rows = d[(d["indicator"] == indicator) & d["region"].isin(PLACE_KEYS)]
        gains = [f"{t.place(r.region)} {_change(r._asdict(), t)}" for r in rows.itertuples() if r.diff > 0]
        losses = [f"{t.place(r.region)} {_change(r._asdict(), t)}" for r in rows.itertuples() if r.diff < 0]
        if gains or losses:
            text = f"{named(indicator, t)}: " + (t.say("up in {places}", places=t.text(", ").join(gains)) if gains
                                                 else t.text("no place clearly up"))
            items.append(text + (t.say("; down in {places}.", places=t.text(", ").join(losses)) if losses
                                 else t.text("; no place clearly down.")))
        else:
            items.append(f"{named(indicator, t)}: {t.text('no place clearly up or down.')}")
    return items


def cost_table(comparison: Comparison, labels: Labels | None = None, scenario: str | None = None) -> pd.DataFrame:
    """Per scenario and place: the public cost a year by item, mean over replicates [95 % CI]; with
    `scenario`, that scenario's places only (no scenario column: narrow enough for a phone-sized page)."""
    t = labels or Labels("en")
    s = comparison.costs.summary.set_index(["scenario", "region", "item"])
    rows = []
    for name in [scenario] if scenario else comparison.scenarios:
        for region in REGIONS:
            cells = {} if scenario else {t.text("Scenario"): name}
            cells[t.text("place")] = t.place(region)
            for item, label in COST_ITEMS.items():
                row = s.loc[(name, region, item)] if (name, region, item) in s.index else None
                cells[t.text(label)] = ("–" if row is None
                                        else fmt_interval(row["mean"], row["ci_low"], row["ci_high"]))
            rows.append(cells)
    return pd.DataFrame(rows)


def cost_difference_table(comparison: Comparison, scenario: str, labels: Labels | None = None) -> pd.DataFrame:
    """Per place: the paired difference of the public cost a year against the baseline, by item."""
    t = labels or Labels("en")
    d = comparison.costs.differences
    d = d[d["scenario"] == scenario].set_index(["region", "item"])
    rows = []
    for region in REGIONS:
        cells = {t.text("place"): t.place(region)}
        for item, label in COST_ITEMS.items():
            cells[t.text(label)] = diff_cell(d.loc[(region, item)]) if (region, item) in d.index else "–"
        rows.append(cells)
    return pd.DataFrame(rows)


def ratio_cell(row, labels: Labels | None = None) -> str:
    """``0.52 [0.31, 0.95] (Δ +14.2)``; a verdict in words where there is no clear gain to divide by."""
    t = labels or Labels("en")
    gain = fmt_interval(row["extra_outcome"], row["extra_outcome_low"], row["extra_outcome_high"], signed=True)
    if row["verdict"] != "ratio":
        return f"{t.text(row['verdict'])} (Δ {gain})"
    return f"**{fmt_interval(row['ratio'], row['ratio_low'], row['ratio_high'])}** (Δ {gain})"


def effectiveness_table(comparison: Comparison, scenario: str, labels: Labels | None = None) -> pd.DataFrame:
    """Per place: the extra public cost over the horizon, and that cost per extra HNTE, start-up, talent."""
    t = labels or Labels("en")
    e = comparison.costs.effectiveness
    e = e[e["scenario"] == scenario].set_index(["region", "outcome"])
    rows = []
    for region in REGIONS:
        cells = {t.text("place"): t.place(region)}
        if (region, "hnte") not in e.index:
            continue
        first = e.loc[(region, "hnte")]
        cells[t.text("extra public cost (M CNY)")] = fmt_interval(first["extra_cost"], first["extra_cost_low"],
                                                                  first["extra_cost_high"], signed=True)
        for outcome, label in OUTCOME_LABELS.items():
            cells[t.text(label)] = ratio_cell(e.loc[(region, outcome)], t)
        rows.append(cells)
    return pd.DataFrame(rows)


def cost_in_short(comparison: Comparison, scenario: str, labels: Labels | None = None,
                  scale: float = 1.0) -> list[str]:
    """The zone's public cost a year against the baseline's, and its cost per extra HNTE (and more);
    with a `scale` other than 1, the figures are said to be at the zone's full size (`fullsize.py`)."""
    t = labels or Labels("en")
    costs, base = comparison.costs, comparison.baseline
    if costs is None or costs.summary.empty:
        return []
    s = costs.summary.set_index(["scenario", "region", "item"])
    d = costs.differences.set_index(["scenario", "region", "item"])
    e = costs.effectiveness.set_index(["scenario", "region", "outcome"])

    def level(name: str) -> str:
        row = s.loc[(name, "zone", "public_cost")]
        return fmt_interval(row["mean"], row["ci_low"], row["ci_high"])

    diff = diff_cell(d.loc[(scenario, "zone", "public_cost")])
    size = t.text(" at the zone's full size") if scale != 1 else ""
    items = [t.say("Public cost, zone: {level} M CNY a year{size} against {base_level} in {base} (Δ {diff}).",
                   level=level(scenario), size=size, base_level=level(base), base=base, diff=diff)]
    parts = [f"{t.text(label)}: {ratio_cell(e.loc[(scenario, 'zone', outcome)], t)}"
             for outcome, label in OUTCOME_LABELS.items() if (scenario, "zone", outcome) in e.index]
    if parts:
        items.append(t.say("Extra public cost over the horizon (M CNY) {parts}.", parts=t.text("; ").join(parts)))
    return items


def full_table(comparison: Comparison, region: str, labels: Labels | None = None) -> pd.DataFrame:
    """Every indicator in one region: each scenario's mean [CI], and each difference against the baseline."""
    t = labels or Labels("en")
    s = comparison.summary[comparison.summary["region"] == region].set_index(["scenario", "indicator"])
    d = comparison.differences[comparison.differences["region"] == region].set_index(["scenario", "indicator"])
    rows = []
    for indicator in DESCRIPTIONS:
        if (comparison.baseline, indicator) not in s.index or s.loc[(comparison.baseline, indicator), "n"] == 0:
            continue
        cells = {t.text("indicator"): named(indicator, t) if t.chinese else indicator,
                 t.text("unit"): t.unit(UNITS[indicator])}
        for scenario in comparison.scenarios:
            row = s.loc[(scenario, indicator)] if (scenario, indicator) in s.index else None
            cells[scenario] = "–" if row is None else fmt_interval(row["mean"], row["ci_low"], row["ci_high"])
        for scenario in comparison.scenarios[1:]:
            has = (scenario, indicator) in d.index
            cells[f"Δ {scenario}"] = diff_cell(d.loc[(scenario, indicator)]) if has else "–"
        rows.append(cells)
    return pd.DataFrame(rows)


def write_tables(comparison: Comparison, out_dir: Path) -> list[str]:
    """The tidy tables as CSV (each by an atomic rename)."""
    units = comparison.summary["indicator"].map(UNITS)
    tables = {
        "end_values.csv": comparison.end,
        "summary.csv": comparison.summary.assign(unit=units),
        "differences.csv": comparison.differences,
        "timeseries_bands.csv": comparison.bands,
        "relocations.csv": comparison.relocations,
    }
    if comparison.costs is not None:
        tables |= {"public_cost.csv": comparison.costs.summary,
                   "public_cost_differences.csv": comparison.costs.differences,
                   "public_cost_by_year.csv": comparison.costs.by_year,
                   "public_cost_by_year_differences.csv": comparison.costs.year_differences,
                   "cost_effectiveness.csv": comparison.costs.effectiveness}
    if comparison.decomposition is not None:
        tables |= {"decomposition.csv": decompose.table_for_csv(comparison.decomposition),
                   "decomposition_runs.csv": comparison.decomposition.runs}
    for name, table in tables.items():
        write_atomic(out_dir / name, lambda p, t=table: t.to_csv(p, index=False, float_format="%.10g"))
    return list(tables)


def shown(value, show_value, t: Labels) -> str:
    """A setting's value for the changes table; per county as ``Qingpu own_county, ...``."""
    if isinstance(value, dict):
        return ", ".join(f"{t.place(k)} {t.value(show_value(v))}" for k, v in value.items())
    return t.value(show_value(value))


def changes_table(settings: dict, labels: Labels | None = None) -> pd.DataFrame:
    """What each scenario changes against the base: the setting (its label, then its key), from when
    (the start, or the month of a dated change), its value before -> after, and the file that set it.
    A dated change's "before" is the scenario's own value just before that month."""
    from innosim.scenario.catalogue import show_value

    t = labels or Labels("en")
    rows = []
    for s in settings["scenarios"][1:]:
        for change in s.get("changes", []):
            key, _, month = change["key"].partition(" from ")
            label = t.setting(key)
            before, after = (shown(change[side], show_value, t) for side in ("base", "scenario"))
            rows.append({t.text("Scenario"): s["label"],
                         t.text("setting"): (f"{label} " if label != key else "") + f"`{key}`",
                         t.text("from"): month or t.text("the start"),
                         t.text("before → after"): f"{before} → {after}",
                         t.text("set in"): f"`{change['set_by']}`"})
    return pd.DataFrame(rows)


def write_comparison(comparison: Comparison, out_dir: str | Path, settings: dict,
                     labels: Labels | None = None, focus: str | None = None) -> Path:
    """Write CSVs, figures, settings.json, report.md and report.html into `out_dir`; return report.md.

    The report opens with the answer (`opening.py`), county by county with `focus` first (default: the
    one county every changed setting concerns, else the counties in order). Its figures are at the
    zone's full size (counts and money divided by the run's scale, `fullsize.py`); the CSVs keep the
    runs' own values."""
    t = labels or Labels("en")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    csvs = write_tables(comparison, out_dir)
    scale = float(settings.get("scale", 1.0) or 1.0)
    focus = focus or inferred_focus(settings)
    settings = {**settings, "focus": focus}
    comparison = at_full_size(comparison, scale)
    base, others = comparison.baseline, comparison.scenarios[1:]
    switches = {s["label"]: s.get("switches", []) for s in settings.get("scenarios", [])}
    figures = {}
    if len(comparison.differences):
        figures["differences"] = write_atomic(out_dir / "differences.png", lambda p: plot_difference_bars(
            comparison.differences, MAIN_INDICATORS, REGIONS, p, base, t))
    if len(comparison.bands):
        figures["bands"] = write_atomic(out_dir / "timeseries.png", lambda p: plot_bands(
            comparison.bands, BAND_INDICATORS, BAND_REGIONS, comparison.scenarios, p, t, switches=switches))
    figures["relocations"] = write_atomic(out_dir / "relocations.png", lambda p: plot_relocations(
        comparison.relocations, comparison.scenarios, p, t))
    write_json_atomic(out_dir / "settings.json", settings)

    report = Report(f"{t.text('Scenario comparison')}: {t.text(' vs ').join(comparison.scenarios)}",
                    lang="zh-CN" if t.chinese else "en")
    has_costs = comparison.costs is not None and not comparison.costs.summary.empty
    report.heading(t.text("In short"))
    for scenario in others:
        if has_costs:
            report.paragraph(opening_paragraph(comparison, scenario, settings, focus, t))
            report.table(opening_table(comparison, scenario, settings, focus, t), caption=table_caption(settings, t))
        else:
            report.bullets(in_short(comparison, scenario, t))
    report.heading(t.text("What each scenario changes"))
    changes = changes_table(settings, t)
    if len(changes):
        report.table(changes, caption=t.say(
            "Settings that differ from **{base}** after `extends`, `--set` and `--scale`; a dated change from "
            "its month on, with the scenario's value before it (`innosim settings FILE` lists every setting).",
            base=base))
    else:
        report.paragraph(t.say("No setting differs from **{base}**: the scenarios differ in name only.", base=base))
    report.heading(t.text("How far to trust this"))
    for text in settings.get("trust", []):
        report.paragraph(text)
    report.heading(t.text("Set-up"))
    report.table(pd.DataFrame([{t.text("scenario"): s["label"], t.text("file"): f"`{s['file']}`",
                                t.text("description"): s["description"],
                                t.text("content hash"): f"`{s['hash']}`"} for s in settings["scenarios"]]))
    report.paragraph(
        t.say("Each scenario was run **{replicates}** times, {start} to {end} ({months} months), at scale "
              "**{scale:g}**: every population, capacity and budget is {scale:g} times its real size. ",
              replicates=settings["replicates"], start=settings["start"], end=settings["end"],
              months=settings["months"], scale=settings["scale"]) + (
            t.say("Counts and money in this report are at the zone's full size: the runs' figures divided by "
                  "{scale:g} (shares, rates and indices as run; the CSV files keep the runs' own values). ",
                  scale=scale) if scale != 1 else "") +
        t.say("Replicate r uses the same random seed in every scenario (common random numbers, root seed {seed}), "
              "so scenario differences are measured on the same chance events.", seed=settings["seed"]))
    report.paragraph(t.say(
        "How to read: values are at the end of the horizon (stocks and rates: the last month; flows: the "
        "last 12 months summed; rates: cumulative since the start). Mean over replicates with its 95 % "
        "confidence interval [low, high] (Student t). Δ is the paired difference against "
        "**{base}** (replicate by replicate) with its 95 % interval; **bold with {up} or {down}** marks a "
        "difference whose interval excludes zero (up or down); without a mark the replicates cannot tell "
        "the scenarios apart.", base=base, up=UP, down=DOWN))
    for scenario in others:
        report.heading(f"{scenario} {t.text('against')} {base}")
        if has_costs:
            report.bullets(cost_in_short(comparison, scenario, t, scale) + in_short(comparison, scenario, t))
        report.table(headline_table(comparison, scenario, t),
                     caption=t.say("Δ = {scenario} − {base} at the horizon, mean [95 % CI], beside the zone's "
                                   "{base} mean for scale", scenario=scenario, base=base)
                     + (t.text(" (counts and money at the zone's full size).") if scale != 1 else t.text("."))
                     + (t.say(" Stocks are their value in {end}, the last month; the opening's HNTEs and key "
                              "talents are the mean over {last}.", end=settings["end"],
                              last=periods(settings, t)["last"]) if has_costs else ""))
    if "differences" in figures:
        report.figure(figures["differences"],
                      t.say("Changes against {base} with 95 % CIs (faded: CI includes 0).", base=base))
    if has_costs:
        write_costs(report, comparison, settings, t)
    if comparison.decomposition is not None:
        decompose.write_section(report, comparison.decomposition, t)
    if "bands" in figures:
        report.heading(t.text("Over time"))
        numbered = numbered_switches(switches, comparison.bands["date"].min(), comparison.bands["date"].max())
        legend = "".join(f" {line}." for line in switch_legend(numbered, t))
        report.figure(figures["bands"], t.text("Mean over replicates with 95 % band; line style = scenario, "
                                               "colour = county; flows as trailing 12-month totals.")
                      + (t.say(" Numbered lines: the scenarios' dated changes, on the panels of the counties they "
                               "concern and the zone's:{legend}", legend=legend) if legend else ""))
    report.heading(t.text("Relocations: who moves where"))
    report.figure(figures["relocations"], t.say("Firms and talents moved between the four places over the horizon "
                                                "(mean per run), and the change against {base}.", base=base))
    report.heading(t.text("All indicators at the horizon"))
    for region in REGIONS:
        report.heading(t.place(region), level=3)
        report.table(full_table(comparison, region, t))
    report.heading(t.text("Files"))
    report.bullets([f"`{name}`" for name in csvs] + [f"`{p.name}`" for p in figures.values()]
                   + [t.text("`settings.json`: the settings and provenance of these numbers"),
                      t.say("`{store}`: every run, shared by all comparisons and batches "
                            "(rerunning reuses them; `innosim store list` / `prune`)", store=settings["store"])])
    if scale != 1:
        report.paragraph(t.say("The CSV files hold the runs' own values at scale {scale:g} (the report divides "
                               "counts and money by {scale:g}).", scale=scale), note=True)
    report.paragraph(t.say("Made {created} by innosim {innosim} (Mesa {mesa}, Python {python}). Command: "
                           "`{command}`. Runs: {runs} ({reused} reused from the store), {elapsed:.0f} s.",
                           created=settings.get("created", ""), innosim=settings.get("innosim", ""),
                           mesa=settings.get("mesa", ""), python=settings.get("python", ""),
                           command=settings["command"], runs=settings["runs_total"],
                           reused=settings["runs_reused"], elapsed=settings["elapsed"]),
                     note=True)
    md, _ = report.write(out_dir)
    return md


def write_costs(report: Report, comparison: Comparison, settings: dict, labels: Labels | None = None) -> None:
    """The public-cost section: cost a year by item and place, its change, and the cost per extra outcome."""
    t = labels or Labels("en")
    base, scale = comparison.baseline, settings.get("scale", 1.0)
    report.heading(t.text("Public cost"))
    report.paragraph(
        t.text("Public money spent or forgone, M CNY a year (the horizon's total divided by its years), mean over "
               "replicates [95 % CI]: vouchers redeemed (by issuing county), corporate income tax forgone through "
               "the 15 % HNTE rate, county rewards for HNTE certification, incubator rent and stay subsidies, "
               "personal income tax deferred on equity incentives, and government-guided funds' investments less "
               "the money they realise on selling (a cash view: an endowment counts when invested). Tax and "
               "rewards count where the firm is, fund money where the invested firm is; the zone is the three "
               "counties. ")
        + (t.say("Money at the zone's full size (the runs' figures divided by their scale, {scale:g}). ", scale=scale)
           if scale != 1 else "") + t.text("`public_cost_by_year.csv` gives each calendar year."))
    for scenario in comparison.scenarios:
        report.table(cost_table(comparison, t, scenario),
                     caption=t.say("Public cost a year by item, {scenario}, mean [95 % CI].", scenario=scenario))
    for scenario in comparison.scenarios[1:]:
        report.table(cost_difference_table(comparison, scenario, t),
                     caption=t.say("Δ public cost a year, {scenario} − {base}, paired by replicate [95 % CI].",
                                   scenario=scenario, base=base))
    report.heading(t.text("Cost per extra outcome"), level=3)
    measures = t.text("; ").join(
        t.say("{outcome}: {indicator} as the {how}", outcome=t.text(OUTCOME_NAMES[outcome]) if t.chinese else outcome,
              indicator=named(indicator, t) if t.chinese else indicator, how=t.text(how))
        for outcome, (indicator, how) in OUTCOMES.items())
    report.paragraph(t.say(
        "The extra public cost over the whole horizon (M CNY) per extra outcome against **{base}** "
        "({measures}): the ratio of the summed paired differences, with a 95 % percentile bootstrap interval "
        "over the replicate pairs (fixed seed, so the report is reproducible). Given only where the extra "
        "outcome's 95 % interval lies above zero; otherwise **no significant gain** or **significant loss**, "
        "with the extra outcome (Δ) in brackets. A negative ratio: the scenario gains and costs less. Costs "
        "and outcomes scale alike, so the ratios are about those of the real zone.", base=base, measures=measures))
    for scenario in comparison.scenarios[1:]:
        report.table(effectiveness_table(comparison, scenario, t),
                     caption=t.say("{scenario} against {base}: extra public cost over the horizon and its cost "
                                   "per extra outcome (M CNY each) [95 % CI].", scenario=scenario, base=base))
