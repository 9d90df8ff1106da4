"""Figures of a calibration, drawn from its tables: fit, convergence, profiles, stylised facts."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy import stats  # noqa: E402

from innosim.fonts import use_cjk_font  # noqa: E402
from innosim.i18n import Labels  # noqa: E402
from innosim.outputs import COUNTY_COLOURS  # noqa: E402

from innosim.analysis.calibration.stylised import BUNCH_WINDOW  # noqa: E402

MET, MISSED = "#2ca02c", "#d62728"


def _save(fig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _t(t: Labels | None) -> Labels:
    t = t or Labels("en")
    if t.chinese:
        use_cjk_font()
    return t


def plot_fit(fit: pd.DataFrame, path: Path, t: Labels | None = None) -> Path:
    """Simulated over observed per target: tolerance band (grey), replicate mean and 95 % interval."""
    rows = fit[fit["verdict"] != "not modelled"].iloc[::-1]
    fig, ax = plt.subplots(figsize=(8.5, 0.42 * len(rows) + 1.4), constrained_layout=True)
    for y, row in enumerate(rows.itertuples(index=False)):
        o = row.observed
        ax.plot([row.band_low / o, row.band_high / o], [y, y], color="#cccccc", lw=9, solid_capstyle="butt")
        colour = MET if row.within else MISSED
        ax.plot([row.low / o, row.high / o], [y, y], color=colour, lw=1.5)
        marker = "o" if row.weight > 0 else "s"
        ax.plot(row.mean / o, y, marker, color=colour, mfc=colour if row.weight > 0 else "white")
    ax.axvline(1.0, color="#333333", lw=0.8)
    ax.set_xscale("log")
    ticks = [t for t in (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 10.0) if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_yticks(range(len(rows)), [f"{t}" for t in rows["target"]])
    t = _t(t)
    ax.set_xlabel(t.text("simulated / observed (log scale)"))
    ax.set_title(t.text("Fit: grey = tolerance band, dot = mean, line = 95 % of replicates\n"
                        "green within tolerance, red missed; open squares are reported, not fitted"), fontsize=9)
    return _save(fig, path)


def plot_history(history: pd.DataFrame, path: Path, t: Labels | None = None) -> Path:
    t = _t(t)
    fig, ax = plt.subplots(figsize=(6.5, 3.6), constrained_layout=True)
    ax.plot(history["generation"], history["best_distance"], "o-", label=t.text("best so far"))
    ax.plot(history["generation"], history["generation_median"], ".--", color="#888888", label=t.text("generation median"))
    ax.set_yscale("log")
    ax.set_xlabel(t.text("generation"))
    ax.set_ylabel(t.text("distance (mean squared z)"))
    ax.axhline(1.0, color=MET, lw=0.8, ls=":")
    ax.legend(frameon=False)
    ax.set_title(t.text("Differential evolution: convergence"), fontsize=10)
    return _save(fig, path)


def plot_profiles(frame: pd.DataFrame, ident: pd.DataFrame, allowance: float, path: Path,
                  t: Labels | None = None) -> Path:
    """Distance along each parameter, the others at the optimum (star); shaded: within `allowance`
    of the profile's lowest point."""
    t = _t(t)
    reference = float(frame.loc[frame["parameter"] == "best", "distance"].iloc[0])
    n = len(ident)
    ncols = 4
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.6 * ncols, 2.6 * nrows), constrained_layout=True,
                             squeeze=False)
    for ax, row in zip(axes.flat, ident.itertuples(index=False), strict=False):
        part = frame[frame["parameter"] == row.parameter].sort_values("value")
        ax.plot(part["value"], part["distance"], "o-", ms=3)
        ax.plot(row.value, reference, "*", color="#333333", ms=8)
        ax.axhspan(0, min(row.profile_min, reference) + allowance, color=MET, alpha=0.12, lw=0)
        ax.axvline(row.value, color="#333333", lw=0.8, ls="--")
        ax.set_ylim(bottom=0)
        ax.set_title(f"{row.parameter}\n" + t.say("{identifiability} (width {width:.2f})",
                                                 identifiability=t.text(row.identifiability), width=row.width),
                     fontsize=8.5)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    return _save(fig, path)


def plot_size(snapshot: pd.DataFrame, path: Path, t: Labels | None = None) -> Path:
    """Complementary cumulative distribution of firm size (log-log), with a lognormal fit."""
    t = _t(t)
    size = np.sort(snapshot["employees"].to_numpy())
    ccdf = 1.0 - np.arange(size.size) / size.size
    fig, ax = plt.subplots(figsize=(5.5, 4), constrained_layout=True)
    ax.loglog(size, ccdf, ".", ms=2, color=COUNTY_COLOURS["zone"], label=t.text("firms (end of 2018)"))
    shape, loc, scale = stats.lognorm.fit(size, floc=0)
    grid = np.geomspace(size.min(), size.max(), 200)
    ax.loglog(grid, stats.lognorm.sf(grid, shape, loc, scale), color=MISSED, lw=1, label=t.text("lognormal fit"))
    ax.set_xlabel(t.text("employees"))
    ax.set_ylabel(t.text("share of firms at least this size"))
    ax.legend(frameon=False)
    ax.set_title(t.text("Firm size distribution"), fontsize=10)
    return _save(fig, path)


def plot_growth(snapshot: pd.DataFrame, path: Path, t: Labels | None = None) -> Path:
    """Density of annual log sales growth (log scale), with Laplace and normal fits."""
    t = _t(t)
    growth = snapshot["growth"].dropna().to_numpy()
    fig, ax = plt.subplots(figsize=(5.5, 4), constrained_layout=True)
    if growth.size < 10 or np.std(growth) == 0:
        ax.text(0.5, 0.5, t.text("too few firms with two simulated years of sales"), ha="center", transform=ax.transAxes)
        return _save(fig, path)
    edges = np.linspace(np.quantile(growth, 0.001), np.quantile(growth, 0.999), 60)
    density, edges = np.histogram(growth, bins=edges, density=True)
    centres = (edges[:-1] + edges[1:]) / 2
    ax.semilogy(centres[density > 0], density[density > 0], "o", ms=3, color=COUNTY_COLOURS["zone"],
                label=t.text("firms, 2017 to 2018"))
    grid = np.linspace(edges[0], edges[-1], 300)
    ax.semilogy(grid, stats.laplace.pdf(grid, *stats.laplace.fit(growth)), color=MISSED, label=t.text("Laplace fit"))
    ax.semilogy(grid, stats.norm.pdf(grid, *stats.norm.fit(growth)), color="#1f77b4", ls="--", label=t.text("normal fit"))
    ax.set_xlabel(t.text("log(sales 2018 / sales 2017)"))
    ax.set_ylabel(t.text("density (log scale)"))
    ax.legend(frameon=False)
    ax.set_title(t.text("Firm growth rates: a Laplace law is a tent on this scale"), fontsize=10)
    return _save(fig, path)


def plot_bunching(snapshot: pd.DataFrame, path: Path, t: Labels | None = None) -> Path:
    """R&D intensity by size band, with the HNTE thresholds (5, 4, 3 %)."""
    t = _t(t)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    data = snapshot.dropna(subset=["rd_intensity"])
    bins = np.arange(0.0, 0.12 + 1e-9, 0.0025)
    left.hist(data["rd_intensity"].clip(upper=0.12), bins=bins, color="#888888")
    for threshold in (0.03, 0.04, 0.05):
        left.axvline(threshold, color=MISSED, lw=0.8, ls="--")
    left.set_xlabel(t.text("R&D / sales, last two years"))
    left.set_ylabel(t.text("firms"))
    left.set_title(t.text("R&D intensity; dashed: HNTE thresholds"), fontsize=10)
    distance = (data["rd_intensity"] - data["threshold"]).to_numpy()
    bins = np.arange(-0.03, 0.03 + 1e-9, BUNCH_WINDOW / 2)
    right.hist(distance[np.abs(distance) < 0.03], bins=bins, color="#888888")
    right.axvline(0.0, color=MISSED, lw=0.8, ls="--")
    right.set_xlabel(t.text("R&D intensity minus the firm's own threshold"))
    right.set_title(t.text("Distance to the threshold of the firm's size band"), fontsize=10)
    return _save(fig, path)


__all__ = ["plot_bunching", "plot_fit", "plot_growth", "plot_history", "plot_profiles", "plot_size"]
