"""The robustness section of the lever report (and the robustness stage's own report): each lever's
effect over the draws of the behavioural assumptions, the share of draws keeping its sign, and
PRIM's box of the assumptions where it fails; with the CSVs behind them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from innosim.i18n import Labels
from innosim.io import write_atomic, write_json_atomic

from innosim.analysis.compare.tables import UNITS
from innosim.analysis.levers.experiment import LeversExperiment
from innosim.analysis.levers.discovery import MIN_FAILURES, Discovery, discovery_table
from innosim.analysis.levers.plots import plot_robustness
from innosim.analysis.levers.robustness import RobustnessResult
from innosim.analysis.levers.wording import join_and, signed, what
from innosim.analysis.report import Report, fmt


def _range(low: float, high: float, integer: bool = False, t: Labels | None = None) -> str:
    if integer:
        return f"{low:.0f}-{high:.0f}"
    return (t or Labels("en")).say("{low} to {high}", low=fmt(low), high=fmt(high))


def uncertainty_label(u, t: Labels) -> str:
    """An assumption's name: the file's label, else its words (`incubation months`); in Chinese the
    setting's translation, else its key as code (no English words in a Chinese report)."""
    if u is None:
        return ""
    key = u.name.removeprefix("behaviour.")
    if not t.chinese or u.label != key.replace("_", " "):
        return u.label
    label = t.setting(u.name)
    return f"{label} (`{key}`)" if label != u.name else f"`{key}`"


def _label_of(name: str, units: dict, t: Labels) -> str:
    u = units.get(name)
    return uncertainty_label(u, t) if u else name


def sign_source_words(source: str, t: Labels) -> str:
    """Where the robustness stage takes its signs from (`RobustnessResult.sign_source`), in the reader's language."""
    if not t.chinese:
        return source
    if source.startswith("the lever table of "):
        return t.say("the lever table of {rest}", rest=source.removeprefix("the lever table of "))
    return t.text(source)


def source_words(source: str, t: Labels) -> str:
    """Where an assumption's range comes from (`Uncertainty.source`, English words made in robustness.py),
    in the reader's language."""
    if not t.chinese:
        return source
    import re

    if m := re.fullmatch(r"calibration: (.+), its bounds", source):
        return t.say("calibration: {verdict}, its bounds", verdict=t.text(m[1]))
    if m := re.fullmatch(r"calibration: (.+) \(width (\S+) of the bounds \[(.+), (.+)\]\)", source):
        return t.say("calibration: {verdict} (width {width} of the bounds [{low}, {high}])", verdict=t.text(m[1]),
                     width=m[2], low=m[3], high=m[4])
    if m := re.fullmatch(r"x (\S+)-(\S+) of the base value", source):
        return t.say("x {low}-{high} of the base value", low=m[1], high=m[2])
    return t.text(source)


def robustness_order(result: RobustnessResult) -> list[str]:
    """Levers by their effect on the headline in the lever table (by the median over draws without one)."""
    head = result.summary[(result.summary["output"] == result.headline[0])
                          & (result.summary["region"] == result.headline[1])].set_index("lever")
    key = head["table_effect"].where(head["table_effect"].notna(), head["median"])
    return sorted(result.levers, key=lambda lever: -key[lever])


def robustness_table(result: RobustnessResult, t: Labels) -> pd.DataFrame:
    """Per lever, on the headline: the table's effect, the seed noise of one draw's effect, and the
    effect over the draws (min / median / max, SD, share beyond noise, sign held, first, failures)."""
    s = result.summary
    head = s[(s["output"] == result.headline[0]) & (s["region"] == result.headline[1])].set_index("lever")
    rows = []
    for lever in robustness_order(result):
        r = head.loc[lever]
        beyond = 1 - r["noise_sd"] ** 2 / r["sd"] ** 2 if r["sd"] > 0 else float("nan")
        rows.append({t.text("lever"): result.labels[lever],
                     t.text("table Δ"): signed(r["table_effect"]) if pd.notna(r["table_effect"]) else "–",
                     t.text("seed-noise SD"): fmt(r["noise_sd"]),
                     "min": signed(r["min"]), t.text("median"): signed(r["median"]), "max": signed(r["max"]),
                     t.text("SD over draws"): fmt(r["sd"]),
                     t.text("beyond noise"): "–" if pd.isna(beyond) else f"{max(beyond, 0) * 100:.0f} %",
                     t.text("sign held"): f"{r['share_sign'] * 100:.0f} %",
                     t.text("noise alone"): "–" if pd.isna(r["share_sign_noise"]) else
                     f"{r['share_sign_noise'] * 100:.0f} %",
                     t.text("first"): f"{r['first_share'] * 100:.0f} %",
                     t.text("fails"): f"{int(r['failures'])} / {int(r['draws'])}"})
    return pd.DataFrame(rows)


def outputs_held_table(result: RobustnessResult, experiment: LeversExperiment, t: Labels) -> pd.DataFrame:
    """Every output at the headline's region: each lever's median over the draws [min, max] and the share
    of draws with the table's sign."""
    region = result.headline[1]
    s = result.summary[result.summary["region"] == region].set_index(["lever", "output"])
    names = [name for name in dict.fromkeys(o.name for o in experiment.outputs) if (result.levers[0], name) in s.index]
    rows = []
    for lever in robustness_order(result):
        cells = {t.text("lever"): result.labels[lever]}
        for name in names:
            r = s.loc[(lever, name)]
            cells[f"`{name}`" if t.chinese else name] = (f"{signed(r['median'])} [{signed(r['min'])}, "
                                                         f"{signed(r['max'])}] {r['share_sign'] * 100:.0f} %")
        rows.append(cells)
    return pd.DataFrame(rows)


def _box_phrase(discovery: Discovery, result: RobustnessResult, t: Labels | None = None) -> str:
    t = t or Labels("en")
    units = {u.name: u for u in result.robustness.uncertainties}
    parts = []
    for row in discovery.box.itertuples(index=False):
        u = units.get(row.uncertainty)
        label = uncertainty_label(u, t) if u else row.uncertainty
        integer = bool(u and u.integer)
        number = (lambda x: f"{x:.0f}") if integer else fmt
        if row.low <= row.range_low:
            parts.append(t.say("{label} at most {high}", label=label, high=number(row.high)))
        elif row.high >= row.range_high:
            parts.append(t.say("{label} at least {low}", label=label, low=number(row.low)))
        else:
            parts.append(t.say("{label} between {low} and {high}", label=label, low=number(row.low),
                               high=number(row.high)))
        low, high = (u.low, u.high) if u else (row.range_low, row.range_high)   # drawn over, not the draws' extremes
        parts[-1] += t.say(" (drawn over {range})", range=_range(low, high, integer, t))
    return join_and(parts, t)


def _seeds(n: int, t: Labels | None = None) -> str:
    t = t or Labels("en")
    return t.say("{n} seed", n=n) if n == 1 else t.say("{n} seeds", n=n)


def driver_phrase(discovery: Discovery, result: RobustnessResult, t: Labels | None = None) -> str:
    """` Its effect moves most with ...`: the strongest rank correlation, said as significant or not."""
    t = t or Labels("en")
    if not discovery.driver:
        return ""
    u = {u.name: u for u in result.robustness.uncertainties}.get(discovery.driver)
    label = uncertainty_label(u, t) if u else discovery.driver
    stats = t.say("Spearman ρ {rho:+.2f}, p {p:.2g} after Bonferroni over {n}", rho=discovery.driver_rho,
                  p=discovery.driver_p, n=len(result.robustness.uncertainties))
    if discovery.driver_p <= 0.05:
        return t.say(" Its effect moves most with {label} ({stats}).", label=label, stats=stats)
    return t.say(" No assumption moves its effect beyond chance (the strongest, {label}: {stats}).", label=label,
                 stats=stats)


def prim_sentence(discovery: Discovery, result: RobustnessResult, subject: str, t: Labels | None = None) -> str:
    """What PRIM found for one lever, in one or two sentences."""
    return _prim_sentence(discovery, result, subject, t) + driver_phrase(discovery, result, t)


def _prim_sentence(discovery: Discovery, result: RobustnessResult, subject: str, t: Labels | None = None) -> str:
    t = t or Labels("en")
    lever = result.labels[discovery.lever]
    n, k = discovery.draws, discovery.failures
    fails = t.say("With {lever} switched on, {subject} does not rise (Δ at most {failure}) in {k} of {n} draws",
                  lever=lever, subject=subject, failure=result.robustness.failure_text, k=k, n=n)
    if discovery.status == "box":
        return t.say("{fails}; {coverage:.0f} % of those draws lie where {box}, a region holding {mass:.0f} % of all "
                     "draws, {density:.0f} % of which are failures.", fails=fails,
                     coverage=discovery.coverage * 100, box=_box_phrase(discovery, result, t),
                     mass=discovery.mass * 100, density=discovery.density * 100)
    if discovery.status == "no box":
        return t.say("{fails}, but no combination of assumptions holds them: every restriction PRIM tried fails the "
                     "quasi-p test at 5 %, so the failures are spread over the assumptions or are seed noise.",
                     fails=fails)
    if discovery.status == "fails almost everywhere":
        return t.say("{fails}: it helps in too few draws for PRIM to say where it does not.", fails=fails)
    if k == 0:
        return t.say("With {lever} switched on, {subject} rises in every one of the {n} draws: nothing for PRIM to "
                     "find.", lever=lever, subject=subject, n=n)
    return t.say("{fails}: too few failures for PRIM (it needs at least {least}).", fails=fails, least=MIN_FAILURES)


PRIM_STATUS = {"box": "", "no box": "none passes the quasi-p test", "too few failures": "too few failures",
               "fails almost everywhere": "fails almost everywhere"}


def prim_table(result: RobustnessResult, order: list[str], t: Labels | None = None) -> pd.DataFrame:
    """One row per lever PRIM ran for: failures, the box (or why none), coverage, density, the strongest
    association of its effect with an assumption."""
    t = t or Labels("en")
    units = {u.name: u for u in result.robustness.uncertainties}
    rows = []
    for d in sorted(result.discoveries, key=lambda d: order.index(d.lever)):
        driver = _label_of(d.driver, units, t) if d.driver else d.driver
        rows.append({t.text("lever"): result.labels[d.lever], t.text("fails"): f"{d.failures} / {d.draws}",
                     t.text("PRIM box"): _box_phrase(d, result, t) if d.status == "box"
                     else f"– ({t.text(PRIM_STATUS[d.status])})",
                     t.text("coverage"): fmt(d.coverage * 100, 2) + " %" if d.status == "box" else "–",
                     t.text("density"): fmt(d.density * 100, 2) + " %" if d.status == "box" else "–",
                     t.text("moves most with"): f"{driver} (ρ {d.driver_rho:+.2f}, p {d.driver_p:.2g})" if driver
                     else "–"})
    return pd.DataFrame(rows)


def prim_box_table(result: RobustnessResult, t: Labels | None = None) -> pd.DataFrame:
    t = t or Labels("en")
    units = {u.name: u for u in result.robustness.uncertainties}
    rows = []
    for d in sorted(result.discoveries, key=lambda d: robustness_order(result).index(d.lever)):
        for row in d.box.itertuples(index=False):
            u = units.get(row.uncertainty)
            integer = bool(u and u.integer)
            rows.append({t.text("lever"): result.labels[d.lever],
                         t.text("uncertainty"): uncertainty_label(u, t) if u else row.uncertainty,
                         t.text("box"): _range(row.low, row.high, integer, t),
                         t.text("drawn over"): _range(u.low, u.high, integer, t) if u else
                         _range(row.range_low, row.range_high, integer, t),
                         t.text("quasi-p"): f"{row.qp:.3f}", t.text("coverage"): f"{d.coverage * 100:.0f} %",
                         t.text("density"): f"{d.density * 100:.0f} %",
                         t.text("failures"): f"{d.failures} / {d.draws}"})
    return pd.DataFrame(rows)


def write_robustness_tables(result: RobustnessResult, out_dir: Path) -> list[str]:
    labels = result.labels
    uncertainties = pd.DataFrame([{"uncertainty": u.name, "label": u.label, "low": u.low, "high": u.high,
                                   "integer": u.integer, "base": u.base, "source": u.source}
                                  for u in result.robustness.uncertainties])
    tables = {"robustness.csv": result.summary.assign(label=result.summary["lever"].map(labels)),
              "prim.csv": discovery_table(result.discoveries, labels),
              "robustness_draws.csv": result.effects.assign(label=result.effects["lever"].map(labels)),
              "robustness_runs.csv": result.values, "uncertainties.csv": uncertainties}
    for name, frame in tables.items():
        write_atomic(out_dir / name, lambda p, f=frame: f.to_csv(p, index=False, float_format="%.10g"))
    return list(tables)


def robustness_section(report: Report, result: RobustnessResult, experiment: LeversExperiment, out_dir: Path,
                       t: Labels) -> list[str]:
    """The robustness section of a report, its figure and its CSVs; returns the files written."""
    files = write_robustness_tables(result, out_dir)
    spec = result.robustness.spec
    output, region = result.headline
    head = experiment.headline
    term = head.output.terms[0]
    unit = UNITS.get(term.indicator, "")
    subject = what(output, region, term.indicator, t)
    order = robustness_order(result)
    s = result.summary
    row = s[(s["output"] == output) & (s["region"] == region)].set_index("lever").loc[order[0]]
    sign = "raises" if row["sign"] > 0 else "lowers" if row["sign"] < 0 else "leaves"
    first = "first in the lever table" if row["sign_of"] == "table" else "the largest median over the draws"
    report.heading(t.text("Robustness over the behavioural assumptions"))
    report.paragraph(t.say(
        "**Over {draws} draws of {assumptions} behavioural assumptions, {lever} ({first}) {sign} {subject} in "
        "{share:.0f} % of draws (median {median}, from {low} to {high} {unit}) and has the largest effect of the "
        "{levers} levers in {first_share:.0f} % of them.**", draws=result.draws,
        assumptions=len(result.robustness.uncertainties), lever=result.labels[order[0]], first=t.text(first),
        sign=t.text(sign), subject=subject, share=row["share_sign"] * 100, median=signed(row["median"]),
        low=signed(row["min"]), high=signed(row["max"]), unit=t.unit(unit), levers=len(order),
        first_share=row["first_share"] * 100))
    noise = s.loc[(s["output"] == output) & (s["region"] == region), "noise_sd"]
    noise_text = (t.say("In the lever table the SD over seeds of a paired Δ on the headline is {low} to {high} {unit} "
                        "(column *seed-noise SD*, for {seeds} a draw)", low=fmt(noise.min()), high=fmt(noise.max()),
                        unit=t.unit(unit), seeds=_seeds(spec.seeds_per_draw, t))
                  if noise.notna().any() else t.text("No lever table was at hand to measure seed noise against"))
    ensemble = result.robustness.ensemble
    if ensemble is None:
        drawn = t.say("The behavioural parameters are uncertainties, drawn by Latin hypercube ({draws} draws, seed "
                      "{seed})", draws=result.draws, seed=spec.seed)
    else:
        cube = result.robustness.hypercube
        drawn = (t.say("The {n} calibrated parameters come from the calibration ensemble (`{file}`: {members} members, "
                       "{method}): each draw takes one member, all its parameters together, by weight without "
                       "replacement while members last (seed {seed}); ", n=len(ensemble.names),
                       file=ensemble.file.name, members=len(ensemble.members), method=t.text(ensemble.method),
                       seed=spec.seed)
                 + (t.say("the {n} other assumptions, which no target constrains, are drawn by Latin hypercube "
                          "({draws} draws)", n=len(cube), draws=result.draws) if cube else
                    t.say("there are no other assumptions ({draws} draws)", draws=result.draws)))
    report.paragraph(
        drawn + t.say("; in each draw the base and each lever switched on alone from it run on the same {seeds} "
                      "(common random numbers), and a lever's Δ in the draw is the paired difference, compared with "
                      "the sign of {source}. **Each draw's Δ includes seed noise.** ",
                      seeds=_seeds(spec.seeds_per_draw, t), source=sign_source_words(result.sign_source, t))
        + noise_text + t.text(
            ": an SD over draws well above it "
            "is spread the assumptions cause (*beyond noise*: 1 − seed-noise SD² / SD over draws²), one near it is "
            "mostly noise. *Sign held*: the share of draws in which Δ has the sign of the table's Δ (of the median "
            "where there is no table); *noise alone*: the share it would be if the assumptions changed nothing and "
            "each draw's Δ were the table's Δ plus seed noise (normal), so a *sign held* well below it is the "
            "assumptions' doing. *First*: the share of draws in which the lever's Δ is the largest."))
    report.table(robustness_table(result, t), caption=t.say(
        "`{expression}` ({unit}), lever switched on alone from the base. *Fails*: draws with Δ at most {failure}.",
        expression=head.output.expression, unit=t.unit(unit), failure=result.robustness.failure_text))
    title = (t.say("{subject}: {draws} draws of the assumptions", subject=f"{subject[0].upper()}{subject[1:]}",
                   draws=result.draws))
    chart = write_atomic(out_dir / "robustness.png", lambda p: plot_robustness(
        result.effects[(result.effects["output"] == output) & (result.effects["region"] == region)],
        s[(s["output"] == output) & (s["region"] == region)], order, result.labels, p, title, unit,
        result.robustness.failure_absolute, t))
    files.append("robustness.png")
    report.figure(chart, t.text("Each lever's Δ in every draw of the behavioural assumptions (dots; box: quartiles), "
                                "its Δ in the lever table (diamond) and the 95 % band seed noise alone gives one "
                                "draw's Δ (grey)."))
    report.table(outputs_held_table(result, experiment, t), caption=t.say(
        "Every output at {place}: median over the draws [min, max] and the share of draws with the "
        "table's sign (all regions: `robustness.csv`).", place=t.place(region)))
    report.heading(t.text("Where a lever fails to help (PRIM)"), level=3)
    helped = sorted(result.discoveries, key=lambda d: order.index(d.lever))
    if not helped:
        report.paragraph(t.say("No lever raises {subject} in the table, so none can fail to.", subject=subject))
    else:
        report.paragraph(f"**{prim_sentence(helped[0], result, subject, t)}**")
        report.table(prim_table(result, order, t), caption=t.say(
            "Each lever that raises {subject} in the table: the draws where it does not (Δ at most "
            "{failure}), PRIM's box of the assumptions holding them, with its coverage "
            "(share of those draws inside it) and density (share of its draws that fail), and the assumption "
            "whose rank correlation with the lever's Δ is strongest (Spearman ρ, p adjusted by Bonferroni over "
            "the {n} assumptions).", subject=subject, failure=result.robustness.failure_text,
            n=len(result.robustness.uncertainties)))
    boxes = prim_box_table(result, t)
    if not boxes.empty:
        report.table(boxes, caption=t.text("PRIM's boxes (Friedman and Fisher 1999; EMA Workbench): the restricting "
                                           "assumptions, the range each was drawn over, the quasi-p value of the "
                                           "restriction (Bryant and Lempert 2010), the share of the lever's failures "
                                           "inside the box (coverage) and of the box's draws that fail (density)."))
    report.paragraph(
        t.say("PRIM runs for each lever whose table Δ raises {subject}, on the draws' assumptions and whether the "
              "lever failed there. The box kept is the densest on the peeling trajectory that still holds half the "
              "failures; restrictions whose quasi-p value is above 5 % are then released, the weakest first; with "
              "fewer than {least} failures there is no box. Ranges: ", subject=subject, least=MIN_FAILURES)
        + t.text("; ").join(f"{uncertainty_label(u, t)} {_range(u.low, u.high, u.integer, t)} "
                            f"({source_words(u.source, t)})" for u in result.robustness.uncertainties)
        + t.text("."), note=True)
    return files


def write_robustness_report(result: RobustnessResult, experiment: LeversExperiment, out_dir: str | Path,
                            settings: dict, labels: Labels | None = None) -> Path:
    """The robustness stage alone (`--stage robustness`): robustness.md/.html, its CSVs and
    robustness_settings.json; returns robustness.md."""
    t = labels or Labels("en")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_json_atomic(out_dir / "robustness_settings.json", settings)
    report = Report(f"{t.text('Robustness of the levers')}: {experiment.name}", lang="zh-CN" if t.chinese else "en")
    files = robustness_section(report, result, experiment, out_dir, t)
    report.heading(t.text("Files"))
    report.bullets([f"`{name}`" for name in files]
                   + [t.text("`robustness_settings.json`: the settings of these numbers"),
                      t.say("`{store}`: every run (rerunning reuses them)", store=settings["store"])])
    report.paragraph(t.say("Command: `{command}`. Runs: {runs} ({reused} reused from the store), {elapsed:.0f} s.",
                           command=settings["command"], runs=result.runs.get("total", 0),
                           reused=result.runs.get("reused", 0), elapsed=settings["elapsed"]), note=True)
    md, _ = report.write(out_dir, stem="robustness")
    return md
