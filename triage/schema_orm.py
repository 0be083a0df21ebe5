"""Schema definitions from ORM migration files: Prisma schema, Django, Alembic, Knex, Sequelize,
and SQL embedded in string literals (TypeORM queryRunner.query, knex.raw, op.execute, RunSQL)."""

from __future__ import annotations

import os
import re

from triage.schema_sql import Definition, parse_sql

_STRING = re.compile(r'("""|\'\'\'|`|"|\')(?P<body>(?:\\.|(?!\1).)*)\1', re.S)
_SQL_HINT = re.compile(r"\b(?:create|alter)\s+(?:unique\s+)?(?:table|index|trigger|function)", re.I)


def _line_at(text: str, pos: int, base: int = 1) -> int:
    return base + text.count("\n", 0, pos)


def _stmt_at(text: str, pos: int, limit: int = 600) -> str:
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
            out.extend(parse_sql(body, path, _line_at(text, m.start("body")), source))
    return out


# --- Prisma -----------------------------------------------------------------------------------

_MODEL = re.compile(r"^model\s+(\w+)\s*\{(.*?)^\}", re.M | re.S)


def prisma(text: str, path: str) -> list[Definition]:
    """Models as tables, @id/@unique/@@unique/@relation as constraints, with Prisma's default
    names (``{table}_{columns}_fkey`` / ``_key``) built from the mapped database names."""
    models = list(_MODEL.finditer(text))
    tables: dict[str, str] = {}
    columns: dict[str, dict[str, str]] = {}
    for m in models:
        mapped = re.search(r'@@map\(\s*(?:name:\s*)?"([^"]+)"', m.group(2))
        tables[m.group(1)] = mapped.group(1) if mapped else m.group(1)
        columns[m.group(1)] = {
            f.group(1): f.group(2)
            for f in re.finditer(r'^[ \t]*(\w+)[ \t]+\w+.*?@map\(\s*"([^"]+)"', m.group(2), re.M)
        }
    out: list[Definition] = []
    for m in models:
        model, body = m.group(1), m.group(2)
        table, cmap = tables[model], columns[model]
        body_start = m.start(2)
        out.append(
            Definition(
                "table",
                table,
                table,
                path,
                _line_at(text, m.start()),
                f"model {model}",
                source="prisma",
            )
        )
        for fm in re.finditer(r"^[ \t]*(\w+)[ \t]+(\w+)(\??|\[\])[ \t]*(.*)$", body, re.M):
            field, attrs = fm.group(1), fm.group(4)
            line = _line_at(text, body_start + fm.start())
            snippet = fm.group(0).strip()
            col = cmap.get(field, field)
            if re.search(r"@id\b", attrs):
                out.append(_c("primary key", f"{table}_pkey", table, (col,), path, line, snippet))
            if "@unique" in attrs:
                out.append(_c("unique", f"{table}_{col}_key", table, (col,), path, line, snippet))
            rel = re.search(r"@relation\((.*)\)", attrs)
            if rel and "fields:" in rel.group(1):
                fields = tuple(
                    cmap.get(f, f)
                    for f in _list(re.search(r"fields:\s*\[([^\]]*)\]", rel.group(1)))
                )
                parent = fm.group(2)
                refs = tuple(
                    columns.get(parent, {}).get(r, r)
                    for r in _list(re.search(r"references:\s*\[([^\]]*)\]", rel.group(1)))
                )
                named = re.search(r'map:\s*"([^"]+)"', rel.group(1))
                action = re.search(r"onDelete:\s*(\w+)", rel.group(1))
                name = named.group(1) if named else f"{table}_{'_'.join(fields)}_fkey"
                out.append(
                    _c(
                        "foreign key",
                        name,
                        table,
                        fields,
                        path,
                        line,
                        snippet,
                        tables.get(parent, parent),
                        refs,
                        _action(action.group(1)) if action else None,
                        "prisma",
                    )
                )
        for um in re.finditer(r"@@(unique|id)\(\s*(?:fields:\s*)?\[([^\]]*)\](.*)\)", body):
            cols = tuple(
                cmap.get(c.strip(), c.strip()) for c in um.group(2).split(",") if c.strip()
            )
            named = re.search(r'(?:map|name):\s*"([^"]+)"', um.group(3))
            kind = "unique" if um.group(1) == "unique" else "primary key"
            default = f"{table}_{'_'.join(cols)}_key" if kind == "unique" else f"{table}_pkey"
            line = _line_at(text, body_start + um.start())
            out.append(
                _c(kind, named.group(1) if named else default, table, cols, path, line, um.group(0))
            )
    return out


def _list(m: re.Match[str] | None) -> tuple[str, ...]:
    return tuple(c.strip().strip("'\"") for c in m.group(1).split(",") if c.strip()) if m else ()


def _action(word: str) -> str:
    word = word.replace("_", " ").replace(".", " ").strip().lower()
    word = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", word)
    return {"setnull": "SET NULL", "noaction": "NO ACTION", "setdefault": "SET DEFAULT"}.get(
        word.replace(" ", ""), word.upper()
    )


def _c(
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


# --- Django -----------------------------------------------------------------------------------

_CREATE_MODEL = re.compile(r"migrations\.CreateModel\(\s*name=['\"](\w+)['\"]", re.S)
_DJ_FIELD = re.compile(r"\(\s*['\"](\w+)['\"]\s*,\s*models\.(\w+)\((.*?)\)\s*\)\s*,?\s*$", re.M)


def django(text: str, path: str) -> list[Definition]:
    app = os.path.basename(os.path.dirname(os.path.dirname(os.path.abspath(path))))
    out: list[Definition] = []
    models = list(_CREATE_MODEL.finditer(text))
    for i, m in enumerate(models):
        end = models[i + 1].start() if i + 1 < len(models) else len(text)
        chunk = text[m.start() : end]
        db_table = re.search(r"['\"]db_table['\"]\s*:\s*['\"](\w+)['\"]", chunk)
        table = db_table.group(1) if db_table else f"{app}_{m.group(1).lower()}"
        out.append(
            Definition(
                "table",
                table,
                table,
                path,
                _line_at(text, m.start()),
                _stmt_at(text, m.start()),
                source="django",
            )
        )
        for fm in _DJ_FIELD.finditer(chunk):
            field, ftype, args = fm.groups()
            line = _line_at(text, m.start() + fm.start())
            snippet = fm.group(0).strip().rstrip(",")
            if ftype in ("ForeignKey", "OneToOneField"):
                to = re.search(r"to=['\"](?:\w+\.)?(\w+)['\"]", args)
                ref = f"{app}_{to.group(1).lower()}" if to else None
                action = re.search(r"on_delete=(?:[\w.]*\.)?(\w+)", args)
                out.append(
                    _c(
                        "foreign key",
                        f"{table}_{field}_id_fkey",
                        table,
                        (f"{field}_id",),
                        path,
                        line,
                        snippet,
                        ref,
                        ("id",),
                        _action(action.group(1)) if action else None,
                        "django",
                    )
                )
            if "unique=True" in args or ftype == "OneToOneField":
                col = f"{field}_id" if ftype in ("ForeignKey", "OneToOneField") else field
                out.append(
                    _c(
                        "unique",
                        f"{table}_{col}_key",
                        table,
                        (col,),
                        path,
                        line,
                        snippet,
                        source="django",
                    )
                )
            if "primary_key=True" in args:
                out.append(
                    _c(
                        "primary key",
                        f"{table}_pkey",
                        table,
                        (field,),
                        path,
                        line,
                        snippet,
                        source="django",
                    )
                )
        fks = set(
            re.findall(r"\(\s*['\"](\w+)['\"]\s*,\s*models\.(?:ForeignKey|OneToOneField)\(", chunk)
        )
        for um in re.finditer(r"models\.UniqueConstraint\(([^\n]*)", chunk):
            named_fields = _list(re.search(r"fields=[\[(]([^\])]*)[\])]", um.group(1)))
            fields = tuple(f"{f}_id" if f in fks else f for f in named_fields)
            name = re.search(r"name=['\"]([^'\"]+)['\"]", um.group(1))
            line = _line_at(text, m.start() + um.start())
            out.append(
                _c(
                    "unique",
                    name.group(1) if name else f"{table}_{'_'.join(fields)}_key",
                    table,
                    fields,
                    path,
                    line,
                    um.group(0),
                    source="django",
                )
            )
    return out


# --- Alembic, Knex, Sequelize -----------------------------------------------------------------

_ALEMBIC_TABLE = re.compile(r"op\.create_table\(\s*['\"](\w+)['\"]")
_ALEMBIC_FK = re.compile(
    r"op\.create_foreign_key\(\s*['\"]?(\w+)?['\"]?\s*,\s*['\"](\w+)['\"]\s*,\s*['\"](\w+)['\"]\s*,"
    r"\s*\[([^\]]*)\]\s*,\s*\[([^\]]*)\](.*?)\)\s*$",
    re.S | re.M,
)
_ALEMBIC_UNIQUE = re.compile(
    r"op\.create_unique_constraint\(\s*['\"](\w+)['\"]\s*,\s*['\"](\w+)['\"]\s*,\s*\[([^\]]*)\]"
)
_SA_COLUMN_FK = re.compile(
    r"sa\.Column\(\s*['\"](\w+)['\"][^\n]*?sa\.ForeignKey\(\s*['\"](\w+)\.(\w+)['\"]([^)]*)\)"
)
_SA_UNIQUE = re.compile(r"sa\.UniqueConstraint\(([^)]*)\)")


def alembic(text: str, path: str) -> list[Definition]:
    out = embedded_sql(text, path, "alembic")
    tables = [(m.start(), m.group(1)) for m in _ALEMBIC_TABLE.finditer(text)]
    for pos, table in tables:
        out.append(
            Definition(
                "table",
                table,
                table,
                path,
                _line_at(text, pos),
                _stmt_at(text, pos),
                source="alembic",
            )
        )

    def table_at(pos: int) -> str | None:
        owner = [t for p, t in tables if p < pos]
        return owner[-1] if owner else None

    for m in _SA_COLUMN_FK.finditer(text):
        table = table_at(m.start())
        if table:
            action = re.search(r"ondelete=['\"]([\w ]+)['\"]", m.group(4))
            out.append(
                _c(
                    "foreign key",
                    f"{table}_{m.group(1)}_fkey",
                    table,
                    (m.group(1),),
                    path,
                    _line_at(text, m.start()),
                    _stmt_at(text, m.start()),
                    m.group(2),
                    (m.group(3),),
                    action.group(1).upper() if action else None,
                    "alembic",
                )
            )
    for m in _SA_UNIQUE.finditer(text):
        table = table_at(m.start())
        if table:
            cols = tuple(c for c in re.findall(r"['\"](\w+)['\"]", m.group(1).split("name=")[0]))
            name = re.search(r"name=['\"](\w+)['\"]", m.group(1))
            out.append(
                _c(
                    "unique",
                    name.group(1) if name else f"{table}_{'_'.join(cols)}_key",
                    table,
                    cols,
                    path,
                    _line_at(text, m.start()),
                    m.group(0),
                    source="alembic",
                )
            )
    for m in _ALEMBIC_FK.finditer(text):
        action = re.search(r"ondelete=['\"]([\w ]+)['\"]", m.group(6))
        cols = tuple(re.findall(r"['\"](\w+)['\"]", m.group(4)))
        fk_name = m.group(1) or f"{m.group(2)}_{'_'.join(cols)}_fkey"
        out.append(
            _c(
                "foreign key",
                fk_name,
                m.group(2),
                cols,
                path,
                _line_at(text, m.start()),
                _stmt_at(text, m.start()),
                m.group(3),
                tuple(re.findall(r"['\"](\w+)['\"]", m.group(5))),
                action.group(1).upper() if action else None,
                "alembic",
            )
        )
    for m in _ALEMBIC_UNIQUE.finditer(text):
        out.append(
            _c(
                "unique",
                m.group(1),
                m.group(2),
                tuple(re.findall(r"['\"](\w+)['\"]", m.group(3))),
                path,
                _line_at(text, m.start()),
                m.group(0),
                source="alembic",
            )
        )
    return out


_KNEX_TABLE = re.compile(r"\.(?:createTable|alterTable|table)\(\s*['\"`](\w+)['\"`]")
_KNEX_REF = re.compile(
    r"\.(?:\w+)\(\s*['\"`](\w+)['\"`][^;\n]*?\.references\(\s*['\"`](?:(\w+)\.)?(\w+)['\"`]\s*\)"
    r"(?:\s*\.inTable\(\s*['\"`](\w+)['\"`]\s*\))?(?P<rest>[^;\n]*)"
)
_KNEX_UNIQUE = re.compile(
    r"\.unique\(\s*\[([^\]]*)\](?:\s*,\s*(?:\{[^}]*indexName:\s*)?['\"`](\w+)['\"`])?"
)
_KNEX_COL_UNIQUE = re.compile(r"\.\w+\(\s*['\"`](\w+)['\"`][^;\n]*?\.unique\(\s*\)")


def knex(text: str, path: str) -> list[Definition]:
    out = embedded_sql(text, path, "knex")
    tables = [(m.start(), m.group(1)) for m in _KNEX_TABLE.finditer(text)]

    def table_at(pos: int) -> str | None:
        owner = [t for p, t in tables if p < pos]
        return owner[-1] if owner else None

    for pos, table in tables:
        out.append(
            Definition(
                "table", table, table, path, _line_at(text, pos), _stmt_at(text, pos), source="knex"
            )
        )
    for m in _KNEX_REF.finditer(text):
        table = table_at(m.start())
        if not table:
            continue
        col = m.group(1)
        ref_table = m.group(4) or m.group(2) or ""
        action = re.search(r"onDelete\(\s*['\"`]([\w ]+)['\"`]", m.group("rest"))
        out.append(
            _c(
                "foreign key",
                f"{table}_{col}_foreign",
                table,
                (col,),
                path,
                _line_at(text, m.start()),
                _stmt_at(text, m.start()),
                ref_table,
                (m.group(3),),
                action.group(1).upper() if action else None,
                "knex",
            )
        )
    for m in _KNEX_UNIQUE.finditer(text):
        table = table_at(m.start())
        if table:
            cols = tuple(re.findall(r"['\"`](\w+)['\"`]", m.group(1)))
            out.append(
                _c(
                    "unique",
                    m.group(2) or f"{table}_{'_'.join(cols)}_unique",
                    table,
                    cols,
                    path,
                    _line_at(text, m.start()),
                    _stmt_at(text, m.start()),
                    source="knex",
                )
            )
    for m in _KNEX_COL_UNIQUE.finditer(text):
        table = table_at(m.start())
        if table:
            out.append(
                _c(
                    "unique",
                    f"{table}_{m.group(1)}_unique",
                    table,
                    (m.group(1),),
                    path,
                    _line_at(text, m.start()),
                    _stmt_at(text, m.start()),
                    source="knex",
                )
            )
    return out


_SEQ_TABLE = re.compile(r"\.createTable\(\s*['\"`](\w+)['\"`]")
_SEQ_REF = re.compile(
    r"(\w+)\s*:\s*\{[^{}]*?references\s*:\s*\{\s*model\s*:\s*['\"`](\w+)['\"`]\s*,\s*key\s*:\s*['\"`](\w+)['\"`]\s*\}([^{}]*)\}",
    re.S,
)


def sequelize(text: str, path: str) -> list[Definition]:
    out = embedded_sql(text, path, "sequelize")
    tables = [(m.start(), m.group(1)) for m in _SEQ_TABLE.finditer(text)]
    for pos, table in tables:
        out.append(
            Definition(
                "table",
                table,
                table,
                path,
                _line_at(text, pos),
                _stmt_at(text, pos),
                source="sequelize",
            )
        )
    for m in _SEQ_REF.finditer(text):
        owner = [t for p, t in tables if p < m.start()]
        if owner:
            table = owner[-1]
            action = re.search(r"onDelete\s*:\s*['\"`]([\w ]+)['\"`]", m.group(0))
            out.append(
                _c(
                    "foreign key",
                    f"{table}_{m.group(1)}_fkey",
                    table,
                    (m.group(1),),
                    path,
                    _line_at(text, m.start()),
                    _stmt_at(text, m.start()),
                    m.group(2),
                    (m.group(3),),
                    action.group(1).upper() if action else None,
                    "sequelize",
                )
            )
    return out
