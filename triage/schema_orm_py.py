"""Schema definitions from Python migrations: Django (CreateModel, AddField, AddConstraint) and Alembic."""

from __future__ import annotations

import os
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
                line_at(text, m.start()),
                stmt_at(text, m.start()),
                source="django",
            )
        )
        for fm in _DJ_FIELD.finditer(chunk):
            field, ftype, args = fm.groups()
            line = line_at(text, m.start() + fm.start())
            snippet = fm.group(0).strip().rstrip(",")
            if ftype in ("ForeignKey", "OneToOneField"):
                to = re.search(r"to=['\"](?:\w+\.)?(\w+)['\"]", args)
                ref = f"{app}_{to.group(1).lower()}" if to else None
                action = re.search(r"on_delete=(?:[\w.]*\.)?(\w+)", args)
                out.append(
                    constraint(
                        "foreign key",
                        f"{table}_{field}_id_fkey",
                        table,
                        (f"{field}_id",),
                        path,
                        line,
                        snippet,
                        ref,
                        ("id",),
                        fk_action(action.group(1)) if action else None,
                        "django",
                    )
                )
            if "unique=True" in args or ftype == "OneToOneField":
                col = f"{field}_id" if ftype in ("ForeignKey", "OneToOneField") else field
                out.append(
                    constraint(
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
                    constraint(
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
            named_fields = name_list(re.search(r"fields=[\[(]([^\])]*)[\])]", um.group(1)))
            fields = tuple(f"{f}_id" if f in fks else f for f in named_fields)
            name = re.search(r"name=['\"]([^'\"]+)['\"]", um.group(1))
            line = line_at(text, m.start() + um.start())
            out.append(
                constraint(
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


# --- Alembic --------------------------------------------------------------------------------

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
    tables, out = declared_tables(_ALEMBIC_TABLE, text, path, "alembic")
    out[:0] = embedded_sql(text, path, "alembic")

    for m in _SA_COLUMN_FK.finditer(text):
        table = table_at(tables, m.start())
        if table:
            action = re.search(r"ondelete=['\"]([\w ]+)['\"]", m.group(4))
            out.append(
                column_fk(
                    m, text, table, path, action.group(1).upper() if action else None, "alembic"
                )
            )
    for m in _SA_UNIQUE.finditer(text):
        table = table_at(tables, m.start())
        if table:
            cols = tuple(c for c in re.findall(r"['\"](\w+)['\"]", m.group(1).split("name=")[0]))
            name = re.search(r"name=['\"](\w+)['\"]", m.group(1))
            out.append(
                constraint(
                    "unique",
                    name.group(1) if name else f"{table}_{'_'.join(cols)}_key",
                    table,
                    cols,
                    path,
                    line_at(text, m.start()),
                    m.group(0),
                    source="alembic",
                )
            )
    for m in _ALEMBIC_FK.finditer(text):
        action = re.search(r"ondelete=['\"]([\w ]+)['\"]", m.group(6))
        cols = tuple(re.findall(r"['\"](\w+)['\"]", m.group(4)))
        fk_name = m.group(1) or f"{m.group(2)}_{'_'.join(cols)}_fkey"
        out.append(
            constraint(
                "foreign key",
                fk_name,
                m.group(2),
                cols,
                path,
                line_at(text, m.start()),
                stmt_at(text, m.start()),
                m.group(3),
                tuple(re.findall(r"['\"](\w+)['\"]", m.group(5))),
                action.group(1).upper() if action else None,
                "alembic",
            )
        )
    for m in _ALEMBIC_UNIQUE.finditer(text):
        out.append(
            constraint(
                "unique",
                m.group(1),
                m.group(2),
                tuple(re.findall(r"['\"](\w+)['\"]", m.group(3))),
                path,
                line_at(text, m.start()),
                m.group(0),
                source="alembic",
            )
        )
    return out
