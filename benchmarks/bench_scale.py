"""Precision per CPU-second of a lever comparison at each `run.scale`.

For each scale, N seeds of the baseline and of one or two lever scenarios run on the same seeds
(paired: the model's per-mechanism streams keep the draws common), one run at a time in this
process. For each scale the table gives the CPU-seconds a run costs (`time.process_time` around
the run), and, for one indicator and region (default Jiashan's HNTE stock, averaged over the last
36 months: 2026-28 of the default 2019-28 run, counts divided by the scale to give the full-size
zone's), the baseline's level and its SD across seeds, each lever's paired effect (% of the
baseline) and its SD, and the precision per CPU-second, 1 / (SD^2 x CPU-s per run): how much a
second of CPU narrows an interval at that scale. Precisions are shown as ratios to scale 1.0
measured in the same process, with a 95 % interval from the F distribution of a ratio of two
variances over the seeds: a machine's speed cancels in the ratio, so never read the absolute
timings as pass or fail. The runs are interleaved (seed by seed, all scales), so a change of the
machine's load falls on every scale alike. The load (`uptime`) is printed before and after.

    python benchmarks/bench_scale.py [--scales 0.2,0.35,0.5,0.75,1.0] [--seeds 12]
        [--first-seed 0] [--levers equity_incentives,incubation] [--months 120] [--region jiashan]
        [--indicator hnte_stock] [--csv out.csv] [--from-csv a.csv b.csv]
"""

from __future__ import annotations

import argparse
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from innosim.model.simulate import simulate
from innosim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
WINDOW = 36  #: months averaged at the end of the run (2026-28 of a 2019-28 run)


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "uptime unavailable"


def window_mean(scenario_file: Path, scale: float, seed: int, months: int, indicator: str,
                region: str) -> tuple[float, float]:
    """(full-scale level of `indicator` in `region` over the last WINDOW months, CPU-seconds of the run)."""
    scenario = load_scenario(scenario_file, {"run.scale": scale, "run.months": months})
    started = time.process_time()
    table = simulate(scenario, seed=seed).timeseries
    cpu = time.process_time() - started
    rows = (table.indicator == indicator) & (table.region == region) & (table.month > months - WINDOW)
    return float(table.value[rows].mean()) / scale, cpu


def measure(scales: list[float], seeds: range, levers: list[str], months: int, indicator: str,
            region: str) -> pd.DataFrame:
    """One row per (scale, seed, scenario): the level and the run's CPU-seconds."""
    rows = []
    for seed in seeds:
        for scale in scales:
            for name in ["baseline", *levers]:
                level, cpu = window_mean(ROOT / "scenarios" / f"{name}.yaml", scale, seed, months, indicator, region)
                rows.append({"scale": scale, "seed": seed, "scenario": name, "level": level, "cpu": cpu})
        print(f"  seed {seed} done", flush=True)
    return pd.DataFrame(rows)


def ratio_interval(var_here: float, var_ref: float, n_here: int, n_ref: int, cost_here: float,
                   cost_ref: float) -> tuple[float, float, float]:
    """Precision per CPU-second here over the reference's, with a 95 % interval (F distribution of
    the ratio of the two sample variances; the costs are taken as known)."""
    ratio = (var_ref * cost_ref) / (var_here * cost_here)
    low = ratio / stats.f.ppf(0.975, n_ref - 1, n_here - 1)
    high = ratio / stats.f.ppf(0.025, n_ref - 1, n_here - 1)
    return ratio, low, high


def summarise(data: pd.DataFrame, levers: list[str], reference: float = 1.0) -> pd.DataFrame:
    """Per scale: CPU-s a run, baseline level, SD, lever effects (% of baseline), SDs and the
    precision per CPU-second as a ratio to `reference` (an interval in brackets)."""
    wide = data.pivot_table(index=["scale", "seed"], columns="scenario", values="level")
    cpu = data.groupby("scale").cpu.mean()
    series = {"baseline": wide["baseline"]}
    for lever in levers:
        series[lever] = 100.0 * (wide[lever] / wide["baseline"] - 1.0)
    out = {}
    for scale in sorted(data.scale.unique()):
        row = {"cpu_s_per_run": cpu[scale]}
        for name, values in series.items():
            here, ref = values.loc[scale], values.loc[reference]
            var_here, var_ref = here.var(ddof=1), ref.var(ddof=1)
            ratio, low, high = ratio_interval(var_here, var_ref, here.size, ref.size, cpu[scale], cpu[reference])
            label = "level" if name == "baseline" else f"{name} %"
            row[f"{label} mean"] = here.mean()
            row[f"{label} sd"] = np.sqrt(var_here)
            row[f"{label} precision/cpu vs {reference:g}"] = f"{ratio:.2f} [{low:.2f}, {high:.2f}]"
        out[scale] = row
    return pd.DataFrame(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="0.2,0.35,0.5,0.75,1.0")
    parser.add_argument("--seeds", type=int, default=12)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--levers", default="equity_incentives,incubation",
                        help="scenario files in scenarios/ (without .yaml), each compared with the baseline")
    parser.add_argument("--months", type=int, default=120)
    parser.add_argument("--indicator", default="hnte_stock")
    parser.add_argument("--region", default="jiashan")
    parser.add_argument("--csv", type=Path, default=None, help="also write every run's level and CPU-seconds")
    parser.add_argument("--from-csv", type=Path, nargs="+", default=None,
                        help="run nothing: summarise the runs these --csv files hold (e.g. two blocks of seeds)")
    args = parser.parse_args()
    if args.from_csv:
        data = pd.concat([pd.read_csv(path) for path in args.from_csv], ignore_index=True)
        levers = [name for name in data.scenario.unique() if name != "baseline"]
        print(f"{data.seed.nunique()} seeds from {', '.join(map(str, args.from_csv))}")
        print_table(summarise(data, levers))
        return
    scales = [float(s) for s in args.scales.split(",")]
    if 1.0 not in scales:
        scales.append(1.0)  # the reference of the ratios
    levers = [name for name in args.levers.split(",") if name]
    print(f"load before: {uptime()}")
    print(f"{args.seeds} seeds x {len(scales)} scales x (baseline + {len(levers)} levers), {args.months} months, "
          f"{args.indicator}.{args.region} over the last {WINDOW} months (full-scale counts)", flush=True)
    started = time.perf_counter()
    data = measure(scales, range(args.first_seed, args.first_seed + args.seeds), levers, args.months, args.indicator, args.region)
    print(f"load after: {uptime()}  ({time.perf_counter() - started:.0f} s wall)")
    if args.csv:
        data.to_csv(args.csv, index=False)
    print_table(summarise(data, levers))


def print_table(table: pd.DataFrame) -> None:
    with pd.option_context("display.width", 200, "display.max_colwidth", 40, "display.float_format", "{:.2f}".format):
        print(table.to_string())


if __name__ == "__main__":
    main()
