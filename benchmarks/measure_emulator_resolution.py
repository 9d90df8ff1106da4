"""The emulator's bounds on factors below its resolution, against the G-function's true indices.

Sobol's G-function with eight inputs (tests/functions.py; true S1 0.716, 0.179, 0.024, 0.007, 1e-4 x4),
n design points x 2 replicates with noise of sd --noise, one line per seed: Q2, the resolution u, the
factors below it, whether every bound holds (S1 and ST at least the truth), and x1-x4 in detail
(resolved: index +/- interval against the truth, "in" when it covers it; below: truth < bound).
The figures of docs/sensitivity.md ("On Sobol's G-function"):

    python benchmarks/measure_emulator_resolution.py --n 128 --noise 0.2 --seeds 0,1,2,3,4
    python benchmarks/measure_emulator_resolution.py --n 256 --noise 0.1 --seeds 0,1,2

About 5-10 s a seed at 128 points and 10-20 s at 256 on one core.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root, for tests.functions

from innosim.analysis.sensitivity.emulator import emulator_indices  # noqa: E402
from innosim.analysis.sensitivity.indices import draw_sample  # noqa: E402
from tests.functions import G_PROBLEM, g_indices, g_replicates  # noqa: E402

SETTINGS = {"sample": 2048, "bootstrap": 40, "folds": 5}  #: as the tests' FAST settings


def describe(name: str, row, s1: float, st: float) -> str:
    """One factor: its bound against the truth, or its index and interval against the truth."""
    if row["below_resolution"]:
        held = row["S1_upper"] >= s1 and row["ST_upper"] >= st
        return (f"{name}: below resolution, S1 {s1:.4f} < {row['S1_upper']:.3f}, ST {st:.4f} < "
                f"{row['ST_upper']:.3f} {'holds' if held else 'FAILS'}")
    covered = abs(row["S1"] - s1) <= row["S1_conf"] and abs(row["ST"] - st) <= row["ST_conf"]
    return (f"{name}: S1 {row['S1']:.3f} +/- {row['S1_conf']:.3f} (true {s1:.4f}), ST {row['ST']:.3f} +/- "
            f"{row['ST_conf']:.3f} (true {st:.4f}) {'in' if covered else 'OUT'}")


def measure(n: int, noise: float, seed: int) -> None:
    truth, names = g_indices(), G_PROBLEM["names"]
    start = time.time()
    X = draw_sample(G_PROBLEM, "emulator", n, seed=seed)
    fitted = emulator_indices(G_PROBLEM, X, g_replicates(X, 2, noise, seed), seed=seed, **SETTINGS)
    table = fitted.indices.loc[names]
    below = table["below_resolution"].to_numpy(dtype=bool)
    holds = all((table[f"{i}_upper"][below] >= truth[i][below]).all() for i in ("S1", "ST"))
    print(f"n={n} noise={noise} seed={seed}: Q2 = {fitted.q2:.3f} +/- {fitted.q2_se:.3f}, u = {fitted.resolution:.3f}, "
          f"below resolution: {', '.join(t for t, b in zip(names, below, strict=True) if b) or 'none'}; "
          f"every bound holds: {holds} ({time.time() - start:.0f} s)")
    for j, name in enumerate(names[:4]):
        print("   ", describe(name, table.loc[name], truth["S1"][j], truth["ST"][j]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=128, help="design points (a power of 2)")
    parser.add_argument("--noise", type=float, default=0.2, help="sd of the replicate noise")
    parser.add_argument("--seeds", default="0,1,2,3,4")
    args = parser.parse_args()
    for seed in map(int, args.seeds.split(",")):
        measure(args.n, args.noise, seed)


if __name__ == "__main__":
    main()
