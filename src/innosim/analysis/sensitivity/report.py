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
from innosim.analysis.sensitivity.kept import KEEP_RULE, KEPT_FILE, kept_factors, write_kept
from innosim.analysis.sensitivity.plots import heat_table, plot_heatmap, plot_morris, plot_sobol
from innosim.analysis.sensitivity.resolution import NEGLIGIBLE
from innosim.analysis.sensitivity.wording import _rules_zh, check_words, kept_words

FILES = {"rankings": "every output's indices, one row per factor", "runs": "every run's outputs",
         "design": "the design (one row per point, as sampled)", "noise": "noise, noise floor and checks per output",
         "heatmap": "the heat map", "indices": "the indices per output", "heat_table": "the heat map's numbers",
         "report": "this report", "html": "this report as one self-contained page", "summary": "the summary, as JSON",
         "kept": "the factors kept for the Sobol' stage, with the base scenario's hash and the factor definitions"}
BELOW_RESOLUTION = "below the emulator's resolution"  #: its Chinese in i18n/zh.yaml (text:)
TITLES = {"morris": "Morris screening", "sobol": "Sobol' indices",
          "emulator": "Sobol' indices on a Gaussian-process emulator"}


def _t(study) -> Labels:
    """The study's language (`settings["lang"]`, set by `innosim sensitivity --lang`; else English)."""
    return Labels(study.settings.get("lang", "en"))


def _plural(count: int, word: str, many: str | None = None, t: Labels | None = None) -> str:
    if t is not None and t.chinese:
        return f"{count} {t.text(word)}"
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
    t = _t(study)
    if first[0] >= 0.95:
        return t.say("{name} ranks first among the levers in {share:.0%} of bootstrap resamples.",
                     name=f"{name[0].upper()}{name[1:]}", share=first[0])
    runner = levers.index[1 + int(np.argmax(first[1:]))]
    return t.say("The lead among the levers is not settled: {name} ranks first in {share:.0%} of bootstrap "
                 "resamples, {runner} in {runner_share:.0%}.", name=name, share=first[0], runner=study.label(runner),
                 runner_share=first[list(levers.index).index(runner)])


def unresolved(row) -> bool:
    """True for a factor below the emulator's resolution (its indices are upper bounds)."""
    return _flag(row.get("below_resolution")) is True


def resolution_label(study) -> str:
    """"below the emulator's resolution" in the study's language (`settings["lang"]`, else English)."""
    return Labels(study.settings.get("lang", "en")).text(BELOW_RESOLUTION)


def bounds_text(row) -> str:
    return f"S1 < {row['S1_upper']:.3f}, ST < {row['ST_upper']:.3f}"


def _ranks_of(row, study) -> str:
    """`ranks 1-2 of 5` (排名 1-2/5)."""
    t = _t(study)
    if t.chinese:
        low, high = row["rank_low"], row["rank_high"]
        ranks = f"{low:.0f}" if low == high else f"{low:.0f}-{high:.0f}"
        return t.say("rank {ranks} of {n}", ranks=ranks, n=study.problem['num_vars'])
    return f"{_ranks(row['rank_low'], row['rank_high'])} of {study.problem['num_vars']}"


def _factor_text(study, factor: str, row) -> str:
    t = _t(study)
    if study.method == "morris":
        direction = "raises it" if row["mu"] > 0.5 * row["mu_star"] else (
            "lowers it" if row["mu"] < -0.5 * row["mu_star"] else "effects of both signs")
        if study.kinds.get(factor) == "choice":
            direction = {"raises it": "later options raise it", "lowers it": "later options lower it"}.get(
                direction, direction)
        shape = t.text(", non-linear or interacting") if _flag(row.get("interacting")) else ""
        return t.say("{factor} (mu* = {mu_star} +/- {conf}, {ranks}; {direction}{shape}{noise})",
                     factor=study.label(factor), mu_star=_num(row['mu_star']), conf=_num(row['mu_star_conf']),
                     ranks=_ranks_of(row, study), direction=t.text(direction), shape=shape,
                     noise=_noise_note(row, t))
    return t.say("{factor} (ST = {st:.2f} +/- {st_conf:.2f}, S1 = {s1:.2f} +/- {s1_conf:.2f}, {ranks}{noise})",
                 factor=study.label(factor), st=row['ST'], st_conf=row['ST_conf'], s1=row['S1'],
                 s1_conf=row['S1_conf'], ranks=_ranks_of(row, study), noise=_noise_note(row, t))


def _noise_note(row, t: Labels | None = None) -> str:
    return (t or Labels("en")).text("; not clear of noise") if _flag(row["above_noise"]) is False else ""


def strongest_levers(study, result, k: int = 3) -> str:
    """The k strongest levers of an output that stand clear of noise, in words."""
    t = _t(study)
    if result.indices is None:
        return t.text("not analysed")
    levers, _ = _split(study, result.indices)
    clear = [f for f in levers.index[:k] if _flag(levers.at[f, "above_noise"]) is not False]
    if not clear:
        return t.text("none clear of noise")
    rest = t.text(" (the others not clear of noise)") if len(clear) < min(k, len(levers)) else ""
    return t.text(", ").join(map(study.label, clear)) + rest


def _resolved(table: pd.DataFrame) -> pd.DataFrame:
    """The factors with an index: not below an emulator's resolution (those have bounds only)."""
    return table[~table["below_resolution"].astype(bool)] if "below_resolution" in table else table


def _leader_text(study, result) -> str:
    every_lever, every_uncertainty = _split(study, result.indices)
    levers, uncertain = _resolved(every_lever), _resolved(every_uncertainty)
    t = _t(study)
    text = ""
    if len(levers):
        text = (t.say("The levers that matter most are {factors}. ", factors=t.text("; ").join(
            _factor_text(study, f, r) for f, r in levers.head(3).iterrows())) + _lever_certainty(study, result, levers))
    elif len(every_lever):
        text = t.text("Every lever is below the emulator's resolution: its indices are upper bounds only (below).")
    if len(uncertain):
        text += t.say(" For context, the strongest behavioural uncertainties: {factors}.", factors=t.text("; ").join(
            _factor_text(study, f, r) for f, r in uncertain.head(2).iterrows()))
    return text.strip()


def _shape(row, t: Labels | None = None) -> str:
    t = t or Labels("en")
    flag = _flag(row.get("interacting"))
    if flag is None:
        return t.text("n/a (one replicate)")
    return (t.say("non-linear or interacting (p = {p:.2g})", p=row['sigma_p']) if flag else
            t.say("as noise alone (p = {p:.2g})", p=row['sigma_p']))


def _factor_table(study, table: pd.DataFrame) -> pd.DataFrame:
    t = _t(study)
    rows = []
    for rank, (factor, row) in enumerate(table.iterrows(), start=1):
        clear = {None: "–", True: t.text("yes"), False: t.text("no")}[_flag(row["above_noise"])]
        entry = {"#": rank, t.text("factor"): study.label(factor)}
        if study.kinds:
            entry[t.text("kind")] = t.text(study.kinds.get(factor, ""))
        if study.method == "morris":
            entry |= {"mu*": f"{fmt(row['mu_star'])} ± {fmt(row['mu_star_conf'], 2)}", "mu": fmt(row["mu"]),
                      "sigma": fmt(row["sigma"]), t.text("sigma of noise"): fmt(row["sigma_noise"]),
                      t.text("spread of effects"): _shape(row, t)}
        elif unresolved(row):
            entry |= {"ST": f"< {row['ST_upper']:.3f}", "S1": f"< {row['S1_upper']:.3f}"}
            clear = resolution_label(study)
        else:
            entry |= {"ST": f"{row['ST']:.3f} ± {row['ST_conf']:.3f}", "S1": f"{row['S1']:.3f} ± {row['S1_conf']:.3f}"}
        ranks = (_ranks(row["rank_low"], row["rank_high"]) if not t.chinese else
                 f"{row['rank_low']:.0f}" if row["rank_low"] == row["rank_high"] else
                 f"{row['rank_low']:.0f}-{row['rank_high']:.0f}")
        entry |= {t.text("ranks (all)"): ranks, t.text("clear of noise"): clear}
        rows.append(entry)
    return pd.DataFrame(rows)


def _noise_text(study, result) -> str:
    t = _t(study)
    noise = result.noise
    if math.isnan(noise.get("of_mean", math.nan)):
        return t.text("Replicate noise could not be measured (one replicate).")
    text = t.say("Replicate noise is {of_mean:.1%} of the variance of the replicate means "
                 "({of_single_run:.1%} of a single run's).", of_mean=noise['of_mean'],
                 of_single_run=noise['of_single_run'])
    if study.method == "emulator":
        fitted = result.emulator
        return text + (t.say(" The emulator's white-noise term puts one run's noise variance at {noise_var} "
                             "(replicates: {within}); its indices are of the mean, without it. ",
                             noise_var=_num(fitted.noise_var), within=_num(noise['within_var']))
                       + _resolution_text(study, result)).rstrip()
    column = "mu*" if study.method == "morris" else "ST"
    clear = [study.label(f) for f, v in result.indices.sort_values("rank")["above_noise"].items()
             if v is not pd.NA and bool(v)]
    floors = result.indices["noise_floor"]
    floor = _num(floors.max()) if floors.min() == floors.max() else f"{_num(floors.min())}-{_num(floors.max())}"
    return (t.say("{text} {clear} of {factors} factors stand clear of noise ({column} minus its "
                  "interval above the noise floor {floor}, the {column} of a factor that does nothing)", text=text,
                  clear=len(clear), factors=len(result.indices), column=column, floor=floor)
            + (f"{t.text(': ')}{t.text(', ').join(clear)}{t.text('.')}" if clear else t.text(".")))


def _resolution_text(study, result) -> str:
    """What the emulator cannot resolve, and which factors that leaves with bounds only."""
    fitted = result.emulator
    if result.indices is None or math.isnan(fitted.resolution):
        return ""
    t = _t(study)
    text = t.say("The emulator misses up to {resolution:.3f} of the output's variance (1 - Q2 at its upper "
                 "confidence limit): no factor it cannot see carries more.", resolution=fitted.resolution)
    below = result.indices[result.indices["below_resolution"].astype(bool)]
    if not len(below):
        return text + t.text(" Every factor is resolved.")
    return text + t.say(" {count} {below} (the ST interval "
                        "reaches below {negligible:g}, as it does for a factor whose length scale is at its bound), "
                        "with upper bounds: {bounds}.",
                        count=_plural(len(below), 'factor is', 'factors are') if not t.chinese else len(below),
                        below=resolution_label(study), negligible=NEGLIGIBLE, bounds=t.text("; ").join(
                            f"{study.label(f)} ({bounds_text(row)})" for f, row in below.iterrows()))


def _output_section(report: Report, study, name: str, result) -> None:
    t = _t(study)
    report.heading(f"{name} = {study.outputs[name]}", level=3)
    if result.skipped:
        report.paragraph(t.say("Not analysed: {why}.", why=check_words(result.skipped, t)))
        if result.emulator is not None:
            report.paragraph(_noise_text(study, result))
        return
    report.paragraph(_leader_text(study, result))
    levers, uncertain = _split(study, result.indices)
    if len(levers):
        report.table(_factor_table(study, levers), caption=t.text("Policy levers, ranked"))
    if len(uncertain):
        report.table(_factor_table(study, uncertain), caption=t.text("Behavioural uncertainties (context)"))
    report.paragraph(_noise_text(study, result))
    if study.method == "emulator":
        report.paragraph(t.say("Check: {verdict}.", verdict=check_words(result.verdict, t)))
    else:
        report.paragraph(t.say("Convergence (N/2 = {half} against N = {n}): {verdict}; top ranks "
                               "at N/2: {top_half}; at N: {top_full}.", half=study.n // 2, n=study.n,
                               verdict=check_words(result.verdict, t),
                               top_half=t.text(", ").join(map(study.label, result.top_half)),
                               top_full=t.text(", ").join(map(study.label, result.top_full))))
    if result.pairs is not None and len(result.pairs):
        top = result.pairs.sort_values("S2", ascending=False).head(3)
        report.paragraph(t.text("Strongest pairwise interactions (S2): ") + t.text("; ").join(
            f"{study.label(r.factor)} x {study.label(r.other)} ({r.S2:.2f} +/- {r.S2_conf:.2f})"
            for r in top.itertuples()) + t.text("."))
    for w in result.warnings:
        report.paragraph(t.say("**Warning:** {warning}.", warning=check_words(w, t)))


def _rules(study) -> list[str]:
    t = _t(study)
    if t.chinese:
        return _rules_zh(study, t)
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
    t = _t(study)
    size = {"morris": t.say("{n} trajectories", n=study.n), "sobol": f"N = {study.n}",
            "emulator": t.text("a space-filling design")}[study.method]
    b = study.batch
    roles = [study.role(f) for f in study.problem["names"]]
    report = Report(t.say("Sensitivity of innosim outputs: {name} ({method})", name=study.name,
                          method=t.text(TITLES[study.method])), lang="zh-CN" if t.chinese else "en")
    levers = roles.count("lever")
    report.paragraph(t.say(
        "{factors} ({levers}, {uncertainties}), {outputs}, {size}, {replicates} per point; "
        "{points} design points, {distinct} distinct runs ({ran} run now, {stored} already stored). Intervals are "
        "{confidence:.0%} bootstrap intervals. Levers are ranked; uncertainties are shown as context.",
        factors=_plural(len(roles), 'factor', t=t), levers=_plural(levers, 'policy lever', t=t),
        uncertainties=_plural(len(roles) - levers, 'behavioural uncertainty', 'behavioural uncertainties', t=t),
        outputs=_plural(len(study.outputs), 'output', t=t), size=size,
        replicates=_plural(study.replicates, 'replicate', t=t), points=len(study.X),
        distinct=b.get('distinct_runs', len(study.runs)), ran=b.get('ran', 0), stored=b.get('stored_before', 0),
        confidence=study.settings['confidence']))
    if study.kept_from:
        report.paragraph(t.say("The factors are those the Morris screening kept (`{kept}`), checked to come "
                               "from the same base scenario and factor definitions.", kept=_shown(study.kept_from)))
    if trust:
        report.heading(t.text("How far to trust this"))
        for text in trust:
            report.paragraph(text)
    report.heading(t.text("Summary"))
    rows = []
    for name, r in study.results.items():
        levers, uncertain = _split(study, r.indices) if r.indices is not None else ([], [])
        noise = r.noise.get("of_mean", math.nan) if r.noise else math.nan
        check = re.split("[:;(]", r.verdict or r.skipped)[0].strip()
        rows.append({t.text("output"): name,
                     t.text("strongest levers"): strongest_levers(study, r),
                     t.text("uncertainties (context)"): "" if r.indices is None else t.text(", ").join(
                         map(study.label, list(_resolved(uncertain).index[:2]))),
                     t.text("noise share"): "" if math.isnan(noise) else f"{noise:.1%}",
                     t.text("check"): check_words(check, t), t.text("warnings"): len(r.warnings)})
    report.table(pd.DataFrame(rows))
    n_warn = sum(len(r.warnings) for r in study.results.values())
    report.paragraph(t.text("**No warnings**: N and R look large enough for this ranking.") if n_warn == 0 else
                     t.say("**{warnings}** below: read before trusting the ranking.",
                           warnings=_plural(n_warn, 'warning', t=t)))
    if kept is not None:
        report.paragraph(t.say("Screening keeps {kept} of {factors} factors for the Sobol' stage "
                               "({rule}); written to `{file}`, which `keep: {{from_screening: ...}}` reads:",
                               kept=len(kept), factors=study.problem['num_vars'], rule=t.text(KEEP_RULE),
                               file=KEPT_FILE))
        report.table(pd.DataFrame([{t.text("factor"): f"`{f}`", t.text("role"): t.text(study.role(f)),
                                    t.text("why"): kept_words(why, t)} for f, why in kept.items()]))
    if "heatmap" in files:
        report.figure(out / files["heatmap"], t.text("Which lever moves which output (levers first, then "
                                                     "uncertainties; faded: cannot be told from replicate noise)."))
        report.figure(out / files["indices"], t.text("Indices per output.") if study.method != "morris" else
                      t.text("Morris mu* against sigma per output (orange: sigma above noise alone; hollow: mu* not "
                             "clear of noise; grey band: noise floor)."))
    report.heading(t.text("By output"))
    for name, result in study.results.items():
        _output_section(report, study, name, result)
    report.heading(t.text("How the indices are computed"))
    report.bullets(_rules(study))
    report.heading(t.text("Files"))
    report.bullets([f"`{v}`: {_file_words(k, t)}" for k, v in sorted(files.items(), key=lambda kv: kv[1])])
    return report


def _file_words(key: str, t: Labels) -> str:
    """What a file holds (`FILES`; `ranking y`, `S2 y` for an output's own tables)."""
    if t.chinese and key.startswith(("ranking ", "S2 ")):
        what, _, output = key.partition(" ")
        return t.say("ranking {output}" if what == "ranking" else "S2 {output}", output=output)
    return t.text(FILES.get(key, key))



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
    trust = trust_paragraphs(base, study.settings.get("scale"), Labels(study.settings.get("lang", "en"))) \
        if base else None
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
