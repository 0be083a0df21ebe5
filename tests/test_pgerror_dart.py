"""Dart (supabase-dart / postgrest-dart) PostgrestException text, read end to end.

No Dart SDK can be installed here, so the wrapper is postgrest-dart's own toString() format
(`PostgrestException(message: $message, code: $code, details: $details, hint: $hint)`, from its
source) around PostgreSQL texts captured from the live server (tests/fixtures/drivers/).
"""

from __future__ import annotations

from pathlib import Path

from triage.pipeline import Options, analyze
from triage.report import report_data

UNIQUE = 'duplicate key value violates unique constraint "users_email_key"'
UNIQUE_DETAIL = "Key (email)=(a@x.io) already exists."
FK = 'insert or update on table "profiles" violates foreign key constraint "profiles_org_id_fkey"'
FK_DETAIL = 'Key (org_id)=(42) is not present in table "orgs".'


def dart(message: str, code: str, details: str = "null", hint: str = "null") -> str:
    return f"PostgrestException(message: {message}, code: {code}, details: {details}, hint: {hint})"


def findings(tmp_path: Path, *lines: str) -> list[dict]:
    log = tmp_path / "flutter.log"
    log.write_text("\n".join(lines) + "\n")
    return report_data(analyze([str(log)], Options()))["findings"]


def test_sqlstate_body_gives_the_constraint_table_and_key(tmp_path: Path) -> None:
    (f,) = findings(tmp_path, dart(UNIQUE, "23505", UNIQUE_DETAIL))
    assert (f["sqlstate"], f["constraint"], f["table"], f["key"], f["driver"]) == (
        "23505",
        "users_email_key",
        "users",
        {"email": "a@x.io"},
        "postgrest",
    )


def test_wrapped_in_an_app_message_the_wrapper_is_the_symptom(tmp_path: Path) -> None:
    line = "Failed to create user record: " + dart(FK, "23503", FK_DETAIL)
    (f,) = findings(tmp_path, line)
    assert (f["constraint"], f["referenced_table"]) == ("profiles_org_id_fkey", "orgs")


def test_pgrst116_single_row_has_its_own_condition(tmp_path: Path) -> None:
    line = dart(
        "JSON object requested, multiple (or no) rows returned",
        "PGRST116",
        "The result contains 0 rows",
    )
    (f,) = findings(tmp_path, line)
    assert f["sqlstate"] is None and f["condition"] == "pgrst116_singular_response"
    assert f["pattern"] == "PGRST116-single-row-expected"


def test_older_status_and_error_code_form(tmp_path: Path) -> None:
    line = (
        f"PostgrestException(message: {UNIQUE}, statusCode: 409, errorCode: 23505, "
        f"details: {UNIQUE_DETAIL}, hint: null)"
    )
    (f,) = findings(tmp_path, line)
    assert (f["sqlstate"], f["constraint"]) == ("23505", "users_email_key")
