"""The headline recipe (`innosim levers experiments/levers.yaml`: the lever table and, where the file
has one, its robustness stage) timed end to end on a fresh results store, as an analyst runs it.

The aim of issue 11: under 15 minutes on a 2-core workstation. Machines here are noisy, so the
figure is also given as a ratio to a reference measured in the same run: one model run of the
experiment's base scenario at its scale and horizon, in this process ("run-equivalents": how many
single runs the recipe costs per core). The load average is printed before and after.

    python benchmarks/bench_recipe.py [--experiment experiments/levers.yaml] [--jobs 2] [--max-seeds N]
                                      [--scheduler ADDRESS] [--keep out/bench_recipe]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from innosim.analysis.levers.experiment import load_levers
from innosim.batch import default_jobs
from innosim.model import simulate
from innosim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def single_run_seconds(experiment, repeats: int = 3) -> float:
    """Median wall seconds of one run of the base scenario at the experiment's scale and horizon."""
    scenario = load_scenario(experiment.base_file, {"run.scale": experiment.spec.scale})
    simulate(scenario, seed=0, months=1)  # imports and caches warm
    walls = []
    for seed in range(repeats):
        started = time.perf_counter()
        simulate(scenario, seed=seed + 1, months=experiment.months)
        walls.append(time.perf_counter() - started)
    return float(np.median(walls))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiment", type=Path, default=ROOT / "experiments" / "levers.yaml")
    parser.add_argument("--jobs", type=int, default=None, help="worker processes (default: every core)")
    parser.add_argument("--scheduler", default=None, help="a dask.distributed scheduler instead of local workers")
    parser.add_argument("--max-seeds", type=int, default=None, help="cap on the seeds (default: the experiment's)")
    parser.add_argument("--keep", type=Path, default=None, help="copy the report and its tables to this folder")
    args = parser.parse_args()
    experiment = load_levers(args.experiment)
    jobs = args.jobs or default_jobs()
    print(f"load average before: {load()} ({os.cpu_count()} cores, {jobs} workers)")
    reference = single_run_seconds(experiment)
    print(f"reference: one run at scale {experiment.spec.scale:g}, {experiment.months} months: {reference:.2f} s")
    rob = experiment.spec.robustness
    print("robustness: none" if rob is None else
          f"robustness: {rob.draws} draws x {1 + len(experiment.levers)} variants x {rob.seeds_per_draw} seed(s) a draw")
    with tempfile.TemporaryDirectory(prefix="bench_recipe_") as tmp:
        command = [sys.executable, "-m", "innosim", "levers", str(args.experiment), "--no-progress",
                   "--store", f"{tmp}/runs.sqlite", "--out", f"{tmp}/out",
                   *(["--scheduler", args.scheduler] if args.scheduler else ["--jobs", str(jobs)]),
                   *(["--max-seeds", str(args.max_seeds)] if args.max_seeds else [])]
        started = time.perf_counter()
        subprocess.run(command, check=True)
        elapsed = time.perf_counter() - started
        settings = json.loads(Path(tmp, "out", "settings.json").read_text())
        if args.keep:
            shutil.copytree(Path(tmp, "out"), args.keep, dirs_exist_ok=True)
    runs = settings["runs_total"]
    print(f"recipe: {elapsed / 60:.1f} min for {runs} runs ({settings['stopped']}); "
          f"{elapsed * jobs / reference:.0f} run-equivalents per core against {runs} runs "
          f"(overhead x{elapsed * jobs / reference / max(runs, 1):.2f}); aim: under 15 min on 2 cores")
    print(f"load average after: {load()}")


if __name__ == "__main__":
    main()
