"""Capture real PostgreSQL 15 server logs (stderr, csvlog, jsonlog) from a private cluster.

Run as root from the repository root:  .venv/bin/python samples/generate/pgserver/capture.py

For every configuration in CONFIGS it initialises a throw-away cluster under /tmp (port 54329,
socket dir /tmp, run as user ``postgres``), provokes the same set of errors through psql and
psycopg2 (see SCRIPT and python_errors), stops the cluster and copies the logs into samples/.
Nothing is hand-written: the files are what the server wrote, with one deterministic
substitution (the private data directory -> /var/lib/postgresql/data).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg2

ROOT = Path(__file__).resolve().parents[3]
BIN = Path("/usr/lib/postgresql/15/bin")
PORT = 54329
BASE = Path("/tmp/triage_pgserver")

# name -> extra postgresql.conf settings; "default" also keeps csvlog and jsonlog.
CONFIGS: dict[str, dict[str, str]] = {
    "default": {"log_line_prefix": "'%m [%p] '"},
    "debian": {"log_line_prefix": "'%m [%p] %q%u@%d '", "log_connections": "on"},
    "rds": {"log_line_prefix": "'%t:%r:%u@%d:[%p]:'"},
    "verbose": {"log_line_prefix": "'%m [%p] '", "log_error_verbosity": "verbose"},
    # %e puts the SQLSTATE into the prefix; a non-UTC zone shows a numeric offset ("-03").
    "sqlstate": {"log_line_prefix": "'%m [%p] %e '", "log_timezone": "'America/Sao_Paulo'"},
}

SCHEMA = """
CREATE TABLE orgs (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE users (
  id serial PRIMARY KEY,
  org_id int NOT NULL REFERENCES orgs(id),
  email text NOT NULL UNIQUE,
  age int CHECK (age >= 0)
);
CREATE TABLE profiles (user_id int PRIMARY KEY REFERENCES users(id), org_id int NOT NULL REFERENCES orgs(id));
CREATE TABLE acct (id int PRIMARY KEY, bal int NOT NULL);
INSERT INTO orgs VALUES (1, 'acme');
INSERT INTO users (org_id, email) VALUES (1, 'a@x.io');
INSERT INTO acct VALUES (1, 0), (2, 0);
CREATE FUNCTION handle_new_user() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO profiles (user_id, org_id) VALUES (NEW.id, NEW.org_id + 100);
  RETURN NEW;
END $$;
CREATE ROLE app LOGIN PASSWORD 'right-password';
"""

# One error per statement, run by psql -f (the psql output itself is kept as a text fixture).
SCRIPT = """\
INSERT INTO users (org_id, email) VALUES (99, 'b@x.io');
DELETE FROM orgs WHERE id = 1;
INSERT INTO users (org_id, email) VALUES (1, 'a@x.io');
INSERT INTO users (org_id, email) VALUES (1, NULL);
INSERT INTO users (org_id, email, age) VALUES (1, 'c@x.io', -1);
INSERT INTO acct (id, bal) VALUES (1, 5) ON CONFLICT (bal) DO NOTHING;
SELECT emial FROM users;
SELECT * FROM nosuch;
SELECT * FROM users WHERE id = 'abc';
BEGIN;
INSERT INTO users (org_id, email) VALUES (1, 'a@x.io');
SELECT count(*) FROM users;
ROLLBACK;
CREATE TRIGGER on_user_created AFTER INSERT ON users FOR EACH ROW EXECUTE FUNCTION handle_new_user();
INSERT INTO users (org_id, email) VALUES (1, 'trigger@x.io');
DROP TRIGGER on_user_created ON users;
SET statement_timeout = 100;
SELECT pg_sleep(1);
RESET statement_timeout;
SELECT id,
       email
  FROM users
 WHERE nosuchcol = 1;
"""


def run(cmd: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, text=True, capture_output=True, **kw)  # type: ignore[call-overload, no-any-return]


def as_postgres(*args: str) -> subprocess.CompletedProcess[str]:
    res = run(["runuser", "-u", "postgres", "--", *args])
    if res.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{res.stdout}\n{res.stderr}")
    return res


def init_cluster(name: str, settings: dict[str, str]) -> Path:
    data = BASE / name
    if data.exists():
        shutil.rmtree(data)
    BASE.mkdir(exist_ok=True)
    shutil.chown(BASE, "postgres", "postgres")
    as_postgres(
        str(BIN / "initdb"),
        "-D",
        str(data),
        "-U",
        "postgres",
        "--auth=trust",
        "-E",
        "UTF8",
        "--locale=C.UTF-8",
    )
    conf = {
        "port": str(PORT),
        "listen_addresses": "'127.0.0.1'",
        "unix_socket_directories": "'/tmp'",
        "logging_collector": "on",
        "log_destination": "'stderr,csvlog,jsonlog'",
        "log_directory": "'log'",
        "log_filename": "'postgresql'",
        "log_timezone": "'UTC'",
        "lc_messages": "'C'",
        "log_lock_waits": "on",
        "deadlock_timeout": "'200ms'",
        "password_encryption": "'scram-sha-256'",
        **settings,
    }
    with open(data / "postgresql.conf", "a") as fh:
        fh.write("\n# triage capture\n")
        fh.writelines(f"{k} = {v}\n" for k, v in conf.items())
    (data / "pg_hba.conf").write_text(
        "local all all trust\n"
        "host all postgres 127.0.0.1/32 trust\n"
        "host all all 127.0.0.1/32 scram-sha-256\n"
    )
    return data


def psql(
    *args: str, db: str = "shop", stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    cmd = ["psql", "-X", "-h", "/tmp", "-p", str(PORT), "-U", "postgres", "-d", db, *args]
    return run(cmd, input=stdin)


def dsn(db: str = "shop", user: str = "postgres", password: str | None = None) -> str:
    pw = f" password={password}" if password else ""
    return f"host=127.0.0.1 port={PORT} dbname={db} user={user}{pw} application_name=capture"


def python_errors() -> None:
    """Errors only a second connection (deadlock) or a TCP login (28P01, 3D000) can provoke."""
    a, b = psycopg2.connect(dsn()), psycopg2.connect(dsn())
    ca, cb = a.cursor(), b.cursor()
    ca.execute("UPDATE acct SET bal = bal + 1 WHERE id = 1")
    cb.execute("UPDATE acct SET bal = bal + 1 WHERE id = 2")

    def second() -> None:
        try:
            cb.execute("UPDATE acct SET bal = bal + 1 WHERE id = 1")
        except psycopg2.Error:
            b.rollback()

    t = threading.Thread(target=second)
    t.start()
    time.sleep(0.5)  # let b wait first, so a is the one that detects the deadlock after 200ms
    try:
        ca.execute("UPDATE acct SET bal = bal + 1 WHERE id = 2")
    except psycopg2.Error:
        a.rollback()
    t.join()
    a.rollback()
    b.rollback()
    a.close()
    b.close()
    for kwargs in ({"user": "app", "password": "wrong-password"}, {"db": "nosuchdb"}):
        with contextlib.suppress(psycopg2.OperationalError):
            psycopg2.connect(dsn(**kwargs)).close()


def capture(name: str, settings: dict[str, str]) -> None:
    data = init_cluster(name, settings)
    as_postgres(
        str(BIN / "pg_ctl"), "-D", str(data), "-w", "-l", str(data / "startup.log"), "start"
    )
    try:
        psql("-c", "CREATE DATABASE shop", db="postgres")
        psql("-v", "ON_ERROR_STOP=1", "-q", stdin=SCHEMA)
        script = BASE / "errs.sql"
        script.write_text(SCRIPT)
        res = psql("-f", str(script))
        if name == "default":
            text_fixture("psql-errs.txt", res.stderr.replace(str(script), "errs.sql"))
            res = psql("-v", "VERBOSITY=verbose", "-f", str(script))
            text_fixture("psql-verbose.txt", res.stderr.replace(str(script), "errs.sql"))
            res = run(
                [
                    "psql",
                    "-X",
                    f"host=127.0.0.1 port={PORT} user=app password=wrong-password dbname=shop",
                    "-c",
                    "select 1",
                ]
            )
            text_fixture("psql-auth.txt", res.stderr)
        python_errors()
    finally:
        as_postgres(str(BIN / "pg_ctl"), "-D", str(data), "-w", "-m", "fast", "stop")
    logs = data / "log"
    outputs = {"postgresql": f"server-stderr-{name}/postgresql.log"}
    if name == "default":
        outputs |= {
            "postgresql.csv": "server-csvlog/postgresql.csv",
            "postgresql.json": "server-jsonlog/postgresql.json",
        }
    for src, dest in outputs.items():
        target = ROOT / "samples" / dest
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text((logs / src).read_text().replace(str(data), "/var/lib/postgresql/data"))
        print(f"wrote {target.relative_to(ROOT)}")
    shutil.rmtree(data)


def text_fixture(name: str, text: str) -> None:
    target = ROOT / "tests" / "fixtures" / "text" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    print(f"wrote {target.relative_to(ROOT)}")


def main() -> None:
    if os.geteuid() != 0:
        sys.exit("run as root (the cluster is run as user postgres via runuser)")
    names = sys.argv[1:] or list(CONFIGS)
    for name in names:
        capture(name, CONFIGS[name])


if __name__ == "__main__":
    main()
