"""The map: the four places at their geographic positions, their stocks as small bars, and arrows
whose width shows the firms and talents that moved between them in the last twelve months.

Mesa's space drawers place a network's nodes by a graph layout, not by geography, and draw no
flows; hence this drawing. `MapBoard.update` only reads a `MapData`, so tests can call it.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib import patheffects
import solara
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, Rectangle
from mesa.visualization.utils import update_counter

from innosim.outputs import COUNTY_COLOURS
from innosim.scenario import PLACES

from innosim.i18n import Labels

from .board import Board
from .data import MapData, map_data

#: The stocks drawn as bars under each place: (MapData attribute, label).
STOCKS = (("firms", "firms"), ("hnte", "HNTE"), ("talents", "talents"))
#: The map's title; a translation keeps the names in braces.
TITLE = "{month}: moved in the last {window} months: {firms} firms, {talents} talents"
BAR_LENGTH = 0.2    # degrees of longitude for the largest value of a stock
BAR_HEIGHT = 0.02   # degrees of latitude
ROW = 0.03
FIRM, TALENT = 0, 1
#: Arrow width in points per square root of moves scaled to the full population, by kind: so that
#: a typical year of moves between two places draws a line of 2-5 points at any scale.
WIDTH_PER_SQRT = {FIRM: 0.8, TALENT: 0.25}
MAX_WIDTH = 14.0
#: Firms on a flat curve, talents on a deep one; the two directions of a pair bend to opposite sides.
CURVATURE = {FIRM: 0.12, TALENT: 0.32}
EXTENT = (120.42, 121.8, 30.6, 31.36)  # lon min, lon max, lat min, lat max


def arrow_width(moves: float, scale: float, kind: int) -> float:
    """Line width (points) for `moves` in the window, 0 for none; scaled up to the full population
    so that widths compare across scales."""
    if moves <= 0:
        return 0.0
    return min(MAX_WIDTH, 0.6 + WIDTH_PER_SQRT[kind] * math.sqrt(moves / max(scale, 1e-9)))


class MapBoard(Board):
    """The map figure: set up once, then `update` moves arrows, bars, numbers and the title."""

    def __init__(self, names: tuple[str, ...], lonlat: np.ndarray, dpi: int = 100):
        t = self.labels = Labels()  # the page's language ($INNOSIM_LANG)
        figure = Figure(figsize=(6.4, 4.36), dpi=dpi)
        super().__init__(figure)
        ax = figure.add_axes((0.01, 0.01, 0.98, 0.9))
        lon0, lon1, lat0, lat1 = EXTENT
        ax.set_xlim(lon0, lon1)
        ax.set_ylim(lat0, lat1)
        ax.set_aspect(1.0 / math.cos(math.radians(31.0)), adjustable="box")  # degrees of equal length
        ax.set_facecolor("#f5f5f0")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.legend(handles=[Line2D([], [], color="#555555", lw=3, label=t.text("firms relocated")),
                           Line2D([], [], color="#555555", lw=3, alpha=0.45, ls=(0, (2, 1)),
                                  label=t.text("talents moved"))],
                  loc="lower right", fontsize=7, title=t.text("arrow: colour of origin,\nwidth ~ moves"),
                  title_fontsize=7, framealpha=0.9)
        self.ax = ax
        self.lonlat = np.asarray(lonlat, dtype=float)
        colours = [COUNTY_COLOURS[p] for p in PLACES]
        n = len(names)
        # drawing order: talents' arrows, firms' arrows, places, bars, numbers, title
        self.arrows = {}
        for kind in (TALENT, FIRM):
            for origin in range(n):
                for destination in range(n):
                    if origin != destination:
                        self.arrows[kind, origin, destination] = self.animate(ax.add_patch(FancyArrowPatch(
                            tuple(self.lonlat[origin]), tuple(self.lonlat[destination]),
                            connectionstyle=f"arc3,rad={CURVATURE[kind]}", arrowstyle="-|>",
                            color=colours[origin], alpha=0.9 if kind == FIRM else 0.45,
                            linestyle="-" if kind == FIRM else (0, (2, 1)), shrinkA=9, shrinkB=11,
                            visible=False)))
        self.animate(ax.scatter(self.lonlat[:, 0], self.lonlat[:, 1], s=170, c=colours, edgecolors="white",
                                linewidths=1.5, zorder=5))
        self.bars, self.numbers = {}, {}
        for i, name in enumerate(names):
            lon, lat = self.lonlat[i]
            # a white halo and a drawing order above the arrows keep the names readable over wide arrows
            self.animate(ax.text(lon, lat + 0.03, name, ha="center", va="bottom", fontsize=11, fontweight="bold",
                                 color=colours[i], zorder=10,
                                 path_effects=[patheffects.withStroke(linewidth=3.5, foreground="white")]))
            for row, (attribute, _) in enumerate(STOCKS):
                bottom = lat - 0.05 - row * ROW - BAR_HEIGHT
                self.animate(ax.add_patch(Rectangle((lon - 0.07, bottom), BAR_LENGTH, BAR_HEIGHT, facecolor="white",
                                                    edgecolor="#bbbbbb", lw=0.5)))
                self.bars[attribute, i] = self.animate(ax.add_patch(Rectangle(
                    (lon - 0.07, bottom), 0.0, BAR_HEIGHT, facecolor=colours[i], alpha=0.3 + 0.25 * row, lw=0)))
                self.numbers[attribute, i] = self.animate(ax.text(lon - 0.066, bottom + BAR_HEIGHT / 2, "",
                                                                  fontsize=7, va="center", ha="left"))
        self.title = self.animate(figure.text(0.5, 0.96, "", ha="center", va="center", fontsize=10))

    def update(self, data: MapData) -> None:
        with self.lock:
            for (kind, origin, destination), arrow in self.arrows.items():
                width = arrow_width(float(data.flows[kind, origin, destination]), data.scale, kind)
                arrow.set_visible(width > 0)
                arrow.set_linewidth(width)
                arrow.set_mutation_scale(7 + 1.4 * width)
            for attribute, label in STOCKS:
                label = self.labels.text(label)
                values = np.asarray(getattr(data, attribute), dtype=float)
                top = values.max()
                for i in range(len(values)):
                    self.bars[attribute, i].set_width(BAR_LENGTH * values[i] / top if top > 0 else 0.0)
                    self.numbers[attribute, i].set_text(f"{label} {int(values[i]):,}")
            self.title.set_text(self.labels.text(TITLE).format(
                month=data.month, window=data.window, firms=int(round(data.flows[FIRM].sum())),
                talents=int(round(data.flows[TALENT].sum()))))


def map_board_for(data: MapData) -> MapBoard:
    board = MapBoard(data.names, data.lonlat)
    board.update(data)
    return board


@solara.component
def PlaceMap(model):
    """The map as a Solara component, redrawn on every step (Mesa's update counter)."""
    update_counter.get()
    data = map_data(model)
    board = solara.use_memo(lambda: MapBoard(data.names, data.lonlat), [])
    board.update(data)
    solara.Image(board.png(), width="100%")
