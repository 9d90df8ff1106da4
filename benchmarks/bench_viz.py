"""Time per rendered step of the visual server's page, at the default viz scale, all components on.

The page is rendered in this process as the Solara server would render it (no browser), and
Mesa's Step button is clicked: one click is one model month plus the redraw of the map and the
charts into PNG images. The browser's share (receiving and showing two images) is not counted.

    python benchmarks/bench_viz.py [--steps 36] [--scenario scenarios/baseline.yaml] [--scale 0.1]

Aim: under 0.5 s per rendered step, so that Mesa's play button runs smoothly.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=36)
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "baseline.yaml")
    parser.add_argument("--scale", type=float, default=None, help="default: the page's default scale")
    args = parser.parse_args()

    from innosim.viz.server import page_environment

    os.environ.update(page_environment(args.scenario))
    import ipyvuetify as v
    import mesa
    import solara

    from innosim.viz.app import Page
    from innosim.viz.levers import DEFAULT_SCALE
    from innosim.viz.vizmodel import VizModel

    scale = DEFAULT_SCALE if args.scale is None else args.scale
    with contextlib.redirect_stdout(io.StringIO()):  # Solara prints the app bar outside a server
        _, rc = solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    if args.scale is not None:  # the page starts at the default scale: reset with the one asked for
        rc.find(v.Slider, label=f"Scale ({DEFAULT_SCALE:g})").widget.v_model = scale
        rc.find(v.Btn, children=["Reset"]).widget.click()
    step = rc.find(v.Btn, children=["Step"]).widget

    # the model alone, same scenario and scale, for comparison
    model = VizModel(args.scenario, rng=1, scale=scale)
    started = time.perf_counter()
    for _ in range(args.steps):
        model.step()
    model_only = (time.perf_counter() - started) / args.steps

    step.click()  # warm-up: first frame draws every figure's background
    times = []
    for _ in range(args.steps):
        started = time.perf_counter()
        step.click()
        times.append(time.perf_counter() - started)
    times.sort()
    print(f"innosim viz, {args.scenario.name}, scale {scale:g}, mesa {mesa.__version__}, "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(f"model step alone:    {1000 * model_only:7.1f} ms")
    print(f"rendered step:       mean {1000 * statistics.fmean(times):7.1f} ms, "
          f"median {1000 * statistics.median(times):7.1f} ms, "
          f"90th percentile {1000 * times[int(0.9 * (len(times) - 1))]:7.1f} ms, max {1000 * times[-1]:7.1f} ms "
          f"({args.steps} steps)")


if __name__ == "__main__":
    main()
