"""The levers at equal public cost: the ranking per county, the costless levers apart, the dose-response
curves (a figure and a table) and their CSVs; a section of the lever report, or dose.md/.html alone."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from innosim.catalogue import INDICATORS  # noqa: E402
from innosim.fonts import use_cjk_font  # noqa: E402
from innosim.i18n import Labels  # noqa: E402
from innosim.io import write_atomic, write_json_atomic  # noqa: E402

from innosim.analysis.levers.dose import DoseResult  # noqa: E402
from innosim.analysis.levers.experiment import LeversExperiment  # noqa: E402
from innosim.analysis.levers.sections import command_note, gains_section  # noqa: E402
from innosim.analysis.levers.wording import settings_words, signed, what  # noqa: E402
from innosim.analysis.report import Report, fmt  # noqa: E402

use_cjk_font()

UNITS = {i.name: i.unit for i in INDICATORS}


def write_dose_tables(result: DoseResult, out_dir: Path) -> list[str]:
    """dose_curves.csv, dose_ranking.csv, dose_costless.csv."""
    files = []
    for name, frame in (("dose_curves.csv", result.curves), ("dose_ranking.csv", result.ranking),
                        ("dose_costless.csv", result.costless)):
        write_atomic(out_dir / name, lambda p, f=frame: f.to_csv(p, index=False))
        files.append(name)
    return files


def plot_curves(result: DoseResult, county: str, path: Path, title: str, unit: str, t: Labels) -> Path:
    """Each dial's curve: mean effect on the headline against mean extra public cost, level by level
    from the base at (0, 0), with 95 % intervals; the equal-cost line."""
    c = result.curves[result.curves["county"] == county]
    fig, ax = plt.subplots(figsize=(8, 5), constrained_layout=True)
    for dial, rows in c.groupby("dial", sort=False):
        x = np.concatenate([[0.0], rows["cost"].to_numpy()])
        y = np.concatenate([[0.0], rows["effect"].to_numpy()])
        line, = ax.plot(x, y, marker="o", label=result.labels.get(dial, dial))
        ax.errorbar(rows["cost"], rows["effect"], yerr=[rows["effect"] - rows["effect_low"],
                                                        rows["effect_high"] - rows["effect"]],
                    xerr=[rows["cost"] - rows["cost_low"], rows["cost_high"] - rows["cost"]],
                    fmt="none", color=line.get_color(), alpha=0.5, lw=1)
    ax.axvline(result.per, color="#555", lw=0.8, ls="--", label=f"{fmt(result.per)} {t.unit('M CNY')}")
    ax.axhline(0, color="#555", lw=0.8)
    ax.set_xlabel(f"{t.text('extra public cost')} ({t.unit('M CNY')}/{t.text('year')})")
    ax.set_ylabel(f"Δ ({t.unit(unit)})" if unit else "Δ")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)
    return path


def ranking_sentence(result: DoseResult, county: str, subject: str, unit: str, t: Labels) -> str:
    """Which lever gives most per `per` M CNY a year in `county`, with its interval and P(first)."""
    r = result.ranking[result.ranking["county"] == county]
    if r.empty:
        return t.say("No lever of the dose curves costs money in {county}.", county=t.place(county))
    top = r.iloc[0]
    text = t.say("At equal public cost, {lever} raises {subject} most: "
                 "{effect} {unit} per {per} M CNY a year "
                 "(95 % interval {low} to {high}), first in "
                 "{p_first:.0f} % of bootstrap samples over seeds", lever=result.labels[top['dial']], subject=subject,
                 effect=signed(top['effect_per']), unit=t.unit(unit), per=fmt(result.per), low=signed(top['low']),
                 high=signed(top['high']), p_first=top['p_first'] * 100)
    if len(r) > 1:
        second = r.iloc[1]
        text += t.say("; next, {lever} ({effect} [{low}, {high}])", lever=result.labels[second['dial']],
                      effect=signed(second['effect_per']), low=signed(second['low']), high=signed(second['high']))
    return text + t.text(".")


def dose_section(report: Report, result: DoseResult, experiment: LeversExperiment, out_dir: Path,
                 t: Labels) -> list[str]:
    """The equal-cost ranking, the costless levers and the curves, per county; returns the files written."""
    files = write_dose_tables(result, out_dir)
    spec = experiment.spec
    output = result.headline[0]
    unit = "firms" if UNITS.get(output) == "firms" else ""
    report.heading(t.text("The levers at equal public cost"))
    report.paragraph(t.say(
        "Each lever is a dial turned through {its_levels} in one county at a time, the rest of the base "
        "as it is, on the same {seeds} seeds as the base; a level's effect and extra public cost (in the "
        "county) are paired differences from the base, seed by seed. A lever's effect at {per} M CNY "
        "a year of extra public cost is read off its curve by linear interpolation (beyond its costliest level, "
        "its effect per yuan there is carried on: *extrapolated*); the interval and P(first) come from "
        "resampling the seeds. Levers none of whose levels costs measurably more than "
        "{costless} M CNY a year (the lower end of the cost interval) are ranked apart, by "
        "their effect at their top level: their cost is nil or lost in the seed noise of the county's public cost.",
        its_levels=t.text('its levels'), seeds=result.seeds, per=fmt(result.per),
        costless=fmt(spec.dose.costless_below)) + (
            t.say(" Counts and money at the zone's full size (runs at scale {scale:g}).", scale=spec.scale)
            if spec.scale != 1 else ""))
    for county in spec.dose.counties:
        subject = what(output, county, output, t)
        report.heading(t.place(county), level=3)
        report.paragraph(f"**{ranking_sentence(result, county, subject, unit, t)}**")
        r = result.ranking[result.ranking["county"] == county]
        if not r.empty:
            report.table(pd.DataFrame({
                t.text("lever"): r["dial"].map(result.labels),
                t.say("Δ per {per} M CNY/yr", per=fmt(result.per)): [f"{signed(a)} [{signed(lo)}, {signed(hi)}]"
                                                      for a, lo, hi in zip(r["effect_per"], r["low"], r["high"],
                                                                           strict=True)],
                t.text("P(first)"): r["p_first"].map(lambda p: f"{p * 100:.0f} %"),
                t.text("costliest level"): [t.say("{settings} ({cost} M CNY/yr, Δ {effect})", settings=settings_words(s, t), cost=fmt(c),
                                                  effect=signed(e)) for s, c, e in
                                            zip(r["settings_at_top"], r["top_cost"], r["top_effect"], strict=True)],
                t.text("note"): r["extrapolated"].map(lambda x: t.text("extrapolated") if x else ""),
            }), caption=t.say("Δ {subject} ({unit}) per {per} M CNY a year of extra "
                              "public cost there, mean [95 % bootstrap interval].", subject=subject, unit=t.unit(unit),
                              per=fmt(result.per)))
        free = result.costless[result.costless["county"] == county]
        if not free.empty:
            report.table(pd.DataFrame({
                t.text("lever (no measurable public cost)"): free["dial"].map(result.labels),
                t.text("settings"): free["settings"].map(lambda s: settings_words(s, t)),
                f"Δ {subject}": [f"{signed(a)} [{signed(lo)}, {signed(hi)}]" for a, lo, hi in
                                 zip(free["effect"], free["effect_low"], free["effect_high"], strict=True)],
                t.text("extra public cost"): [f"{signed(a)} [{signed(lo)}, {signed(hi)}]" for a, lo, hi in
                                              zip(free["cost"], free["cost_low"], free["cost_high"], strict=True)],
            }), caption=t.text("Levers without a measurable extra public cost, ranked by their effect at their top "
                               "level; extra public cost: mean [95 % interval]."))
        chart = write_atomic(out_dir / f"dose_{county}.png", lambda p, c=county: plot_curves(
            result, c, p, f"{subject[0].upper()}{subject[1:]}", unit, t))
        files.append(chart.name)
        report.figure(chart, t.say("Dose-response: each lever's effect on {subject} against its "
                                   "extra public cost there, level by level from the base (0, 0); bars: 95 % "
                                   "intervals.", subject=subject))
        c = result.curves[result.curves["county"] == county]
        report.table(pd.DataFrame({
            t.text("lever"): c["dial"].map(result.labels), t.text("level"): c["level"],
            t.text("settings"): c["settings"].map(lambda s: settings_words(s, t)),
            f"Δ {subject}": [f"{signed(a)} [{signed(lo)}, {signed(hi)}]" for a, lo, hi in
                             zip(c["effect"], c["effect_low"], c["effect_high"], strict=True)],
            f"Δ {what(output, 'zone', output, t)}": [f"{signed(a)} [{signed(lo)}, {signed(hi)}]" for a, lo, hi in
                                   zip(c["zone_effect"], c["zone_low"], c["zone_high"], strict=True)],
            f"Δ {t.text('public cost')} ({t.text('M CNY/yr')})": [f"{signed(a)} [{signed(lo)}, {signed(hi)}]" for a, lo, hi in
                                                      zip(c["cost"], c["cost_low"], c["cost_high"], strict=True)],
        }), caption=t.text("The curves: each level's mean paired effect [95 % bootstrap interval]."))
    d = result.decomposition
    if d is not None:
        files.append(gains_section(report, d, spec.dose.counties[0], output, out_dir, t, "dose_decomposition.csv"))
    return files


def write_dose_report(result: DoseResult, experiment: LeversExperiment, out_dir: str | Path, settings: dict,
                      labels: Labels | None = None) -> Path:
    """The dose stage alone (`--stage dose`): dose.md/.html, its CSVs and dose_settings.json."""
    t = labels or Labels("en")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_json_atomic(out_dir / "dose_settings.json", settings)
    report = Report(f"{t.text('The levers at equal public cost')}: {experiment.name}",
                    lang="zh-CN" if t.chinese else "en")
    files = dose_section(report, result, experiment, out_dir, t)
    report.heading(t.text("Files"))
    report.bullets([f"`{name}`" for name in files] + [
        "`dose_settings.json`: " + t.text("the settings of these numbers"),
        f"`{settings['store']}`: " + t.text("every run (rerunning reuses them)")])
    report.paragraph(command_note(settings['command'], result.runs.get('total', 0), result.runs.get('reused', 0),
                                  settings['elapsed'], t), note=True)
    md, _ = report.write(out_dir, stem="dose")
    return md
