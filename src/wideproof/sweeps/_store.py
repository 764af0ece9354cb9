"""The resumable result store: one SQLite file (standard library), WAL journal, one row per point.

Every point is written by its own statement in autocommit mode, i.e. in its own transaction: a
sweep killed at any moment (SIGKILL included) loses only the points still being computed, and a
rerun finds every committed point by its content key (:meth:`Task.key`).  WAL mode lets readers
proceed while a writer commits, and a 60 s busy timeout lets several processes write the same
file; since keys are content hashes, a point written twice is the same point.

Tables: ``meta`` (``format = wideproof-results``, ``schema = 2``), ``points`` (key, the task's
description, the point, a checksum, time stored), ``verdicts`` (the latest verdict per claim id
and profile with the keys of its points, a checksum).  The store holds strict canonical JSON only
(:func:`wideproof.sweeps._json.canonical`); it knows nothing of claims.

Integrity, in the manner of SQLite itself: opening runs ``PRAGMA quick_check`` and refuses a
malformed file in one line.  Each row carries the SHA-256 of its canonical JSON fields; a row whose
checksum or content does not validate (unparsable JSON, missing or mistyped fields, a key that is
not the hash of the stored task, a point that is not that task's) is *damaged*: it is reported in
one line naming it and treated as missing, so a sweep recomputes and overwrites it and never reuses
it.  :func:`check_store` lists damaged rows, :func:`repair_store` drops them (and only them) after
writing a backup.  Schema-1 stores (no checksums) are upgraded on the first writable open.

Readers open with ``readonly=True`` (an SQLite ``mode=ro`` URI): nothing is created or changed,
and a store on read-only media is read as immutable.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from ..errors import ConfigError
from ._json import canonical, loads
from ._task import Point, Task

__all__ = [
    "DEFAULT_STORE",
    "Damage",
    "ResultStore",
    "StoredVerdict",
    "check_store",
    "checksum",
    "repair_store",
]

DEFAULT_STORE = "wideproof-results.sqlite"
FORMAT = "wideproof-results"
SCHEMA = 2
_CHUNK = 500
_KEY_CHARS = frozenset("0123456789abcdef")
_VERDICT_FIELDS = ("claim_id", "status", "predicted", "measured", "rule", "evidence")

_CREATE = (
    "CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE points (key TEXT PRIMARY KEY, task TEXT NOT NULL, point TEXT NOT NULL,"
    " stored REAL NOT NULL, checksum TEXT)",
    "CREATE TABLE verdicts (claim_id TEXT NOT NULL, profile TEXT NOT NULL, verdict TEXT NOT NULL,"
    " keys TEXT NOT NULL, stored REAL NOT NULL, checksum TEXT, PRIMARY KEY (claim_id, profile))",
)


@dataclass(frozen=True)
class StoredVerdict:
    """A verdict as stored: its JSON, the profile it was run with and the keys of its points."""

    claim_id: str
    profile: str
    verdict: dict[str, Any]
    keys: tuple[str, ...]
    stored: float


@dataclass(frozen=True)
class Damage:
    """A damaged row: its table, the name of the row (key, or claim id/profile) and why."""

    table: str
    row: str
    reason: str

    def __str__(self) -> str:
        if self.table == "database":
            return f"database {self.row}: {self.reason}"
        return f"{self.table} row {self.row}: {self.reason}"


class _Damaged(Exception):
    pass


def checksum(*fields: str) -> str:
    """SHA-256 (hex) of the canonical JSON array of a row's text fields."""
    return hashlib.sha256(canonical(list(fields)).encode()).hexdigest()


def _stderr_line(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


class ResultStore:
    """A result store at ``path`` (``":memory:"`` for a throw-away one).

    Args:
        path: the SQLite file; created with its tables when missing (unless ``readonly``).
        readonly: open for reading only (``mode=ro``): a missing file is an error, and nothing in
            the file or its directory is created or changed.
        on_damage: called with one line per damaged row met (default: printed on stderr).

    Raises:
        ConfigError: one line naming the file, when it is empty or missing (readers), a
            directory, cannot be created or written, is not an SQLite database, is malformed,
            or is another program's database.
    """

    def __init__(
        self,
        path: str | Path = DEFAULT_STORE,
        *,
        readonly: bool = False,
        on_damage: Callable[[str], None] | None = None,
    ) -> None:
        self.path = str(path)
        self.readonly = readonly
        self._on_damage = on_damage or _stderr_line
        self._reported: set[str] = set()
        self.schema = SCHEMA
        _check_path(self.path, readonly)
        self._conn: sqlite3.Connection | None = None
        try:
            with self._errors("open"):
                self._conn = _connect(self.path, readonly)
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
        """The valid stored points among ``keys``, by key (damaged rows are reported, skipped).

        A key that is not a string is the caller's error, named as such (``task.key`` is a
        method: the key is ``task.key()``), not a failure of the store."""
        bad = next((k for k in keys if not isinstance(k, str)), None)
        if bad is not None:
            hint = " (call it: task.key())" if callable(bad) else ""
            raise ConfigError(f"store keys must be str; got {type(bad).__name__}{hint}")
        found: dict[str, Point] = {}
        with self._errors("read"):
            for start in range(0, len(keys), _CHUNK):
                chunk = list(keys[start : start + _CHUNK])
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    f"SELECT key, task, point, {self._sum} FROM points WHERE key IN ({marks})",
                    chunk,
                ).fetchall()
                for row in rows:
                    try:
                        found[row[0]] = _parse_point(self.schema, *row)
                    except _Damaged as exc:
                        self._damage(Damage("points", str(row[0]), str(exc)))
        return found

    def put(self, task: Task, point: Point) -> None:
        """Commit one point atomically.

        A valid point already stored under its key is kept (it is the same point); a damaged
        row under that key is overwritten.
        """
        if self.readonly:
            raise ConfigError(f"result store {self.path} is open read-only")
        task_text, point_text = canonical(task.describe()), canonical(point.to_json())
        row = (point.key, task_text, point_text, checksum(point.key, task_text, point_text))
        insert = "INTO points (key, task, point, checksum, stored) VALUES (?, ?, ?, ?, ?)"
        with self._errors("write"):
            added = self._db.execute(f"INSERT OR IGNORE {insert}", (*row, time.time())).rowcount
            if added == 0:
                old = self._db.execute(
                    f"SELECT key, task, point, {self._sum} FROM points WHERE key = ?", (point.key,)
                ).fetchone()
                if old is None or not _valid(_parse_point, self.schema, old):
                    self._db.execute(f"INSERT OR REPLACE {insert}", (*row, time.time()))

    def count(self) -> int:
        """The number of stored point rows (damaged ones included)."""
        with self._errors("read"):
            (n,) = self._db.execute("SELECT COUNT(*) FROM points").fetchone()
        return int(n)

    # -- verdicts -------------------------------------------------------------------------
    def save_verdict(
        self, claim_id: str, profile: str, verdict: dict[str, Any], keys: Iterable[str]
    ) -> None:
        """Record the latest verdict of ``claim_id`` under ``profile``."""
        if self.readonly:
            raise ConfigError(f"result store {self.path} is open read-only")
        verdict_text, keys_text = canonical(verdict), canonical(list(keys))
        with self._errors("write"):
            self._db.execute(
                "INSERT OR REPLACE INTO verdicts"
                " (claim_id, profile, verdict, keys, stored, checksum) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    claim_id,
                    profile,
                    verdict_text,
                    keys_text,
                    time.time(),
                    checksum(claim_id, profile, verdict_text, keys_text),
                ),
            )

    def verdicts(self, claim_ids: Iterable[str] | None = None) -> list[StoredVerdict]:
        """Valid stored verdicts sorted by claim id and profile (all when ``claim_ids`` is None)."""
        wanted = None if claim_ids is None else set(claim_ids)
        out = []
        for row in self._verdict_rows():
            if wanted is not None and row[0] not in wanted:
                continue
            try:
                out.append(_parse_verdict(self.schema, *row))
            except _Damaged as exc:
                self._damage(Damage("verdicts", f"{row[0]}/{row[1]}", str(exc)))
        return out

    # -- integrity ------------------------------------------------------------------------
    def damage(self) -> list[Damage]:
        """Every damaged row, points first (reads the whole store; reports nothing)."""
        found = []
        with self._errors("read"):
            for row in self._db.execute(f"SELECT key, task, point, {self._sum} FROM points"):
                try:
                    _parse_point(self.schema, *row)
                except _Damaged as exc:
                    found.append(Damage("points", str(row[0]), str(exc)))
        for row in self._verdict_rows():
            try:
                _parse_verdict(self.schema, *row)
            except _Damaged as exc:
                found.append(Damage("verdicts", f"{row[0]}/{row[1]}", str(exc)))
        return found

    def drop(self, damaged: Iterable[Damage]) -> int:
        """Delete the named damaged rows, each after checking again that it is damaged."""
        dropped = 0
        with self._errors("write"):
            for d in damaged:
                if d.table == "points":
                    rows = self._db.execute(
                        f"SELECT key, task, point, {self._sum} FROM points WHERE key IS ?", (d.row,)
                    ).fetchall()
                    bad = [r for r in rows if not _valid(_parse_point, self.schema, r)]
                    for r in bad:
                        self._db.execute("DELETE FROM points WHERE key IS ?", (r[0],))
                else:
                    claim_id, _, profile = d.row.rpartition("/")
                    rows = [r for r in self._verdict_rows() if (r[0], r[1]) == (claim_id, profile)]
                    bad = [r for r in rows if not _valid(_parse_verdict, self.schema, r)]
                    for r in bad:
                        self._db.execute(
                            "DELETE FROM verdicts WHERE claim_id IS ? AND profile IS ?", r[:2]
                        )
                dropped += len(bad)
        return dropped

    # -- internals ------------------------------------------------------------------------
    @property
    def _sum(self) -> str:
        """The checksum column as selected (schema 1 has none)."""
        return "NULL" if self.schema == 1 else "checksum"

    @property
    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise ConfigError(f"result store {self.path} is closed")
        return self._conn

    def _damage(self, d: Damage) -> None:
        line = f"result store {self.path}: damaged {d}; treated as missing"
        if line not in self._reported:
            self._reported.add(line)
            self._on_damage(line)

    def _verdict_rows(self) -> list[tuple[Any, ...]]:
        with self._errors("read"):
            return self._db.execute(
                f"SELECT claim_id, profile, verdict, keys, stored, {self._sum} FROM verdicts"
                " ORDER BY claim_id, profile"
            ).fetchall()

    def _prepare(self) -> None:
        db = self._db
        problems = [" ".join(str(r[0]).split()) for r in db.execute("PRAGMA quick_check(1)")]
        if problems != ["ok"]:
            raise ConfigError(
                f"result store {self.path} is malformed (SQLite quick_check: {problems[0]}); "
                f"`wideproof store repair {self.path}` salvages its valid rows"
            )
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not tables:
            if self.readonly:
                raise ConfigError(f"result store {self.path} is empty (no wideproof tables)")
            _create_tables(db)
            tables = {"meta"}
        if "meta" not in tables:
            raise ConfigError(f"{self.path} is an SQLite database but not a wideproof result store")
        meta = dict(db.execute("SELECT name, value FROM meta").fetchall())
        if meta.get("format") != FORMAT:
            raise ConfigError(f"{self.path} is an SQLite database but not a wideproof result store")
        if meta.get("schema") not in ("1", str(SCHEMA)):
            raise ConfigError(
                f"result store {self.path} has schema {meta.get('schema')!r}; "
                f"this wideproof reads schemas 1 and {SCHEMA}"
            )
        self.schema = int(meta["schema"])
        if self.readonly:
            return
        db.execute("PRAGMA journal_mode=WAL")
        if self.schema == 1:
            self._upgrade()

    def _upgrade(self) -> None:
        """Schema 1 -> 2: add the checksum columns and fill them in for the rows that validate."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            if db.execute("SELECT value FROM meta WHERE name='schema'").fetchone() == ("1",):
                for table in ("points", "verdicts"):
                    db.execute(f"ALTER TABLE {table} ADD COLUMN checksum TEXT")
                rows = db.execute("SELECT key, task, point, NULL FROM points").fetchall()
                db.executemany(
                    "UPDATE points SET checksum = ? WHERE key = ?",
                    [
                        (checksum(*r[:3]), r[0])
                        for r in rows
                        if _valid(_parse_point, self.schema, r)
                    ],
                )
                vrows = db.execute(
                    "SELECT claim_id, profile, verdict, keys, stored, NULL FROM verdicts"
                ).fetchall()
                db.executemany(
                    "UPDATE verdicts SET checksum = ? WHERE claim_id = ? AND profile = ?",
                    [
                        (checksum(*r[:4]), r[0], r[1])
                        for r in vrows
                        if _valid(_parse_verdict, self.schema, r)
                    ],
                )
                db.execute("UPDATE meta SET value = ? WHERE name = 'schema'", (str(SCHEMA),))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        self.schema = SCHEMA

    def _errors(self, action: str) -> _SqliteErrors:
        return _SqliteErrors(self.path, action)


def _parse_point(schema: int, key: Any, task_text: Any, point_text: Any, check: Any) -> Point:
    """The point of a row, or :class:`_Damaged` saying why the row is not valid."""
    fields = (key, task_text, point_text)
    if not all(isinstance(f, str) for f in fields):
        raise _Damaged("a field is not text")
    _check_sum(check, schema, *fields)
    if len(key) != 64 or not set(key) <= _KEY_CHARS:
        raise _Damaged("the key is not a SHA-256 hex digest")
    try:
        task, point = loads(task_text), Point.from_json(loads(point_text))
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise _Damaged(f"invalid point JSON ({type(exc).__name__}: {exc})") from None
    if not isinstance(task, dict) or hashlib.sha256(canonical(task).encode()).hexdigest() != key:
        raise _Damaged("the key is not the hash of the stored task")
    if (point.key, point.knob, point.value, point.seed) != (
        key,
        task.get("knob"),
        task.get("value"),
        task.get("seed"),
    ):
        raise _Damaged("the point does not match its task")
    return point


def _parse_verdict(
    schema: int, claim_id: Any, profile: Any, verdict_text: Any, keys_text: Any, t: Any, check: Any
) -> StoredVerdict:
    """The verdict of a row, or :class:`_Damaged` saying why the row is not valid."""
    fields = (claim_id, profile, verdict_text, keys_text)
    if not all(isinstance(f, str) for f in fields) or not isinstance(t, float):
        raise _Damaged("a field has the wrong type")
    _check_sum(check, schema, *fields)
    try:
        verdict, keys = loads(verdict_text), loads(keys_text)
    except ValueError as exc:
        raise _Damaged(f"invalid verdict JSON ({exc})") from None
    if not isinstance(verdict, dict) or any(f not in verdict for f in _VERDICT_FIELDS):
        raise _Damaged(f"the verdict lacks one of {', '.join(_VERDICT_FIELDS)}")
    if verdict["claim_id"] != claim_id or not isinstance(verdict["evidence"], dict):
        raise _Damaged("the verdict does not match its row")
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise _Damaged("the point keys are not a list of strings")
    return StoredVerdict(claim_id, profile, verdict, tuple(keys), t)


def _valid(parse: Callable[..., object], schema: int, row: Sequence[Any]) -> bool:
    try:
        parse(schema, *row)
    except _Damaged:
        return False
    return True


def _check_sum(check: Any, schema: int, *fields: str) -> None:
    if check is None and schema == 1:
        return  # written before checksums existed; the content checks still apply
    if check != checksum(*fields):
        raise _Damaged("checksum mismatch")


def _check_path(path: str, readonly: bool) -> None:
    if path == ":memory:":
        if readonly:
            raise ConfigError("an in-memory result store cannot be opened read-only")
        return
    if not path.strip():
        raise ConfigError(
            "the result store path is empty; give a file name such as " + DEFAULT_STORE
        )
    p = Path(path)
    if p.is_dir():
        raise ConfigError(f"result store {path} is a directory, not a file")
    if p.exists():
        return
    if readonly:
        raise ConfigError(f"no result store at {path} (run `wideproof verify` first)")
    if not p.parent.is_dir():
        raise ConfigError(
            f"cannot create result store {path}: {p.parent} is not an existing directory"
        )


def _connect(path: str, readonly: bool) -> sqlite3.Connection:
    if readonly:
        uri = Path(path).resolve().as_uri() + "?mode=ro"
        if not os.access(Path(path).resolve().parent, os.W_OK):
            # read-only media: no -shm can be made and nobody writes; a -wal file that a
            # crashed writer left there is not read
            uri += "&immutable=1"
        conn = sqlite3.connect(uri, uri=True, timeout=60.0, isolation_level=None)
    else:
        conn = sqlite3.connect(path, timeout=60.0, isolation_level=None)
    conn.text_factory = _text  # damaged bytes make a damaged row, not a failed query
    return conn


def _text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def _create_tables(db: sqlite3.Connection) -> None:
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("BEGIN IMMEDIATE")
    try:
        if not db.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall():
            for stmt in _CREATE:  # (unless another process created them meanwhile)
                db.execute(stmt)
            db.executemany(
                "INSERT INTO meta (name, value) VALUES (?, ?)",
                [("format", FORMAT), ("schema", str(SCHEMA))],
            )
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def check_store(path: str | Path) -> list[Damage]:
    """The damage in the store at ``path`` (opened read-only): what SQLite's full
    ``PRAGMA integrity_check`` finds in the file's structure (an index that disagrees with its
    table, ...), then every damaged row."""
    with ResultStore(path, readonly=True) as store:
        return _structure(store) + store.damage()


def _structure(store: ResultStore) -> list[Damage]:
    with store._errors("check"):
        found = [" ".join(str(r[0]).split()) for r in store._db.execute("PRAGMA integrity_check")]
    return [] if found == ["ok"] else [Damage("database", "structure", f) for f in found]


def repair_store(path: str | Path) -> tuple[Path, list[Damage]]:
    """Back the store up, then drop its damaged rows and only those; ``(backup, dropped)``.

    A file whose structure SQLite finds damaged (malformed, or failing ``integrity_check``) is
    salvaged instead: every row that can still be read and validates is copied into a fresh
    store, which then replaces the file.
    """
    p = Path(path)
    _check_path(str(p), readonly=True)
    backup = p.with_name(f"{p.name}.backup-{time.strftime('%Y%m%dT%H%M%S')}")
    try:
        with ResultStore(p) as store:
            with store._errors("back up"):
                dst = sqlite3.connect(backup)
                try:
                    store._db.backup(dst)
                finally:
                    dst.close()
            structure = _structure(store)
            if not structure:
                damaged = store.damage()
                store.drop(damaged)
                return backup, damaged
    except ConfigError as exc:
        if "is malformed" not in str(exc):
            raise
        for suffix in ("", "-wal"):
            if Path(str(p) + suffix).exists():
                shutil.copyfile(str(p) + suffix, str(backup) + suffix)
        structure = [Damage("database", "structure", "malformed")]
    with _SqliteErrors(str(p), "salvage"):
        return backup, structure + _salvage(p)


def _salvage(path: Path) -> list[Damage]:
    """Copy every readable valid row of the malformed store ``path`` into a fresh one."""
    fresh = path.with_name(path.name + ".salvage")
    fresh.unlink(missing_ok=True)
    lost: list[Damage] = []
    src = sqlite3.connect(path, isolation_level=None)
    src.text_factory = _text
    try:
        try:
            src.execute("SELECT checksum FROM points LIMIT 0")
            schema, check = SCHEMA, "checksum"
        except sqlite3.DatabaseError:
            schema, check = 1, "NULL"
        with ResultStore(fresh) as out:
            for damaged in _readable_rows(src, "points", f"key, task, point, {check}", lost):
                try:
                    row = _salvage_point(schema, damaged)
                except _Damaged as exc:
                    lost.append(Damage("points", str(damaged[0]), str(exc)))
                    continue
                out._db.execute(
                    "INSERT OR IGNORE INTO points (key, task, point, stored, checksum)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (*row[:3], time.time(), checksum(*row[:3])),
                )
            cols = f"claim_id, profile, verdict, keys, stored, {check}"
            for row in _readable_rows(src, "verdicts", cols, lost):
                try:
                    _parse_verdict(schema, *row)
                except _Damaged as exc:
                    lost.append(Damage("verdicts", f"{row[0]}/{row[1]}", str(exc)))
                    continue
                out._db.execute(
                    "INSERT OR REPLACE INTO verdicts"
                    " (claim_id, profile, verdict, keys, stored, checksum) VALUES (?,?,?,?,?,?)",
                    (*row[:5], checksum(*row[:4])),
                )
    finally:
        src.close()
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    os.replace(fresh, path)
    return lost


def _salvage_point(schema: int, row: tuple[Any, ...]) -> tuple[Any, ...]:
    """``row`` if it validates, else ``row`` with its key recomputed from its task when that
    validates (checksum included): then only the table's copy of the key was damaged."""
    try:
        _parse_point(schema, *row)
        return row
    except _Damaged as first:
        try:
            fixed = (hashlib.sha256(canonical(loads(row[1])).encode()).hexdigest(), *row[1:])
            _parse_point(schema, *fixed)
        except (_Damaged, ValueError, TypeError):
            raise first from None
        return fixed


def _readable_rows(
    db: sqlite3.Connection, table: str, cols: str, lost: list[Damage]
) -> Iterator[tuple[Any, ...]]:
    """The rows of ``table`` that SQLite can still read, probing rowid by rowid past bad pages."""
    try:
        yield from db.execute(f"SELECT {cols} FROM {table}").fetchall()
        return
    except sqlite3.DatabaseError:
        pass
    try:
        (top,) = db.execute(f"SELECT max(rowid) FROM {table}").fetchone()
    except sqlite3.DatabaseError:
        top = None
    if not isinstance(top, int):
        (pages,) = db.execute("PRAGMA page_count").fetchone()
        top = int(pages) * 64
    for rowid in range(1, top + 1):
        try:
            row = db.execute(f"SELECT {cols} FROM {table} WHERE rowid = ?", (rowid,)).fetchone()
        except sqlite3.DatabaseError as exc:
            lost.append(Damage(table, f"rowid {rowid}", f"unreadable ({exc})"))
            continue
        if row is not None:
            yield row


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
        text = " ".join(str(exc).split())
        if "not a database" in text:
            msg = f"{self.path} is not a wideproof result store (not an SQLite database)"
        elif "malformed" in text:
            msg = (
                f"result store {self.path} is malformed ({text}); "
                f"`wideproof store repair {self.path}` salvages its valid rows"
            )
        elif "readonly" in text or "unable to open" in text or "disk I/O" in text:
            msg = f"cannot {self.action} result store {self.path}: {text}"
        else:
            msg = f"result store {self.path}: {self.action} failed: {text}"
        raise ConfigError(msg) from None
