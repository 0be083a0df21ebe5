"""Cases for the ORMs and SQLite: SQLAlchemy on psycopg2 and sqlite, Django on both, sqlite3."""

from __future__ import annotations

from harness import DB, Case, Cause
from project import PYTEST_INI, django_project, pg_project

SA_MODELS = f"""
from sqlalchemy import ForeignKey, String, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/{DB}"


class Base(DeclarativeBase):
    pass


class Org(Base):
    __tablename__ = "orgs"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"))
    email: Mapped[str] = mapped_column(String(40), unique=True)


def session():
    return Session(create_engine(URL))
"""

SA_ORM_TESTS = """
import pytest
from sqlalchemy import select, text

from app.models import User, session


def test_signup_duplicate_email():
    with session() as s:
        s.add(User(org_id=1, email="ada@example.com"))
        s.commit()


def test_signup_then_count():
    with session() as s:
        s.add(User(org_id=1, email="ada@example.com"))
        try:
            s.flush()
        except Exception:
            pass  # "ignore duplicates" -- without a rollback
        s.scalars(select(User)).all()


def test_signup_missing_org():
    with session() as s:
        s.add(User(org_id=404, email="zed@example.com"))
        s.commit()


def test_search_users():
    with session() as s:
        s.execute(text("SELECT id FROM users WHERE emial = :e"), {"e": "ada@example.com"})


@pytest.mark.xfail(reason="long emails not supported yet")
def test_long_email():
    with session() as s:
        s.add(User(org_id=1, email="y" * 60))
        s.commit()
"""

SA_XDIST_TESTS = """
import pytest
from sqlalchemy import text

from app.models import session


def run(sql, **params):
    with session() as s:
        s.execute(text(sql), params)
        s.commit()


def test_rename_org_to_null():
    run("UPDATE orgs SET name = NULL WHERE id = :id", id=2)


def test_upsert_profile_by_auth_user():
    run(
        "INSERT INTO profiles (auth_user_id, display_name) VALUES (:a, :n) "
        "ON CONFLICT (auth_user_id) DO NOTHING",
        a="0b6d3f4e-8f25-4a3e-9f55-2f0f3c1f6b2c",
        n="Ada",
    )


def test_overlapping_bookings():
    run("INSERT INTO bookings (room, during) VALUES (5, '[1,10)'), (5, '[5,6)')")


@pytest.mark.parametrize("age", [30, -1])
def test_set_age(age):
    run("UPDATE users SET age = :age WHERE id = 1", age=age)


def test_orgs_exist():
    with session() as s:
        assert s.execute(text("SELECT count(*) FROM orgs")).scalar() == 2
"""

DJANGO_TESTS = """
import pytest
from django.db import IntegrityError, transaction

from shop.models import Member, Team


def test_member_email_unique():
    Member.objects.create(team_id=1, email="ada@example.com", nickname="ada")
    Member.objects.create(team_id=1, email="ada@example.com", nickname="ada2")


def test_member_in_missing_team():
    with transaction.atomic():
        Member.objects.create(team_id=999, email="bob@example.com", nickname="bob")


def test_member_nickname_required():
    Member.objects.create(team_id=1, email="cy@example.com", nickname=None)


def test_email_too_long():
    Member.objects.create(team_id=1, email="d" * 30, nickname="dee")


def test_keep_going_after_duplicate():
    with transaction.atomic():
        try:
            Team.objects.create(name="core")
        except IntegrityError as exc:
            print(f"team exists already, carrying on: {exc}")
        Team.objects.count()


def test_delete_team_with_members():
    Team.objects.get(name="core").delete()
"""

DJANGO_SQLITE_TESTS = """
from django.db import transaction

from shop.models import Member, Team


def test_member_email_unique():
    Member.objects.create(team_id=1, email="ada@example.com", nickname="ada")
    Member.objects.create(team_id=1, email="ada@example.com", nickname="ada2")


def test_member_in_missing_team():
    with transaction.atomic():
        Member.objects.create(team_id=999, email="bob@example.com", nickname="bob")


def test_team_count():
    assert Team.objects.count() == 1
"""

SQLITE3_TESTS = '''
import sqlite3

import pytest

SCHEMA = """
CREATE TABLE orgs (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    email TEXT NOT NULL UNIQUE,
    age INTEGER CONSTRAINT users_age_check CHECK (age >= 0)
);
INSERT INTO orgs VALUES (1, 'acme');
INSERT INTO users (org_id, email) VALUES (1, 'ada@example.com');
"""


@pytest.fixture
def db():
    conn = sqlite3.connect(":memory:")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.executescript(SCHEMA)
    yield conn
    conn.close()


def test_duplicate_email(db):
    db.execute("INSERT INTO users (org_id, email) VALUES (1, 'ada@example.com')")


def test_missing_org(db):
    db.execute("INSERT INTO users (org_id, email) VALUES (7, 'bob@example.com')")


def test_null_email(db):
    db.execute("INSERT INTO users (org_id, email) VALUES (1, NULL)")


def test_negative_age(db):
    db.execute("UPDATE users SET age = -1")


def test_upsert_on_age(db):
    db.execute("INSERT INTO users (org_id, email) VALUES (1, 'a@b.c') ON CONFLICT (age) DO NOTHING")


def test_typo_column(db):
    db.execute("SELECT emial FROM users")


def test_missing_table(db):
    db.execute("SELECT * FROM sessions")


def test_count(db):
    assert db.execute("SELECT count(*) FROM users").fetchone() == (1,)
'''

SA_SQLITE_TESTS = """
from sqlalchemy import create_engine, text


def engine():
    eng = create_engine("sqlite://")
    with eng.begin() as conn:
        conn.execute(text("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE)"))
        conn.execute(text("INSERT INTO users (email) VALUES ('ada@example.com')"))
    return eng


def test_duplicate_email():
    with engine().begin() as conn:
        conn.execute(text("INSERT INTO users (email) VALUES (:e)"), {"e": "ada@example.com"})


def test_null_email():
    with engine().begin() as conn:
        conn.execute(text("INSERT INTO users (email) VALUES (:e)"), {"e": None})


def test_missing_column():
    with engine().begin() as conn:
        conn.execute(text("SELECT name FROM users"))
"""


def _ids(module: str, causes: dict[str, Cause | None]) -> dict[str, Cause | None]:
    return {f"tests/test_{module}.py::{name}": cause for name, cause in causes.items()}


def _sqlite(constraint: str | None = None, table: str | None = None, state: str = "23505"):
    return Cause(state, constraint, table, engine="sqlite")


CASES = [
    Case(
        name="py-sqlalchemy-psycopg2-orm",
        driver="sqlalchemy+psycopg2",
        story=(
            "SQLAlchemy 2.1 ORM on psycopg2: flush errors, a PendingRollbackError after a "
            "swallowed flush error, a raw text() typo, an xfail."
        ),
        files=pg_project(
            {"test_orm.py": SA_ORM_TESTS}, **{"app/__init__.py": "", "app/models.py": SA_MODELS}
        ),
        outputs=("run.log", "junit.xml"),
        args=("--tb=short",),
        expect=("sqlalchemy.exc.IntegrityError", "PendingRollbackError", "users_email_key"),
        causes=_ids(
            "orm",
            {
                "test_signup_duplicate_email": Cause("23505", "users_email_key", "users"),
                "test_signup_then_count": Cause("23505", "users_email_key", "users"),
                "test_signup_missing_org": Cause("23503", "users_org_id_fkey", "users"),
                "test_search_users": Cause("42703"),
            },
        ),
    ),
    Case(
        name="py-sqlalchemy-psycopg2-xdist",
        driver="sqlalchemy+psycopg2",
        story="SQLAlchemy on psycopg2 under pytest-xdist -n 2 -v: errors from two workers.",
        files=pg_project(
            {"test_workers.py": SA_XDIST_TESTS},
            **{"app/__init__.py": "", "app/models.py": SA_MODELS},
        ),
        outputs=("run.log", "reportlog.jsonl"),
        args=("-n", "2", "-v", "--tb=line"),
        expect=("gw0", "gw1", "sqlalche.me"),
        causes=_ids(
            "workers",
            {
                "test_rename_org_to_null": Cause("23502", None, "orgs"),
                "test_upsert_profile_by_auth_user": Cause("42P10"),
                "test_overlapping_bookings": Cause("23P01", "bookings_no_overlap", "bookings"),
                "test_set_age[-1]": Cause("23514", "users_age_check", "users"),
            },
        ),
    ),
    Case(
        name="py-django-postgres",
        driver="django+psycopg",
        story=(
            "Django 5.2 (standalone settings, plain pytest) on psycopg 3: unique, deferred FK "
            "at commit, not null, varchar length, TransactionManagementError, protected delete."
        ),
        files=django_project({"test_members.py": DJANGO_TESTS}),
        outputs=("run.log", "junit.xml"),
        args=("--tb=short", "-o", "junit_logging=all"),
        expect=("django.db.utils", "shop_member_email_key"),
        causes=_ids(
            "members",
            {
                "test_member_email_unique": Cause("23505", "shop_member_email_key", "shop_member"),
                "test_member_in_missing_team": Cause(
                    "23503", "shop_member_team_id_b9a4a082_fk_shop_team_id", "shop_member"
                ),
                "test_member_nickname_required": Cause("23502", None, "shop_member"),
                "test_email_too_long": Cause("22001"),
                "test_keep_going_after_duplicate": Cause(
                    "23505", "shop_team_name_key", "shop_team"
                ),
                "test_delete_team_with_members": None,
            },
        ),
    ),
    Case(
        name="py-django-sqlite",
        driver="django+sqlite",
        story="Django on SQLite with -v --tb=line: UNIQUE and a deferred FOREIGN KEY failure at commit.",
        files=django_project({"test_members.py": DJANGO_SQLITE_TESTS}, sqlite=True),
        outputs=("run.log", "junit.xml", "reportlog.jsonl"),
        args=("-v", "--tb=line"),
        expect=("UNIQUE constraint failed: shop_member.email", "FOREIGN KEY constraint failed"),
        causes=_ids(
            "members",
            {
                "test_member_email_unique": _sqlite(None, "shop_member"),
                "test_member_in_missing_team": _sqlite(None, None, "23503"),
            },
        ),
    ),
    Case(
        name="py-sqlite3-errors",
        driver="sqlite3",
        story="Plain sqlite3 with -rA: the SQLite forms of unique, FK, not null, check, schema.",
        files={"pytest.ini": PYTEST_INI, "tests/test_store.py": SQLITE3_TESTS},
        outputs=("run.log", "junit.xml"),
        args=("-rA", "--tb=short"),
        expect=("sqlite3.IntegrityError", "sqlite3.OperationalError"),
        causes=_ids(
            "store",
            {
                "test_duplicate_email": _sqlite(None, "users"),
                "test_missing_org": _sqlite(None, None, "23503"),
                "test_null_email": _sqlite(None, "users", "23502"),
                "test_negative_age": _sqlite("users_age_check", None, "23514"),
                "test_upsert_on_age": _sqlite(None, None, "42P10"),
                "test_typo_column": _sqlite(None, None, "42703"),
                "test_missing_table": _sqlite(None, None, "42P01"),
            },
        ),
    ),
    Case(
        name="py-sqlalchemy-sqlite",
        driver="sqlalchemy+sqlite",
        story="SQLAlchemy on sqlite with -q --tb=line and a report log.",
        files={"pytest.ini": PYTEST_INI, "tests/test_sa_sqlite.py": SA_SQLITE_TESTS},
        outputs=("run.log", "reportlog.jsonl"),
        args=("-q", "--tb=line"),
        expect=("(sqlite3.IntegrityError)", "UNIQUE constraint failed: users.email"),
        causes=_ids(
            "sa_sqlite",
            {
                "test_duplicate_email": _sqlite(None, "users"),
                "test_null_email": _sqlite(None, "users", "23502"),
                "test_missing_column": _sqlite(None, None, "42703"),
            },
        ),
    ),
]
