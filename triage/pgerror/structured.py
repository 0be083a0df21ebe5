"""Database errors in structured records: pino err objects (pg, postgres.js, Knex, Sequelize,
TypeORM, Prisma, wrapped causes), PostgreSQL jsonlog / csvlog dicts, PostgREST and GoTrue bodies.

Every object-valued key is searched (bounded depth), not only ``err``: errors logged under
``error``, ``cause``, ``parent``, ``original``, ``driverError``, ``meta`` keep their fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from triage.pgerror import classes, vendors
from triage.pgerror.detail import client_connection
from triage.pgerror.templates import Fields
from triage.pgerror.text import finish, parse_text, prisma, with_text
from triage.sqlstate import is_sqlstate

MAX_DEPTH = 6
MAX_ITEMS = 64
MAX_STR = 1 << 20

# Where JSON loggers put a formatted traceback or an error's text next to the record's message:
# structlog ("exception"), python-json-logger ("exc_info"), Logstash/ECS-style ("stack_trace"),
# zap, logrus and zerolog ("error" as a string).
TRACEBACK_KEYS = (
    "exception", "exc_info", "exc_text", "stack_trace", "stacktrace", "traceback", "error", "err"
)  # fmt: skip

# Structured key -> our field; the first present wins.
PG_KEYS: tuple[tuple[str, str], ...] = (
    ("detail", "detail"),
    ("details", "detail"),
    ("hint", "hint"),
    ("where", "context"),
    ("context", "context"),
    ("schema", "schema"),
    ("schema_name", "schema"),
    ("table", "table"),
    ("table_name", "table"),
    ("column", "column"),
    ("column_name", "column"),
    ("dataType", "datatype"),
    ("data type_name", "datatype"),
    ("data_type_name", "datatype"),
    ("constraint", "constraint"),
    ("constraint_name", "constraint"),
    ("severity", "severity"),
    ("error_severity", "severity"),
    ("statement", "statement"),
    ("query", "statement"),
    ("sql", "statement"),
)
# where each key comes in PG_KEYS (the first of a field's keys present wins)
_PG_ORDER = {key: n for n, (key, _) in enumerate(PG_KEYS)}
PG_COMPANIONS = frozenset(
    {
        "severity",
        "severity_local",
        "routine",
        "file",
        "length",
        "constraint",
        "constraint_name",
        "detail",
        "schema",
        "schema_name",
        "table",
        "table_name",
        "message",
        "hint",
        "where",
        "name",
    }
)
NODE_SYSTEM_CODES = frozenset({"ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN"})
ORM_DRIVERS = {"QueryFailedError": "typeorm"}


@dataclass
class Found:
    errors: list[Fields] = field(default_factory=list)
    wrapper: str | None = None
    http_status: int | None = None


def from_data(data: Any) -> Found:
    found = Found()
    _visit(data, 0, None, found)
    return found


def _type_of(node: dict[str, Any]) -> str | None:
    for key in ("type", "name"):
        value = node.get(key)
        if isinstance(value, str) and value and len(value) < 200:
            return value
    return None


def _driver_for(node: dict[str, Any], typ: str | None, inherited: str | None) -> str | None:
    if inherited:
        return inherited
    if typ == "PostgresError" or "severity_local" in node or "constraint_name" in node:
        return "postgres.js"
    if typ in ORM_DRIVERS:
        return ORM_DRIVERS[typ]
    if "length" in node or typ in ("DatabaseError", "error"):
        return "node-pg"
    return None


def _visit(node: Any, depth: int, inherited: str | None, found: Found) -> None:
    if depth > MAX_DEPTH:
        return
    if isinstance(node, list):
        for item in node[:MAX_ITEMS]:
            if isinstance(item, dict | list):
                _visit(item, depth + 1, inherited, found)
        return
    if not isinstance(node, dict):
        return
    if found.http_status is None and depth <= 2:
        for key in ("statusCode", "status"):
            value = node.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and 100 <= value <= 599:
                found.http_status = value
                break
    before = len(found.errors)
    typ = _type_of(node) if depth or "stack" in node else None  # a record's `name` is the logger's
    own, prefix = _own_errors(node, depth, typ, inherited)
    found.errors.extend(own)
    if own and prefix and before == 0 and depth:
        found.wrapper = f"{typ}: {prefix}" if typ else prefix  # pino folds causes: "outer: inner"
    child_driver = inherited
    if typ and (typ.startswith("Sequelize") or typ in ORM_DRIVERS or "Constraint" in typ):
        child_driver = inherited or ("sequelize" if "QueryFailed" not in typ else "typeorm")
    for key, value in list(node.items())[:MAX_ITEMS]:
        if (
            isinstance(value, dict | list)
            and key not in ("aggregateErrors",)
            or (key == "aggregateErrors" and not own and isinstance(value, list))
        ):
            _visit(value, depth + 1, child_driver, found)
    if not own and len(found.errors) > before and before == 0 and (depth or "stack" in node):
        wrap = _wrapper_text(node, typ)
        if wrap:
            found.wrapper = wrap
    if not found.errors and found.wrapper is None:
        msg = _message(node)
        gotrue = vendors.gotrue_message(msg) if msg else None
        if gotrue:
            found.wrapper = f"{typ}: {msg}" if typ and depth else msg
            code = node.get("code")
            if found.http_status is None and (code == 500 or msg.startswith("500")):
                found.http_status = 500


def _message(node: dict[str, Any]) -> str:
    for key in ("message", "msg", "error_description"):
        value = node.get(key)
        if isinstance(value, str) and len(value) <= MAX_STR:
            return value
    return ""


def _wrapper_text(node: dict[str, Any], typ: str | None) -> str | None:
    msg = _message(node)
    _, prefix = parse_text(msg) if msg else ([], None)
    text = prefix if prefix is not None else msg.split("\n", 1)[0]
    if not text or (typ and classes.classify(typ)):
        return None  # an ORM's own error class stands for the database error, it does not wrap it
    return f"{typ}: {text}" if typ else text


def _own_errors(
    node: dict[str, Any], depth: int, typ: str | None, inherited: str | None
) -> tuple[list[Fields], str | None]:
    """The errors this object itself stands for (not its children), and a wrapper prefix."""
    return _own(node, depth, typ, inherited), _prefix_of(node, depth, typ)


def _prefix_of(node: dict[str, Any], depth: int, typ: str | None) -> str | None:
    msg = node.get("message")
    if not depth or not isinstance(msg, str) or ": " not in msg or len(msg) > MAX_STR:
        return None
    if typ and classes.classify(typ):
        return None  # a driver's or ORM's own words around the server's message (Prisma's
        # "Database error. Code: `23514`. Message: `...`"), not an application's wrapper
    return parse_text(msg)[1]


def _own(node: dict[str, Any], depth: int, typ: str | None, inherited: str | None) -> list[Fields]:
    code = node.get("code")
    state = node.get("state_code") or node.get("sql_state_code")
    message = _message(node)
    if isinstance(state, str) or "error_severity" in node:
        if node.get("error_severity", "ERROR") not in ("ERROR", "FATAL", "PANIC"):
            return []  # LOG / WARNING records are not errors
        return [_pg_fields(node, state, message, typ, "server")]
    if isinstance(code, str):
        if code.startswith("PGRST") or (
            "details" in node and "message" in node and "stack" not in node and is_sqlstate(code)
        ):
            got = vendors.postgrest_fields(node)
            return [finish(with_text(got, message))] if got else []
        if vendors.PRISMA_CODE_RE.match(code) and (
            "clientVersion" in node or "meta" in node or (typ or "").startswith("Prisma")
        ):
            return [prisma(node, message)]
        if code in NODE_SYSTEM_CODES:
            return [finish({"sqlstate": "08006", "message": message or code})]
        if is_sqlstate(code) and PG_COMPANIONS.intersection(node):
            return [_pg_fields(node, code, message, typ, _driver_for(node, typ, inherited))]
    if depth == 0 and "stack" not in node:
        found: list[Fields] = []
        for key in ("msg", *TRACEBACK_KEYS):
            text = node.get(key)
            if isinstance(text, str) and len(text) <= MAX_STR:
                found.extend(parse_text(text)[0])
        return found
    if not message and not isinstance(node.get("stack"), str):
        return []
    if any(isinstance(node.get(k), dict) for k in ("parent", "original", "driverError")):
        return []  # an ORM error (Sequelize "Validation error"): the child carries the full error
    found, _ = parse_text(message, typ) if message else ([], None)
    stack = node.get("stack")
    if isinstance(stack, str) and "\ncaused by: " in stack and len(stack) <= MAX_STR:
        found.extend(parse_text(stack, typ)[0])
    if found and typ and inherited:
        for item in found:
            item.setdefault("driver", inherited)
    if not found and client_connection(message):
        found = [finish({"sqlstate": client_connection(message), "message": message})]
    return found


def _pg_fields(
    node: dict[str, Any], code: Any, message: str, typ: str | None, driver: str | None
) -> Fields:
    out: Fields = {"message": message}
    if isinstance(code, str):
        out["sqlstate_field"] = code
    present = _PG_ORDER.keys() & node.keys()  # a record holds a few of the 21 keys
    for n in sorted(map(_PG_ORDER.__getitem__, present)):
        key, ours = PG_KEYS[n]
        value = node[key]
        if isinstance(value, str) and value and ours not in out:
            out[ours] = value
    if typ and node.get("index") and "constraint" not in out and isinstance(node["index"], str):
        out["constraint"] = node["index"]
    if driver:
        out["driver"] = driver
    if typ and typ not in ("error", "Error"):
        out["exc"] = typ
    return finish(with_text(out, message))
