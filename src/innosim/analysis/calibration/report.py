"""The fit report: every target with its interval and verdict, the misses and what they mean,
identifiability, and the stylised facts with a verdict each. Reads tables only."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from innosim.analysis.calibration.plots import plot_bunching, plot_fit, plot_growth, plot_history, plot_profiles, plot_size
from innosim.analysis.report import Report, fmt, fmt_interval
from innosim.i18n import Labels


def stylised_verdicts(stats: pd.DataFrame) -> dict[str, str]:
    """One line per stylised fact from replicate means of its statistics (`STYLISED_STATS`)."""
    m = stats.mean()
    skew, alpha = m["size_skewness"], m["size_pareto_alpha"]
    kurt, gain = m["growth_excess_kurtosis"], m["growth_laplace_gain"]
    bunch = m["rd_bunching"]
    size = ("reproduced" if skew > 1 else "not reproduced") + \
        f": sizes are right-skewed (skewness {skew:.1f}), Pareto tail exponent {alpha:.2f} " \
        f"({'near' if 0.8 <= alpha <= 1.5 else 'thinner than'} Zipf's 1; Axtell 2001). Most of it is the " \
        "lognormal initial population: four years of dynamics reshape it little."
    growth = ("reproduced" if kurt > 1 and gain > 0 else "not reproduced") + \
        f": excess kurtosis {kurt:.2f} and Laplace log-likelihood gain {gain:+.3f} per firm over a normal " \
        "(a Laplace law needs kurtosis near 3 and a positive gain). The model's growth comes from many " \
        "small lognormal shocks and rare innovations, which add up to a near-normal law; lumpier " \
        "innovation steps would fatten the tails."
    rd = ("reproduced" if bunch > 1 else "not reproduced") + \
        f": {bunch + 1:.1f} times as many firms as a smooth density predicts sit within 0.5 points above " \
        "their size band's threshold (Chen, Liu, Suarez Serrato & Xu 2021 find sharp bunching). By " \
        "construction: firms plan R&D just above the threshold when the status is worth it."
    return {"Firm size distribution": size, "Growth-rate distribution": growth,
            "R&D intensity at the HNTE thresholds": rd}


def _band(row) -> str:
    if row.get("weight", 0) == 0 and row["verdict"] == "not modelled":
        return "–"
    return f"{fmt(row['band_low'])} – {fmt(row['band_high'])}"


def _lever(profile: pd.DataFrame, target: str) -> str:
    """Which free parameter moves a target most along the profiles, and how far."""
    column = f"z:{target}"
    if column not in profile.columns:
        return ""
    spans = profile[profile["parameter"] != "best"].groupby("parameter")[column].agg(["min", "max"])
    if spans.empty:
        return ""
    name = (spans["max"] - spans["min"]).idxmax()
    low, high = spans.loc[name, "min"], spans.loc[name, "max"]
    return (f"Along the profiles `{name}` moves it most (z from {low:+.1f} to {high:+.1f} over its range, the "
            "others at the optimum); the fit settles where that costs other targets more.")


def fit_display(fit: pd.DataFrame, t: Labels | None = None) -> pd.DataFrame:
    t = t or Labels("en")
    rows = []
    for _, row in fit.iterrows():
        modelled = row["verdict"] != "not modelled"
        rows.append({
            t.text("target"): f"`{row['target']}`", t.text("pattern"): row["pattern"],
            t.text("observed"): fmt(row["observed"]),
            t.text("tolerance band"): _band(row) if modelled else "–",
            t.text("simulated mean [95 % of replicates]"): fmt_interval(row["mean"], row["low"], row["high"])
            if modelled else "–",
            "z": f"{row['z']:+.2f}" if modelled and not math.isnan(row["z"]) else "–",
            t.text("verdict"): f"**{t.text(row['verdict'])}**" if row["verdict"].startswith("missed")
            else t.text(row["verdict"]),
        })
    return pd.DataFrame(rows)


def build_report(result: dict, fit: pd.DataFrame, history: pd.DataFrame, profile: pd.DataFrame,
                 ident: pd.DataFrame, stylised: pd.DataFrame, snapshot: pd.DataFrame, notes: dict[str, str],
                 meanings: dict[str, str], out_dir: Path, horizon: pd.DataFrame | None = None,
                 labels: Labels | None = None) -> Report:
    """Assemble the report and draw its figures into `out_dir`."""
    t = labels or Labels("en")
    if t.chinese:
        return _build_report_zh(result, fit, history, profile, ident, stylised, snapshot, notes, meanings, out_dir,
                                horizon, t)
    figures = out_dir / "figures"
    search, dist = result["search"], result["distance"]
    fitted = fit[fit["weight"] > 0]
    met = fitted[fitted["within"].astype(bool)]
    missed = fitted[~fitted["within"].astype(bool)]
    report = Report("Calibration of the baseline to the paper's Jiashan figures, 2015–2018")
    generations = search["generations"]
    report.paragraph(
        f"The baseline policies (`{result['provenance']['scenario_file']}`) run from "
        f"{result['period']['start']} for {result['period']['months']} months. {len(result['parameters'])} free "
        f"behavioural parameters were fitted by differential evolution: {generations} "
        f"generation{'s' if generations != 1 else ''} of {search['population']} parameter sets, "
        f"{search['evaluations']} sets in all, each run {search['replicates']} time"
        f"{'s' if search['replicates'] != 1 else ''} with the same seeds ({search['runs']} runs; with the check, "
        f"profiles and polish the store holds {search['stored_runs']} runs, {search['stored_run_core_minutes']:.0f} "
        f"core-minutes of simulation; this invocation took {search['wall_minutes']:.0f} minutes, reusing stored "
        "runs). Distance at the optimum: "
        f"**{dist['check']:.2f}** over {result['check_replicates']} fresh replicates ({dist['fit']:.2f} on the "
        f"fit's own seeds; at the starting values {dist['start']:.2f} over the same fresh replicates); a "
        "distance of 1 is every target one tolerance off. Small changes of a parameter change the random "
        "path of a run, so the distance is noisy at the scale of one target's noise even with common seeds.")
    report.paragraph(f"**{len(met)} of {len(fitted)} fitted targets are met** "
                     f"({', '.join(f'`{t}`' for t in met['target']) or 'none'}); **missed: "
                     f"{', '.join(f'`{t}`' for t in missed['target']) or 'none'}**.")

    report.heading("Every target")
    report.table(fit_display(fit))
    report.figure(plot_fit(fit, figures / "fit.png"), "Simulated against observed, per target")
    report.heading("What the misses mean", 3)
    bullets = []
    for _, row in fit.iterrows():
        if row["verdict"] == "not modelled":
            bullets.append(f"`{row['target']}` is not modelled: {notes.get(row['target'], '')}.")
        elif not row["within"]:
            side = "above" if row["z"] > 0 else "below"
            bullets.append(f"`{row['target']}`: simulated {fmt(row['mean'])}, {side} the band "
                           f"{fmt(row['band_low'])}–{fmt(row['band_high'])} (z = {row['z']:+.1f}). "
                           f"{notes.get(row['target'], '')}".strip() + ". " + _lever(profile, row["target"]))
    report.bullets(bullets or ["No fitted target is missed."])
    report.paragraph("Use: the model reproduces the figures marked met, so policy comparisons on those "
                     "indicators start from a baseline that matches Jiashan; for the missed ones, read policy "
                     "effects as changes relative to the baseline, not as levels.", note=True)

    if horizon is not None and len(horizon):
        report.heading("The baseline over the policy horizon", 3)
        shown = horizon.copy()
        for column in shown.columns[2:]:
            shown[column] = [f"{v:+.0%}" if column.endswith("change") else fmt(v) for v in shown[column]]
        report.table(shown, caption="The zone and Jiashan in the baseline scenario over its own horizon, mean of 3 "
                                    "runs (stocks at the end of the first and last year, flows over those years): "
                                    "the fit sees 2015–2019 only, so this checks that the calibrated economy grows "
                                    "over the years policies are compared.")
    report.heading("Parameters and identifiability")
    table = ident.assign(meaning=ident["parameter"].map(meanings))
    report.table(pd.DataFrame({
        "parameter": [f"`{p}`" for p in table["parameter"]],
        "calibrated": [fmt(v, 4) for v in table["value"]],
        "start": [fmt(result["start_values"][p], 4) for p in table["parameter"]],
        "bounds": [f"{fmt(lo)} – {fmt(hi)}" for lo, hi in zip(table["low"], table["high"], strict=True)],
        "identifiability (width)": [f"{v} ({w:.2f})" for v, w in zip(table["identifiability"], table["width"], strict=True)],
        "moves most": [f"`{d}`" for d in table["driver"]],
        "meaning": table["meaning"],
    }))
    allowance = dist["identifiability_allowance"]
    report.paragraph("Width: the share of a parameter's range over which its profile (the distance along it, the "
                     "other parameters at the optimum, the fit's seeds) stays within "
                     f"{allowance:.2f} of its lowest point: the larger of 1/K (K = {len(fitted)} fitted targets: one "
                     "target moving by one tolerance) and twice the noise of the distance itself (its standard "
                     f"deviation over disjoint groups of {search['replicates']} check replicates is "
                     f"{dist['noise_sd']:.2f}). Under 0.25: pinned by the data; above 0.75: the data say little "
                     "about it, and results that depend on it need a sensitivity check. 'Moves most': the target "
                     "whose squared error the parameter's trend changes most.", note=True)
    for step in result.get("polish", []):
        verdict = ("the calibration moved there and profiled again" if step["accepted"]
                   else "fresh replicates did not confirm it, so the calibration stayed")
        report.paragraph(f"Polish: the profiles found a better value of `{step['parameter']}` than the search "
                         f"({fmt(step['from'], 4)} → {fmt(step['to'], 4)}; distance {step['distance_before']:.2f} → "
                         f"{step['distance_after']:.2f} on the fit's seeds, {step['check_before']:.2f} → "
                         f"{step['check_after']:.2f} on {result['check_replicates']} fresh replicates): {verdict} "
                         "(a coordinate step, taken only when it beats the distance's noise and fresh replicates "
                         "confirm it).", note=True)
    report.figure(plot_profiles(profile, ident, allowance, figures / "profiles.png"),
                  "Profiles: distance along each parameter's range (star: calibrated value; shaded: within the "
                  "allowance of the profile's lowest point)")
    report.figure(plot_history(history, figures / "convergence.png"), "Convergence of the search")

    report.heading("Stylised facts")
    verdicts = stylised_verdicts(stylised)
    summary = stylised.agg(["mean", lambda s: s.quantile(0.025), lambda s: s.quantile(0.975)]).T
    summary.columns = ["mean", "low", "high"]
    report.table(pd.DataFrame({"statistic": [f"`{s}`" for s in summary.index],
                               "mean [95 % of replicates]": [fmt_interval(r.mean, r.low, r.high)
                                                             for r in summary.itertuples()]}),
                 caption=f"Over {len(stylised)} runs at the optimum (the first check seeds), all firms at the end of the run.")
    for (title, line), plot, name in zip(verdicts.items(), (plot_size, plot_growth, plot_bunching),
                                         ("size", "growth", "rd_bunching"), strict=True):
        report.heading(title, 3)
        report.paragraph(f"**Verdict: {line}**")
        report.figure(plot(snapshot, figures / f"stylised_{name}.png"), f"{title} (one run at the optimum)")

    report.heading("Reproduce")
    report.paragraph(f"`{result['provenance']['command']}` — seeds from root seed "
                     f"{result['seeds']['root_seed']}; runs are in `{result['provenance']['store']}`, so a rerun "
                     "reuses them and an interrupted fit continues.")
    return report


def build_ensemble_report(data: dict, params: pd.DataFrame, targets: pd.DataFrame, prior: pd.DataFrame,
                          meanings: dict[str, str], labels: Labels | None = None) -> Report:
    """The ensemble's report: how it was made, each parameter's posterior range against its bounds,
    each target's z over the members. Reads tables only."""
    if labels is not None and labels.chinese:
        return _build_ensemble_report_zh(data, params, targets, prior, meanings, labels)
    s = data["settings"]
    n = data["members_count"]
    report = Report("Calibration ensemble of the baseline, 2015–2019: history matching")
    report.paragraph(
        f"**{n} parameter sets are not ruled out by the targets** ({data['method']}; {data['references']}). "
        f"{s['waves']} wave{'s' if s['waves'] != 1 else ''} of {s['points']} sets (a scrambled Latin hypercube, "
        f"seed {s['design_seed']}), each set run {s['replicates']} time{'s' if s['replicates'] != 1 else ''} on "
        f"the same seeds, over {data['period']['months']} months from {data['period']['start']} at scale "
        f"{data['period']['scale']:g}. Implausibility: {s['implausibility']}, z being a target's replicate mean "
        f"against its tolerance band in half-widths; a set is kept when it is at most {s['cutoff']:g}. Each wave "
        f"after the first samples the hull of the previous wave's kept sets, widened by {s['margin']:.0%} of "
        "its width on each side. The members are the last wave's kept sets, equally weighted.")
    if not data["cutoff_met"]:
        report.paragraph(f"**The cutoff was not met**: fewer than {s['min_members']} sets of the last wave have "
                         f"implausibility at most {s['cutoff']:g}, so the ensemble is the {n} sets of lowest "
                         "implausibility. The model misses at least one target everywhere in the bounds; read the "
                         "targets' table for which.", note=False)
    first = prior["implausibility"]
    members = [m["implausibility"] for m in data["members"]]
    report.paragraph(f"Implausibility of the members: {min(members):.2f} to {max(members):.2f}; of the first "
                     f"wave's sets, drawn over the whole bounds: median {first.median():.2f}, lowest "
                     f"{first.min():.2f}. {data['runs']['asked']} runs ({data['runs']['wall_minutes']:.0f} "
                     "minutes of this invocation, reusing stored runs).")
    report.heading("Waves")
    report.table(pd.DataFrame([{"wave": w["wave"], "sets": w["points"], "not ruled out": w["not_ruled_out"],
                                "lowest implausibility": f"{w['implausibility_min']:.2f}",
                                "median": f"{w['implausibility_median']:.2f}"} for w in data["waves"]]))
    report.heading("Parameters")
    report.table(pd.DataFrame({
        "parameter": [f"`{p}`" for p in params["parameter"]],
        "bounds": [f"{fmt(lo)} – {fmt(hi)}" for lo, hi in zip(params["low"], params["high"], strict=True)],
        "min": [fmt(v, 4) for v in params["min"]], "5 %": [fmt(v, 4) for v in params["q05"]],
        "median": [fmt(v, 4) for v in params["median"]], "95 %": [fmt(v, 4) for v in params["q95"]],
        "max": [fmt(v, 4) for v in params["max"]],
        "range / bounds": [f"{v:.0%}" for v in params["share_of_bounds"]],
        "meaning": [meanings.get(p, "") for p in params["parameter"]],
    }), caption="The members' values (weighted quantiles) against the bounds of calibration/parameters.yaml. "
                "A range near 100 % of the bounds: the targets say little about the parameter.")
    report.heading("Targets")
    report.table(pd.DataFrame({
        "target": [f"`{t}`" for t in targets["target"]],
        "z min": [f"{v:+.2f}" for v in targets["z_min"]], "z median": [f"{v:+.2f}" for v in targets["z_median"]],
        "z max": [f"{v:+.2f}" for v in targets["z_max"]],
        "members within tolerance": [f"{v:.0%}" for v in targets["share_within"]],
    }), caption="Each fitted target's z over the members (|z| <= 1: within its tolerance band).")
    best = ", ".join(f"`{k}` {fmt(v, 4)}" for k, v in data["best"].items())
    report.paragraph(f"calibrated.yaml holds the member of lowest distance: {best}.", note=True)
    report.heading("Reproduce")
    report.paragraph(f"`{data['provenance']['command']}` — runs are in `{data['provenance']['store']}`, so a rerun "
                     "reuses them and an interrupted calibration continues; the same command gives the same "
                     "ensemble with any number of --jobs.")
    return report


def _build_ensemble_report_zh(data: dict, params: pd.DataFrame, targets: pd.DataFrame, prior: pd.DataFrame,
                              meanings: dict[str, str], t: Labels) -> Report:
    """The ensemble's report in Chinese: the same paragraphs and tables; the parameters' meanings are the
    calibration file's own words, the references their authors' and journals' names."""
    s = data["settings"]
    n = data["members_count"]
    report = Report(t.text("Calibration ensemble of the baseline, 2015–2019: history matching"), lang="zh-CN")
    rank = s.get("worst_ignored", 0) + 1
    fitted = len(targets)
    worst = (t.say("ensemble: the largest |z| over {n} fitted targets", n=fitted) if rank == 1 else
             t.say("ensemble: the {k}th largest |z| over {n} fitted targets", k=rank, n=fitted))
    report.paragraph(t.say(
        "ensemble: set-up", n=n, method=t.text(data["method"]), references=data["references"], waves=s["waves"],
        points=s["points"], seed=s["design_seed"], replicates=s["replicates"], months=data["period"]["months"],
        start=data["period"]["start"], scale=f"{data['period']['scale']:g}", implausibility=worst,
        cutoff=f"{s['cutoff']:g}", margin=f"{s['margin']:.0%}"))
    if not data["cutoff_met"]:
        report.paragraph(t.say("ensemble: cutoff not met", least=s["min_members"], cutoff=f"{s['cutoff']:g}", n=n),
                         note=False)
    first = prior["implausibility"]
    members = [m["implausibility"] for m in data["members"]]
    report.paragraph(t.say("ensemble: implausibility", low=f"{min(members):.2f}", high=f"{max(members):.2f}",
                           median=f"{first.median():.2f}", lowest=f"{first.min():.2f}", runs=data["runs"]["asked"],
                           minutes=f"{data['runs']['wall_minutes']:.0f}"))
    report.heading(t.text("Waves"))
    report.table(pd.DataFrame([{t.text("wave"): w["wave"], t.text("sets"): w["points"],
                                t.text("not ruled out"): w["not_ruled_out"],
                                t.text("lowest implausibility"): f"{w['implausibility_min']:.2f}",
                                t.text("median"): f"{w['implausibility_median']:.2f}"} for w in data["waves"]]))
    report.heading(t.text("Parameters"))
    report.table(pd.DataFrame({
        t.text("parameter"): [f"`{p}`" for p in params["parameter"]],
        t.text("bounds"): [f"{fmt(lo)} – {fmt(hi)}" for lo, hi in zip(params["low"], params["high"], strict=True)],
        t.text("min"): [fmt(v, 4) for v in params["min"]], "5 %": [fmt(v, 4) for v in params["q05"]],
        t.text("median"): [fmt(v, 4) for v in params["median"]], "95 %": [fmt(v, 4) for v in params["q95"]],
        t.text("max"): [fmt(v, 4) for v in params["max"]],
        t.text("range / bounds"): [f"{v:.0%}" for v in params["share_of_bounds"]],
        t.text("meaning"): [meanings.get(p, "") for p in params["parameter"]],
    }), caption=t.text("ensemble: parameters caption"))
    report.heading(t.text("Targets"))
    report.table(pd.DataFrame({
        t.text("target"): [f"`{x}`" for x in targets["target"]],
        t.text("z min"): [f"{v:+.2f}" for v in targets["z_min"]],
        t.text("z median"): [f"{v:+.2f}" for v in targets["z_median"]],
        t.text("z max"): [f"{v:+.2f}" for v in targets["z_max"]],
        t.text("members within tolerance"): [f"{v:.0%}" for v in targets["share_within"]],
    }), caption=t.text("ensemble: targets caption"))
    best = t.text(", ").join(f"`{k}` {fmt(v, 4)}" for k, v in data["best"].items())
    report.paragraph(t.say("ensemble: calibrated.yaml holds {best}", best=best), note=True)
    report.heading(t.text("Reproduce"))
    report.paragraph(t.say("ensemble: reproduce", command=data["provenance"]["command"],
                           store=data["provenance"]["store"]))
    return report


def _build_report_zh(result, fit, history, profile, ident, stylised, snapshot, notes, meanings, out_dir, horizon,
                     t: Labels) -> Report:
    """The fit report in Chinese: the same tables and figures; targets' notes and parameters' meanings are the
    files' own words."""
    figures = out_dir / "figures"
    search, dist = result["search"], result["distance"]
    fitted = fit[fit["weight"] > 0]
    met = fitted[fitted["within"].astype(bool)]
    missed = fitted[~fitted["within"].astype(bool)]
    report = Report(t.text("Calibration of the baseline to the paper's Jiashan figures, 2015–2018"), lang="zh-CN")
    report.paragraph(t.say(
        "calibration: set-up", scenario=result['provenance']['scenario_file'], start=result['period']['start'],
        months=result['period']['months'], parameters=len(result['parameters']), generations=search["generations"],
        population=search['population'], evaluations=search['evaluations'], replicates=search['replicates'],
        runs=search['runs'], stored=search['stored_runs'], minutes=search['stored_run_core_minutes'],
        wall=search['wall_minutes'], check=dist['check'], check_replicates=result['check_replicates'],
        fit=dist['fit'], start_distance=dist['start']))
    none = t.text("none")
    report.paragraph(t.say("**{met} of {fitted} fitted targets are met** ({met_names}); **missed: {missed_names}**.",
                           met=len(met), fitted=len(fitted),
                           met_names=t.text(", ").join(f"`{x}`" for x in met["target"]) or none,
                           missed_names=t.text(", ").join(f"`{x}`" for x in missed["target"]) or none))
    report.heading(t.text("Every target"))
    report.table(fit_display(fit, t))
    report.figure(plot_fit(fit, figures / "fit.png", t), t.text("Simulated against observed, per target"))
    report.heading(t.text("What the misses mean"), 3)
    bullets = []
    for _, row in fit.iterrows():
        if row["verdict"] == "not modelled":
            bullets.append(t.say("`{target}` is not modelled: {note}.", target=row['target'],
                                 note=notes.get(row['target'], '')))
        elif not row["within"]:
            bullets.append(t.say("`{target}`: simulated {mean}, {side} the band {low}–{high} (z = {z:+.1f}). {note}",
                                 target=row['target'], mean=fmt(row['mean']),
                                 side=t.text("above" if row["z"] > 0 else "below"), low=fmt(row['band_low']),
                                 high=fmt(row['band_high']), z=row['z'], note=notes.get(row['target'], '')))
    report.bullets(bullets or [t.text("No fitted target is missed.")])
    report.paragraph(t.text("calibration: use"), note=True)
    if horizon is not None and len(horizon):
        report.heading(t.text("The baseline over the policy horizon"), 3)
        shown = horizon.copy()
        for column in shown.columns[2:]:
            shown[column] = [f"{v:+.0%}" if column.endswith("change") else fmt(v) for v in shown[column]]
        shown["parameters"] = shown["parameters"].map(t.text) if "parameters" in shown else None
        if "region" in shown:
            shown["region"] = shown["region"].map(t.place)
        def column(name: str) -> str:
            indicator, _, rest = name.rpartition(" ")
            if indicator and (rest.isdigit() or rest == "change"):
                return f"{t.indicator(indicator)} {rest if rest.isdigit() else t.text(rest)}"
            return t.text(name)

        report.table(shown.rename(columns={c: column(c) for c in shown.columns}),
                     caption=t.text("calibration: horizon caption"))
    report.heading(t.text("Parameters and identifiability"))
    table = ident.assign(meaning=ident["parameter"].map(meanings))
    report.table(pd.DataFrame({
        t.text("parameter"): [f"`{p}`" for p in table["parameter"]],
        t.text("calibrated"): [fmt(v, 4) for v in table["value"]],
        t.text("start"): [fmt(result["start_values"][p], 4) for p in table["parameter"]],
        t.text("bounds"): [f"{fmt(lo)} – {fmt(hi)}" for lo, hi in zip(table["low"], table["high"], strict=True)],
        t.text("identifiability (width)"): [f"{t.text(v)} ({w:.2f})" for v, w in
                                            zip(table["identifiability"], table["width"], strict=True)],
        t.text("moves most"): [f"`{d}`" for d in table["driver"]],
        t.text("meaning"): table["meaning"],
    }))
    allowance = dist["identifiability_allowance"]
    report.paragraph(t.say("calibration: width", allowance=allowance, targets=len(fitted),
                           replicates=search['replicates'], noise=dist['noise_sd']), note=True)
    for step in result.get("polish", []):
        report.paragraph(t.say("calibration: polish", parameter=step['parameter'], before=fmt(step['from'], 4),
                               after=fmt(step['to'], 4), d_before=step['distance_before'],
                               d_after=step['distance_after'], c_before=step['check_before'],
                               c_after=step['check_after'], replicates=result['check_replicates'],
                               verdict=t.text("the calibration moved there and profiled again" if step["accepted"]
                                              else "fresh replicates did not confirm it, so the calibration stayed")),
                         note=True)
    report.figure(plot_profiles(profile, ident, allowance, figures / "profiles.png", t),
                  t.text("Profiles: distance along each parameter's range (star: calibrated value; shaded: within the "
                         "allowance of the profile's lowest point)"))
    report.figure(plot_history(history, figures / "convergence.png", t), t.text("Convergence of the search"))
    report.heading(t.text("Stylised facts"))
    verdicts = stylised_verdicts(stylised)
    summary = stylised.agg(["mean", lambda x: x.quantile(0.025), lambda x: x.quantile(0.975)]).T
    summary.columns = ["mean", "low", "high"]
    report.table(pd.DataFrame({t.text("statistic"): [f"`{x}`" for x in summary.index],
                               t.text("mean [95 % of replicates]"): [fmt_interval(r.mean, r.low, r.high)
                                                                     for r in summary.itertuples()]}),
                 caption=t.say("Over {n} runs at the optimum (the first check seeds), all firms at the end of the run.",
                               n=len(stylised)))
    m = stylised.mean()
    for (title, line), plot, name in zip(verdicts.items(), (plot_size, plot_growth, plot_bunching),
                                         ("size", "growth", "rd_bunching"), strict=True):
        report.heading(t.text(title), 3)
        ok = line.startswith("reproduced")
        report.paragraph(t.say("**Verdict: {verdict}** ({stats})", verdict=t.text("reproduced" if ok else "not reproduced"),
                               stats=_stylised_numbers(name, m)))
        report.figure(plot(snapshot, figures / f"stylised_{name}.png", t),
                      t.say("{title} (one run at the optimum)", title=t.text(title)))
    report.heading(t.text("Reproduce"))
    report.paragraph(t.say("`{command}` — seeds from root seed {seed}; runs are in `{store}`, so a rerun reuses them "
                           "and an interrupted fit continues.", command=result['provenance']['command'],
                           seed=result['seeds']['root_seed'], store=result['provenance']['store']))
    return report


def _stylised_numbers(name: str, m) -> str:
    if name == "size":
        return f"skewness {m['size_skewness']:.1f}, Pareto α {m['size_pareto_alpha']:.2f}".replace("skewness", "偏度")
    if name == "growth":
        return f"超额峰度 {m['growth_excess_kurtosis']:.2f}，Laplace 对数似然增益 {m['growth_laplace_gain']:+.3f}"
    return f"聚集比 {m['rd_bunching'] + 1:.1f}"


__all__ = ["build_ensemble_report", "build_report", "fit_display", "stylised_verdicts"]
