"""Schema linkage: find the user's migrations, and say where a finding's constraint, table or
trigger is defined (file:line, DDL), its ON DELETE rule, and for 42P10 what covers ON CONFLICT."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from triage.model import DbError

if TYPE_CHECKING:
    from triage.schema_sql import Definition
# The migration parsers are imported when a migration is read: most runs find none.

MAX_FILE = 4 << 20  # bigger files are not migrations anyone wrote by hand
MAX_FILES = 2000
SKIP_DIRS = {"node_modules", ".git", ".venv", "venv", "__pycache__", "dist", "build", ".tox"}
# Where projects keep migrations, relative to the working directory (checked in this order).
WELL_KNOWN = (
    "supabase/migrations",
    "prisma/schema.prisma",
    "schema.prisma",
    "prisma/migrations",
    "migrations",
    "db/migrations",
    "database/migrations",
    "src/migrations",
    "src/db/migrations",
    "alembic/versions",
    "schema.sql",
    "db/schema.sql",
    "db/structure.sql",
)
EXTENSIONS = (".sql", ".prisma", ".py", ".js", ".ts", ".mjs", ".cjs")
ON_DELETE_WORDS = {
    None: "NO ACTION (the default): deleting a referenced parent fails while children exist",
    "NO ACTION": "NO ACTION: deleting a referenced parent fails while children exist",
    "RESTRICT": "RESTRICT: deleting a referenced parent fails at once while children exist",
    "CASCADE": "CASCADE: deleting the parent deletes its children too",
    "SET NULL": "SET NULL: deleting the parent sets the children's column to NULL",
    "SET DEFAULT": "SET DEFAULT: deleting the parent sets the children's column to its default",
    "PROTECT": "PROTECT (Django, enforced by the ORM): deleting a referenced parent is refused",
    "DO_NOTHING": "DO_NOTHING (Django): the database's NO ACTION decides",
}
_ON_CONFLICT = re.compile(r"\bon\s+conflict\s*\(([^)]*)\)", re.I)
_INSERT_INTO = re.compile(r'\binsert\s+into\s+((?:"[^"]+"|[\w$]+)(?:\.(?:"[^"]+"|[\w$]+))?)', re.I)


@dataclass(frozen=True)
class Schema:
    """Every definition read from the migrations, in file order (later files win)."""

    files: tuple[str, ...]
    definitions: tuple[Definition, ...]
    skipped: tuple[str, ...] = ()

    def named(self, kind: str, name: str) -> Definition | None:
        found = [d for d in self.definitions if d.kind == kind and d.name == name]
        return found[-1] if found else None

    def on_table(self, kind: str, table: str) -> list[Definition]:
        return [d for d in self.definitions if d.kind == kind and d.table == table]

    def dropped(self, name: str, after: Definition | None) -> Definition | None:
        """A later DROP CONSTRAINT of ``name`` (the constraint is gone in a migrated database)."""
        drops = [d for d in self.definitions if d.kind == "drop" and d.name == name]
        if not drops:
            return None
        if after is None:
            return drops[-1]
        order = self.definitions.index(after)
        later = [d for d in drops if self.definitions.index(d) > order]
        return later[-1] if later else None


def discover(cwd: str) -> list[str]:
    """The migration locations that exist under ``cwd`` (plus Django apps' migrations/)."""
    found = [os.path.join(cwd, rel) for rel in WELL_KNOWN if os.path.exists(os.path.join(cwd, rel))]
    for base in (cwd, os.path.join(cwd, "src")):
        try:
            names = sorted(os.listdir(base))
        except OSError:
            continue
        for name in names:
            candidate = os.path.join(base, name, "migrations")
            is_app = os.path.isfile(os.path.join(base, name, "apps.py")) or os.path.isfile(
                os.path.join(base, name, "models.py")
            )
            if is_app and name not in SKIP_DIRS and os.path.isdir(candidate):
                found.append(candidate)
            alembic_dir = os.path.join(base, name, "alembic", "versions")
            if os.path.isdir(alembic_dir):
                found.append(alembic_dir)
    return list(dict.fromkeys(found))


def _files(paths: Sequence[str]) -> list[str]:
    out: list[str] = []
    for p in paths:
        if os.path.isfile(p):
            out.append(p)
            continue
        for root, dirs, files in os.walk(p):
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
            out.extend(
                os.path.join(root, f)
                for f in sorted(files)
                if f.endswith(EXTENSIONS) and not f.startswith(".")
            )
    return list(dict.fromkeys(out))[:MAX_FILES]


def load_schema(paths: Sequence[str] = (), cwd: str | None = None) -> Schema:
    """Definitions from ``paths`` (files or directories), or from the discovered migrations."""
    base = cwd or os.getcwd()
    roots = list(paths) or discover(base)
    definitions: list[Definition] = []
    files: list[str] = []
    skipped: list[str] = []
    for path in _files(roots):
        shown = _display(path, base)
        try:
            if os.path.getsize(path) > MAX_FILE:
                skipped.append(f"{shown}: larger than {MAX_FILE >> 20} MB")
                continue
            with open(path, encoding="utf-8", errors="replace") as fh:
                text = fh.read()
        except OSError as exc:
            skipped.append(f"{shown}: {exc.strerror or exc}")
            continue
        files.append(shown)
        try:
            definitions.extend(parse_file(text, shown))
        except (
            RecursionError,
            ValueError,
            IndexError,
        ) as exc:  # a parser bug must not sink a report
            skipped.append(f"{shown}: not parsed ({type(exc).__name__})")
    return Schema(tuple(files), tuple(definitions), tuple(skipped))


def parse_file(text: str, path: str) -> list[Definition]:
    """Definitions of one migration file, by its kind."""
    from triage.schema_orm import embedded_sql
    from triage.schema_orm_js import knex, prisma, sequelize
    from triage.schema_orm_py import alembic, django
    from triage.schema_sql import parse_sql

    if path.endswith(".sql"):
        return parse_sql(text, path)
    if path.endswith(".prisma"):
        return prisma(text, path)
    if path.endswith(".py"):
        if "migrations.CreateModel" in text or "migrations.Migration" in text:
            return django(text, path) + embedded_sql(text, path, "django")
        if "op." in text or "alembic" in text:
            return alembic(text, path)
        return embedded_sql(text, path, "python")
    if "queryInterface" in text:
        return sequelize(text, path)
    if "knex" in text or ".createTable(" in text:
        return knex(text, path)
    return embedded_sql(text, path, "typeorm" if "QueryRunner" in text else "js")


def _display(path: str, base: str) -> str:
    absolute = os.path.abspath(path)
    rel = os.path.relpath(absolute, os.path.abspath(base))
    return path if rel.startswith("..") else rel


def definition_data(d: Definition) -> dict[str, Any]:
    return {
        "kind": d.kind,
        "name": d.name,
        "table": d.table,
        "path": d.path,
        "line": d.line,
        "ddl": d.ddl,
        "columns": list(d.columns),
        "type": d.contype,
        "references": d.references,
        "on_delete": d.on_delete,
        "function": d.function,
        "source": d.source,
    }


def link(schema: Schema, err: DbError) -> dict[str, Any]:
    """The report's schema section for one root error (empty lists when nothing is defined)."""
    table = err.table
    constraint = schema.named("constraint", err.constraint) if err.constraint else None
    if constraint is None and err.constraint:
        index = schema.named("index", err.constraint)  # unique violations name indexes too
        constraint = index
    if constraint is None and err.sqlstate == "23503" and table and err.key:
        cols = tuple(c for c, _ in err.key)
        constraint = next(
            (
                d
                for d in schema.on_table("constraint", table)
                if d.contype == "foreign key" and d.columns == cols
            ),
            None,
        )
    dropped = schema.dropped(err.constraint, constraint) if err.constraint else None
    tables = [t for t in (table, err.referenced_table) if t]
    trigger_fn = err.trigger
    triggers = [
        d
        for d in schema.definitions
        if d.kind == "trigger" and trigger_fn and d.function == trigger_fn
    ]
    function = schema.named("function", trigger_fn) if trigger_fn else None
    out: dict[str, Any] = {
        "constraint": definition_data(constraint) if constraint else None,
        "dropped": definition_data(dropped) if dropped else None,
        "tables": [definition_data(d) for t in tables if (d := schema.named("table", t))],
        "triggers": [definition_data(d) for d in triggers],
        "function": definition_data(function) if function else None,
        "on_delete": None,
        "on_conflict": None,
    }
    if constraint is not None and constraint.contype == "foreign key":
        out["on_delete"] = {
            "action": constraint.on_delete or "NO ACTION",
            "meaning": ON_DELETE_WORDS.get(constraint.on_delete, constraint.on_delete or ""),
        }
    if err.sqlstate == "42P10":
        out["on_conflict"] = on_conflict(schema, err)
    return out


def conflict_target(err: DbError) -> tuple[str | None, tuple[str, ...]] | None:
    """(table, columns) of the INSERT ... ON CONFLICT (columns) in the error's statement."""
    from triage.sql_text import split_name

    text = "\n".join(t for t in (err.statement, err.message, err.detail, err.context) if t)
    m = _ON_CONFLICT.search(text)
    if not m:
        return None
    cols = tuple(split_name(c.strip())[1] for c in m.group(1).split(",") if c.strip())
    ins = _INSERT_INTO.search(text)
    return err.table or (split_name(ins.group(1))[1] if ins else None), cols


def on_conflict(schema: Schema, err: DbError) -> dict[str, Any] | None:
    """For 42P10: the ON CONFLICT columns, and which unique constraint or index covers them."""
    target = conflict_target(err)
    if target is None:
        return None
    table, cols = target
    uniques = [
        d
        for d in schema.definitions
        if d.table == table
        and (
            (d.kind == "constraint" and d.contype in ("unique", "primary key"))
            or (d.kind == "index" and d.contype)
        )
        and not schema.dropped(d.name, d)
    ]
    covering = [d for d in uniques if set(d.columns) == set(cols) and d.contype != "unique partial"]
    partial = [d for d in uniques if set(d.columns) == set(cols) and d.contype == "unique partial"]
    return {
        "table": table,
        "columns": list(cols),
        "covered_by": [definition_data(d) for d in covering],
        "partial_only": [definition_data(d) for d in partial],
        "unique_on_table": [definition_data(d) for d in uniques],
    }
