"""Firms and certified firms (HNTEs) moving between Qingpu, Wujiang and Jiashan a year.

The public evidence bounds these rates: moves of certified firms across the zone's county lines
were reported case by case, a handful a year (docs/ODD.md, `firm_stay_bonus`). Rerun this after
a change to the firm population or to firms' location choice, and compare with the bound:

    PYTHONPATH=src python benchmarks/measure_moves.py --scenario scenarios/baseline.yaml --seeds 3 \\
        --scale 1 --set behaviour.firm_stay_bonus=6.5

Rates are per year over the run and divided by `run.scale` (so they are at scale 1, the real size).
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from innosim.cli.options import parse_sets  # noqa: E402
from innosim.model import InnoModel, incubation  # noqa: E402
from innosim.model.places import N_COUNTIES  # noqa: E402
from innosim.model.simulate import release  # noqa: E402
from innosim.scenario import load_scenario  # noqa: E402


class CountingGraduates(InnoModel):
    """The model, with the moves of incubator graduates settling outside their county counted apart
    (`incubation.graduate`, which `firm_stay_bonus` does not govern). The wrapper keeps the
    mechanism's name, so the run draws the same random numbers as the plain model's."""

    def __init__(self, *args, **kwargs):
        self.graduate_moves = np.zeros(2)  # firms, certified firms moving between the three counties
        super().__init__(*args, **kwargs)

    def schedule(self) -> list:
        return [self._counted(m) if m is incubation.graduate else m for m in super().schedule()]

    def _counted(self, mechanism):
        @functools.wraps(mechanism)
        def counted(model):
            before = (model.relocations_month[0, :N_COUNTIES, :N_COUNTIES].sum()
                      - np.trace(model.relocations_month[0, :N_COUNTIES, :N_COUNTIES]),
                      model.monthly["hnte_moves"][:N_COUNTIES].sum())
            mechanism(model)
            after = (model.relocations_month[0, :N_COUNTIES, :N_COUNTIES].sum()
                     - np.trace(model.relocations_month[0, :N_COUNTIES, :N_COUNTIES]),
                     model.monthly["hnte_moves"][:N_COUNTIES].sum())
            model.graduate_moves += np.subtract(after, before)
        return counted


def measure(scenario, seed: int) -> dict[str, float]:
    """One run: moves a year between the three counties (at scale 1), and what the firms were."""
    model = CountingGraduates(scenario, rng=np.random.default_rng(seed))
    months = scenario.run.months
    hnte_stock = []
    for _ in range(months):
        model.step()
        hnte_stock.append(np.count_nonzero(model.hnte_certified() & (model.firms.view("region") < N_COUNTIES)))
    years, scale = months / 12.0, scenario.run.scale
    between = model.relocations[0, :N_COUNTIES, :N_COUNTIES]
    out = {
        "firms_between": (between.sum() - np.trace(between)) / years / scale,
        "hnte_between": model.cumulative["hnte_moves"][:N_COUNTIES].sum() / years / scale,
        "firms_graduates": model.graduate_moves[0] / years / scale,
        "hnte_graduates": model.graduate_moves[1] / years / scale,
        "firms_all": (model.relocations[0].sum() - np.trace(model.relocations[0])) / years / scale,
        "hnte_lost_on_move": model.cumulative["hnte_lost_on_move"][:N_COUNTIES].sum() / years / scale,
        "new_entities": model.cumulative["new_entities"][:N_COUNTIES].sum() / years / scale,
        "new_treated": model.cumulative["new_entities_treated"][:N_COUNTIES].sum() / years / scale,
        "firms_zone": np.count_nonzero(model.firms.view("alive") & (model.firms.view("region") < N_COUNTIES)) / scale,
        "hnte_zone": float(np.mean(hnte_stock)) / scale,
    }
    release(model)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "baseline.yaml"))
    parser.add_argument("--seeds", type=int, default=3, help="seeds 1..N")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--months", type=int, default=None, help="default: the scenario's run.months")
    parser.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                        help="change one setting (repeatable), e.g. --set behaviour.firm_stay_bonus=6")
    args = parser.parse_args(argv)
    overrides = {"run.scale": args.scale, **parse_sets(args.sets)}
    if args.months is not None:
        overrides["run.months"] = args.months
    scenario = load_scenario(args.scenario, overrides)
    started = time.perf_counter()
    runs = [measure(scenario, seed) for seed in range(1, args.seeds + 1)]
    names = list(runs[0])
    values = np.array([[run[n] for n in names] for run in runs])
    print(f"# {scenario.name}, scale {args.scale:g}, {scenario.run.months} months from {scenario.run.start}, "
          f"seeds 1..{args.seeds}, firm_stay_bonus {scenario.behaviour.firm_stay_bonus:g}"
          + (f", set: {' '.join(args.sets)}" if args.sets else "") + f" ({time.perf_counter() - started:.0f} s)")
    print("# a year, at scale 1: firms_between / hnte_between = firms / certified firms moving between the three "
          "counties, of which firms_graduates / hnte_graduates are incubator graduates settling in another county; firms_all = between all four places; hnte_lost_on_move = failed checks; "
          "firms_zone, hnte_zone = firms at the end, mean HNTE stock (three counties)")
    print(f"{'':>6}" + "".join(f"{n:>18}" for n in names))
    for seed, row in enumerate(values, start=1):
        print(f"seed {seed:<1}" + "".join(f"{v:>18.1f}" for v in row))
    print(f"{'mean':>6}" + "".join(f"{v:>18.1f}" for v in values.mean(axis=0)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
