"""The database errors one analysis keeps, on disk: memory stays flat however many a log holds.

A log made of errors (a server log of a retry storm, a service failing every request) holds
hundreds of thousands of them. Root election needs each one's place (input, test, ids, process,
time) and findings need every occurrence, but only a few are ever read back: the roots elected
for the failures and, per finding, the first, the last and the fields they fill. So every
observation holding a real error is added here and read back by index: in memory while they are
few (SPILL occurrences: a run's failures), else from a temporary SQLite file with a bounded page
cache, removed on close:

  obs  one row per observation with a real (non-cascade) error: its scope keys and the innermost
       real error, which is what an election returns (``Row``: seq, fingerprint, error);
  ids  its correlation ids (reqId, jobId, traceId, session);
  occ  one row per real error: the occurrence identity that makes copies of one error read from
       several inputs count once (findings), and where it was read.

In memory, ``_Indexes`` holds the same rows in the orders the SQL reads them; in the file, errors
are marshalled field tuples (``dump``/``load``), read back into equal DbErrors.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import sqlite3
import tempfile
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import fields
from operator import attrgetter
from types import TracebackType
from typing import Any, Self

from triage.correlate.fingerprint import fingerprint
from triage.correlate.groups import READABLE, real_errors
from triage.errors import TriageError
from triage.inputs import testid
from triage.model import DbError, Location, epoch
from triage.observe import APP_LOGS, Observation

CORRELATION_IDS = ("reqId", "jobId", "traceId", "session")
SPILL = 20_000  # observations (or occurrences) held in memory before the store moves to its file
BATCH = 4096  # rows written at once, after
RECENT = 65536  # occurrence identities remembered to skip writing their copies
CACHE_KB = 8192  # SQLite's page cache (its sorter spills to the file beyond it)
PRAGMAS = (  # a scratch file: no journal, no syncing, one connection
    "journal_mode = OFF",
    "synchronous = OFF",
    "locking_mode = EXCLUSIVE",
    "temp_store = FILE",
    f"cache_size = -{CACHE_KB}",
)

# seq, fingerprint of the innermost real error, and that error (dumped, once in the file)
Row = tuple[int, str, Any]
_REST = tuple(f.name for f in fields(DbError) if f.name != "location")
_rest = attrgetter(*_REST)


def dump(err: DbError) -> bytes:
    return marshal.dumps(as_tuple(err))


def load(blob: bytes) -> DbError:
    return from_tuple(marshal.loads(blob))


def as_tuple(err: DbError) -> tuple[Any, ...]:
    """The error's fields as a tuple marshal writes (``from_tuple`` reads it back)."""
    loc = err.location
    return (loc.path, loc.line, *_rest(err))


def from_tuple(values: tuple[Any, ...]) -> DbError:
    path, line, *rest = values
    return DbError(location=Location(path, line), **dict(zip(_REST, rest, strict=True)))


def occurrence_id(err: DbError, ob: Observation) -> tuple[object, ...]:
    """Copies of one error in several inputs count once: same test (in the same run of a log that
    holds several), or same key and second."""
    ev = ob.event
    if ev.test:
        return ("test", testid.key(ev.test), ev.phase or "call", ev.id_value("run"))
    second = (err.time or "")[:19]
    return ("at", err.key, second or f"{err.location.path}:{err.location.line}")


_SCHEMA = """
CREATE TABLE obs (seq INTEGER PRIMARY KEY, path TEXT, worker TEXT, test TEXT, pid TEXT, t REAL,
                  fp TEXT, err BLOB);
CREATE TABLE ids (name TEXT, value TEXT, seq INTEGER);
CREATE TABLE occ (fp TEXT, ident TEXT, readable INTEGER, seq INTEGER, k INTEGER, path TEXT,
                  line INTEGER, err BLOB);
"""
_INDEXES = """
CREATE INDEX obs_test ON obs (test, seq) WHERE test IS NOT NULL;
CREATE INDEX obs_pid ON obs (pid, seq) WHERE pid IS NOT NULL;
CREATE INDEX obs_path ON obs (path, worker, seq);
CREATE INDEX obs_time ON obs (t, seq) WHERE t IS NOT NULL;
CREATE INDEX ids_pair ON ids (name, value, seq);
CREATE TABLE won AS
  SELECT fp, readable, seq, k, path, line, err FROM (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY fp, ident ORDER BY readable, seq, k) AS n FROM occ)
  WHERE n = 1;
CREATE INDEX won_at ON won (fp, path, line);
CREATE INDEX won_order ON won (readable, seq, k);
"""


class Scratch:
    """A temporary SQLite file one analysis writes and reads back (``_open``), removed on
    ``close``; a write that fails (a full disk) is the one-line error a user can act on."""

    WHAT = "rows"  # what the file keeps, as the error names it

    def __init__(self) -> None:
        self._db: sqlite3.Connection | None = None
        self._path: str | None = None
        self.sealed = False

    @property
    def spilled(self) -> bool:
        return self._db is not None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
        self._drop_file()

    def _drop_file(self) -> None:
        if self._path is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._path)
            self._path = None

    def _start(self, prefix: str, schema: str, in_memory: bool) -> bool:
        """Move to a new temporary file holding ``schema`` (or, with nowhere to write and
        ``in_memory``, to the same tables in SQLite's memory); False: nothing was made."""
        try:
            fd, self._path = tempfile.mkstemp(prefix=prefix, suffix=".sqlite")
            os.close(fd)
            db = sqlite3.connect(self._path)
        except (OSError, sqlite3.Error):
            self._drop_file()
            if not in_memory:
                return False
            db = sqlite3.connect(":memory:")
        for pragma in PRAGMAS:
            db.execute(f"PRAGMA {pragma}")
        self._db = db
        with self._writing():
            db.executescript(schema)
        return True

    # what ``seal`` runs in the file once every row is written (indexes, derived tables)
    SEALING = ""

    def seal(self) -> None:
        """Write what waits and build what the queries read (once; nothing is added after)."""
        if self.sealed:
            return
        if self._db is not None:
            self._flush()
            with self._writing():
                self._db.executescript(self.SEALING)
        else:
            self._seal_in_memory()
        self.sealed = True

    def _flush(self) -> None:
        raise NotImplementedError

    def _seal_in_memory(self) -> None:
        """What ``seal`` does when every row is still held."""

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            where = os.path.dirname(self._path) if self._path else "memory"
            raise TriageError(
                f"cannot write the {self.WHAT} kept for correlation to a temporary file in"
                f" {where} ({exc}); set TMPDIR to a directory with room"
            ) from exc


class ErrorStore(Scratch):
    """Observations holding real database errors, indexed by every scope key.

    ``add`` each one as it is read, then ``seal`` once; the queries work on a sealed store. Up
    to SPILL occurrences are held in memory (a run's failures: the file would cost more than it
    saves); past that, every row moves to a temporary SQLite file and the rest follow."""

    WHAT = "errors"
    SEALING = _INDEXES

    def __init__(self) -> None:
        super().__init__()
        self._obs: list[tuple[Any, ...]] = []
        self._ids: list[tuple[str, str, int]] = []
        self._occ: list[tuple[Any, ...]] = []
        self._recent: dict[tuple[str, str], int] = {}  # (fp, ident) -> readable, written lately
        self._mem: _Indexes | None = None

    def add(self, ob: Observation) -> None:
        """Keep the real errors of one observation (none: nothing is written)."""
        real = real_errors(ob.errors)
        if not real:
            return
        ev = ob.event
        seq = ob.seq
        readable = READABLE.get(ev.fmt, 0)
        fp = ""
        recent = self._recent
        for k, err in enumerate(real):
            fp = fingerprint(err)
            ident = repr(occurrence_id(err, ob))
            # a copy of an occurrence written before from an input as readable is never the
            # one kept (occurrences): not written (most of a log of errors repeats itself)
            seen = recent.get((fp, ident))
            if seen is not None and seen <= readable:
                continue
            if len(recent) >= RECENT:
                recent.clear()
            recent[fp, ident] = readable
            loc = err.location
            self._occ.append((fp, ident, readable, seq, k, loc.path, loc.line, err))
        self._obs.append(
            (
                seq,
                ev.path,
                ev.id_value("worker"),
                testid.key(ev.test) if ev.test else None,
                ob.near_pid if ob.near_pid and ev.fmt in APP_LOGS else None,
                epoch(ev.time),
                fp,  # the innermost real error's
                real[-1],
            )
        )
        for name, value in ev.ids:
            if name in CORRELATION_IDS:
                self._ids.append((name, value, seq))
        if self._db is not None:
            if len(self._obs) >= BATCH:
                self._flush()
        elif len(self._obs) >= SPILL or len(self._occ) >= SPILL:
            self._spill()

    def _spill(self) -> None:
        self._start("triage-errors-", _SCHEMA, in_memory=True)
        self._flush()

    def _flush(self) -> None:
        assert self._db is not None
        db = self._db
        with self._writing():
            db.executemany(
                "INSERT INTO obs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(*row[:7], dump(row[7])) for row in self._obs],
            )
            db.executemany("INSERT INTO ids VALUES (?, ?, ?)", self._ids)
            db.executemany(
                "INSERT INTO occ VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(*row[:7], dump(row[7])) for row in self._occ],
            )
        self._obs, self._ids, self._occ = [], [], []

    def _seal_in_memory(self) -> None:
        self._mem = _Indexes(self._obs, self._ids, self._occ)

    def error(self, payload: DbError | bytes) -> DbError:
        """The error of a pool's row (held, or dumped in the file)."""
        return payload if isinstance(payload, DbError) else load(payload)

    # --- pools for root election, each in the order the election reads it -------------------

    def _rows(self, sql: str, args: tuple[object, ...]) -> Iterator[Row]:
        assert self._db is not None
        return self._db.execute(sql, args)

    def by_test(self, key: str) -> Iterable[Row]:
        if self._mem is not None:
            return self._mem.by_test.get(key, ())
        return self._rows("SELECT seq, fp, err FROM obs WHERE test = ? ORDER BY seq", (key,))

    def by_id(self, name: str, value: str) -> Iterable[Row]:
        if self._mem is not None:
            return self._mem.by_id.get((name, value), ())
        return self._rows(
            "SELECT o.seq, o.fp, o.err FROM ids i JOIN obs o ON o.seq = i.seq"
            " WHERE i.name = ? AND i.value = ? ORDER BY i.seq",
            (name, value),
        )

    def by_pid(self, pid: str) -> Iterable[Row]:
        if self._mem is not None:
            return self._mem.by_pid.get(pid, ())
        return self._rows("SELECT seq, fp, err FROM obs WHERE pid = ? ORDER BY seq", (pid,))

    def before(self, path: str, worker: str | None, seq: int) -> Iterable[Row]:
        """The errors read from ``path`` (by the same xdist worker) before ``seq``, nearest first."""
        if self._mem is not None:
            pool = self._mem.by_path.get((path, worker), [])
            k = bisect_left(pool, seq, key=lambda row: row[0])
            return (pool[i] for i in range(k - 1, -1, -1))
        return self._rows(
            "SELECT seq, fp, err FROM obs WHERE path = ? AND worker IS ? AND seq < ?"
            " ORDER BY seq DESC",
            (path, worker, seq),
        )

    def between(self, lo: float, hi: float) -> Iterable[Row]:
        """The errors stamped in [lo, hi], in time order (then reading order)."""
        if self._mem is not None:
            mem = self._mem
            return mem.timed[bisect_left(mem.times, lo) : bisect_right(mem.times, hi)]
        return self._rows(
            "SELECT seq, fp, err FROM obs WHERE t >= ? AND t <= ? ORDER BY t, seq", (lo, hi)
        )

    # --- occurrences, for findings and the key lifecycle -----------------------------------

    def occurrences(self) -> Iterator[tuple[str, int, DbError]]:
        """(fingerprint, seq, error) of every occurrence, copies of one counted once (the
        readable copy kept), readable inputs first, then in reading order."""
        if self._mem is not None:
            yield from self._mem.won
            return
        assert self._db is not None
        for fp, seq, blob in self._db.execute(
            "SELECT fp, seq, err FROM won ORDER BY readable, seq, k"
        ):
            yield fp, seq, load(blob)

    def occurred(self, fp: str, path: str, lo: int, hi: int) -> bool:
        """Whether an occurrence of ``fp`` was read from ``path`` at a line in [lo, hi]."""
        if self._mem is not None:
            lines = self._mem.won_lines.get((fp, path), [])
            k = bisect_left(lines, lo)
            return k < len(lines) and lines[k] <= hi
        assert self._db is not None
        row = self._db.execute(
            "SELECT 1 FROM won WHERE fp = ? AND path = ? AND line BETWEEN ? AND ? LIMIT 1",
            (fp, path, lo, hi),
        ).fetchone()
        return row is not None


class _Indexes:
    """The rows of a store that never spilled, indexed as the SQL indexes do (same orders)."""

    def __init__(
        self,
        obs: list[tuple[Any, ...]],
        ids: list[tuple[str, str, int]],
        occ: list[tuple[Any, ...]],
    ) -> None:
        self.by_test: dict[str, list[Row]] = {}
        self.by_pid: dict[str, list[Row]] = {}
        self.by_path: dict[tuple[str, str | None], list[Row]] = {}
        self.by_id: dict[tuple[str, str], list[Row]] = {}
        timed: list[tuple[float, Row]] = []
        by_seq: dict[int, Row] = {}
        for seq, path, worker, test, pid, t, fp, err in sorted(obs, key=lambda row: row[0]):
            row = (seq, fp, err)
            by_seq[seq] = row
            if test is not None:
                self.by_test.setdefault(test, []).append(row)
            if pid is not None:
                self.by_pid.setdefault(pid, []).append(row)
            self.by_path.setdefault((path, worker), []).append(row)
            if t is not None:
                timed.append((t, row))
        for name, value, seq in sorted(ids, key=lambda row: row[2]):
            self.by_id.setdefault((name, value), []).append(by_seq[seq])
        timed.sort(key=lambda pair: (pair[0], pair[1][0]))
        self.times = [t for t, _ in timed]
        self.timed = [row for _, row in timed]
        self.won: list[tuple[str, int, DbError]] = []
        self.won_lines: dict[tuple[str, str], list[int]] = {}
        seen: set[tuple[str, str]] = set()
        for fp, ident, _, seq, _, path, line, err in sorted(occ, key=lambda r: r[2:5]):
            if (fp, ident) not in seen:
                seen.add((fp, ident))
                self.won.append((fp, seq, err))
                self.won_lines.setdefault((fp, path), []).append(line)
        for lines in self.won_lines.values():
            lines.sort()
