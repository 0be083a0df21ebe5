"""Cases for the psycopg family: psycopg2 and psycopg 3, one real pytest run each."""

from __future__ import annotations

from harness import Case, Cause
from project import pg_project

PG2_FK = """
def test_add_user_to_missing_org(pg2):
    cur = pg2.cursor()
    cur.execute("INSERT INTO users (org_id, email) VALUES (%s, %s)", (42, "bob@example.com"))


def test_delete_org_with_users(pg2):
    cur = pg2.cursor()
    cur.execute("DELETE FROM orgs WHERE id = %s", (1,))


def test_list_orgs(pg2):
    cur = pg2.cursor()
    cur.execute("SELECT name FROM orgs ORDER BY id")
    assert [r[0] for r in cur.fetchall()] == ["acme", "globex"]
"""

PG2_INTEGRITY = """
import logging

log = logging.getLogger("app.signup")


def test_duplicate_email(pg2):
    log.info("signing up ada again")
    cur = pg2.cursor()
    cur.execute("INSERT INTO users (org_id, email) VALUES (1, %s)", ("ada@example.com",))


def test_missing_org(pg2):
    cur = pg2.cursor()
    cur.execute("INSERT INTO users (org_id, email) VALUES (NULL, %s)", ("cy@example.com",))


def test_negative_age(pg2):
    print("age check")
    cur = pg2.cursor()
    cur.execute("INSERT INTO users (org_id, email, age) VALUES (1, %s, -3)", ("dee@example.com",))
"""

PG2_TYPES = """
import pytest


@pytest.mark.parametrize(
    "column,value",
    [("external_id", "not-a-uuid"), ("age", "forty"), ("mood", "angry")],
)
def test_bad_input(pg2, column, value):
    cur = pg2.cursor()
    cur.execute(f"UPDATE users SET {column} = %s WHERE id = 1", (value,))


def test_long_email(pg2):
    cur = pg2.cursor()
    cur.execute("INSERT INTO users (org_id, email) VALUES (1, %s)", ("x" * 50 + "@example.com",))


def test_age_overflow(pg2):
    cur = pg2.cursor()
    cur.execute("UPDATE users SET age = %s WHERE id = 1", (3_000_000_000,))
"""

PG2_SCHEMA = """
def test_typo_in_column(pg2):
    cur = pg2.cursor()
    cur.execute("SELECT emial FROM users")


def test_missing_table(pg2):
    cur = pg2.cursor()
    cur.execute("SELECT * FROM user_sessions")


def test_missing_function(pg2):
    cur = pg2.cursor()
    cur.execute("SELECT slugify(name) FROM orgs")


def test_upsert_profile(pg2):
    cur = pg2.cursor()
    cur.execute(
        "INSERT INTO profiles (auth_user_id, display_name) VALUES (%s, %s) "
        "ON CONFLICT (auth_user_id) DO UPDATE SET display_name = excluded.display_name",
        ("8d0f7d9e-4b7e-4a65-9a59-3f1f0e0e6a11", "Ada"),
    )
"""

PG2_DEADLOCK = """
import threading

import psycopg2

from conftest import DSN


def move(conn, barrier, first, second, errors):
    try:
        with conn, conn.cursor() as cur:
            cur.execute("UPDATE accounts SET balance = balance - 10 WHERE id = %s", (first,))
            barrier.wait()
            cur.execute("UPDATE accounts SET balance = balance + 10 WHERE id = %s", (second,))
    except psycopg2.Error as exc:
        errors.append(exc)


def test_concurrent_transfers():
    conns = [psycopg2.connect(DSN), psycopg2.connect(DSN)]
    barrier = threading.Barrier(2)
    errors = []
    workers = [
        threading.Thread(target=move, args=(conns[0], barrier, 1, 2, errors)),
        threading.Thread(target=move, args=(conns[1], barrier, 2, 1, errors)),
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    if errors:
        raise errors[0]


def test_balance_total(pg2):
    cur = pg2.cursor()
    cur.execute("SELECT sum(balance) FROM accounts")
    assert cur.fetchone()[0] == 200
"""

PG2_CONNECT = """
import psycopg2


def test_connect_missing_database():
    psycopg2.connect("host=127.0.0.1 port=5432 dbname=triage_py_missing user=postgres")


def test_connect_unknown_role():
    psycopg2.connect("host=127.0.0.1 port=5432 dbname=triage_py user=ghost")


def test_connect_refused():
    psycopg2.connect("host=127.0.0.1 port=1 dbname=triage_py user=postgres connect_timeout=3")
"""

PG3_INTEGRITY = """
def test_book_overlapping_room(pg3):
    pg3.execute("INSERT INTO bookings (room, during) VALUES (1, '[10,20)')")
    pg3.execute("INSERT INTO bookings (room, during) VALUES (1, '[15,25)')")


def test_profile_for_missing_org(pg3):
    pg3.execute("INSERT INTO profiles (org_id, display_name) VALUES (%s, %s)", (7, "Ghost"))
"""

PG3_CONCURRENCY = """
import psycopg
import pytest

from conftest import DSN


def test_serializable_withdraw():
    with psycopg.connect(DSN) as a, psycopg.connect(DSN, autocommit=True) as b:
        a.isolation_level = psycopg.IsolationLevel.SERIALIZABLE
        a.execute("SELECT balance FROM accounts WHERE id = 1").fetchone()
        b.execute("UPDATE accounts SET balance = 50 WHERE id = 1")
        a.execute("UPDATE accounts SET balance = balance - 10 WHERE id = 1")


def test_lock_nowait():
    with psycopg.connect(DSN) as a, psycopg.connect(DSN) as b:
        a.execute("SELECT * FROM accounts WHERE id = 2 FOR UPDATE")
        b.execute("SELECT * FROM accounts WHERE id = 2 FOR UPDATE NOWAIT")


def test_slow_report(pg3):
    pg3.execute("SET statement_timeout = '200ms'")
    pg3.execute("SELECT pg_sleep(2)")


@pytest.mark.skip(reason="flaky on CI")
def test_skipped_report():
    pass
"""

PG3_PRIVILEGES = """
import psycopg

from conftest import APP_DSN


def test_app_reads_secrets():
    with psycopg.connect(APP_DSN) as conn:
        conn.execute("SELECT value FROM secrets")


def test_app_writes_someone_elses_document():
    with psycopg.connect(APP_DSN) as conn:
        conn.execute("INSERT INTO documents (owner, body) VALUES (%s, %s)", ("postgres", "hi"))


def test_withdraw_too_much(pg3):
    pg3.execute("SELECT withdraw(%s, %s)", (1, 500))


def test_withdraw_some(pg3):
    assert pg3.execute("SELECT withdraw(1, 30)").fetchone()[0] == 70
"""

PG3_CONNECT = """
import psycopg


def test_connect_missing_database():
    psycopg.connect("host=127.0.0.1 port=5432 dbname=triage_py_missing user=postgres")


def test_connect_refused():
    psycopg.connect("host=127.0.0.1 port=1 dbname=triage_py user=postgres connect_timeout=3")


def test_connect_ok(pg3):
    assert pg3.execute("SELECT 1").fetchone() == (1,)
"""

M = "tests/test_{}.py::{}"


def _ids(module: str, causes: dict[str, Cause | None]) -> dict[str, Cause | None]:
    return {M.format(module, name): cause for name, cause in causes.items()}


CASES = [
    Case(
        name="py-psycopg2-fk",
        driver="psycopg2",
        story="psycopg2: foreign key violated by a child insert and by a parent delete.",
        files=pg_project({"test_fk.py": PG2_FK}),
        outputs=("run.log", "junit.xml", "reportlog.jsonl"),
        expect=("ForeignKeyViolation", "users_org_id_fkey"),
        causes=_ids(
            "fk",
            {
                "test_add_user_to_missing_org": Cause("23503", "users_org_id_fkey", "users"),
                "test_delete_org_with_users": Cause("23503", "users_org_id_fkey", "users"),
            },
        ),
    ),
    Case(
        name="py-psycopg2-integrity",
        driver="psycopg2",
        story="psycopg2 with --tb=short: unique, not-null and check violations, captured logs.",
        files=pg_project({"test_signup.py": PG2_INTEGRITY}),
        args=("--tb=short", "-o", "junit_logging=all", "--log-level=INFO"),
        outputs=("run.log", "junit.xml"),
        expect=("users_email_key", "users_age_check", "NotNullViolation"),
        causes=_ids(
            "signup",
            {
                "test_duplicate_email": Cause("23505", "users_email_key", "users"),
                "test_missing_org": Cause("23502", None, "users"),
                "test_negative_age": Cause("23514", "users_age_check", "users"),
            },
        ),
    ),
    Case(
        name="py-psycopg2-types",
        driver="psycopg2",
        story="psycopg2 with -q: bad uuid/integer/enum input, a too-long varchar, an int overflow.",
        files=pg_project({"test_types.py": PG2_TYPES}),
        args=("-q",),
        outputs=("run.log",),
        expect=("InvalidTextRepresentation", "StringDataRightTruncation", "NumericValueOutOfRange"),
        causes=_ids(
            "types",
            {
                "test_bad_input[external_id-not-a-uuid]": Cause("22P02", None, None),
                "test_bad_input[age-forty]": Cause("22P02", None, None),
                "test_bad_input[mood-angry]": Cause("22P02", None, None),
                "test_long_email": Cause("22001", None, None),
                "test_age_overflow": Cause("22003", None, None),
            },
        ),
    ),
    Case(
        name="py-psycopg2-schema",
        driver="psycopg2",
        story="psycopg2 with --tb=line: schema drift (column, table, function, ON CONFLICT target).",
        files=pg_project({"test_schema.py": PG2_SCHEMA}),
        args=("--tb=line",),
        outputs=("run.log", "reportlog.jsonl"),
        expect=("UndefinedColumn", "UndefinedTable", "UndefinedFunction", "ON CONFLICT"),
        causes=_ids(
            "schema",
            {
                "test_typo_in_column": Cause("42703"),
                "test_missing_table": Cause("42P01"),
                "test_missing_function": Cause("42883"),
                "test_upsert_profile": Cause("42P10", None, "profiles"),
            },
        ),
    ),
    Case(
        name="py-psycopg2-deadlock",
        driver="psycopg2",
        story="psycopg2 with -v: two threads transfer money in opposite order and deadlock.",
        files=pg_project({"test_transfers.py": PG2_DEADLOCK}),
        args=("-v",),
        outputs=("run.log", "junit.xml"),
        expect=("DeadlockDetected", "deadlock detected"),
        causes=_ids("transfers", {"test_concurrent_transfers": Cause("40P01", None, "accounts")}),
    ),
    Case(
        name="py-psycopg2-connect",
        driver="psycopg2",
        story="psycopg2 under CI=1 (untruncated short summary): connection-time failures.",
        files=pg_project({"test_connect.py": PG2_CONNECT}),
        env={"CI": "1"},
        outputs=("run.log",),
        expect=("does not exist", "Connection refused", "OperationalError"),
        causes=_ids(
            "connect",
            {
                "test_connect_missing_database": Cause("3D000"),
                "test_connect_unknown_role": Cause("28000"),
                "test_connect_refused": Cause("08001"),
            },
        ),
    ),
    Case(
        name="py-psycopg-integrity",
        driver="psycopg",
        story="psycopg 3 with --tb=native: exclusion and foreign key violations.",
        files=pg_project({"test_bookings.py": PG3_INTEGRITY}),
        args=("--tb=native",),
        outputs=("run.log",),
        expect=("bookings_no_overlap", "profiles_org_id_fkey"),
        causes=_ids(
            "bookings",
            {
                "test_book_overlapping_room": Cause("23P01", "bookings_no_overlap", "bookings"),
                "test_profile_for_missing_org": Cause("23503", "profiles_org_id_fkey", "profiles"),
            },
        ),
    ),
    Case(
        name="py-psycopg-concurrency",
        driver="psycopg",
        story="psycopg 3 with -v: serialization failure, NOWAIT lock, statement timeout.",
        files=pg_project({"test_accounts.py": PG3_CONCURRENCY}),
        args=("-v", "-rfEs"),
        outputs=("run.log", "junit.xml"),
        expect=("SerializationFailure", "LockNotAvailable", "QueryCanceled"),
        causes=_ids(
            "accounts",
            {
                "test_serializable_withdraw": Cause("40001", None, "accounts"),
                "test_lock_nowait": Cause("55P03", None, "accounts"),
                "test_slow_report": Cause("57014"),
            },
        ),
    ),
    Case(
        name="py-psycopg-privileges",
        driver="psycopg",
        story="psycopg 3, --tb=short: a role without grant, a row-level security policy, RAISE.",
        files=pg_project({"test_documents.py": PG3_PRIVILEGES}),
        args=("--tb=short",),
        outputs=("run.log", "reportlog.jsonl"),
        expect=("InsufficientPrivilege", "row-level security", "insufficient funds"),
        causes=_ids(
            "documents",
            {
                "test_app_reads_secrets": Cause("42501", None, "secrets"),
                "test_app_writes_someone_elses_document": Cause("42501", None, "documents"),
                "test_withdraw_too_much": Cause("P0001"),
            },
        ),
    ),
    Case(
        name="py-psycopg-connect",
        driver="psycopg",
        story="psycopg 3 with -rA: missing database and refused connection, one passing test.",
        files=pg_project({"test_connect.py": PG3_CONNECT}),
        args=("-rA",),
        outputs=("run.log", "junit.xml", "reportlog.jsonl"),
        expect=("does not exist", "Connection refused"),
        causes=_ids(
            "connect",
            {
                "test_connect_missing_database": Cause("3D000"),
                "test_connect_refused": Cause("08001"),
            },
        ),
    ),
]
