"""SQL DDL parsing for schema linkage: the tables, constraints, unique indexes, triggers and
functions a file's statements define, with their lines (PostgreSQL's default names); the
statements themselves are cut by sql_text.py."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from triage.sql_text import column_list, inside_parens, list_items, split_name, statements, unquote

MAX_DDL = 4000  # characters of one statement kept for the report


@dataclass(frozen=True)
class Definition:
    """One schema object as a migration defines it."""

    kind: str  # table | constraint | index | trigger | function | drop
    name: str
    table: str | None
    path: str
    line: int
    ddl: str
    columns: tuple[str, ...] = ()
    contype: str | None = None  # primary key | unique | foreign key | check | exclude
    references: str | None = None
    ref_columns: tuple[str, ...] = ()
    on_delete: str | None = None  # as written; None when the DDL leaves the default (NO ACTION)
    function: str | None = None  # trigger -> function; function -> tables it writes (in columns)
    source: str = "sql"


_WS = re.compile(r"\s+")
_IDENT = r'(?:"[^"]+"|[\w$]+)'
_QNAME = rf"{_IDENT}(?:\s*\.\s*{_IDENT})?"
_CREATE_TABLE = re.compile(
    rf"^create\s+(?:(?:global|local)\s+)?(?:temp(?:orary)?\s+|unlogged\s+)?table\s+"
    rf"(?:if\s+not\s+exists\s+)?(?P<name>{_QNAME})\s*\(",
    re.I,
)
_ALTER_TABLE = re.compile(
    rf"^alter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?(?P<name>{_QNAME})\s+(?P<rest>.*)$",
    re.I | re.S,
)
_CREATE_INDEX = re.compile(
    rf"^create\s+(?P<unique>unique\s+)?index\s+(?:concurrently\s+)?(?:if\s+not\s+exists\s+)?"
    rf"(?P<name>{_IDENT})?\s*on\s+(?:only\s+)?(?P<table>{_QNAME})\s*(?:using\s+\w+\s*)?\(",
    re.I,
)
_CREATE_TRIGGER = re.compile(
    rf"^create\s+(?:or\s+replace\s+)?(?:constraint\s+)?trigger\s+(?P<name>{_IDENT})\s+.*?\bon\s+"
    rf"(?P<table>{_QNAME}).*?\bexecute\s+(?:function|procedure)\s+(?P<fn>{_QNAME})",
    re.I | re.S,
)
_CREATE_FUNCTION = re.compile(
    rf"^create\s+(?:or\s+replace\s+)?(?:function|procedure)\s+(?P<name>{_QNAME})\s*\(", re.I
)
_WRITES = re.compile(rf"\b(?:insert\s+into|update|delete\s+from)\s+(?P<t>{_QNAME})", re.I)
_ON_DELETE = re.compile(
    r"\bon\s+delete\s+(?P<action>cascade|restrict|no\s+action|set\s+null|set\s+default)", re.I
)
_REFERENCES = re.compile(rf"\breferences\s+(?P<t>{_QNAME})\s*(?:\((?P<cols>[^)]*)\))?", re.I)
_DROP_CONSTRAINT = re.compile(rf"\bdrop\s+constraint\s+(?:if\s+exists\s+)?(?P<name>{_IDENT})", re.I)
_DDL_START = re.compile(r"^(?:create|alter)\b", re.I)


def parse_sql(text: str, path: str, base_line: int = 1, source: str = "sql") -> list[Definition]:
    """Every definition in a SQL text; statements that are not DDL are skipped."""
    out: list[Definition] = []
    for line, stmt in statements(text, base_line):
        if not _DDL_START.match(stmt):
            continue
        ddl = stmt if len(stmt) <= MAX_DDL else stmt[:MAX_DDL] + " …"
        m = _CREATE_TABLE.match(stmt)
        if m:
            _, table = split_name(m.group("name"))
            body = inside_parens(stmt, m.end() - 1)
            out.append(Definition("table", table, table, path, line, ddl, source=source))
            offset = m.end()
            for rel, item in list_items(body):
                item_line = line + stmt[: offset + rel].count("\n")
                out.extend(_table_item(item, table, path, item_line, source))
            continue
        m = _ALTER_TABLE.match(stmt)
        if m:
            _, table = split_name(m.group("name"))
            rest = m.group("rest")
            for rel, item in list_items(rest):
                low = item.lower()
                item_line = line + stmt[: m.start("rest") + rel].count("\n")
                if low.startswith("add "):
                    item = re.sub(
                        r"^add\s+(?:column\s+)?(?:if\s+not\s+exists\s+)?", "", item, flags=re.I
                    )
                    # an ALTER TABLE constraint is quoted whole: the table name is part of it
                    out.extend(
                        replace(d, ddl=ddl)
                        for d in _table_item(item, table, path, item_line, source)
                    )
                else:
                    dm = _DROP_CONSTRAINT.search(item)
                    if dm:
                        name = unquote(dm.group("name"))
                        out.append(
                            Definition("drop", name, table, path, item_line, ddl, source=source)
                        )
            continue
        m = _CREATE_INDEX.match(stmt)
        if m:
            _, table = split_name(m.group("table"))
            inside = inside_parens(stmt, m.end() - 1)
            cols = column_list(inside)
            name = unquote(m.group("name")) if m.group("name") else f"{table}_{'_'.join(cols)}_idx"
            unique = "unique" if m.group("unique") else None
            # a partial unique index (WHERE ...) is not inferred by a bare ON CONFLICT (cols)
            tail = stmt[m.end() + len(inside) :]
            if unique and re.search(r"\bwhere\b", tail, re.I):
                unique = "unique partial"
            out.append(
                Definition("index", name, table, path, line, ddl, cols, unique, source=source)
            )
            continue
        m = _CREATE_TRIGGER.match(stmt)
        if m:
            _, table = split_name(m.group("table"))
            _, fn = split_name(m.group("fn"))
            name = unquote(m.group("name"))
            out.append(
                Definition("trigger", name, table, path, line, ddl, function=fn, source=source)
            )
            continue
        m = _CREATE_FUNCTION.match(stmt)
        if m:
            _, fn = split_name(m.group("name"))
            writes = tuple(
                dict.fromkeys(split_name(w.group("t"))[1] for w in _WRITES.finditer(stmt))
            )
            out.append(Definition("function", fn, None, path, line, ddl, writes, source=source))
    return out


def _table_item(item: str, table: str, path: str, line: int, source: str) -> list[Definition]:
    """Constraints of one CREATE TABLE item (table constraint or column definition)."""
    text = _WS.sub(" ", item).strip()
    low = text.lower()
    name = None
    m = re.match(rf"constraint\s+({_IDENT})\s+", text, re.I)
    if m:
        name = unquote(m.group(1))
        text, low = text[m.end() :], low[m.end() :]
    for kind in ("primary key", "unique", "foreign key", "check", "exclude"):
        if low.startswith(kind):
            cols = (
                column_list(inside_parens(text, text.find("(")))
                if "(" in text and kind != "check"
                else ()
            )
            return [_constraint(kind, name, table, cols, text, path, line, source)]
    if low.startswith(("like ", "period ")) or not text:
        return []
    # a column definition: name type [constraints...]
    col = unquote(text.split(" ", 1)[0])
    out: list[Definition] = []
    if re.search(r"\bprimary\s+key\b", low):
        out.append(_constraint("primary key", None, table, (col,), text, path, line, source))
    if re.search(r"\bunique\b", low):
        out.append(_constraint("unique", None, table, (col,), text, path, line, source))
    if " references " in f" {low}":
        out.append(_constraint("foreign key", name, table, (col,), text, path, line, source))
    if re.search(r"\bcheck\s*\(", low):
        out.append(_constraint("check", None, table, (col,), text, path, line, source))
    return out


def _constraint(
    kind: str,
    name: str | None,
    table: str,
    cols: tuple[str, ...],
    text: str,
    path: str,
    line: int,
    source: str,
) -> Definition:
    suffix = {"primary key": "pkey", "unique": "key", "foreign key": "fkey", "check": "check"}
    if name is None:
        if kind == "primary key":
            name = f"{table}_pkey"
        else:
            name = "_".join(
                [table, *cols[: 1 if kind == "check" else None], suffix.get(kind, "excl")]
            )
    ref = _REFERENCES.search(text) if kind == "foreign key" else None
    on_delete = _ON_DELETE.search(text) if ref else None
    return Definition(
        "constraint",
        name,
        table,
        path,
        line,
        text if len(text) <= MAX_DDL else text[:MAX_DDL] + " …",
        cols,
        kind,
        split_name(ref.group("t"))[1] if ref else None,
        column_list(ref.group("cols") or "") if ref else (),
        _WS.sub(" ", on_delete.group("action")).upper() if on_delete else None,
        source=source,
    )
