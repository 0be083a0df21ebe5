"""Reports leave the building: secrets in hostile log lines are masked, the rest is kept."""

from __future__ import annotations

import pytest

from triage.redact import MASK, redact, redact_data

JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIiwiaXNzIjoic3VwYWJhc2UifQ"
    ".c2lnbmF0dXJlLW9mLXRoZS1zZXJ2aWNlLWtleQ"
)


@pytest.mark.parametrize(
    ("line", "secret", "kept"),
    [
        (
            "connecting to postgres://app:hunter2@db.internal:5432/app failed",
            "hunter2",
            "postgres://app:",
        ),
        (
            "DATABASE_URL=postgresql://postgres:s3cr3t%21@127.0.0.1:54322/postgres",
            "s3cr3t%21",
            "127.0.0.1:54322",
        ),
        ("dsn: 'host=db user=app password=topsecret dbname=app'", "topsecret", "user=app"),
        (
            '{"level":50,"headers":{"authorization":"Bearer abc.def.ghi-123456"}}',
            "abc.def",
            '"level":50',
        ),
        (
            "GET /rest/v1/courses Authorization: Bearer sk-live-0123456789abcdef",
            "0123456789abcdef",
            "GET /rest",
        ),
        ("apikey: sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz", "N7UND0Ug", "apikey:"),
        (f'req.headers.apikey="{JWT}"', "c2lnbmF0dXJl", "req.headers"),
        (f"SUPABASE_SERVICE_ROLE_KEY={JWT}", "eyJyb2xl", "SUPABASE_SERVICE_ROLE_KEY="),
        (f"token {JWT} rejected", "c2lnbmF0dXJl", "rejected"),
        ('{"password": "pa$$w0rd", "user": "bob"}', "pa$$w0rd", '"user": "bob"'),
    ],
)
def test_secrets_are_masked_and_context_kept(line: str, secret: str, kept: str) -> None:
    out = redact(line)
    assert secret not in out
    assert MASK in out
    assert kept in out


@pytest.mark.parametrize(
    "line",
    [
        'E       DETAIL:  Key (course_id)=(646e8787-5bcd-411e-85b2-d57213256276) is not present in table "courses".',
        'FATAL:  password authentication failed for user "app"',
        'insert or update on table "job_status" violates foreign key constraint "job_status_course_id_fkey"',
        "rootdir: /repo",
        'invalid password: password authentication failed for user "app"',
        "token: expired, retrying",
    ],
)
def test_database_evidence_is_left_alone(line: str) -> None:
    assert redact(line) == line


def test_redact_data_walks_the_report_and_keeps_keys() -> None:
    data = {"findings": [{"message": "postgres://u:pw123@h/d", "key": {"password": "x"}}], "n": 3}
    out = redact_data(data)
    assert out["findings"][0]["message"] == f"postgres://u:{MASK}@h/d"
    assert out["findings"][0]["key"] == {"password": "x"}  # keys are names, values are checked
    assert out["n"] == 3


def test_redact_data_copies_only_what_holds_a_secret() -> None:
    clean = {"message": "duplicate key", "location": {"path": "run.log", "line": 3}}
    leaky = {"message": "postgres://u:pw123@h/d", "ids": ("a", "b")}
    data = {"failures": [clean, leaky], "docs": ("https://example.com",)}
    out = redact_data(data)
    assert out["failures"][0] is clean and out["docs"] is data["docs"]  # nothing to hide: shared
    assert out["failures"][1]["message"] == f"postgres://u:{MASK}@h/d"
    assert out["failures"][1]["ids"] is leaky["ids"]
    assert leaky["message"] == "postgres://u:pw123@h/d"  # the input is left as it was
    assert redact_data(clean) is clean
