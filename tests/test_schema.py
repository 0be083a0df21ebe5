"""Schema linkage on the user's own migrations: every SQL fixture applies on the live server, and
the report finds where a constraint is defined, its ON DELETE rule, and what covers ON CONFLICT."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, require_pg
from triage.model import DbError, Location
from triage.schema import discover, link, load_schema

SCHEMA = ROOT / "tests" / "fixtures" / "schema"
APP = SCHEMA / "app"
MIGRATIONS = sorted((APP / "supabase" / "migrations").glob("*.sql"))
UPSERT = "insert into user_settings (user_id, key, value) values ($1, 'theme', '\"dark\"') on conflict (user_id, key) do nothing"


@pytest.fixture(scope="module")
def scratch_db() -> Iterator[str]:
    """A fresh triage_h9 database with the app's migrations applied, in order (one per xdist
    worker: two workers running this module must not drop each other's database)."""
    require_pg()
    import psycopg

    # per worker and per session: two test runs on one server must not drop each other's database
    name = f"triage_h9_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"
    with psycopg.connect("host=127.0.0.1 user=postgres dbname=test", autocommit=True) as conn:
        conn.execute(f"drop database if exists {name}")
        conn.execute(f"create database {name}")
    dsn = f"host=127.0.0.1 user=postgres dbname={name}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        for path in MIGRATIONS:
            conn.execute(path.read_text())  # raises on any error: the fixture must apply cleanly
    yield dsn
    with psycopg.connect("host=127.0.0.1 user=postgres dbname=test", autocommit=True) as conn:
        conn.execute(f"drop database if exists {name}")


def _err(**fields: object) -> DbError:
    return DbError(engine="postgresql", condition=None, location=Location("run.log", 1), **fields)  # type: ignore[arg-type]


def test_migrations_apply_and_constraints_exist_where_the_parser_says(scratch_db: str) -> None:
    import psycopg

    schema = load_schema([str(APP)], cwd=str(ROOT))
    parsed = {d.name for d in schema.definitions if d.kind == "constraint"}
    dropped = {d.name for d in schema.definitions if d.kind == "drop"}
    with psycopg.connect(scratch_db) as conn:
        live = {
            r[0]
            for r in conn.execute(
                "select conname from pg_constraint where connamespace in ('public'::regnamespace, 'auth'::regnamespace)"
            )
        }
    # every constraint the parser names (with PostgreSQL's default names) exists, unless dropped
    assert parsed - dropped <= live
    assert "job_status_course_id_fkey" in live and "profiles_org_id_fkey" in live


def test_foreign_key_linked_to_its_migration_line_with_on_delete() -> None:
    schema = load_schema([str(APP)], cwd=str(ROOT))
    got = link(
        schema,
        _err(
            sqlstate="23503",
            message='insert or update on table "job_status" …',
            table="job_status",
            constraint="job_status_course_id_fkey",
            referenced_table="courses",
            key=(("course_id", "x"),),
        ),
    )
    c = got["constraint"]
    assert c["path"].endswith("20240101000000_init.sql") and c["line"] == 16
    assert c["ddl"] == "course_id uuid not null references public.courses (id)"
    assert got["on_delete"]["action"] == "NO ACTION"
    assert [t["name"] for t in got["tables"]] == ["job_status", "courses"]


def test_alter_table_constraint_and_trigger_function() -> None:
    schema = load_schema([str(APP)], cwd=str(ROOT))
    got = link(
        schema,
        _err(
            sqlstate="23503",
            message="…",
            table="profiles",
            constraint="profiles_org_id_fkey",
            trigger="handle_new_user",
        ),
    )
    assert got["constraint"]["line"] == 7
    assert got["constraint"]["ddl"].startswith("alter table public.profiles")
    assert got["on_delete"]["action"] == "SET NULL"
    assert got["triggers"][0]["name"] == "on_auth_user_created"
    assert got["triggers"][0]["table"] == "users"
    assert got["function"]["line"] == 9 and got["function"]["columns"] == ["profiles"]


def test_on_conflict_without_a_covering_constraint(scratch_db: str) -> None:
    import psycopg

    # the live server agrees: 42P10
    with (
        psycopg.connect(scratch_db) as conn,
        pytest.raises(psycopg.errors.InvalidColumnReference) as caught,
    ):
        conn.execute(UPSERT.replace("$1", "gen_random_uuid()"))
    message = str(caught.value.diag.message_primary)
    schema = load_schema([str(APP)], cwd=str(ROOT))
    got = link(schema, _err(sqlstate="42P10", message=message, statement=UPSERT))
    oc = got["on_conflict"]
    assert oc["table"] == "user_settings" and oc["columns"] == ["user_id", "key"]
    assert oc["covered_by"] == []  # the unique constraint was dropped by the same migration
    assert [d["name"] for d in oc["partial_only"]] == ["user_settings_user_key_active"]
    assert got["dropped"] is None  # no constraint named by the error itself


@pytest.mark.parametrize(
    ("rel", "name", "table", "cols", "ref", "on_delete"),
    [
        (
            "orm/prisma/schema.prisma",
            "job_status_course_id_fkey",
            "job_status",
            ("course_id",),
            "courses",
            "CASCADE",
        ),
        (
            "orm/prisma/schema.prisma",
            "job_status_course_id_state_key",
            "job_status",
            ("course_id", "state"),
            None,
            None,
        ),
        (
            "orm/shop/migrations/0001_initial.py",
            "shop_order_customer_id_fkey",
            "shop_order",
            ("customer_id",),
            "shop_customer",
            "PROTECT",
        ),
        (
            "orm/shop/migrations/0001_initial.py",
            "order_number_per_customer",
            "shop_order",
            ("customer_id", "number"),
            None,
            None,
        ),
        (
            "orm/alembic/versions/1a2b3c_create_courses.py",
            "job_status_course_id_fkey",
            "job_status",
            ("course_id",),
            "courses",
            "CASCADE",
        ),
        (
            "orm/alembic/versions/1a2b3c_create_courses.py",
            "fk_job_status_owner",
            "job_status",
            ("owner_id",),
            "users",
            "SET NULL",
        ),
        (
            "orm/knex/20240101_create.js",
            "job_status_course_id_foreign",
            "job_status",
            ("course_id",),
            "courses",
            "RESTRICT",
        ),
        (
            "orm/sequelize/20240101-create-job-status.js",
            "job_status_course_id_fkey",
            "job_status",
            ("course_id",),
            "courses",
            "CASCADE",
        ),
        (
            "orm/typeorm/1700000000000-Init.ts",
            "FK_lessons_course",
            "lessons",
            ("course_id",),
            "courses",
            "NO ACTION",
        ),
    ],
)
def test_orm_migrations(
    rel: str, name: str, table: str, cols: tuple[str, ...], ref: str | None, on_delete: str | None
) -> None:
    schema = load_schema([str(SCHEMA / rel)], cwd=str(ROOT))
    d = schema.named("constraint", name)
    assert d is not None, [x.name for x in schema.definitions]
    assert (d.table, d.columns, d.references, d.on_delete) == (table, cols, ref, on_delete)
    assert d.line > 1 and d.ddl


def test_default_discovery_finds_supabase_and_django_apps(tmp_path: Path) -> None:
    (tmp_path / "supabase" / "migrations").mkdir(parents=True)
    (tmp_path / "shop" / "migrations").mkdir(parents=True)
    (tmp_path / "shop" / "apps.py").write_text("")
    (tmp_path / "node_modules" / "x" / "migrations").mkdir(parents=True)
    found = discover(str(tmp_path))
    assert found == [
        str(tmp_path / "supabase" / "migrations"),
        str(tmp_path / "shop" / "migrations"),
    ]


def test_broken_migration_text_never_raises(tmp_path: Path) -> None:
    (tmp_path / "bad.sql").write_text(
        "create table (((\n$$ unterminated 'quote\n alter table x add"
    )
    (tmp_path / "bad.prisma").write_text("model { @relation(fields: [")
    schema = load_schema([str(tmp_path)], cwd=str(tmp_path))
    assert schema.files == ("bad.prisma", "bad.sql")
