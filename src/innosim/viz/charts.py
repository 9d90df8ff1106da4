"""The indicator charts: one panel per main indicator, a line per county in the county colours.

Mesa's `make_plot_component` builds a new figure with new axes, a "best" legend and a tight
bounding box for every chart on every step: six of them took over a second per step here. So
the charts share one `Board`: the time axis spans the scenario's whole horizon and the value
axes grow in round steps, so that most steps only redraw the lines.
"""

from __future__ import annotations

import math

import numpy as np
import solara
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from mesa.visualization.utils import update_counter

from innosim.outputs import COUNTY_COLOURS
from innosim.scenario import COUNTIES

from .board import Board
from .data import CHARTS, ChartSeries, chart_series, decimal_year


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k at or above `value` (1 for nothing to show)."""
    if not value > 0 or not math.isfinite(value):
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        if step * power >= value * (1 - 1e-12):
            return step * power
    return 10.0 * power


class ChartBoard(Board):
    """The charts of `data.CHARTS` in a grid of panels."""

    def __init__(self, columns: int = 2, dpi: int = 80):
        rows = -(-len(CHARTS) // columns)
        figure = Figure(figsize=(4.1 * columns, 2.4 * rows + 0.3), dpi=dpi)
        super().__init__(figure)
        axes = list(figure.subplots(rows, columns, squeeze=False).flat)
        figure.subplots_adjust(left=0.08, right=0.98, top=1 - 0.45 / (2.4 * rows + 0.3), bottom=0.05,
                               wspace=0.22, hspace=0.45)
        self.axes, self.lines = {}, {}
        for ax, chart in zip(axes, CHARTS):
            ax.set_title(chart.title, fontsize=9)
            ax.tick_params(labelsize=7)
            ax.grid(alpha=0.3)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
            ax.yaxis.set_major_locator(MaxNLocator(integer=chart.counts, nbins=5))
            ax.set_ylim(0, 1)
            self.axes[chart.indicator] = ax
            self.lines[chart.indicator] = [
                self.animate(ax.plot([], [], color=COUNTY_COLOURS[c], lw=1.6, label=c.capitalize())[0])
                for c in COUNTIES
            ]
        for ax in axes[len(CHARTS):]:
            ax.set_visible(False)
        figure.legend(handles=self.lines[CHARTS[0].indicator], loc="upper center", ncol=len(COUNTIES),
                      fontsize=8, frameon=False)
        self.span: tuple[float, float] | None = None

    def set_horizon(self, start: str, months: int) -> None:
        """Time axis from the first month to the end of the horizon."""
        span = (decimal_year(start), decimal_year(start) + months / 12)
        if span != self.span:
            self.span = span
            for ax in self.axes.values():
                ax.set_xlim(*span)
            self.invalidate()

    def update(self, series: ChartSeries) -> None:
        with self.lock:
            for chart in CHARTS:
                values = series.values[chart.indicator]
                for county, line in enumerate(self.lines[chart.indicator]):
                    line.set_data(series.years, values[:, county])
                self._fit_values(self.axes[chart.indicator], values)

    def _fit_values(self, ax, values: np.ndarray) -> None:
        """Grow the value axis to a round number above the data; shrink it only after a reset."""
        finite = values[np.isfinite(values)]
        high = nice_ceiling(float(finite.max()) * 1.05) if finite.size else 1.0
        low = min(0.0, -nice_ceiling(-float(finite.min()) * 1.05)) if finite.size and finite.min() < 0 else 0.0
        current_low, current_high = ax.get_ylim()
        if high > current_high or low < current_low or high < current_high / 4:
            ax.set_ylim(low, high)
            self.invalidate()


@solara.component
def IndicatorCharts(model):
    """The charts as a Solara component, redrawn on every step (Mesa's update counter)."""
    update_counter.get()
    board = solara.use_memo(ChartBoard, [])
    board.set_horizon(model.start, model.spec.run.months)
    board.update(chart_series(model))
    solara.Image(board.png(), width="100%")
