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


def _range(low: float, high: float, integer: bool = False) -> str:
    return f"{low:.0f}-{high:.0f}" if integer else f"{fmt(low)} to {fmt(high)}"


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
            cells[name] = f"{signed(r['median'])} [{signed(r['min'])}, {signed(r['max'])}] {r['share_sign'] * 100:.0f} %"
        rows.append(cells)
    return pd.DataFrame(rows)


def _box_phrase(discovery: Discovery, result: RobustnessResult) -> str:
    units = {u.name: u for u in result.robustness.uncertainties}
    parts = []
    for row in discovery.box.itertuples(index=False):
        u = units.get(row.uncertainty)
        label = u.label if u else row.uncertainty
        integer = bool(u and u.integer)
        number = (lambda x: f"{x:.0f}") if integer else fmt
        if row.low <= row.range_low:
            parts.append(f"{label} at most {number(row.high)}")
        elif row.high >= row.range_high:
            parts.append(f"{label} at least {number(row.low)}")
        else:
            parts.append(f"{label} between {number(row.low)} and {number(row.high)}")
        low, high = (u.low, u.high) if u else (row.range_low, row.range_high)   # drawn over, not the draws' extremes
        parts[-1] += f" (drawn over {_range(low, high, integer)})"
    return join_and(parts, Labels("en"))


def _seeds(n: int) -> str:
    return f"{n} seed" if n == 1 else f"{n} seeds"


def driver_phrase(discovery: Discovery, result: RobustnessResult) -> str:
    """` Its effect moves most with ...`: the strongest rank correlation, said as significant or not."""
    if not discovery.driver:
        return ""
    u = {u.name: u for u in result.robustness.uncertainties}.get(discovery.driver)
    label = u.label if u else discovery.driver
    stats = (f"Spearman ρ {discovery.driver_rho:+.2f}, p {discovery.driver_p:.2g} after Bonferroni over "
             f"{len(result.robustness.uncertainties)}")
    if discovery.driver_p <= 0.05:
        return f" Its effect moves most with {label} ({stats})."
    return f" No assumption moves its effect beyond chance (the strongest, {label}: {stats})."


def prim_sentence(discovery: Discovery, result: RobustnessResult, subject: str) -> str:
    """What PRIM found for one lever, in one or two sentences."""
    return _prim_sentence(discovery, result, subject) + driver_phrase(discovery, result)


def _prim_sentence(discovery: Discovery, result: RobustnessResult, subject: str) -> str:
    lever = result.labels[discovery.lever]
    n, k = discovery.draws, discovery.failures
    fails = (f"With {lever} switched on, {subject} does not rise (Δ at most {result.robustness.failure_text}) "
             f"in {k} of {n} draws")
    if discovery.status == "box":
        return (f"{fails}; {discovery.coverage * 100:.0f} % of those draws lie where {_box_phrase(discovery, result)}, "
                f"a region holding {discovery.mass * 100:.0f} % of all draws, {discovery.density * 100:.0f} % of "
                "which are failures.")
    if discovery.status == "no box":
        return (f"{fails}, but no combination of assumptions holds them: every restriction PRIM tried fails the "
                "quasi-p test at 5 %, so the failures are spread over the assumptions or are seed noise.")
    if discovery.status == "fails almost everywhere":
        return f"{fails}: it helps in too few draws for PRIM to say where it does not."
    if k == 0:
        return f"With {lever} switched on, {subject} rises in every one of the {n} draws: nothing for PRIM to find."
    return f"{fails}: too few failures for PRIM (it needs at least {MIN_FAILURES})."


PRIM_STATUS = {"box": "", "no box": "none passes the quasi-p test", "too few failures": "too few failures",
               "fails almost everywhere": "fails almost everywhere"}


def prim_table(result: RobustnessResult, order: list[str]) -> pd.DataFrame:
    """One row per lever PRIM ran for: failures, the box (or why none), coverage, density, the strongest
    association of its effect with an assumption."""
    units = {u.name: u for u in result.robustness.uncertainties}
    rows = []
    for d in sorted(result.discoveries, key=lambda d: order.index(d.lever)):
        driver = units[d.driver].label if d.driver in units else d.driver
        rows.append({"lever": result.labels[d.lever], "fails": f"{d.failures} / {d.draws}",
                     "PRIM box": _box_phrase(d, result) if d.status == "box" else f"– ({PRIM_STATUS[d.status]})",
                     "coverage": fmt(d.coverage * 100, 2) + " %" if d.status == "box" else "–",
                     "density": fmt(d.density * 100, 2) + " %" if d.status == "box" else "–",
                     "moves most with": f"{driver} (ρ {d.driver_rho:+.2f}, p {d.driver_p:.2g})" if driver else "–"})
    return pd.DataFrame(rows)


def prim_box_table(result: RobustnessResult) -> pd.DataFrame:
    units = {u.name: u for u in result.robustness.uncertainties}
    rows = []
    for d in sorted(result.discoveries, key=lambda d: robustness_order(result).index(d.lever)):
        for row in d.box.itertuples(index=False):
            u = units.get(row.uncertainty)
            integer = bool(u and u.integer)
            rows.append({"lever": result.labels[d.lever], "uncertainty": u.label if u else row.uncertainty,
                         "box": _range(row.low, row.high, integer),
                         "drawn over": _range(u.low, u.high, integer) if u else
                         _range(row.range_low, row.range_high, integer),
                         "quasi-p": f"{row.qp:.3f}", "coverage": f"{d.coverage * 100:.0f} %",
                         "density": f"{d.density * 100:.0f} %", "failures": f"{d.failures} / {d.draws}"})
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
    report.paragraph(
        f"**Over {result.draws} draws of {len(result.robustness.uncertainties)} behavioural assumptions, "
        f"{result.labels[order[0]]} ({first}) {sign} {subject} in {row['share_sign'] * 100:.0f} % of draws (median "
        f"{signed(row['median'])}, from {signed(row['min'])} to {signed(row['max'])} {unit}) and has the largest "
        f"effect of the {len(order)} levers in {row['first_share'] * 100:.0f} % of them.**")
    noise = s.loc[(s["output"] == output) & (s["region"] == region), "noise_sd"]
    noise_text = (f"In the lever table the SD over seeds of a paired Δ on the headline is {fmt(noise.min())} to "
                  f"{fmt(noise.max())} {unit} (column *seed-noise SD*, for {_seeds(spec.seeds_per_draw)} a draw)"
                  if noise.notna().any() else "No lever table was at hand to measure seed noise against")
    ensemble = result.robustness.ensemble
    if ensemble is None:
        drawn = f"The behavioural parameters are uncertainties, drawn by Latin hypercube ({result.draws} draws, seed {spec.seed})"
    else:
        cube = result.robustness.hypercube
        drawn = (f"The {len(ensemble.names)} calibrated parameters come from the calibration ensemble "
                 f"(`{ensemble.file.name}`: {len(ensemble.members)} members, {ensemble.method}): each draw takes one "
                 "member, all its parameters together, by weight without replacement while members last (seed "
                 f"{spec.seed}); " + (f"the {len(cube)} other assumptions, which no target constrains, are drawn by "
                                      f"Latin hypercube ({result.draws} draws)" if cube else
                                      f"there are no other assumptions ({result.draws} draws)"))
    report.paragraph(
        drawn + "; in each draw the base and each lever switched on alone from it run on the same "
        f"{_seeds(spec.seeds_per_draw)} (common random numbers), and a lever's Δ in the draw is the paired "
        "difference, compared with the sign of " + result.sign_source + ". **Each draw's Δ includes seed "
        "noise.** " + noise_text + ": an SD over draws well above it "
        "is spread the assumptions cause (*beyond noise*: 1 − seed-noise SD² / SD over draws²), one near it is "
        "mostly noise. *Sign held*: the share of draws in which Δ has the sign of the table's Δ (of the median "
        "where there is no table); *noise alone*: the share it would be if the assumptions changed nothing and "
        "each draw's Δ were the table's Δ plus seed noise (normal), so a *sign held* well below it is the "
        "assumptions' doing. *First*: the share of draws in which the lever's Δ is the largest.")
    report.table(robustness_table(result, t), caption=f"`{head.output.expression}` ({unit}), lever switched on "
                 f"alone from the base. *Fails*: draws with Δ at most {result.robustness.failure_text}.")
    chart = write_atomic(out_dir / "robustness.png", lambda p: plot_robustness(
        result.effects[(result.effects["output"] == output) & (result.effects["region"] == region)],
        s[(s["output"] == output) & (s["region"] == region)], order, result.labels, p,
        f"{subject[0].upper()}{subject[1:]}: {result.draws} draws of the assumptions", unit,
        result.robustness.failure_absolute, t))
    files.append("robustness.png")
    report.figure(chart, "Each lever's Δ in every draw of the behavioural assumptions (dots; box: quartiles), "
                         "its Δ in the lever table (diamond) and the 95 % band seed noise alone gives one "
                         "draw's Δ (grey).")
    report.table(outputs_held_table(result, experiment, t), caption=(
        f"Every output at {t.place(region)}: median over the draws [min, max] and the share of draws with the "
        "table's sign (all regions: `robustness.csv`)."))
    report.heading(t.text("Where a lever fails to help (PRIM)"), level=3)
    helped = sorted(result.discoveries, key=lambda d: order.index(d.lever))
    if not helped:
        report.paragraph(f"No lever raises {subject} in the table, so none can fail to.")
    else:
        report.paragraph(f"**{prim_sentence(helped[0], result, subject)}**")
        report.table(prim_table(result, order), caption=(
            f"Each lever that raises {subject} in the table: the draws where it does not (Δ at most "
            f"{result.robustness.failure_text}), PRIM's box of the assumptions holding them, with its coverage "
            "(share of those draws inside it) and density (share of its draws that fail), and the assumption "
            "whose rank correlation with the lever's Δ is strongest (Spearman ρ, p adjusted by Bonferroni over "
            f"the {len(result.robustness.uncertainties)} assumptions)."))
    boxes = prim_box_table(result)
    if not boxes.empty:
        report.table(boxes, caption="PRIM's boxes (Friedman and Fisher 1999; EMA Workbench): the restricting "
                                    "assumptions, the range each was drawn over, the quasi-p value of the "
                                    "restriction (Bryant and Lempert 2010), the share of the lever's failures "
                                    "inside the box (coverage) and of the box's draws that fail (density).")
    report.paragraph(
        f"PRIM runs for each lever whose table Δ raises {subject}, on the draws' assumptions and whether the lever "
        f"failed there. The box kept is the densest on the peeling trajectory that still holds half the "
        "failures; restrictions whose quasi-p value is above 5 % are then released, the weakest first; with "
        f"fewer than {MIN_FAILURES} failures there is no box. Ranges: " + "; ".join(
            f"{u.label} {_range(u.low, u.high, u.integer)} ({u.source})" for u in result.robustness.uncertainties)
        + ".", note=True)
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
    report.bullets([f"`{name}`" for name in files] + ["`robustness_settings.json`: the settings of these numbers",
                                                      f"`{settings['store']}`: every run (rerunning reuses them)"])
    report.paragraph(f"Command: `{settings['command']}`. Runs: {result.runs.get('total', 0)} "
                     f"({result.runs.get('reused', 0)} reused from the store), {settings['elapsed']:.0f} s.", note=True)
    md, _ = report.write(out_dir, stem="robustness")
    return md
