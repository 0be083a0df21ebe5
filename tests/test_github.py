"""`--format github`: workflow annotations for each root and the failures it explains, within GitHub's limits."""

from __future__ import annotations

import re
from typing import Any

from click.testing import CliRunner

from tests.conftest import SAMPLES
from triage.cli import (
    cli,
    commands,  # noqa: F401  (registers the subcommands)
)
from triage.github import MAX_ERRORS, MAX_WARNINGS, build_annotations, command, render_github
from triage.pipeline import Options, analyze
from triage.report import report_data

LINE = re.compile(r"^::(?P<kind>error|warning|notice)(?: (?P<props>[^:]*))?::(?P<message>.*)$")


def parse(line: str) -> dict[str, Any]:
    """Read a workflow command back the way the runner does: split, then unescape."""
    m = LINE.match(line)
    assert m, line
    props = {}
    for part in (m["props"] or "").split(","):
        if part:
            key, _, value = part.partition("=")
            props[key] = _unescape(value, prop=True)
    return {"kind": m["kind"], **props, "message": _unescape(m["message"])}


def _unescape(text: str, prop: bool = False) -> str:
    if prop:
        text = text.replace("%3A", ":").replace("%2C", ",")
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def report(*cases: str) -> dict[str, Any]:
    return report_data(analyze([str(SAMPLES / c) for c in cases], Options()))


def test_properties_and_messages_survive_the_escaping() -> None:
    line = command(
        "error", "50% done\nnext: line,\r", file="tests/a,b:c.py", line=3, title="F1: 100%, key"
    )
    assert "\n" not in line and "\r" not in line
    assert parse(line) == {
        "kind": "error",
        "file": "tests/a,b:c.py",
        "line": "3",
        "title": "F1: 100%, key",
        "message": "50% done\nnext: line,\r",
    }


def test_a_root_and_the_failing_tests_it_explains() -> None:
    lines = [parse(x) for x in build_annotations(report("py-psycopg2-fk"))]
    root = lines[0]
    assert root["kind"] == "error" and "users_org_id_fkey" in root["title"]
    assert root["file"].startswith(str(SAMPLES / "py-psycopg2-fk")) and int(root["line"]) > 0
    assert 'violates foreign key constraint "users_org_id_fkey"' in root["message"]
    tests = {x["title"].split(": ", 1)[1] for x in lines[1:] if x["file"] == "tests/test_fk.py"}
    assert "test_add_user_to_missing_org failed (F1)" in tests


def test_the_cause_the_evidence_supports_comes_before_the_generic_fix() -> None:
    root = parse(build_annotations(report("incident-cleanup-race"))[0])
    lines = root["message"].split("\n")
    cause = next(i for i, line in enumerate(lines) if line.startswith("likely cause: "))
    assert "Cleanup between tests deleted the parent" in lines[cause]
    assert lines[cause + 1].startswith("fix: ")


def test_no_cause_is_named_when_the_evidence_picks_none() -> None:
    root = parse(build_annotations(report("py-psycopg2-fk"))[0])
    assert "likely cause: " not in root["message"]


def test_failures_without_a_database_cause_are_warnings() -> None:
    data = report("incident-no-db-cause")
    warnings = [parse(x) for x in build_annotations(data) if x.startswith("::warning")]
    assert len(warnings) == len(data["unexplained"]) > 0
    assert all("no database cause found" in w["title"] for w in warnings)


def test_at_most_ten_errors_and_the_rest_counted_in_a_notice() -> None:
    data = report("py-sqlite3-errors", "py-django-postgres", "py-psycopg2-types")
    wanted = sum(1 + len(f["explains"]) for f in data["findings"])
    assert wanted > MAX_ERRORS  # the samples give enough to overflow
    lines = [parse(x) for x in build_annotations(data)]
    assert sum(1 for x in lines if x["kind"] == "error") == MAX_ERRORS
    assert sum(1 for x in lines if x["kind"] == "warning") <= MAX_WARNINGS
    notice = lines[-1]
    assert notice["kind"] == "notice" and f"{wanted - MAX_ERRORS} more error" in notice["message"]
    # Ranked: the first root cause comes first, followed by what it explains.
    assert data["findings"][0]["id"] in lines[0]["title"]


def test_long_messages_are_clipped() -> None:
    data = report("py-psycopg2-fk")
    data["findings"][0]["title"] = "x" * 5000
    root = parse(build_annotations(data)[0])
    assert len(root["message"]) <= 600 and root["message"].endswith("…")


def test_a_clean_run_says_so() -> None:
    empty = {"findings": [], "failures": [], "unexplained": []}
    assert render_github(empty) == "::notice title=triage::triage: no database error found\n"


def test_analyze_format_github_from_the_command_line() -> None:
    result = CliRunner().invoke(
        cli, ["analyze", str(SAMPLES / "py-psycopg2-integrity"), "--format", "github"]
    )
    assert result.exit_code == 0, result.output
    lines = [parse(x) for x in result.output.splitlines()]
    constraints = {
        x["title"].rsplit(" ", 1)[-1] for x in lines if "root cause" in x.get("title", "")
    }
    assert "users_email_key" in constraints and "users_age_check" in constraints
    assert any(x.get("file") == "tests/test_signup.py" for x in lines)
