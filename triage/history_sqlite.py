"""The SQLite history store: one embedded file in WAL mode, safe for concurrent CI writers."""

from __future__ import annotations

import sqlite3

from triage.errors import TriageError
from triage.history import (
    RUN_COLUMNS,
    SCHEMA_VERSION,
    TABLES,
    RunRecord,
    Store,
    build_records,
    check_version,
    rows_for,
)


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
