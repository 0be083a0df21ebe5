"""Database errors in free text: every driver's rendering of a server error (formats.md 3.4-3.16).

A text is cut into blocks, one per error head line (heads.py reads the head and its prefix); the
lines after a head (DETAIL, HINT, CONTEXT, ``[SQL: ...]``, psql verbose names, node inspect
properties) fill its fields, and ``finish`` resolves the sqlstate and derived fields.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from triage.pgerror import classes, vendors
from triage.pgerror.detail import context_function, detail_fields
from triage.pgerror.heads import Head, apply_class, read_head, read_prefix
from triage.pgerror.templates import Fields, template_fields
from triage.sqlstate import is_sqlstate

MAX_TEXT = 256 * 1024
MAX_LINES = 4000

_PGX_RE = re.compile(r" \(SQLSTATE (?P<code>[0-9A-Z]{5})\)")
_AT_CHAR_RE = re.compile(r" at character \d+$")
_NODE_PROP_RE = re.compile(
    r"^\s+(code|detail|hint|where|schema|table|column|dataType|constraint|severity|"
    r"schema_name|table_name|column_name|constraint_name): '(.*)',?$"
)
_FIELD_MARKERS = (
    ("DETAIL:  ", "detail"),
    ("HINT:  ", "hint"),
    ("CONTEXT:  ", "context"),
    ("STATEMENT:  ", "statement"),
    ("QUERY:  ", "internal_query"),
    ("LOCATION:  ", "server_location"),
    ("SCHEMA NAME:  ", "schema"),
    ("TABLE NAME:  ", "table"),
    ("COLUMN NAME:  ", "column"),
    ("DATATYPE NAME:  ", "datatype"),
    ("CONSTRAINT NAME:  ", "constraint"),
    ("  Detail: ", "detail"),
    ("  Hint: ", "hint"),
    ("  Where: ", "context"),
    ("  Position: ", "position"),
)
_NODE_NAMES = {
    "schema_name": "schema",
    "table_name": "table",
    "column_name": "column",
    "constraint_name": "constraint",
    "dataType": "datatype",
    "where": "context",
}
_MARKER_STARTS = tuple(m for m, _ in _FIELD_MARKERS)
_SKIP_LINES = ("    at ", "\tat ", "  File ", "      at ", "    ^")


def _extract_sql(block: str, fields: Fields) -> str:
    at = block.find("[SQL: ")
    if at < 0:
        return block
    body_start = at + 6
    ends = [
        block.find(e, body_start)
        for e in ("]\n[parameters:", "]\n(Background", "]\n[SQL parameters")
    ]
    ends = [e for e in ends if e >= 0]
    end = min(ends) if ends else block.rfind("]")
    if end < body_start:
        return block
    fields.setdefault("statement", block[body_start:end])
    return block[:at] + block[end + 1 :]


def _fill(lines: list[str], fields: Fields) -> None:
    """Fill fields from the lines that follow a head line."""
    current: str | None = None
    skip_caret = False
    for line in lines:
        if skip_caret:
            skip_caret = False
            if line.strip() == "^":
                continue
        if line.startswith("LINE ") and ":" in line[:12]:
            current, skip_caret = None, True
            continue
        for marker, name in _FIELD_MARKERS:
            if line.startswith(marker):
                value = line[len(marker) :]
                if name in fields and name not in ("detail", "hint", "context"):
                    fields.setdefault(name, value)
                else:
                    fields[name] = value
                current = name
                break
        else:
            prop = _NODE_PROP_RE.match(line) if "'" in line else None
            if prop:
                key = _NODE_NAMES.get(prop.group(1), prop.group(1))
                fields.setdefault("sqlstate_field" if key == "code" else key, prop.group(2))
                current = None
            elif line.startswith("\t") and current and not line.startswith("\tat "):
                fields[current] += "\n" + line[1:]
            elif (
                current in ("context", "detail")
                and line.strip()
                and not line.startswith(("    at ", "\tat ", "[", "("))
            ):
                fields[current] += "\n" + line
            else:
                current = None


def parse_text(text: str, exc: str | None = None) -> tuple[list[Fields], str | None]:
    """Database errors in ``text``, outermost first, and the wrapper text before the first one."""
    if not text:
        return [], None
    text = text[:MAX_TEXT]
    if len(text) > CACHED_TEXT:
        return _parse_text_once(text, exc)
    found, wrapper = _parse_text(text, exc)
    return [dict(fields) for fields in found], wrapper  # the caller's own (values: immutable)


# A log repeats its errors (a test failing in every run, a retry loop) and reading one costs
# tens of microseconds of regular expressions: the answers for short texts are remembered
# (at most 4096 texts of 4 KB).
CACHED_TEXT = 4096


@functools.lru_cache(maxsize=4096)
def _parse_text(text: str, exc: str | None) -> tuple[tuple[Fields, ...], str | None]:
    found, wrapper = _parse_text_once(text, exc)
    return tuple(found), wrapper


def _parse_text_once(text: str, exc: str | None) -> tuple[list[Fields], str | None]:
    if "PostgrestException(" in text:
        dart = vendors.dart_postgrest(text)
        got = vendors.postgrest_fields(dart[0]) if dart else None
        if dart and got:
            return [finish(with_text(got, dart[0].get("message", "")))], dart[1] or None
    exc_info = classes.classify(exc) if exc else None
    if exc_info is not None and exc_info.driver == "prisma":
        code = vendors.prisma_code_in(text)
        if code:
            return [prisma({"code": code}, text)], None
    segments = text.split("\ncaused by: ") if "\ncaused by: " in text else [text]
    out: list[Fields] = []
    wrapper: str | None = None
    first = True
    for seg in segments:
        for part in seg.split(" Original exception was: "):
            # the carrying class names the first error only; causes carry their own prefixes
            fields_list, wrap = _parse_segment(
                part, exc_info if first else None, exc if first else None
            )
            first = False
            if wrapper is None and not out and wrap:
                wrapper = wrap
            out.extend(fields_list)
    return out, wrapper


def _parse_segment(
    seg: str, exc_info: classes.ClassInfo | None, exc: str | None
) -> tuple[list[Fields], str | None]:
    lines = seg.split("\n")[:MAX_LINES]
    heads: list[tuple[int, Head]] = []
    for i, line in enumerate(lines):
        if i and (line.startswith(_SKIP_LINES) or line.startswith(_MARKER_STARTS)):
            continue  # stack frames and field lines never open an error
        head = read_head(line, exc_info if not heads else None)
        if head:
            heads.append((i, head))
    out: list[Fields] = []
    wrapper: str | None = None
    for n, (i, head) in enumerate(heads):
        end = heads[n + 1][0] if n + 1 < len(heads) else len(lines)
        fields = dict(head.fields)
        if exc and n == 0:
            apply_class(exc, fields)
        wrap = read_prefix(head.prefix, fields)
        if n == 0:
            wrapper = wrap
            if "[cause]: " in head.prefix and i > 0:  # node inspect: the outer error heads the dump
                wrapper = lines[0].strip().removesuffix("{").strip() or None
        block = _extract_sql("\n".join(lines[i + 1 : end]), fields)
        _fill(block.split("\n"), fields)
        out.append(finish(fields))
    return out, wrapper


def finish(fields: Fields) -> Fields:
    """Resolve the sqlstate and derived fields once all sources have spoken."""
    msg = fields.get("message", "").strip()
    pgx = _PGX_RE.search(msg) if "(SQLSTATE " in msg else None
    if pgx:
        fields.setdefault("sqlstate_field", pgx.group("code"))
        fields.setdefault("driver", "pgx")
        msg = msg[: pgx.start()] + msg[pgx.end() :]
    msg = _AT_CHAR_RE.sub("", msg).strip()
    fields["message"] = msg
    tpl = fields.pop("_tpl", None)
    if tpl:
        for key, value in template_fields(tpl[0], tpl[1], fields.get("severity")).items():
            if key == "sqlstate":
                fields.setdefault("template_sqlstate", value)
            else:
                fields.setdefault(key, value)
    candidates = [
        fields.pop(k, None)
        for k in ("sqlstate_field", "sqlstate", "class_sqlstate", "template_sqlstate")
    ]
    fields["sqlstate"] = next((c for c in candidates if c and is_sqlstate(c)), None)
    if fields.get("detail"):
        for key, value in detail_fields(fields["detail"], fields.get("sqlstate")).items():
            fields.setdefault(key, value)
    if fields.get("context") and "trigger" not in fields:
        fn = context_function(fields["context"])
        if fn:
            fields["trigger"] = fn
    return fields


def prisma(node: dict[str, Any], message: str) -> Fields:
    """A Prisma error: its object (code, meta, message) or, from text, its code and message."""
    got = vendors.prisma_fields(node, message)
    model = got.pop("model", None)
    got = with_text(got, got["message"])  # the server's message names the table and column
    if model and not got.get("table"):
        got["table"] = model  # the model's name: its table's unless @@map renames it
    return finish(got)


def with_text(fields: Fields, message: str) -> Fields:
    """Template fields from the message, under the structured ones."""
    parsed, _ = parse_text(message) if message else ([], None)
    if not parsed:
        return fields
    base = dict(parsed[0])
    for key, value in fields.items():
        if value is not None or key not in base:
            base[key] = value
    if parsed[0].get("message"):
        base["message"] = parsed[0]["message"]
    if parsed[0].get("driver") == "knex":
        base["driver"] = "knex"
    return base
