"""Exception class names -> SQLSTATE, driver and engine (formats.md 3.17, 3.5-3.9, 3.16, 4)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from triage import sqlstate

# asyncpg names that are not CamelCase(condition) + "Error".
ASYNCPG_SPECIAL = {
    "InFailedSQLTransactionError": "25P02",
    "ReadOnlySQLTransactionError": "25006",
    "SerializationError": "40001",
    "PostgresSyntaxError": "42601",
    "RaiseError": "P0001",
    "InternalServerError": "XX000",
    "ClientCannotConnectError": "08001",
    "InvalidCachedStatementError": "0A000",
}
# Classes that are a follow-on of an earlier error, never a root (design.md 4.1).
CASCADE_CLASSES = frozenset(
    {
        "PendingRollbackError",
        "TransactionManagementError",
        "InFailedSqlTransaction",
        "InFailedSQLTransactionError",
    }
)
# ORM / framework classes that name the condition themselves.
NAMED = {
    "PendingRollbackError": "25P02",
    "TransactionManagementError": "25P02",
    "RecordNotUnique": "23505",
    "InvalidForeignKey": "23503",
    "NotNullViolation": "23502",
    "UniqueConstraintError": "23505",
    "ForeignKeyConstraintError": "23503",
    "ExclusionConstraintError": "23P01",
}
NODE_DRIVERS = {
    "DatabaseError": "node-pg",
    "PostgresError": "postgres.js",
    "QueryFailedError": "typeorm",
    "PrismaClientKnownRequestError": "prisma",
    "PrismaClientInitializationError": "prisma",
    "PrismaClientUnknownRequestError": "prisma",
    "KnexTimeoutError": "knex",
    "PSQLException": "jdbc",
}


@dataclass(frozen=True, slots=True)
class ClassInfo:
    sqlstate: str | None
    driver: str | None
    engine: str = "postgresql"
    cascade: bool = False


@cache
def _camel_map() -> dict[str, str]:
    out: dict[str, str] = {}
    for code in sqlstate.all_codes():
        if code.condition and code.kind == "E":
            out.setdefault(sqlstate.camel(code.condition), code.sqlstate)
    out["InternalError_"] = "XX000"
    return out


def _asyncpg(name: str) -> str | None:
    if name in ASYNCPG_SPECIAL:
        return ASYNCPG_SPECIAL[name]
    if name.endswith("Error"):
        return _camel_map().get(name[:-5])
    return None


@cache
def classify(qualified: str) -> ClassInfo | None:
    """What a qualified exception class name says, or None when it is not a database class."""
    name = qualified.rsplit(".", 1)[-1].rsplit("::", 1)[-1]
    if qualified.startswith(("psycopg2.", "psycopg.")):
        driver = qualified.split(".", 1)[0]
        code = _camel_map().get(name) if ".errors." in qualified else None
        return ClassInfo(code, driver, cascade=name in CASCADE_CLASSES)
    if qualified.startswith("asyncpg."):
        return ClassInfo(_asyncpg(name), "asyncpg", cascade=name in CASCADE_CLASSES)
    if qualified.startswith("sqlalchemy.dialects.postgresql.asyncpg."):
        return ClassInfo(_asyncpg(name), "sqlalchemy+asyncpg")
    if qualified.startswith("sqlalchemy."):
        if name == "PendingRollbackError":
            return ClassInfo("25P02", "sqlalchemy", cascade=True)
        return ClassInfo(None, "sqlalchemy") if ".exc." in qualified else None
    if qualified.startswith("django.db.models."):
        return None  # ProtectedError, RestrictedError: the ORM refused in Python, no server error
    if qualified.startswith("django.db."):
        cascade = name == "TransactionManagementError"
        return ClassInfo("25P02" if cascade else None, "django", cascade=cascade)
    if qualified.startswith("sqlite3."):
        return ClassInfo(None, "sqlite3", engine="sqlite")
    if qualified.startswith("PG::"):
        return ClassInfo(_camel_map().get(name), "rails", cascade=name in CASCADE_CLASSES)
    if qualified.startswith("ActiveRecord::"):
        return ClassInfo(NAMED.get(name), "rails")
    if name.startswith("Sequelize") or qualified.startswith("Sequelize"):
        return ClassInfo(NAMED.get(name.removeprefix("Sequelize")), "sequelize")
    if name in NODE_DRIVERS:
        return ClassInfo(None, NODE_DRIVERS[name])
    if name in ("UniqueConstraintError", "ForeignKeyConstraintError", "ExclusionConstraintError"):
        return ClassInfo(NAMED[name], "sequelize")
    return None


def sqlalchemy_driver(inner: str) -> str:
    """Driver label for a SQLAlchemy message whose first token is ``(<inner class>)``."""
    if inner.startswith("sqlalchemy.dialects.postgresql.asyncpg.") or "asyncpg." in inner:
        return "sqlalchemy+asyncpg"
    return "sqlalchemy+" + inner.split(".", 1)[0]


def is_cascade_class(qualified: str | None) -> bool:
    return bool(qualified) and qualified.rsplit(".", 1)[-1] in CASCADE_CLASSES  # type: ignore[union-attr]
