"""Draw docs/growth.png and print the table of docs/growth.md: the calibrated baseline's zone
economy over its horizon, three seeds at full scale.

    python docs/make_growth_figure.py [--seeds 1 2 3] [--scale 1.0] [--out docs/growth.png]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from innosim.model import simulate  # noqa: E402
from innosim.scenario import load_scenario  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
STOCKS = ("firms", "talents", "knowledge", "hnte_stock")
FLOWS = ("revenue", "innovations")
#: Stocks and the flows that change them, at zone level (moves within the zone cancel out).
BALANCES = {
    "firms": (("startups", "firms_entered", "firms_uptake", "new_entities", "firms_in"), ("exits", "firms_out")),
    "talents": (("talents_arrived", "talents_in"), ("talents_departed", "talents_out")),
}


def zone(table: pd.DataFrame, indicator: str) -> np.ndarray:
    part = table[(table.indicator == indicator) & (table.region == "zone")]
    return part["value"].to_numpy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "baseline.yaml"))
    parser.add_argument("--out", default=str(ROOT / "docs" / "growth.png"))
    args = parser.parse_args()

    scenario = load_scenario(args.scenario, {"run.scale": args.scale})
    runs = [simulate(scenario, seed).timeseries for seed in args.seeds]
    dates = pd.to_datetime(runs[0][runs[0].indicator == "firms"]["date"].unique())
    years = dates.year.to_numpy()

    fig, axes = plt.subplots(2, 3, figsize=(13, 7), sharex=True)
    panels = [(name, "stock") for name in STOCKS] + [(name, "flow") for name in FLOWS]
    for ax, (name, kind) in zip(axes.flat, panels, strict=True):
        for table in runs:
            series = zone(table, name)
            if kind == "flow":  # twelve-month sums
                series = pd.Series(series).rolling(12).sum().to_numpy()
            ax.plot(dates, series, lw=1)
        unit = "M CNY a year" if name == "revenue" else ("a year" if kind == "flow" else "")
        ax.set_title(f"zone {name.replace('_', ' ')} {unit}".strip(), fontsize=10)
        ax.grid(alpha=0.3)
        if name == "hnte_stock":
            ax.axhline(1560, color="grey", ls="--", lw=0.8)
            ax.annotate("1,560 at end-2019 (People's Daily)", (dates[0], 1560), fontsize=8, va="bottom")
    fig.suptitle(f"Calibrated baseline, zone (Qingpu + Wujiang + Jiashan), {len(runs)} seeds, scale {args.scale:g}")
    fig.tight_layout()
    fig.savefig(args.out, dpi=90)
    print(f"wrote {args.out}")

    # the table of docs/growth.md: first and last year, mean over seeds
    rows = []
    first, last = years.min(), years.max()
    for name in STOCKS:
        values = np.mean([[zone(t, name)[years == y][-1] for y in (first, last)] for t in runs], axis=0)
        rows.append((name, *values, (values[1] / values[0]) ** (1 / (last - first)) - 1))
    for name in FLOWS:
        values = np.mean([[zone(t, name)[years == y].sum() for y in (first, last)] for t in runs], axis=0)
        rows.append((f"{name} (a year)", *values, (values[1] / values[0]) ** (1 / (last - first)) - 1))
    print(f"\n| zone | {first} | {last} | growth a year |\n|---|--:|--:|--:|")
    for name, a, b, g in rows:
        print(f"| {name} | {a:,.0f} | {b:,.0f} | {100 * g:.1f} % |")
    print(f"\n| zone, {first}-{last}, mean of seeds | in | out | in - out | stock change |\n|---|--:|--:|--:|--:|")
    for stock, (ins, outs) in BALANCES.items():
        into = np.mean([sum(zone(t, n).sum() for n in ins) for t in runs])
        out = np.mean([sum(zone(t, n).sum() for n in outs) for t in runs])
        start = np.mean([zone(t, stock)[0] - sum(zone(t, n)[0] for n in ins) + sum(zone(t, n)[0] for n in outs)
                         for t in runs])
        change = np.mean([zone(t, stock)[-1] for t in runs]) - start
        print(f"| {stock}: {' + '.join(ins)} / {' + '.join(outs)} | {into:,.0f} | {out:,.0f} "
              f"| {into - out:+,.0f} | {change:+,.0f} |")
    hnte_flows = {n: np.mean([zone(t, n).sum() for t in runs]) for n in
                  ("hnte_new", "hnte_renewed", "hnte_regained", "hnte_lapsed", "hnte_lost_on_move")}
    print("\nHNTE flows over the horizon, zone, mean of seeds:",
          ", ".join(f"{n} {v:,.0f}" for n, v in hnte_flows.items()))
    if first <= 2019 and last >= 2023:  # against the zone's own figures for 2019-2023
        stock = np.mean([[zone(t, "hnte_stock")[years == y][-1] for y in (2019, 2023)] for t in runs], axis=0)
        output = np.mean([[zone(t, "revenue")[years == y].sum() for y in (2019, 2023)] for t in runs], axis=0)
        print("\n| zone, 2019-2023 | model | public figure |\n|---|--:|--:|")
        print(f"| HNTE stock, end-2019 | {stock[0]:,.0f} | 1,560 |")
        print(f"| HNTE stock, end-2023 | {stock[1]:,.0f} | 3,319 |")
        print(f"| HNTE stock, growth a year | {100 * ((stock[1] / stock[0]) ** 0.25 - 1):.1f} % | 20.8 % |")
        print(f"| output, growth a year | {100 * ((output[1] / output[0]) ** 0.25 - 1):.1f} % | 8.06 % "
              "(industry above designated size) |")
    october = np.mean([zone(t, "hnte_stock")[9::12] for t in runs], axis=0)
    print("\nOctober HNTE stock, mean of seeds:", ", ".join(f"{v:,.0f}" for v in october))
    worst = min((zone(t, "hnte_stock")[9::12][1:] / zone(t, "hnte_stock")[9::12][:-1]).min() for t in runs)
    print(f"largest October-to-October fall in any seed: {100 * (1 - worst):.1f} %")


if __name__ == "__main__":
    main()
