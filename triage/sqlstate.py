"""The SQLSTATE table: code <-> condition name, class, and what a class means for triage.

Read from triage/data/errcodes.txt (PostgreSQL's own list, PostgreSQL License) plus 72000
snapshot_too_old, which PG 17 removed but older servers still log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

SQLSTATE_RE = re.compile(r"^[0-9A-Z]{5}$")


@dataclass(frozen=True, slots=True)
class Code:
    sqlstate: str
    condition: str | None
    kind: str  # E error, W warning, S success
    macro: str

    @property
    def sqlclass(self) -> str:
        return self.sqlstate[:2]


# What each class means for someone triaging a failing test run (design.md §5).
CLASS_MEANING = {
    "08": "infrastructure: the connection to the database failed or broke",
    "21": "data or ordering bug: a statement touched more rows than it may",
    "22": "data bug: a value the column type cannot hold",
    "23": "data or ordering bug: a row broke an integrity constraint",
    "25": "transaction state: usually downstream of an earlier error",
    "28": "credentials: the connection was refused for who it claimed to be",
    "2B": "schema change blocked by dependent privileges",
    "3D": "infrastructure or configuration: the database does not exist",
    "3F": "schema drift or migration: the schema does not exist",
    "40": "concurrency: likely flaky, retry-able",
    "42": "schema drift or migration: the SQL does not match the schema",
    "44": "data bug: a row outside a view's CHECK OPTION",
    "53": "resources: the server ran out of connections, memory or disk",
    "54": "program limit exceeded",
    "55": "concurrency or state: an object was locked or in use",
    "57": "infrastructure: the server cancelled or terminated the work",
    "58": "infrastructure: a system error outside PostgreSQL",
    "P0": "application logic in PL/pgSQL raised an error",
    "XX": "internal server error",
}
CASCADE_CODES = frozenset({"25P02"})


@cache
def _table() -> tuple[dict[str, Code], dict[str, list[str]], dict[str, str]]:
    codes: dict[str, Code] = {}
    by_name: dict[str, list[str]] = {}
    classes: dict[str, str] = {}
    text = resources.files("triage").joinpath("data/errcodes.txt").read_text("utf-8")
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("Section:"):
            m = re.match(r"Section: Class (\w\w) - (.*)", line)
            if m:
                classes[m.group(1)] = m.group(2).strip()
            continue
        parts = line.split()
        if len(parts) < 3 or not SQLSTATE_RE.match(parts[0]):
            continue
        code, kind, macro = parts[0], parts[1], parts[2]
        cond = parts[3] if len(parts) > 3 else None
        if code in codes and codes[code].condition and not cond:
            continue
        codes[code] = Code(code, cond, kind, macro)
        if cond:
            by_name.setdefault(cond, []).append(code)
    codes["72000"] = Code("72000", "snapshot_too_old", "E", "ERRCODE_SNAPSHOT_TOO_OLD")
    by_name.setdefault("snapshot_too_old", []).append("72000")
    classes["72"] = "Snapshot Failure"
    return codes, by_name, classes


def lookup(code: str) -> Code | None:
    """The Code for a SQLSTATE, or None for an unknown one."""
    return _table()[0].get(code.upper())


def condition(code: str | None) -> str | None:
    if not code:
        return None
    known = lookup(code)
    return known.condition if known else None


def codes_for(condition_name: str) -> list[str]:
    """SQLSTATEs for a condition name (one-to-many: a few names repeat), errors first."""
    found = _table()[1].get(condition_name.lower(), [])
    return sorted(found, key=lambda c: (lookup(c).kind != "E", c))  # type: ignore[union-attr]


def class_title(code_or_class: str) -> str | None:
    """PostgreSQL's own title of a class ('23' -> 'Integrity Constraint Violation')."""
    return _table()[2].get(code_or_class[:2].upper())


def class_meaning(code_or_class: str) -> str | None:
    return CLASS_MEANING.get(code_or_class[:2].upper())


def is_sqlstate(value: object) -> bool:
    """A five-character code that PostgreSQL actually defines (Prisma P2002 is not one)."""
    return isinstance(value, str) and bool(SQLSTATE_RE.match(value)) and lookup(value) is not None


def all_codes() -> list[Code]:
    return sorted(_table()[0].values(), key=lambda c: c.sqlstate)


def camel(condition_name: str) -> str:
    """psycopg/psycopg2 class name for a condition (in_failed_sql_transaction -> InFailedSqlTransaction)."""
    return "".join(part.capitalize() for part in condition_name.split("_"))
