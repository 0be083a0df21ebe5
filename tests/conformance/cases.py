"""The conformance case table: how each full catalog entry is provoked and what triage must say.

A Case names a scenario (see python_module.py / node/provoke.mjs for the code each driver runs),
the SQL it runs against the scratch schema below, and the root triage must elect. Every value is
unique to its case (constraint names, key values) so that one pytest run can hold all cases of a
driver and each failure can still be traced to its own root.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

DB_PREFIX = "triage_conf"
APP_ROLE = "triage_conf_app"  # no grants on secrets; owns nothing (42501 cases)
FULL_ROLE = "triage_conf_full"  # CONNECTION LIMIT 0: every login is 53300
# Created once and kept: concurrent sessions (xdist workers) share them.
ROLES_SQL = f"""
DO $$ BEGIN
    CREATE ROLE {APP_ROLE} LOGIN;
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;
DO $$ BEGIN
    CREATE ROLE {FULL_ROLE} LOGIN CONNECTION LIMIT 0;
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;
"""

SCHEMA_SQL = f"""
CREATE EXTENSION btree_gist;
CREATE TYPE mood AS ENUM ('happy', 'sad');
CREATE TABLE orgs (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE users (
    id serial PRIMARY KEY,
    org_id int NOT NULL REFERENCES orgs(id),
    email varchar(40) NOT NULL UNIQUE,
    age int CHECK (age >= 0),
    mood mood,
    external_id uuid,
    born date
);
CREATE TABLE teams (id int PRIMARY KEY, slug text NOT NULL);
CREATE UNIQUE INDEX teams_slug_key ON teams (slug);
CREATE TABLE profiles (id serial PRIMARY KEY, auth_user_id uuid, display_name text);
CREATE TABLE bookings (
    id serial PRIMARY KEY,
    room int NOT NULL,
    during int4range NOT NULL,
    CONSTRAINT bookings_no_overlap EXCLUDE USING gist (room WITH =, during WITH &&)
);
INSERT INTO bookings (room, during) VALUES (7, '[10,20)');
CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL);
CREATE TABLE documents (id serial PRIMARY KEY, owner text NOT NULL, body text);
ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
CREATE POLICY documents_owner ON documents
    USING (owner = current_user) WITH CHECK (owner = current_user);
GRANT SELECT, INSERT ON documents TO {APP_ROLE};
GRANT USAGE ON SEQUENCE documents_id_seq TO {APP_ROLE};
CREATE TABLE secrets (id int PRIMARY KEY, value text);
CREATE TABLE projects (id int PRIMARY KEY, org_id int);
CREATE FUNCTION keep_projects_with_org() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.org_id IS NOT NULL THEN
        RAISE EXCEPTION 'project % still belongs to org %', OLD.id, OLD.org_id
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN OLD;
END $$;
CREATE TRIGGER projects_keep BEFORE DELETE ON projects
    FOR EACH ROW EXECUTE FUNCTION keep_projects_with_org();
CREATE FUNCTION withdraw(acct int, amount int) RETURNS int LANGUAGE plpgsql AS $$
DECLARE left_over int;
BEGIN
    SELECT balance - amount INTO left_over FROM accounts WHERE id = acct;
    IF left_over < 0 THEN
        RAISE EXCEPTION 'insufficient funds in account %', acct USING HINT = 'top up first';
    END IF;
    UPDATE accounts SET balance = left_over WHERE id = acct;
    RETURN left_over;
END $$;
CREATE SCHEMA auth;
CREATE TABLE auth.users (id uuid PRIMARY KEY, raw_user_meta_data jsonb);
CREATE TABLE public.members (
    id uuid PRIMARY KEY REFERENCES auth.users(id),
    username text NOT NULL
);
CREATE FUNCTION public.handle_new_user() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public.members (id, username) VALUES (new.id, new.raw_user_meta_data->>'username');
    RETURN new;
END $$;
CREATE TRIGGER on_auth_user_created AFTER INSERT ON auth.users
    FOR EACH ROW EXECUTE FUNCTION public.handle_new_user();
INSERT INTO orgs VALUES (1, 'acme'), (2, 'globex');
INSERT INTO users (org_id, email) VALUES (1, 'ada@example.com');
INSERT INTO teams VALUES (1, 'core');
INSERT INTO projects VALUES (1, 2);
INSERT INTO accounts VALUES (1, 100), (2, 100);
"""


@dataclass(frozen=True)
class Expect:
    """The root triage must elect (None: not asserted, the driver does not print it)."""

    sqlstate: str
    condition: str
    pattern: str
    constraint: str | None = None
    table: str | None = None
    column: str | None = None
    key: dict[str, str] | None = None
    referenced_table: str | None = None
    trigger: str | None = None


@dataclass(frozen=True)
class Case:
    """One provoked condition: scenario name, its arguments, the expected root."""

    id: str
    scenario: (
        str  # exec | connect | cascade | deadlock | serialization | nowait | cancel | terminate
    )
    expect: Expect
    sql: tuple[str, ...] = ()
    connect: dict[str, str | int] = field(default_factory=dict)
    chain: bool = False  # the root is only in the exception chain (not in the last line)
    covers: str | None = None  # the catalog entry exercised, when it is not the root's pattern
    # family -> expected values that differ because that driver does not print a field
    # (None: nothing to assert), with the reason in NOT_PRINTED.
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    # family -> why triage gets this case wrong today (a strict xfail: it fails loudly once fixed)
    known: dict[str, str] = field(default_factory=dict)
    # family -> why that driver prints no database error at all for this case (its log must
    # then hold no SQLSTATE, and triage must elect no root rather than invent one)
    absent: dict[str, str] = field(default_factory=dict)

    @property
    def entry(self) -> str:
        return self.covers or self.expect.pattern

    def expect_for(self, family: str, fmt: str | None = None) -> Expect:
        """What this family must elect; a "family/format" override applies on top (read back
        from that format, the driver's output holds less)."""
        values = self.overrides.get(family, {}) | self.overrides.get(f"{family}/{fmt}", {})
        return replace(self.expect, **values)

    @property
    def test_name(self) -> str:
        return "test_" + self.id.lower().replace("-", "_")


PYTHON = ("psycopg", "asyncpg", "sqlalchemy")
ORMS = ("knex", "sequelize", "typeorm", "prisma")
NODE_FAMILIES = ("node-pg", "postgresjs", *ORMS)
FAMILIES = (*PYTHON, *NODE_FAMILIES)
# The formats each node family is read back from (pino-pretty and inspect: pg's errors only).
NODE_FORMATS = (
    dict.fromkeys(NODE_FAMILIES, ("pino",))
    | {"node-pg": ("pino", "pino-pretty", "inspect")}
    | {"prisma": ("pino", "inspect")}
)
# The cases an ORM runs (node/orm.mjs writes each as a model / query-builder call).
INTEGRITY = (
    "23502-not-null",
    "23503-fk-child",
    "23503-fk-parent",
    "23505-pkey",
    "23505-unique",
    "23514-check",
)
NO_CONTEXT = {"trigger": None}
NO_TABLE = {"table": None}
NO_STATEMENT = {"table": None}
# Why a family's expectation differs (shown under the coverage table).
NOT_PRINTED = {
    "trigger": "asyncpg does not print CONTEXT, so the trigger or function is not in its output",
    "table": "the message does not name the table and this driver prints neither the server's "
    "table field nor the statement",
    "pattern": "without CONTEXT the trigger-specific entry cannot match; the generic one must",
}
# Why a family's (or one of its formats', "family/format") expectation differs, when one reason
# covers every field it leaves out (shown instead of NOT_PRINTED's).
NOT_PRINTED_BY = {
    "prisma": "Prisma's driver adapter keeps the server's SQLSTATE, message, constraint and table "
    "but not its DETAIL, so the key value (and the table an insert references) is not in its "
    "output",
    "prisma/inspect": "console.error prints Prisma's own message, which names the constraint "
    "only, and folds the driver adapter's cause into [Object]: the server's message (its table, "
    "column, update-or-delete wording) is not in it",
}
PRISMA_NO_KEY = {"prisma": {"key": None}}


# postgres.js keeps an ErrorResponse that arrives mid-query until ReadyForQuery, which a
# terminated backend never sends (connection.js ErrorResponse / closed).
POSTGRESJS_FATAL = (
    "postgres.js rejects the running query with `write CONNECTION_CLOSED` (code CONNECTION_CLOSED) "
    "and drops the server's FATAL 57P01 message it was holding"
)

# Known triage gaps: each is a strict xfail (Case.known) that must go once fixed. None open now.


def _e(sqlstate: str, condition: str, pattern: str, **fields: object) -> Expect:
    return Expect(sqlstate, condition, pattern, **fields)  # type: ignore[arg-type]


CASES: tuple[Case, ...] = (
    Case("08006-refused", "connect", _e("08006", "connection_failure", "08006-connection-failure"), connect={"port": 1}),
    Case("22001-too-long", "exec", _e("22001", "string_data_right_truncation", "22001-string-data-right-truncation"), ("INSERT INTO users (org_id, email) VALUES (1, '" + "x" * 50 + "@example.com')",)),
    Case("22003-out-of-range", "exec", _e("22003", "numeric_value_out_of_range", "22003-numeric-value-out-of-range"), ("UPDATE users SET age = 3000000000 WHERE id = 1",)),
    Case("22007-bad-date", "exec", _e("22007", "invalid_datetime_format", "22007-invalid-datetime"), ("UPDATE users SET born = 'yesterday-ish' WHERE id = 1",)),
    Case("22P02-bad-enum", "exec", _e("22P02", "invalid_text_representation", "22P02-invalid-enum-value"), ("UPDATE users SET mood = 'angry' WHERE id = 1",)),
    Case("22P02-bad-integer", "exec", _e("22P02", "invalid_text_representation", "22P02-invalid-text-representation"), ("UPDATE users SET age = 'forty' WHERE id = 1",)),
    Case("22P02-bad-uuid", "exec", _e("22P02", "invalid_text_representation", "22P02-invalid-uuid"), ("SELECT * FROM users WHERE external_id = 'not-a-uuid'",)),
    Case("23001-restrict", "exec", _e("23001", "restrict_violation", "23001-restrict-violation", trigger="keep_projects_with_org"), ("DELETE FROM projects WHERE id = 1",), overrides={"asyncpg": NO_CONTEXT}),
    Case("23502-not-null", "exec", _e("23502", "not_null_violation", "23502-not-null-violation", table="users", column="email"), ("INSERT INTO users (org_id, email) VALUES (2, NULL)",), overrides={"prisma/inspect": {"table": None, "column": None}}),
    Case("23503-fk-child", "exec", _e("23503", "foreign_key_violation", "23503-foreign-key-violation", constraint="users_org_id_fkey", table="users", key={"org_id": "99"}, referenced_table="orgs"), ("INSERT INTO users (org_id, email) VALUES (99, 'bob@example.com')",), overrides={"prisma": {"key": None, "referenced_table": None}, "prisma/inspect": NO_TABLE}),
    Case("23503-fk-parent", "exec", _e("23503", "foreign_key_violation", "23503-foreign-key-violation-delete", constraint="users_org_id_fkey", table="users", key={"id": "1"}, referenced_table="orgs"), ("DELETE FROM orgs WHERE id = 1",), overrides={**PRISMA_NO_KEY, "prisma/inspect": {"table": None, "referenced_table": None, "pattern": "23503-foreign-key-violation"}}),
    Case("23505-pkey", "exec", _e("23505", "unique_violation", "23505-primary-key-duplicate", constraint="orgs_pkey", table="orgs", key={"id": "2"}), ("INSERT INTO orgs VALUES (2, 'again')",), overrides=PRISMA_NO_KEY),
    Case("23505-unique", "exec", _e("23505", "unique_violation", "23505-unique-violation", constraint="users_email_key", table="users", key={"email": "ada@example.com"}), ("INSERT INTO users (org_id, email) VALUES (1, 'ada@example.com')",), overrides={**PRISMA_NO_KEY, "prisma/inspect": NO_TABLE}),
    Case("23514-check", "exec", _e("23514", "check_violation", "23514-check-violation", constraint="users_age_check", table="users"), ("UPDATE users SET age = -3 WHERE id = 1",)),
    Case("23P01-exclusion", "exec", _e("23P01", "exclusion_violation", "23P01-exclusion-violation", constraint="bookings_no_overlap", table="bookings"), ("INSERT INTO bookings (room, during) VALUES (7, '[15,25)')",), overrides=dict.fromkeys(("psycopg", "asyncpg"), NO_TABLE)),
    Case("25P02-cascade", "cascade", _e("23505", "unique_violation", "23505-unique-violation", constraint="teams_slug_key", table="teams", key={"slug": "core"}), ("INSERT INTO teams VALUES (2, 'core')", "UPDATE teams SET slug = 'core' WHERE id = 1"), chain=True, covers="25P02-in-failed-sql-transaction"),
    Case("28000-no-role", "connect", _e("28000", "invalid_authorization_specification", "28000-invalid-authorization"), connect={"user": "triage_conf_ghost"}),
    Case("2BP01-drop-parent", "exec", _e("2BP01", "dependent_objects_still_exist", "2BP01-dependent-objects-still-exist"), ("DROP TABLE orgs",)),
    Case("3D000-no-database", "connect", _e("3D000", "invalid_catalog_name", "3D000-database-does-not-exist"), connect={"dbname": "triage_conf_missing"}),
    Case("40001-serialization", "serialization", _e("40001", "serialization_failure", "40001-serialization-failure")),
    Case("40P01-deadlock", "deadlock", _e("40P01", "deadlock_detected", "40P01-deadlock-detected")),
    Case("42501-privilege", "exec", _e("42501", "insufficient_privilege", "42501-insufficient-privilege", table="secrets"), ("SELECT value FROM secrets",), connect={"user": APP_ROLE}),
    Case("42501-rls", "exec", _e("42501", "insufficient_privilege", "42501-row-level-security", table="documents"), ("INSERT INTO documents (owner, body) VALUES ('postgres', 'hi')",), connect={"user": APP_ROLE}),
    Case("42703-undefined-column", "exec", _e("42703", "undefined_column", "42703-undefined-column", column="emial"), ("SELECT emial FROM users",)),
    Case("42710-duplicate-type", "exec", _e("42710", "duplicate_object", "42710-duplicate-object"), ("CREATE TYPE mood AS ENUM ('calm')",)),
    Case("42804-datatype", "exec", _e("42804", "datatype_mismatch", "42804-datatype-mismatch", column="age"), ("INSERT INTO users (org_id, email, age) SELECT 1, 'cy@example.com', true",)),
    Case("42883-undefined-function", "exec", _e("42883", "undefined_function", "42883-undefined-function"), ("SELECT slugify(name) FROM orgs",)),
    Case("42P01-undefined-table", "exec", _e("42P01", "undefined_table", "42P01-undefined-table", table="user_sessions"), ("SELECT * FROM user_sessions",)),
    Case("42P07-duplicate-table", "exec", _e("42P07", "duplicate_table", "42P07-duplicate-table", table="accounts"), ("CREATE TABLE accounts (id int)",)),
    Case("42P10-on-conflict", "exec", _e("42P10", "invalid_column_reference", "42P10-on-conflict-no-unique-constraint", table="profiles"), ("INSERT INTO profiles (auth_user_id, display_name) VALUES ('8d0f7d9e-4b7e-4a65-9a59-3f1f0e0e6a11', 'Ada') ON CONFLICT (auth_user_id) DO NOTHING",), overrides=dict.fromkeys(("psycopg", "asyncpg", "node-pg", "postgresjs"), NO_STATEMENT)),
    Case("53300-role-limit", "connect", _e("53300", "too_many_connections", "53300-too-many-connections"), connect={"user": FULL_ROLE}),
    Case("55P03-nowait", "nowait", _e("55P03", "lock_not_available", "55P03-lock-not-available", table="accounts")),
    Case("57014-cancel", "cancel", _e("57014", "query_canceled", "57014-query-canceled")),
    Case("57014-timeout", "exec", _e("57014", "query_canceled", "57014-statement-timeout"), ("SET statement_timeout = 200", "SELECT pg_sleep(3)")),
    Case("57P01-terminate", "terminate", _e("57P01", "admin_shutdown", "57P01-admin-shutdown"), absent={"postgresjs": POSTGRESJS_FATAL}),
    Case("P0001-raise", "exec", _e("P0001", "raise_exception", "P0001-raise-exception", trigger="withdraw"), ("SELECT withdraw(1, 500)",), overrides={"asyncpg": NO_CONTEXT}),
    Case("supabase-signup-trigger", "exec", _e("23502", "not_null_violation", "supabase-auth-signup-trigger", table="members", column="username", trigger="handle_new_user"), ("INSERT INTO auth.users (id, raw_user_meta_data) VALUES ('e57ae5b7-3b10-4328-a217-c76c41ac051d', '{}')",), overrides={"asyncpg": {**NO_CONTEXT, "pattern": "23502-not-null-violation"}}),
    Case("supabase-profile-fk", "exec", _e("23503", "foreign_key_violation", "supabase-profile-fk-auth-users", constraint="members_id_fkey", table="members", key={"id": "1b2c3d4e-0000-4000-8000-000000000002"}, referenced_table="users"), ("INSERT INTO public.members (id, username) VALUES ('1b2c3d4e-0000-4000-8000-000000000002', 'bo')",)),
)  # fmt: skip

# Full catalog entries that no case provokes, and why.
NOT_PROVOKED: dict[str, str] = {
    "23503-sqlite-foreign-key": "SQLite-only entry: the PostgreSQL drivers cannot raise it",
    "28P01-invalid-password": "the server trusts every login here, so no password can fail; its "
    "examples come from the private password-auth cluster of samples/generate/pgserver",
    "P2025-record-not-found": "Prisma's own error (an update or delete matched no row), not the "
    "server's, so no case provokes it on the server; its captured console.error example runs "
    "through the readers in tests/test_catalog_examples.py",
}

BY_ID = {case.id: case for case in CASES}


def node_cases(family: str) -> tuple[Case, ...]:
    """The cases a node family provokes: all of them, or the integrity ones for an ORM."""
    if family in ORMS:
        return tuple(BY_ID[case_id] for case_id in INTEGRITY)
    return CASES


def known(case: Case, family: str) -> tuple[Any, ...]:
    """A strict xfail mark for a known triage gap (see Case.known), else no marks."""
    import pytest

    reason = case.known.get(family)
    return (pytest.mark.xfail(reason=reason, strict=True),) if reason else ()
