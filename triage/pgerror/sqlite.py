"""SQLite error messages -> the PostgreSQL condition they stand for (formats.md 4).

SQLite has no SQLSTATE; we give its errors the PostgreSQL code of the same failure so one catalog
entry covers both engines (``engine`` says which spoke). Choices where SQLite is coarser:
``database is locked`` / ``database table is locked`` (SQLITE_BUSY / SQLITE_LOCKED) -> 55P03
lock_not_available; ``datatype mismatch`` and STRICT-table ``cannot store`` -> 22P02;
an unnamed CHECK puts its expression text in ``constraint``.
"""

from __future__ import annotations

import re

from triage.pgerror.templates import Fields

_TC = r"(?P<table>[\w$]+)\.(?P<column>[\w$]+)"
# (needle, regex, sqlstate, unambiguous): ambiguous ones need a sqlite3 class or driver.
_RULES: tuple[tuple[str, re.Pattern[str], str, bool], ...] = (
    (
        "UNIQUE constraint failed",
        re.compile(r"UNIQUE constraint failed: (?P<cols>[^\n]+)"),
        "23505",
        True,
    ),
    ("FOREIGN KEY constraint failed", re.compile(r"FOREIGN KEY constraint failed"), "23503", True),
    (
        "NOT NULL constraint failed",
        re.compile(r"NOT NULL constraint failed: " + _TC),
        "23502",
        True,
    ),
    (
        "CHECK constraint failed",
        re.compile(r"CHECK constraint failed: (?P<constraint>[^\n]+)"),
        "23514",
        True,
    ),
    (
        "ON CONFLICT clause",
        re.compile(r"ON CONFLICT clause does not match any PRIMARY KEY or UNIQUE constraint"),
        "42P10",
        True,
    ),
    (
        "has no column named",
        re.compile(r"table (?P<table>\S+) has no column named (?P<column>\S+)"),
        "42703",
        True,
    ),
    ("no such column", re.compile(r"no such column: (?P<qcolumn>\S+)"), "42703", True),
    ("no such table", re.compile(r"no such table: (?P<table>\S+)"), "42P01", True),
    ("no such function", re.compile(r"no such function: (?P<function>\S+)"), "42883", True),
    ("cannot store", re.compile(r"cannot store \w+ value in \w+ column " + _TC), "22P02", True),
    ("syntax error", re.compile(r'near "(?P<token>[^"]*)": syntax error'), "42601", False),
    ("datatype mismatch", re.compile(r"datatype mismatch"), "22P02", False),
    ("is locked", re.compile(r"database (?:table )?is locked"), "55P03", False),
    ("readonly database", re.compile(r"attempt to write a readonly database"), "25006", False),
)


def sqlite_fields(line: str, sqlite_context: bool) -> tuple[Fields, int] | None:
    """Fields of a SQLite message found in ``line`` and where it starts, or None."""
    for needle, regex, code, unambiguous in _RULES:
        if needle not in line or not (unambiguous or sqlite_context):
            continue
        m = regex.search(line)
        if not m:
            continue
        got = {k: v for k, v in m.groupdict().items() if v}
        out: Fields = {"engine": "sqlite", "sqlstate": code, "message": line[m.start() :].strip()}
        if "cols" in got:
            parts = [p.strip() for p in got["cols"].split(",")]
            tables = {p.split(".", 1)[0] for p in parts if "." in p}
            cols = [p.split(".", 1)[-1] for p in parts]
            if len(tables) == 1:
                out["table"] = tables.pop()
            out["column"] = ", ".join(cols)
        if "qcolumn" in got:
            table, _, col = got["qcolumn"].rpartition(".")
            out["column"] = col
            if table:
                out["table"] = table
        for name in ("table", "column", "constraint"):
            if name in got:
                out[name] = got[name]
        return out, m.start()
    return None
