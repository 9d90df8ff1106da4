"""Running many: tasks with seeds from one root, executors (local processes or Dask), the results store.

The one engine that `innosim compare`, `innosim batch`, sensitivity analysis and calibration use::

    tasks = make_tasks(["scenarios/baseline.yaml"], overrides=[{"run.scale": 0.2}], replicates=10)
    store = run_batch(tasks, "out/my_batch/results.sqlite")      # runs only what is missing
    table = store.end_values(tasks)                               # tidy: ids, indicator, region, value
"""

from .engine import SCHEDULER_ENV, BatchError, default_jobs, open_executor, run_batch
from .spec import BatchSpec, load_spec, spec_tasks
from .store import STORE_ENV, ResultStore, StoreError, check_store, default_store_path
from .tasks import (
    RunRecord,
    Task,
    derive_seeds,
    function_name,
    make_tasks,
    overrides_json,
    run_task,
    run_task_by_window,
    run_task_end_only,
    run_task_firms,
    windows,
)

__all__ = [
    "SCHEDULER_ENV",
    "STORE_ENV",
    "StoreError",
    "BatchError",
    "BatchSpec",
    "ResultStore",
    "RunRecord",
    "check_store",
    "Task",
    "default_jobs",
    "default_store_path",
    "derive_seeds",
    "function_name",
    "load_spec",
    "make_tasks",
    "open_executor",
    "overrides_json",
    "run_batch",
    "run_task",
    "run_task_by_window",
    "run_task_end_only",
    "run_task_firms",
    "spec_tasks",
    "windows",
]
