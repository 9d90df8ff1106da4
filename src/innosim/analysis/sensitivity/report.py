"""What a sensitivity study leaves on disk: tables, plots and a report in sentences.

The report (analysis/report.py's writer: report.md, and report.html with its plots inlined) says,
for each output, which policy levers matter most with their intervals (behavioural uncertainties
listed apart, as context), how sure the ranking is (bootstrap rank intervals, the N/2-against-N
check or the emulator's Q2), how much of the variance is replicate noise, whether a factor's
spread of effects exceeds what noise alone gives, and warns in plain words when N or R is too
small. A Morris screening also writes `kept.yaml`, the factors the Sobol' stage reads.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from innosim.analysis.report import Report, fmt
from innosim.i18n import Labels
from innosim.io import write_json_atomic

from innosim.analysis.sensitivity.checks import ALPHA, rank_intervals
from innosim.analysis.sensitivity.kept import KEPT_FILE, write_kept
from innosim.analysis.sensitivity.plots import heat_table, plot_heatmap, plot_morris, plot_sobol
from innosim.analysis.sensitivity.resolution import NEGLIGIBLE

KEEP_SHARE = 0.1  #: screening keeps a factor whose mu* reaches this share of an output's largest mu*
KEEP_RULE = (f"mu* at least {KEEP_SHARE:.0%} of an output's largest mu* and clear of the noise floor "
             "(mu* minus its interval above the mu* of a factor that does nothing), for some output")
FILES = {"rankings": "every output's indices, one row per factor", "runs": "every run's outputs",
         "design": "the design (one row per point, as sampled)", "noise": "noise, noise floor and checks per output",
         "heatmap": "the heat map", "indices": "the indices per output", "heat_table": "the heat map's numbers",
         "report": "this report", "html": "this report as one self-contained page", "summary": "the summary, as JSON",
         "kept": "the factors kept for the Sobol' stage, with the base scenario's hash and the factor definitions"}
BELOW_RESOLUTION = "below the emulator's resolution"  #: its Chinese in i18n/zh.yaml (text:)
TITLES = {"morris": "Morris screening", "sobol": "Sobol' indices",
          "emulator": "Sobol' indices on a Gaussian-process emulator"}


def _plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count} {word if count == 1 else many or word + 's'}"


def _shown(path: str) -> str:
    """A path relative to the working folder where it lies below it."""
    try:
        return Path(path).resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


def _num(x: float) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.3g}"


def _ranks(low: float, high: float) -> str:
    return f"rank {low:.0f}" if low == high else f"ranks {low:.0f}-{high:.0f}"


def _below_noise(flag) -> bool:
    """True where a factor's index cannot be told from noise (False or unknown otherwise)."""
    return flag is not pd.NA and not bool(flag)


def kept_factors(study) -> dict[str, str]:
    """Screening's choice for the Sobol' stage (factor -> why): large for some output and above noise."""
    keep = {}
    for factor in study.problem["names"]:
        for name, result in study.results.items():
            t = result.indices
            if t is None or not t["mu_star"].max() > 0:
                continue
            share = t.at[factor, "mu_star"] / t["mu_star"].max()
            if share >= KEEP_SHARE and not _below_noise(t.at[factor, "above_noise"]):
                keep[factor] = (f"{name}: mu* {_num(t.at[factor, 'mu_star'])} = {share:.0%} of the largest, "
                                f"rank {t.at[factor, 'rank']}, clear of noise")
                break
    return keep


def _column(study) -> str:
    return "mu_star" if study.method == "morris" else "ST"


def _split(study, table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(levers, uncertainties), each best first."""
    ordered = table.sort_values(_column(study), ascending=False, kind="stable")
    lever = np.array([study.role(f) == "lever" for f in ordered.index], dtype=bool)
    return ordered[lever], ordered[~lever]


def _flag(value) -> bool | None:
    """A yes/no/unknown cell as True, False or None."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return bool(value)


def _lever_certainty(study, result, levers: pd.DataFrame) -> str:
    """Among the levers alone: how often the strongest ranks first in the bootstrap resamples."""
    draws = result.draws
    if draws is None or len(levers) < 2:
        return ""
    where = [study.problem["names"].index(f) for f in levers.index]
    _, _, first = rank_intervals(np.nan_to_num(np.asarray(draws)[:, where], nan=-1.0),
                                      study.settings["confidence"])
    name = study.label(levers.index[0])
    if first[0] >= 0.95:
        return f"{name[0].upper()}{name[1:]} ranks first among the levers in {first[0]:.0%} of bootstrap resamples."
    runner = levers.index[1 + int(np.argmax(first[1:]))]
    return (f"The lead among the levers is not settled: {name} ranks first in {first[0]:.0%} of bootstrap "
            f"resamples, {study.label(runner)} in {first[list(levers.index).index(runner)]:.0%}.")


def unresolved(row) -> bool:
    """True for a factor below the emulator's resolution (its indices are upper bounds)."""
    return _flag(row.get("below_resolution")) is True


def resolution_label(study) -> str:
    """"below the emulator's resolution" in the study's language (`settings["lang"]`, else English)."""
    return Labels(study.settings.get("lang", "en")).text(BELOW_RESOLUTION)


def bounds_text(row) -> str:
    return f"S1 < {row['S1_upper']:.3f}, ST < {row['ST_upper']:.3f}"


def _factor_text(study, factor: str, row) -> str:
    if study.method == "morris":
        direction = "raises it" if row["mu"] > 0.5 * row["mu_star"] else (
            "lowers it" if row["mu"] < -0.5 * row["mu_star"] else "effects of both signs")
        if study.kinds.get(factor) == "choice":
            direction = {"raises it": "later options raise it", "lowers it": "later options lower it"}.get(
                direction, direction)
        shape = ", non-linear or interacting" if _flag(row.get("interacting")) else ""
        return (f"{study.label(factor)} (mu* = {_num(row['mu_star'])} +/- {_num(row['mu_star_conf'])}, "
                f"{_ranks(row['rank_low'], row['rank_high'])} of {study.problem['num_vars']}; {direction}{shape}"
                f"{_noise_note(row)})")
    return (f"{study.label(factor)} (ST = {row['ST']:.2f} +/- {row['ST_conf']:.2f}, S1 = {row['S1']:.2f} +/- "
            f"{row['S1_conf']:.2f}, {_ranks(row['rank_low'], row['rank_high'])} of {study.problem['num_vars']}"
            f"{_noise_note(row)})")


def _noise_note(row) -> str:
    return "; not clear of noise" if _flag(row["above_noise"]) is False else ""


def strongest_levers(study, result, k: int = 3) -> str:
    """The k strongest levers of an output that stand clear of noise, in words."""
    if result.indices is None:
        return "not analysed"
    levers, _ = _split(study, result.indices)
    clear = [f for f in levers.index[:k] if _flag(levers.at[f, "above_noise"]) is not False]
    if not clear:
        return "none clear of noise"
    rest = " (the others not clear of noise)" if len(clear) < min(k, len(levers)) else ""
    return ", ".join(map(study.label, clear)) + rest


def _resolved(table: pd.DataFrame) -> pd.DataFrame:
    """The factors with an index: not below an emulator's resolution (those have bounds only)."""
    return table[~table["below_resolution"].astype(bool)] if "below_resolution" in table else table


def _leader_text(study, result) -> str:
    every_lever, every_uncertainty = _split(study, result.indices)
    levers, uncertain = _resolved(every_lever), _resolved(every_uncertainty)
    text = ""
    if len(levers):
        text = (f"The levers that matter most are {'; '.join(_factor_text(study, f, r) for f, r in levers.head(3).iterrows())}. "
                + _lever_certainty(study, result, levers))
    elif len(every_lever):
        text = "Every lever is below the emulator's resolution: its indices are upper bounds only (below)."
    if len(uncertain):
        text += (" For context, the strongest behavioural uncertainties: "
                 + "; ".join(_factor_text(study, f, r) for f, r in uncertain.head(2).iterrows()) + ".")
    return text.strip()


def _shape(row) -> str:
    flag = _flag(row.get("interacting"))
    if flag is None:
        return "n/a (one replicate)"
    return (f"non-linear or interacting (p = {row['sigma_p']:.2g})" if flag else
            f"as noise alone (p = {row['sigma_p']:.2g})")


def _factor_table(study, table: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for rank, (factor, row) in enumerate(table.iterrows(), start=1):
        clear = {None: "–", True: "yes", False: "no"}[_flag(row["above_noise"])]
        entry = {"#": rank, "factor": study.label(factor)}
        if study.kinds:
            entry["kind"] = study.kinds.get(factor, "")
        if study.method == "morris":
            entry |= {"mu*": f"{fmt(row['mu_star'])} ± {fmt(row['mu_star_conf'], 2)}", "mu": fmt(row["mu"]),
                      "sigma": fmt(row["sigma"]), "sigma of noise": fmt(row["sigma_noise"]),
                      "spread of effects": _shape(row)}
        elif unresolved(row):
            entry |= {"ST": f"< {row['ST_upper']:.3f}", "S1": f"< {row['S1_upper']:.3f}"}
            clear = resolution_label(study)
        else:
            entry |= {"ST": f"{row['ST']:.3f} ± {row['ST_conf']:.3f}", "S1": f"{row['S1']:.3f} ± {row['S1_conf']:.3f}"}
        entry |= {"ranks (all)": _ranks(row["rank_low"], row["rank_high"]), "clear of noise": clear}
        rows.append(entry)
    return pd.DataFrame(rows)


def _noise_text(study, result) -> str:
    noise = result.noise
    if math.isnan(noise.get("of_mean", math.nan)):
        return "Replicate noise could not be measured (one replicate)."
    text = (f"Replicate noise is {noise['of_mean']:.1%} of the variance of the replicate means "
            f"({noise['of_single_run']:.1%} of a single run's).")
    if study.method == "emulator":
        fitted = result.emulator
        return text + (f" The emulator's white-noise term puts one run's noise variance at {_num(fitted.noise_var)} "
                       f"(replicates: {_num(noise['within_var'])}); its indices are of the mean, without it. "
                       + _resolution_text(study, result)).rstrip()
    column = "mu*" if study.method == "morris" else "ST"
    clear = [study.label(f) for f, v in result.indices.sort_values("rank")["above_noise"].items()
             if v is not pd.NA and bool(v)]
    floors = result.indices["noise_floor"]
    floor = _num(floors.max()) if floors.min() == floors.max() else f"{_num(floors.min())}-{_num(floors.max())}"
    return (f"{text} {len(clear)} of {len(result.indices)} factors stand clear of noise ({column} minus its "
            f"interval above the noise floor {floor}, the {column} of a factor that does nothing)"
            + (f": {', '.join(clear)}." if clear else "."))


def _resolution_text(study, result) -> str:
    """What the emulator cannot resolve, and which factors that leaves with bounds only."""
    fitted = result.emulator
    if result.indices is None or math.isnan(fitted.resolution):
        return ""
    text = (f"The emulator misses up to {fitted.resolution:.3f} of the output's variance (1 - Q2 at its upper "
            "confidence limit): no factor it cannot see carries more.")
    below = result.indices[result.indices["below_resolution"].astype(bool)]
    if not len(below):
        return text + " Every factor is resolved."
    return text + (f" {_plural(len(below), 'factor is', 'factors are')} {resolution_label(study)} (the ST interval "
                   f"reaches below {NEGLIGIBLE:g}, as it does for a factor whose length scale is at its bound), with "
                   "upper bounds: " + "; ".join(f"{study.label(f)} ({bounds_text(row)})" for f, row in below.iterrows())
                   + ".")


def _output_section(report: Report, study, name: str, result) -> None:
    report.heading(f"{name} = {study.outputs[name]}", level=3)
    if result.skipped:
        report.paragraph(f"Not analysed: {result.skipped}.")
        if result.emulator is not None:
            report.paragraph(_noise_text(study, result))
        return
    report.paragraph(_leader_text(study, result))
    levers, uncertain = _split(study, result.indices)
    if len(levers):
        report.table(_factor_table(study, levers), caption="Policy levers, ranked")
    if len(uncertain):
        report.table(_factor_table(study, uncertain), caption="Behavioural uncertainties (context)")
    report.paragraph(_noise_text(study, result))
    if study.method == "emulator":
        report.paragraph(f"Check: {result.verdict}.")
    else:
        report.paragraph(f"Convergence (N/2 = {study.n // 2} against N = {study.n}): {result.verdict}; top ranks "
                         f"at N/2: {', '.join(map(study.label, result.top_half))}; at N: "
                         f"{', '.join(map(study.label, result.top_full))}.")
    if result.pairs is not None and len(result.pairs):
        top = result.pairs.sort_values("S2", ascending=False).head(3)
        report.paragraph("Strongest pairwise interactions (S2): " + "; ".join(
            f"{study.label(r.factor)} x {study.label(r.other)} ({r.S2:.2f} +/- {r.S2_conf:.2f})"
            for r in top.itertuples()) + ".")
    for w in result.warnings:
        report.paragraph(f"**Warning:** {w}.")


def _rules(study) -> list[str]:
    if study.method == "morris":
        levels = study.settings["levels"]
        return [
            f"An elementary effect is the change of the output over a factor's whole range: for a number, the "
            f"change of one step divided by the step's share of the range ({levels}-level grid, step "
            f"{levels / (2 * (levels - 1)):.3g} of the range); for a switch, y(on) - y(off), its on/off effect; "
            "for a choice (a regime of settings), y(later option) - y(earlier option) in the order the experiment "
            "lists them, each trajectory stepping between two different options drawn at random, so every pair "
            "of options is compared. mu* is the mean |effect|, mu the mean effect, sigma their spread.",
            f"Noise alone spreads effects too (sigma / mu* = 1.25 for a factor that does nothing). 'sigma of "
            f"noise' is the sigma that replicate noise alone gives, measured from the replicates of the design's "
            f"pairs; a factor is called non-linear or interacting only when its sigma exceeds it (F test, p < "
            f"{ALPHA:g}).",
            "Steps between two rows that are the same scenario are left out of the effects and of the noise "
            "measurement (they share their runs: no effect, no noise)."]
    rules = ["S1: the share of the output's variance a factor explains alone; ST: with all its interactions. "
             "A switch's or a choice's options are equally likely."]
    if study.method == "sobol":
        rules.append("The noise floor is the ST replicate noise gives a factor that does nothing, from the noise "
                     "of the pairs (A, AB_j) that are two different scenarios (pairs of one scenario share their "
                     "runs and add no noise, so they are not counted as noise).")
    else:
        e = study.settings.get("emulator", {})
        rules.append(
            f"A Gaussian process (anisotropic Matern 5/2 kernel plus white noise) is fitted to every replicate at "
            f"{study.n} space-filling design points (a scrambled Sobol' sequence). It is checked by "
            f"{e.get('folds', 5)}-fold cross-validation over design points: Q2 = 1 - PRESS / SS_tot on the held-out "
            f"replicate means, the noise of a replicate mean taken off both; indices are reported only when "
            f"Q2 >= {e.get('q2_min', 0.8):g} and Q2 is measured to within +/-0.1 (it cannot be when the replicate "
            "means are mostly noise). S1 and ST are computed by SALib on the emulator's mean at a Saltelli "
            f"sample of N = {e.get('sample', '?')} base points; intervals combine a bootstrap over design points "
            f"({e.get('bootstrap', '?')} resamples, each refitted with the full fit's kernel hyperparameters) "
            "with SALib's Monte Carlo interval.")
        rules.append(
            f"A factor the emulator treats as flat (its length scale at the bound) gets S1 = ST = 0 in every resample, "
            f"an interval that says nothing. It, and any factor whose ST interval reaches below {NEGLIGIBLE:g}, is "
            "reported as below the emulator's resolution, with upper bounds: S < (sqrt(S_e) (1 + sqrt u) + sqrt u)^2, "
            "S_e the upper end of the emulator's interval and u = 1 - Q2 + z se(Q2) the share of variance the "
            "emulator misses in cross-validation (main and total effects are linear in the output, so a factor "
            "cannot carry more than the emulator's own part plus all it misses; Janon, Nodet & Prieur 2014). "
            "For a flat factor the bound is u.")
    return rules


def build_report(study, files: dict[str, str], out: Path, trust: list[str] | None = None,
                 kept: dict[str, str] | None = None) -> Report:
    size = {"morris": f"{study.n} trajectories", "sobol": f"N = {study.n}",
            "emulator": "a space-filling design"}[study.method]
    b = study.batch
    roles = [study.role(f) for f in study.problem["names"]]
    report = Report(f"Sensitivity of innosim outputs: {study.name} ({TITLES[study.method]})")
    levers = roles.count("lever")
    report.paragraph(
        f"{_plural(len(roles), 'factor')} ({_plural(levers, 'policy lever')}, "
        f"{_plural(len(roles) - levers, 'behavioural uncertainty', 'behavioural uncertainties')}), "
        f"{_plural(len(study.outputs), 'output')}, {size}, {_plural(study.replicates, 'replicate')} per point; "
        f"{len(study.X)} design points, {b.get('distinct_runs', len(study.runs))} distinct runs ({b.get('ran', 0)} run "
        f"now, {b.get('stored_before', 0)} already stored). Intervals are {study.settings['confidence']:.0%} bootstrap "
        f"intervals. Levers are ranked; uncertainties are shown as context.")
    if study.kept_from:
        report.paragraph(f"The factors are those the Morris screening kept (`{_shown(study.kept_from)}`), checked to come "
                         "from the same base scenario and factor definitions.")
    if trust:
        report.heading("How far to trust this")
        for text in trust:
            report.paragraph(text)
    report.heading("Summary")
    rows = []
    for name, r in study.results.items():
        levers, uncertain = _split(study, r.indices) if r.indices is not None else ([], [])
        noise = r.noise.get("of_mean", math.nan) if r.noise else math.nan
        rows.append({"output": name,
                     "strongest levers": strongest_levers(study, r),
                     "uncertainties (context)": "" if r.indices is None else ", ".join(
                         map(study.label, list(_resolved(uncertain).index[:2]))),
                     "noise share": "" if math.isnan(noise) else f"{noise:.1%}",
                     "check": re.split("[:;(]", r.verdict or r.skipped)[0].strip(), "warnings": len(r.warnings)})
    report.table(pd.DataFrame(rows))
    n_warn = sum(len(r.warnings) for r in study.results.values())
    report.paragraph("**No warnings**: N and R look large enough for this ranking." if n_warn == 0 else
                     f"**{_plural(n_warn, 'warning')}** below: read before trusting the ranking.")
    if kept is not None:
        report.paragraph(f"Screening keeps {len(kept)} of {study.problem['num_vars']} factors for the Sobol' stage "
                         f"({KEEP_RULE}); written to `{KEPT_FILE}`, which `keep: {{from_screening: ...}}` reads:")
        report.table(pd.DataFrame([{"factor": f"`{f}`", "role": study.role(f), "why": why} for f, why in kept.items()]))
    if "heatmap" in files:
        report.figure(out / files["heatmap"], "Which lever moves which output (levers first, then uncertainties; "
                                              "faded: cannot be told from replicate noise).")
        report.figure(out / files["indices"], "Indices per output." if study.method != "morris" else
                      "Morris mu* against sigma per output (orange: sigma above noise alone; hollow: mu* not clear "
                      "of noise; grey band: noise floor).")
    report.heading("By output")
    for name, result in study.results.items():
        _output_section(report, study, name, result)
    report.heading("How the indices are computed")
    report.bullets(_rules(study))
    report.heading("Files")
    report.bullets([f"`{v}`: {FILES.get(k, k)}" for k, v in sorted(files.items(), key=lambda kv: kv[1])])
    return report


def below_resolution(study) -> dict[str, dict]:
    """Per output: the emulator's resolution u and the factors below it with their upper bounds."""
    found = {}
    for name, r in study.results.items():
        if r.emulator is None or r.indices is None:
            continue
        below = r.indices[r.indices["below_resolution"].astype(bool)]
        found[name] = {"resolution": r.emulator.resolution,
                       "factors": {f: {"S1_upper": float(row["S1_upper"]), "ST_upper": float(row["ST_upper"])}
                                   for f, row in below.iterrows()}}
    return found


def write_report(study, out_dir: str | Path, provenance: dict | None = None, experiment=None) -> dict[str, str]:
    """Write every table, plot and the report into `out_dir` (and, for a Morris screening of an
    experiment, `kept.yaml`); returns what was written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = {"rankings": "rankings.csv", "runs": "runs.csv", "design": "design.csv", "noise": "noise_convergence.csv",
             "heatmap": "heatmap.png", "indices": "morris_mu_sigma.png" if study.method == "morris" else
             "sobol_indices.png", "heat_table": "heatmap.csv", "report": "report.md", "html": "report.html"}
    ranking = study.ranking()
    ranking.to_csv(out / files["rankings"], index=False)
    for name in study.results:
        if study.results[name].indices is not None:
            files[f"ranking {name}"] = f"ranking_{name}.csv"
            ranking[ranking["output"] == name].to_csv(out / files[f"ranking {name}"], index=False)
        if study.results[name].pairs is not None:
            files[f"S2 {name}"] = f"s2_{name}.csv"
            study.results[name].pairs.to_csv(out / files[f"S2 {name}"], index=False)
    study.runs.to_csv(out / files["runs"], index=False)
    pd.DataFrame(study.X, columns=study.problem["names"]).rename_axis("row").to_csv(out / files["design"])
    pd.DataFrame([{"output": k, **r.noise, "noise_floor": r.noise_floor, "verdict": r.verdict,
                   "top_half": ";".join(r.top_half), "top_full": ";".join(r.top_full),
                   "max_change": r.max_change, "warnings": " | ".join(r.warnings), "skipped": r.skipped,
                   **({"q2": r.emulator.q2, "q2_se": r.emulator.q2_se, "q2_raw": r.emulator.q2_raw,
                         "emulator_noise_var": r.emulator.noise_var, "emulator_resolution": r.emulator.resolution}
                      if r.emulator is not None else {})}
                  for k, r in study.results.items()]).to_csv(out / files["noise"], index=False)
    heat_table(study).to_csv(out / files["heat_table"])
    if any(r.indices is not None for r in study.results.values()):
        plot_heatmap(study, out / files["heatmap"])
        (plot_morris if study.method == "morris" else plot_sobol)(study, out / files["indices"])
    else:  # nothing analysed: no plots (the report says why for each output)
        del files["heatmap"], files["indices"]
    kept = kept_factors(study) if study.method == "morris" else None
    if kept is not None and experiment is not None:
        write_kept(out, experiment, kept, KEEP_RULE)
        files["kept"] = KEPT_FILE
    files["summary"] = "summary.json"
    from innosim.analysis.trust import trust_paragraphs

    base = (provenance or {}).get("base_scenario")
    trust = trust_paragraphs(base, study.settings.get("scale")) if base else None
    build_report(study, files, out, trust, kept).write(out)
    summary = {"experiment": study.name, "method": study.method, "n": study.n, "replicates": study.replicates,
               "factors": study.problem["names"], "roles": {f: study.role(f) for f in study.problem["names"]},
               "outputs": study.outputs, "batch": study.batch, "settings": study.settings,
               "provenance": provenance or {}, "top": {k: r.top_full for k, r in study.results.items()},
               "verdicts": {k: r.verdict or r.skipped for k, r in study.results.items()},
               "warnings": {k: r.warnings for k, r in study.results.items()}}
    if study.method == "emulator":
        summary["below_resolution"] = below_resolution(study)
    if kept is not None:
        summary["keep"] = list(kept)
    write_json_atomic(out / "summary.json", summary)
    return files
