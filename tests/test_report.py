"""The investigation report on a captured incident: a course created, deleted by a late cleanup,
then the job_status insert fails (psycopg, pytest live logging, the app's Supabase migrations)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import orjson
from click.testing import CliRunner

from tests.conftest import ROOT
from triage.cli import (
    cli,
    commands,  # noqa: F401  (registers analyze)
)
from triage.pipeline import Options, analyze
from triage.render import render
from triage.report import report_data

INCIDENT = ROOT / "tests" / "fixtures" / "schema" / "incident" / "run.log"
MIGRATIONS = ROOT / "tests" / "fixtures" / "schema" / "app" / "supabase" / "migrations"
REPORTED = "analysis jobs are not being queued"


def _data(paths: list[str], **options: Any) -> dict[str, Any]:
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        return report_data(analyze(paths, Options(cwd=str(ROOT), **options)))
    finally:
        os.chdir(cwd)


def _course_id() -> str:
    m = re.search(r"created course ([0-9a-f-]{36})", INCIDENT.read_text())
    assert m
    return m.group(1)


def test_lifecycle_orders_create_delete_fail_and_ranks_cleanup_first() -> None:
    data = _data([str(INCIDENT)], schema_paths=(str(MIGRATIONS),), reported=REPORTED)
    f = data["findings"][0]
    assert f["constraint"] == "job_status_course_id_fkey"
    lc = f["lifecycle"]
    assert lc["values"] == [_course_id()]
    actions = [(m["line"], m["action"]) for m in lc["mentions"]]
    assert actions[:2] == [(9, "create"), (11, "delete")]
    fail = next(m for m in lc["mentions"] if m["action"] == "fail")
    assert fail["line"] == 59 and fail["text"].startswith("E           DETAIL:  Key (course_id)=(")
    top = f["hypotheses"][0]
    assert top["text"].startswith("Cleanup between tests deleted the parent")
    assert top["verdict"] == "supported" and top["for"][0]["line"] == 11
    stale = next(h for h in f["hypotheses"] if h["text"].startswith("The id is stale"))
    assert stale["verdict"] == "contradicted" and stale["against"][0]["line"] == 9


def test_schema_linkage_and_sections_in_markdown() -> None:
    data = _data([str(INCIDENT)], schema_paths=(str(MIGRATIONS),), reported=REPORTED)
    sl = data["findings"][0]["schema_linkage"]
    assert sl["constraint"]["line"] == 16 and sl["on_delete"]["action"] == "NO ACTION"
    md = render(data, "md")
    for heading in (
        "## Summary",
        "## Reported symptom versus actual failure",
        "### Evidence chain",
        "### Key lifecycle",
        "### Likely causes, ranked",
        "### Fixes",
        "### Schema",
        "### Confidence and what would prove this wrong",
        "## Claim check",
        "## Inputs",
    ):
        assert f"\n{heading}\n" in md, heading
    assert "20240101000000_init.sql:16" in md
    # the evidence is quoted exactly, path:line beside it
    assert (
        'insert or update on table "job_status" violates foreign key constraint "job_status_course_id_fkey"'
        in md
    )
    assert data["summary_text"].startswith(
        "1 of 1 failure in 1 input traces back to 1 database error."
    )


def test_json_keeps_the_contract_and_adds_sections() -> None:
    data = orjson.loads(render(_data([str(INCIDENT)]), "json"))
    assert data["schema"] == "triage/report@1"
    f = data["findings"][0]
    for key in (
        "id",
        "fingerprint",
        "sqlstate",
        "constraint",
        "key",
        "first",
        "explains",
        "evidence",
        "confidence",
    ):
        assert key in f
    for key in ("lifecycle", "hypotheses", "schema_linkage", "prove_wrong", "fixes_detail"):
        assert key in f
    for key in ("summary_text", "reported_vs_actual", "input_totals", "schema_files", "redacted"):
        assert key in data


def test_stdin_is_spooled_so_the_lifecycle_reads_it_again() -> None:
    result = CliRunner().invoke(
        cli, ["analyze", "-", "--format", "json"], input=INCIDENT.read_bytes()
    )
    assert result.exit_code == 0, result.output
    data = orjson.loads(result.output)
    mentions = data["findings"][0]["lifecycle"]["mentions"]
    assert {m["path"] for m in mentions} == {"<stdin>"}
    assert data["inputs"][0]["path"] == "<stdin>"


def _hostile_incident(tmp_path: Path) -> Path:
    """The captured run with hostile app log lines added in the live log (the driver's lines untouched)."""
    cid = _course_id()
    hostile = [
        f"2026-11-21T01:27:52.790 INFO app.jobs course {cid} via postgres://app:hunter2@db:5432/app",
        f"2026-11-21T01:27:52.791 INFO app.jobs course {cid} Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.c2lnbmF0dXJlX3NlY3JldA",
        f"2026-11-21T01:27:52.792 INFO app.jobs course {cid} <script>alert(1)</script> ``` ` | [x](javascript:alert(1))",
    ]
    lines = INCIDENT.read_text().split("\n")
    at = next(i for i, ln in enumerate(lines) if "live log call" in ln) + 1
    path = tmp_path / "run.log"
    path.write_text("\n".join(lines[:at] + hostile + lines[at:]))
    return path


def test_secrets_redacted_by_default_and_kept_with_no_redact(tmp_path: Path) -> None:
    path = _hostile_incident(tmp_path)
    runner = CliRunner()
    out = runner.invoke(cli, ["analyze", str(path), "--format", "md"]).output
    assert "hunter2" not in out and "c2lnbmF0dXJlX3NlY3JldA" not in out
    assert "postgres://app:[REDACTED]@db:5432/app" in out
    raw = runner.invoke(cli, ["analyze", str(path), "--format", "md", "--no-redact"]).output
    assert "hunter2" in raw


def test_log_text_cannot_break_out_of_markdown_or_html(tmp_path: Path) -> None:
    path = _hostile_incident(tmp_path)
    data = _data([str(path)])
    md = render(data, "md")
    row = next(ln for ln in md.split("\n") if "alert(1)" in ln)
    # inside a table row: the code span is longer than any backtick run and pipes are escaped
    assert row.startswith("| ") and "````" in row and " \\| " in row
    assert len(re.findall(r"(?<!\\)\|", row)) == 6  # the row still has its 5 columns
    html = render(data, "html")
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'href="javascript' not in html


def test_long_evidence_is_cut_with_a_visible_marker() -> None:
    data = _data([str(INCIDENT)])
    data["findings"][0]["evidence_chains"][0]["steps"][0]["text"] = "x" * 5000
    md = render(data, "md")
    assert "[… cut: 4400 more characters]" in md
    assert "[… cut: 4400 more characters]" in render(data, "html")


def test_terminal_view_shows_the_same_sections(tmp_path: Path) -> None:
    out = tmp_path / "report.txt"
    args = [
        "analyze",
        str(INCIDENT),
        "--schema",
        str(MIGRATIONS),
        "--format",
        "terminal",
        "-o",
        str(out),
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "Summary" in text and "cause #1" in text and "[supported] Cleanup between tests" in text
    assert "run.log:11 delete: " in text
    assert "20240101000000_init.sql:16" in text


def test_evidence_chains_quote_a_root_once_and_fold_identical_chains() -> None:
    race = _data(["samples/incident-cleanup-race"])["findings"][0]
    steps = [s for ch in race["evidence_chains"] for s in ch["steps"]]
    roots = [s for s in steps if s["role"] == "root"]
    # two tests failed on the same job_status insert: the second chain refers back to the first
    assert [r["line"] for r in roots] == [5, 5]
    assert roots[0]["repeat"] is None and roots[1]["repeat"] == roots[0]["n"]
    profiles = _data(["samples/incident-trigger-profiles"])["findings"][0]
    chains = profiles["evidence_chains"]
    assert len(chains) == 1  # three tests, the same RuntimeError over the same FK violation
    assert [[x["line"] for x in same] for same in chains[0]["same"]] == [[31, 36], [50, 55]]


def test_lifecycle_leaves_out_junit_and_reportlog_copies_of_the_run_log() -> None:
    data = _data(["samples/incident-trigger-profiles"])
    lc = data["findings"][0]["lifecycle"]
    assert {m["path"] for m in lc["mentions"]} == {"samples/incident-trigger-profiles/run.log"}
    assert [m["line"] for m in lc["mentions"]] == [18, 37, 56]
    assert lc["copies"] == [
        "samples/incident-trigger-profiles/junit.xml",
        "samples/incident-trigger-profiles/reportlog.jsonl",
    ]


def test_lifecycle_shows_what_a_pino_line_says() -> None:
    lc = _data(["samples/incident-cleanup-race"])["findings"][0]["lifecycle"]
    said = [(m["line"], m["action"], m["said"]) for m in lc["mentions"]]
    assert said[0] == (1, "create", "course created")
    assert (3, "delete", "course deleted") in said
    assert lc["mentions"][0]["text"].startswith('{"level":30')  # the JSON keeps the exact line
