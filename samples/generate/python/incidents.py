"""Incident stories: one real pytest run each (run.log + junit.xml + reportlog) and expected.json."""

from __future__ import annotations

from harness import DB, Case, Cause
from project import pg_project

from triage.sqlstate import condition

ALL = ("run.log", "junit.xml", "reportlog.jsonl")
PG2_URL = f"postgresql+psycopg2://postgres@127.0.0.1:5432/{DB}"

USER_REPO = '''
"""The users repository: hides driver errors behind the application's own message."""

import logging

import psycopg2

log = logging.getLogger("app.users")


class UserRepository:
    def __init__(self, conn):
        self.conn = conn

    def create(self, org_id, email):
        try:
            with self.conn.cursor() as cur:
                cur.execute(
                    "INSERT INTO users (org_id, email) VALUES (%s, %s) RETURNING id", (org_id, email)
                )
                return cur.fetchone()[0]
        except psycopg2.Error as e:
            log.error("could not save user %s", email)
            raise RuntimeError("Failed to create user record") from e
'''

WRAPPER_TESTS = """
from app.users import UserRepository


def test_signup_new_user(pg2):
    assert UserRepository(pg2).create(1, "ada@example.com") > 0


def test_signup_second_org(pg2):
    assert UserRepository(pg2).create(2, "ada@example.com") > 0


def test_signup_fresh_email(pg2):
    assert UserRepository(pg2).create(1, "grace@example.com") > 0
"""

CASCADE_CONFTEST = f'''
import psycopg2
import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

DSN = "host=127.0.0.1 port=5432 dbname={DB} user=postgres"


@pytest.fixture(scope="session")
def db():
    """One connection and one open transaction for the whole run (rolled back at the end)."""
    conn = psycopg2.connect(DSN)
    yield conn
    conn.rollback()
    conn.close()


@pytest.fixture(scope="session")
def orm():
    with Session(create_engine("{PG2_URL}")) as session:
        yield session
'''

CASCADE_TESTS = """
def test_create_user(db):
    cur = db.cursor()
    cur.execute("INSERT INTO users (org_id, email) VALUES (1, %s)", ("ada@example.com",))


def test_rename_user(db):
    cur = db.cursor()
    cur.execute("UPDATE users SET email = %s WHERE id = 1", ("ada.l@example.com",))


def test_list_orgs(db):
    cur = db.cursor()
    cur.execute("SELECT name FROM orgs ORDER BY id")
    assert len(cur.fetchall()) == 2
"""

CASCADE_ORM_TESTS = """
from sqlalchemy import String, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int]
    email: Mapped[str] = mapped_column(String(40))


def test_orm_signup(orm):
    orm.add(User(org_id=2, email="ada@example.com"))
    orm.flush()


def test_orm_count_users(orm):
    assert orm.execute(text("SELECT count(*) FROM users")).scalar() >= 1
"""

TRIGGER_SQL = """
CREATE FUNCTION handle_new_user() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- migration 0042: every new user starts in the default org 3 ("trial")
    INSERT INTO profiles (user_id, org_id, display_name)
    VALUES (NEW.id, 3, split_part(NEW.email, '@', 1));
    RETURN NEW;
END $$;
CREATE TRIGGER on_user_created AFTER INSERT ON users
    FOR EACH ROW EXECUTE FUNCTION handle_new_user();
"""

SIGNUP_SERVICE = '''
"""Signup: insert the user; the database creates the profile row by itself."""

import logging

import psycopg

log = logging.getLogger("app.signup")


def create_user(conn, org_id, email):
    try:
        conn.execute("INSERT INTO users (org_id, email) VALUES (%s, %s)", (org_id, email))
    except psycopg.Error as e:
        log.error("insert into users failed for %s", email)
        raise RuntimeError("Failed to create user record") from e
'''

TRIGGER_TESTS = """
from app.signup import create_user


def test_signup_free_plan(pg3):
    create_user(pg3, 1, "lin@example.com")


def test_signup_with_invite(pg3):
    create_user(pg3, 2, "max@example.com")


def test_signup_sso(pg3):
    create_user(pg3, 1, "sso-kim@example.com")


def test_existing_user_can_log_in(pg3):
    assert pg3.execute("SELECT count(*) FROM users").fetchone()[0] == 1
"""

PROFILES_APP = f'''
"""Profiles: keep one profile per auth user, upserted on every login."""

from sqlalchemy import create_engine, text

engine = create_engine("{PG2_URL}")

UPSERT = text(
    "INSERT INTO profiles (auth_user_id, display_name) VALUES (:auth_user_id, :name) "
    "ON CONFLICT (auth_user_id) DO UPDATE SET display_name = excluded.display_name"
)


def save_profile(auth_user_id, name):
    with engine.begin() as conn:
        conn.execute(UPSERT, {{"auth_user_id": auth_user_id, "name": name}})
'''

ON_CONFLICT_TESTS = """
from app.profiles import save_profile


def test_first_login_creates_profile():
    save_profile("6f1c2d0e-0b1a-4c7e-9d3f-1a2b3c4d5e6f", "Ada")


def test_second_login_updates_name():
    save_profile("6f1c2d0e-0b1a-4c7e-9d3f-1a2b3c4d5e6f", "Ada L.")


def test_profile_for_new_tenant():
    save_profile("0c9e8d7f-6a5b-4c3d-2e1f-0a9b8c7d6e5f", "Grace")
"""

SEVERAL_SQL = "ALTER TABLE profiles RENAME COLUMN display_name TO full_name;"

SEVERAL_TESTS = """
import pytest


@pytest.mark.parametrize("org", [1, 2])
def test_invite_existing_user(pg3, org):
    pg3.execute("INSERT INTO users (org_id, email) VALUES (%s, 'ada@example.com')", (org,))


def test_import_users_csv(pg3):
    rows = [(1, "bob@example.com"), (1, "ada@example.com")]
    with pg3.cursor() as cur:
        cur.executemany("INSERT INTO users (org_id, email) VALUES (%s, %s)", rows)


def test_rename_profile(pg3):
    pg3.execute("INSERT INTO profiles (org_id, full_name) VALUES (1, 'Ada')")
    pg3.execute("UPDATE profiles SET display_name = 'Ada L.' WHERE org_id = 1")


def test_profile_card(pg3):
    pg3.execute("INSERT INTO profiles (org_id, display_name) VALUES (2, 'Grace')")


def test_lookup_by_external_id(pg3):
    pg3.execute("SELECT id FROM users WHERE external_id = %s::uuid", ("12345",))


def test_org_names_sorted(pg3):
    names = [r[0] for r in pg3.execute("SELECT name FROM orgs ORDER BY id")]
    assert names == sorted(names, reverse=True)


def test_health(pg3):
    assert pg3.execute("SELECT 1").fetchone() == (1,)
"""

NO_DB_APP = '''
"""A job runner and a config loader with retries: the plumbing the tests exercise."""

import logging
import time

import psycopg2

log = logging.getLogger("app.db")
DSNS = [
    "host=127.0.0.1 port=1 dbname=triage_py user=postgres connect_timeout=2",
    "host=127.0.0.1 port=5432 dbname=triage_py user=postgres",
]


def connect_with_retry():
    for attempt, dsn in enumerate(DSNS, start=1):
        try:
            conn = psycopg2.connect(dsn)
            log.info("database connection established on attempt %d", attempt)
            return conn
        except psycopg2.OperationalError as exc:
            log.warning("database connection attempt %d failed, retrying: %s", attempt, exc)
    raise AssertionError("unreachable")


def wait_for_job(job, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if job.get("done"):
            return job
        time.sleep(0.05)
    raise TimeoutError(f"job {job['id']} did not finish within {timeout}s")
'''

NO_DB_TESTS = """
import logging

import psycopg2
import pytest

from app.jobs import connect_with_retry, wait_for_job

log = logging.getLogger("app.users")


def test_invoice_total():
    lines = [19.99, 5.01, 0.5]
    assert round(sum(lines), 2) == 25.0


def test_signup_is_idempotent(pg2):
    cur = pg2.cursor()
    with pytest.raises(psycopg2.errors.UniqueViolation) as exc:
        cur.execute("INSERT INTO users (org_id, email) VALUES (1, 'ada@example.com')")
    log.warning("duplicate signup handled: %s", exc.value)


def test_feature_flags():
    flags = {"new_checkout": True}
    assert flags["dark_mode"]


def test_nightly_export_job():
    conn = connect_with_retry()
    conn.close()
    wait_for_job({"id": 17, "done": False}, timeout=0.3)


def test_user_count(pg2):
    cur = pg2.cursor()
    cur.execute("SELECT count(*) FROM users")
    assert cur.fetchone()[0] == 1
"""


def root(cause: Cause, explains: list[str]) -> dict[str, object]:
    return {
        "sqlstate": cause.sqlstate,
        "condition": condition(cause.sqlstate) if cause.sqlstate else None,
        "constraint": cause.constraint,
        "table": cause.table,
        "explains": explains,
    }


def expected(
    story: str,
    roots: list[dict[str, object]],
    unexplained: list[str] = (),  # type: ignore[assignment]
    reported: str | None = None,
    claim: str | None = None,
) -> dict[str, object]:
    return {
        "story": story,
        "reported": reported,
        "roots": roots,
        "unexplained": list(unexplained),
        "claim": claim,
    }


def ids(module: str, *names: str) -> list[str]:
    return [f"tests/{module}.py::{name}" for name in names]


UNIQUE = Cause("23505", "users_email_key", "users")
W_FAIL = ids("test_signup", "test_signup_new_user", "test_signup_second_org")
C_FAIL = ids("test_accounts", "test_create_user", "test_rename_user", "test_list_orgs") + ids(
    "test_orm", "test_orm_signup", "test_orm_count_users"
)
T_CAUSE = Cause("23503", "profiles_org_id_fkey", "profiles", trigger="handle_new_user")
T_FAIL = ids("test_signup", "test_signup_free_plan", "test_signup_with_invite", "test_signup_sso")
O_CAUSE = Cause("42P10", None, "profiles")
O_FAIL = ids(
    "test_profiles",
    "test_first_login_creates_profile",
    "test_second_login_updates_name",
    "test_profile_for_new_tenant",
)
S_UNIQUE = ids("test_team", "test_invite_existing_user[1]", "test_invite_existing_user[2]") + ids(
    "test_team", "test_import_users_csv"
)
S_COLUMN = ids("test_team", "test_rename_profile", "test_profile_card")
S_UUID = ids("test_team", "test_lookup_by_external_id")
S_NONE = ids("test_team", "test_org_names_sorted")
S_42703 = Cause("42703", None, "profiles")
N_FAIL = ids("test_app", "test_invoice_total", "test_feature_flags", "test_nightly_export_job")

CASES = [
    Case(
        name="incident-wrapper-hides-root",
        driver="psycopg2",
        story="wrapper",
        files=pg_project(
            {"test_signup.py": WRAPPER_TESTS}, **{"app/__init__.py": "", "app/users.py": USER_REPO}
        ),
        outputs=ALL,
        expect=("Failed to create user record", "users_email_key"),
        causes=dict.fromkeys(W_FAIL, UNIQUE),
        expected=expected(
            "A repository layer catches every psycopg2 error and raises RuntimeError('Failed to "
            "create user record') from it, so both failing signup tests show only the wrapper in "
            "their summary line. The direct cause printed above it is a real 23505 on "
            "users_email_key: ada@example.com is already seeded, and the second test tries it "
            "again under another org.",
            [root(UNIQUE, W_FAIL)],
        ),
    ),
    Case(
        name="incident-25p02-cascade",
        driver="psycopg2+sqlalchemy",
        story="cascade",
        files={
            "pytest.ini": "[pytest]\ntestpaths = tests\npythonpath = .\n",
            "tests/conftest.py": CASCADE_CONFTEST,
            "tests/test_accounts.py": CASCADE_TESTS,
            "tests/test_orm.py": CASCADE_ORM_TESTS,
        },
        outputs=ALL,
        args=("-v", "--tb=short"),
        expect=("users_email_key", "InFailedSqlTransaction", "PendingRollbackError"),
        causes=dict.fromkeys(C_FAIL, UNIQUE),
        expected=expected(
            "Tests share a session-scoped psycopg2 connection that stays inside one transaction. "
            "test_create_user hits 23505 on users_email_key; every later statement on that "
            "connection fails with 25P02 'current transaction is aborted'. The ORM tests share a "
            "session-scoped SQLAlchemy Session: the same duplicate email fails its flush, and the "
            "next test gets PendingRollbackError. One root explains all five failures.",
            [root(UNIQUE, C_FAIL)],
        ),
    ),
    Case(
        name="incident-trigger-profiles",
        driver="psycopg",
        story="trigger",
        files=pg_project(
            {"test_signup.py": TRIGGER_TESTS},
            **{"app/__init__.py": "", "app/signup.py": SIGNUP_SERVICE},
        ),
        outputs=ALL,
        extra_sql=TRIGGER_SQL,
        args=("--tb=short", "-o", "junit_logging=all"),
        expect=("Failed to create user record", "profiles_org_id_fkey", "handle_new_user"),
        causes=dict.fromkeys(T_FAIL, T_CAUSE),
        expected=expected(
            "Signup runs INSERT INTO users and the app wraps any failure as RuntimeError('Failed "
            "to create user record'), logging 'insert into users failed'. The users row itself "
            "is valid: the AFTER INSERT trigger on_user_created runs handle_new_user(), whose "
            "INSERT INTO profiles puts every new user in org 3, which does not exist, so "
            "profiles_org_id_fkey (23503, table profiles) rejects it and the whole statement "
            "fails. The claim blames the users table; the evidence (CONTEXT: PL/pgSQL function "
            "handle_new_user() ... and the constraint on profiles) contradicts it.",
            [root(T_CAUSE, T_FAIL)],
            reported="user signup fails because the users table rejects the insert",
            claim="contradicted",
        ),
    ),
    Case(
        name="incident-on-conflict",
        driver="sqlalchemy+psycopg2",
        story="on conflict",
        files=pg_project(
            {"test_profiles.py": ON_CONFLICT_TESTS},
            **{"app/__init__.py": "", "app/profiles.py": PROFILES_APP},
        ),
        outputs=ALL,
        args=("-rA", "--tb=short"),
        expect=("ON CONFLICT", "InvalidColumnReference"),
        causes=dict.fromkeys(O_FAIL, O_CAUSE),
        expected=expected(
            "save_profile upserts with INSERT ... ON CONFLICT (auth_user_id) DO UPDATE on "
            "profiles, but profiles has no unique or exclusion constraint on auth_user_id, so "
            "PostgreSQL rejects every such statement with 42P10 before touching any row. All "
            "three login tests fail with the same root; the fix is a unique constraint on "
            "profiles(auth_user_id).",
            [root(O_CAUSE, O_FAIL)],
        ),
    ),
    Case(
        name="incident-several-roots",
        driver="psycopg",
        story="several roots",
        files=pg_project({"test_team.py": SEVERAL_TESTS}),
        outputs=ALL,
        extra_sql=SEVERAL_SQL,
        env={"CI": "1"},
        args=("--tb=short",),
        expect=("users_email_key", "display_name", "invalid input syntax for type uuid"),
        causes={
            **dict.fromkeys(S_UNIQUE, UNIQUE),
            **dict.fromkeys(S_COLUMN, S_42703),
            **dict.fromkeys(S_UUID, Cause("22P02")),
            **dict.fromkeys(S_NONE, None),
        },
        expected=expected(
            "One CI run, three unrelated roots. Three tests insert the seeded ada@example.com "
            "again (23505 users_email_key). A migration renamed profiles.display_name to "
            "full_name and two tests still write display_name (42703). One lookup passes '12345' "
            "as a uuid (22P02). test_org_names_sorted is a plain assertion failure with no "
            "database cause.",
            [root(UNIQUE, S_UNIQUE), root(S_42703, S_COLUMN), root(Cause("22P02"), S_UUID)],
            unexplained=S_NONE,
        ),
    ),
    Case(
        name="incident-no-db-cause",
        driver="psycopg2",
        story="no db cause",
        files=pg_project(
            {"test_app.py": NO_DB_TESTS}, **{"app/__init__.py": "", "app/jobs.py": NO_DB_APP}
        ),
        outputs=ALL,
        args=("-rA", "-o", "junit_logging=all", "--log-level=INFO"),
        expect=("Connection refused", "users_email_key", "TimeoutError", "KeyError"),
        causes=dict.fromkeys(N_FAIL),
        expected=expected(
            "Three failures, none caused by the database: an arithmetic assertion, a KeyError "
            "on a missing feature flag, and a job that never finishes (TimeoutError). The logs "
            "still hold database errors that did no harm: the export test's connection helper "
            "warns that attempt 1 was refused and then connects on attempt 2, and a passing test "
            "expects and handles a unique violation on users_email_key.",
            [],
            unexplained=N_FAIL,
        ),
    ),
]
