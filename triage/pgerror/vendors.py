"""Prisma, PostgREST and GoTrue errors: codes that are not SQLSTATEs (formats.md 3.13-3.15).

PostgREST's own ``PGRSTnnn`` codes and Prisma codes without a PostgreSQL equivalent get
``sqlstate=None`` and a condition of their own: ``<lower-case code>_<slug>`` for PostgREST
(``pgrst116_singular_response``; unknown codes take the slug of their group digit) and
``record_not_found`` / ``prisma_<code>_<slug>`` for Prisma. The catalog keys on these.
"""

from __future__ import annotations

import re
from typing import Any

from triage.pgerror.templates import Fields
from triage.sqlstate import is_sqlstate

# Prisma code -> SQLSTATE of the PostgreSQL failure it stands for (None: not a server error).
PRISMA_SQLSTATE: dict[str, str | None] = {
    "P2002": "23505",
    "P2003": "23503",
    "P2011": "23502",
    "P2000": "22001",
    "P2004": "23514",
    "P2020": "22003",
    "P2021": "42P01",
    "P2022": "42703",
    "P2023": "22P02",
    "P2034": "40001",
    "P2037": "53300",
    "P1000": "28P01",
    "P1001": "08006",
    "P1002": "08006",
    "P1003": "3D000",
    "P1017": "08006",
}
PRISMA_CONDITION = {
    "P2025": "record_not_found",
    "P2024": "prisma_p2024_pool_timeout",
    "P2028": "prisma_p2028_transaction_api_error",
    "P1008": "prisma_p1008_operation_timeout",
}
PGRST_CONDITION = {
    "PGRST000": "connection_failed",
    "PGRST001": "connection_internal",
    "PGRST002": "schema_cache_build",
    "PGRST003": "pool_timeout",
    "PGRST100": "query_parse_error",
    "PGRST102": "invalid_body",
    "PGRST103": "invalid_range",
    "PGRST106": "schema_not_exposed",
    "PGRST116": "singular_response",
    "PGRST200": "relationship_not_found",
    "PGRST201": "ambiguous_embedding",
    "PGRST202": "function_not_found",
    "PGRST203": "ambiguous_function",
    "PGRST204": "column_not_found",
    "PGRST205": "table_not_found",
    "PGRST300": "jwt_secret_missing",
    "PGRST301": "invalid_jwt",
    "PGRST302": "anonymous_disabled",
}
PGRST_GROUP = {
    "0": "connection",
    "1": "api_request",
    "2": "schema_cache",
    "3": "jwt",
    "X": "internal",
}
GOTRUE_MESSAGES = (
    "Database error saving new user",
    "Database error creating user",
    "Database error granting user",
    "Database error finding user",
    "Database error updating user",
    "Database error querying schema",
    "Database error checking email",
)
PRISMA_CODE_RE = re.compile(r"^P\d{4}$")
# What the engine (Prisma <= 6) and the driver adapters (Prisma 6 with `adapter`, 7) say for each
# code, for text that lost the code (a test runner's failure, a console.error dump's message).
PRISMA_TEXT = (
    ("Unique constraint failed on the ", "P2002"),
    ("Foreign key constraint failed on the field", "P2003"),
    ("Foreign key constraint violated on the ", "P2003"),
    ("Null constraint violation on the ", "P2011"),
    ("depends on one or more records that were required but not found", "P2025"),
    ("Record to update not found.", "P2025"),
    ("Record to delete does not exist.", "P2025"),
    ("The provided value for the column is too long for the column's type", "P2000"),
    ("A constraint failed on the database: ", "P2004"),
    ("Value out of range for the type.", "P2020"),
    ("The table `", "P2021"),  # "... does not exist in the current database."
    ("The column `", "P2022"),
    ("Inconsistent column data: ", "P2023"),
    ("Timed out fetching a new connection from the connection pool.", "P2024"),
    ("Transaction API error: ", "P2028"),
    ("Transaction failed due to a write conflict or a deadlock.", "P2034"),
    ("Too many database connections opened: ", "P2037"),
    ("Can't reach database server at ", "P1001"),
    ("Server has closed the connection.", "P1017"),
)
# P2010 (a raw query) and, with a driver adapter, P2039 (an error it does not map) quote the
# server's SQLSTATE and message.
_RAW_RE = re.compile(
    r"(?:Raw query failed|Database error)\. Code: `(?P<code>[0-9A-Z]{5})`\. "
    r"Message: `(?P<msg>.*?)`",
    re.S,
)
_BACKTICK_RE = re.compile(r"`([^`]+)`")


def gotrue_message(text: str) -> str | None:
    for msg in GOTRUE_MESSAGES:
        if msg in text:
            return msg
    return None


def pgrst_condition(code: str) -> str:
    slug = PGRST_CONDITION.get(code) or PGRST_GROUP.get(code[5:6], "error")
    return f"{code.lower()}_{slug}"


def postgrest_fields(node: dict[str, Any]) -> Fields | None:
    """A PostgREST / supabase-js error body ``{code, details, hint, message}``."""
    code = node.get("code")
    if not isinstance(code, str):
        return None
    out: Fields = {"driver": "postgrest", "message": _str(node.get("message"))}
    for key, ours in (("details", "detail"), ("detail", "detail"), ("hint", "hint")):
        if isinstance(node.get(key), str):
            out.setdefault(ours, node[key])
    if code.startswith("PGRST"):
        out["condition"] = pgrst_condition(code)
        out["sqlstate"] = None
        return out
    if is_sqlstate(code):
        out["sqlstate_field"] = code
        return out
    return None


# supabase-dart / postgrest-dart PostgrestException.toString() (source, not captured: no Dart SDK here):
#   PostgrestException(message: $message, code: $code, details: $details, hint: $hint)
# and the older  PostgrestException(message: $message, statusCode: $s, errorCode: $c, details: …)
_DART = re.compile(
    r"PostgrestException\(message: (?P<message>.*?), (?:statusCode: [^,]*, errorCode|code): "
    r"(?P<code>[^,)]*)(?:, details: (?P<details>.*?))?(?:, hint: (?P<hint>.*?))?\)[ \t]*$",
    re.S | re.M,  # the closing parenthesis ends the line: DETAIL holds "Key (email)=(…)"
)


def dart_postgrest(text: str) -> tuple[dict[str, Any], str] | None:
    """A Dart PostgrestException printed as text: its body as a PostgREST error dict, and the
    text before it (the wrapper, e.g. "Failed to create user record: ")."""
    m = _DART.search(text)
    if not m:
        return None
    node = {k: v for k, v in m.groupdict().items() if v is not None and v != "null"}
    return node, text[: m.start()].strip().rstrip(":").strip()


def prisma_code_in(text: str) -> str | None:
    """The code of the Prisma error whose message ``text`` is, from its words."""
    if _RAW_RE.search(text):
        return "P2010"  # the server's SQLSTATE is quoted (P2010 or P2039: the same fields)
    for needle, code in PRISMA_TEXT:
        if needle in text:
            return code
    return None


def prisma_fields(node: dict[str, Any], message: str) -> Fields:
    """A PrismaClient*Error object: its code mapped to a SQLSTATE (or a condition of its own),
    and the server's error its driver adapter kept (Prisma 6 with ``adapter``, Prisma 7):
    ``meta.driverAdapterError.cause`` holds the SQLSTATE, the server's message (whose template
    names the table and column), the constraint, the table and, for errors it does not map
    (``kind: "postgres"``), the DETAIL. ``meta.modelName`` is the model, the table only when
    nothing names the table itself (a model maps to a table of another name with ``@@map``)."""
    code = str(node.get("code"))
    meta = node.get("meta") if isinstance(node.get("meta"), dict) else {}
    first_line = message.strip().rsplit("\n", 1)[-1].strip() if message else code
    out: Fields = {"driver": "prisma", "message": first_line}
    sqlstate = PRISMA_SQLSTATE.get(code)
    raw = _RAW_RE.search(message)
    if raw:
        sqlstate = raw.group("code")
        out["message"] = raw.group("msg")
    adapter = meta.get("driverAdapterError") if meta else None
    cause = adapter.get("cause") if isinstance(adapter, dict) else None
    if isinstance(cause, dict):
        original = cause.get("originalCode") or cause.get("code")
        if is_sqlstate(original):
            sqlstate = original
        if isinstance(cause.get("originalMessage"), str):
            out["message"] = cause["originalMessage"]
        constraint = cause.get("constraint")
        if isinstance(constraint, dict) and isinstance(constraint.get("index"), str):
            out["constraint"] = constraint["index"]
        for key in ("table", "detail", "hint", "severity"):
            if isinstance(cause.get(key), str) and cause[key]:
                out[key] = cause[key]
    if sqlstate and is_sqlstate(sqlstate):
        out["sqlstate_field"] = sqlstate
    else:
        out["sqlstate"] = None
        out["condition"] = PRISMA_CONDITION.get(code, f"prisma_{code.lower()}")
    target = meta.get("target") if meta else None
    if isinstance(target, list) and target:
        out["column"] = ", ".join(str(t) for t in target)
    elif isinstance(target, str):
        out["constraint"] = target
    field_name = meta.get("field_name") if meta else None
    if isinstance(field_name, str):
        out.setdefault("constraint", field_name.removesuffix(" (index)"))
    if meta and isinstance(meta.get("modelName"), str):
        out["model"] = meta["modelName"]
    # what failed is the message's last line (before it: the call, maybe its source lines)
    if "constraint:" in first_line and "constraint" not in out:
        tick = _BACKTICK_RE.search(first_line[first_line.find("constraint:") :])
        if tick:
            out["constraint"] = tick.group(1)
    if "fields: (" in first_line and "column" not in out:
        start = first_line.find("fields: (")
        cols = _BACKTICK_RE.findall(first_line[start : first_line.find(")", start)])
        if cols:
            out["column"] = ", ".join(cols)
    return out


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""
