"""The test module a user of each Python driver would write: one test per conformance case.

The generated module is user code (hand-written, like any project's tests); what the driver and
pytest print when it runs is what triage reads. Scenarios are written once for the synchronous
drivers (psycopg 3, SQLAlchemy on psycopg: threads) and once for asyncpg (asyncio).
"""

from __future__ import annotations

from tests.conformance.cases import Case

DRIVERS = ("psycopg", "asyncpg", "sqlalchemy")

PSYCOPG = """
import psycopg


def connect(port=5432, user="postgres", dbname=DB):
    return psycopg.connect(host="127.0.0.1", port=port, user=user, dbname=dbname, autocommit=True)


def run(conn, sql):
    conn.execute(sql)


def fetch(conn, sql):
    return conn.execute(sql).fetchall()
"""

SQLALCHEMY = """
from sqlalchemy import create_engine


def connect(port=5432, user="postgres", dbname=DB):
    url = f"postgresql+psycopg://{user}@127.0.0.1:{port}/{dbname}"
    engine = create_engine(url, poolclass=__import__("sqlalchemy.pool").pool.NullPool)
    return engine.connect().execution_options(isolation_level="AUTOCOMMIT")


def run(conn, sql):
    conn.exec_driver_sql(sql)


def fetch(conn, sql):
    return conn.exec_driver_sql(sql).fetchall()
"""

SYNC_SCENARIOS = """
import threading
import time


def exec_(*statements, **kw):
    conn = connect(**kw)
    try:
        for sql in statements:
            run(conn, sql)
    finally:
        conn.close()


def cascade(first, fallback):
    conn = connect()
    try:
        run(conn, "BEGIN")
        try:
            run(conn, first)
        except Exception:
            run(conn, fallback)  # "already there": update instead, in the aborted transaction
    finally:
        conn.close()


def deadlock():
    conns = [connect(), connect()]
    barrier = threading.Barrier(2)
    errors = []

    def move(conn, first, second):
        try:
            run(conn, "BEGIN")
            run(conn, f"UPDATE accounts SET balance = balance - 1 WHERE id = {first}")
            barrier.wait()
            run(conn, f"UPDATE accounts SET balance = balance + 1 WHERE id = {second}")
            run(conn, "COMMIT")
        except Exception as exc:
            errors.append(exc)

    workers = [
        threading.Thread(target=move, args=(conns[0], 1, 2)),
        threading.Thread(target=move, args=(conns[1], 2, 1)),
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    for conn in conns:
        conn.close()
    if errors:
        raise errors[0]


def serialization():
    a, b = connect(), connect()
    try:
        run(a, "BEGIN ISOLATION LEVEL SERIALIZABLE")
        fetch(a, "SELECT balance FROM accounts WHERE id = 1")
        run(b, "UPDATE accounts SET balance = balance + 1 WHERE id = 1")
        run(a, "UPDATE accounts SET balance = balance - 1 WHERE id = 1")
    finally:
        a.close()
        b.close()


def nowait():
    a, b = connect(), connect()
    try:
        run(a, "BEGIN")
        fetch(a, "SELECT * FROM accounts WHERE id = 2 FOR UPDATE")
        fetch(b, "SELECT * FROM accounts WHERE id = 2 FOR UPDATE NOWAIT")
    finally:
        a.close()
        b.close()


def interrupted(how):
    victim, admin = connect(), connect()
    pid = fetch(victim, "SELECT pg_backend_pid()")[0][0]

    def interrupt():
        # Wait until the victim is inside pg_sleep, then cancel or terminate it.
        for _ in range(100):
            if fetch(admin, f"SELECT {how}(pid) FROM pg_stat_activity "
                     f"WHERE pid = {pid} AND state = 'active' AND strpos(query, 'pg_sleep(5)') > 0"):
                return
            time.sleep(0.05)

    helper = threading.Thread(target=interrupt)
    helper.start()
    try:
        run(victim, "SELECT pg_sleep(5)")
    finally:
        helper.join()
        admin.close()
        victim.close()


def cancel():
    interrupted("pg_cancel_backend")


def terminate():
    interrupted("pg_terminate_backend")
"""

ASYNCPG = """
import asyncio

import asyncpg


async def connect(port=5432, user="postgres", dbname=DB):
    return await asyncpg.connect(host="127.0.0.1", port=port, user=user, database=dbname)


def exec_(*statements, **kw):
    async def go():
        conn = await connect(**kw)
        try:
            for sql in statements:
                await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(go())


def cascade(first, fallback):
    async def go():
        conn = await connect()
        try:
            await conn.execute("BEGIN")
            try:
                await conn.execute(first)
            except asyncpg.PostgresError:
                await conn.execute(fallback)  # update instead, in the aborted transaction
        finally:
            await conn.close()

    asyncio.run(go())


def deadlock():
    async def move(conn, first, second, barrier):
        async with conn.transaction():
            await conn.execute(f"UPDATE accounts SET balance = balance - 1 WHERE id = {first}")
            await barrier.wait()
            await conn.execute(f"UPDATE accounts SET balance = balance + 1 WHERE id = {second}")

    async def go():
        a, b = await connect(), await connect()
        barrier = asyncio.Barrier(2)
        try:
            await asyncio.gather(move(a, 1, 2, barrier), move(b, 2, 1, barrier))
        finally:
            await a.close()
            await b.close()

    asyncio.run(go())


def serialization():
    async def go():
        a, b = await connect(), await connect()
        try:
            await a.execute("BEGIN ISOLATION LEVEL SERIALIZABLE")
            await a.fetch("SELECT balance FROM accounts WHERE id = 1")
            await b.execute("UPDATE accounts SET balance = balance + 1 WHERE id = 1")
            await a.execute("UPDATE accounts SET balance = balance - 1 WHERE id = 1")
        finally:
            await a.close()
            await b.close()

    asyncio.run(go())


def nowait():
    async def go():
        a, b = await connect(), await connect()
        try:
            await a.execute("BEGIN")
            await a.fetch("SELECT * FROM accounts WHERE id = 2 FOR UPDATE")
            await b.fetch("SELECT * FROM accounts WHERE id = 2 FOR UPDATE NOWAIT")
        finally:
            await a.close()
            await b.close()

    asyncio.run(go())


def interrupted(how):
    async def interrupt(admin, pid):
        for _ in range(100):
            rows = await admin.fetch(
                f"SELECT {how}(pid) FROM pg_stat_activity WHERE pid = {pid} "
                "AND state = 'active' AND strpos(query, 'pg_sleep(5)') > 0"
            )
            if rows:
                return
            await asyncio.sleep(0.05)

    async def go():
        victim, admin = await connect(), await connect()
        helper = asyncio.ensure_future(interrupt(admin, victim.get_server_pid()))
        try:
            await victim.execute("SELECT pg_sleep(5)")
        finally:
            await helper
            await admin.close()
            if not victim.is_closed():
                await victim.close()

    asyncio.run(go())


def cancel():
    interrupted("pg_cancel_backend")


def terminate():
    interrupted("pg_terminate_backend")
"""

HEADERS = {"psycopg": PSYCOPG + SYNC_SCENARIOS, "sqlalchemy": SQLALCHEMY + SYNC_SCENARIOS}
HEADERS["asyncpg"] = ASYNCPG


def call(case: Case) -> str:
    """The one line of a test that provokes the case."""
    if case.scenario == "exec":
        args = [repr(sql) for sql in case.sql]
        args += [f"{k}={v!r}" for k, v in case.connect.items()]
        return f"exec_({', '.join(args)})"
    if case.scenario == "connect":
        kwargs = ", ".join(f"{k}={v!r}" for k, v in case.connect.items())
        return f"exec_('SELECT 1', {kwargs})"
    if case.scenario == "cascade":
        return f"cascade({case.sql[0]!r}, {case.sql[1]!r})"
    return f"{case.scenario}()"


def module_source(driver: str, db: str, cases: list[Case]) -> str:
    """A complete test module for the driver, one test function per case."""
    parts = [f'"""Conformance: every case provoked through {driver}."""\n', f"DB = {db!r}\n"]
    parts.append(HEADERS[driver])
    for case in cases:
        parts.append(f"\n\ndef {case.test_name}():\n    {call(case)}\n")
    return "".join(parts)
