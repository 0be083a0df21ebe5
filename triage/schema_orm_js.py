"""Schema definitions from Prisma schemas and JavaScript migrations (Knex, Sequelize)."""

from __future__ import annotations

import re

from triage.schema_orm import (
    column_fk,
    constraint,
    declared_tables,
    embedded_sql,
    fk_action,
    line_at,
    name_list,
    stmt_at,
    table_at,
)
from triage.schema_sql import Definition

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
                line_at(text, m.start()),
                f"model {model}",
                source="prisma",
            )
        )
        for fm in re.finditer(r"^[ \t]*(\w+)[ \t]+(\w+)(\??|\[\])[ \t]*(.*)$", body, re.M):
            field, attrs = fm.group(1), fm.group(4)
            line = line_at(text, body_start + fm.start())
            snippet = fm.group(0).strip()
            col = cmap.get(field, field)
            if re.search(r"@id\b", attrs):
                out.append(
                    constraint("primary key", f"{table}_pkey", table, (col,), path, line, snippet)
                )
            if "@unique" in attrs:
                out.append(
                    constraint("unique", f"{table}_{col}_key", table, (col,), path, line, snippet)
                )
            rel = re.search(r"@relation\((.*)\)", attrs)
            if rel and "fields:" in rel.group(1):
                fields = tuple(
                    cmap.get(f, f)
                    for f in name_list(re.search(r"fields:\s*\[([^\]]*)\]", rel.group(1)))
                )
                parent = fm.group(2)
                refs = tuple(
                    columns.get(parent, {}).get(r, r)
                    for r in name_list(re.search(r"references:\s*\[([^\]]*)\]", rel.group(1)))
                )
                named = re.search(r'map:\s*"([^"]+)"', rel.group(1))
                action = re.search(r"onDelete:\s*(\w+)", rel.group(1))
                name = named.group(1) if named else f"{table}_{'_'.join(fields)}_fkey"
                out.append(
                    constraint(
                        "foreign key",
                        name,
                        table,
                        fields,
                        path,
                        line,
                        snippet,
                        tables.get(parent, parent),
                        refs,
                        fk_action(action.group(1)) if action else None,
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
            line = line_at(text, body_start + um.start())
            out.append(
                constraint(
                    kind, named.group(1) if named else default, table, cols, path, line, um.group(0)
                )
            )
    return out


# --- Knex, Sequelize ---------------------------------------------------------------------------

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
    tables, out = declared_tables(_KNEX_TABLE, text, path, "knex")
    out[:0] = embedded_sql(text, path, "knex")
    for m in _KNEX_REF.finditer(text):
        table = table_at(tables, m.start())
        if not table:
            continue
        col = m.group(1)
        ref_table = m.group(4) or m.group(2) or ""
        action = re.search(r"onDelete\(\s*['\"`]([\w ]+)['\"`]", m.group("rest"))
        out.append(
            constraint(
                "foreign key",
                f"{table}_{col}_foreign",
                table,
                (col,),
                path,
                line_at(text, m.start()),
                stmt_at(text, m.start()),
                ref_table,
                (m.group(3),),
                action.group(1).upper() if action else None,
                "knex",
            )
        )
    for m in _KNEX_UNIQUE.finditer(text):
        table = table_at(tables, m.start())
        if table:
            cols = tuple(re.findall(r"['\"`](\w+)['\"`]", m.group(1)))
            out.append(
                constraint(
                    "unique",
                    m.group(2) or f"{table}_{'_'.join(cols)}_unique",
                    table,
                    cols,
                    path,
                    line_at(text, m.start()),
                    stmt_at(text, m.start()),
                    source="knex",
                )
            )
    for m in _KNEX_COL_UNIQUE.finditer(text):
        table = table_at(tables, m.start())
        if table:
            out.append(
                constraint(
                    "unique",
                    f"{table}_{m.group(1)}_unique",
                    table,
                    (m.group(1),),
                    path,
                    line_at(text, m.start()),
                    stmt_at(text, m.start()),
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
    tables, out = declared_tables(_SEQ_TABLE, text, path, "sequelize")
    out[:0] = embedded_sql(text, path, "sequelize")
    for m in _SEQ_REF.finditer(text):
        table = table_at(tables, m.start())
        if table:
            action = re.search(r"onDelete\s*:\s*['\"`]([\w ]+)['\"`]", m.group(0))
            out.append(
                column_fk(
                    m, text, table, path, action.group(1).upper() if action else None, "sequelize"
                )
            )
    return out
