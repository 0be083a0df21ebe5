"""The data model: frozen records that flow from readers to the report.

bytes -> Event (readers) -> DbError / Failure (extract) -> Finding (correlate) -> Report.
Nothing after the readers looks at raw lines again except to quote evidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# Normalised levels, lowest first. Readers map every input's levels onto these.
LEVELS = ("trace", "debug", "info", "warn", "error", "fatal")
LEVEL_RANK = {name: i for i, name in enumerate(LEVELS)}


def epoch(iso: str | None) -> float | None:
    """Seconds since the epoch of a time as the model holds it (ISO 8601, "Z" or an offset; a
    comma before the fraction too), or None."""
    if not iso:
        return None
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Location:
    """Where a piece of evidence is: input path as the user gave it, 1-based line."""

    path: str
    line: int


@dataclass(frozen=True, slots=True)
class Link:
    """One exception of a chain as a reader saw it (pytest block, traceback, reportlog chain item).

    ``exc`` is the qualified class name when one is printed
    (``psycopg2.errors.UniqueViolation``, ``sqlalchemy.exc.IntegrityError``, ``error``), else None.
    ``message`` is the full message, continuation lines included (``DETAIL:  ...``, ``[SQL: ...]``).
    ``line`` is the 1-based input line where this exception's message is printed.
    """

    exc: str | None
    message: str
    line: int


@dataclass(frozen=True, slots=True)
class Event:
    """One record read from an input.

    kind:
      "log"   a log record (pino, pino-pretty, server log, captured log line, generic JSON)
      "test"  a test result (pytest section / summary line, JUnit testcase, reportlog TestReport,
              vitest/jest/node:test failure); ``test``/``outcome``/``phase`` are set
      "error" a free-standing error block in text (Python/JS traceback, node inspect dump, psql error)
      "exit"  a process/run-level outcome (pytest final line, "Process exited with code 1")
    ``text`` is the message a person would read; ``data`` the parsed structure (pino record dict,
    jsonlog dict, PostgREST body, csvlog row as dict) or None. ``chain`` holds the exceptions of a
    traceback, OUTERMOST FIRST (the one that failed the test is chain[0]; the innermost cause last).
    ``ids`` are correlation ids as (name, value) pairs: reqId, jobId, traceId, pid, worker, session.
    """

    path: str
    line: int
    fmt: str
    kind: str
    text: str
    level: str | None = None
    time: str | None = None
    data: Any = None
    test: str | None = None
    outcome: str | None = None
    phase: str | None = None
    ids: tuple[tuple[str, str], ...] = ()
    chain: tuple[Link, ...] = ()
    end_line: int = 0

    def id_value(self, name: str) -> str | None:
        for key, value in self.ids:
            if key == name:
                return value
        return None


@dataclass(frozen=True, slots=True)
class DbError:
    """A database error found in an Event, with every field that could be recovered."""

    engine: str  # "postgresql" | "sqlite"
    sqlstate: str | None
    condition: str | None
    message: str
    location: Location
    detail: str | None = None
    hint: str | None = None
    context: str | None = None  # CONTEXT / pg `where`
    statement: str | None = None
    schema: str | None = None
    table: str | None = None
    column: str | None = None
    datatype: str | None = None
    constraint: str | None = None
    key: tuple[tuple[str, str], ...] = ()  # column -> value from DETAIL, in order
    referenced_table: str | None = None
    trigger: str | None = None  # function named by CONTEXT / where (trigger or plpgsql)
    driver: str | None = None  # psycopg2, psycopg, asyncpg, sqlalchemy, django, node-pg, ...
    exc: str | None = None  # the exception class that carried it, when known
    severity: str | None = None  # ERROR | FATAL | PANIC
    time: str | None = None

    @property
    def sqlclass(self) -> str | None:
        return self.sqlstate[:2] if self.sqlstate else None


@dataclass(frozen=True, slots=True)
class Failure:
    """What a person sees first: a failed test, an error log without its own DbError, an HTTP 5xx,
    a non-zero exit, or the ticket's claim (kind "claim")."""

    id: str
    kind: str  # test | log | http | exit | claim
    message: str
    location: Location
    test: str | None = None
    phase: str | None = None
    time: str | None = None
    level: str | None = None
    wrapper: str | None = None  # outer exception class / error type
    ids: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Evidence:
    """One hop of an evidence chain: symptom -> wrappers -> root."""

    path: str
    line: int
    text: str
    role: str  # symptom | wrapper | root | occurrence | cascade | context | lifecycle


@dataclass(frozen=True)
class Finding:
    """One root cause: its occurrences, the failures it explains, and the evidence.

    ``root`` is the first occurrence read (readable inputs first), with the fields only later
    copies carried filled in; ``count`` counts the occurrences, copies of one error read from
    several inputs once; ``keys`` are their distinct keys, in order (the first MAX_KEYS)."""

    id: str
    fingerprint: str
    root: DbError
    count: int
    last: DbError  # the last occurrence
    explains: tuple[str, ...]
    evidence: tuple[Evidence, ...]
    confidence: str  # high | medium | low
    cascades: int = 0
    pattern: Any = None  # catalog.Match or None
    extras: dict[str, Any] = field(default_factory=dict)
    drivers: tuple[str, ...] = ()  # every driver an occurrence named, sorted
    keys: tuple[tuple[tuple[str, str], ...], ...] = ()


@dataclass(frozen=True, slots=True)
class InputStats:
    """What was read from one input."""

    path: str
    formats: tuple[str, ...]
    lines: int
    events: int
    bytes: int
    skipped: tuple[tuple[str, int], ...] = ()
    error: str | None = None
