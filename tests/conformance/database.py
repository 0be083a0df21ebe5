"""The scratch databases: a template with the case schema per session, one clone per run group.

Names carry the pid of the session that made them (`triage_conf_<pid>`, `..._<pid>_psycopg_line`)
so two test sessions on one server never drop each other's databases; a session removes its own
when it ends and the leftovers of sessions that no longer run when it starts.
"""

from __future__ import annotations

import os
import re

from tests.conformance.cases import DB_PREFIX, ROLES_SQL, SCHEMA_SQL

SERVER = "host=127.0.0.1 port=5432 user=postgres"
OWNED = re.compile(rf"^{DB_PREFIX}_(\d+)(?:_|$)")


def template_name(pid: int | None = None) -> str:
    return f"{DB_PREFIX}_{pid if pid is not None else os.getpid()}"


def clone_name(template: str, *parts: str) -> str:
    return "_".join((template, *parts))


def _admin(statements: list[str], dbname: str = "test") -> None:
    import psycopg

    with psycopg.connect(f"{SERVER} dbname={dbname}", autocommit=True) as conn:
        for sql in statements:
            conn.execute(sql)


def _names() -> list[str]:
    import psycopg

    with psycopg.connect(f"{SERVER} dbname=test", autocommit=True) as conn:
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", (DB_PREFIX + "\\_%",)
        ).fetchall()
    return [name for (name,) in rows]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def drop(template: str | None = None) -> None:
    """Drop this template and its clones; with None, those of sessions no longer running."""
    doomed = []
    for name in _names():
        owner = OWNED.match(name)
        if template is not None:
            if name == template or name.startswith(template + "_"):
                doomed.append(name)
        elif owner and not _alive(int(owner.group(1))):
            doomed.append(name)
    _admin([f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in doomed])


def create_template(template: str) -> None:
    """Recreate the template database with the case schema and the roles cases log in as."""
    drop(None)
    drop(template)
    _admin([ROLES_SQL, f'CREATE DATABASE "{template}"'])
    _admin([SCHEMA_SQL], template)


def create_clone(template: str, name: str) -> None:
    _admin([f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}" TEMPLATE "{template}"'])  # fmt: skip
