"""The results store: one SQLite file in WAL mode, one transaction per finished run.

A run is either wholly in the store or not at all (a SIGKILL mid-write rolls back on the next
open), so `missing()` after an interruption is exactly the runs still to do. Only the parent
process writes; workers send back `RunRecord` tables. End values are rows (queried in bulk by
the analysis tools); a run's monthly table and relocation matrix are compressed blobs, decoded
one run at a time so reading stays light.

The store is innosim's alone (`storefile`): a file it did not make is refused, and every failure
names the store's path. When another program keeps the store locked, finished runs wait beside it
(`<store>.pending/`) and are added the next time the store is opened: nothing computed is lost.
"""

from __future__ import annotations

import functools
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

from . import storefile
from .tasks import RunRecord, Task, overrides_json
from innosim.i18n import msg

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


def _elsewhere() -> str:
    return msg(_ELSEWHERE)


#: Seconds a write waits for a lock another program holds on the store before its runs are kept aside.
LOCK_WAIT = 60.0


def _store_problem(path: Path, exc: Exception) -> StoreError:
    text = str(exc)
    if "locked" in text or "busy" in text:
        why = msg("locked by another program for over {wait} s; close the program that holds it "
                  "(a database browser?) and run the same command again (finished runs are kept)", wait=f"{LOCK_WAIT:g}")
    elif "full" in text:
        why = msg("the disk is full; free some space and run the same command again (finished runs are kept)")
    elif "not a database" in text or "malformed" in text or "corrupt" in text:
        why = msg("not a results store, or a damaged one; move it away or delete it, then run the same command "
                  "again (its runs will be done again)")
    elif "readonly" in text or "unable to open" in text:
        why = msg("cannot be written (permissions, or a read-only disk?); {elsewhere}", elsewhere=_elsewhere())
    else:
        why = msg("{why}; move it away or {elsewhere}", why=" ".join(text.split())[:200], elsewhere=_elsewhere())
    return StoreError(f"{path}: {why}")


def _named(method):
    """Report a database failure inside `method` as a StoreError naming the store's path."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except (sqlite3.Error, pd.errors.DatabaseError) as exc:
            raise _store_problem(self.path, exc) from None
    return wrapper


def check_store(path: str | Path) -> Path:
    """Refuse (StoreError naming the path) a store file innosim may not use, writing nothing: what a
    command checks before its first run."""
    path = Path(path)
    try:
        storefile.check_file(path)
    except storefile.NotOurs as exc:
        raise StoreError(f"{path}: {exc}; {_elsewhere()}") from None
    except (OSError, sqlite3.Error) as exc:
        raise _store_problem(path, exc) from None
    return path


class ResultStore:
    """Finished runs on disk, keyed by `Task.key`."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._holding = None  # the lock this store holds until closed (`hold`)
        self._aside = 0  # runs kept beside the store while it was locked
        try:
            existing = storefile.check_file(self.path)
        except storefile.NotOurs as exc:
            raise StoreError(f"{self.path}: {exc}; {_elsewhere()}") from None
        except (OSError, sqlite3.Error) as exc:
            raise _store_problem(self.path, exc) from None
        try:
            if not self.path.parent.exists():  # a folder innosim makes is innosim's (its marker)
                from innosim.outdir import mark

                self.path.parent.mkdir(parents=True)
                mark(self.path.parent)
            self._db = sqlite3.connect(self.path, timeout=LOCK_WAIT, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(msg("{path}: cannot be opened ({why}); {elsewhere}", path=self.path,
                                 why=getattr(exc, "strerror", None) or exc, elsewhere=_elsewhere())) from None
        try:
            self._prepare(existing)
        except sqlite3.Error as exc:
            self._db.close()
            raise _store_problem(self.path, exc) from None
        self.last_batch: dict = {}  # what the last run_batch call on this store did
        self.add_kept_aside()

    def _prepare(self, existing: bool) -> None:
        """Mark a new store as innosim's (or adopt an older one), and bring its tables up to date."""
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a commit survives a killed process
        if not existing or self._db.execute("PRAGMA application_id").fetchone()[0] == 0:
            storefile.mark(self._db)
        self._db.executescript(SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(runs)")}
        if "cpu_seconds" not in columns:  # a store from before the column existed
            self._db.execute("ALTER TABLE runs ADD COLUMN cpu_seconds REAL")
        if "model_code" not in columns:  # which model code made the run (runs of older code are stale)
            self._db.execute("ALTER TABLE runs ADD COLUMN model_code TEXT")

    @contextmanager
    def exclusive(self, waiting: Callable[[str], None] | None = None):
        """Hold the store's lock (a file beside it) while running or pruning: a second process on the
        same store waits, then finds the shared runs done, rather than computing them twice; a prune
        never deletes runs under a batch. Re-entrant within a process; the lock goes with its process,
        however that ends."""
        hold = storefile.acquire(self.path, waiting)
        try:
            yield
        finally:
            storefile.release(hold)

    def hold(self, waiting: Callable[[str], None] | None = None) -> ResultStore:
        """Take the store's lock until `close()`: from the runs to the last read of their results."""
        if self._holding is None:
            self._holding = storefile.acquire(self.path, waiting)
        return self

    def close(self) -> None:
        hold, self._holding = self._holding, None
        storefile.release(hold)
        self._db.close()

    def __del__(self) -> None:
        hold, self._holding = getattr(self, "_holding", None), None
        storefile.release(hold)

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @_named
    def __len__(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]

    def __repr__(self) -> str:
        return f"ResultStore({str(self.path)!r})"

    # -- what is there ---------------------------------------------------------------------
    @_named
    def has(self, key: str) -> bool:
        return self._db.execute("SELECT 1 FROM runs WHERE key = ?", (key,)).fetchone() is not None

    @_named
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
        try:
            db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:  # locked by another program, or damaged
            raise _store_problem(self.path, exc) from None
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
        """Store one finished run in one transaction (all of it or nothing); seconds: wall and CPU time.
        While another program keeps the store locked, the run is kept beside it instead (`kept_aside`)."""
        row = self._row(task, record, run_fn, seconds, cpu_seconds)
        if self._aside:  # locked a moment ago: no second long wait per run
            self._keep_aside(row)
            return
        try:
            self._write(row)
        except StoreError as exc:
            if "locked" not in str(exc):
                raise
            self._keep_aside(row)

    @property
    def kept_aside(self) -> int:
        """Finished runs this store object had to keep beside the store (it was locked)."""
        return self._aside

    def _keep_aside(self, row: dict) -> None:
        storefile.keep_aside(self.path, row["key"], row)
        self._aside += 1

    def add_kept_aside(self) -> int:
        """Add the runs kept beside the store while it was locked; returns how many were added."""
        added = 0
        for file, row in storefile.kept_aside(self.path):
            self._write(row)
            file.unlink(missing_ok=True)
            added += 1
        if added:
            self._aside = 0
            try:
                storefile.pending_folder(self.path).rmdir()
            except OSError:
                pass
        return added

    @staticmethod
    def _row(task: Task, record: RunRecord, run_fn: str, seconds: float, cpu_seconds: float) -> dict:
        """One finished run as plain values and bytes: what `_write` stores, or `keep_aside` keeps."""
        from .tasks import model_code_hash

        return {
            "key": task.key, "scenario": task.scenario.name, "scenario_hash": content_hash(task.scenario),
            "scenario_json": task.scenario.model_dump_json(), "scenario_file": task.scenario_file,
            "overrides": overrides_json(task.overrides), "replicate": task.replicate, "seed": task.seed,
            "months": task.months, "run_fn": run_fn, "seconds": seconds, "finished": time.time(),
            "cpu_seconds": cpu_seconds, "model_code": model_code_hash(),
            "end": [[indicator, region, None if value is None else float(value)]
                    for indicator, by_region in record.end.items() for region, value in by_region.items()],
            "timeseries": None if record.timeseries is None else _parquet_bytes(record.timeseries),
            "relocations": None if record.relocations is None else _npy_bytes(record.relocations),
        }

    def _write(self, row: dict) -> None:
        key = row["key"]
        with self._transaction() as db:
            db.execute("DELETE FROM end_values WHERE key = ?", (key,))
            db.executemany("INSERT INTO end_values VALUES (?, ?, ?, ?)", [(key, *end) for end in row["end"]])
            db.execute("INSERT OR REPLACE INTO series VALUES (?, ?, ?)", (key, row["timeseries"], row["relocations"]))
            db.execute("INSERT OR IGNORE INTO scenarios VALUES (?, ?, ?)",
                       (row["scenario_hash"], row["scenario"], row["scenario_json"]))
            db.execute("INSERT OR REPLACE INTO runs (key, scenario, scenario_hash, scenario_file, overrides, "
                       "replicate, seed, months, run_fn, seconds, finished, cpu_seconds, model_code) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       tuple(row[name] for name in ("key", "scenario", "scenario_hash", "scenario_file", "overrides",
                                                    "replicate", "seed", "months", "run_fn", "seconds", "finished",
                                                    "cpu_seconds", "model_code")))

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

    @_named
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

    @_named
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

    @_named
    def runs(self) -> pd.DataFrame:
        """The runs table: one row per stored run with its provenance."""
        return pd.read_sql_query("SELECT * FROM runs ORDER BY finished", self._db)

    @_named
    def scenario_json(self, scenario_hash: str) -> dict | None:
        row = self._db.execute("SELECT json FROM scenarios WHERE scenario_hash = ?", (scenario_hash,)).fetchone()
        return None if row is None else json.loads(row[0])

    # -- keeping it tidy -------------------------------------------------------------------
    @_named
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

    @_named
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

    @_named
    def check(self) -> None:
        """Raise StoreError naming the path when SQLite finds the file damaged (`PRAGMA quick_check`)."""
        found = [row[0] for row in self._db.execute("PRAGMA quick_check(3)")]
        if found != ["ok"]:
            raise StoreError(msg("{path}: damaged ({why}); move it away or delete it, then run the same command "
                                 "again (its runs will be done again)", path=self.path,
                                 why=" ".join(str(found[0]).split())[:120]))

    @_named
    def vacuum(self) -> None:
        """Give the freed space back to the file system."""
        self._db.execute("VACUUM")
