"""Error head lines: the line that opens one database error, and the prefix in front of its message.

A head line holds a message template, a SQLite message, a client connection failure, a cascade
notice or an ``ERROR:``/``FATAL:`` marker. What precedes the message is a prefix: class names and
severity markers feed the fields, Knex's ``<sql> - `` is the statement, anything else is the text
of an outer wrapper (pino ``outer: inner``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from triage.pgerror import classes
from triage.pgerror.detail import client_connection
from triage.pgerror.sqlite import sqlite_fields
from triage.pgerror.templates import Fields, match_template
from triage.sqlstate import is_sqlstate

_MARKER_RE = re.compile(r"(?:^|(?<=\s))(?P<sev>ERROR|FATAL|PANIC):  ?(?:(?P<code>[0-9A-Z]{5}): )?")
# A head on its own needs psql/server's two spaces, or pgx's / JDBC's company for one space.
_HEAD_MARKER_RE = re.compile(
    r"(?:^|(?<=\s))(?P<sev>ERROR|FATAL|PANIC):  (?:(?P<code>[0-9A-Z]{5}): )?"
)
_PSQL_RE = re.compile(r"^psql(?::[^\n]*?:\d+)?: (?:error: )?")
_SA_CLASS_RE = re.compile(r"^\((?P<cls>[\w.]+)\) ")
_SA20_CLASS_RE = re.compile(r"^<class '(?P<cls>[\w.]+)'>: ")
_CLASS_TOKEN_RE = re.compile(r"(?P<cls>[A-Za-z_][\w.:$]*): $")
_KNEX_RE = re.compile(
    r"^\s*(?:insert|select|update|delete|with|create|alter|drop|truncate)\b", re.I
)
# Follow-on errors recognised by their words: (needle, exc they belong to).
CASCADE_TEXTS = (
    ("This Session's transaction has been rolled back", "sqlalchemy.exc.PendingRollbackError"),
    (
        "Can't reconnect until invalid transaction is rolled back",
        "sqlalchemy.exc.PendingRollbackError",
    ),
    (
        "You can't execute queries until the end of the 'atomic' block",
        "django.db.transaction.TransactionManagementError",
    ),
)
_TOKENS = (
    ("pq: ", "lib/pq"),
    ("connection failed: ", None),
    ("[cause]: ", None),
    ("error: ", "node-pg"),
)
_NODE_ERROR = (
    "error:",
    "[cause]: error:",
)  # pg's lower-case `error: ` opens its stack / inspect dump
_GENERIC_NAMES = frozenset({"Error", "Exception", "error", "Uncaught", "Unhandled"})


@dataclass(frozen=True, slots=True)
class Head:
    """What one head line says: fields, where the message starts, the prefix before it."""

    fields: Fields
    prefix: str


def read_head(line: str, exc_info: classes.ClassInfo | None) -> Head | None:
    """The error ``line`` opens, or None; ``exc_info`` is the carrying class, for the first head."""
    if len(line) > 8192:
        line = line[:8192]
    for needle, cls in CASCADE_TEXTS:
        if needle in line:
            start = line.find(needle)
            msg = line[start:].split(" Original exception was: ", 1)[0]
            info = classes.classify(cls)
            return Head(
                {
                    "sqlstate": "25P02",
                    "message": msg.split(" To begin", 1)[0],
                    "exc": cls,
                    "driver": info.driver if info else None,
                },
                line[:start],
            )
    found = match_template(line)
    if found:
        tpl, m = found
        msg = line[m.start() :]
        return Head({"message": msg, "_tpl": (tpl, m)}, line[: m.start()])
    lite = sqlite_fields(line, bool(exc_info and exc_info.engine == "sqlite") or "sqlite" in line)
    if lite:
        lite_fields, start = lite
        return Head(lite_fields, line[:start])
    code = client_connection(line)
    if code:
        body = _PSQL_RE.sub("", line)
        for token in ("connection failed: ", "psycopg2.OperationalError: ", "OperationalError: "):
            body = body.removeprefix(token)
        fields: Fields = {"sqlstate": code, "severity": None}
        sa = _SA_CLASS_RE.match(body)
        if sa:
            body = body[sa.end() :]
            fields["driver"] = classes.sqlalchemy_driver(sa.group("cls"))
        fields["message"] = body.strip()
        return Head(fields, "")
    marker = _HEAD_MARKER_RE.search(line)
    if marker is None and ("(SQLSTATE " in line or "PSQLException" in line):
        marker = _MARKER_RE.search(line)
    if marker:
        return Head({"message": line[marker.end() :]}, line[: marker.end()])
    if exc_info and (exc_info.sqlstate or exc_info.driver) and line.strip():
        # a database class with words we do not know: the first line is its message
        sa = _SA_CLASS_RE.match(line)
        return Head({"message": line[sa.end() :] if sa else line}, line[: sa.end()] if sa else "")
    return None


def read_prefix(prefix: str, fields: Fields) -> str | None:
    """Peel known tokens off the end of ``prefix`` into ``fields``; return the wrapper text left."""
    psql = _PSQL_RE.match(prefix)
    if psql:
        fields["driver"] = "psql"
    rest = prefix[psql.end() :] if psql else prefix
    while rest:
        marker = _MARKER_RE.search(rest)
        if marker and marker.end() == len(rest):
            fields.setdefault("severity", marker.group("sev"))
            if marker.group("code") and is_sqlstate(marker.group("code")):
                fields["sqlstate"] = marker.group("code")
            rest = rest[: marker.start()]
            continue
        if rest.endswith(") "):
            open_at = rest.rfind("(")
            sa = _SA_CLASS_RE.match(rest[open_at:])
            if sa:
                apply_class(sa.group("cls"), fields, sqlalchemy=True)
                rest = rest[:open_at]
                continue
        if rest.endswith("'>: "):
            sa20 = _SA20_CLASS_RE.search(rest[rest.rfind("<class '") :])
            if sa20:
                apply_class(sa20.group("cls"), fields, sqlalchemy=True)
                rest = rest[: rest.rfind("<class '")]
                continue
        if rest.endswith(" - ") and _KNEX_RE.match(rest):
            fields["statement"] = rest[:-3].strip()
            fields["driver"] = "knex"
            return None
        if rest.rstrip().endswith("failed:") and "connection to server" in rest:
            fields.setdefault("severity", "FATAL")
            rest = rest[: rest.rfind("connection to server")]
            continue
        for token, driver in _TOKENS:
            if rest.endswith(token) and (token != "error: " or rest.strip() in _NODE_ERROR):
                if driver:
                    fields.setdefault("driver", driver)
                rest = rest[: -len(token)]
                break
        else:
            cls = _CLASS_TOKEN_RE.search(rest)
            if cls and (classes.classify(cls.group("cls")) or cls.group("cls") in _GENERIC_NAMES):
                if cls.group("cls") not in _GENERIC_NAMES:
                    apply_class(cls.group("cls"), fields)
                rest = rest[: cls.start()]
                continue
            break
    wrapper = rest.strip().removesuffix(":").strip()
    return wrapper or None


def apply_class(name: str, fields: Fields, sqlalchemy: bool = False) -> None:
    info = classes.classify(name)
    if sqlalchemy:
        fields["driver"] = classes.sqlalchemy_driver(name)
    if info is None:
        return
    fields.setdefault("exc", name)
    if info.sqlstate:
        fields.setdefault("class_sqlstate", info.sqlstate)
    if info.driver and not sqlalchemy:
        fields.setdefault("driver", info.driver)
    if info.engine == "sqlite":
        fields["engine"] = "sqlite"
