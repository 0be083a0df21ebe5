"""Cases for the asyncio drivers: asyncpg directly and SQLAlchemy's async engine on asyncpg."""

from __future__ import annotations

from harness import DB, Case, Cause
from project import pg_project

URL = f"postgresql://postgres@127.0.0.1:5432/{DB}"

APG_INTEGRITY = f'''
import asyncio

import asyncpg

URL = "{URL}"


async def run(sql, *args):
    conn = await asyncpg.connect(URL)
    try:
        return await conn.execute(sql, *args)
    finally:
        await conn.close()


def test_duplicate_email():
    asyncio.run(run("INSERT INTO users (org_id, email) VALUES ($1, $2)", 1, "ada@example.com"))


def test_user_in_missing_org():
    asyncio.run(run("INSERT INTO users (org_id, email) VALUES ($1, $2)", 9, "eve@example.com"))


def test_user_without_email():
    asyncio.run(run("INSERT INTO users (org_id, email) VALUES ($1, NULL)", 1))


def test_double_booking():
    asyncio.run(run("INSERT INTO bookings (room, during) VALUES (2, int4range(1, 5))"))
    asyncio.run(run("INSERT INTO bookings (room, during) VALUES (2, int4range(3, 9))"))
'''

APG_ERRORS = f'''
import asyncio

import asyncpg

URL = "{URL}"


async def in_transaction(*statements):
    conn = await asyncpg.connect(URL)
    try:
        async with conn.transaction():
            for sql in statements:
                try:
                    await conn.execute(sql)
                except asyncpg.UniqueViolationError as exc:
                    # "already there" -- but the transaction is now aborted
                    print(f"skipping existing row: {{exc}}")
    finally:
        await conn.close()


def test_import_users_twice():
    asyncio.run(
        in_transaction(
            "INSERT INTO users (org_id, email) VALUES (1, 'ada@example.com')",
            "UPDATE users SET age = 30 WHERE email = 'ada@example.com'",
        )
    )


def test_lookup_by_external_id():
    asyncio.run(in_transaction("SELECT * FROM users WHERE external_id = 'abc'"))


def test_report_by_signup_date():
    asyncio.run(in_transaction("SELECT signup_date FROM users"))


def test_withdraw_too_much():
    asyncio.run(in_transaction("SELECT withdraw(2, 1000)"))


def test_nightly_report():
    asyncio.run(in_transaction("SET LOCAL statement_timeout = 100", "SELECT pg_sleep(1)"))
'''

APG_CONNECT = f"""
import asyncio

import asyncpg


def test_connect_missing_database():
    asyncio.run(asyncpg.connect("postgresql://postgres@127.0.0.1:5432/{DB}_missing"))


def test_connect_unknown_role():
    asyncio.run(asyncpg.connect("postgresql://ghost@127.0.0.1:5432/{DB}"))


def test_connect_refused():
    asyncio.run(asyncpg.connect("postgresql://postgres@127.0.0.1:1/{DB}"))
"""

APG_DEADLOCK = f'''
import asyncio

import asyncpg

URL = "{URL}"


async def move(conn, first, second, barrier):
    async with conn.transaction():
        await conn.execute("UPDATE accounts SET balance = balance - 5 WHERE id = $1", first)
        await barrier.wait()
        await conn.execute("UPDATE accounts SET balance = balance + 5 WHERE id = $1", second)


async def both():
    a, b = await asyncpg.connect(URL), await asyncpg.connect(URL)
    barrier = asyncio.Barrier(2)
    try:
        await asyncio.gather(move(a, 1, 2, barrier), move(b, 2, 1, barrier))
    finally:
        await a.close()
        await b.close()


def test_concurrent_transfers():
    asyncio.run(both())


def test_orgs_listed():
    async def names():
        conn = await asyncpg.connect(URL)
        try:
            return [r["name"] for r in await conn.fetch("SELECT name FROM orgs ORDER BY id")]
        finally:
            await conn.close()

    assert asyncio.run(names()) == ["acme", "globex"]
'''

SA_ASYNC = f"""
import asyncio

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/{DB}"


async def execute(*statements, **params):
    engine = create_async_engine(URL)
    try:
        async with engine.begin() as conn:
            for sql in statements:
                await conn.execute(text(sql), params)
    finally:
        await engine.dispose()


def test_duplicate_email():
    asyncio.run(
        execute("INSERT INTO users (org_id, email) VALUES (:org, :email)", org=1, email="ada@example.com")
    )


def test_profile_for_missing_org():
    asyncio.run(execute("INSERT INTO profiles (org_id) VALUES (:org)", org=77))


def test_renamed_column():
    asyncio.run(execute("UPDATE users SET emial = :email WHERE id = 1", email="a@b.c"))


def test_bad_uuid():
    asyncio.run(execute("SELECT * FROM users WHERE external_id = CAST(CAST(:ext AS text) AS uuid)", ext="42"))


def test_slow_query():
    asyncio.run(execute("SET LOCAL statement_timeout = 100", "SELECT pg_sleep(1)"))
"""


def _ids(module: str, causes: dict[str, Cause | None]) -> dict[str, Cause | None]:
    return {f"tests/test_{module}.py::{name}": cause for name, cause in causes.items()}


CASES = [
    Case(
        name="py-asyncpg-integrity",
        driver="asyncpg",
        story="asyncpg (asyncio.run in sync tests): unique, FK, not-null, exclusion violations.",
        files=pg_project({"test_users.py": APG_INTEGRITY}),
        outputs=("run.log", "junit.xml"),
        args=("--tb=short",),
        expect=("UniqueViolationError", "users_email_key", "bookings_no_overlap"),
        causes=_ids(
            "users",
            {
                "test_duplicate_email": Cause("23505", "users_email_key", "users"),
                "test_user_in_missing_org": Cause("23503", "users_org_id_fkey", "users"),
                "test_user_without_email": Cause("23502", None, "users"),
                "test_double_booking": Cause("23P01", "bookings_no_overlap", "bookings"),
            },
        ),
    ),
    Case(
        name="py-asyncpg-errors",
        driver="asyncpg",
        story=(
            "asyncpg: a swallowed unique violation leaves the transaction aborted (25P02), "
            "bad uuid, missing column, RAISE EXCEPTION, statement timeout."
        ),
        files=pg_project({"test_import.py": APG_ERRORS}),
        args=("-rA",),
        outputs=("run.log",),
        expect=(
            "InFailedSQLTransactionError",
            "users_email_key",
            "UndefinedColumnError",
            "RaiseError",
        ),
        causes=_ids(
            "import",
            {
                "test_import_users_twice": Cause("23505", "users_email_key", "users"),
                "test_lookup_by_external_id": Cause("22P02"),
                "test_report_by_signup_date": Cause("42703"),
                "test_withdraw_too_much": Cause("P0001"),
                "test_nightly_report": Cause("57014"),
            },
        ),
    ),
    Case(
        name="py-asyncpg-connect",
        driver="asyncpg",
        story="asyncpg under CI=1: missing database and role keep their SQLSTATE; refused port.",
        files=pg_project({"test_connect.py": APG_CONNECT}),
        env={"CI": "1"},
        args=("--tb=line",),
        outputs=("run.log", "junit.xml", "reportlog.jsonl"),
        expect=("InvalidCatalogNameError", "Connect call failed"),
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
        name="py-asyncpg-deadlock",
        driver="asyncpg",
        story="asyncpg under xdist -n 2: two coroutines deadlock on accounts.",
        files=pg_project({"test_transfers.py": APG_DEADLOCK}),
        args=("-n", "2"),
        outputs=("run.log", "reportlog.jsonl"),
        expect=("DeadlockDetectedError", "deadlock detected"),
        causes=_ids("transfers", {"test_concurrent_transfers": Cause("40P01", None, "accounts")}),
    ),
    Case(
        name="py-sqlalchemy-asyncpg-core",
        driver="sqlalchemy+asyncpg",
        story="SQLAlchemy 2.1 async engine on asyncpg, --tb=line: the adapter's wrapped errors.",
        files=pg_project({"test_async_engine.py": SA_ASYNC}),
        outputs=("run.log", "junit.xml"),
        args=("--tb=line",),
        expect=("sqlalchemy.dialects.postgresql.asyncpg", "users_email_key", "sqlalche.me"),
        causes=_ids(
            "async_engine",
            {
                "test_duplicate_email": Cause("23505", "users_email_key", "users"),
                "test_profile_for_missing_org": Cause("23503", "profiles_org_id_fkey", "profiles"),
                "test_renamed_column": Cause("42703", None, "users"),
                "test_bad_uuid": Cause("22P02"),
                "test_slow_query": Cause("57014"),
            },
        ),
    ),
]
