"""The lever report: one sentence a planner can forward, the headline table, every output by region,
why the seeds stopped where they did, the robustness over the behavioural assumptions (when the
experiment has a `robustness:` section: `robustness_report.py`), and the CSVs behind them (report.md,
report.html)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from innosim.i18n import Labels
from innosim.io import write_atomic, write_json_atomic

from innosim.analysis.compare.tables import UNITS
from innosim.analysis.levers.table import STOP_REASONS, LeverTable
from innosim.analysis.levers.experiment import LeversExperiment
from innosim.analysis.levers.plots import plot_headline
from innosim.analysis.levers.robustness import RobustnessResult
from innosim.analysis.levers.robustness_report import robustness_section
from innosim.analysis.levers.dose_report import dose_section, ranking_sentence
from innosim.analysis.levers.sections import command_note, gains_section  # noqa: F401  (report.command_note, as before)
from innosim.analysis.levers.wording import (DIRECTION_TEXT, join_and, percent, settings_words, signed, what,
                                            window_phrase)
from innosim.analysis.report import Report, fmt, fmt_interval

def opening_sentence(table: LeverTable, experiment: LeversExperiment, t: Labels | None = None) -> str:
    """Which lever raises the headline most, by how much (planner units, 95 % interval), how sure."""
    t = t or Labels("en")
    output, region = table.headline
    head = experiment.headline
    term = head.output.terms[0]
    e = table.effects
    row = e[(e["output"] == output) & (e["region"] == region) & (e["direction"] == table.rank_direction)
            ].set_index("lever").loc[table.levers[table.verdict.leader]]
    leader = table.labels[table.levers[table.verdict.leader]]
    unit = t.unit(UNITS.get(term.indicator, "")) if not head.output.operator else ""
    amount = f"{signed(row['effect'])} {unit}".strip()
    interval = f"{signed(row['ci_low'])} {'至' if t.chinese else 'to'} {signed(row['ci_high'])}"
    scale = experiment.spec.scale
    full = head.output.counts and scale != 1
    when = window_phrase(experiment.start, experiment.months, term, t)
    probability = f"{table.verdict.leader_probability * 100:.0f} %"
    n = len(table.levers)
    subject = what(output, region, term.indicator, t)
    tied = [table.labels[lever] for lever in table.tied]
    if t.chinese:
        verb = "单独实施时" if table.rank_direction == "on" else "在全面一体化中"
        text = (f"在{n}项政策中，{leader}{verb}对{subject}的提升最大：{when} {amount}（{percent(row['relative'])}，"
                f"95 % 区间 {interval}{'，按全规模计' if full else ''}），在 {probability} 的自助抽样中排名第一")
        if tied:
            text += f"（与{join_and(tied, t)}无法区分）"
        return text + "。"
    within = "" if table.rank_direction == "on" else " within full integration"
    change = (f"{amount} ({percent(row['relative'])}, 95 % interval {interval}) {when}"
              f"{' at full scale' if full else ''}, ranking first in {probability} of bootstrap samples")
    if row["effect"] > 0:
        text = f"Of the {n} levers, {leader} raises {subject} most{within}: {change}"
    else:
        text = f"None of the {n} levers raises {subject}{within}; the best, {leader}, changes it by {change}"
    if row["ci_low"] <= 0 < row["effect"]:
        text += ", though its interval includes zero"
    if tied:
        if table.verdict.reason == "precision":
            text += f" (tied with {join_and(tied, t)} within the stated precision)"
        else:
            text += f" (not told apart from {join_and(tied, t)} after {int(table.values['seed'].nunique())} seeds)"
    return text + "."


def _cell(row) -> str:
    text = f"{signed(row['effect'])} [{signed(row['ci_low'])}, {signed(row['ci_high'])}]"
    return f"**{text}**" if row["excludes_zero"] else text


def headline_table(table: LeverTable, t: Labels) -> pd.DataFrame:
    """Levers by their rank: each direction's effect on the headline [95 % CI], % and P(first)."""
    output, region = table.headline
    e = table.effects[(table.effects["output"] == output) & (table.effects["region"] == region)]
    r = table.ranks.set_index(["direction", "lever"])
    ranked = e[e["direction"] == table.rank_direction].sort_values("effect", ascending=False)["lever"]
    rows = []
    for lever in ranked:
        cells = {t.text("lever"): table.labels[lever]}
        for direction in ("on", "off"):
            row = e[(e["lever"] == lever) & (e["direction"] == direction)].iloc[0]
            cells[t.say("{direction}: Δ [95 % CI]", direction=t.text(direction))] = _cell(row)
            cells[t.say("{direction}: %", direction=t.text(direction))] = percent(row["relative"])
            cells[t.say("{direction}: P(first)", direction=t.text(direction))] = \
                f"{r.loc[(direction, lever), 'probability_first'] * 100:.0f} %"
        rows.append(cells)
    return pd.DataFrame(rows)


def output_table(table: LeverTable, output: str, direction: str, regions: list[str], t: Labels) -> pd.DataFrame:
    """One output, one direction: levers x regions, effect [95 % CI] (%), and the reference level."""
    e = table.effects[(table.effects["output"] == output) & (table.effects["direction"] == direction)]
    e = e.set_index(["lever", "region"])
    reference = t.text("base level" if direction == "on" else "full-integration level")
    level_row = {t.text("lever"): f"*{reference}*"}
    full = table.values[(table.values["variant"] == ("base" if direction == "on" else "full"))
                        & (table.values["output"] == output)].groupby("region")["value"].mean()
    for region in regions:
        level_row[t.place(region)] = fmt(full.get(region))
    rows = [level_row]
    for lever in table.levers:
        cells = {t.text("lever"): table.labels[lever]}
        for region in regions:
            if (lever, region) in e.index:
                row = e.loc[(lever, region)]
                cells[t.place(region)] = f"{_cell(row)} ({percent(row['relative'])})"
        rows.append(cells)
    return pd.DataFrame(rows)


def write_tables(table: LeverTable, out_dir: Path) -> list[str]:
    effects = table.effects.assign(label=table.effects["lever"].map(table.labels))
    seeds = table.values[["replicate", "seed"]].drop_duplicates().sort_values("replicate")
    tables = {"effects.csv": effects, "rank_first.csv": table.ranks.assign(label=table.ranks["lever"].map(table.labels)),
              "stopping.csv": pd.DataFrame(table.history), "seeds.csv": seeds, "runs.csv": table.values}
    for name, frame in tables.items():
        write_atomic(out_dir / name, lambda p, f=frame: f.to_csv(p, index=False, float_format="%.10g"))
    return list(tables)


def write_levers_report(table: LeverTable, experiment: LeversExperiment, out_dir: str | Path, settings: dict,
                        labels: Labels | None = None, robustness: RobustnessResult | None = None,
                        dose=None, decomposition=None) -> Path:
    """CSVs, settings.json, report.md and report.html in `out_dir` (with the robustness section and its
    CSVs when `robustness` is given); returns report.md."""
    t = labels or Labels("en")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    csvs = write_tables(table, out_dir)
    write_json_atomic(out_dir / "settings.json", settings)
    spec, v = experiment.spec, table.verdict
    seeds = int(table.values["seed"].nunique())
    report = Report(f"{t.text('Ranking the levers')}: {experiment.name}", lang="zh-CN" if t.chinese else "en")
    report.paragraph(f"**{opening_sentence(table, experiment, t)}**")
    if dose is not None:   # the same question at equal public cost (the dose section below)
        county = experiment.spec.dose.counties[0]
        output = dose.headline[0]
        unit = UNITS.get(output, "")
        report.paragraph(f"**{ranking_sentence(dose, county, what(output, county, output, t), unit, t)}**")
    headline = experiment.headline
    unit = UNITS.get(headline.output.terms[0].indicator, "")
    report.paragraph(t.say(
        "{seeds} seeds per variant; stopped: **{reason}** (widest headline half-width "
        "{widest} {unit} against the {precision} asked for; the leader ranks first in "
        "{probability:.0f} % of {resamples} bootstrap samples, "
        "{asked:.0f} % asked for; cap {cap} seeds).", seeds=seeds, reason=t.text(STOP_REASONS[v.reason]),
        widest=fmt(v.widest), unit=t.unit(unit), precision=fmt(v.precision), probability=v.leader_probability * 100,
        resamples=spec.leader.resamples, asked=spec.leader.probability * 100, cap=settings['cap']))
    report.heading(t.text("The levers on the headline"))
    scale_note = (t.say(" Runs at scale {scale:g}: counts and money are divided by {scale:g} to give the "
                        "zone's full size; shares are as run.", scale=spec.scale) if spec.scale != 1 else "")
    report.table(headline_table(table, t), caption=t.say(
        "`{expression}` ({unit}). Δ on: the lever switched on alone minus the base; Δ off: full "
        "integration minus full integration without the lever; paired by seed, mean [95 % t interval]; "
        "**bold**: the interval excludes zero. %: of the level without the lever. P(first): the share of "
        "bootstrap samples over seeds in which the lever's mean Δ is the largest.",
        expression=headline.output.expression, unit=t.unit(unit)) + scale_note)
    subject = what(headline.name, headline.region, headline.output.terms[0].indicator, t)
    chart = write_atomic(out_dir / "levers.png", lambda p: plot_headline(
        table, p, f"{subject[0].upper()}{subject[1:]}{t.text(', ')}"
                  f"{window_phrase(experiment.start, experiment.months, headline.output.terms[0], t)}", unit, t))
    report.figure(chart, t.text("Each lever's paired effect with its 95 % interval, switched on alone from the base "
                                "and off alone from full integration (faded: the interval includes zero)."))
    if decomposition is not None:
        csvs.append(gains_section(report, decomposition, headline.region, headline.output.terms[0].indicator,
                                  out_dir, t, "decomposition.csv"))
    report.heading(t.text("Why it stopped"))
    history = pd.DataFrame(table.history)
    report.table(pd.DataFrame({t.text("seeds"): history["seeds"],
                               t.text("widest half-width"): history["widest_half_width"].map(fmt),
                               t.text("precision asked"): history["precision"].map(fmt),
                               t.text("leader"): history["leader"].map(table.labels),
                               t.text("P(first)"): history["leader_probability"].map(lambda p: f"{p * 100:.0f} %"),
                               t.text("decision"): history["decision"].map(t.text)}))
    report.paragraph(t.say(
        "Seeds are added {block} at a time from {first} until every 95 % interval of the "
        "headline (both directions) has a half-width within the precision ({half_width}"
        "{of_base}), or the leader ranks first in "
        "at least {probability:.0f} % of bootstrap samples and no lever is tied with it, or the "
        "cap is reached. A lever is tied with the leader when the interval of their difference, paired by seed, "
        "includes zero; its level is {tie:.2f} % ({error:g} % of error shared "
        "among the {looks} looks the blocks allow, Bonferroni), so looking after every block does not make "
        "a tie pass for a clear leader.", block=spec.seeds.block, first=spec.seeds.first,
        half_width=spec.precision.half_width,
        of_base=t.text(" of the base level") if experiment.precision_share is not None else "",
        probability=spec.leader.probability * 100, tie=table.tie_level * 100, error=(1 - spec.level) * 100,
        looks=table.looks))
    regions = list(spec.regions)
    for name in dict.fromkeys(o.name for o in experiment.outputs):
        first = next(o for o in experiment.outputs if o.name == name)
        unit = UNITS.get(first.output.terms[0].indicator, "") if first.output.counts else ""
        shown = t.indicator(name) if t.chinese else name   # an output named after its indicator: its label
        report.heading(f"{shown} ({t.unit(unit)})" if unit else shown)
        for direction in ("on", "off"):
            report.table(output_table(table, name, direction, [r for r in regions if any(
                o.name == name and o.region == r for o in experiment.outputs)], t),
                caption=t.say("`{expression}`, lever switched {direction}: Δ [95 % CI] (%).",
                              expression=spec.outputs[name], direction=t.text(DIRECTION_TEXT[direction])))
    files = dose_section(report, dose, experiment, out_dir, t) if dose is not None else []
    files += robustness_section(report, robustness, experiment, out_dir, t) if robustness is not None else []
    report.heading(t.text("Set-up"))
    report.paragraph(t.say(
        "Base `{base}`, full `{full}`, {levers} levers, each run "
        "{on} and {off} (its settings at the base's values): "
        "{variants} variants on the same {seeds} seeds (root seed {seed}), "
        "{start} to {end}, scale {scale:g}. The model draws each mechanism's "
        "random numbers from its own stream keyed by agent row, so variants on one seed share their chance "
        "events and each Δ is measured seed by seed.", base=settings['base'], full=settings['full'],
        levers=len(table.levers), on=t.text(DIRECTION_TEXT['on']), off=t.text(DIRECTION_TEXT['off']),
        variants=2 + 2 * len(table.levers), seeds=seeds, seed=spec.seed, start=settings['start'],
        end=settings['end'], scale=spec.scale))
    report.table(pd.DataFrame([{t.text("lever"): table.labels[lever.name],
                                t.text("settings"): ", ".join(f"`{k}`" for k in lever.off)}
                               for lever in experiment.levers]))
    report.heading(t.text("Files"))
    report.bullets([f"`{name}`" for name in csvs + files] + [
        "`levers.png`", "`settings.json`: " + t.text("the settings and provenance of these numbers"),
        f"`{settings['store']}`: " + t.text("every run (rerunning reuses them)")])
    report.paragraph(command_note(settings['command'], settings['runs_total'], settings['runs_reused'],
                                  settings['elapsed'], t), note=True)
    md, _ = report.write(out_dir)
    return md
