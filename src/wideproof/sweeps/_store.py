"""The resumable result store: one SQLite file (standard library), WAL journal, one row per point.

Every point is written by its own ``INSERT OR IGNORE`` statement in autocommit mode, i.e. in its
own transaction: a sweep killed at any moment (SIGKILL included) loses only the points still being
computed, and a rerun finds every committed point by its content key (:meth:`Task.key`).  WAL
mode lets readers proceed while a writer commits, and a 60 s busy timeout lets two processes write
the same file; since keys are content hashes, a point written twice is the same point.

Tables: ``meta`` (``format = wideproof-results``, ``schema = 1``), ``points`` (key, the task's
description, the point as JSON, time stored), ``verdicts`` (the latest verdict per claim id and
profile with the keys of its points).  The store holds JSON only; it knows nothing of claims.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from ..errors import ConfigError
from ._task import Point, Task

__all__ = ["DEFAULT_STORE", "ResultStore", "StoredVerdict"]

DEFAULT_STORE = "wideproof-results.sqlite"
FORMAT = "wideproof-results"
SCHEMA = 1
_CHUNK = 500

_CREATE = (
    "CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE points (key TEXT PRIMARY KEY, task TEXT NOT NULL, point TEXT NOT NULL,"
    " stored REAL NOT NULL)",
    "CREATE TABLE verdicts (claim_id TEXT NOT NULL, profile TEXT NOT NULL, verdict TEXT NOT NULL,"
    " keys TEXT NOT NULL, stored REAL NOT NULL, PRIMARY KEY (claim_id, profile))",
)


@dataclass(frozen=True)
class StoredVerdict:
    """A verdict as stored: its JSON, the profile it was run with and the keys of its points."""

    claim_id: str
    profile: str
    verdict: dict[str, Any]
    keys: tuple[str, ...]
    stored: float


class ResultStore:
    """A result store at ``path`` (``":memory:"`` for a throw-away one).

    Args:
        path: the SQLite file; created with its tables when missing (and ``create``).
        create: when False, a missing file is a :class:`ConfigError` (for readers).

    Raises:
        ConfigError: one line naming the file, when it is a directory, cannot be created or
            written, is not an SQLite database, is corrupt, or is another program's database.
    """

    def __init__(self, path: str | Path = DEFAULT_STORE, *, create: bool = True) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            p = Path(path)
            if p.is_dir():
                raise ConfigError(f"result store {self.path} is a directory, not a file")
            if not p.exists():
                if not create:
                    raise ConfigError(
                        f"no result store at {self.path} (run `wideproof verify` first)"
                    )
                if not p.parent.is_dir():
                    raise ConfigError(
                        f"cannot create result store {self.path}: "
                        f"{p.parent} is not an existing directory"
                    )
        self._conn: sqlite3.Connection | None = None
        try:
            with self._errors("open"):
                self._conn = sqlite3.connect(self.path, timeout=60.0, isolation_level=None)
                self._prepare()
        except BaseException:
            self.close()
            raise

    # -- lifecycle ------------------------------------------------------------------------
    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ResultStore({self.path!r})"

    # -- points ---------------------------------------------------------------------------
    def get_many(self, keys: Sequence[str]) -> dict[str, Point]:
        """The stored points among ``keys``, by key."""
        found: dict[str, Point] = {}
        with self._errors("read"):
            for start in range(0, len(keys), _CHUNK):
                chunk = list(keys[start : start + _CHUNK])
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    f"SELECT key, point FROM points WHERE key IN ({marks})", chunk
                ).fetchall()
                for key, blob in rows:
                    found[key] = Point.from_json(json.loads(blob))
        return found

    def put(self, task: Task, point: Point) -> None:
        """Commit one point (atomically; a point already stored under its key is kept)."""
        with self._errors("write"):
            self._db.execute(
                "INSERT OR IGNORE INTO points (key, task, point, stored) VALUES (?, ?, ?, ?)",
                (point.key, json.dumps(task.describe()), json.dumps(point.to_json()), time.time()),
            )

    def count(self) -> int:
        """The number of stored points."""
        with self._errors("read"):
            (n,) = self._db.execute("SELECT COUNT(*) FROM points").fetchone()
        return int(n)

    # -- verdicts -------------------------------------------------------------------------
    def save_verdict(
        self, claim_id: str, profile: str, verdict: dict[str, Any], keys: Iterable[str]
    ) -> None:
        """Record the latest verdict of ``claim_id`` under ``profile``."""
        with self._errors("write"):
            self._db.execute(
                "INSERT OR REPLACE INTO verdicts (claim_id, profile, verdict, keys, stored)"
                " VALUES (?, ?, ?, ?, ?)",
                (claim_id, profile, json.dumps(verdict), json.dumps(list(keys)), time.time()),
            )

    def verdicts(self, claim_ids: Iterable[str] | None = None) -> list[StoredVerdict]:
        """Stored verdicts sorted by claim id and profile (all when ``claim_ids`` is None)."""
        with self._errors("read"):
            rows = self._db.execute(
                "SELECT claim_id, profile, verdict, keys, stored FROM verdicts"
                " ORDER BY claim_id, profile"
            ).fetchall()
        wanted = None if claim_ids is None else set(claim_ids)
        return [
            StoredVerdict(cid, prof, json.loads(v), tuple(json.loads(k)), float(t))
            for cid, prof, v, k, t in rows
            if wanted is None or cid in wanted
        ]

    # -- internals ------------------------------------------------------------------------
    @property
    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise ConfigError(f"result store {self.path} is closed")
        return self._conn

    def _prepare(self) -> None:
        db = self._db
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not tables:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("BEGIN IMMEDIATE")
            try:
                again = db.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
                if not again:  # another process may have created the tables meanwhile
                    for stmt in _CREATE:
                        db.execute(stmt)
                    db.executemany(
                        "INSERT INTO meta (name, value) VALUES (?, ?)",
                        [("format", FORMAT), ("schema", str(SCHEMA))],
                    )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            tables = {"meta"}
        if "meta" not in tables:
            raise ConfigError(f"{self.path} is an SQLite database but not a wideproof result store")
        meta = dict(db.execute("SELECT name, value FROM meta").fetchall())
        if meta.get("format") != FORMAT:
            raise ConfigError(f"{self.path} is an SQLite database but not a wideproof result store")
        if meta.get("schema") != str(SCHEMA):
            raise ConfigError(
                f"result store {self.path} has schema {meta.get('schema')!r}; "
                f"this wideproof reads schema {SCHEMA}"
            )
        db.execute("PRAGMA journal_mode=WAL")

    def _errors(self, action: str) -> _SqliteErrors:
        return _SqliteErrors(self.path, action)


class _SqliteErrors:
    """Turn ``sqlite3`` errors into one-line :class:`ConfigError` messages naming the file."""

    def __init__(self, path: str, action: str) -> None:
        self.path = path
        self.action = action

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None or not isinstance(exc, sqlite3.Error):
            return
        text = str(exc)
        if "not a database" in text:
            msg = f"{self.path} is not a wideproof result store (not an SQLite database)"
        elif "malformed" in text:
            msg = f"result store {self.path} is corrupt ({text})"
        elif "readonly" in text or "unable to open" in text or "disk I/O" in text:
            msg = f"cannot {self.action} result store {self.path}: {text}"
        else:
            msg = f"result store {self.path}: {self.action} failed: {text}"
        raise ConfigError(msg) from None
