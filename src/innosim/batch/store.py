"""The results store: one SQLite file in WAL mode, one transaction per finished run.

A run is either wholly in the store or not at all (a SIGKILL mid-write rolls back on the next
open), so `missing()` after an interruption is exactly the runs still to do. Only the parent
process writes; workers send back `RunRecord` tables. End values are rows (queried in bulk by
the analysis tools); a run's monthly table and relocation matrix are compressed blobs, decoded
one run at a time so reading stays light.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from innosim.scenario import content_hash

from .tasks import RunRecord, Task, overrides_json

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    key TEXT PRIMARY KEY, scenario TEXT, scenario_hash TEXT, scenario_file TEXT, overrides TEXT,
    replicate INTEGER, seed INTEGER, months INTEGER, run_fn TEXT, seconds REAL, finished REAL,
    cpu_seconds REAL);
CREATE TABLE IF NOT EXISTS end_values (
    key TEXT, indicator TEXT, region TEXT, value REAL, PRIMARY KEY (key, indicator, region));
CREATE TABLE IF NOT EXISTS series (key TEXT PRIMARY KEY, timeseries BLOB, relocations BLOB);
CREATE TABLE IF NOT EXISTS scenarios (scenario_hash TEXT PRIMARY KEY, name TEXT, json TEXT);
"""
#: Where `innosim compare` and `innosim batch` keep their runs, shared by every comparison and batch
#: (a baseline run once is reused by every comparison that needs it); $INNOSIM_STORE moves it.
STORE_ENV = "INNOSIM_STORE"
DEFAULT_STORE = Path("out") / "store" / "results.sqlite"


def default_store_path() -> Path:
    """The shared results store: $INNOSIM_STORE, else out/store/results.sqlite."""
    return Path(os.environ.get(STORE_ENV) or DEFAULT_STORE)


ID_COLUMNS = ["key", "scenario", "scenario_file", "overrides", "replicate", "seed"]
_CHUNK = 500  # keys per IN (...) query, below SQLite's variable limit


def _chunks(items: Sequence, size: int = _CHUNK) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array), allow_pickle=False)
    return buffer.getvalue()


def _parquet_bytes(table: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    table.to_parquet(buffer, index=False, compression="zstd")
    return buffer.getvalue()


class StoreError(RuntimeError):
    """The results store cannot be opened or written: its path, the reason and what to do."""


#: Where to go instead: compare and batch take --store, sensitivity and calibrate keep theirs in --out.
_ELSEWHERE = "use another --store (--out for sensitivity and calibrate)"


def _store_problem(path: Path, exc: sqlite3.Error) -> StoreError:
    text = str(exc)
    if "full" in text:
        why = "the disk is full; free some space and run the same command again (finished runs are kept)"
    elif "not a database" in text or "malformed" in text or "corrupt" in text:
        why = ("not a results store, or a damaged one; move it away or delete it, then run the same command "
               "again (its runs will be done again)")
    elif "readonly" in text or "unable to open" in text:
        why = f"cannot be written (permissions, or a read-only disk?); {_ELSEWHERE}"
    else:
        why = f"{' '.join(text.split())[:200]}; move it away or {_ELSEWHERE}"
    return StoreError(f"{path}: {why}")


class ResultStore:
    """Finished runs on disk, keyed by `Task.key`."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"{self.path}: cannot be opened ({getattr(exc, 'strerror', None) or exc}); "
                             f"{_ELSEWHERE}") from None
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a commit survives a killed process
            self._db.executescript(SCHEMA)
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(runs)")}
            if "cpu_seconds" not in columns:  # a store from before the column existed
                self._db.execute("ALTER TABLE runs ADD COLUMN cpu_seconds REAL")
            if "model_code" not in columns:  # which model code made the run (runs of older code are stale)
                self._db.execute("ALTER TABLE runs ADD COLUMN model_code TEXT")
        except sqlite3.Error as exc:
            self._db.close()
            raise _store_problem(self.path, exc) from None
        self.last_batch: dict = {}  # what the last run_batch call on this store did

    @contextmanager
    def exclusive(self, waiting: Callable[[str], None] | None = None):
        """Hold the store's batch lock (a file beside it) while running: a second process on the same
        store waits, then finds the shared runs done, rather than computing them twice. The lock goes
        with its process, however that ends."""
        try:
            import fcntl
        except ImportError:  # not POSIX: no lock
            yield
            return
        lock_path = self.path.with_name(self.path.name + ".lock")
        with open(lock_path, "a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                (waiting or (lambda text: print(text, file=sys.stderr, flush=True)))(
                    f"waiting: another process is running a batch on {self.path}; "
                    "this one will reuse its runs and do only the rest")
                fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __len__(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]

    def __repr__(self) -> str:
        return f"ResultStore({str(self.path)!r})"

    # -- what is there ---------------------------------------------------------------------
    def has(self, key: str) -> bool:
        return self._db.execute("SELECT 1 FROM runs WHERE key = ?", (key,)).fetchone() is not None

    def _present(self, keys: Sequence[str]) -> dict[str, str]:
        """key -> run function name, for the keys that are stored."""
        found: dict[str, str] = {}
        unique = list(dict.fromkeys(keys))
        for chunk in _chunks(unique):
            marks = ",".join("?" * len(chunk))
            found.update(self._db.execute(f"SELECT key, run_fn FROM runs WHERE key IN ({marks})", chunk))
        return found

    def missing(self, tasks: Sequence[Task]) -> list[Task]:
        """The tasks not yet in the store, in order, each key once."""
        present = self._present([t.key for t in tasks])
        todo, seen = [], set()
        for task in tasks:
            if task.key not in present and task.key not in seen:
                seen.add(task.key)
                todo.append(task)
        return todo

    def run_functions(self, tasks: Sequence[Task]) -> set[str]:
        """Names of the run functions that made the stored runs of `tasks`."""
        return set(self._present([t.key for t in tasks]).values())

    # -- writing ---------------------------------------------------------------------------
    @contextmanager
    def _transaction(self):
        """One write transaction: committed whole, or rolled back with the store's problem named."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
            db.execute("COMMIT")
        except BaseException as exc:
            if db.in_transaction:  # SQLite may have rolled back already (a full disk does)
                db.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise _store_problem(self.path, exc) from None
            raise

    def put(self, task: Task, record: RunRecord, run_fn: str = "", seconds: float = float("nan"),
            cpu_seconds: float = float("nan")) -> None:
        """Store one finished run in one transaction (all of it or nothing); seconds: wall and CPU time."""
        end_rows = [(task.key, indicator, region, None if value is None else float(value))
                    for indicator, by_region in record.end.items() for region, value in by_region.items()]
        series = None if record.timeseries is None else _parquet_bytes(record.timeseries)
        moves = None if record.relocations is None else _npy_bytes(record.relocations)
        scenario_hash = content_hash(task.scenario)
        from .tasks import model_code_hash

        with self._transaction() as db:
            db.execute("DELETE FROM end_values WHERE key = ?", (task.key,))
            db.executemany("INSERT INTO end_values VALUES (?, ?, ?, ?)", end_rows)
            db.execute("INSERT OR REPLACE INTO series VALUES (?, ?, ?)", (task.key, series, moves))
            db.execute("INSERT OR IGNORE INTO scenarios VALUES (?, ?, ?)",
                       (scenario_hash, task.scenario.name, task.scenario.model_dump_json()))
            db.execute("INSERT OR REPLACE INTO runs (key, scenario, scenario_hash, scenario_file, overrides, "
                       "replicate, seed, months, run_fn, seconds, finished, cpu_seconds, model_code) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (task.key, task.scenario.name, scenario_hash, task.scenario_file,
                        overrides_json(task.overrides), task.replicate, task.seed, task.months,
                        run_fn, seconds, time.time(), cpu_seconds, model_code_hash()))

    # -- reading ---------------------------------------------------------------------------
    @staticmethod
    def _ids(tasks: Sequence[Task]) -> pd.DataFrame:
        return pd.DataFrame({
            "key": [t.key for t in tasks],
            "scenario": [t.scenario.name for t in tasks],
            "scenario_file": [t.scenario_file for t in tasks],
            "overrides": [overrides_json(t.overrides) for t in tasks],
            "replicate": np.array([t.replicate for t in tasks], dtype=np.int64),
            "seed": np.array([t.seed for t in tasks], dtype=np.int64),
        })

    def end_values(self, tasks: Sequence[Task]) -> pd.DataFrame:
        """End values of the stored tasks, tidy, in task order (tasks not stored are left out)."""
        frames = []
        unique = list(dict.fromkeys(t.key for t in tasks))
        for chunk in _chunks(unique):
            marks = ",".join("?" * len(chunk))
            frames.append(pd.read_sql_query(
                f"SELECT key, indicator, region, value FROM end_values WHERE key IN ({marks})",
                self._db, params=list(chunk)))
        values = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
            columns=["key", "indicator", "region", "value"])
        values["value"] = values["value"].astype(float)
        ids = self._ids(tasks).reset_index(names="_task")
        table = ids.merge(values, on="key", how="inner").sort_values(["_task", "indicator", "region"],
                                                                      kind="stable")
        return table.drop(columns="_task").reset_index(drop=True)

    def _blob(self, key: str, column: str) -> bytes | None:
        row = self._db.execute(f"SELECT {column} FROM series WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def run_timeseries(self, key: str) -> pd.DataFrame | None:
        """One run's monthly table, or None when it is not stored (or was not kept)."""
        blob = self._blob(key, "timeseries")
        return None if blob is None else pd.read_parquet(io.BytesIO(blob))

    def timeseries(self, tasks: Sequence[Task], indicators: Sequence[str] | None = None,
                   regions: Sequence[str] | None = None) -> pd.DataFrame:
        """Monthly tables of the stored tasks with their id columns (optionally some indicators/regions)."""
        frames = []
        for ids in self._ids(tasks).itertuples(index=False):
            table = self.run_timeseries(ids.key)
            if table is None:
                continue
            if indicators is not None:
                table = table[table["indicator"].isin(indicators)]
            if regions is not None:
                table = table[table["region"].isin(regions)]
            frames.append(table.assign(**ids._asdict())[ID_COLUMNS + list(table.columns)])
        if not frames:
            return pd.DataFrame(columns=ID_COLUMNS + ["month", "date", "region", "indicator", "value"])
        return pd.concat(frames, ignore_index=True)

    def relocations(self, tasks: Sequence[Task]) -> np.ndarray:
        """Relocation matrices stacked in task order: [task, kind, from, to]; KeyError if one is absent."""
        arrays = []
        for task in tasks:
            blob = self._blob(task.key, "relocations")
            if blob is None:
                raise KeyError(f"no relocations stored for {task.label} (key {task.key})")
            arrays.append(np.load(io.BytesIO(blob), allow_pickle=False))
        return np.stack(arrays) if arrays else np.empty((0, 2, 4, 4))

    def runs(self) -> pd.DataFrame:
        """The runs table: one row per stored run with its provenance."""
        return pd.read_sql_query("SELECT * FROM runs ORDER BY finished", self._db)

    def scenario_json(self, scenario_hash: str) -> dict | None:
        row = self._db.execute("SELECT json FROM scenarios WHERE scenario_hash = ?", (scenario_hash,)).fetchone()
        return None if row is None else json.loads(row[0])

    # -- keeping it tidy -------------------------------------------------------------------
    def overview(self) -> pd.DataFrame:
        """Stored runs grouped by scenario, scenario file, overrides and horizon: how many, when,
        and whether the current model code made them (``current``)."""
        from .tasks import model_code_hash

        table = pd.read_sql_query(
            "SELECT scenario, scenario_file, overrides, months, COUNT(*) AS runs, "
            "MIN(finished) AS first, MAX(finished) AS last, "
            "SUM(CASE WHEN model_code = ? THEN 1 ELSE 0 END) AS current "
            "FROM runs GROUP BY scenario, scenario_file, overrides, months ORDER BY last",
            self._db, params=(model_code_hash(),))
        for column in ("first", "last"):
            table[column] = pd.to_datetime(table[column], unit="s").dt.strftime("%Y-%m-%d %H:%M")
        return table

    def select_keys(self, *, scenario: str | None = None, older_than_days: float | None = None,
                    stale: bool = False) -> list[str]:
        """Keys of the runs matching every condition given (none given: no keys)."""
        from .tasks import model_code_hash

        clauses, params = [], []
        if scenario is not None:
            clauses.append("scenario = ?")
            params.append(scenario)
        if older_than_days is not None:
            clauses.append("finished < ?")
            params.append(time.time() - older_than_days * 86400)
        if stale:
            clauses.append("(model_code IS NULL OR model_code != ?)")
            params.append(model_code_hash())
        if not clauses:
            return []
        query = "SELECT key FROM runs WHERE " + " AND ".join(clauses)
        return [key for (key,) in self._db.execute(query, params)]

    def delete(self, keys: Sequence[str]) -> int:
        """Remove these runs (all their rows, in one transaction); returns how many were stored."""
        removed = 0
        with self._transaction() as db:
            for chunk in _chunks(list(dict.fromkeys(keys))):
                marks = ",".join("?" * len(chunk))
                removed += db.execute(f"DELETE FROM runs WHERE key IN ({marks})", chunk).rowcount
                db.execute(f"DELETE FROM end_values WHERE key IN ({marks})", chunk)
                db.execute(f"DELETE FROM series WHERE key IN ({marks})", chunk)
            db.execute("DELETE FROM scenarios WHERE scenario_hash NOT IN (SELECT scenario_hash FROM runs)")
        return removed

    def vacuum(self) -> None:
        """Give the freed space back to the file system."""
        self._db.execute("VACUUM")
