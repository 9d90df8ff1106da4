"""One calibration from start to end: search, check at fresh seeds, profile, write results and report.

Writes ``result.yaml`` (best parameters, distance, per-target fit, seeds, provenance) and
``calibrated.yaml`` (the fitted ``behaviour:`` values as a scenario fragment that the baseline
extends) into `write_to`; the runs (``runs.sqlite``), tables, figures and ``report.md`` /
``report.html`` into `out_dir`.
"""

from __future__ import annotations

import os
import platform
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import mesa
import numpy as np
import pandas as pd
import scipy
import yaml

from innosim import __version__
from innosim.batch import derive_seeds
from innosim.catalogue import main_indicators
from innosim.i18n import msg
from innosim.io import write_text_atomic
from innosim.scenario import content_hash, load_scenario

from innosim.analysis.calibration.fit import (distance, distance_noise, evaluator_for, fit_table, identifiability, polish, profiles,
                          round_values, search)
from innosim.analysis.calibration.files import Calibration
from innosim.analysis.calibration.owned import write_own
from innosim.analysis.calibration.report import build_report
from innosim.analysis.calibration.stylised import STYLISED_STATS, firm_snapshot, run_calibration, stylised_stats

#: Runs at the optimum whose firms give the stylised-fact statistics (in this process: they need the model).
STYLISED_RUNS = 8

CALIBRATED_HEADER = """\
# Calibrated behavioural parameters: the free parameters of calibration/parameters.yaml fitted to
# the seed paper's Jiashan figures for 2015-2019 and the zone's (calibration/targets.yaml) by `innosim calibrate`.
# scenarios/baseline.yaml extends this file, so every scenario built on the baseline uses them.
# Written by the tool: see result.yaml beside it for the fit, the seeds and the provenance.
"""


@dataclass
class Outcome:
    result: dict
    fit: pd.DataFrame
    identifiability: pd.DataFrame
    files: list[Path]


def _plain(value):
    """numpy and pandas scalars as YAML-friendly Python values."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if np.isnan(value) else float(f"{float(value):.6g}")
    return value


def _git_commit(folder: Path) -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=folder, capture_output=True,
                             text=True, timeout=10, check=False)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


#: What the horizon check reads: stocks at the end of the first and last year, flows over those years.
HORIZON_INDICATORS = main_indicators("horizon")


def horizon_check(cal: Calibration, evaluator, points: dict[str, dict[str, float]], replicates: int = 3,
                  regions: tuple[str, ...] = ("zone", "jiashan")) -> pd.DataFrame:
    """The base scenario run over its own horizon (the policy period) at each of `points`: does the
    economy grow as the zone did? Firms, HNTE stock and talents at the end of the first and the last
    year, revenue and innovations in those years, for the zone and for Jiashan."""
    from innosim.batch import make_tasks, run_batch

    points_overrides = [{**cal.horizon_overrides, **{f"behaviour.{k}": v for k, v in p.items()}} for p in points.values()]
    tasks = make_tasks([cal.scenario_file], points_overrides,
                       replicates=replicates, root_seed=cal.search.root_seed, run_fn=run_calibration)
    run_batch(tasks, evaluator.store, jobs=evaluator.jobs, scheduler=evaluator.scheduler, run_fn=run_calibration,
              progress=evaluator.progress, label=msg("policy horizon"))
    values = evaluator.store.end_values(tasks)
    first = int(cal.base_horizon.run.start[:4])
    last = first + (int(cal.base_horizon.run.start[5:]) - 2 + cal.base_horizon.run.months) // 12
    rows = []
    for label, group in zip(points, [tasks[i:i + replicates] for i in range(0, len(tasks), replicates)], strict=True):
        for region in regions:
            part = values[values["key"].isin([t.key for t in group]) & (values["region"] == region)]
            mean = part.groupby("indicator")["value"].mean()
            row = {"parameters": label, "region": region}
            for name in HORIZON_INDICATORS:
                a, b = mean.get(f"{name}@{first}", np.nan), mean.get(f"{name}@{last}", np.nan)
                row.update({f"{name} {first}": a, f"{name} {last}": b, f"{name} change": b / a - 1.0})
            rows.append(row)
    return pd.DataFrame(rows)


def calibrate(cal: Calibration, out_dir: str | Path, write_to: str | Path, *, budget: int | None = None,
              replicates: int | None = None, check_replicates: int | None = None,
              profile_points: int | None = None, jobs: int | None = None, scheduler: str | None = None,
              progress: bool | None = None, command: str = "", log: Callable[[str], None] = print,
              labels=None) -> Outcome:
    """Fit, check, profile and report; see the module docstring for what is written where."""
    out_dir, write_to = Path(out_dir), Path(write_to)
    s = cal.search
    budget = budget or s.budget
    check_replicates = check_replicates or s.check_replicates
    profile_points = profile_points or s.profile_points
    started = time.perf_counter()
    evaluator = evaluator_for(cal, out_dir / "runs.sqlite", replicates, jobs=jobs, scheduler=scheduler,
                              progress=progress)
    found = search(cal, evaluator, budget, log=log)
    search_runs = evaluator.runs
    best = round_values(found.best, cal)
    start = {n: cal.base.behaviour.model_dump()[n] for n in cal.names}
    log(msg("search done: distance {distance:.3f}; checking at {n} fresh replicates", distance=found.distance,
            n=check_replicates))
    names = [t.name for t in cal.targets if t.modelled]
    _, check = evaluator.run([start, best], replicates=check_replicates, label=msg("check"))
    at_start, at_best = check[check["candidate"] == 0], check[check["candidate"] == 1]
    noise = distance_noise(at_best, cal, evaluator.replicates)
    noise = noise if np.isfinite(noise) else 0.0
    fit_distance = float(evaluator.run([best], label=msg("fit seeds"))[0][0])
    log(msg("profiles around the optimum"))
    profile = profiles(cal, evaluator, best, profile_points, label=msg("profiles"))
    steps = []
    for _ in range(s.polish_rounds):
        moved, step = polish(profile, best)
        if step is None or step["distance_before"] - step["distance_after"] <= noise:
            break  # no profile point beats the optimum by more than the distance's noise
        _, trial = evaluator.run([moved], replicates=check_replicates, label=msg("check the step"))
        step.update(check_before=distance(at_best[names].mean(), cal.targets),
                    check_after=distance(trial[names].mean(), cal.targets))
        step["accepted"] = step["check_after"] < step["check_before"]
        steps.append(step)
        log(msg("polish: {parameter} {start:.4g} -> {end:.4g}, distance {before:.3f} -> {after:.3f} on the fit's "
                "seeds, {check_before:.3f} -> {check_after:.3f} on fresh ones: ", parameter=step['parameter'],
                start=step['from'], end=step['to'], before=step['distance_before'], after=step['distance_after'],
                check_before=step['check_before'], check_after=step['check_after'])
            + (msg("taken; profiles again") if step["accepted"] else msg("not taken")))
        if not step["accepted"]:
            break
        best, at_best, fit_distance = moved, trial, step["distance_after"]
        profile = profiles(cal, evaluator, best, profile_points, label=msg("profiles"))

    fit = fit_table(at_best, cal)
    allowance = max(1.0 / len(cal.fitted), 2.0 * noise)
    ident = identifiability(profile, cal, best, allowance)

    log(msg("the baseline over its own horizon, at the start values and at the fit"))
    horizon = horizon_check(cal, evaluator, {"start values": start, "calibrated": best})

    log(msg("stylised facts: {n} runs at the optimum", n=min(check_replicates, STYLISED_RUNS)))
    scenario = load_scenario(cal.scenario_file, cal.overrides(best))
    seeds = derive_seeds(s.root_seed, check_replicates)
    snapshots = [firm_snapshot(scenario, seed) for seed in seeds[:STYLISED_RUNS]]
    snapshot = snapshots[0]
    stylised = pd.DataFrame([stylised_stats(snap) for snap in snapshots], columns=list(STYLISED_STATS))
    stylised.insert(0, "seed", seeds[:STYLISED_RUNS])

    stored = evaluator.store.runs()
    result = {
        "calibrated": best,
        "distance": {"check": distance(at_best[names].mean(), cal.targets),
                     "fit": float(fit_distance),
                     "start": distance(at_start[names].mean(), cal.targets),
                     "search_best_unrounded": found.distance,
                     "noise_sd": noise, "identifiability_allowance": allowance},
        "polish": steps,
        "policy_horizon": horizon.to_dict("records"),
        "targets_met": f"{int(fit.loc[fit['weight'] > 0, 'within'].sum())} of {int((fit['weight'] > 0).sum())}",
        "targets": {row["target"]: {k: row[k] for k in ("observed", "band_low", "band_high", "mean", "low", "high",
                                                         "z", "within", "weight", "verdict", "measure") if k in row}
                    for row in fit.to_dict("records")},
        "parameters": {r["parameter"]: {"value": r["value"], "bounds": [r["low"], r["high"]],
                                        "identifiability": r["identifiability"], "width": r["width"],
                                        "moves_most": r["driver"]} for r in ident.to_dict("records")},
        "start_values": start,
        "period": {"start": scenario.run.start, "months": scenario.run.months, "scale": scenario.run.scale},
        "check_replicates": check_replicates,
        "search": {**found.settings, "budget": budget, "evaluations": found.evaluations,
                   "generations": found.generations, "replicates": evaluator.replicates,
                   "runs": search_runs, "message": found.message,
                   "wall_minutes": (time.perf_counter() - started) / 60.0,
                   "stored_runs": len(stored), "stored_run_core_minutes": float(stored["seconds"].sum()) / 60.0},
        "seeds": {"root_seed": s.root_seed, "fit": derive_seeds(s.root_seed, evaluator.replicates),
                  "check": seeds, "stylised": seeds[:STYLISED_RUNS]},
        "provenance": {"command": command, "targets_file": str(cal.targets_file),
                       "parameters_file": str(cal.parameters_file), "file_sha256": cal.digest(),
                       "scenario_file": os.path.normpath(cal.scenario_file), "scenario_hash": content_hash(scenario),
                       "store": str(out_dir / "runs.sqlite"), "innosim": __version__, "git_commit": _git_commit(write_to),
                       "mesa": mesa.__version__, "scipy": scipy.__version__, "numpy": np.__version__,
                       "python": platform.python_version(),
                       "finished": datetime.now(timezone.utc).isoformat(timespec="seconds")},
    }
    result = _plain(result)
    header = "# Written by `innosim calibrate`: the fit of the baseline to the paper's Jiashan figures.\n"
    files = write_own(write_to, {  # both or neither, and only over innosim's own
        "result.yaml": header + yaml.safe_dump(result, sort_keys=False, allow_unicode=True, width=110),
        "calibrated.yaml": CALIBRATED_HEADER + yaml.safe_dump({"behaviour": _plain(best)}, sort_keys=False)})
    for name, table in (("fit", fit), ("history", found.history), ("profiles", profile),
                        ("identifiability", ident), ("stylised", stylised), ("horizon", horizon)):
        files.append(write_text_atomic(out_dir / f"{name}.csv", table.to_csv(index=False)))
    notes = {t.name: t.spec.if_missed if t.modelled else t.spec.reason for t in cal.targets}
    meanings = {name: p.meaning for name, p in cal.parameters.items()}
    report = build_report(result, fit, found.history, profile, ident, stylised.drop(columns="seed"), snapshot,
                          notes, meanings, out_dir, horizon, labels=labels)
    files.extend(report.write(out_dir))
    met, _, fitted = str(result['targets_met']).partition(" of ")
    log(msg("distance {distance:.3f}; {met} of {fitted} targets met; wrote {result}, {calibrated} and {report}",
            distance=result['distance']['check'], met=met, fitted=fitted, result=write_to / 'result.yaml',
            calibrated=write_to / 'calibrated.yaml', report=out_dir / 'report.html'))
    return Outcome(result, fit, ident, files)




# -- the ensemble (history matching) ---------------------------------------------------------------
ENSEMBLE_HEADER = """\
# The calibration ensemble: every parameter set of calibration/parameters.yaml that history matching
# against calibration/targets.yaml (2015-2019) did not rule out, written by
# `innosim calibrate --method history-matching` (src/innosim/analysis/calibration/ensemble.py).
# The robustness stage of `innosim levers` draws its calibrated parameters from these members
# (experiments/levers.yaml: robustness.from_ensemble); calibrated.yaml holds the best member.
"""

ENSEMBLE_CALIBRATED_HEADER = """\
# Calibrated behavioural parameters: the best member (lowest distance on the fit's seeds) of the
# calibration ensemble, ensemble.yaml beside this file, fitted to the seed paper's Jiashan figures for
# 2015-2019 and the zone's (calibration/targets.yaml) by `innosim calibrate --method history-matching`.
# scenarios/baseline.yaml extends this file, so every scenario built on the baseline uses them.
"""


@dataclass
class EnsembleOutcome:
    data: dict
    files: list[Path]


def calibrate_ensemble(cal: Calibration, out_dir: str | Path, write_to: str | Path, *, points: int | None = None,
                       waves: int | None = None, cutoff: float | None = None, worst_ignored: int | None = None,
                       replicates: int | None = None, scale: float | None = None, seed: int | None = None,
                       jobs: int | None = None, scheduler: str | None = None, progress: bool | None = None,
                       command: str = "", log: Callable[[str], None] = print, labels=None) -> EnsembleOutcome:
    """History matching (ensemble.py); writes ensemble.yaml and calibrated.yaml (its best member) into
    `write_to` once every wave has run, and the design, tables and report into `out_dir`."""
    from dataclasses import replace

    from innosim.analysis.calibration.ensemble import history_match, parameter_summary, target_summary
    from innosim.analysis.calibration.report import build_ensemble_report
    from innosim.batch.tasks import model_code_hash

    out_dir, write_to = Path(out_dir), Path(write_to)
    e = cal.ensemble
    scale = scale if scale is not None else e.scale
    if scale is not None:
        cal = replace(cal, run={**cal.run, "scale": float(scale)})
    start = {n: cal.base.behaviour.model_dump()[n] for n in cal.names}
    load_scenario(cal.scenario_file, cal.overrides(start))  # a scale the schema refuses stops here
    started = time.perf_counter()
    evaluator = evaluator_for(cal, out_dir / "runs.sqlite", replicates or e.replicates, jobs=jobs,
                              scheduler=scheduler, progress=progress)
    found = history_match(cal, evaluator, points=points or e.points, waves=waves or e.waves,
                          cutoff=cutoff if cutoff is not None else e.cutoff,
                          worst_ignored=worst_ignored if worst_ignored is not None else e.worst_ignored,
                          margin=e.margin, min_members=e.min_members, seed=seed if seed is not None else e.seed,
                          log=log)
    best = found.best
    scenario = load_scenario(cal.scenario_file, cal.overrides(best))
    z_columns = [c for c in found.members.columns if c.startswith("z:")]
    members = [{"parameters": {n: row[n] for n in cal.names}, "weight": row["weight"],
                "implausibility": row["implausibility"], "distance": row["distance"], "wave": row["wave"],
                "z": {c[2:]: row[c] for c in z_columns}} for row in found.members.to_dict("records")]
    params, targets = parameter_summary(found.members, cal), target_summary(found.members, cal)
    stored = evaluator.store.runs()
    data = _plain({
        "method": found.settings["method"],
        "references": found.settings["references"],
        "members_count": len(members),
        "cutoff_met": found.cutoff_met,
        "best": best,
        "settings": {k: v for k, v in found.settings.items() if k not in ("method", "references")},
        "seeds": {"root_seed": cal.search.root_seed, "replicates": derive_seeds(cal.search.root_seed,
                                                                                evaluator.replicates),
                  "design_seed": found.settings["design_seed"]},
        "period": {"start": scenario.run.start, "months": scenario.run.months, "scale": scenario.run.scale},
        "bounds": {n: list(b) for n, b in zip(cal.names, cal.bounds, strict=True)},
        "waves": [{"wave": w.number, "box": {n: list(b) for n, b in w.box.items()}, "points": len(w.design),
                   "not_ruled_out": w.kept, "cutoff_met": w.cutoff_met,
                   "implausibility_min": float(w.design["implausibility"].min()),
                   "implausibility_median": float(w.design["implausibility"].median())} for w in found.waves],
        "parameters": {r["parameter"]: {k: r[k] for k in ("min", "q05", "median", "q95", "max")}
                       | {"bounds": [r["low"], r["high"]]} for r in params.to_dict("records")},
        "targets": {r["target"]: {k: r[k] for k in ("z_min", "z_median", "z_max", "share_within")}
                    for r in targets.to_dict("records")},
        "members": members,
        "runs": {"asked": found.runs, "stored": len(stored),
                 "stored_core_minutes": float(stored["seconds"].sum()) / 60.0 if len(stored) else 0.0,
                 "wall_minutes": (time.perf_counter() - started) / 60.0},
        "provenance": {"command": command, "targets_file": str(cal.targets_file),
                       "parameters_file": str(cal.parameters_file), "file_sha256": cal.digest(),
                       "scenario_file": os.path.normpath(cal.scenario_file), "scenario_hash": content_hash(scenario),
                       "model_code_hash": model_code_hash(), "store": str(out_dir / "runs.sqlite"),
                       "innosim": __version__, "git_commit": _git_commit(write_to), "mesa": mesa.__version__,
                       "numpy": np.__version__, "scipy": scipy.__version__, "python": platform.python_version(),
                       "finished": datetime.now(timezone.utc).isoformat(timespec="seconds")},
    })
    files = []
    design = pd.concat([w.design for w in found.waves], ignore_index=True)
    for name, table in (("design", design), ("members", found.members), ("parameters", params),
                        ("targets", targets)):
        files.append(write_text_atomic(out_dir / f"ensemble_{name}.csv", table.to_csv(index=False)))
    report = build_ensemble_report(data, params, targets, found.prior, {n: p.meaning for n, p in cal.parameters.items()},
                                   labels=labels)
    files.extend(report.write(out_dir))
    # the calibration's own files last, each by an atomic rename: present only when every wave has run
    files.extend(write_own(write_to, {  # both or neither, and only over innosim's own
        "ensemble.yaml": ENSEMBLE_HEADER + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110),
        "calibrated.yaml": ENSEMBLE_CALIBRATED_HEADER + yaml.safe_dump({"behaviour": _plain(best)}, sort_keys=False)}))
    how = (msg("implausibility <= {cutoff:g}", cutoff=data['settings']['cutoff']) if found.cutoff_met
           else msg("the cutoff was not met: the lowest implausibilities"))
    log(msg("{n} members ({how}); wrote {ensemble}, {calibrated} and {report}", n=len(members), how=how,
            ensemble=write_to / 'ensemble.yaml', calibrated=write_to / 'calibrated.yaml',
            report=out_dir / 'report.html'))
    return EnsembleOutcome(data, files)


__all__ = ["CALIBRATED_HEADER", "ENSEMBLE_HEADER", "EnsembleOutcome", "Outcome", "calibrate", "calibrate_ensemble"]
