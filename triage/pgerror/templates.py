"""PostgreSQL's English message templates (formats.md 3.2) and the DETAIL / CONTEXT parsers.

A template is searched, never anchored: the text before it is a prefix (Knex SQL, a wrapper's
message, a class name) that the caller inspects. Each template has a literal needle so the regex
only runs on texts that can match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

Fields = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Template:
    sqlstate: str
    needle: str
    regex: re.Pattern[str]


def _t(sqlstate: str, needle: str, pattern: str) -> Template:
    return Template(sqlstate, needle, re.compile(pattern))


_ID = r'"(?P<{}>(?:[^"]|"")+)"'  # a quoted identifier; "" is an embedded quote
_DATETIME = ("timestamp", "date", "time", "interval")

# Order matters where needles overlap: the more specific form first.
TEMPLATES: tuple[Template, ...] = (
    _t(
        "23503",
        "violates foreign key",
        r"insert or update on table "
        + _ID.format("table")
        + r" violates foreign key constraint "
        + _ID.format("constraint"),
    ),
    _t(
        "23503",
        "violates foreign key",
        r"update or delete on table "
        + _ID.format("referenced_table")
        + r" violates foreign key constraint "
        + _ID.format("constraint")
        + r" on table "
        + _ID.format("table"),
    ),
    _t(
        "23505",
        "duplicate key value",
        r"duplicate key value violates unique constraint " + _ID.format("constraint"),
    ),
    _t(
        "23502",
        "not-null constraint",
        r"null value in column "
        + _ID.format("column")
        + r"(?: of relation "
        + _ID.format("table")
        + r")? violates not-null constraint",
    ),
    _t(
        "23514",
        "check constraint",
        r"new row for relation "
        + _ID.format("table")
        + r" violates check constraint "
        + _ID.format("constraint"),
    ),
    _t(
        "23514",
        "check constraint",
        r"value for domain (?P<datatype>\S+) violates check constraint " + _ID.format("constraint"),
    ),
    _t(
        "23514",
        "no partition of relation",
        r"no partition of relation " + _ID.format("table") + r" found for row",
    ),
    _t(
        "23P01",
        "exclusion constraint",
        r"conflicting key value violates exclusion constraint " + _ID.format("constraint"),
    ),
    _t("44000", "check option", r"new row violates check option for view " + _ID.format("table")),
    _t(
        "42501",
        "row-level security",
        r"new row violates row-level security policy(?: "
        + _ID.format("constraint")
        + r"| \(USING expression\))? for table "
        + _ID.format("table"),
    ),
    _t(
        "42501",
        "permission denied for",
        r"permission denied for (?:(?:table|view|relation|sequence) "
        r"(?P<table>[^\s:]+)|schema (?P<schema>[^\s:]+)|\w+ [^\s:]+)",
    ),
    _t(
        "42P10",
        "ON CONFLICT specification",
        r"there is no unique or exclusion constraint matching the ON CONFLICT specification",
    ),
    _t(
        "42830",
        "no unique constraint matching",
        r"there is no unique constraint matching given keys for "
        r"referenced table " + _ID.format("referenced_table"),
    ),
    _t(
        "21000",
        "a second time",
        r"ON CONFLICT DO (?:UPDATE|NOTHING) command cannot affect row a second time",
    ),
    _t(
        "21000",
        "more than one row returned",
        r"more than one row returned by a subquery used as an expression",
    ),
    _t(
        "42703",
        "does not exist",
        r"column "
        + _ID.format("column")
        + r" of relation "
        + _ID.format("table")
        + r" does not exist",
    ),
    _t(
        "42703",
        "does not exist",
        r"column (?:" + _ID.format("column") + r"|(?P<qcolumn>[\w.]+)) does not exist",
    ),
    _t("42P01", "does not exist", r"relation " + _ID.format("table") + r" does not exist"),
    _t("3F000", "does not exist", r"schema " + _ID.format("schema") + r" does not exist"),
    _t("3D000", "does not exist", r"database " + _ID.format("database") + r" does not exist"),
    _t("42883", "does not exist", r"(?:function \S+\(.*?\)|operator) does not exist"),
    _t(
        "42704",
        "does not exist",
        r"(?:type|constraint|index|trigger|sequence|extension) "
        + _ID.format("object")
        + r"(?: of relation "
        + _ID.format("table")
        + r")? does not exist",
    ),
    _t(
        "42601",
        "syntax error",
        r"syntax error at (?:or near " + _ID.format("token") + r"|end of input)",
    ),
    _t(
        "42701",
        "already exists",
        r"column "
        + _ID.format("column")
        + r" of relation "
        + _ID.format("table")
        + r" already exists",
    ),
    _t("42P07", "already exists", r"relation " + _ID.format("table") + r" already exists"),
    _t("42P04", "already exists", r"database " + _ID.format("database") + r" already exists"),
    _t("42P06", "already exists", r"schema " + _ID.format("schema") + r" already exists"),
    _t(
        "42710",
        "already exists",
        r"(?:role|type|constraint|trigger|policy|extension|publication) "
        + _ID.format("object")
        + r"(?: for relation "
        + _ID.format("table")
        + r")? already exists",
    ),
    _t("42702", "is ambiguous", r"column reference " + _ID.format("column") + r" is ambiguous"),
    _t(
        "42804",
        "but expression is of type",
        r"column "
        + _ID.format("column")
        + r" is of type (?P<datatype>.+?) but expression is of type",
    ),
    _t(
        "2BP01",
        "other objects depend on it",
        r"cannot drop \w+ (?P<table>\S+) because other objects depend on it",
    ),
    _t(
        "428C9",
        "non-DEFAULT value",
        r"cannot insert a non-DEFAULT value into column " + _ID.format("column"),
    ),
    _t(
        "22P02",
        "invalid input",
        r"invalid input (?:syntax for type (?P<datatype>[^:\n]+?)(?:: |$)|value for enum (?P<enum>[^:\s]+): )",
    ),
    _t("22008", "out of range", r"date/time field value out of range"),
    _t("22001", "value too long for type", r"value too long for type (?P<datatype>.+)"),
    _t(
        "22003",
        "out of range",
        r"(?:smallint|integer|bigint) out of range|numeric field overflow|value \"[^\"]*\" is out of range for type (?P<datatype>\w+)",
    ),
    _t("22012", "division by zero", r"division by zero"),
    _t("22021", "invalid byte sequence", r"invalid byte sequence for encoding"),
    _t(
        "25P02",
        "current transaction is aborted",
        r"current transaction is aborted, commands ignored until end of transaction block",
    ),
    _t("25006", "read-only transaction", r"cannot execute \w+(?: \w+)? in a read-only transaction"),
    _t("40P01", "deadlock detected", r"deadlock detected"),
    _t("40001", "could not serialize access", r"could not serialize access due to [\w /-]+"),
    _t(
        "55P03",
        "could not obtain lock",
        r"could not obtain lock on (?:row in )?relation " + _ID.format("table"),
    ),
    _t("55P03", "lock timeout", r"canceling statement due to lock timeout"),
    _t(
        "57014",
        "canceling statement due to",
        r"canceling statement due to (?:statement timeout|user request)",
    ),
    _t("57P01", "administrator command", r"terminating connection due to administrator command"),
    _t(
        "25P03", "idle-in-transaction", r"terminating connection due to idle-in-transaction timeout"
    ),
    _t("57P05", "idle-session", r"terminating connection due to idle-session timeout"),
    _t(
        "57P03",
        "the database system is",
        r"the database system is (?:starting up|shutting down|in recovery mode|not yet accepting connections)",
    ),
    _t(
        "53300",
        "too many",
        r"sorry, too many clients already|too many connections for (?:role|database) "
        + _ID.format("object"),
    ),
    _t(
        "53300",
        "connection slots are reserved",
        r"remaining connection slots are reserved for [\w -]+",
    ),
    _t(
        "28P01",
        "password authentication failed",
        r"password authentication failed for user " + _ID.format("user"),
    ),
    _t("28000", "pg_hba.conf entry", r"no pg_hba.conf entry for host .+"),
    _t("28000", "does not exist", r"role " + _ID.format("user") + r" does not exist"),
    _t(
        "55006",
        "being accessed by other users",
        r"database " + _ID.format("database") + r" is being accessed by other users",
    ),
    _t("P0002", "query returned no rows", r"query returned no rows"),
    _t("P0003", "more than one row", r"query returned more than one row"),
    _t("0A000", "cached plan must not change", r"cached plan must not change result type"),
    _t("53100", "could not extend file", r"could not extend file .+"),
)


def match_template(text: str) -> tuple[Template, re.Match[str]] | None:
    """The earliest template match in ``text`` (a single line), or None."""
    best: tuple[Template, re.Match[str]] | None = None
    for tpl in TEMPLATES:
        if tpl.needle not in text:
            continue
        m = tpl.regex.search(text)
        if m and (best is None or m.start() < best[1].start()):
            best = (tpl, m)
    return best


def template_fields(tpl: Template, m: re.Match[str], severity: str | None = None) -> Fields:
    """sqlstate and object names a template match yields."""
    got = {k: v.replace('""', '"') for k, v in m.groupdict().items() if v}
    out: Fields = {"sqlstate": tpl.sqlstate}
    for name in ("table", "column", "constraint", "schema", "datatype", "referenced_table"):
        if name in got:
            out[name] = got[name]
    if "qcolumn" in got:  # `column u.emial does not exist`: the column is the last part
        out["column"] = got["qcolumn"].rsplit(".", 1)[-1]
    if "enum" in got:
        out["datatype"] = got["enum"]
    if tpl.sqlstate == "22P02" and out.get("datatype", "").startswith(_DATETIME):
        out["sqlstate"] = "22007"
    if tpl.sqlstate == "28000" and "user" in got and severity not in (None, "FATAL"):
        out["sqlstate"] = "42704"  # GRANT/ALTER on a missing role, not a login
    return out
