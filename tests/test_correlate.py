"""Root versus symptom, design.md §4: one test per rule, each on real captured output."""

from __future__ import annotations

import os
from typing import Any

import pytest

from tests.conftest import ROOT, SAMPLES
from triage.claim import EVIDENCE, check_claim
from triage.inputs import testid
from triage.observe import Passed
from triage.pipeline import Options, analyze
from triage.report import report_data


def run(*cases: str, reported: str | None = None, window: float = 5.0) -> dict[str, Any]:
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        paths = [str((SAMPLES / c).relative_to(ROOT)) for c in cases]
        return report_data(analyze(paths, Options(reported=reported, window=window, cwd=str(ROOT))))
    finally:
        os.chdir(cwd)


def failure(data: dict[str, Any], test_suffix: str) -> dict[str, Any]:
    found = [f for f in data["failures"] if f["test"] and testid.same_test(test_suffix, f["test"])]
    assert found, f"no failure for {test_suffix}: {[f['test'] for f in data['failures']]}"
    return found[0]


def finding(data: dict[str, Any], fid: str | None) -> dict[str, Any]:
    return next(f for f in data["findings"] if f["id"] == fid)


def test_rule1_cascades_are_never_roots() -> None:
    """25P02 and PendingRollbackError failures trace back to the 23505 that aborted the work."""
    data = run("incident-25p02-cascade")
    assert [f["sqlstate"] for f in data["findings"]] == ["23505"]
    for test, scope in (
        ("tests/test_accounts.py::test_rename_user", "previous"),  # 25P02 in the next test
        ("tests/test_orm.py::test_orm_count_users", "chain"),  # PendingRollbackError's original
    ):
        f = failure(data, test)
        assert finding(data, f["root"])["constraint"] == "users_email_key"
        assert f["scope"] == scope
    assert data["summary"]["cascades"] >= 2


def test_rule2_wrappers_are_symptoms_linked_to_the_innermost_error() -> None:
    """RuntimeError('Failed to create user record') from a psycopg error: the wrapper is the symptom."""
    data = run("incident-wrapper-hides-root")
    root = data["findings"][0]
    assert root["explains"] and all(
        data["failures"][int(s[1:]) - 1]["scope"] == "chain" for s in root["explains"]
    )
    assert "Failed to create user record" in " ".join(f["message"] for f in data["failures"])
    assert root["sqlstate"].startswith("23")


def test_rule2_every_sub_exception_of_a_group_is_a_finding() -> None:
    """An asyncio TaskGroup where one insert broke a foreign key and another a NOT NULL (asyncpg,
    captured): the group's failure is linked to one of them, and neither is lost."""
    path = ROOT / "tests" / "fixtures" / "text" / "py-exception-group.txt"
    data = report_data(analyze([str(path)], Options()))
    assert sorted(f["sqlstate"] for f in data["findings"]) == ["23502", "23503"]
    (group,) = data["failures"]
    assert "2 sub-exceptions" in group["message"] and group["scope"] == "chain"
    fk = next(f for f in data["findings"] if f["sqlstate"] == "23503")
    assert fk["constraint"] == "users_org_id_fkey" and fk["key"] == {"org_id": "99"}


def test_rule2_a_client_failure_quoting_a_service_500_shares_its_root() -> None:
    """GoTrue-style: the test says 'Database error saving new user'; the service log has the 23503."""
    data = run("incident-gotrue-trigger")
    f = failure(data, "tests/signup.test.js > sign-up > an invited member signs up")
    assert f["scope"] == "symptom"
    root = finding(data, f["root"])
    assert (root["constraint"], root["trigger"]) == ("profiles_org_id_fkey", "handle_new_user")
    roles = [e["role"] for e in root["evidence"][:3]]
    assert roles == ["symptom", "wrapper", "root"]  # test -> service's HTTP 500 -> the pg error


def test_rule3_request_ids_link_an_http_500_to_its_database_error() -> None:
    data = run("node-pg-fk-child-insert")
    (http,) = [f for f in data["failures"] if f["kind"] == "http"]
    assert http["scope"] == "id" and http["message"].startswith("HTTP 500 POST /users")
    assert finding(data, http["root"])["constraint"] == "users_org_id_fkey"


def test_rule3_same_process_links_runner_failures_to_a_background_job_error() -> None:
    """cleanup-race: vitest failures carry no id; the job's 23503 was logged by the same process."""
    data = run("incident-cleanup-race")
    f = failure(
        data, "tests/analysis.test.js > course analysis > analysis of the uploaded course completes"
    )
    assert f["scope"] == "pid"
    assert finding(data, f["root"])["constraint"] == "job_status_course_id_fkey"


def test_rule3_an_error_in_one_tests_chain_is_not_handed_to_an_unrelated_failure() -> None:
    """node-vitest-pg: the display-name assertion shares the process but not the 23505."""
    data = run("node-vitest-pg")
    f = failure(data, "tests/users.test.js > users > formats the display name")
    assert f["root"] is None and f["id"] in data["unexplained"]


def test_rule4_same_fingerprint_is_one_finding_with_occurrences() -> None:
    """The same unique violation read from run.log, junit.xml and reportlog.jsonl is one finding."""
    data = run("incident-several-roots")
    fps = [f["fingerprint"] for f in data["findings"]]
    assert len(fps) == len(set(fps))
    top = data["findings"][0]
    assert top["fingerprint"] == "23505:users_email_key" and len(top["explains"]) == 3
    assert top["first"]["path"].endswith("run.log")  # the readable copy is the one cited


def test_rule4_a_test_failing_in_two_runs_of_one_log_is_two_occurrences() -> None:
    """A job that ran the suite twice into one log (real capture): the foreign key violation
    failed test_member_of_missing_org in both runs — two occurrences, one failure explained;
    the unique violation of the first run only is one."""
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        data = report_data(analyze(["tests/fixtures/pytest/rerun.log"], Options(cwd=str(ROOT))))
    finally:
        os.chdir(cwd)
    by_fp = {f["fingerprint"]: f for f in data["findings"]}
    fk, unique = by_fp["23503:users_org_id_fkey"], by_fp["23505:users_email_key"]
    assert (fk["occurrences"], len(fk["explains"])) == (2, 1)
    assert (unique["occurrences"], len(unique["explains"])) == (1, 1)
    assert "tests/test_rerun.py::test_signup" in data["passed"]  # its rerun passed


def test_rule5_the_trigger_table_is_the_failing_one() -> None:
    data = run("incident-trigger-profiles")
    root = data["findings"][0]
    assert (root["table"], root["trigger"], root["constraint"]) == (
        "profiles",
        "handle_new_user",
        "profiles_org_id_fkey",
    )
    gotrue = run("incident-gotrue-trigger")["findings"][0]
    assert "INSERT on auth.users fired handle_new_user()" in gotrue["description"]


def test_rule6_retried_warnings_are_recovered_noise_not_failures() -> None:
    data = run("incident-cleanup-race")
    assert [r["text"] for r in data["recovered"]] == ["Auth attempt 1 failed, retrying"]
    assert data["recovered"][0]["resolved_by"]["text"] == "Auth attempt 2 succeeded"
    assert not any("Auth attempt" in f["message"] for f in data["failures"])


def test_rule7_failures_without_a_database_cause_are_unexplained() -> None:
    data = run("incident-no-db-cause")
    assert len(data["unexplained"]) == len(data["failures"]) == 3
    assert not any(f["explains"] for f in data["findings"])


def test_rule8_findings_explaining_more_failures_rank_first() -> None:
    data = run("incident-several-roots")
    counts = [len(f["explains"]) for f in data["findings"]]
    assert counts == sorted(counts, reverse=True)
    assert [f["sqlstate"] for f in data["findings"][:3]] == ["23505", "42703", "22P02"]


def test_rule9_claim_blaming_auth_is_contradicted_by_passing_tests_and_recovered_warnings() -> None:
    data = run("incident-cleanup-race", reported="auth user creation is completely failing")
    claim = data["claim"]
    assert claim["verdict"] == "contradicted"
    texts = [e["text"] for e in claim["evidence"]]
    assert any(t.startswith("passed: ") and "auth user" in t for t in texts)
    assert len([t for t in texts if t.startswith("passed: ")]) == 1  # one test, cited once


def test_rule9_claim_over_thousands_of_passing_tests_keys_each_once_and_cites_twenty(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A log where thousands of passing tests match a claim (a -rA log of a parametrized suite):
    each test is made canonical once (the check compared each with every one cited before:
    minutes for 5,000 tests) and the evidence stops at twenty lines, supports first."""
    monkeypatch.chdir(ROOT)
    report = analyze(
        [str((SAMPLES / "incident-cleanup-race").relative_to(ROOT))], Options(cwd=str(ROOT))
    )
    passed = [Passed("run.log", n, f"tests/test_auth.py::test_auth_user[{n}]") for n in range(3000)]
    calls = 0
    real_key = testid.key

    def counting_key(test: str) -> str:
        nonlocal calls
        calls += 1
        return real_key(test)

    monkeypatch.setattr(testid, "key", counting_key)
    claim = check_claim("auth user creation is completely failing", report.correlation, passed)
    assert calls == len(passed)
    assert claim.verdict == "contradicted"
    assert [e.text for e in claim.evidence][:3] == [f"passed: {p.test}" for p in passed[:3]]
    assert len(claim.evidence) == EVIDENCE == 20


def test_rule9_claim_with_nothing_to_match_has_no_evidence() -> None:
    data = run("incident-several-roots", reported="the payment webhook times out")
    assert data["claim"]["verdict"] == "no-evidence"
