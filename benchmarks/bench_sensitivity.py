"""Cost of a sensitivity study: one model run at the experiment's scale, and the whole study.

Times (1) single runs of the experiment's base scenario at its scale and horizon, in this process;
(2) unless --estimate-only, the whole study as `innosim sensitivity` runs it (sample, every run
through the batch engine on --jobs workers into a fresh store, SALib analysis, report), with the
analysis and report timed apart from the runs. The aim of issue 4: the screening experiment
(~15-20 factors, 20 trajectories, 3 replicates) in under 15 minutes on 2 cores.

    python benchmarks/bench_sensitivity.py [--experiment experiments/screening.yaml] [--method morris]
                                           [--runs 5] [--jobs 2] [--estimate-only] [--kept KEPT.yaml]

The Sobol' stage (experiments/sobol.yaml, --method sobol or emulator) reads the screening's kept.yaml;
--kept gives another one.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from innosim.analysis.sensitivity.experiment import load_experiment
from innosim.analysis.sensitivity.report import write_report
from innosim.analysis.sensitivity.study import default_n, design_size, run_experiment
from innosim.batch import derive_seeds, default_jobs
from innosim.model import simulate
from innosim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]


def time_single_runs(experiment, runs: int) -> tuple[float, float]:
    """Median wall and CPU seconds of one run of the base scenario at the experiment's scale."""
    scenario = load_scenario(experiment.base_file, experiment.constant_overrides())
    simulate(scenario, seed=0, months=1)  # imports and caches warm
    walls, cpus = [], []
    for seed in derive_seeds(experiment.spec.seed, runs):
        wall, cpu = time.perf_counter(), time.process_time()
        simulate(scenario, seed=seed)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return float(np.median(walls)), float(np.median(cpus))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiment", type=Path, default=ROOT / "experiments" / "screening.yaml")
    parser.add_argument("--method", choices=["morris", "sobol", "emulator"], default="morris")
    parser.add_argument("--kept", type=Path, default=None, help="a screening's kept.yaml (for the Sobol' stage)")
    parser.add_argument("--runs", type=int, default=5, help="single runs timed for the cost per run")
    parser.add_argument("--jobs", type=int, default=None, help="workers for the whole study (default: all cores)")
    parser.add_argument("--estimate-only", action="store_true", help="time single runs only, and extrapolate")
    args = parser.parse_args()

    experiment = load_experiment(args.experiment, kept=args.kept)
    spec = experiment.spec
    n = default_n(experiment, args.method)
    points = design_size(experiment, args.method, n, spec.sobol.second_order)
    total = points * spec.replicates
    jobs = args.jobs or default_jobs()
    wall, cpu = time_single_runs(experiment, args.runs)
    print(f"one run at scale {spec.scale:g}, {spec.months} months: {wall:.2f} s wall, {cpu:.2f} s CPU "
          f"(median of {args.runs})")
    print(f"{experiment.name} {args.method}: {len(experiment.factors)} factors, n = {n}, {points} points x "
          f"{spec.replicates} replicates = {total} runs; estimate on {jobs} cores: "
          f"{total * wall / jobs / 60:.1f} min at this machine's present load "
          f"({total * cpu / jobs / 60:.1f} min from CPU time, i.e. on idle cores)")
    if args.estimate_only:
        return
    with tempfile.TemporaryDirectory(prefix="bench_sensitivity_") as tmp:
        started = time.perf_counter()
        study = run_experiment(experiment, args.method, Path(tmp) / "runs.sqlite", jobs=jobs, progress=False)
        runs_done = time.perf_counter()
        write_report(study, Path(tmp) / "report")
        finished = time.perf_counter()
    batch = study.batch
    print(f"whole study on {jobs} workers: {(finished - started) / 60:.1f} min "
          f"(runs {batch['seconds'] / 60:.1f} min for {batch['ran']} runs, "
          f"{batch['seconds'] * jobs / max(batch['ran'], 1):.2f} s per run per worker; "
          f"sampling, analysis and bootstrap {runs_done - started - batch['seconds']:.0f} s; "
          f"report and plots {finished - runs_done:.0f} s)")


if __name__ == "__main__":
    main()
