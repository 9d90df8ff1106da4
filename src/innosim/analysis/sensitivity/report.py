"""What a sensitivity study leaves on disk: tables, plots and a report in sentences.

The report says, for each output, which levers matter most with their confidence intervals, how
sure the ranking is (bootstrap rank intervals, the N/2-against-N convergence check), how much of
the variance is replicate noise, and warns in plain words when N or R is too small.
"""

from __future__ import annotations

import html
import math
import re
from pathlib import Path

import pandas as pd

from innosim.io import write_json_atomic, write_text_atomic

from innosim.analysis.sensitivity.plots import heat_table, plot_heatmap, plot_morris, plot_sobol

KEEP_SHARE = 0.1  #: screening keeps a factor whose mu* reaches this share of an output's largest mu*


def _num(x: float) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.3g}"


def _ranks(low: float, high: float) -> str:
    return f"rank {low:.0f}" if low == high else f"ranks {low:.0f}-{high:.0f}"


def _below_noise(flag) -> bool:
    """True where a factor's index cannot be told from noise (False or unknown otherwise)."""
    return flag is not pd.NA and not bool(flag)


def kept_factors(study) -> list[str]:
    """Screening's choice for the Sobol' stage: a factor that is large for some output and above noise."""
    keep = []
    for factor in study.problem["names"]:
        for result in study.results.values():
            t = result.indices
            if t is None or t["mu_star"].max() <= 0:
                continue
            big = t.at[factor, "mu_star"] >= KEEP_SHARE * t["mu_star"].max()
            if big and not _below_noise(t.at[factor, "above_noise"]):
                keep.append(factor)
                break
    return keep


def _leader_text(study, result) -> str:
    t = result.indices.sort_values("rank", kind="stable")
    parts = []
    for factor, row in t.head(3).iterrows():
        if study.method == "morris":
            direction = "raises it" if row["mu"] > 0.5 * row["mu_star"] else (
                "lowers it" if row["mu"] < -0.5 * row["mu_star"] else "effects of both signs")
            shape = ", non-linear or interacting" if row["sigma"] > row["mu_star"] else ""
            parts.append(f"{study.label(factor)} (mu* = {_num(row['mu_star'])} +/- {_num(row['mu_star_conf'])}, "
                         f"{_ranks(row['rank_low'], row['rank_high'])}; {direction}{shape})")
        else:
            parts.append(f"{study.label(factor)} (ST = {row['ST']:.2f} +/- {row['ST_conf']:.2f}, "
                         f"S1 = {row['S1']:.2f} +/- {row['S1_conf']:.2f}, {_ranks(row['rank_low'], row['rank_high'])})")
    first, name = t.iloc[0], study.label(t.index[0])
    if first["p_first"] >= 0.95:
        sure = f"{name[0].upper()}{name[1:]} ranks first in {first['p_first']:.0%} of bootstrap resamples."
    else:
        runner = t.iloc[1:]["p_first"].idxmax() if len(t) > 1 else t.index[0]
        sure = (f"The lead is not settled: {name} ranks first in {first['p_first']:.0%} of bootstrap resamples, "
                f"{study.label(runner)} in {t.at[runner, 'p_first']:.0%}.")
    return f"The levers that matter most are {'; '.join(parts)}. {sure}"


def _policy_text(study) -> str:
    """Planners' view: the strongest policy lever for each output, behavioural parameters aside."""
    parts = []
    for name, result in study.results.items():
        t = result.indices
        levers = t[t.index.str.startswith("policy.")] if t is not None else None
        if levers is None or levers.empty:
            continue
        factor = levers["rank"].idxmin()
        noise = ", not clear of noise" if _below_noise(levers.at[factor, "above_noise"]) else ""
        parts.append(f"{name}: {study.label(factor)} (rank {levers.at[factor, 'rank']} of {len(t)}{noise})")
    return ("Policy levers only (behavioural parameters aside), the strongest for each output: "
            + "; ".join(parts) + ".") if parts else ""


def _output_blocks(study, name: str, result) -> list:
    blocks: list = [("h3", f"{name} = {study.outputs[name]}")]
    if result.skipped:
        return [*blocks, ("p", f"Not analysed: {result.skipped}.")]
    noise = result.noise
    noise_text = ("Replicate noise could not be measured (one replicate)." if math.isnan(noise["of_mean"]) else
                  f"Replicate noise is {noise['of_mean']:.1%} of the variance of the replicate means "
                  f"({noise['of_single_run']:.1%} of a single run's).")
    column = "mu*" if study.method == "morris" else "ST"
    clear = [study.label(f) for f, v in result.indices.sort_values("rank")["above_noise"].items()
             if v is not pd.NA and bool(v)]
    floor = "" if math.isnan(result.noise_floor) else (
        f"{len(clear)} of {len(result.indices)} factors {'stands' if len(clear) == 1 else 'stand'} clear of noise ({column} minus its interval above "
        f"the noise floor {_num(result.noise_floor)}, the {column} of a factor that does nothing)"
        + (f": {', '.join(clear)}." if clear else "."))
    blocks += [("p", _leader_text(study, result)), ("p", f"{noise_text} {floor}"),
               ("p", f"Convergence (N/2 = {study.n // 2} against N = {study.n}): {result.verdict}; top ranks at "
                     f"N/2: {', '.join(map(study.label, result.top_half))}; at N: "
                     f"{', '.join(map(study.label, result.top_full))}.")]
    if result.pairs is not None and len(result.pairs):
        top = result.pairs.sort_values("S2", ascending=False).head(3)
        blocks.append(("p", "Strongest pairwise interactions (S2): " + "; ".join(
            f"{study.label(r.factor)} x {study.label(r.other)} ({r.S2:.2f} +/- {r.S2_conf:.2f})"
            for r in top.itertuples()) + "."))
    blocks += [("p", f"**Warning:** {w}.") for w in result.warnings]
    return blocks


def report_blocks(study, files: dict[str, str], trust: list[str] | None = None) -> list:
    method = "Morris screening" if study.method == "morris" else "Sobol' indices"
    size = f"{study.n} trajectories" if study.method == "morris" else f"N = {study.n}"
    b = study.batch
    blocks: list = [
        ("h1", f"Sensitivity of innosim outputs: {study.name} ({method})"),
        ("p", f"{study.problem['num_vars']} factors, {len(study.outputs)} outputs, {size}, {study.replicates} "
              f"replicates per point; {len(study.X)} design points, {b.get('distinct_runs', len(study.runs))} distinct "
              f"runs ({b.get('ran', 0)} run now, {b.get('stored_before', 0)} already stored). Indices are computed on "
              f"the replicate means; intervals are {study.settings['confidence']:.0%} bootstrap intervals "
              f"({study.settings['resamples']} resamples)."),
    ]
    if trust:
        blocks.append(("h2", "How far to trust this"))
        blocks += [("p", text) for text in trust]
    blocks.append(("h2", "Summary"))
    rows = []
    for name, r in study.results.items():
        top = "not analysed" if r.indices is None else ", ".join(map(study.label, r.top_full))
        noise = "" if r.indices is None or math.isnan(r.noise["of_mean"]) else f"{r.noise['of_mean']:.1%}"
        rows.append({"output": name, "most influential": top, "noise share": noise,
                     "convergence": re.split("[:;]", r.verdict)[0], "warnings": len(r.warnings)})
    blocks.append(("table", pd.DataFrame(rows)))
    blocks.append(("p", _policy_text(study)))
    n_warn = sum(len(r.warnings) for r in study.results.values())
    blocks.append(("p", "**No warnings**: N and R look large enough for this ranking." if n_warn == 0 else
                   f"**{n_warn} warnings** below: read them before trusting the ranking."))
    if study.method == "morris":
        keep = kept_factors(study)
        blocks += [("p", f"Screening keeps {len(keep)} of {study.problem['num_vars']} factors (mu* at least "
                         f"{KEEP_SHARE:.0%} of an output's largest and above the noise floor) for the Sobol' stage:"),
                   ("code", "keep:\n" + "".join(f"  - {k}\n" for k in keep))]
    blocks += [("img", files["heatmap"], "heat map of levers x outputs"),
               ("img", files["indices"], "indices per output"), ("h2", "By output")]
    for name, result in study.results.items():
        blocks += _output_blocks(study, name, result)
    blocks += [("h2", "Files"), ("ul", [f"{k}: {v}" for k, v in sorted(files.items())])]
    return blocks


def _md_table(table: pd.DataFrame) -> str:
    cells = [[str(c) for c in table.columns]] + [[str(v) for v in row] for row in table.itertuples(index=False)]
    lines = ["| " + " | ".join(r) + " |" for r in cells]
    lines.insert(1, "|" + "---|" * len(table.columns))
    return "\n".join(lines)


def render_markdown(blocks: list) -> str:
    out = []
    for kind, *content in blocks:
        if kind in ("h1", "h2", "h3"):
            out.append("#" * int(kind[1]) + " " + content[0])
        elif kind == "p":
            out.append(content[0])
        elif kind == "table":
            out.append(_md_table(content[0]))
        elif kind == "code":
            out.append("```yaml\n" + content[0] + "```")
        elif kind == "img":
            out.append(f"![{content[1]}]({content[0]})")
        elif kind == "ul":
            out.append("\n".join(f"- {item}" for item in content[0]))
    return "\n\n".join(out) + "\n"


def _inline(text: str) -> str:
    parts = html.escape(text).split("**")
    return "".join(f"<b>{p}</b>" if i % 2 else p for i, p in enumerate(parts))


def render_html(blocks: list, title: str) -> str:
    body = []
    for kind, *content in blocks:
        if kind in ("h1", "h2", "h3"):
            body.append(f"<{kind}>{html.escape(content[0])}</{kind}>")
        elif kind == "p":
            body.append(f"<p>{_inline(content[0])}</p>")
        elif kind == "table":
            body.append(content[0].to_html(index=False, escape=True, border=0))
        elif kind == "code":
            body.append(f"<pre>{html.escape(content[0])}</pre>")
        elif kind == "img":
            body.append(f'<img src="{html.escape(content[0])}" alt="{html.escape(content[1])}" style="max-width:100%">')
        elif kind == "ul":
            body.append("<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in content[0]) + "</ul>")
    style = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;line-height:1.45}"
             "table{border-collapse:collapse}td,th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:left}")
    return (f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{style}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")


def write_report(study, out_dir: str | Path, provenance: dict | None = None) -> dict[str, str]:
    """Write every table, plot and the report into `out_dir`; returns what was written."""
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
                   "max_change": r.max_change, "warnings": " | ".join(r.warnings), "skipped": r.skipped}
                  for k, r in study.results.items()]).to_csv(out / files["noise"], index=False)
    heat_table(study).to_csv(out / files["heat_table"])
    plot_heatmap(study, out / files["heatmap"])
    (plot_morris if study.method == "morris" else plot_sobol)(study, out / files["indices"])
    from innosim.analysis.trust import trust_paragraphs

    base = (provenance or {}).get("base_scenario")
    blocks = report_blocks(study, files, trust_paragraphs(base, study.settings.get("scale")) if base else None)
    write_text_atomic(out / files["report"], render_markdown(blocks))
    write_text_atomic(out / files["html"], render_html(blocks, f"{study.name} {study.method}"))
    summary = {"experiment": study.name, "method": study.method, "n": study.n, "replicates": study.replicates,
               "factors": study.problem["names"], "outputs": study.outputs, "batch": study.batch,
               "settings": study.settings, "provenance": provenance or {},
               "top": {k: r.top_full for k, r in study.results.items()},
               "verdicts": {k: r.verdict or r.skipped for k, r in study.results.items()},
               "warnings": {k: r.warnings for k, r in study.results.items()}}
    if study.method == "morris":
        summary["keep"] = kept_factors(study)
    write_json_atomic(out / "summary.json", summary)
    files["summary"] = "summary.json"
    return files
