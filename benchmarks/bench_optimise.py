"""The package search (`innosim optimise experiments/optimise.yaml`) timed end to end on a fresh
results store, as an analyst runs it.

The aim of issue 22: under 60 minutes on a 2-core workstation where Mesa's Boltzmann reference
(10,000 agents, 100 steps) takes 1.5 s. Both references are measured in this run: the Boltzmann
model (the aim scales by it: a machine twice as slow may take twice as long) and one model run of
the search's base scenario at its scale and horizon ("run-equivalents": how many single runs the
search costs per core). The load average is printed before and after.

    python benchmarks/bench_optimise.py [--experiment experiments/optimise.yaml] [--jobs 2]
                                        [--scheduler ADDRESS] [--keep out/bench_optimise]
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

from innosim.analysis.optimise import load_optimise
from innosim.batch import default_jobs

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_model import time_boltzmann  # noqa: E402
from bench_recipe import load, single_run_seconds  # noqa: E402  (an optimisation has base_file, spec.scale, months too)

ROOT = Path(__file__).resolve().parents[1]
AIM_MINUTES, BOLTZMANN_REFERENCE = 60.0, 1.5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiment", type=Path, default=ROOT / "experiments" / "optimise.yaml")
    parser.add_argument("--jobs", type=int, default=None, help="worker processes (default: every core)")
    parser.add_argument("--scheduler", default=None, help="a dask.distributed scheduler instead of local workers")
    parser.add_argument("--keep", type=Path, default=None, help="copy the report and its tables to this folder")
    args = parser.parse_args()
    o = load_optimise(args.experiment)
    jobs = args.jobs or default_jobs()
    print(f"load average before: {load()} ({os.cpu_count()} cores, {jobs} workers)")
    time_boltzmann(steps=5)
    boltzmann = float(np.median([time_boltzmann()[1] for _ in range(3)]))
    reference = single_run_seconds(o)
    a = o.spec.algorithm
    print(f"references: Boltzmann (10,000 agents, 100 steps) {boltzmann:.2f} s; one run at scale "
          f"{o.spec.scale:g}, {o.months} months: {reference:.2f} s")
    print(f"search: population {a.population} x {a.generations} generations, each package on {len(o.members)} "
          f"parameter set(s) x {o.spec.seeds} seed(s)")
    with tempfile.TemporaryDirectory(prefix="bench_optimise_") as tmp:
        command = [sys.executable, "-m", "innosim", "optimise", str(args.experiment), "--no-progress",
                   "--store", f"{tmp}/runs.sqlite", "--out", f"{tmp}/out",
                   *(["--scheduler", args.scheduler] if args.scheduler else ["--jobs", str(jobs)])]
        started = time.perf_counter()
        subprocess.run(command, check=True)
        elapsed = time.perf_counter() - started
        settings = json.loads(Path(tmp, "out", "settings.json").read_text())
        if args.keep:
            shutil.copytree(Path(tmp, "out"), args.keep, dirs_exist_ok=True)
    runs = settings["runs_total"] - settings["runs_reused"]
    aim = AIM_MINUTES * boltzmann / BOLTZMANN_REFERENCE
    print(f"optimise: {elapsed / 60:.1f} min for {settings['evaluations']} evaluations, {runs} runs; "
          f"{elapsed * jobs / reference:.0f} run-equivalents per core (overhead x"
          f"{elapsed * jobs / reference / max(runs, 1):.2f}); aim: under {aim:.0f} min here "
          f"({AIM_MINUTES:.0f} min where Boltzmann takes {BOLTZMANN_REFERENCE} s)")
    print(f"load average after: {load()}")


if __name__ == "__main__":
    main()
