"""Run one generated pytest project against the scratch database and capture its outputs.

A Case is a tiny user repository (tests, conftest, app code) plus the pytest command line.
run_case() recreates the scratch database, writes the repository into a fixed temporary
directory, runs the real pytest there and returns the normalised files it produced.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

VENV = Path(sys.prefix)  # the project virtualenv the generator runs in
BASE = Path(sys.base_prefix)  # the interpreter the venv was made from (stdlib paths)
WORK = Path("/tmp/triage_py_gen")  # fixed so the normalisation is the same every run
DB = "triage_py"
APP_ROLE = "triage_py_app"
ADMIN_DSN = "host=127.0.0.1 port=5432 dbname=test user=postgres"
DSN = f"host=127.0.0.1 port=5432 dbname={DB} user=postgres"

# What the normalised captures say instead of this machine's paths (documented in README.md).
REPO_AS = "/repo"
VENV_AS = "/venv"
BASE_AS = "/usr/local"
HOST_AS = "ci-runner"

OUTPUT_FLAGS = {
    "junit.xml": "--junitxml=junit.xml",
    "reportlog.jsonl": "--report-log=reportlog.jsonl",
}

SCHEMA_SQL = f"""
CREATE EXTENSION btree_gist;
CREATE TYPE mood AS ENUM ('happy', 'sad');
CREATE TABLE orgs (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE users (
    id serial PRIMARY KEY,
    org_id int NOT NULL REFERENCES orgs(id),
    email varchar(40) NOT NULL UNIQUE,
    age int CHECK (age >= 0),
    mood mood,
    external_id uuid
);
CREATE TABLE profiles (
    id serial PRIMARY KEY,
    user_id int,
    auth_user_id uuid,
    org_id int REFERENCES orgs(id),
    display_name text
);
CREATE TABLE bookings (
    id serial PRIMARY KEY,
    room int NOT NULL,
    during int4range NOT NULL,
    CONSTRAINT bookings_no_overlap EXCLUDE USING gist (room WITH =, during WITH &&)
);
CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL);
CREATE TABLE documents (id serial PRIMARY KEY, owner text NOT NULL, body text);
ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
CREATE POLICY documents_owner ON documents
    USING (owner = current_user) WITH CHECK (owner = current_user);
GRANT SELECT, INSERT ON documents TO {APP_ROLE};
GRANT USAGE ON SEQUENCE documents_id_seq TO {APP_ROLE};
CREATE TABLE secrets (id int PRIMARY KEY, value text);
CREATE FUNCTION withdraw(acct int, amount int) RETURNS int LANGUAGE plpgsql AS $$
DECLARE left_over int;
BEGIN
    SELECT balance - amount INTO left_over FROM accounts WHERE id = acct;
    IF left_over < 0 THEN
        RAISE EXCEPTION 'insufficient funds in account %', acct USING HINT = 'top up first';
    END IF;
    UPDATE accounts SET balance = left_over WHERE id = acct;
    RETURN left_over;
END $$;
INSERT INTO orgs VALUES (1, 'acme'), (2, 'globex');
INSERT INTO users (org_id, email) VALUES (1, 'ada@example.com');
INSERT INTO accounts VALUES (1, 100), (2, 100);
"""


@dataclass(frozen=True)
class Cause:
    """The database error a failing test is expected to show (None fields: not printed)."""

    sqlstate: str | None
    constraint: str | None = None
    table: str | None = None
    engine: str = "postgresql"
    trigger: str | None = None


@dataclass(frozen=True)
class Case:
    """One sample directory: a generated repository, the pytest command, what must come out."""

    name: str
    driver: str
    story: str
    files: dict[str, str]
    args: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ("run.log",)
    env: dict[str, str] = field(default_factory=dict)
    extra_sql: str = ""
    expect: tuple[str, ...] = ()  # strings every output file must contain
    causes: dict[str, Cause | None] = field(default_factory=dict)  # failing node id -> cause
    expected: dict[str, object] | None = None  # incident expected.json (roots filled in here)


def admin_sql(sql: str, dsn: str = ADMIN_DSN) -> None:
    import psycopg2

    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql)
    conn.close()


def reset_database(extra_sql: str) -> None:
    """Drop and recreate the scratch database and its role so every run starts the same."""
    admin_sql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    admin_sql(f"DROP ROLE IF EXISTS {APP_ROLE}")
    admin_sql(f"CREATE ROLE {APP_ROLE} LOGIN")
    admin_sql(f"CREATE DATABASE {DB}")
    admin_sql(SCHEMA_SQL + extra_sql, DSN)


def _replacements(repo: Path) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    # Relative forms first: pytest prints installed files relative to rootdir.
    for real, alias in ((VENV, VENV_AS), (BASE, BASE_AS)):
        rel_real = os.path.relpath(real, repo)
        rel_alias = os.path.relpath(alias, REPO_AS)
        pairs.append((rel_real + "/", rel_alias + "/"))
    pairs += [
        (str(repo), REPO_AS),
        (str(VENV), VENV_AS),
        (str(BASE), BASE_AS),
        (str(WORK), "/tmp"),
    ]
    host = socket.gethostname()
    if host and host != HOST_AS:
        pairs.append((f'hostname="{host}"', f'hostname="{HOST_AS}"'))
    return pairs


RULE = re.compile(r"^([=_-])\1* (.+) \1+$")


def pytest_rule(sepchar: str, title: str, fullwidth: int = 80) -> str:
    """A rule line padded the way pytest's TerminalWriter.sep() pads it."""
    n = max((fullwidth - len(title) - 2) // 2, 1)
    line = f"{sepchar * n} {title} {sepchar * n}"
    if len(line) + 1 <= fullwidth:
        line += sepchar
    return line


def normalise(text: str, repo: Path) -> str:
    """Replace machine paths; re-pad rule lines whose title got shorter, as pytest would have."""
    pairs = _replacements(repo)
    lines = text.split("\n")
    for i, line in enumerate(lines):
        new = line
        for real, alias in pairs:
            new = new.replace(real, alias)
        if new != line:
            rule = RULE.match(line)
            if rule:
                title = rule.group(2)
                for real, alias in pairs:
                    title = title.replace(real, alias)
                new = pytest_rule(rule.group(1), title)
            lines[i] = new
    return "\n".join(lines)


def write_repo(case: Case, repo: Path) -> None:
    if repo.parent.exists():
        shutil.rmtree(repo.parent)
    for rel, source in case.files.items():
        path = repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source.lstrip("\n"), encoding="utf-8")


def pytest_args(case: Case) -> list[str]:
    """The command line after `pytest`, output flags included."""
    return [*case.args, *(OUTPUT_FLAGS[name] for name in case.outputs if name in OUTPUT_FLAGS)]


def run_case(case: Case) -> tuple[int, dict[str, str]]:
    """Run the case's pytest for real; return its exit code and normalised outputs by file name."""
    reset_database(case.extra_sql)
    repo = WORK / case.name / "repo"
    write_repo(case, repo)
    args = [str(VENV / "bin" / "pytest"), *pytest_args(case)]
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("CI", "BUILD_NUMBER", "COLUMNS", "PYTEST_ADDOPTS", "PYTHONPATH")
    }
    env.update({"PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0"}, **case.env)
    proc = subprocess.run(
        args, cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False
    )
    outputs = {"run.log": proc.stdout.decode("utf-8", "replace")}
    for name in case.outputs:
        if name in OUTPUT_FLAGS:
            outputs[name] = (repo / name).read_text(encoding="utf-8")
    return proc.returncode, {
        name: normalise(text, repo) for name, text in outputs.items() if name in case.outputs
    }


LEAKS = re.compile(r"/work/|/root/|triage_py_gen")
SUMMARY = re.compile(r"^(?:FAILED|ERROR) (\S+)", re.M)


def check_outputs(case: Case, outputs: dict[str, str]) -> list[str]:
    """The generator's sanity check: every file names its errors and leaks no machine path."""
    problems = []
    for name, text in outputs.items():
        for needle in case.expect:
            if needle not in text:
                problems.append(f"{case.name}/{name}: missing {needle!r}")
        for node in case.causes:
            short = node.rsplit("::", 1)[-1]
            if short not in text:
                problems.append(f"{case.name}/{name}: missing failing test {short!r}")
        leak = LEAKS.search(text)
        if leak:
            problems.append(f"{case.name}/{name}: machine path {leak.group()!r} not normalised")
        if len(text) > 40_000:
            problems.append(f"{case.name}/{name}: {len(text)} bytes, too big for a sample")
    failed = set(SUMMARY.findall(outputs.get("run.log", "")))
    if failed != set(case.causes):
        problems.append(
            f"{case.name}: failing tests {sorted(failed)} differ from the expected "
            f"{sorted(case.causes)}"
        )
    return problems
