"""`innosim compare`: replicates of several scenarios with common random numbers, and a report."""

from __future__ import annotations

import datetime
import hashlib
import platform
import shlex
import time
from pathlib import Path

import click

from innosim.scenario import COUNTIES, ScenarioError
from innosim.i18n import msg

from .batching import resolve_scheduler, run_or_exit
from .options import (MAX_MONTHS, MAX_REPLICATES, MAX_SEED, SET_SOURCE, labels, lang_option, overrides_from,
                      set_option, store_option)

DEFAULT_OUT = Path("out")
#: Sized so that `innosim compare baseline full_integration` takes a few minutes on two cores.
DEFAULT_REPLICATES = 20
DEFAULT_SCALE = 0.5


def scenario_labels(names: list[str], files: list[str | Path] | None = None) -> list[str]:
    """The scenarios' names, which label every table: two scenarios of one name are refused with both
    files (a file's name is its `name:` or its file name, never inherited)."""
    first: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in first:
            where = msg(": {one} and {other}", one=files[first[name]], other=files[i]) if files else ""
            raise ScenarioError(files[i] if files else "", "name",
                                msg("two scenarios of this comparison are named {name!r}{where}; give one of them "
                                    "another `name:`", name=name, where=where))
        first[name] = i
    return list(names)


def default_out(labels: list[str], files: list[str | Path] | None = None) -> Path:
    """out/compare/<name>-vs-<name>..., each name checked to be a file name (never a path)."""
    from innosim.outdir import file_name

    for i, label in enumerate(labels):
        file_name(label, files[i] if files else "", "name")
    name = "-vs-".join(labels)
    if len(name) > 80:
        name = f"{labels[0]}-vs-{len(labels) - 1}-others-{hashlib.sha256(name.encode()).hexdigest()[:8]}"
    return DEFAULT_OUT / "compare" / name.replace("#", "_")


def value_before(change: dict, settings: list) -> object:
    """The base value of a changed setting; for a dated one (`policy.vouchers.budget.jiashan from
    2021-07`), the scenario's own value just before that month: its undated value, or that of its
    latest earlier dated change of the same key (a zone-wide value listed per county when the key is
    set per county, `qingpu: own_county, ...`)."""
    key, _, month = change["key"].partition(" from ")
    if not month:
        return change["base"]
    values = {s.key: s.value for s in settings}
    before = values.get(key)
    if before is None and any(f"{key}.{c}" in values for c in COUNTIES):
        before = {c: values.get(f"{key}.{c}") for c in COUNTIES}
    elif before is None and key.rpartition(".")[2] in COUNTIES:
        before = values.get(key.rpartition(".")[0])  # per county here, zone-wide in the file
    for s in settings:  # dated changes of the same key, in date order
        dated, _, when = s.key.partition(" from ")
        if when and dated == key and when < month:
            before = s.value
    return before


def places_of(settings: dict) -> list[str] | None:
    """The counties a dated change's settings concern (None: every county)."""
    from innosim.analysis.compare.opening import counties_concerned

    places: set[str] = set()
    for key, value in settings.items():
        concerned = counties_concerned(key)
        if concerned is None and isinstance(value, dict) and value and set(value) <= set(COUNTIES):
            concerned = set(value)
        if concerned is None:
            return None
        places |= concerned
    return sorted(places)


@click.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--replicates", "-r", type=click.IntRange(2, MAX_REPLICATES), default=DEFAULT_REPLICATES, show_default=True,
              help="runs per scenario (replicate r has the same seed in every scenario)")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="worker processes (default: every core)")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="output folder (default: out/compare/<names>); the runs stay in the shared store, so rerunning resumes")
@click.option("--seed", type=click.IntRange(0, MAX_SEED), default=0, show_default=True, help="root seed")
@click.option("--months", type=click.IntRange(1, MAX_MONTHS), default=None,
              help="horizon (default: the scenarios')")
@click.option("--scale", type=click.FloatRange(min=0, min_open=True, max=10), default=DEFAULT_SCALE,
              show_default=True, help="population scale of every scenario (1 = real size)")
@set_option
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="dask.distributed scheduler (default: env INNOSIM_SCHEDULER, else local processes)")
@store_option
@click.option("--progress/--no-progress", default=None, help="progress bar (default: on a terminal)")
@click.option("--max-runs", type=click.IntRange(min=1), default=None,
              help="allow more runs than the default limit (100,000)")
@click.option("--focus", default=None, metavar="COUNTY",
              help="the reader's county, first in the report's opening (qingpu, wujiang, jiashan or 嘉善 ...; "
                   "default: the one county every changed setting concerns, else the counties in order)")
@lang_option
def compare(scenarios: tuple[Path, ...], replicates: int, jobs: int | None, out_dir: Path | None, seed: int,
            months: int | None, scale: float, sets: tuple[str, ...], scheduler: str | None,
            store_path: Path | None, progress: bool | None, max_runs: int | None, focus: str | None,
            lang: str | None) -> None:
    """Compare SCENARIOS (the first is the baseline): means, 95 % CIs and paired differences.

    Runs are kept in one results store shared by every comparison and batch, so a baseline run
    once is reused by the next comparison that needs it."""
    from innosim.batch import check_store, default_store_path, make_tasks
    from innosim.scenario.catalogue import changed_settings, scenario_settings

    if len(scenarios) < 2:
        raise click.UsageError(msg("give a baseline and at least one other scenario"))
    from innosim.batch.spec import MAX_RUNS

    runs = len(scenarios) * replicates
    if runs > (max_runs or MAX_RUNS):  # before a task is made: each holds a validated scenario
        raise ScenarioError("--replicates", "", msg("{n} scenarios x {replicates} replicates = {total} runs, more "
                                                    "than the limit of {limit}; pass --max-runs {runs} to allow them",
                                                    n=len(scenarios), replicates=f"{replicates:,}", runs=runs,
                                                    total=f"{runs:,}",
                                                    limit=f"{max_runs or MAX_RUNS:,}"))
    t = labels(lang)
    from innosim.analysis.compare.opening import county_key

    try:
        focus = county_key(focus)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--focus") from None
    scheduler = resolve_scheduler(scheduler, jobs)  # recorded in settings.json; a wrong address stops here
    overrides = overrides_from(sets, scale)
    # every file is loaded and validated here: a bad one stops everything before a run or a file
    for file in scenarios:  # --set problems are reported once, as the command line's
        from innosim.scenario import load_scenario

        load_scenario(file, overrides, override_source=SET_SOURCE)
    from innosim.scenario import warnings_for

    # settings that change nothing, are overridden or narrow their base: said here and atop the report
    found = [warnings_for(file, overrides, SET_SOURCE) for file in scenarios]
    for warning in (w for ws in found for w in ws):
        click.echo(msg("warning: {message}", message=warning.one_line()), err=True)
    warned = [[w.as_dict() for w in ws] for ws in found]
    tasks = make_tasks(list(scenarios), [overrides], replicates=replicates, root_seed=seed, months=months)

    import mesa

    from innosim import __version__
    from innosim.analysis.compare.tables import gather
    from innosim.analysis.compare.report import BAND_INDICATORS, write_comparison
    from innosim.analysis.trust import trust_paragraphs
    from innosim.scenario import month_label
    from innosim.outdir import check_out_dir, claim_out_dir
    from innosim.scenario import content_hash

    groups_list = [tasks[i * replicates:(i + 1) * replicates] for i in range(len(scenarios))]
    names = scenario_labels([group[0].scenario.name for group in groups_list], list(scenarios))
    groups = dict(zip(names, groups_list, strict=True))
    store_path = check_store(store_path or default_store_path())
    out_dir = check_out_dir(out_dir or default_out(names, list(scenarios)))
    resolved = [scenario_settings(file, overrides, override_source=SET_SOURCE) for file in scenarios]
    cwd = Path.cwd()

    def short(source: str) -> str:
        try:
            return str(Path(source).relative_to(cwd))
        except ValueError:
            return source

    changes = [[{**c, "base": value_before(c, other), "set_by": short(c["set_by"])}
                for c in changed_settings(resolved[0], other)] for other in resolved]

    started = time.perf_counter()
    store = run_or_exit(tasks, store_path, jobs=jobs, scheduler=scheduler, progress=progress,
                        label=msg("compare {n} scenarios", n=len(names)))
    comparison = gather(store, groups, band_indicators=BAND_INDICATORS)
    first = tasks[0].scenario
    horizon = months or first.run.months
    settings = {
        "created": datetime.datetime.now().isoformat(timespec="seconds"),
        "command": shlex.join(["innosim", "compare", *map(str, scenarios), "--replicates", str(replicates),
                               "--scale", f"{scale:g}", "--seed", str(seed),
                               *[arg for item in sets for arg in ("--set", item)],
                               *(["--months", str(months)] if months else []), "--out", str(out_dir)]),
        "scenarios": [{"label": label, "file": str(group[0].scenario_file), "name": group[0].scenario.name,
                       "description": " ".join(group[0].scenario.description.split()),
                       "hash": content_hash(group[0].scenario), "changes": change, "warnings": warnings,
                       "switches": [{"from": c.month, "note": c.note, "places": places_of(c.settings)}
                                    for _, c in group[0].scenario.changes_in_order()]}
                      for (label, group), change, warnings in zip(groups.items(), changes, warned, strict=True)],
        "overrides": overrides, "trust": trust_paragraphs(scenarios[0], labels=t),  # the report says its scale
        "replicates": replicates, "seed": seed, "seeds": [t.seed for t in groups_list[0]], "scale": scale,
        "months": horizon, "start": first.run.start, "end": month_label(first.run.start, horizon - 1),
        "store": str(store_path), "runs_total": store.last_batch["tasks"],
        "runs_reused": store.last_batch["stored_before"], "elapsed": time.perf_counter() - started,
        "jobs": jobs, "scheduler": scheduler, "level": 0.95, "focus": focus,
        "innosim": __version__, "mesa": mesa.__version__, "python": platform.python_version(),
    }
    report = write_comparison(comparison, claim_out_dir(out_dir), settings, t, focus=focus)
    store.close()
    click.echo(t.say("{written} {md} and {html} ({ran} runs, {reused} reused, {elapsed:.0f} s)",
                     written=t.text("report written to"), md=report, html=report.with_suffix(".html"),
                     ran=settings["runs_total"] - settings["runs_reused"], reused=settings["runs_reused"],
                     elapsed=settings["elapsed"]))
