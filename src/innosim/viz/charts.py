"""The indicator charts: one panel per main indicator, a line per county in the county colours.

Mesa's `make_plot_component` builds a new figure with new axes, a "best" legend and a tight
bounding box for every chart on every step: six of them took over a second per step here. So
the charts share one `Board`: the time axis spans the scenario's whole horizon and the value
axes grow in round steps, so that most steps only redraw the lines. A scenario's dated changes
(`changes:`) are dotted vertical lines numbered as the list under the charts (`SwitchList`).
"""

from __future__ import annotations

import math

import numpy as np
import solara
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from mesa.visualization.utils import update_counter

from innosim.outputs import COUNTY_COLOURS
from innosim.scenario import PLACES

from .board import Board
from innosim.i18n import Labels

from .data import CHARTS, ChartSeries, Switch, chart_series, decimal_year

NICE_STEPS = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)


def nice_ceiling(value: float) -> float:
    """The smallest round number (`NICE_STEPS` x 10^k) at or above `value`; 1 for nothing to show."""
    if not value > 0 or not math.isfinite(value):
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    return next(step * power for step in NICE_STEPS if step * power >= value * (1 - 1e-12))


#: Room above the data when a value axis grows, for levels and for running totals (which only
#: grow): fewer, larger steps mean fewer full redraws.
HEADROOM = {False: 1.15, True: 1.5}


def chart_title(chart, labels: Labels) -> str:
    """The chart's English title, or the indicator's translation (flows: summed since the start)."""
    if not labels.chinese:
        return chart.title
    return labels.indicator(chart.indicator) + (f"（{labels.text('since start')}）" if chart.cumulative else "")


class ChartBoard(Board):
    """The charts of `data.CHARTS` in a grid of panels."""

    def __init__(self, columns: int = 2, dpi: int = 100):
        t = Labels()  # the page's language ($INNOSIM_LANG)
        rows = -(-len(CHARTS) // columns)
        figure = Figure(figsize=(3.3 * columns, 2.1 * rows + 0.4), dpi=dpi)
        super().__init__(figure)
        axes = list(figure.subplots(rows, columns, squeeze=False).flat)
        figure.subplots_adjust(left=0.1, right=0.98, top=1 - 0.6 / (2.1 * rows + 0.4), bottom=0.05,
                               wspace=0.3, hspace=0.6)
        self.axes, self.lines = {}, {}
        for ax, chart in zip(axes, CHARTS, strict=False):  # a grid may have a panel to spare
            ax.set_title(chart_title(chart, t), fontsize=10.5)
            ax.tick_params(labelsize=9.5)
            ax.grid(alpha=0.3)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
            ax.yaxis.set_major_locator(MaxNLocator(integer=chart.counts, nbins=5))
            ax.set_ylim(0, 1)
            self.axes[chart.indicator] = ax
            self.lines[chart.indicator] = [
                self.animate(ax.plot([], [], color=COUNTY_COLOURS[c], lw=1.6, label=t.place(c),
                                     ls="--" if c == "shanghai" else "-")[0])
                for c in PLACES
            ]
        for ax in axes[len(CHARTS):]:
            ax.set_visible(False)
        figure.legend(handles=self.lines[CHARTS[0].indicator], loc="upper center", ncol=len(PLACES),
                      fontsize=10.5, frameon=False)
        self.span: tuple[float, float] | None = None
        self.switches: tuple[Switch, ...] = ()
        self._switch_artists: list = []

    def set_horizon(self, start: str, months: int) -> None:
        """Time axis from the first month to the end of the horizon."""
        span = (decimal_year(start), decimal_year(start) + months / 12)
        if span != self.span:
            self.span = span
            for ax in self.axes.values():
                ax.set_xlim(*span)
            self.invalidate()

    def set_switches(self, switches: tuple[Switch, ...]) -> None:
        """A dotted line at each switch date in every panel, its number at the panel's top."""
        if switches == self.switches:
            return
        with self.lock:
            for artist in self._switch_artists:
                artist.remove()
            self._switch_artists = []
            for ax in self.axes.values():
                for switch in switches:
                    self._switch_artists.append(ax.axvline(switch.year, color="#555555", ls=":", lw=0.9, zorder=1))
                    self._switch_artists.append(ax.text(
                        # two heights in turn, so that the numbers of close months do not overlap
                        switch.year, 0.98 if switch.number % 2 else 0.86, str(switch.number),
                        transform=ax.get_xaxis_transform(), ha="center",
                        va="top", fontsize=7.5, color="#333333",
                        bbox={"boxstyle": "round,pad=0.12", "facecolor": "white", "edgecolor": "none", "alpha": 0.8}))
            self.switches = switches
            self.invalidate()

    def update(self, series: ChartSeries) -> None:
        self.set_switches(series.switches)
        with self.lock:
            for chart in CHARTS:
                values = series.values[chart.indicator]
                for county, line in enumerate(self.lines[chart.indicator]):
                    line.set_data(series.years, values[:, county])
                self._fit_values(self.axes[chart.indicator], values, HEADROOM[chart.cumulative])

    def _fit_values(self, ax, values: np.ndarray, headroom: float) -> None:
        """Keep the data inside the value axis: grow it with room to spare, so that it changes (and
        the whole figure is redrawn) seldom; shrink it only when the data fell far below (a reset)."""
        finite = values[np.isfinite(values)]
        top = float(finite.max()) if finite.size else 0.0
        bottom = float(finite.min()) if finite.size else 0.0
        current_low, current_high = ax.get_ylim()
        if top > current_high or bottom < current_low or nice_ceiling(top * headroom) < current_high / 4:
            low = -nice_ceiling(-bottom * headroom) if bottom < 0 else 0.0
            ax.set_ylim(low, nice_ceiling(top * headroom))
            self.invalidate()


@solara.component
def IndicatorCharts(model):
    """The charts as a Solara component, redrawn on every step (Mesa's update counter)."""
    update_counter.get()
    board = solara.use_memo(ChartBoard, [])
    board.set_horizon(model.start, model.spec.run.months)
    series = chart_series(model)
    board.update(series)
    solara.Image(board.png(), width="100%")
    SwitchList(series.switches)


def switch_lines(switches: tuple[Switch, ...]) -> list[str]:
    """The legend of the dotted lines: ``1 2016-01: Jiashan: vouchers usable ...``, one line a switch."""
    return [f"{switch.number} {switch.month}: {'; '.join(switch.notes)}" for switch in switches]


@solara.component
def SwitchList(switches: tuple[Switch, ...]):
    """Under the charts: what each numbered dotted line is (the scenario file's notes, as written)."""
    if not switches:
        return
    with solara.Column(gap="0px", classes=["innosim-switches"]):
        solara.Text(Labels().text("Dotted lines: the scenario's dated policy changes"),
                    style={"font-size": "0.85em", "font-weight": "bold"})
        for line in switch_lines(switches):
            solara.Text(line, style={"font-size": "0.8em"})
