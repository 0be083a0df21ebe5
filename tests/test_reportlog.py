"""pytest-reportlog JSON lines (tests/fixtures/pytest/reportlog*.jsonl, captured by make_fixtures.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from triage.inputs import ReadResult, read_inputs
from triage.inputs.reportlog import event_from_report
from triage.inputs.testid import same_test
from triage.model import Event

FIX = Path(__file__).parent / "fixtures" / "pytest"
MOD = "tests/test_orders.py::"
DUP_DETAIL = "DETAIL:  Key (email)=(a@x.io) already exists."


def events_of(name: str) -> list[Event]:
    result = ReadResult()
    events = list(read_inputs([str(FIX / name)], result))
    assert result.stats[0].formats == ("reportlog",)
    return events


def failures(events: list[Event]) -> dict[tuple[str | None, str | None], Event]:
    found = [e for e in events if e.kind == "test" and e.outcome in ("failed", "error")]
    keys = [(e.test, e.phase) for e in found]
    assert len(keys) == len(set(keys))
    return {(e.test, e.phase): e for e in found}


def line_of(name: str, nodeid: str, when: str) -> int:
    for no, line in enumerate((FIX / name).read_text().split("\n"), 1):
        if f'"nodeid": "{nodeid}"' in line and f'"when": "{when}"' in line:
            return no
    raise AssertionError(nodeid)


def test_failed_reports_carry_the_chain_outermost_first() -> None:
    events = events_of("reportlog.jsonl")
    found = failures(events)
    assert len(found) == 13
    dup = found[(MOD + "test_duplicate_email", "call")]
    assert dup.fmt == "reportlog" and dup.outcome == "failed"
    assert dup.chain[0].exc == "psycopg2.errors.UniqueViolation"
    assert dup.chain[0].message.endswith(DUP_DETAIL)
    assert (
        dup.line
        == dup.chain[0].line
        == line_of("reportlog.jsonl", MOD + "test_duplicate_email", "call")
    )
    assert dup.time is not None and dup.time.endswith("Z") and dup.time[10] == "T"

    sqla = found[(MOD + "test_sqlalchemy_asyncpg", "call")]
    assert [link.exc for link in sqla.chain] == [
        "sqlalchemy.exc.IntegrityError",
        "sqlalchemy.dialects.postgresql.asyncpg.AsyncAdapt_asyncpg_dbapi.UniqueViolationError",
        "asyncpg.exceptions.UniqueViolationError",
    ]
    wrapped = found[(MOD + "test_wrapped", "call")]
    assert wrapped.text == "test_orders.RepoError: could not save user"
    assert wrapped.chain[-1].exc == "psycopg2.errors.CheckViolation"

    group = found[(MOD + "test_group", "call")]
    assert group.chain[0].exc == "ExceptionGroup"
    assert "psycopg2.errors.UniqueViolation" in [link.exc for link in group.chain[1:]]

    assert found[(MOD + "test_fixture_error", "setup")].outcome == "error"
    assert (
        found[(MOD + "test_teardown_error", "teardown")].chain[0].exc
        == "psycopg2.errors.ForeignKeyViolation"
    )
    assert found[("tests/test_broken_collect.py", "collect")].chain[0].exc == "ModuleNotFoundError"

    passed = {e.test for e in events if e.outcome == "passed"}
    assert passed == {MOD + "test_ok", MOD + "test_teardown_error"}
    assert not any(e.test == MOD + "test_xfail" for e in events)  # xfail is not a failure
    (exit_event,) = [e for e in events if e.kind == "exit"]
    assert exit_event.text == "pytest exit status 1" and exit_event.outcome == "failed"


def test_xdist_reports_carry_the_worker() -> None:
    found = failures(events_of("reportlog-xdist.jsonl"))
    dup = found[(MOD + "test_duplicate_email", "call")]
    assert dup.id_value("worker") in ("gw0", "gw1")
    assert dup.chain[-1].message.endswith(DUP_DETAIL)


def test_same_failures_as_the_terminal_and_junit() -> None:
    from tests.test_junit import read
    from tests.test_pytest_text import failures_of, parse

    reportlog = set(failures(events_of("reportlog.jsonl")))
    junit, _ = read((FIX / "junit.xml").read_bytes())
    assert reportlog == {(e.test, e.phase) for e in junit if e.outcome != "passed"}
    assert reportlog == set(failures_of(parse("short.log")))  # same run style, same ids
    titles = {"TestRepo.test_psycopg3_fk", "test_param[dup email]"}  # as section headers print them
    assert all(any(same_test(title, t or "") for t, _ in reportlog) for title in titles)


ODD: list[dict[str, Any]] = [
    {"$report_type": "TestReport"},
    {"$report_type": "TestReport", "outcome": "failed", "longrepr": 5, "when": None},
    {
        "$report_type": "TestReport",
        "outcome": "failed",
        "longrepr": {"chain": [None, [1], [{}, "x", None]]},
    },
    {
        "$report_type": "TestReport",
        "outcome": "failed",
        "longrepr": {"reprcrash": "x"},
        "start": "soon",
    },
    {"$report_type": "TestReport", "outcome": "failed", "start": 1e300, "worker_id": 3},
    {"$report_type": "TestReport", "outcome": "failed", "longrepr": "E   ValueError: boom"},
    {"$report_type": "CollectReport", "outcome": "failed", "longrepr": None},
    {"$report_type": "SessionFinish"},
    {"$report_type": "WarningMessage", "message": "x"},
    {"$report_type": 7},
]


@pytest.mark.parametrize("obj", ODD)
def test_odd_records_never_raise(obj: dict[str, Any]) -> None:
    event = event_from_report(obj, "r.jsonl", 1)
    assert not isinstance(event, list)  # no sections: one Event or none
    if event is not None:
        assert event.line == 1 and event.text


def test_string_longrepr_is_read_as_a_traceback() -> None:
    event = event_from_report(ODD[5], "r.jsonl", 9)
    assert (
        isinstance(event, Event)
        and event.chain[0].exc == "ValueError"
        and event.chain[0].message == "boom"
    )


def test_reportlog_lines_decode_as_json() -> None:
    # guard: the fixture is what the plugin wrote, one JSON object per line
    for line in (FIX / "reportlog.jsonl").read_text().splitlines():
        assert "$report_type" in orjson.loads(line)


# -- captured output (TestReport ``sections``): tests/fixtures/pytest/accounts-reportlog.jsonl ---

ACC = "tests/test_accounts.py::"
DUP = 'duplicate key value violates unique constraint "users_email_key"'
FK = 'violates foreign key constraint "users_org_id_fkey"'


def logs_of(events: list[Event]) -> list[Event]:
    return [e for e in events if e.kind == "log"]


def test_captured_log_records_become_log_events_of_their_test_and_phase() -> None:
    events = events_of("accounts-reportlog.jsonl")
    logs = logs_of(events)
    assert all(e.fmt == "reportlog" for e in logs)
    (warn,) = [e for e in logs if DUP in e.text]  # the teardown report repeats it: read once
    assert (warn.test, warn.phase, warn.level) == (ACC + "test_signup_saves_user", "call", "warn")
    assert warn.text == f"user not saved: {DUP}\n{DUP_DETAIL}"
    assert warn.line == line_of("accounts-reportlog.jsonl", ACC + "test_signup_saves_user", "call")
    setup = [e for e in logs if e.phase == "setup" and e.test == ACC + "test_profile"]
    assert [(e.level, e.text) for e in setup] == [("info", "connecting to triage_h1")]
    teardown = [e for e in logs if e.phase == "teardown" and e.test == ACC + "test_profile"]
    assert [e.text for e in teardown] == ["closed"]
    # stderr output that looks like an error is kept with its DETAIL line, at no level
    fk = [e for e in logs if FK in e.text]
    assert sorted((e.level or "", e.text.split(":", 1)[0]) for e in fk) == [
        ("", "import_users"),
        ("error", "import of b@x.io failed"),
    ]
    printed = next(e for e in fk if e.level is None)
    assert printed.text.endswith('DETAIL:  Key (org_id)=(99) is not present in table "orgs".')
    assert "signing up" not in " ".join(e.text for e in logs)  # plain stdout is not evidence


def test_failing_assert_is_explained_by_the_error_its_repository_logged() -> None:
    """The test fails on ``assert saved``; only its captured log names the IntegrityError."""
    from tests.test_pytest_text import explained

    signup, imported = explained("accounts-reportlog.jsonl")
    assert signup == ("assert False", "test", "users_email_key", {"email": "a@x.io"})
    # an ERROR record captured inside the test is folded into the failure itself ("chain")
    assert imported[1:3] == ("chain", "users_org_id_fkey")


def test_odd_sections_never_raise() -> None:
    base = {"$report_type": "TestReport", "nodeid": "t.py::x", "when": "call", "outcome": "passed"}
    for sections in (
        [None, ["Captured log call"], ["Captured log call", 5], [7, "x"], ["Captured", "x"]],
        [["Captured log call", "ERROR    db:t.py:1 boom\nSQLSTATE 23505"], ["Captured log", "x"]],
        "not a list",
    ):
        result = event_from_report({**base, "sections": sections}, "r.jsonl", 3)
        events = result if isinstance(result, list) else [result] if result else []
        assert all(e.line == 3 for e in events)
    record = [["Captured log call", "ERROR    db:t.py:1 boom"]]
    result = event_from_report({**base, "sections": record}, "r.jsonl", 3)
    assert isinstance(result, list) and [(e.kind, e.level, e.text) for e in result] == [
        ("log", "error", "boom"),
        ("test", None, "passed"),
    ]
