"""The lever chart: each lever's effect on the headline with its 95 % interval, both directions."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from innosim.fonts import use_cjk_font  # noqa: E402
from innosim.i18n import Labels  # noqa: E402

from innosim.analysis.levers.table import LeverTable  # noqa: E402

use_cjk_font()
COLOURS = {"on": "#1f77b4", "off": "#d62728"}


def plot_headline(table: LeverTable, path: Path, title: str, unit: str, labels: Labels | None = None) -> Path:
    """Levers from the largest effect down: dot = mean paired effect, bar = 95 % interval; faded
    where the interval includes zero."""
    t = labels or Labels("en")
    output, region = table.headline
    e = table.effects[(table.effects["output"] == output) & (table.effects["region"] == region)]
    order = e[e["direction"] == table.rank_direction].sort_values("effect")["lever"].tolist()
    fig, ax = plt.subplots(figsize=(8, 0.55 * len(order) + 1.4), constrained_layout=True)
    for shift, direction, text in ((0.15, "on", "on alone from the base"),
                                   (-0.15, "off", "off alone from full integration")):
        rows = e[e["direction"] == direction].set_index("lever").loc[order]
        y = np.arange(len(order)) + shift
        alpha = np.where(rows["excludes_zero"], 1.0, 0.45)
        for yi, row, a in zip(y, rows.itertuples(), alpha, strict=True):
            ax.plot([row.ci_low, row.ci_high], [yi, yi], color=COLOURS[direction], alpha=a, lw=2)
        ax.scatter(rows["effect"], y, color=COLOURS[direction], zorder=3, label=t.text(text))
    ax.axvline(0, color="#555", lw=0.8)
    ax.set_yticks(np.arange(len(order)), [table.labels[lever] for lever in order])
    ax.set_xlabel(f"Δ ({t.unit(unit)})" if unit else "Δ")
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)
    return path
