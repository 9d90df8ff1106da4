"""Run the missing tasks of a batch on every core, or on a Dask cluster, streaming results to disk.

Built on the `concurrent.futures.Executor` interface: a process pool locally, the executor of a
`dask.distributed.Client` on a cluster (mpi4py's `MPIPoolExecutor` would plug in the same way).
At most a few runs per worker are in flight; each result is written to the store as it arrives
and then dropped, so the parent's memory does not grow with the number of runs.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from pathlib import Path

from .store import ResultStore, StoreError
from .storefile import pending_folder
from .tasks import DEFAULT_RUN_FN, RunRecord, Task, function_name, run_task
from innosim.i18n import msg

SCHEDULER_ENV = "INNOSIM_SCHEDULER"


class BatchError(RuntimeError):
    """A run failed, or the tasks do not fit the store; finished runs stay stored."""


def default_jobs() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


#: How often a worker checks that the process that started the batch is still alive (seconds).
WATCH_INTERVAL = 0.5


def _parent_identity() -> tuple[int, float]:
    """This process's id and start time: what a worker watches (a pid alone may be reused)."""
    import psutil

    return os.getpid(), psutil.Process().create_time()


def _watch_parent(pid: int, started: float) -> None:
    """End this worker as soon as the batch's parent is gone, however it ended (SIGKILL included).

    A worker's own parent is the forkserver, not the batch's process, so PR_SET_PDEATHSIG cannot
    see the batch die; a thread polls it instead. When the workers are gone, the forkserver and
    the resource tracker exit by themselves (they wait for the last holder of their pipes)."""
    import psutil

    while True:
        time.sleep(WATCH_INTERVAL)
        try:
            parent = psutil.Process(pid)
            alive = parent.create_time() == started and parent.status() != psutil.STATUS_ZOMBIE
        except psutil.Error:
            alive = False
        if not alive:
            os._exit(1)  # from a thread: ends the process at once, whatever the main thread is doing


def _quiet_worker(parent: tuple[int, float] | None = None) -> None:
    """Workers leave Ctrl-C (and SIGTERM, SIGHUP) to the parent, which stops the batch and keeps what
    is finished; and they end when the parent ends."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if parent is not None:
        import threading

        threading.Thread(target=_watch_parent, args=parent, name="innosim-watch-parent", daemon=True).start()


def _timed(run_fn: Callable[[Task], RunRecord], task: Task) -> tuple[RunRecord, float, float]:
    """The run, its wall time and the CPU time of this thread (less than the wall time on a busy machine)."""
    start, cpu = time.perf_counter(), time.thread_time()
    with warnings.catch_warnings():
        # numpy's overflow warnings would print once per worker; the model's money check stops such a
        # run with the month and the account instead (a one-line BatchError)
        warnings.simplefilter("ignore", RuntimeWarning)
        record = run_fn(task)
    return record, time.perf_counter() - start, time.thread_time() - cpu


class _InlineExecutor(Executor):
    """jobs=1: run each task in this process when it is submitted."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # noqa: BLE001 - handed to the caller through the future
            future.set_exception(exc)
        return future


#: Seconds to wait for a dask scheduler to answer before giving up.
SCHEDULER_TIMEOUT = 5.0


def _scheduler_error(address: str, why: str) -> BatchError:
    return BatchError(msg("cannot use the dask scheduler at {address}: {why}; check --scheduler or {env} "
                          "(nothing was run or written)", address=address, why=why, env=SCHEDULER_ENV))


def check_scheduler(address: str, timeout: float = SCHEDULER_TIMEOUT) -> None:
    """Raise `BatchError` within about `timeout` seconds when `address` is not a reachable scheduler.

    A plain TCP connection is tried first: a wrong address fails at once, without the minute-long
    retries (and the noise) of a half-made dask Client."""
    import socket

    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        scheme, location = parse_address(address)
        if scheme not in ("tcp", "tls"):
            return
        host, port = parse_host_port(location, default_port=8786)
    except (ValueError, TypeError) as exc:
        raise _scheduler_error(address, f"not an address ({' '.join(str(exc).split())[:120]})") from None
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as exc:
        raise _scheduler_error(address, f"no answer within {timeout:g} s ({exc.strerror or type(exc).__name__})") \
            from None


def _client(address: str):
    from distributed import Client

    try:
        return Client(address, timeout=SCHEDULER_TIMEOUT)
    except Exception as exc:  # noqa: BLE001 - dask raises OSError, TimeoutError, ValueError and others
        raise _scheduler_error(address, f"{type(exc).__name__}: {' '.join(str(exc).split())[:120]}") from None


@contextmanager
def _script_hidden_from_workers(run_fn: Callable | None) -> Iterator[None]:
    """Let a plain script (no ``if __name__ == "__main__":`` guard) start worker processes.

    The forkserver and spawn start methods run the parent's main script again in every new
    process, which in an unguarded script starts the batch again and breaks the pool. The run
    functions live in importable modules, so the workers do not need the script: hide its path
    from multiprocessing while the pool starts workers. A run function defined in the script
    itself needs the script in the workers: then a guard is needed, as Python documents."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if path is None or (run_fn is not None and getattr(run_fn, "__module__", "") == "__main__"):
        yield
        return
    del main.__file__
    try:
        yield
    finally:
        main.__file__ = path


@contextmanager
def open_executor(jobs: int | None, scheduler: str | None) -> Iterator[tuple[Executor, int]]:
    """An executor and how many tasks it runs at once: Dask when a scheduler is given, else local."""
    if scheduler:
        check_scheduler(scheduler)
        with _client(scheduler) as client:
            slots = jobs or max(1, sum(client.nthreads().values()))
            with client.get_executor() as executor:
                yield executor, slots
        return
    jobs = jobs or default_jobs()
    if jobs == 1:
        yield _InlineExecutor(), 1
        return
    # forkserver: no fork() of a threaded parent (rich, dask), and workers start fast
    context = multiprocessing.get_context("forkserver" if sys.platform != "win32" else "spawn")
    if context.get_start_method() == "forkserver":
        context.set_forkserver_preload(["innosim.batch", "innosim.model"])  # imported once, not per worker
    executor = ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_quiet_worker,
                                   initargs=(_parent_identity(),))
    try:
        yield executor, jobs
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


@contextmanager
def _progress_bar(label: str, total: int, enabled: bool):
    """A rich progress bar with ETA on stderr; yields advance(n)."""
    if not enabled:
        yield lambda n=1: None
        return
    from rich.console import Console
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                               TimeRemainingColumn)

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn(msg("runs")),
               TimeElapsedColumn(), TextColumn(msg("ETA")), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=False) as bar:
        task_id = bar.add_task(label or msg("runs"), total=total)
        yield lambda n=1: bar.advance(task_id, n)


def _check_run_function(tasks: Sequence[Task], store: ResultStore, name: str) -> None:
    """Refuse to mix the results of two run functions under the same keys."""
    bound = {t.run_fn or DEFAULT_RUN_FN for t in tasks}
    if name not in bound and bound != {DEFAULT_RUN_FN}:
        raise BatchError(f"tasks were made for run function {sorted(bound)} but run_batch got {name}; "
                         "make them with make_tasks(..., run_fn=...)")
    others = store.run_functions(tasks) - {name}
    if others:
        raise BatchError(f"{store.path} already holds these tasks' results from {sorted(others)}, not {name}; "
                         "use another store")


def run_batch(tasks: Sequence[Task], store: ResultStore | str | Path, *, jobs: int | None = None,
              scheduler: str | None = None, run_fn: Callable[[Task], RunRecord] = run_task,
              progress: bool | None = None, label: str = "") -> ResultStore:
    """Run the tasks that are not yet in `store` and write each one as it finishes.

    jobs: worker processes (default: every core; 1 runs in this process). scheduler: address of a
    `dask.distributed` scheduler (default: the environment variable INNOSIM_SCHEDULER, else local).
    run_fn: a picklable module-level function Task -> RunRecord. progress: a bar with ETA (default:
    when stderr is a terminal). Returns the store; `store.last_batch` says what this call did.
    """
    scheduler = scheduler or os.environ.get(SCHEDULER_ENV) or None
    if scheduler and not isinstance(store, ResultStore) and not Path(store).exists():
        check_scheduler(scheduler)  # a wrong address leaves no empty store behind
    if not isinstance(store, ResultStore):
        store = ResultStore(store)
    with store.exclusive():
        _run_missing(tasks, store, jobs=jobs, scheduler=scheduler, run_fn=run_fn, progress=progress, label=label)
    _all_stored(store)
    return store


def _all_stored(store: ResultStore) -> None:
    """Add the runs kept beside a locked store; if it is still locked, say where they wait."""
    if not store.kept_aside:
        return
    try:
        store.add_kept_aside()
    except StoreError:
        pass
    if store.kept_aside:
        raise StoreError(msg("{path}: locked by another program; {n} finished runs are kept in {folder} and added "
                             "when the store is next opened: close the program that holds it and run the same "
                             "command again", path=store.path, n=store.kept_aside,
                             folder=pending_folder(store.path)))


def _run_missing(tasks: Sequence[Task], store: ResultStore, *, jobs: int | None, scheduler: str | None,
                 run_fn: Callable[[Task], RunRecord], progress: bool | None, label: str) -> ResultStore:
    name = function_name(run_fn)
    _check_run_function(tasks, store, name)
    todo = store.missing(tasks)
    stats = {"tasks": len(tasks), "stored_before": len(tasks) - len(todo), "ran": 0, "seconds": 0.0}
    store.last_batch = stats
    if not todo:
        return store
    show = sys.stderr.isatty() if progress is None else progress
    started = time.perf_counter()
    queue = iter(todo)
    if getattr(run_fn, "__module__", "") == "__main__" and jobs != 1 and not scheduler \
            and multiprocessing.current_process().name != "MainProcess":
        raise BatchError("run_batch was called while a worker process started: guard the script's "
                         "top level with `if __name__ == \"__main__\":`, or define the run function "
                         "in a module of its own")
    with _script_hidden_from_workers(run_fn), open_executor(jobs, scheduler) as (executor, slots), \
            _progress_bar(label, len(todo), show) as advance:
        # enough in flight to keep every worker busy, no more; in-process: store each run at once
        window = 1 if isinstance(executor, _InlineExecutor) else max(2 * slots, 2)
        pending: dict[Future, Task] = {}

        def fill() -> None:
            for task in queue:
                pending[executor.submit(_timed, run_fn, task)] = task
                if len(pending) >= window:
                    return

        fill()
        try:
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                failed = None
                for future in done:
                    task = pending.pop(future)
                    if future.exception() is not None:
                        failed = failed or (task, future.exception())
                        continue
                    record, seconds, cpu_seconds = future.result()
                    if isinstance(record, Mapping):  # a run function may return end values alone
                        record = RunRecord(end=record)
                    store.put(task, record, run_fn=name, seconds=seconds, cpu_seconds=cpu_seconds)
                    stats["ran"] += 1
                    advance(1)
                    del record, future
                if failed:
                    task, exc = failed
                    why = " ".join(f"{type(exc).__name__}: {exc}".split())
                    if isinstance(exc, BrokenProcessPool):  # a crash or the kernel's OOM killer: no message
                        why = msg("a worker process died while running it (out of memory, or killed)")
                    raise BatchError(msg("run failed: {label} (seed {seed}): {why}; the runs finished before it are "
                                         "kept in {path}", label=task.label, seed=task.seed, why=why[:300],
                                         path=store.path)) from exc
                fill()
        finally:
            for future in pending:
                future.cancel()
            stats["seconds"] = time.perf_counter() - started
    return store


__all__ = ["SCHEDULER_ENV", "BatchError", "check_scheduler", "default_jobs", "open_executor", "run_batch"]
