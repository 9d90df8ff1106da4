"""What `innosim run` leaves on disk: the tidy table, a summary with provenance, a plot.

Everything is written into a temporary folder beside the target and renamed into place at the
end, so an interrupted run leaves either the previous outputs or the new ones, never half. The
target is replaced only when innosim made it (its marker, `innosim.outdir`) or it is empty; a
staging folder whose writer was killed is removed by the next run to the same target.
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import mesa  # noqa: E402

from innosim import __version__  # noqa: E402
from innosim.catalogue import INDICATORS, PLACE_KEYS, REGION_COLOURS, main_indicators  # noqa: E402
from innosim.fonts import use_cjk_font  # noqa: E402
from innosim.i18n import Labels  # noqa: E402
from innosim.io import write_json_atomic  # noqa: E402
from innosim.model import RunResult  # noqa: E402
from innosim.outdir import check_out_dir, is_ours, mark  # noqa: E402
from innosim.scenario import COUNTIES, Scenario, content_hash  # noqa: E402

use_cjk_font()  # Chinese scenario names and labels render in every PNG

#: County colours used in every plot and on the visual server.
COUNTY_COLOURS = REGION_COLOURS
#: The indicators of a run's figure.
MAIN_INDICATORS = main_indicators("figure")


def provenance(scenario: Scenario, scenario_file: str | Path | None, seed: int | None) -> dict:
    """Who made these numbers, from what."""
    info = {
        "scenario": scenario.name,
        "scenario_hash": content_hash(scenario),
        "seed": seed,
        "innosim": __version__,
        "mesa": mesa.__version__,
        "python": platform.python_version(),
    }
    if scenario_file is not None:
        path = Path(scenario_file)
        info["scenario_file"] = str(path)
        info["scenario_file_sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    return info


def plot_main_indicators(table, path: Path, title: str, labels: Labels | None = None,
                         switches: list[tuple[str, str]] = ()) -> None:
    """Six panels of the main indicators, one line per county (flows summed by year); a dotted
    line at each dated policy change (`switches`: (month, note)) after the start."""
    t = labels or Labels("en")
    fig, axes = plt.subplots(2, 3, figsize=(13, 7), constrained_layout=True)
    flows = {i.name for i in INDICATORS if i.kind == "flow"}
    for ax, name in zip(axes.flat, MAIN_INDICATORS, strict=True):
        for county in COUNTIES:
            rows = table[(table.indicator == name) & (table.region == county)]
            if name in flows:
                yearly = rows.groupby(rows["date"].str[:4])["value"].sum()
                ax.plot(yearly.index.astype(int), yearly.values, marker="o", color=COUNTY_COLOURS[county],
                        label=t.place(county))
                ax.set_title(f"{t.indicator(name)} ({t.text('per year')})")
            else:
                years = rows["date"].str[:4].astype(int) + (rows["date"].str[5:].astype(int) - 1) / 12
                ax.plot(years, rows["value"], color=COUNTY_COLOURS[county], label=t.place(county))
                ax.set_title(t.indicator(name))
        ax.grid(alpha=0.3)
        for month, _ in switches:
            if table["date"].min() < month <= table["date"].max():
                ax.axvline(int(month[:4]) + (int(month[5:]) - 1) / 12, color="#555", ls=":", lw=0.7)
    axes.flat[0].legend()
    if switches:
        title += "; dotted: " + ", ".join(f"{month} {note[:30]}".strip() for month, note in switches[:4])
    fig.suptitle(title, fontsize=9 if switches else None)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _staging_left_over(folder: Path) -> bool:
    """Whether `folder` (``.<target>.<pid>.<random>.staging``) was left by a writer that has gone."""
    import psutil

    fields = folder.name.split(".")
    pid = fields[-3] if len(fields) >= 4 else ""
    return pid.isdigit() and int(pid) != os.getpid() and not psutil.pid_exists(int(pid))


def remove_stale_staging(out_dir: Path) -> None:
    """Delete the staging folders of `out_dir` whose writer was killed (kill -9 leaves them)."""
    for folder in out_dir.parent.glob(f".{out_dir.name}.*.staging"):
        if folder.is_dir() and is_ours(folder) and _staging_left_over(folder):
            shutil.rmtree(folder, ignore_errors=True)


def write_run_outputs(result: RunResult, scenario: Scenario, out_dir: str | Path,
                      scenario_file: str | Path | None = None, seed: int | None = None,
                      labels: Labels | None = None) -> Path:
    """Write timeseries.csv/.parquet, summary.json and indicators.png into `out_dir` atomically
    (an `out_dir` innosim did not make is refused unless empty: `check_out_dir`)."""
    out_dir = check_out_dir(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(out_dir)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.{os.getpid()}.", suffix=".staging",
                                    dir=out_dir.parent))
    try:
        mark(staging)
        result.timeseries.to_csv(staging / "timeseries.csv", index=False)
        result.timeseries.to_parquet(staging / "timeseries.parquet", index=False)
        summary = {
            "provenance": provenance(scenario, scenario_file, seed),
            "months": int(result.timeseries["month"].max()),
            "end_values": result.end,
            "relocations": {
                "firms": result.relocations[0].tolist(),
                "talents": result.relocations[1].tolist(),
                "places": list(PLACE_KEYS),
            },
        }
        write_json_atomic(staging / "summary.json", summary)
        switches = [(change.month, change.note) for _, change in scenario.changes_in_order()]
        plot_main_indicators(result.timeseries, staging / "indicators.png",
                             f"{scenario.name} ({(labels or Labels('en')).text('seed')} {seed})", labels,
                             switches)
        _replace(out_dir, staging)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return out_dir


def _replace(out_dir: Path, staging: Path) -> None:
    """Put `staging` where `out_dir` is, deleting the old `out_dir` only when it is ours or empty."""
    check_out_dir(out_dir)  # again: another program may have written into it during the run
    if out_dir.is_symlink():  # a link someone made: replacing it would delete it
        from innosim.scenario import ScenarioError

        raise ScenarioError("--out", str(out_dir), "is a symbolic link; give the folder itself or a new one")
    if out_dir.exists():
        if is_ours(out_dir):
            shutil.rmtree(out_dir)
        else:
            out_dir.rmdir()  # empty (checked): fails rather than delete what someone put there since
    staging.rename(out_dir)
