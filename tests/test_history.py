"""The history store: what a run records comes back intact, and concurrent CI writers lose nothing."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import require_pg
from triage.errors import TriageError
from triage.history import SCHEMA_VERSION, RunRecord, open_store

# per test session: two runs on one server (a developer's and CI's) must not drop each other's store
PG_DB = f"triage_h8_{os.getpid()}"
PG_URL = f"postgresql://postgres@127.0.0.1:5432/{PG_DB}"
WRITERS = 6
RUNS_EACH = 8


def _record(run_id: str, job: str, writer: int = 0) -> RunRecord:
    finding = {
        "fingerprint": "23503:users_org_id_fkey",
        "occurrences": 2,
        "tests": ["tests/test_fk.py::test_add_user_to_missing_org"],
        "constraint": "users_org_id_fkey",
        "table": "users",
        "writer": writer,
    }
    failures = (
        {
            "id": "S1",
            "kind": "test",
            "test": "tests/test_fk.py::test_add_user_to_missing_org",
            "message": "ForeignKeyViolation",
            "root": "F1",
        },
        {
            "id": "S2",
            "kind": "test",
            "test": "tests/test_x.py::test_timeout",
            "message": "TimeoutError",
            "root": None,
        },
    )
    return RunRecord(
        run_id,
        job,
        f"2025-11-0{1 + writer % 9}T00:00:{writer:02d}Z",
        "abc123",
        "main",
        None,
        "2025-11-02T00:00:00Z",
        (finding,),
        failures,
    )


def _write_many(target: str, writer: int) -> None:
    store = open_store(target)
    try:
        for i in range(RUNS_EACH):
            store.record(_record(f"run-{writer}-{i}", "pytest", writer))
            # Every writer also rewrites one shared key: the upsert path under contention.
            store.record(_record("shared", "pytest", writer))
    finally:
        store.close()


def _concurrent(target: str) -> None:
    open_store(target).close()  # migrated up front; the first-use race has its own test
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_write_many, args=(target, w)) for w in range(WRITERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0] * WRITERS


def _assert_complete(target: str) -> None:
    runs = open_store(target).load()
    keys = {(r.run_id, r.job) for r in runs}
    expected = {(f"run-{w}-{i}", "pytest") for w in range(WRITERS) for i in range(RUNS_EACH)}
    assert keys == expected | {("shared", "pytest")}
    for run in runs:
        # Each record is whole: its one finding and both failures, never a half-written mix.
        assert [f["fingerprint"] for f in run.findings] == ["23503:users_org_id_fkey"]
        assert [f["id"] for f in run.failures] == ["S1", "S2"]
        assert run.explained == 1
        if run.run_id != "shared":
            assert run.findings[0]["writer"] == int(run.run_id.split("-")[1])


def test_a_run_comes_back_as_recorded(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "h.sqlite"))
    store.record(_record("1001", "pytest"))
    store.record(_record("1002", "pytest", writer=3))
    runs = store.load()
    assert [r.run_id for r in runs] == ["1001", "1002"]  # oldest first
    assert runs[0].commit == "abc123" and runs[0].branch == "main"
    assert runs[0].findings[0]["tests"] == ["tests/test_fk.py::test_add_user_to_missing_org"]
    assert store.load(branch="release") == []


def test_recording_a_run_again_replaces_it(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "h.sqlite"))
    store.record(_record("1001", "pytest"))
    store.record(RunRecord("1001", "pytest", "2025-11-03T00:00:00Z", "def456", "main"))
    (run,) = store.load()
    assert run.commit == "def456" and run.findings == () and run.failures == ()


def test_sqlite_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    target = str(tmp_path / "history.sqlite")
    _concurrent(target)
    _assert_complete(target)
    conn = sqlite3.connect(target)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_a_newer_schema_is_refused_with_one_line(tmp_path: Path) -> None:
    target = str(tmp_path / "h.sqlite")
    open_store(target).close()
    conn = sqlite3.connect(target)
    conn.execute(
        "UPDATE triage_meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),)
    )
    conn.commit()
    with pytest.raises(TriageError, match="newer than this triage"):
        open_store(target)


def test_a_file_that_is_not_a_database_is_a_user_error(tmp_path: Path) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("not sqlite at all\n" * 100)
    with pytest.raises(TriageError, match="notes.txt: cannot open history"):
        open_store(str(bad))


@pytest.fixture
def pg_history() -> Iterator[str]:
    require_pg()
    import psycopg

    admin = "postgresql://postgres@127.0.0.1:5432/test"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {PG_DB}")
    yield PG_URL
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")


@pytest.mark.pg
def test_postgresql_concurrent_writers_lose_nothing(pg_history: str) -> None:
    _concurrent(pg_history)
    _assert_complete(pg_history)


@pytest.mark.pg
def test_postgresql_first_use_from_many_writers_at_once(pg_history: str) -> None:
    # No store opened beforehand: every writer races to create the schema.
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_write_many, args=(pg_history, w)) for w in range(WRITERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0] * WRITERS
    _assert_complete(pg_history)


def test_postgresql_url_password_is_not_echoed() -> None:
    with pytest.raises(TriageError) as info:
        open_store("postgresql://ci:hunter2@127.0.0.1:1/triage")
    assert "hunter2" not in str(info.value) and "ci:***@127.0.0.1:1" in str(info.value)
