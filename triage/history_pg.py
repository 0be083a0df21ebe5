"""The PostgreSQL history store: one database shared by many CI runners, same schema as SQLite."""

from __future__ import annotations

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
