"""The lever charts: each lever's effect on the headline with its 95 % interval, both directions; and its
effect over the draws of the robustness stage."""

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


def plot_robustness(effects, summary, levers: list[str], labels: dict[str, str], path: Path, title: str, unit: str,
                    threshold: float | None = None, t: Labels | None = None) -> Path:
    """Each lever's effect in every draw of the assumptions (dots; box: quartiles), beside its effect
    in the lever table (diamond) with the 95 % band that seed noise alone gives one draw's effect
    (grey bar): dots spread far beyond the bar are spread from the assumptions."""
    t = t or Labels("en")
    order = list(reversed(levers))          # the first lever on top
    fig, ax = plt.subplots(figsize=(8, 0.6 * len(order) + 1.6), constrained_layout=True)
    rng = np.random.default_rng(0)          # the jitter only: the same figure from the same runs
    for y, lever in enumerate(order):
        values = effects.loc[effects["lever"] == lever, "effect"].to_numpy(dtype=float)
        ax.boxplot(values, positions=[y], orientation="horizontal", widths=0.5, showfliers=False, manage_ticks=False,
                   medianprops={"color": COLOURS["on"]}, boxprops={"color": "#777"}, whiskerprops={"color": "#777"},
                   capprops={"color": "#777"})
        ax.scatter(values, y + rng.uniform(-0.18, 0.18, len(values)), s=10, color=COLOURS["on"], alpha=0.6, zorder=3)
        row = summary[summary["lever"] == lever]
        if not row.empty and np.isfinite(row["table_effect"].iloc[0]):
            effect, noise = float(row["table_effect"].iloc[0]), float(row["noise_sd"].iloc[0])
            if np.isfinite(noise):
                ax.plot([effect - 1.96 * noise, effect + 1.96 * noise], [y + 0.32, y + 0.32], color="#999", lw=4,
                        solid_capstyle="butt", label=t.text("seed noise of one draw (95 %)") if y == 0 else None)
            ax.scatter([effect], [y + 0.32], marker="D", color="black", zorder=4,
                       label=t.text("lever table") if y == 0 else None)
    ax.axvline(0, color="#555", lw=0.8)
    if threshold is not None and threshold != 0:
        ax.axvline(threshold, color=COLOURS["off"], lw=0.8, ls="--", label=t.text("failure threshold"))
    ax.set_yticks(np.arange(len(order)), [labels[lever] for lever in order])
    ax.set_xlabel(f"Δ ({t.unit(unit)})" if unit else "Δ")
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="lower right", fontsize=8)
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)
    return path
