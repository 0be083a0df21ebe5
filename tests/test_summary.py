"""The nightly summary: runs built from captured samples, compared night after night with the history."""

from __future__ import annotations

import json
import shutil
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.conftest import SAMPLES
from triage.cli import (
    cli,
    commands,  # noqa: F401  (registers the subcommands)
)
from triage.history import RunRecord
from triage.pipeline import Options, analyze
from triage.report import report_data
from triage.runmeta import RunMeta
from triage.summary import record_from_report, should_fail, summarize

FK = "py-psycopg2-fk"  # 23503 users_org_id_fkey, two failing tests
SIGNUP = "py-psycopg2-integrity"  # 23505 users_email_key, 23502 users, 23514 users_age_check
FK_PRINT = "23503:users_org_id_fkey"
EMAIL_PRINT = "23505:users_email_key"


@cache
def sample_report(case: str) -> dict[str, Any]:
    return report_data(analyze([str(SAMPLES / case)], Options()))


def night(n: int, *cases: str, commit: str | None = None, job: str = "pytest") -> list[RunRecord]:
    meta = RunMeta(f"night-{n}", commit or f"c{n}", "main", job, f"2025-11-{n:02d}T02:00:00Z")
    return [record_from_report(sample_report(case), meta) for case in cases]


def by_print(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["fingerprint"]: e for e in summary["fingerprints"] + summary["resolved"]}


def test_the_samples_give_the_fingerprints_the_story_needs() -> None:
    prints = {f["fingerprint"] for f in sample_report(FK)["findings"]}
    assert FK_PRINT in prints
    assert EMAIL_PRINT in {f["fingerprint"] for f in sample_report(SIGNUP)["findings"]}


def test_a_root_cause_is_new_then_recurring_then_resolved_then_regressed() -> None:
    history = night(1, FK)
    first = by_print(summarize(history, {"night-1"}))[FK_PRINT]
    assert first["status"] == "new"
    assert first["first_seen"] == {
        "run_id": "night-1",
        "commit": "c1",
        "time": "2025-11-01T02:00:00Z",
    }
    # The child insert; the parent delete is a fingerprint of its own.
    assert first["tests"] == ["tests/test_fk.py::test_add_user_to_missing_org"]

    history += night(2, FK, SIGNUP)
    second = by_print(summarize(history, {"night-2"}))
    assert second[FK_PRINT]["status"] == "recurring"
    assert second[FK_PRINT]["runs_affected"] == 2
    assert second[EMAIL_PRINT]["status"] == "new"
    assert second[EMAIL_PRINT]["tests"] == ["tests/test_signup.py::test_duplicate_email"]

    history += night(3, SIGNUP)
    third = summarize(history, {"night-3"})
    assert by_print(third)[FK_PRINT]["status"] == "resolved"
    assert by_print(third)[FK_PRINT]["last_seen"]["run_id"] == "night-2"
    assert by_print(third)[EMAIL_PRINT]["status"] == "recurring"

    history += night(4, SIGNUP) + night(5, FK)
    fifth = by_print(summarize(history, {"night-5"}))
    assert fifth[FK_PRINT]["status"] == "regressed"
    assert fifth[FK_PRINT]["gone_for"] == 2  # absent on nights 3 and 4
    assert fifth[FK_PRINT]["first_seen"]["run_id"] == "night-1"
    assert fifth[FK_PRINT]["trend"][:3] != [0, 0, 0] and fifth[FK_PRINT]["trend"][2:4] == [0, 0]
    assert fifth[EMAIL_PRINT]["status"] == "resolved"


def test_fail_on_new_gates_new_and_regressed_only() -> None:
    history = night(1, FK) + night(2, FK)
    recurring = summarize(history, {"night-2"})
    assert not should_fail(recurring, "new") and should_fail(recurring, "any")
    assert should_fail(summarize(history[:1], {"night-1"}), "new")
    assert not should_fail(recurring, "none")


def test_a_test_failing_in_one_run_and_not_another_of_the_same_commit_is_flaky() -> None:
    full = night(1, FK, commit="abc")
    # The same commit and job again, where only one of the two tests failed.
    one = record_from_report(
        sample_report(FK), RunMeta("night-1b", "abc", "main", "pytest", "2025-11-01T03:00:00Z")
    )
    one = RunRecord(
        one.run_id,
        one.job,
        one.started_at,
        one.commit,
        one.branch,
        None,
        one.recorded_at,
        one.findings,
        tuple(f for f in one.failures if f["test"].endswith("missing_org")),
    )
    flaky = summarize(full + [one], {"night-1", "night-1b"})["flaky"]
    assert flaky == [
        {
            "test": "tests/test_fk.py::test_delete_org_with_users",
            "commit": "abc",
            "jobs": ["pytest"],
            "failed_in": ["night-1"],
            "passed_in": ["night-1b"],
            "retried": False,
        }
    ]
    # Different commits are different code: no flakiness claimed.
    assert summarize(night(1, FK, commit="a") + [one], {"night-1b"})["flaky"] == []


def test_a_test_the_report_lists_as_failed_and_passed_passed_on_retry() -> None:
    data = dict(
        sample_report(FK), passed=[{"test": "tests/test_fk.py::test_add_user_to_missing_org"}]
    )
    rec = record_from_report(
        data, RunMeta("night-1", "abc", "main", "pytest", "2025-11-01T02:00:00Z")
    )
    (flaky,) = summarize([rec], {"night-1"})["flaky"]
    assert (
        flaky["test"] == "tests/test_fk.py::test_add_user_to_missing_org"
        and flaky["retried"] is True
    )


def test_classification_rate_counts_explained_failures_of_the_current_runs() -> None:
    data = sample_report(SIGNUP)
    summary = summarize(night(1, SIGNUP), {"night-1"})
    totals = summary["totals"]
    assert totals["failures"] == len(data["failures"]) and totals["unexplained"] == len(
        data["unexplained"]
    )
    assert totals["classification_rate"] == round(totals["explained"] / totals["failures"], 3)
    assert {f["id"] for f in summary["unexplained"]} == set(data["unexplained"])


def _run_dirs(tmp_path: Path, *cases: str) -> list[str]:
    dirs = []
    for i, case in enumerate(cases, 1):
        target = tmp_path / "artifacts" / f"run-{i}"
        shutil.copytree(SAMPLES / case, target)
        dirs.append(str(target))
    return dirs


def test_summary_command_records_history_and_writes_markdown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("GITHUB_ACTIONS", "GITLAB_CI", "BUILDKITE", "GITHUB_STEP_SUMMARY"):
        monkeypatch.delenv(var, raising=False)
    history = str(tmp_path / ".triage" / "history.sqlite")
    (first,) = _run_dirs(tmp_path / "a", FK)
    runner = CliRunner()
    out = runner.invoke(
        cli,
        [
            "summary",
            first,
            "--history",
            history,
            "--commit",
            "c1",
            "--branch",
            "main",
            "--time",
            "2025-11-01T02:00:00Z",
            "--fail-on",
            "new",
        ],
    )
    assert out.exit_code == 1, out.output  # a new root cause
    assert "| **new** | `23503:users_org_id_fkey` |" in out.output

    step = tmp_path / "step-summary.md"
    step.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step))
    dirs = _run_dirs(tmp_path / "b", FK, SIGNUP)
    report = tmp_path / "nightly.md"
    out = runner.invoke(
        cli,
        [
            "summary",
            *dirs,
            "--history",
            history,
            "--run-id",
            "night-2",
            "--commit",
            "c2",
            "--branch",
            "main",
            "--time",
            "2025-11-02T02:00:00Z",
            "-o",
            str(report),
            "--fail-on",
            "new",
        ],
    )
    assert out.exit_code == 1, out.output  # the email key is new tonight
    text = report.read_text()
    assert "| **recurring** | `23503:users_org_id_fkey` |" in text
    assert "| **new** | `23505:users_email_key` |" in text
    assert "- `tests/test_signup.py::test_duplicate_email`" in text
    assert step.read_text() == "earlier step\n" + text  # appended, not replaced


def test_summary_html_is_self_contained_with_an_inline_chart(tmp_path: Path) -> None:
    dirs = _run_dirs(tmp_path, FK, SIGNUP)
    out_file = tmp_path / "nightly.html"
    result = CliRunner().invoke(
        cli,
        [
            "summary",
            *dirs,
            "--history",
            str(tmp_path / "h.sqlite"),
            "-o",
            str(out_file),
            "--no-step-summary",
        ],
    )
    assert result.exit_code == 0, result.output
    html = out_file.read_text()
    assert "<svg" in html and "<rect" in html
    assert "http" not in html.split("<body>")[0]  # no external stylesheet or script
    assert "<code>23505:users_email_key</code>" in html


def test_summary_html_escapes_what_the_logs_said() -> None:
    from triage.render import render_template

    (rec,) = night(1, SIGNUP)
    hostile = {
        "id": "S9",
        "kind": "log",
        "test": None,
        "root": None,
        "message": "<script>alert(1)</script> & more",
        "location": {"path": "run.log", "line": 1},
    }
    rec = RunRecord(
        rec.run_id,
        rec.job,
        rec.started_at,
        rec.commit,
        rec.branch,
        None,
        rec.recorded_at,
        rec.findings,
        (*rec.failures, hostile),
    )
    html = render_template("summary.html.j2", summarize([rec], {"night-1"}))
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html


def test_summary_json_and_group_pattern_make_shards_one_run(tmp_path: Path) -> None:
    base = tmp_path / "artifacts"
    for shard, case in (("1234-shard-1", FK), ("1234-shard-2", SIGNUP)):
        shutil.copytree(SAMPLES / case, base / shard)
    result = CliRunner().invoke(
        cli,
        [
            "summary",
            str(base / "1234-shard-1"),
            str(base / "1234-shard-2"),
            "--history",
            str(tmp_path / "h.sqlite"),
            "--format",
            "json",
            "--group",
            r"(\d+)-shard",
            "--no-step-summary",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["schema"] == "triage/summary@1"
    assert {(r["run_id"], r["job"]) for r in data["runs"]} == {
        ("1234", "1234-shard-1"),
        ("1234", "1234-shard-2"),
    }
    assert data["history"]["runs"] == 1
    assert {e["fingerprint"] for e in data["fingerprints"]} >= {FK_PRINT, EMAIL_PRINT}


def test_a_broken_history_file_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "history.sqlite"
    bad.write_bytes(b"\x00garbage" * 200)
    (run,) = _run_dirs(tmp_path, FK)
    result = CliRunner().invoke(cli, ["summary", run, "--history", str(bad), "--no-step-summary"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output and "cannot open history" in result.output


GITHUB_ENV = {
    "GITHUB_ACTIONS": "true",
    "GITHUB_RUN_ID": "9876",
    "GITHUB_RUN_ATTEMPT": "2",
    "GITHUB_SHA": "0123abcd",
    "GITHUB_REF_NAME": "42/merge",
    "GITHUB_HEAD_REF": "fix-fk",
    "GITHUB_JOB": "tests",
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "acme/shop",
}


def test_run_metadata_from_each_ci_system() -> None:
    from triage.runmeta import from_env

    gh = from_env(GITHUB_ENV)
    assert (gh.run_id, gh.commit, gh.branch, gh.job) == ("9876.2", "0123abcd", "fix-fk", "tests")
    assert gh.url == "https://github.com/acme/shop/actions/runs/9876"
    gl = from_env(
        {
            "GITLAB_CI": "true",
            "CI_PIPELINE_ID": "555",
            "CI_COMMIT_SHA": "beef",
            "CI_COMMIT_REF_NAME": "main",
            "CI_JOB_NAME": "pytest 1/2",
            "CI_JOB_STARTED_AT": "2025-11-02T03:04:05+01:00",
        }
    )
    assert (gl.run_id, gl.commit, gl.branch, gl.job, gl.time) == (
        "555",
        "beef",
        "main",
        "pytest 1/2",
        "2025-11-02T02:04:05Z",
    )
    bk = from_env(
        {
            "BUILDKITE": "true",
            "BUILDKITE_BUILD_NUMBER": "77",
            "BUILDKITE_COMMIT": "cafe",
            "BUILDKITE_BRANCH": "main",
            "BUILDKITE_LABEL": ":pytest: tests",
        }
    )
    assert (bk.run_id, bk.commit, bk.job) == ("77", "cafe", ":pytest: tests")
    assert from_env({}) == RunMeta()


def test_options_beat_the_run_file_which_beats_the_environment(tmp_path: Path) -> None:
    from triage.runmeta import resolve

    run = tmp_path / "artifacts" / "shard-1"
    run.mkdir(parents=True)
    assert resolve(str(run), RunMeta(), GITHUB_ENV, several=False).run_id == "9876.2"
    (run / "triage-run.json").write_text(json.dumps({"run": {"id": "from-file", "commit": "f11e"}}))
    meta = resolve(str(run), RunMeta(commit="given"), GITHUB_ENV, several=True)
    assert (meta.run_id, meta.commit, meta.branch) == ("from-file", "given", "fix-fk")
    assert meta.job == "shard-1"  # several directories: each keeps its own name as the job
    (run / "triage-run.json").write_text("{not json")
    assert (
        resolve(str(run), RunMeta(), {}, several=False).run_id == "shard-1"
    )  # broken file: ignored
