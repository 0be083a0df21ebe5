"""Many failures alike stay readable: the human reports (md, html, terminal) show failures that
share their kind, masked message, root and linkage as one row with a count, and group unexplained
failures the same way, while --format json still lists every failure (the contract).

The input is a real pytest run against the local PostgreSQL: six tests failing on a real unique
violation, twelve timing out alike (messages that differ only by a number), two failing their own
way."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.conftest import require_pg
from triage.investigation import ALIKE_ROWS, MAX_EXAMPLES, MAX_ROWS, unexplained_groups

CONFTEST = """
import psycopg
import pytest


@pytest.fixture(scope="session")
def db():
    conn = psycopg.connect("host=127.0.0.1 user=postgres dbname=test", autocommit=True)
    # a temporary table: this connection's own, whatever else runs the suite at the same time
    conn.execute("CREATE TEMP TABLE triage_alike_users (id serial PRIMARY KEY, email text UNIQUE)")
    conn.execute("INSERT INTO triage_alike_users (email) VALUES ('ada@example.com')")
    yield conn
    conn.close()
"""
TESTS = """
import pytest


@pytest.mark.parametrize("n", range(6))
def test_signup(n, db):
    db.execute("INSERT INTO triage_alike_users (email) VALUES ('ada@example.com')")


@pytest.mark.parametrize("n", range(12))
def test_export(n):
    raise TimeoutError(f"job {n} did not finish within 0.3s")


def test_invoice_total():
    assert 25.5 == 25.0


def test_feature_flags():
    raise KeyError("dark_mode")
"""


@pytest.fixture(scope="module")
def run_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_pg()
    suite = tmp_path_factory.mktemp("alike")
    (suite / "conftest.py").write_text(CONFTEST)
    (suite / "test_app.py").write_text(TESTS)
    (suite / "pytest.ini").write_text("[pytest]\n")
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "PYTEST_ADDOPTS")}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist"],
        cwd=suite,
        env={**env, "COLUMNS": "80"},
        capture_output=True,
        check=False,
    )
    assert b"20 failed" in run.stdout, run.stdout[-2000:]
    log = suite / "run.log"
    log.write_bytes(run.stdout)
    return log


def triage(log: Path, fmt: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "triage", "analyze", str(log), "--format", fmt, "--no-progress"],
        capture_output=True,
        check=True,
    )
    return out.stdout.decode()


def test_json_still_lists_every_failure(run_log: Path) -> None:
    data = orjson.loads(triage(run_log, "json"))
    assert len(data["failures"]) == 20
    assert len(data["unexplained"]) == 14
    assert len(data["findings"][0]["explains"]) == 6
    rows = data["reported_vs_actual"]["rows"]
    # six signups alike, twelve exports alike: one row each; the two others a row each
    assert [(r["kind"], r["count"]) for r in rows] == [
        ("test", 6),
        ("test", 12),
        ("test", 1),
        ("test", 1),
    ]
    signup, export = rows[0], rows[1]
    assert signup["reported"].endswith("test_signup[0]")
    assert signup["last"]["test"].endswith("test_signup[5]")
    assert signup["verdict"] == "chain" and signup["roots"][0]["sqlstate"] == "23505"
    assert export["reported"].endswith("test_export[0]")
    assert export["last"]["test"].endswith("test_export[11]")
    assert export["verdict"] == "unexplained" and export["roots"] == []
    assert rows[2]["last"] is None and rows[2]["reported"].endswith("test_invoice_total")


def test_markdown_groups_failures_alike(run_log: Path) -> None:
    md = triage(run_log, "md")
    ids = {
        f["test"].split("::")[-1]: f["id"]
        for f in orjson.loads(triage(run_log, "json"))["failures"]
    }
    first, last = ids["test_export[0]"], ids["test_export[11]"]
    assert f"| {first} … {last}, 12 alike, test: `test_app.py::test_export[0]`" in md
    assert f"| {ids['test_signup[0]']} … {ids['test_signup[5]']}, 6 alike, test:" in md
    unexplained = md.split("## Unexplained failures", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in unexplained.splitlines() if line.startswith("- ")]
    assert len(lines) == 3  # the twelve timeouts, then the two failing their own way
    assert lines[0].startswith(
        "- 12 failures (test) with messages like `TimeoutError: job 0 did not finish within 0.3s`: "
    )
    named = [f"`test_app.py::test_export[{n}]`" for n in range(MAX_EXAMPLES)]
    assert all(name in lines[0] for name in named)
    assert "`test_app.py::test_export[5]`" not in lines[0]  # past the examples: counted
    assert (
        f"… and {12 - MAX_EXAMPLES} more, the last {last} `test_app.py::test_export[11]`"
        in lines[0]
    )
    assert lines[1].startswith(f"- {ids['test_invoice_total']} `test_app.py::test_invoice_total`")
    # the finding's table names at most 20 ids (six here: all of them)
    assert "| explains | 6 failures: " in md


def test_html_and_terminal_group_failures_alike(run_log: Path) -> None:
    html = triage(run_log, "html")
    assert "12 alike, test: <code>test_app.py::test_export[0]</code>" in html
    assert "<li>12 failures (test) with messages like <code>TimeoutError: job 0" in html
    text = triage(run_log, "terminal")
    assert "12x test like TimeoutError: job 0 did not finish within 0.3s" in text


def _failure(n: int, message: str, kind: str = "log") -> dict[str, Any]:
    return {
        "id": f"S{n}",
        "kind": kind,
        "test": None,
        "message": message,
        "location": {"path": "app.log", "line": n},
    }


def test_unexplained_groups_mask_values_and_keep_order() -> None:
    failures = [
        _failure(1, "request req-1 failed: upstream timeout"),
        _failure(2, "cache miss storm"),
        _failure(3, "request req-2 failed: upstream timeout"),
        _failure(4, "cache miss storm\nat cache.js:12"),
        _failure(5, "cache miss storm", kind="http"),  # another kind: its own group
        _failure(6, "explained elsewhere"),
    ]
    got = unexplained_groups(failures, ["S1", "S2", "S3", "S4", "S5"])
    assert [(g["kind"], g["message"], g["count"], g["same"]) for g in got["groups"]] == [
        ("log", "request req-1 failed: upstream timeout", 2, False),
        ("log", "cache miss storm", 2, True),  # the first line is the message
        ("http", "cache miss storm", 1, True),
    ]
    assert got["groups"][0]["last"]["id"] == "S3"
    assert got["omitted"] == 0


def test_unexplained_groups_cut_examples_and_groups() -> None:
    same = [_failure(n, "boom") for n in range(1, MAX_EXAMPLES + 3)]
    got = unexplained_groups(same, [f["id"] for f in same])
    (group,) = got["groups"]
    assert [f["id"] for f in group["failures"]] == [f"S{n}" for n in range(1, MAX_EXAMPLES + 1)]
    assert group["last"]["id"] == f"S{MAX_EXAMPLES + 2}" and group["count"] == MAX_EXAMPLES + 2
    distinct = [_failure(n, f"error {'x' * n}") for n in range(1, MAX_ROWS + 8)]
    got = unexplained_groups(distinct, [f["id"] for f in distinct])
    assert len(got["groups"]) == MAX_ROWS and got["omitted"] == 7


def test_rows_alike_up_to_the_limit_stay_a_row_each() -> None:
    from triage.investigation import reported_vs_actual

    def data(n: int) -> dict[str, Any]:
        failures = [dict(_failure(i, "boom"), root=None, scope=None) for i in range(1, n + 1)]
        return {"findings": [], "failures": failures, "claim": None}

    rows = reported_vs_actual(data(ALIKE_ROWS))["rows"]
    assert [(r["id"], r["count"], r["last"]) for r in rows] == [
        (f"S{i}", 1, None) for i in range(1, ALIKE_ROWS + 1)
    ]
    (row,) = reported_vs_actual(data(ALIKE_ROWS + 1))["rows"]
    assert (row["id"], row["count"], row["last"]["id"]) == (
        "S1",
        ALIKE_ROWS + 1,
        f"S{ALIKE_ROWS + 1}",
    )


def test_failures_alike_share_their_texts_in_memory(run_log: Path) -> None:
    """Held failures keep one copy of a text their events repeat (message, exception messages)."""
    from triage.correlate import ErrorStore
    from triage.inputs import ReadResult, read_inputs
    from triage.observe import observe

    with ErrorStore() as store:
        obs = observe(read_inputs([str(run_log)], ReadResult()), [], store)
    signups = [o.event for o in obs if o.event.test and "test_signup" in o.event.test]
    assert len(signups) == 6 and all(ev.chain for ev in signups)
    first = signups[0]
    for ev in signups[1:]:
        assert ev.text == first.text and ev.text is first.text
        assert ev.chain[-1].message is first.chain[-1].message
        assert ev.line != first.line and ev.chain[-1].line != first.chain[-1].line
