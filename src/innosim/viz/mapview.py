"""The map: the four places at their geographic positions, their stocks as small bars, and arrows
whose width shows the firms and talents that moved between them in the last twelve months.

Mesa's space drawers place a network's nodes by a graph layout, not geography, and cannot draw
flows; hence this matplotlib drawing. `draw_map` only draws a `MapData`, so a test can call it.
"""

from __future__ import annotations

import math

import numpy as np
import solara
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, Rectangle
from mesa.visualization.utils import update_counter

from innosim.outputs import COUNTY_COLOURS
from innosim.scenario import PLACES

from .data import MapData, map_data

#: The stocks drawn as bars under each place: (MapData attribute, label).
STOCKS = (("firms", "firms"), ("hnte", "HNTE"), ("talents", "talents"))
BAR_LENGTH = 0.16   # degrees of longitude for the largest value of a stock
BAR_HEIGHT = 0.018  # degrees of latitude
ROW = 0.028
#: Arrow width in points per square root of moves at full scale, by kind (firms, talents): chosen so
#: that a typical year of moves between two places draws a line of 2-5 points at any scale.
WIDTH_PER_SQRT = (1.0, 0.3)
MAX_WIDTH = 14.0
CURVATURE = (0.12, 0.32)  # firms on a flat curve, talents on a deep one; each direction on its own side
EXTENT = (120.45, 121.78, 30.6, 31.36)  # lon min, lon max, lat min, lat max


def arrow_width(moves: float, scale: float, kind: int) -> float:
    """Line width (points) for `moves` in the window; 0 for none. Scale-free, so that widths compare."""
    if moves <= 0:
        return 0.0
    return min(MAX_WIDTH, 0.6 + WIDTH_PER_SQRT[kind] * math.sqrt(moves / max(scale, 1e-9)))


def draw_map(ax, data: MapData) -> None:
    """Draw `data` on `ax` (longitude/latitude axes)."""
    lon0, lon1, lat0, lat1 = EXTENT
    ax.set_xlim(lon0, lon1)
    ax.set_ylim(lat0, lat1)
    ax.set_aspect(1.0 / math.cos(math.radians(31.0)))
    ax.set_facecolor("#f7f7f4")
    ax.tick_params(labelsize=7, colors="#888888")
    colours = [COUNTY_COLOURS[p] for p in PLACES]
    _draw_flows(ax, data, colours)
    ax.scatter(data.lonlat[:, 0], data.lonlat[:, 1], s=180, c=colours, edgecolors="white", linewidths=1.5,
               zorder=5)
    for i, name in enumerate(data.names):
        lon, lat = data.lonlat[i]
        ax.text(lon, lat + 0.035, name, ha="center", va="bottom", fontsize=10, fontweight="bold",
                color=colours[i], zorder=6)
        _draw_bars(ax, data, i, colours[i])
    firm_moves = int(round(data.flows[0].sum()))
    talent_moves = int(round(data.flows[1].sum()))
    ax.set_title(f"{data.month}: moves in the last {data.window} months: {firm_moves} firms, "
                 f"{talent_moves} talents", fontsize=10)
    ax.legend(handles=[Line2D([], [], color="#444444", lw=3, label="firm relocations"),
                       Line2D([], [], color="#444444", lw=3, alpha=0.4, ls=(0, (2, 1)), label="talent moves")],
              loc="lower right", fontsize=8, title="arrow colour = origin; width ~ moves", title_fontsize=7,
              framealpha=0.8)


def _draw_flows(ax, data: MapData, colours: list[str]) -> None:
    n = len(data.names)
    for kind in (1, 0):  # talents under firms
        for origin in range(n):
            for destination in range(n):
                width = arrow_width(float(data.flows[kind, origin, destination]), data.scale, kind)
                if origin == destination or width == 0.0:
                    continue
                ax.add_patch(FancyArrowPatch(
                    tuple(data.lonlat[origin]), tuple(data.lonlat[destination]),
                    connectionstyle=f"arc3,rad={CURVATURE[kind]}", arrowstyle="-|>",
                    mutation_scale=8 + 1.5 * width, lw=width, color=colours[origin],
                    alpha=0.9 if kind == 0 else 0.4, linestyle="-" if kind == 0 else (0, (2, 1)),
                    shrinkA=10, shrinkB=12, zorder=3 if kind == 0 else 2,
                ))


def _draw_bars(ax, data: MapData, place: int, colour: str) -> None:
    lon, lat = data.lonlat[place]
    left = lon - 0.06
    for row, (attribute, label) in enumerate(STOCKS):
        values = np.asarray(getattr(data, attribute), dtype=float)
        top = lat - 0.05 - row * ROW
        length = BAR_LENGTH * values[place] / values.max() if values.max() > 0 else 0.0
        ax.add_patch(Rectangle((left, top - BAR_HEIGHT), BAR_LENGTH, BAR_HEIGHT, facecolor="white",
                               edgecolor="#cccccc", lw=0.5, zorder=6))
        ax.add_patch(Rectangle((left, top - BAR_HEIGHT), length, BAR_HEIGHT, facecolor=colour,
                               alpha=0.35 + 0.25 * row, lw=0, zorder=7))
        ax.text(left + 0.004, top - BAR_HEIGHT / 2, f"{label} {int(values[place]):,}", fontsize=7,
                va="center", ha="left", zorder=8)


def map_figure(data: MapData) -> Figure:
    fig = Figure(figsize=(7.0, 4.6), layout="constrained")
    draw_map(fig.add_subplot(), data)
    return fig


@solara.component
def PlaceMap(model):
    """The map as a Solara component: redrawn on every step (Mesa's update counter)."""
    update_counter.get()
    solara.FigureMatplotlib(map_figure(map_data(model)), format="png", dpi=100)
