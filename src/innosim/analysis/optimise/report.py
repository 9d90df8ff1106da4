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
from innosim.analysis.levers.wording import signed  # noqa: E402
from innosim.analysis.report import Report, fmt  # noqa: E402

use_cjk_font()


def chosen_packages(front: pd.DataFrame, at_most: int = 4) -> list[int]:
    """Rows of the front to describe: the cheapest, the one with the largest first objective, and
    between them those nearest evenly spaced costs (at most `at_most`)."""
    if front.empty:
        return []
    costs = front["extra_cost"].to_numpy()
    targets = np.linspace(costs.min(), costs.max(), min(at_most, len(front)))
    rows = list(dict.fromkeys(int(np.argmin(np.abs(costs - c))) for c in targets))
    return sorted(rows, key=lambda i: costs[i])


def package_text(o: Optimisation, row: pd.Series, t: Labels) -> str:
    """One package in planner words: its settings, its cost and its effects with intervals."""
    settings = [f"{d.label}: {d.describe(o.spec.county, row[d.name])}" for d in o.dials if row[d.name] > 0]
    effects = [f"{obj.label} {signed(row[obj.name])} [{signed(row[obj.name + '_low'])}, "
               f"{signed(row[obj.name + '_high'])}] (worst decile of parameter sets {signed(row[obj.name + '_worst_decile'])})"
               for obj in o.objectives]
    cost = (f"extra public cost in {t.place(o.spec.county)} {signed(row['extra_cost'])} "
            f"[{signed(row['extra_cost_low'])}, {signed(row['extra_cost_high'])}] M CNY a year")
    return (f"{'; '.join(settings) if settings else 'the base settings'}. {cost}; " + "; ".join(effects) + ".")


def plot_front(result: SearchResult, o: Optimisation, path: Path, t: Labels) -> Path:
    """Every package evaluated (grey: over the budget) and the front, first objective against cost."""
    first = o.objectives[0]
    ev, front = result.evaluations, result.front
    fig, ax = plt.subplots(figsize=(8, 5), constrained_layout=True)
    ok = ev["feasible"].to_numpy()
    ax.scatter(ev.loc[~ok, "extra_cost"], ev.loc[~ok, first.name], s=10, color="#bbb", label="over the budget")
    ax.scatter(ev.loc[ok, "extra_cost"], ev.loc[ok, first.name], s=10, color="#8fb3d9", label="within the budget")
    if not front.empty:
        ax.errorbar(front["extra_cost"], front[first.name],
                    yerr=[front[first.name] - front[first.name + "_low"], front[first.name + "_high"] - front[first.name]],
                    fmt="o-", color="#1f77b4", label="front (95 % interval)")
    ax.axvline(o.spec.budget, color="#d62728", lw=0.8, ls="--", label=f"budget +{fmt(o.spec.budget)} M CNY")
    ax.set_xlabel(f"extra public cost, {t.place(o.spec.county)} (M CNY a year)")
    ax.set_ylabel(f"Δ {first.label}")
    ax.set_title(f"{o.name}: packages of {len(o.dials)} levers in {t.place(o.spec.county)}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)
    return path


def plot_convergence(result: SearchResult, path: Path) -> Path:
    c = result.convergence
    fig, ax = plt.subplots(figsize=(6, 3.5), constrained_layout=True)
    ax.plot(c["generation"], c["hypervolume"], marker="o")
    ax.set_xlabel("generation")
    ax.set_ylabel("hypervolume of the front (scaled)")
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
    report = Report(f"Best packages under a budget: {o.name}", lang="zh-CN" if t.chinese else "en")
    county = t.place(spec.county)
    chosen = chosen_packages(result.front)
    if not chosen:
        report.paragraph(f"**No package evaluated kept {county}'s extra public cost within "
                         f"+{fmt(spec.budget)} M CNY a year.**")
    else:
        best = result.front.iloc[int(result.front[o.objectives[0].name].idxmax())] \
            if o.objectives[0].sense == "max" else result.front.iloc[int(result.front[o.objectives[0].name].idxmin())]
        report.paragraph(f"**{county}'s best package for {o.objectives[0].label} within +{fmt(spec.budget)} M CNY a "
                         f"year: {package_text(o, best, t)}**")
        report.heading("Packages along the front")
        report.bullets([package_text(o, result.front.iloc[i], t) for i in chosen])
    report.paragraph(
        f"Effects are paired differences from the base ({settings['base']}) on the same parameter sets and seeds, "
        f"mean [95 % t interval over {len(o.members)} parameter set(s) x {spec.seeds} seed(s)]; the worst decile is "
        f"over the parameter sets' means ({o.members_source}). The search optimised the "
        f"{'mean' if spec.robust.aggregate == 'mean' else 'worst decile'} over the parameter sets."
        + (f" Counts and money at the zone's full size (runs at scale {spec.scale:g})." if spec.scale != 1 else ""))
    if decomposition is not None:
        from innosim.analysis.levers.report import gains_section

        term = o.objectives[0].output.terms[0]
        gains_section(report, decomposition, term.region, term.indicator, out_dir, t, "decomposition.csv")
    report.heading("The front")
    chart = write_atomic(out_dir / "front.png", lambda p: plot_front(result, o, p, t))
    report.figure(chart, "Every package evaluated (blue: within the budget; grey: over it) and the front of the "
                         "packages no other beats on every objective within the budget, with 95 % intervals.")
    if not result.front.empty:
        columns = {d.name: d.label for d in o.dials} | {"extra_cost": "extra cost (M CNY/yr)"} | \
                  {obj.name: obj.label for obj in o.objectives}
        shown = result.front[list(columns)].rename(columns=columns)
        report.table(shown.map(lambda v: fmt(v) if isinstance(v, float) else v),
                     caption="The front: each dial's intensity (0: the base's settings; k: its level k), the mean "
                             "extra public cost and the mean effects over the parameter sets.")
    report.heading("Convergence")
    chart = write_atomic(out_dir / "convergence.png", lambda p: plot_convergence(result, p))
    report.figure(chart, "Hypervolume of the best feasible front found up to each generation (objectives scaled to [0, 1] by the best "
                         "and worst values reached, reference point 1.1): it levels off as the search converges.")
    report.table(result.convergence.assign(hypervolume=result.convergence["hypervolume"].map(lambda v: f"{v:.4f}")))
    report.heading("Set-up")
    report.paragraph(
        f"NSGA-II (Deb et al. 2002, pymoo) over {len(o.dials)} dials of {county} "
        f"({', '.join(d.label for d in o.dials)}), population {spec.algorithm.population}, "
        f"{spec.algorithm.generations} generations, seed {spec.algorithm.seed}; intensities rounded to "
        f"{spec.algorithm.resolution:g}. Constraint: the mean extra public cost in {county} at most "
        f"+{fmt(spec.budget)} M CNY a year (`{spec.cost}`). {len(result.evaluations)} evaluations, each "
        f"{len(o.members)} parameter set(s) x {spec.seeds} seed(s); {settings['start']} to {settings['end']}.")
    report.table(pd.DataFrame([{"dial": d.label, "settings at its top level": d.describe(spec.county, d.top)}
                               for d in o.dials]))
    report.heading("Files")
    report.bullets(["`front.csv`", "`evaluations.csv`", "`convergence.csv`", "`front.png`", "`convergence.png`",
                    "`settings.json`: the settings and provenance of these numbers",
                    f"`{settings['store']}`: every run (rerunning reuses them)"])
    report.paragraph(f"Command: `{settings['command']}`. Runs: {settings['runs_total']} "
                     f"({settings['runs_reused']} reused from the store), {settings['elapsed']:.0f} s.", note=True)
    md, _ = report.write(out_dir)
    return md
