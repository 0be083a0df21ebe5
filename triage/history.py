"""The run history store: SQLite file (default) or PostgreSQL URL, one schema, safe for concurrent CI writers.

A run record is one analyzed run directory, keyed by (run_id, job). Recording replaces that key's
rows in one transaction, so a retried CI job overwrites instead of duplicating.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from triage.errors import TriageError

SCHEMA_VERSION = 1

# One DDL for both engines: only portable types, no engine-specific defaults.
TABLES = (
    """CREATE TABLE IF NOT EXISTS triage_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS triage_runs (
        run_id TEXT NOT NULL, job TEXT NOT NULL, commit_sha TEXT, branch TEXT, url TEXT,
        started_at TEXT NOT NULL, recorded_at TEXT NOT NULL,
        failures INTEGER NOT NULL, explained INTEGER NOT NULL, passed TEXT NOT NULL,
        PRIMARY KEY (run_id, job))""",
    """CREATE TABLE IF NOT EXISTS triage_findings (
        run_id TEXT NOT NULL, job TEXT NOT NULL, fingerprint TEXT NOT NULL,
        occurrences INTEGER NOT NULL, tests TEXT NOT NULL, data TEXT NOT NULL,
        PRIMARY KEY (run_id, job, fingerprint))""",
    """CREATE TABLE IF NOT EXISTS triage_failures (
        run_id TEXT NOT NULL, job TEXT NOT NULL, failure_id TEXT NOT NULL,
        kind TEXT NOT NULL, test TEXT, root TEXT, data TEXT NOT NULL,
        PRIMARY KEY (run_id, job, failure_id))""",
    """CREATE INDEX IF NOT EXISTS triage_runs_started ON triage_runs (started_at)""",
)


@dataclass(frozen=True)
class RunRecord:
    """One analyzed run directory as stored: metadata, findings by fingerprint, failures."""

    run_id: str
    job: str
    started_at: str
    commit: str | None = None
    branch: str | None = None
    url: str | None = None
    recorded_at: str = ""
    findings: tuple[dict[str, Any], ...] = ()  # {"fingerprint", "occurrences", "tests", ...finding}
    failures: tuple[dict[str, Any], ...] = ()  # report failure dicts
    passed: tuple[str, ...] = ()  # tests seen passing, when the report lists them
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def explained(self) -> int:
        return sum(1 for f in self.failures if f.get("root"))


def open_store(target: str) -> Store:
    """A SQLite path or a postgresql:// URL."""
    if target.startswith(("postgresql://", "postgres://")):
        return PgStore(target)
    return SqliteStore(target)


class Store:
    """The operations every store offers; subclasses supply the connection and placeholders."""

    name = "store"

    def record(self, run: RunRecord) -> None:
        raise NotImplementedError

    def load(self, branch: str | None = None) -> list[RunRecord]:
        raise NotImplementedError

    def close(self) -> None:
        """Release the connection."""


def rows_for(
    run: RunRecord,
) -> tuple[tuple[Any, ...], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The run, finding and failure rows of one record, in table column order."""
    key = (run.run_id, run.job)
    run_row = (
        *key,
        run.commit,
        run.branch,
        run.url,
        run.started_at,
        run.recorded_at,
        len(run.failures),
        run.explained,
        json.dumps(sorted(set(run.passed))),
    )
    finding_rows = [
        (
            *key,
            f["fingerprint"],
            int(f.get("occurrences") or 0),
            json.dumps(sorted(f.get("tests") or [])),
            json.dumps(f, sort_keys=True),
        )
        for f in run.findings
    ]
    failure_rows = [
        (
            *key,
            f["id"],
            f.get("kind") or "",
            f.get("test"),
            f.get("root"),
            json.dumps(f, sort_keys=True),
        )
        for f in run.failures
    ]
    return run_row, finding_rows, failure_rows


def build_records(
    runs: Iterable[tuple[Any, ...]],
    findings: Iterable[tuple[Any, ...]],
    failures: Iterable[tuple[Any, ...]],
) -> list[RunRecord]:
    """Rows back into records, oldest run first."""
    by_key: dict[tuple[str, str], dict[str, list[dict[str, Any]]]] = {}
    for run_id, job, data in findings:
        by_key.setdefault((run_id, job), {"f": [], "x": []})["f"].append(json.loads(data))
    for run_id, job, data in failures:
        by_key.setdefault((run_id, job), {"f": [], "x": []})["x"].append(json.loads(data))
    out = []
    for run_id, job, commit, branch, url, started, recorded, passed in runs:
        rows = by_key.get((run_id, job), {"f": [], "x": []})
        out.append(
            RunRecord(
                run_id,
                job,
                started,
                commit,
                branch,
                url,
                recorded,
                tuple(sorted(rows["f"], key=lambda f: f["fingerprint"])),
                tuple(sorted(rows["x"], key=lambda f: _failure_order(f["id"]))),
                tuple(json.loads(passed)),
            )
        )
    out.sort(key=lambda r: (r.started_at, r.recorded_at, r.run_id, r.job))
    return out


def _failure_order(fid: str) -> tuple[int, str]:
    digits = fid[1:]
    return (int(digits), fid) if digits.isdigit() else (1 << 30, fid)


def check_version(found: str | None, where: str) -> None:
    if found is not None and int(found) > SCHEMA_VERSION:
        raise TriageError(
            f"{where}: history schema version {found} is newer than this triage "
            f"understands ({SCHEMA_VERSION}); upgrade triage"
        )


RUN_COLUMNS = "run_id, job, commit_sha, branch, url, started_at, recorded_at, passed"


class SqliteStore(Store):
    """An embedded file in WAL mode; each write takes the write lock up front (BEGIN IMMEDIATE)."""

    name = "sqlite"

    def __init__(self, path: str, busy_timeout_ms: int = 30000) -> None:
        self.path = path
        try:
            # isolation_level=None: we issue BEGIN ourselves so the lock is taken when we say so.
            self.conn = sqlite3.connect(path, timeout=busy_timeout_ms / 1000, isolation_level=None)
            self.conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("PRAGMA synchronous = NORMAL")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise TriageError(f"{path}: cannot open history: {exc}") from exc

    def _migrate(self) -> None:
        cur = self.conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            for ddl in TABLES:
                cur.execute(ddl)
            row = cur.execute(
                "SELECT value FROM triage_meta WHERE key = 'schema_version'"
            ).fetchone()
            check_version(row[0] if row else None, self.path)
            if row is None:
                cur.execute(
                    "INSERT INTO triage_meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
                )
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise

    def record(self, run: RunRecord) -> None:
        run_row, finding_rows, failure_rows = rows_for(run)
        cur = self.conn.cursor()
        try:
            cur.execute("BEGIN IMMEDIATE")
            cur.execute(
                "INSERT INTO triage_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (run_id, job) DO UPDATE SET commit_sha = excluded.commit_sha, "
                "branch = excluded.branch, url = excluded.url, started_at = excluded.started_at, "
                "recorded_at = excluded.recorded_at, failures = excluded.failures, "
                "explained = excluded.explained, passed = excluded.passed",
                run_row,
            )
            for table in ("triage_findings", "triage_failures"):
                cur.execute(
                    f"DELETE FROM {table} WHERE run_id = ? AND job = ?", (run.run_id, run.job)
                )
            cur.executemany("INSERT INTO triage_findings VALUES (?, ?, ?, ?, ?, ?)", finding_rows)
            cur.executemany(
                "INSERT INTO triage_failures VALUES (?, ?, ?, ?, ?, ?, ?)", failure_rows
            )
            cur.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            if self.conn.in_transaction:
                cur.execute("ROLLBACK")
            raise TriageError(f"{self.path}: cannot record run {run.run_id}: {exc}") from exc

    def load(self, branch: str | None = None) -> list[RunRecord]:
        where, args = ("WHERE branch = ?", (branch,)) if branch else ("", ())
        cur = self.conn.cursor()
        # One read transaction so the three selects see the same snapshot.
        cur.execute("BEGIN")
        try:
            runs = cur.execute(f"SELECT {RUN_COLUMNS} FROM triage_runs {where}", args).fetchall()
            keys = {(r[0], r[1]) for r in runs}
            findings = [
                r
                for r in cur.execute("SELECT run_id, job, data FROM triage_findings")
                if (r[0], r[1]) in keys
            ]
            failures = [
                r
                for r in cur.execute("SELECT run_id, job, data FROM triage_failures")
                if (r[0], r[1]) in keys
            ]
        finally:
            cur.execute("COMMIT")
        return build_records(runs, findings, failures)

    def close(self) -> None:
        self.conn.close()


class PgStore(Store):
    """A PostgreSQL database shared by many CI runners: same schema, one transaction per write."""

    name = "postgresql"

    def __init__(self, url: str) -> None:
        try:
            import psycopg
        except ImportError as exc:
            raise TriageError(
                "a PostgreSQL history needs psycopg: pip install 'triage[postgres]'"
            ) from exc
        self.where = _redact_url(url)
        try:
            self.conn = psycopg.connect(url, autocommit=True, connect_timeout=10)
            self._migrate()
        except psycopg.Error as exc:
            raise TriageError(f"{self.where}: cannot open history: {_one_line(exc)}") from exc

    def _migrate(self) -> None:
        with self.conn.transaction(), self.conn.cursor() as cur:
            # CREATE TABLE IF NOT EXISTS races with itself across sessions; serialise first use.
            cur.execute("SELECT pg_advisory_xact_lock(hashtext('triage_history_schema'))")
            for ddl in TABLES:
                cur.execute(ddl)
            cur.execute("SELECT value FROM triage_meta WHERE key = 'schema_version'")
            row = cur.fetchone()
            check_version(row[0] if row else None, self.where)
            cur.execute(
                "INSERT INTO triage_meta VALUES ('schema_version', %s) ON CONFLICT DO NOTHING",
                (str(SCHEMA_VERSION),),
            )

    def record(self, run: RunRecord) -> None:
        import psycopg

        run_row, finding_rows, failure_rows = rows_for(run)
        try:
            with self.conn.transaction(), self.conn.cursor() as cur:
                # The upsert locks the run's row first, so two writers of one key take turns.
                cur.execute(
                    "INSERT INTO triage_runs VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
                    "ON CONFLICT (run_id, job) DO UPDATE SET commit_sha = excluded.commit_sha, "
                    "branch = excluded.branch, url = excluded.url, "
                    "started_at = excluded.started_at, recorded_at = excluded.recorded_at, "
                    "failures = excluded.failures, explained = excluded.explained, "
                    "passed = excluded.passed",
                    run_row,
                )
                for table in ("triage_findings", "triage_failures"):
                    cur.execute(
                        f"DELETE FROM {table} WHERE run_id = %s AND job = %s", (run.run_id, run.job)
                    )
                cur.executemany(
                    "INSERT INTO triage_findings VALUES (%s, %s, %s, %s, %s, %s) "
                    "ON CONFLICT DO NOTHING",
                    finding_rows,
                )
                cur.executemany(
                    "INSERT INTO triage_failures VALUES (%s, %s, %s, %s, %s, %s, %s) "
                    "ON CONFLICT DO NOTHING",
                    failure_rows,
                )
        except psycopg.Error as exc:
            raise TriageError(
                f"{self.where}: cannot record run {run.run_id}: {_one_line(exc)}"
            ) from exc

    def load(self, branch: str | None = None) -> list[RunRecord]:
        where, args = ("WHERE branch = %s", (branch,)) if branch else ("", ())
        # REPEATABLE READ: the three selects see one snapshot even while writers commit.
        with self.conn.transaction(), self.conn.cursor() as cur:
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cur.execute(f"SELECT {RUN_COLUMNS} FROM triage_runs {where}", args)
            runs = cur.fetchall()
            keys = {(r[0], r[1]) for r in runs}
            cur.execute("SELECT run_id, job, data FROM triage_findings")
            findings = [r for r in cur.fetchall() if (r[0], r[1]) in keys]
            cur.execute("SELECT run_id, job, data FROM triage_failures")
            failures = [r for r in cur.fetchall() if (r[0], r[1]) in keys]
        return build_records(runs, findings, failures)

    def close(self) -> None:
        self.conn.close()


def _redact_url(url: str) -> str:
    """postgresql://user:secret@host/db -> postgresql://user:***@host/db (for messages)."""
    scheme, sep, rest = url.partition("://")
    creds, at, host = rest.rpartition("@")
    if at and ":" in creds:
        creds = creds.split(":", 1)[0] + ":***"
    return f"{scheme}{sep}{creds}{at}{host}"


def _one_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
