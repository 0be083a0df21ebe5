"""extract() on what the Python drivers, SQLAlchemy, Django, sqlite3 and psql really printed.

Every sample comes from tests/fixtures/drivers/capture.py run against PostgreSQL 15 / SQLite.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from triage.model import Event, Link
from triage.pgerror import extract, is_cascade

HERE = Path(__file__).parent / "fixtures" / "drivers"
PY_DRIVERS = (
    "psycopg2",
    "psycopg",
    "asyncpg",
    "sqlalchemy_psycopg2",
    "sqlalchemy_asyncpg",
    "django",
)


def load(driver: str) -> dict[str, Any]:
    return json.loads((HERE / f"{driver}.json").read_text())["cases"]


def chain_event(case: dict[str, Any], outer: tuple[Link, ...] = ()) -> Event:
    links = tuple(Link(exc, msg, 10 + i) for i, (exc, msg) in enumerate(case["chain"]))
    return Event(
        path="run.log", line=5, fmt="pytest", kind="error", text=case["str"], chain=outer + links
    )


def all_cases() -> list[tuple[str, str]]:
    return [(d, name) for d in (*PY_DRIVERS, "sqlite3") for name in load(d)]


@pytest.mark.parametrize(("driver", "name"), all_cases())
def test_sqlstate_and_names_agree_with_the_live_exception(driver: str, name: str) -> None:
    """What the driver object said about itself (pgcode/sqlstate, diag) is what we read from text."""
    case = load(driver)[name]
    ext = extract(chain_event(case))
    assert ext.errors, f"{driver}/{name}: nothing extracted from {case['str']!r}"
    err = ext.errors[-1]
    truth = case["truth"]
    if truth.get("sqlstate"):
        assert err.sqlstate == truth["sqlstate"]
    if truth.get("constraint"):
        assert err.constraint == truth["constraint"]
    if truth.get("column") and f'"{truth["column"]}"' in case["str"]:
        assert err.column == truth["column"]
    if truth.get("table") and f'"{truth["table"]}"' in case["str"]:
        assert err.table == truth["table"]
    assert err.location.path == "run.log"


# Connection-time errors: psycopg carries no SQLSTATE for them, so the template decides.
@pytest.mark.parametrize(
    ("driver", "name", "sqlstate"),
    [
        (d, n, s)
        for d in ("psycopg2", "psycopg", "sqlalchemy_psycopg2")
        for n, s in (("no_database", "3D000"), ("no_role", "28000"), ("refused", "08006"))
    ]
    + [("psycopg2", "server_closed", "08006"), ("asyncpg", "refused", "08006")],
)
def test_connection_failures_become_findings(driver: str, name: str, sqlstate: str) -> None:
    err = extract(chain_event(load(driver)[name])).errors[-1]
    assert err.sqlstate == sqlstate
    assert not is_cascade(err)


def test_trigger_fk_names_the_trigger_function_and_both_tables() -> None:
    err = extract(chain_event(load("psycopg2")["trigger_fk"])).errors[-1]
    assert (err.sqlstate, err.condition) == ("23503", "foreign_key_violation")
    assert err.trigger == "handle_new_user"
    assert (err.table, err.referenced_table, err.constraint) == (
        "profiles",
        "orgs",
        "profiles_org_id_fkey",
    )
    assert err.key == (("org_id", "42"),)
    assert err.context and "INSERT INTO profiles" in err.context
    assert err.driver == "psycopg2" and err.exc == "psycopg2.errors.ForeignKeyViolation"


def test_parent_delete_table_is_the_child_and_referenced_table_the_parent() -> None:
    err = extract(chain_event(load("psycopg")["fk_parent"])).errors[-1]
    assert (err.table, err.referenced_table, err.key) == ("users", "orgs", (("id", "1"),))


def test_composite_key_pairs_each_column_with_its_value() -> None:
    err = extract(chain_event(load("asyncpg")["unique_composite"])).errors[-1]
    assert err.constraint == "memberships_pkey"
    assert err.key == (("org_id", "1"), ("slug", "x"))


def test_not_null_fills_column_and_table() -> None:
    err = extract(chain_event(load("django")["not_null"])).errors[-1]
    assert (err.sqlstate, err.table, err.column, err.driver) == ("23502", "users", "name", "django")


def test_sqlalchemy_chain_is_one_error_with_statement_and_compound_driver() -> None:
    ext = extract(chain_event(load("sqlalchemy_psycopg2")["unique"]))
    assert len(ext.errors) == 1
    err = ext.errors[0]
    assert err.message == 'duplicate key value violates unique constraint "users_email_key"'
    assert err.driver == "sqlalchemy+psycopg2"
    assert err.statement and err.statement.startswith(
        "INSERT INTO users (org_id, email, name, age)"
    )
    assert err.key == (("email", "a@x.io"),)
    assert ext.wrapper is None


def test_sqlalchemy_asyncpg_chain_reads_the_class_name() -> None:
    ext = extract(chain_event(load("sqlalchemy_asyncpg")["raise_exception"]))
    assert [e.sqlstate for e in ext.errors] == ["P0001"]
    assert ext.errors[0].driver == "sqlalchemy+asyncpg"
    assert ext.wrapper is None


def test_outer_application_error_is_the_wrapper() -> None:
    outer = (Link("RuntimeError", "Failed to create user record", 3),)
    ext = extract(chain_event(load("sqlalchemy_psycopg2")["fk_child"], outer))
    assert ext.wrapper == "RuntimeError: Failed to create user record"
    assert [e.constraint for e in ext.errors] == ["users_org_id_fkey"]


def test_pending_rollback_is_a_cascade_over_the_original_error() -> None:
    ext = extract(chain_event(load("sqlalchemy_psycopg2")["pending_rollback"]))
    cascade, original = ext.errors
    assert (cascade.sqlstate, cascade.condition) == ("25P02", "in_failed_sql_transaction")
    assert cascade.exc == "sqlalchemy.exc.PendingRollbackError" and is_cascade(cascade)
    assert (original.sqlstate, original.constraint) == ("23505", "users_email_key")
    assert not is_cascade(original)


def test_django_transaction_management_error_is_a_cascade() -> None:
    err = extract(chain_event(load("django")["transaction_management"])).errors[-1]
    assert err.sqlstate == "25P02" and is_cascade(err)
    assert err.exc == "django.db.transaction.TransactionManagementError"


@pytest.mark.parametrize("driver", ["psycopg2", "psycopg", "asyncpg"])
def test_in_failed_transaction_is_a_cascade(driver: str) -> None:
    assert is_cascade(extract(chain_event(load(driver)["in_failed_transaction"])).errors[-1])


def test_dead_connection_reuse_is_a_cascade() -> None:
    err = extract(chain_event(load("psycopg2")["already_closed"])).errors[-1]
    assert (err.sqlstate, err.condition) == ("08003", "connection_does_not_exist")
    assert is_cascade(err)


def test_whole_traceback_text_yields_the_error_once() -> None:
    case = load("sqlalchemy_psycopg2")["trigger_fk"]
    ext = extract(Event(path="t.log", line=1, fmt="text", kind="error", text=case["traceback"]))
    assert len(ext.errors) == 1
    assert ext.errors[0].trigger == "handle_new_user"
    assert ext.errors[0].constraint == "profiles_org_id_fkey"


@pytest.mark.parametrize(
    ("name", "sqlstate", "table", "column", "constraint"),
    [
        ("unique", "23505", "users", "email", None),
        ("unique_composite", "23505", "m", "a, b", None),
        ("fk_child", "23503", None, None, None),
        ("not_null", "23502", "users", "name", None),
        ("check", "23514", None, None, "users_age_check"),
        ("on_conflict", "42P10", None, None, None),
        ("undefined_column", "42703", None, "emial", None),
        ("undefined_column_insert", "42703", "users", "emial", None),
        ("undefined_table", "42P01", "nosuch", None, None),
        ("locked", "55P03", None, None, None),
        ("sqlalchemy_unique", "23505", "users", "email", None),
    ],
)
def test_sqlite_messages_map_to_postgresql_conditions(
    name: str, sqlstate: str, table: str | None, column: str | None, constraint: str | None
) -> None:
    err = extract(chain_event(load("sqlite3")[name])).errors[-1]
    assert err.engine == "sqlite"
    assert (err.sqlstate, err.table, err.column, err.constraint) == (
        sqlstate,
        table,
        column,
        constraint,
    )


def test_sqlite_under_django_keeps_engine_and_driver() -> None:
    err = extract(chain_event(load("django")["sqlite_unique"])).errors[-1]
    assert (err.engine, err.driver, err.table, err.column) == ("sqlite", "django", "users", "email")


def _psql_blocks(name: str) -> list[str]:
    text = (HERE / name).read_text()
    blocks: list[str] = []
    for line in text.split("\n"):
        if line.startswith("psql:") or not blocks:
            blocks.append(line)
        elif line:
            blocks[-1] += "\n" + line
    return blocks


def test_psql_script_output() -> None:
    blocks = _psql_blocks("psql.txt")
    errs = [
        extract(Event("psql.log", i + 1, "text", "error", b)).errors[-1]
        for i, b in enumerate(blocks)
    ]
    first = errs[0]
    assert first.driver == "psql"
    assert (first.sqlstate, first.table, first.referenced_table) == ("23503", "users", "orgs")
    undefined = next(e for e in errs if e.sqlstate == "42703")
    assert undefined.hint == 'Perhaps you meant to reference the column "users.email".'
    assert undefined.message == 'column "emial" does not exist'
    trigger = next(e for e in errs if e.constraint == "profiles_org_id_fkey")
    assert trigger.trigger == "handle_new_user"


def test_psql_verbose_gives_sqlstate_and_object_names() -> None:
    block = _psql_blocks("psql_verbose.txt")[3]
    err = extract(Event("psql.log", 1, "text", "error", block)).errors[-1]
    assert (err.sqlstate, err.schema, err.table, err.column) == ("23502", "public", "users", "name")
    assert err.message.startswith('null value in column "name"')


def test_psql_whole_output_in_one_text_is_every_error() -> None:
    text = (HERE / "psql.txt").read_text()
    ext = extract(Event("psql.log", 1, "text", "error", text))
    # the same error printed twice (division by zero: its own case and the one before a 25P02)
    # is one DbError within an event
    heads = {b.split("\n", 1)[0].split("ERROR:  ", 1)[1] for b in _psql_blocks("psql.txt")}
    assert len(heads) < len(_psql_blocks("psql.txt"))
    assert sorted(e.message for e in ext.errors) == sorted(heads)


def test_psql_connection_errors() -> None:
    lines = (HERE / "psql_connect.txt").read_text().split("\n")
    codes = [
        extract(Event("c.log", 1, "text", "error", ln)).errors[-1].sqlstate for ln in lines[:3]
    ]
    assert codes == ["3D000", "28000", "08006"]
