"""extract() on structured records: pino lines written by real node drivers (capture_node.js),
PostgreSQL jsonlog records (samples/server-jsonlog) and node text dumps (tests/fixtures/text)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from triage.inputs import ReadResult, read_inputs
from triage.model import Event
from triage.pgerror import extract, is_cascade

ROOT = Path(__file__).parent.parent
PINO = ROOT / "tests" / "fixtures" / "drivers" / "node_pino.jsonl"
JSONLOG = ROOT / "samples" / "server-jsonlog" / "postgresql.json"
TEXT = ROOT / "tests" / "fixtures" / "text"


def pino(case: str) -> dict[str, Any]:
    for line in PINO.read_text().split("\n"):
        if line and json.loads(line)["case"] == case:
            return json.loads(line)
    raise KeyError(case)


def log_event(rec: dict[str, Any], line: int = 7) -> Event:
    return Event(
        path="app.log", line=line, fmt="pino", kind="log", text=rec.get("msg", ""), data=rec
    )


@pytest.mark.parametrize(
    ("case", "driver", "sqlstate", "constraint", "table"),
    [
        ("pg_unique", "node-pg", "23505", "users_email_key", "users"),
        ("pg_fk_child", "node-pg", "23503", "users_org_id_fkey", "users"),
        ("pg_not_null", "node-pg", "23502", None, "users"),
        ("pg_unique_under_error_key", "node-pg", "23505", "users_email_key", "users"),
        ("pg_no_database", "node-pg", "3D000", None, None),
        ("postgresjs_unique", "postgres.js", "23505", "users_email_key", "users"),
        ("postgresjs_fk_child", "postgres.js", "23503", "users_org_id_fkey", "users"),
        ("knex_unique", "knex", "23505", "users_email_key", "users"),
        ("sequelize_unique", "sequelize", "23505", "users_email_key", "users"),
        ("sequelize_fk_child", "sequelize", "23503", "users_org_id_fkey", "users"),
        ("typeorm_unique", "typeorm", "23505", "users_email_key", "users"),
    ],
)
def test_pino_err_objects(
    case: str, driver: str, sqlstate: str, constraint: str | None, table: str | None
) -> None:
    ext = extract(log_event(pino(case)))
    assert len(ext.errors) == 1, ext.errors
    err = ext.errors[0]
    assert (err.driver, err.sqlstate, err.constraint, err.table) == (
        driver,
        sqlstate,
        constraint,
        table,
    )
    assert err.location.line == 7
    assert ext.wrapper is None


def test_pg_fields_fill_everything() -> None:
    err = extract(log_event(pino("pg_trigger_fk"))).errors[0]
    assert (
        err.message
        == 'insert or update on table "profiles" violates foreign key constraint "profiles_org_id_fkey"'
    )
    assert (err.schema, err.table, err.referenced_table) == ("public", "profiles", "orgs")
    assert err.key == (("org_id", "42"),)
    assert err.trigger == "handle_new_user" and err.severity == "ERROR"


def test_postgresjs_trigger_and_parent_delete() -> None:
    assert extract(log_event(pino("postgresjs_trigger_fk"))).errors[0].trigger == "handle_new_user"
    parent = extract(log_event(pino("pg_fk_parent"))).errors[0]
    assert (parent.table, parent.referenced_table) == ("users", "orgs")


def test_knex_sql_prefix_becomes_the_statement() -> None:
    err = extract(log_event(pino("knex_fk_child"))).errors[0]
    assert err.message.startswith("insert or update on table")
    assert err.statement == 'insert into "users" ("email", "name", "org_id") values ($1, $2, $3)'


def test_sequelize_validation_error_reads_the_parent() -> None:
    err = extract(log_event(pino("sequelize_unique"))).errors[0]
    assert err.key == (("email", "a@x.io"),)
    assert err.statement and err.statement.startswith('INSERT INTO "users"')


def test_typeorm_keeps_query() -> None:
    err = extract(log_event(pino("typeorm_trigger_fk"))).errors[0]
    assert err.trigger == "handle_new_user"
    assert err.statement and err.statement.startswith("INSERT INTO auth_users")


@pytest.mark.parametrize("case", ["pg_wrapped_cause", "pg_wrapped_errwithcause"])
def test_wrapped_cause_is_split_into_wrapper_and_error(case: str) -> None:
    ext = extract(log_event(pino(case)))
    assert ext.wrapper == "Error: createUser failed"
    assert [(e.sqlstate, e.constraint) for e in ext.errors] == [("23505", "users_email_key")]


def test_pino_cascade_and_connection_refused() -> None:
    assert is_cascade(extract(log_event(pino("pg_in_failed_transaction"))).errors[0])
    refused = extract(log_event(pino("pg_refused"))).errors[0]
    assert (refused.sqlstate, refused.condition) == ("08006", "connection_failure")
    assert refused.message == "connect ECONNREFUSED 127.0.0.1:59433"


def test_jsonlog_errors_and_log_records() -> None:
    records = [json.loads(x) for x in JSONLOG.read_text().split("\n") if x]
    seen = []
    for n, rec in enumerate(records, 1):
        ext = extract(
            Event("postgresql.json", n, "pg-jsonlog", "log", rec.get("message", ""), data=rec)
        )
        if rec.get("error_severity") in ("ERROR", "FATAL"):
            assert ext.errors and ext.errors[0].sqlstate == rec["state_code"]
            assert ext.errors[0].driver == "server"
            seen.append(ext.errors[0])
        else:
            assert ext.errors == ()
    fk = next(e for e in seen if e.sqlstate == "23503")
    assert (fk.table, fk.constraint, fk.referenced_table) == ("users", "users_org_id_fkey", "orgs")


def test_node_inspect_dumps() -> None:
    err = extract(
        Event("t.log", 1, "text", "error", (TEXT / "node-console-error.txt").read_text())
    ).errors[0]
    assert (err.sqlstate, err.schema, err.table, err.constraint) == (
        "23503",
        "public",
        "users",
        "users_org_id_fkey",
    )
    ext = extract(Event("t.log", 1, "text", "error", (TEXT / "node-cause.txt").read_text()))
    assert ext.wrapper == "Error: Database error saving new user"
    assert ext.errors[0].sqlstate == "23505"


def test_jdbc_text() -> None:
    err = extract(Event("t.log", 1, "text", "error", (TEXT / "jdbc.txt").read_text())).errors[0]
    assert (err.sqlstate, err.driver, err.constraint) == ("23505", "jdbc", "users_email_key")
    assert err.detail == "Key (email)=(a@x.io) already exists."


def first_error_record(sample: str) -> dict[str, Any]:
    log = ROOT / "samples" / sample / "app.pino.log"
    return next(json.loads(x) for x in log.read_text().split("\n") if '"level":50' in x)


@pytest.mark.parametrize(
    ("sample", "sqlstate", "constraint"),
    [
        ("node-prisma-unique-violation", "23505", "users_email_key"),
        ("node-prisma-fk-child-insert", "23503", "users_org_id_fkey"),
    ],
)
def test_prisma_driver_adapter_error(sample: str, sqlstate: str, constraint: str) -> None:
    rec = first_error_record(sample)
    assert rec["err"]["meta"]["modelName"] == "User"  # the model, mapped onto table users
    ext = extract(log_event(rec))
    assert [(e.sqlstate, e.constraint, e.table, e.driver) for e in ext.errors] == [
        (sqlstate, constraint, "users", "prisma")
    ]
    assert ext.wrapper is None  # Prisma's error stands for the server's, it wraps nothing


def test_prisma_dumps_by_code_and_quoted_server_message() -> None:
    # console.error of P2002 (Prisma's words only) and P2039 (it quotes the server's message:
    # "Database error. Code: `23514`. Message: `...`", Prisma's words, not a wrapper), and an
    # unhandled P2003
    result = ReadResult()
    events = list(read_inputs([str(ROOT / "samples" / "node-prisma-inspect")], result))
    got = [(extract(ev).errors, extract(ev).wrapper) for ev in events]
    assert [[(e.sqlstate, e.constraint, e.table) for e in errs] for errs, _ in got] == [
        [("23505", "users_email_key", None)],
        [("23514", "users_age_check", "users")],
        [("23503", "users_org_id_fkey", None)],
    ]
    assert [wrapper for _, wrapper in got] == [None, None, None]
