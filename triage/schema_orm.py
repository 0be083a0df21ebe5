"""What the ORM migration readers share: SQL embedded in string literals (TypeORM
queryRunner.query, knex.raw, op.execute, RunSQL), line numbers, and building a constraint."""

from __future__ import annotations

import re

from triage.schema_sql import Definition, parse_sql

_STRING = re.compile(r'("""|\'\'\'|`|"|\')(?P<body>(?:\\.|(?!\1).)*)\1', re.S)
_SQL_HINT = re.compile(r"\b(?:create|alter)\s+(?:unique\s+)?(?:table|index|trigger|function)", re.I)


def line_at(text: str, pos: int, base: int = 1) -> int:
    return base + text.count("\n", 0, pos)


def stmt_at(text: str, pos: int, limit: int = 600) -> str:
    """The source text from ``pos`` to the end of its line (or call), for quoting as DDL."""
    end = text.find("\n", pos)
    snippet = text[pos : end if end > 0 else len(text)].strip()
    return snippet[:limit]


def embedded_sql(text: str, path: str, source: str) -> list[Definition]:
    """DDL written inside string literals of a JS/TS/Python migration."""
    out: list[Definition] = []
    if not _SQL_HINT.search(text):
        return out
    for m in _STRING.finditer(text):
        body = m.group("body")
        if _SQL_HINT.search(body):
            out.extend(parse_sql(body, path, line_at(text, m.start("body")), source))
    return out


def name_list(m: re.Match[str] | None) -> tuple[str, ...]:
    return tuple(c.strip().strip("'\"") for c in m.group(1).split(",") if c.strip()) if m else ()


def fk_action(word: str) -> str:
    word = word.replace("_", " ").replace(".", " ").strip().lower()
    word = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", word)
    return {"setnull": "SET NULL", "noaction": "NO ACTION", "setdefault": "SET DEFAULT"}.get(
        word.replace(" ", ""), word.upper()
    )


def column_fk(
    m: re.Match[str], text: str, table: str, path: str, on_delete: str | None, source: str
) -> Definition:
    """A column-level foreign key whose match holds (column, referenced table, referenced column)
    in groups 1-3, under PostgreSQL's default name <table>_<column>_fkey."""
    col = m.group(1)
    pos = m.start()
    return constraint(
        "foreign key",
        f"{table}_{col}_fkey",
        table,
        (col,),
        path,
        line_at(text, pos),
        stmt_at(text, pos),
        m.group(2),
        (m.group(3),),
        on_delete,
        source,
    )


def constraint(
    kind: str,
    name: str,
    table: str,
    cols: tuple[str, ...],
    path: str,
    line: int,
    ddl: str,
    ref: str | None = None,
    ref_cols: tuple[str, ...] = (),
    on_delete: str | None = None,
    source: str = "prisma",
) -> Definition:
    return Definition(
        "constraint",
        name,
        table,
        path,
        line,
        ddl,
        cols,
        kind,
        ref,
        ref_cols,
        on_delete,
        source=source,
    )


def declared_tables(
    pattern: re.Pattern[str], text: str, path: str, source: str
) -> tuple[list[tuple[int, str]], list[Definition]]:
    """Tables a migration declares (group 1 of pattern is the name): where each starts, and a
    table Definition for each."""
    tables = [(m.start(), m.group(1)) for m in pattern.finditer(text)]
    defs = [
        Definition("table", t, t, path, line_at(text, pos), stmt_at(text, pos), source=source)
        for pos, t in tables
    ]
    return tables, defs


def table_at(tables: list[tuple[int, str]], pos: int) -> str | None:
    """The table whose declaration encloses pos: the last one declared before it."""
    owner = [t for p, t in tables if p < pos]
    return owner[-1] if owner else None
