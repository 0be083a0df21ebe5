"""The run history: records, the one schema both stores share, and ``open_store`` choosing one.

A run record is one analyzed run directory, keyed by (run_id, job). Recording replaces that key's
rows in one transaction, so a retried CI job overwrites instead of duplicating.
"""

from __future__ import annotations

import json
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
    # Imported here: the stores build on this module's records and schema.
    if target.startswith(("postgresql://", "postgres://")):
        from triage.history_pg import PgStore

        return PgStore(target)
    from triage.history_sqlite import SqliteStore

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
