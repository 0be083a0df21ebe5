"""Database errors in free text: every driver's rendering of a server error (formats.md 3.4-3.16).

A text is cut into blocks, one per error head line (a line holding a message template, a SQLite
message, a client connection failure, a cascade notice or an ``ERROR:``/``FATAL:`` marker); the
lines after a head (DETAIL, HINT, CONTEXT, ``[SQL: ...]``, psql verbose names, node inspect
properties) fill its fields. What precedes the message on the head line is a prefix: class names
and severity markers feed the fields, Knex's ``<sql> - `` is the statement, anything else is the
text of an outer wrapper (pino ``outer: inner``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from triage.pgerror import classes
from triage.pgerror.detail import client_connection, context_function, detail_fields
from triage.pgerror.sqlite import sqlite_fields
from triage.pgerror.templates import Fields, match_template, template_fields
from triage.sqlstate import is_sqlstate

MAX_TEXT = 256 * 1024
MAX_LINES = 4000

_MARKER_RE = re.compile(r"(?:^|(?<=\s))(?P<sev>ERROR|FATAL|PANIC):  ?(?:(?P<code>[0-9A-Z]{5}): )?")
# A head on its own needs psql/server's two spaces, or pgx's / JDBC's company for one space.
_HEAD_MARKER_RE = re.compile(
    r"(?:^|(?<=\s))(?P<sev>ERROR|FATAL|PANIC):  (?:(?P<code>[0-9A-Z]{5}): )?"
)
_PGX_RE = re.compile(r" \(SQLSTATE (?P<code>[0-9A-Z]{5})\)")
_PSQL_RE = re.compile(r"^psql(?::[^\n]*?:\d+)?: (?:error: )?")
_SA_CLASS_RE = re.compile(r"^\((?P<cls>[\w.]+)\) ")
_SA20_CLASS_RE = re.compile(r"^<class '(?P<cls>[\w.]+)'>: ")
_CLASS_TOKEN_RE = re.compile(r"(?P<cls>[A-Za-z_][\w.:$]*): $")
_AT_CHAR_RE = re.compile(r" at character \d+$")
_KNEX_RE = re.compile(
    r"^\s*(?:insert|select|update|delete|with|create|alter|drop|truncate)\b", re.I
)
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
_MARKER_STARTS = tuple(m for m, _ in _FIELD_MARKERS)
_SKIP_LINES = ("    at ", "\tat ", "  File ", "      at ", "    ^")
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


def _head(line: str, exc_info: classes.ClassInfo | None) -> Head | None:
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


def _read_prefix(prefix: str, fields: Fields) -> str | None:
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
                _apply_class(sa.group("cls"), fields, sqlalchemy=True)
                rest = rest[:open_at]
                continue
        if rest.endswith("'>: "):
            sa20 = _SA20_CLASS_RE.search(rest[rest.rfind("<class '") :])
            if sa20:
                _apply_class(sa20.group("cls"), fields, sqlalchemy=True)
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
                    _apply_class(cls.group("cls"), fields)
                rest = rest[: cls.start()]
                continue
            break
    wrapper = rest.strip().removesuffix(":").strip()
    return wrapper or None


def _apply_class(name: str, fields: Fields, sqlalchemy: bool = False) -> None:
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
    exc_info = classes.classify(exc) if exc else None
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
        head = _head(line, exc_info if not heads else None)
        if head:
            heads.append((i, head))
    out: list[Fields] = []
    wrapper: str | None = None
    for n, (i, head) in enumerate(heads):
        end = heads[n + 1][0] if n + 1 < len(heads) else len(lines)
        fields = dict(head.fields)
        if exc and n == 0:
            _apply_class(exc, fields)
        wrap = _read_prefix(head.prefix, fields)
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
