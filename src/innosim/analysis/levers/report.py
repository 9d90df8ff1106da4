"""The lever report: one sentence a planner can forward, the headline table, every output by region,
why the seeds stopped where they did, the robustness over the behavioural assumptions (when the
experiment has a `robustness:` section), and the CSVs behind them (report.md, report.html)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from innosim.i18n import Labels
from innosim.io import write_atomic, write_json_atomic
from innosim.model import month_label

from innosim.analysis.compare.tables import UNITS
from innosim.analysis.outputs import Term
from innosim.analysis.levers.table import STOP_REASONS, LeverTable
from innosim.analysis.levers.experiment import LeversExperiment
from innosim.analysis.levers.discovery import MIN_FAILURES, Discovery, discovery_table
from innosim.analysis.levers.plots import plot_headline, plot_robustness
from innosim.analysis.levers.robustness import RobustnessResult
from innosim.analysis.report import Report, fmt

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


def _and(items: list[str], t: Labels) -> str:
    if t.chinese:
        return "、".join(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


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
            text += f"（与{_and(tied, t)}无法区分）"
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
            text += f" (tied with {_and(tied, t)} within the stated precision)"
        else:
            text += f" (not told apart from {_and(tied, t)} after {int(table.values['seed'].nunique())} seeds)"
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
            cells[f"{direction}: Δ [95 % CI]"] = _cell(row)
            cells[f"{direction}: %"] = percent(row["relative"])
            cells[f"{direction}: P(first)"] = f"{r.loc[(direction, lever), 'probability_first'] * 100:.0f} %"
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
                        labels: Labels | None = None, robustness: RobustnessResult | None = None) -> Path:
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
    headline = experiment.headline
    unit = UNITS.get(headline.output.terms[0].indicator, "")
    report.paragraph(
        f"{seeds} seeds per variant; stopped: **{t.text(STOP_REASONS[v.reason])}** (widest headline half-width "
        f"{fmt(v.widest)} {unit} against the {fmt(v.precision)} asked for; the leader ranks first in "
        f"{v.leader_probability * 100:.0f} % of {spec.leader.resamples} bootstrap samples, "
        f"{spec.leader.probability * 100:.0f} % asked for; cap {settings['cap']} seeds).")
    report.heading(t.text("The levers on the headline"))
    scale_note = (f" Runs at scale {spec.scale:g}: counts and money are divided by {spec.scale:g} to give the "
                  "zone's full size; shares are as run." if spec.scale != 1 else "")
    report.table(headline_table(table, t), caption=(
        f"`{headline.output.expression}` ({unit}). Δ on: the lever switched on alone minus the base; Δ off: full "
        "integration minus full integration without the lever; paired by seed, mean [95 % t interval]; "
        "**bold**: the interval excludes zero. %: of the level without the lever. P(first): the share of "
        "bootstrap samples over seeds in which the lever's mean Δ is the largest." + scale_note))
    subject = what(headline.name, headline.region, headline.output.terms[0].indicator, t)
    chart = write_atomic(out_dir / "levers.png", lambda p: plot_headline(
        table, p, f"{subject[0].upper()}{subject[1:]}, "
                  f"{window_phrase(experiment.start, experiment.months, headline.output.terms[0], t)}", unit, t))
    report.figure(chart, "Each lever's paired effect with its 95 % interval, switched on alone from the base "
                         "and off alone from full integration (faded: the interval includes zero).")
    report.heading(t.text("Why it stopped"))
    history = pd.DataFrame(table.history)
    report.table(pd.DataFrame({t.text("seeds"): history["seeds"],
                               t.text("widest half-width"): history["widest_half_width"].map(fmt),
                               t.text("precision asked"): history["precision"].map(fmt),
                               t.text("leader"): history["leader"].map(table.labels),
                               "P(first)": history["leader_probability"].map(lambda p: f"{p * 100:.0f} %"),
                               t.text("decision"): history["decision"].map(t.text)}))
    report.paragraph(
        f"Seeds are added {spec.seeds.block} at a time from {spec.seeds.first} until every 95 % interval of the "
        f"headline (both directions) has a half-width within the precision ({spec.precision.half_width}"
        f"{' of the base level' if experiment.precision_share is not None else ''}), or the leader ranks first in "
        f"at least {spec.leader.probability * 100:.0f} % of bootstrap samples and no lever is tied with it, or the "
        "cap is reached. A lever is tied with the leader when the interval of their difference, paired by seed, "
        f"includes zero; its level is {table.tie_level * 100:.2f} % ({(1 - spec.level) * 100:g} % of error shared "
        f"among the {table.looks} looks the blocks allow, Bonferroni), so looking after every block does not make "
        "a tie pass for a clear leader.")
    regions = list(spec.regions)
    for name in dict.fromkeys(o.name for o in experiment.outputs):
        first = next(o for o in experiment.outputs if o.name == name)
        unit = UNITS.get(first.output.terms[0].indicator, "") if first.output.counts else ""
        report.heading(f"{name} ({unit})" if unit else name)
        for direction in ("on", "off"):
            report.table(output_table(table, name, direction, [r for r in regions if any(
                o.name == name and o.region == r for o in experiment.outputs)], t),
                caption=f"`{spec.outputs[name]}`, lever switched {t.text(DIRECTION_TEXT[direction])}: "
                        "Δ [95 % CI] (%).")
    files = robustness_section(report, robustness, experiment, out_dir, t) if robustness is not None else []
    report.heading(t.text("Set-up"))
    report.paragraph(
        f"Base `{settings['base']}`, full `{settings['full']}`, {len(table.levers)} levers, each run "
        f"{t.text(DIRECTION_TEXT['on'])} and {t.text(DIRECTION_TEXT['off'])} (its settings at the base's values): "
        f"{2 + 2 * len(table.levers)} variants on the same {seeds} seeds (root seed {spec.seed}), "
        f"{settings['start']} to {settings['end']}, scale {spec.scale:g}. The model draws each mechanism's "
        "random numbers from its own stream keyed by agent row, so variants on one seed share their chance "
        "events and each Δ is measured seed by seed.")
    report.table(pd.DataFrame([{t.text("lever"): table.labels[lever.name],
                                t.text("settings"): ", ".join(f"`{k}`" for k in lever.off)}
                               for lever in experiment.levers]))
    report.heading(t.text("Files"))
    report.bullets([f"`{name}`" for name in csvs + files] + ["`levers.png`", "`settings.json`: the settings and provenance of these numbers",
                                                     f"`{settings['store']}`: every run (rerunning reuses them)"])
    report.paragraph(f"Command: `{settings['command']}`. Runs: {settings['runs_total']} "
                     f"({settings['runs_reused']} reused from the store), {settings['elapsed']:.0f} s.", note=True)
    md, _ = report.write(out_dir)
    return md


# -- robustness over the behavioural assumptions ---------------------------------------------------
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
    return _and(parts, Labels("en"))


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
    report.paragraph(
        f"The behavioural parameters are uncertainties, drawn by Latin hypercube ({result.draws} draws, seed "
        f"{spec.seed}); in each draw the base and each lever switched on alone from it run on the same "
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
