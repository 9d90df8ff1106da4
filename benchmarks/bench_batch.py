"""The batch engine: runs per second at 1 and 2 workers, and peak memory of a 100- and a 1,000-run batch.

Throughput: the same tasks (baseline, replicates at a small scale) run into a fresh store once with
one worker and once with two, one after the other in this process, so their ratio holds on a noisy
machine (the aim is >= 1.8x on two idle cores). Timings include starting the workers.

Memory: each batch runs in a fresh child process while a thread samples the resident memory of that
process and all its descendants (the forkserver and the workers) every 20 ms; the peaks of a 100-run
and a 1,000-run batch should be the same within 10 % (results stream to disk; nothing accumulates).
The tree's total double-counts pages the workers share, so the parent's own peak is shown too.

    python benchmarks/bench_batch.py [--runs 40] [--scale 0.1] [--months 60] [--small 100] [--large 1000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from innosim.batch import make_tasks, run_batch

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"


def throughput(runs: int, scale: float, months: int, jobs: int, folder: Path) -> tuple[float, float, float, float]:
    """Runs per second of `runs` baseline replicates with `jobs` workers, into a fresh store: over the
    whole batch (starting the workers included) and in steady state (after each worker's first run);
    and the mean wall and CPU seconds of one run inside its worker (wall > CPU: other programs share the cores)."""
    tasks = make_tasks([BASELINE], [{"run.scale": scale}], replicates=runs, root_seed=1, months=months)
    store = run_batch(tasks, folder / f"jobs{jobs}.sqlite", jobs=jobs, progress=False)
    table = store.runs().sort_values("finished")
    finished = table["finished"].to_numpy()
    steady = (len(finished) - jobs) / (finished[-1] - finished[jobs - 1])
    later = table.iloc[jobs:]
    return (runs / store.last_batch["seconds"], steady, float(later["seconds"].mean()),
            float(later["cpu_seconds"].mean()))


class PeakMemory:
    """Samples the resident memory of this process and its descendants in a background thread."""

    def __init__(self, interval: float = 0.02):
        self.interval, self.peak_tree, self.peak_self = interval, 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = own = me.memory_info().rss
            for child in me.children(recursive=True):
                try:
                    total += child.memory_info().rss
                except psutil.Error:  # a worker that just ended
                    pass
            self.peak_tree, self.peak_self = max(self.peak_tree, total), max(self.peak_self, own)
            time.sleep(self.interval)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def memory_child(runs: int, scale: float, months: int, jobs: int) -> None:
    """In a child process: one batch of `runs` runs; prints the peaks as JSON."""
    tasks = make_tasks([BASELINE], [{"run.scale": scale}], replicates=runs, root_seed=2, months=months)
    with tempfile.TemporaryDirectory() as folder, PeakMemory() as peak:
        store = run_batch(tasks, Path(folder) / "r.sqlite", jobs=jobs, progress=False)
        seconds = store.last_batch["seconds"]
        store.close()
    print(json.dumps({"runs": runs, "seconds": seconds, "tree_mb": peak.peak_tree / 2**20,
                      "parent_mb": peak.peak_self / 2**20}))


def memory(runs: int, scale: float, months: int, jobs: int) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--memory-child", str(runs), "--scale", str(scale),
                           "--months", str(months), "--jobs", str(jobs)], capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40, help="runs per throughput measurement")
    parser.add_argument("--scale", type=float, default=0.1, help="scale of the throughput runs")
    parser.add_argument("--months", type=int, default=60, help="horizon of the throughput runs")
    parser.add_argument("--small", type=int, default=100, help="runs in the small memory batch")
    parser.add_argument("--large", type=int, default=1000, help="runs in the large memory batch")
    parser.add_argument("--memory-scale", type=float, default=0.02)
    parser.add_argument("--memory-months", type=int, default=12)
    parser.add_argument("--jobs", type=int, default=2, help="workers of the memory batches")
    parser.add_argument("--no-memory", action="store_true", help="throughput only")
    parser.add_argument("--memory-child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child is not None:
        memory_child(args.memory_child, args.scale, args.months, args.jobs)
        return

    print(f"throughput: {args.runs} baseline runs, scale {args.scale}, {args.months} months, cpus "
          f"{psutil.cpu_count()}, load {psutil.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as folder:
        one = throughput(args.runs, args.scale, args.months, 1, Path(folder))
        two = throughput(args.runs, args.scale, args.months, 2, Path(folder))
    print("             whole batch    steady state   one run in its worker: wall, CPU")
    print(f"  1 worker : {one[0]:6.2f} runs/s  {one[1]:6.2f} runs/s   {one[2]:6.3f} s, {one[3]:6.3f} s")
    print(f"  2 workers: {two[0]:6.2f} runs/s  {two[1]:6.2f} runs/s   {two[2]:6.3f} s, {two[3]:6.3f} s")
    print(f"  ratio    : {two[0] / one[0]:6.2f}x        {two[1] / one[1]:6.2f}x  (aim >= 1.8x on idle cores)")
    busy = two[1] * two[2] / 2
    print(f"  workers busy {busy:.0%} of the steady state (the rest is the engine's overhead); a run's CPU share "
          f"of its wall time: {one[3] / one[2]:.0%} (1 worker), {two[3] / two[2]:.0%} (2 workers), 100 % on idle "
          "cores")
    print(f"  estimate for idle cores (CPU time per run, busy share): {2 * busy * one[3] / two[3]:.2f}x")
    if args.no_memory:
        return

    print(f"memory: scale {args.memory_scale}, {args.memory_months} months, {args.jobs} workers")
    small = memory(args.small, args.memory_scale, args.memory_months, args.jobs)
    large = memory(args.large, args.memory_scale, args.memory_months, args.jobs)
    for result in (small, large):
        print(f"  {result['runs']:5d} runs: peak {result['tree_mb']:7.1f} MB (parent and workers), parent "
              f"{result['parent_mb']:6.1f} MB, {result['seconds']:.0f} s")
    print(f"  ratio {args.large}/{args.small}: {large['tree_mb'] / small['tree_mb']:.3f} (parent and workers), "
          f"{large['parent_mb'] / small['parent_mb']:.3f} (parent)  (aim: within 10 %)")
    print(f"load at the end {psutil.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
