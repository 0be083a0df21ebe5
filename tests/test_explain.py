"""`triage explain`: by SQLSTATE, condition name, local constraint, pasted message; exit codes."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from triage.catalog import load_catalog
from triage.cli import catalog as _catalog_cli  # noqa: F401  (registers the commands)
from triage.cli import cli
from triage.explain import explain

KB = str(Path(__file__).parent / "fixtures" / "catalog" / "kb" / ".triage" / "patterns")


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["explain", *args])
    return result.exit_code, result.output


def test_explain_sqlstate_prints_class_meaning_and_the_full_entry() -> None:
    code, out = run("23503")
    assert code == 0
    assert out.startswith("23503 foreign_key_violation\nclass 23: Integrity Constraint Violation\n")
    assert "for triage: data or ordering bug" in out
    assert "Foreign key violation: the row points at a parent that does not exist" in out
    assert "Likely causes\n  1. The fixture or factory that creates the parent row" in out
    assert "https://www.postgresql.org/docs/current/ddl-constraints.html#DDL-CONSTRAINTS-FK" in out
    assert "Foreign key violation on delete: the parent row is still referenced" in out


def test_explain_condition_name_and_a_code_without_a_full_entry() -> None:
    code, out = run("foreign_key_violation")
    assert code == 0 and out.startswith("23503 foreign_key_violation")
    code, out = run("22012")
    assert code == 0
    assert "division_by_zero" in out and "class 22: Data Exception" in out
    assert "for triage: data bug" in out


def test_explain_local_constraint_shows_known_issue_owner_verdict() -> None:
    code, out = run("job_status_course_id_fkey", "--patterns", KB)
    assert code == 0
    assert "job_status rows written before their course is committed" in out
    assert "known issue: OPS-1234" in out and "owner: @data-platform" in out
    assert "verdict: known ordering bug" in out
    assert "Foreign key violation: the row points at a parent" in out  # the built-in entry follows


def test_explain_near_miss_says_did_you_mean_and_exits_2() -> None:
    code, out = run("job_status_course_fkey", "--patterns", KB)
    assert code == 2
    assert "did you mean: job_status_course_id_fkey" in out


def test_explain_message_runs_through_the_extractor() -> None:
    code, out = run(
        "there is no unique or exclusion constraint matching the ON CONFLICT specification"
    )
    assert code == 0
    assert out.startswith("42P10 invalid_column_reference")
    assert "ON CONFLICT target has no matching unique constraint" in out


def test_explain_message_fills_names_from_the_message() -> None:
    catalog = load_catalog(cwd="/")
    msg = 'duplicate key value violates unique constraint "orgs_pkey"'
    result = explain(msg, catalog)
    assert result.kind == "message" and result.sqlstate == "23505"
    assert result.match is not None and result.match.pattern.id == "23505-primary-key-duplicate"
    assert result.error is not None and result.error.constraint == "orgs_pkey"


def test_explain_vendor_codes_and_unknown_text() -> None:
    code, out = run("PGRST116")
    assert code == 0 and "PostgREST .single()" in out
    code, out = run("P2025")
    assert code == 0 and "Prisma P2025" in out
    code, out = run("no such thing at all")
    assert code == 2 and "nothing known about 'no such thing at all'" in out


def test_patterns_list_and_show() -> None:
    result = CliRunner().invoke(cli, ["patterns", "list", "--patterns", KB])
    assert result.exit_code == 0
    rows = result.output.splitlines()
    assert "23505-unique-violation\t23505\tUnique violation" in "\n".join(rows)
    assert any(r.startswith("job-status-course-fk\t23503") and "\tlocal " in r for r in rows)
    shown = CliRunner().invoke(cli, ["patterns", "show", "42501-row-level-security"])
    assert shown.exit_code == 0
    assert "match: message='row-level security policy'" in shown.output
    missing = CliRunner().invoke(cli, ["patterns", "show", "42501-row-level-securty"])
    assert missing.exit_code == 2 and "did you mean: 42501-row-level-security" in missing.output


def test_explain_unknown_constraint_is_read_by_its_default_name_suffix() -> None:
    code, out = run("job_status_course_id_fkey")  # no knowledge base: no local entry knows it
    assert code == 0
    assert out.startswith(
        "job_status_course_id_fkey is not in the catalog; its _fkey suffix is PostgreSQL's "
        "default name for a foreign key:\n23503 foreign_key_violation\n"
    )
    assert "so the constraint job_status_course_id_fkey rejected it" in out
    assert "ALTER CONSTRAINT job_status_course_id_fkey DEFERRABLE" in out
    assert "SQLite foreign key failure" not in out  # the name is PostgreSQL's convention
    code, out = run("users_email_key")
    assert code == 0 and "_key suffix" in out and "23505 unique_violation" in out
    code, out = run("no_such_thing")
    assert code == 2 and "nothing known about 'no_such_thing'" in out


def test_explain_without_names_does_not_repeat_the_noun() -> None:
    code, out = run("23503")
    assert code == 0
    assert "so the constraint rejected it" in out
    assert "the constraint the constraint" not in out
