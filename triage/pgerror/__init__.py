"""Event -> DbErrors: structured fields first, then exception class names, then message text.

``extract(event)`` returns the database errors one Event holds, outermost first and the real one
last, each seen once (the same error in ``err.message``, a ``caused by:`` stack segment and
``err.parent`` is merged into one DbError with the richest fields), plus the text of an outer
non-database wrapper and the HTTP status the record reports.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from triage import sqlstate as sqlstates
from triage.model import DbError, Event, Location
from triage.pgerror import classes, structured, vendors
from triage.pgerror.templates import Fields
from triage.pgerror.text import finish, parse_text

__all__ = ["Extraction", "Shared", "extract", "is_cascade"]

CASCADE_SQLSTATES = frozenset({"25P02", "08003"})
_HTTP_RE = re.compile(
    r"(?:\bHTTP(?:/[\d.]+)? |^|\bstatus(?:Code)?[=: ]+)(?P<code>[1-5]\d\d)\b(?!\.\d)"
)
_FIELDS = (
    "detail",
    "hint",
    "context",
    "statement",
    "schema",
    "table",
    "column",
    "datatype",
    "constraint",
    "referenced_table",
    "trigger",
    "severity",
)


@dataclass(frozen=True, slots=True)
class Extraction:
    errors: tuple[DbError, ...]  # outermost first, innermost (the real one) last
    wrapper: str | None  # the outermost non-database error that wraps or stands for one
    http_status: int | None


EMPTY = Extraction((), None, None)


def is_cascade(err: DbError) -> bool:
    """A follow-on error (25P02, 08003, PendingRollbackError, ...): never a root."""
    return err.sqlstate in CASCADE_SQLSTATES or classes.is_cascade_class(err.exc)


def extract(event: Event, share: Shared | None = None) -> Extraction:
    """The database errors in one Event. Never raises: bad input yields an empty Extraction.
    ``share``: the errors' texts are taken from it (equal texts of many errors, one copy)."""
    try:
        return _extract(event, share or _nothing_shared)
    except Exception:  # a reader's odd record must not stop the run
        return EMPTY


def _extract(event: Event, share: Callable[[Any], Any]) -> Extraction:
    items: list[tuple[Fields, int]] = []
    wrapper: str | None = None
    http_status: int | None = None
    if event.data is not None and isinstance(event.data, dict | list):
        found = structured.from_data(event.data)
        items.extend((f, event.line) for f in found.errors)
        wrapper, http_status = found.wrapper, found.http_status
    chain_wrapper = _from_chain(event, items)
    wrapper = wrapper or chain_wrapper
    if not items and event.text:
        errs, prefix = parse_text(event.text)
        items.extend((f, event.line) for f in errs)
        if errs and prefix and wrapper is None:
            wrapper = prefix
        if not errs and wrapper is None and vendors.gotrue_message(event.text):
            wrapper = event.text.strip().split("\n", 1)[0][:500]
    if http_status is None and event.text:
        http_status = _http_status(event.text, wrapper)
    errors = tuple(_build(f, line, event, share) for f, line in _merge(items))
    return Extraction(errors, wrapper, http_status)


def _from_chain(event: Event, items: list[tuple[Fields, int]]) -> str | None:
    outer: str | None = None
    outer_is_db = False
    for i, link in enumerate(event.chain):
        errs, prefix = parse_text(link.message, link.exc)
        if not errs and link.exc:
            info = classes.classify(link.exc)
            if info and (info.sqlstate or info.cascade):
                head = link.message.strip().split("\n", 1)[0]
                errs = [
                    finish(
                        {
                            "message": head,
                            "class_sqlstate": info.sqlstate,
                            "exc": link.exc,
                            "driver": info.driver,
                            "engine": info.engine,
                        }
                    )
                ]
        items.extend((f, link.line) for f in errs)
        if i == 0:
            outer_is_db = (bool(errs) and not prefix) or bool(
                link.exc and classes.classify(link.exc)
            )
            if prefix or not errs:
                text = prefix or link.message.strip().split("\n", 1)[0]
                outer = f"{link.exc}: {text}" if link.exc else text
    if outer_is_db or not items:
        return None
    return outer[:500] if outer else None


def _http_status(text: str, wrapper: str | None) -> int | None:
    probe = text[:2000]
    if "HTTP" not in probe and "status" not in probe and not probe[:1].isdigit():
        return None
    m = _HTTP_RE.search(probe)
    return int(m.group("code")) if m else None


def _norm(text: str | None) -> str:
    return " ".join(text.split()).lower() if text else ""


def _same(a: Fields, b: Fields) -> bool:
    sa, sb = a.get("sqlstate"), b.get("sqlstate")
    if sa and sb and sa != sb:
        return False
    ma, mb = _norm(a.get("message")), _norm(b.get("message"))
    if ma and mb:
        return ma == mb
    ca, cb = a.get("constraint"), b.get("constraint")
    return bool(sa and sa == sb) and (not ca or not cb or ca == cb)


def _combine(outer: Fields, inner: Fields) -> Fields:
    out = dict(outer)
    for key, value in inner.items():
        if value in (None, "", ()):
            continue
        current = out.get(key)
        if current in (None, "", ()):
            out[key] = value
        elif key == "exc":
            out[key] = value  # the innermost class carried the server's error
        elif key in ("key", "context", "detail", "statement") and len(value) > len(current):
            out[key] = value
    return out


def _merge(items: list[tuple[Fields, int]]) -> list[tuple[Fields, int]]:
    merged: list[tuple[Fields, int]] = []
    for fields, line in items:
        for n, (have, have_line) in enumerate(merged):
            if _same(have, fields):
                merged[n] = (_combine(have, fields), line or have_line)
                break
        else:
            merged.append((fields, line))
    return merged


_STATEMENT_TABLE = re.compile(
    r"^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(?:ONLY\s+)?(?:\"?(?P<schema>\w+)\"?\.)?\"?(?P<table>\w+)\"?",
    re.I,
)


def _infer_table(f: Fields, key_columns: tuple[str, ...]) -> str | None:
    if f.get("constraint"):
        named = table_from_constraint(f["constraint"], key_columns)
        # A custom constraint name says nothing of its table; the printed statement still does.
        if named:
            return named
    code = f.get("sqlstate") or ""
    statement = f.get("statement") or ""
    if statement and not f.get("trigger") and (code == "42P10" or code.startswith("23")):
        m = _STATEMENT_TABLE.match(statement)
        return m.group("table") if m else None
    return None


def table_from_constraint(constraint: str, key_columns: tuple[str, ...]) -> str | None:
    """PostgreSQL's default names are <table>_pkey and <table>_<cols>_key|fkey|check|excl.

    Text-only drivers (psycopg2 str(e), asyncpg, pytest E lines) print the constraint and the
    DETAIL key but not the table, so the table is read back from the name when it follows the
    default pattern exactly; otherwise None (never a guess).
    """
    if constraint.endswith("_pkey") and len(constraint) > 5:
        return constraint[:-5]
    cols = "_".join(c.strip().strip('"') for c in key_columns if c)
    if not cols or not re.fullmatch(r"[\w, ]+", cols):
        return None
    for suffix in ("_key", "_fkey", "_check", "_excl"):
        tail = f"_{cols}{suffix}"
        if constraint.endswith(tail) and len(constraint) > len(tail):
            return constraint[: -len(tail)]
    return None


def _build(f: Fields, line: int, event: Event, share: Callable[[Any], Any]) -> DbError:
    code = f.get("sqlstate")
    condition = f.get("condition") or sqlstates.condition(code)
    message = (f.get("message") or "").strip() or condition or code or "database error"
    key: Any = f.get("key") or ()
    if not f.get("table") and f.get("engine", "postgresql") == "postgresql":
        f = {**f, "table": _infer_table(f, tuple(c for c, _ in key))}
    return DbError(
        engine=f.get("engine") or "postgresql",
        sqlstate=code,
        condition=condition,
        message=share(message),
        location=Location(event.path, line or event.line),
        key=share(tuple(key)),
        driver=f.get("driver"),
        exc=f.get("exc"),
        time=event.time,
        **{name: share(v) if (v := f.get(name)) else None for name in _FIELDS},
    )


class Shared:
    """One copy of each text (a string, or a tuple of string pairs: ids, a key) among the errors
    one analysis keeps: a log of errors repeats its messages, details, statements and ids
    thousands of times. At most LIMIT distinct texts of at most 4 KB, CHARS characters in all
    (strings; a tuple counts its length), are remembered."""

    LIMIT = 65536
    CHARS = 8 << 20

    def __init__(self) -> None:
        self._seen: dict[Any, Any] = {}
        self._chars = 0

    def __call__(self, text: Any) -> Any:
        """``text``, or the equal one met before it."""
        if not isinstance(text, str | tuple) or len(text) > 4096:
            return text
        seen = self._seen
        got = seen.get(text)
        if got is None:
            if len(seen) >= self.LIMIT or self._chars >= self.CHARS:
                return text
            self._chars += len(text)
            got = seen[text] = text
        return got


def _nothing_shared(text: Any) -> Any:
    return text
