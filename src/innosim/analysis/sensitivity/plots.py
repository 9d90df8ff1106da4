"""Plots of a sensitivity study: Morris mu*-sigma, Sobol' S1/ST bars, a heat map of levers x outputs."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from innosim.fonts import use_cjk_font  # noqa: E402
from innosim.i18n import Labels  # noqa: E402

from innosim.analysis.sensitivity.indices import measure  # noqa: E402

LABELLED = 5  #: factors named in each Morris panel


def _grid(n: int, width: float = 4.6, height: float = 3.8):
    cols = min(3, n)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False,
                             layout="constrained")
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, axes.flat


def _labels(study) -> Labels:
    t = Labels(study.settings.get("lang", "en"))
    if t.chinese:
        use_cjk_font()
    return t


def plot_morris(study, path: Path) -> Path:
    """One panel per output: mu* (with its bootstrap CI) against sigma; orange where sigma exceeds what
    replicate noise alone gives, hollow where mu* is not clear of noise; the leading factors named."""
    tr = _labels(study)
    done = {k: r for k, r in study.results.items() if r.indices is not None}
    fig, axes = _grid(max(len(done), 1))
    for ax, (name, result) in zip(axes, done.items(), strict=False):
        t = result.indices
        interacting = np.array([v is not pd.NA and bool(v) for v in t["interacting"]], dtype=bool)
        clear = np.array([v is pd.NA or bool(v) for v in t["above_noise"]], dtype=bool)
        colour = np.where(interacting, "#ff7f0e", "#1f77b4")
        ax.errorbar(t["mu_star"], t["sigma"], xerr=t["mu_star_conf"],
                    yerr=t["sigma_conf"] if "sigma_conf" in t else None, fmt="none",
                    ecolor="#bbbbbb", elinewidth=1, zorder=1)
        ax.scatter(t["mu_star"], t["sigma"], s=22, zorder=2, edgecolors=colour,
                   facecolors=np.where(clear, colour, "none"))
        if not math.isnan(result.noise_floor):
            ax.axvspan(0, result.noise_floor, color="#eeeeee", zorder=0)
        for factor in t["mu_star"].nlargest(LABELLED).index:
            ax.annotate(study.label(factor), (t.at[factor, "mu_star"], t.at[factor, "sigma"]), fontsize=7,
                        xytext=(3, 3), textcoords="offset points")
        ax.set_title(name, fontsize=10)
        ax.set_xlim(left=0)  # an interval reaching below 0 says only that mu* may be small
        ax.set_xlabel(tr.text("mu* (mean |elementary effect|)"))
        ax.set_ylabel("sigma")
        ax.grid(alpha=0.3)
    fig.suptitle(tr.say("{name}: Morris screening ({n} trajectories, {replicates} replicates)\n"
                        "orange: sigma above noise alone; hollow: mu* not clear of noise\ngrey band: noise floor",
                        name=study.name, n=study.n, replicates=study.replicates), fontsize=9)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_sobol(study, path: Path) -> Path:
    """One panel per output: S1 and ST bars with their bootstrap confidence intervals."""
    tr = _labels(study)
    done = {k: r for k, r in study.results.items() if r.indices is not None}
    n_factors = study.problem["num_vars"]
    fig, axes = _grid(max(len(done), 1), height=0.35 * n_factors + 1.6)
    for ax, (name, result) in zip(axes, done.items(), strict=False):
        t = result.indices.sort_values("ST", na_position="first")  # below resolution: at the bottom
        y = np.arange(len(t))
        ax.barh(y + 0.2, t["S1"], height=0.4, xerr=t["S1_conf"], color="#1f77b4", label="S1", capsize=2)
        ax.barh(y - 0.2, t["ST"], height=0.4, xerr=t["ST_conf"], color="#ff7f0e", label="ST", capsize=2)
        if "ST_upper" in t and t["ST_upper"].notna().any():  # below the emulator's resolution: bounds only
            ax.barh(y - 0.2, t["ST_upper"].fillna(0), height=0.4, fill=False, edgecolor="#ff7f0e", ls=":",
                    label=tr.text("ST < upper bound (below resolution)"))
        if not math.isnan(result.noise_floor):
            ax.axvline(result.noise_floor, color="grey", ls=":", lw=1)
        ax.set_yticks(y, [study.label(f) for f in t.index], fontsize=7)
        ax.set_xlim(min(0.0, float((t["S1"] - t["S1_conf"]).min())), 1.05)
        ax.set_title(name, fontsize=10)
        ax.grid(alpha=0.3, axis="x")
    axes[0].legend(fontsize=8, loc="lower right")
    how = (tr.say("emulator on {n} design points", n=study.n) if study.method == "emulator" else f"N = {study.n}")
    fig.suptitle(tr.say("{name}: Sobol' indices ({how}, {replicates} replicates)\n"
                        "dotted: noise floor (the ST of a factor that does nothing)", name=study.name, how=how,
                        replicates=study.replicates), fontsize=10)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def heat_table(study) -> pd.DataFrame:
    """Levers x outputs: mu* / largest mu* of the output (Morris) or ST (Sobol')."""
    column = measure(study.method)
    cols = {}
    for name, result in study.results.items():
        if result.indices is None:
            continue
        values = result.indices[column]
        cols[name] = values / values.max() if study.method == "morris" and values.max() > 0 else values
    table = pd.DataFrame(cols, index=pd.Index(study.problem["names"], name="factor"))
    order = table.max(axis=1).sort_values(ascending=False).index
    levers = [f for f in order if study.role(f) == "lever"]
    return table.loc[levers + [f for f in order if f not in levers]]  # levers first, uncertainties after


def noise_mask(study, table: pd.DataFrame) -> np.ndarray:
    """True where a factor's index for an output cannot be told from noise."""
    mask = np.zeros(table.shape, dtype=bool)
    for j, name in enumerate(table.columns):
        flags = study.results[name].indices["above_noise"]
        mask[:, j] = [flags[f] is not pd.NA and not bool(flags[f]) for f in table.index]
    return mask


def upper_table(study, table: pd.DataFrame) -> np.ndarray:
    """The heat table's shape: an emulator's upper bound on ST where a factor is below its resolution."""
    bounds = np.full(table.shape, np.nan)
    for j, name in enumerate(table.columns):
        indices = study.results[name].indices
        if "ST_upper" in indices:
            bounds[:, j] = indices["ST_upper"].reindex(table.index).to_numpy(dtype=float)
    return bounds


def plot_heatmap(study, path: Path) -> Path:
    """Levers x outputs; cells that cannot be told from replicate noise are faded (below an
    emulator's resolution: its upper bound, "<u")."""
    tr = _labels(study)
    table = heat_table(study)
    fig, ax = plt.subplots(figsize=(1.1 * max(len(table.columns), 3) + 3.5, 0.32 * len(table) + 2.2),
                           layout="constrained")
    image = ax.imshow(table.to_numpy(dtype=float).clip(0, 1), cmap="viridis", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(np.arange(len(table.columns)), table.columns, rotation=35, ha="right", fontsize=8)
    ax.set_yticks(np.arange(len(table)), [study.label(f) if study.role(f) == "lever" else
                                          f"({study.label(f)})" for f in table.index], fontsize=8)
    levers = sum(study.role(f) == "lever" for f in table.index)
    if 0 < levers < len(table):
        ax.axhline(levers - 0.5, color="white", lw=2.5)
    faded = noise_mask(study, table)
    ax.imshow(np.where(faded, 1.0, np.nan), cmap=ListedColormap(["white"]), alpha=0.7, aspect="auto")
    bounds = upper_table(study, table)
    for (i, j), value in np.ndenumerate(table.to_numpy(dtype=float)):
        shown = f"<{bounds[i, j]:.2f}" if not np.isnan(bounds[i, j]) else "" if np.isnan(value) else f"{value:.2f}"
        ax.text(j, i, shown, ha="center", va="center", fontsize=6,
                color="dimgrey" if faded[i, j] else ("black" if value >= 0.6 else "white"))
    what = tr.text("mu* / largest mu* of the output" if study.method == "morris" else "total Sobol' index ST")
    what += tr.text("\n(faded: cannot be told from replicate noise;\nin brackets: behavioural uncertainties)")
    fig.colorbar(image, ax=ax, label=what)
    ax.set_title(tr.say("{name}: which lever moves which output", name=study.name))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
