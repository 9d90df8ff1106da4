"""The optimisation report: the packages in planner words (settings, cost, effects with intervals,
where the gains come from), the Pareto front (a plot and a table) and the search's convergence
(hypervolume by generation); report.md/.html and the CSVs behind them."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from innosim.fonts import use_cjk_font  # noqa: E402
from innosim.i18n import Labels  # noqa: E402
from innosim.io import write_atomic, write_json_atomic  # noqa: E402

from innosim.analysis.optimise.search import SearchResult  # noqa: E402
from innosim.analysis.optimise.spec import Optimisation  # noqa: E402
from innosim.analysis.levers.wording import settings_words, signed  # noqa: E402
from innosim.analysis.report import Report, fmt  # noqa: E402
from innosim.analysis.levers.sections import command_note, gains_section  # noqa: E402

use_cjk_font()


def chosen_packages(front: pd.DataFrame, o: Optimisation | None = None, at_most: int = 4) -> list[int]:
    """Rows of the front to describe: among the packages that do better than the base on the first
    objective (the front also holds packages that save money by doing worse), the cheapest, the best,
    and between them those nearest evenly spaced costs (at most `at_most`)."""
    if front.empty:
        return []
    rows = np.arange(len(front))
    if o is not None:
        first = o.objectives[0]
        better = front[first.name].to_numpy() > 0 if first.sense == "max" else front[first.name].to_numpy() < 0
        rows = rows[better]
    if not rows.size:
        return []
    costs = front["extra_cost"].to_numpy()
    targets = np.linspace(costs[rows].min(), costs[rows].max(), min(at_most, rows.size))
    chosen = list(dict.fromkeys(int(rows[np.argmin(np.abs(costs[rows] - c))]) for c in targets))
    return sorted(chosen, key=lambda i: costs[i])


#: A dial turned less than this share of one level is left out of a package's words (the front's
#: table gives every intensity): the search's continuous variables rarely sit exactly at 0.
SMALL_TURN = 0.05


def objective_label(obj, t: Labels) -> str:
    """An objective's label; in Chinese, one the file left to default (its name) is its place and indicator."""
    if t.chinese and obj.label == obj.name.replace("_", " ") and obj.output.terms:
        term = obj.output.terms[0]
        return f"{t.place(term.region)}{t.indicator(term.indicator)}"
    return obj.label


def package_text(o: Optimisation, row: pd.Series, t: Labels) -> str:
    """One package in planner words: its settings, its cost and its effects with intervals."""
    sep = t.text("; ")
    settings = [f"{d.label}{t.text(': ')}{settings_words(d.describe(o.spec.county, row[d.name]), t)}"
                for d in o.dials if row[d.name] >= SMALL_TURN]
    effects = [t.say("{label} {effect} [{low}, {high}] (worst decile of parameter sets {worst})",
                     label=objective_label(obj, t), effect=signed(row[obj.name]), low=signed(row[obj.name + '_low']),
                     high=signed(row[obj.name + '_high']), worst=signed(row[obj.name + '_worst_decile']))
               for obj in o.objectives if obj.output.expression != o.cost.expression]   # the cost is said once
    cost = t.say("extra public cost in {county} {cost} [{low}, {high}] M CNY a year", county=t.place(o.spec.county),
                 cost=signed(row['extra_cost']), low=signed(row['extra_cost_low']),
                 high=signed(row['extra_cost_high']))
    return (f"{sep.join(settings) if settings else t.text('the base settings')}{t.text('. ')}{cost}{sep}"
            + sep.join(effects) + t.text("."))


def plot_front(result: SearchResult, o: Optimisation, path: Path, t: Labels) -> Path:
    """Every package evaluated (grey: over the budget) and the front, first objective against cost."""
    first = o.objectives[0]
    ev, front = result.evaluations, result.front
    fig, ax = plt.subplots(figsize=(8, 5), constrained_layout=True)
    ok = ev["feasible"].to_numpy()
    ax.scatter(ev.loc[~ok, "extra_cost"], ev.loc[~ok, first.name], s=10, color="#bbb", label=t.text("over the budget"))
    ax.scatter(ev.loc[ok, "extra_cost"], ev.loc[ok, first.name], s=10, color="#8fb3d9",
               label=t.text("within the budget"))
    if not front.empty:
        ax.errorbar(front["extra_cost"], front[first.name],
                    yerr=[front[first.name] - front[first.name + "_low"], front[first.name + "_high"] - front[first.name]],
                    fmt="o-", color="#1f77b4", label=t.text("front (95 % interval)"))
    ax.axvline(o.spec.budget, color="#d62728", lw=0.8, ls="--",
               label=t.say("budget +{budget} M CNY", budget=fmt(o.spec.budget)))
    ax.set_xlabel(t.say("extra public cost, {county} (M CNY a year)", county=t.place(o.spec.county)))
    ax.set_ylabel(f"Δ {objective_label(first, t)}")
    ax.set_title(t.say("{name}: packages of {dials} levers in {county}", name=o.name, dials=len(o.dials),
                       county=t.place(o.spec.county)))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)
    return path


def plot_convergence(result: SearchResult, path: Path, t: Labels | None = None) -> Path:
    t = t or Labels("en")
    c = result.convergence
    fig, ax = plt.subplots(figsize=(6, 3.5), constrained_layout=True)
    ax.plot(c["generation"], c["hypervolume"], marker="o")
    ax.set_xlabel(t.text("generation"))
    ax.set_ylabel(t.text("hypervolume of the front (scaled)"))
    ax.grid(alpha=0.3)
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)
    return path


def write_optimise_report(result: SearchResult, o: Optimisation, out_dir: str | Path, settings: dict,
                          labels: Labels | None = None, decomposition=None) -> Path:
    """CSVs, settings.json, report.md and report.html in `out_dir`; returns report.md."""
    t = labels or Labels("en")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, frame in (("front.csv", result.front), ("evaluations.csv", result.evaluations),
                        ("convergence.csv", result.convergence)):
        write_atomic(out_dir / name, lambda p, f=frame: f.to_csv(p, index=False))
    write_json_atomic(out_dir / "settings.json", settings)
    spec = o.spec
    report = Report(f"{t.text('Best packages under a budget')}{t.text(': ')}{o.name}",
                    lang="zh-CN" if t.chinese else "en")
    county = t.place(spec.county)
    chosen = chosen_packages(result.front, o)
    if result.front.empty:
        report.paragraph(t.say("**No package evaluated kept {county}'s extra public cost within "
                               "+{budget} M CNY a year.**", county=county, budget=fmt(spec.budget)))
    elif not chosen:
        report.paragraph(t.say("**No package within +{budget} M CNY a year did better than the base on {objective}.**",
                               budget=fmt(spec.budget), objective=objective_label(o.objectives[0], t)))
    else:
        best = result.front.iloc[int(result.front[o.objectives[0].name].idxmax())] \
            if o.objectives[0].sense == "max" else result.front.iloc[int(result.front[o.objectives[0].name].idxmin())]
        report.paragraph(t.say("**{county}'s best package for {objective} within +{budget} M CNY a year: {package}**",
                               county=county, objective=objective_label(o.objectives[0], t), budget=fmt(spec.budget),
                               package=package_text(o, best, t)))
        report.heading(t.text("Packages along the front"))
        report.bullets([package_text(o, result.front.iloc[i], t) for i in chosen])
    report.paragraph(t.say(
        "Effects are paired differences from the base ({base}) on the same parameter sets and seeds, "
        "mean [95 % t interval over {members} parameter set(s) x {seeds} seed(s)]; the worst decile is "
        "over the parameter sets' means ({source}). The search optimised the "
        "{aggregate} over the parameter sets.", base=f"`{settings['base']}`" if t.chinese else settings['base'],
        members=len(o.members), seeds=spec.seeds, source=members_source_words(o.members_source, t),
        aggregate=t.text('mean' if spec.robust.aggregate == 'mean' else 'worst decile'))
        + (t.say(" Counts and money at the zone's full size (runs at scale {scale:g}).", scale=spec.scale)
           if spec.scale != 1 else ""))
    if decomposition is not None:
        term = o.objectives[0].output.terms[0]
        gains_section(report, decomposition, term.region, term.indicator, out_dir, t, "decomposition.csv")
    report.heading(t.text("The front"))
    chart = write_atomic(out_dir / "front.png", lambda p: plot_front(result, o, p, t))
    report.figure(chart, t.text("Every package evaluated (blue: within the budget; grey: over it) and the front of "
                                "the packages no other beats on every objective within the budget, with 95 % "
                                "intervals."))
    if not result.front.empty:
        columns = {d.name: d.label for d in o.dials} | {"extra_cost": t.text("extra cost (M CNY/yr)")} | \
                  {obj.name: objective_label(obj, t) for obj in o.objectives}
        shown = result.front[list(columns)].rename(columns=columns)
        report.table(shown.map(lambda v: fmt(v) if isinstance(v, float) else v),
                     caption=t.text("The front: each dial's intensity (0: the base's settings; k: its level k), the "
                                    "mean extra public cost and the mean effects over the parameter sets."))
    report.heading(t.text("Convergence"))
    chart = write_atomic(out_dir / "convergence.png", lambda p: plot_convergence(result, p, t))
    report.figure(chart, t.text("Hypervolume of the best feasible front found up to each generation (objectives "
                                "scaled to [0, 1] by the best and worst values reached, reference point 1.1): it "
                                "levels off as the search converges."))
    convergence = result.convergence.assign(hypervolume=result.convergence["hypervolume"].map(lambda v: f"{v:.4f}"))
    report.table(convergence.rename(columns={c: t.text(c) for c in convergence.columns}) if t.chinese else convergence)
    report.heading(t.text("Set-up"))
    report.paragraph(t.say(
        "NSGA-II (Deb et al. 2002, pymoo) over {dials} dials of {county} "
        "({labels}), population {population}, "
        "{generations} generations, seed {seed}; intensities rounded to "
        "{resolution:g}. Constraint: the mean extra public cost in {county} at most "
        "+{budget} M CNY a year (`{cost}`). {evaluations} evaluations, each "
        "{members} parameter set(s) x {seeds} seed(s); {start} to {end}.", dials=len(o.dials), county=county,
        labels=t.text(", ").join(d.label for d in o.dials), population=spec.algorithm.population,
        generations=spec.algorithm.generations, seed=spec.algorithm.seed, resolution=spec.algorithm.resolution,
        budget=fmt(spec.budget), cost=spec.cost, evaluations=len(result.evaluations), members=len(o.members),
        seeds=spec.seeds, start=settings['start'], end=settings['end']))
    report.table(pd.DataFrame([{t.text("dial"): d.label,
                                t.text("settings at its top level"): settings_words(d.describe(spec.county, d.top), t)}
                               for d in o.dials]))
    report.heading(t.text("Files"))
    report.bullets(["`front.csv`", "`evaluations.csv`", "`convergence.csv`", "`front.png`", "`convergence.png`",
                    "`settings.json`: " + t.text("the settings and provenance of these numbers"),
                    f"`{settings['store']}`: " + t.text("every run (rerunning reuses them)")])
    report.paragraph(command_note(settings['command'], settings['runs_total'], settings['runs_reused'],
                                  settings['elapsed'], t), note=True)
    md, _ = report.write(out_dir)
    return md


def members_source_words(source: str, t: Labels) -> str:
    """Where the parameter sets come from (spec.py's words), in the reader's language."""
    import re

    if not t.chinese:
        return source
    found = re.fullmatch(r"(\d+) members of (.*), drawn by weight \(seed (\d+)\)", source)
    if found:
        return t.say("{n} members of {ensemble}, drawn by weight (seed {seed})", n=found.group(1),
                     ensemble=ensemble_words(found.group(2), t), seed=found.group(3))
    return t.text(source)


def ensemble_words(text: str, t: Labels) -> str:
    """`Ensemble.describe()`'s words (`history matching of calibration/ensemble.yaml`) as far as the glossary has them."""
    import re

    found = re.fullmatch(r"(\d+) members of the calibration ensemble \((.*), (.*)\)", text)
    if t.chinese and found:
        return t.say("{n} members of the calibration ensemble ({method}, {file})", n=found.group(1),
                     method=t.text(found.group(2)), file=f"`{found.group(3)}`")
    return t.text(text)
