"""DETAIL / CONTEXT parsing (key values, referenced table, function) and client-side
connection-failure wording that carries no SQLSTATE (formats.md 1.8, 3.2, 3.5)."""

from __future__ import annotations

import re

from triage.pgerror.templates import Fields

# --- DETAIL / CONTEXT -------------------------------------------------------------------------

_KEY_RE = re.compile(
    r"Key \((?P<cols>.+?)\)=\((?P<vals>.*)\) (?:already exists|is not present in table "
    r'"(?P<ref>[^"]+)"|is still referenced from table "(?P<refby>[^"]+)"|conflicts with existing key)'
)
_KEY_HIDDEN_RE = re.compile(r'Key is (?:not present in|still referenced from) table "(?P<t>[^"]+)"')
_PARTITION_RE = re.compile(
    r"Partition key of the failing row contains \((?P<cols>.+?)\) = \((?P<vals>.*)\)\."
)
_FUNC_RE = re.compile(r'(?:PL/pgSQL function (?P<plpgsql>[^\s(]+)\(|SQL function "(?P<sql>[^"]+)")')


def split_key(cols: str, vals: str) -> tuple[tuple[str, str], ...]:
    """Pair columns with values; keep one raw pair when commas make the split ambiguous."""
    names = cols.split(", ")
    values = vals.split(", ")
    if len(names) == len(values) and "(" not in cols:
        return tuple(zip(names, values, strict=True))
    return ((cols, vals),)


def detail_fields(detail: str, sqlstate: str | None) -> Fields:
    out: Fields = {}
    if "Key" not in detail:
        return out
    m = _KEY_RE.search(detail)
    if m:
        out["key"] = split_key(m.group("cols"), m.group("vals"))
        if m.group("ref"):
            out["referenced_table"] = m.group("ref")
        if m.group("refby"):
            out["table"] = m.group("refby")
        return out
    hidden = _KEY_HIDDEN_RE.search(detail)
    if hidden:
        out["table" if "still referenced" in hidden.group(0) else "referenced_table"] = (
            hidden.group("t")
        )
        return out
    part = _PARTITION_RE.search(detail)
    if part:
        out["key"] = split_key(part.group("cols"), part.group("vals"))
    return out


def context_function(context: str) -> str | None:
    """The innermost function a CONTEXT / `where` names (a trigger or a PL/pgSQL function)."""
    if "function" not in context:
        return None
    m = _FUNC_RE.search(context)
    if not m:
        return None
    return m.group("plpgsql") or m.group("sql")


# --- client-side connection failures (no SQLSTATE from the server) ----------------------------

# (needle, sqlstate): a client library's own words for a broken or refused connection.
CLIENT_CONNECTION: tuple[tuple[str, str], ...] = (
    ("connection already closed", "08003"),
    ("the connection is closed", "08003"),
    ("Client was closed and is not queryable", "08003"),
    ("ECONNREFUSED", "08006"),
    ("ENOTFOUND", "08006"),
    ("EAI_AGAIN", "08006"),
    ("Connection refused", "08006"),
    ("Connect call failed", "08006"),
    ("could not translate host name", "08006"),
    ("timeout exceeded when trying to connect", "08006"),
    ("Connection terminated unexpectedly", "08006"),
    ("Connection terminated due to connection timeout", "08006"),
    ("server closed the connection unexpectedly", "08006"),
    ("Client has encountered a connection error and is not queryable", "08006"),
    ("Can't reach database server", "08006"),
)


def client_connection(text: str) -> str | None:
    """08006 / 08003 when ``text`` is a client's own connection-failure wording."""
    for needle, code in CLIENT_CONNECTION:
        if needle in text:
            return code
    return None
