"""What the batch-running commands share: run, and on Ctrl-C say what is kept and exit 130."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from innosim.scenario import ScenarioError
from innosim.i18n import msg


def resolve_scheduler(scheduler: str | None, jobs: int | None = None) -> str | None:
    """The scheduler a command uses (--scheduler, else INNOSIM_SCHEDULER, else None: local processes),
    checked to answer within a few seconds before anything is written (BatchError if not). Locally,
    --jobs is at most the cores: one process per run on a small machine only thrashes it."""
    import os

    from innosim.batch import SCHEDULER_ENV
    from innosim.batch.engine import check_scheduler, default_jobs

    scheduler = scheduler or os.environ.get(SCHEDULER_ENV) or None
    if scheduler:
        check_scheduler(scheduler)
    elif jobs is not None and jobs > default_jobs():
        raise ScenarioError("--jobs", "", msg("{jobs} worker processes, more than the {cores} cores this process "
                                              "may use; give at most that, or a cluster with --scheduler",
                                              jobs=f"{jobs:,}", cores=default_jobs()))
    return scheduler


def run_or_exit(tasks, store_path: Path, **options):
    """`run_batch(tasks, store_path, **options)`; on Ctrl-C report the stored runs and exit 130
    (running the same command again does only the rest). The store comes back holding its lock until
    it is closed, so `store prune` cannot remove the runs before the command has read them."""
    from innosim.batch import ResultStore, run_batch

    try:
        return run_batch(tasks, ResultStore(store_path).hold(), **options)
    except KeyboardInterrupt:
        total = len({t.key for t in tasks})
        with ResultStore(store_path) as store:
            done = total - len(store.missing(tasks))
        click.echo("\n" + msg("interrupted: {done} of {total} runs are stored in {path}; run the same command "
                               "again to do only the rest", done=done, total=total, path=store_path), err=True)
        sys.exit(130)
