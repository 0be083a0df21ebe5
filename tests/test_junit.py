"""JUnit XML from pytest --junitxml (tests/fixtures/pytest/junit.xml, captured by make_fixtures.py),
and test identity across JUnit, terminal text and reportlog (triage.inputs.testid)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from triage.inputs import ReadResult, read_inputs
from triage.inputs.junit import read_junit
from triage.inputs.source import Counts
from triage.inputs.testid import SeenTests, from_junit, key, normalise, same_test
from triage.model import Event

FIX = Path(__file__).parent / "fixtures" / "pytest"
JUNIT = FIX / "junit.xml"
MOD = "tests/test_orders.py::"


def read(data: bytes) -> tuple[list[Event], Counts]:
    counts = Counts()
    return list(read_junit("junit.xml", io.BytesIO(data), counts)), counts


def by_test(events: list[Event]) -> dict[tuple[str | None, str | None], Event]:
    keys = [(e.test, e.phase) for e in events]
    assert len(keys) == len(set(keys))
    return {(e.test, e.phase): e for e in events}


def case_line(name: str) -> int:
    for no, line in enumerate(JUNIT.read_text().split("\n"), 1):
        if f'name="{name}"' in line:
            return no
    raise AssertionError(name)


def test_pytest_junit_testcases_become_node_ids_with_chains() -> None:
    events, counts = read(JUNIT.read_bytes())
    found = by_test(events)
    assert found[(MOD + "test_ok", "call")].outcome == "passed"
    dup = found[(MOD + "test_duplicate_email", "call")]
    assert dup.outcome == "failed" and dup.fmt == "junit"
    assert dup.text.endswith("DETAIL:  Key (email)=(a@x.io) already exists.")
    assert dup.chain[-1].exc == "psycopg2.errors.UniqueViolation"
    assert dup.line == case_line("test_duplicate_email")

    cls = found[
        (MOD + "TestRepo::test_psycopg3_fk", "call")
    ]  # classname tests.test_orders.TestRepo
    assert cls.chain[0].exc == "psycopg.errors.ForeignKeyViolation"

    sqla = found[(MOD + "test_sqlalchemy_fk", "call")]
    assert [link.exc for link in sqla.chain] == [
        "sqlalchemy.exc.IntegrityError",
        "psycopg2.errors.ForeignKeyViolation",
    ]
    assert "[parameters: {'o': 99, 'e': 'c@x.io'}]" in sqla.text

    wrapped = found[(MOD + "test_wrapped", "call")]
    assert [link.exc for link in wrapped.chain] == [
        "test_orders.RepoError",
        "psycopg2.errors.CheckViolation",
    ]

    setup = found[(MOD + "test_fixture_error", "setup")]
    assert setup.outcome == "error"
    assert setup.text == (
        'psycopg2.errors.UniqueViolation: duplicate key value violates unique constraint "orgs_pkey"\n'
        "DETAIL:  Key (id)=(1) already exists."
    )
    teardown = found[(MOD + "test_teardown_error", "teardown")]
    assert teardown.chain[0].exc == "psycopg2.errors.ForeignKeyViolation"

    collect = found[("tests/test_broken_collect.py", "collect")]
    assert collect.text == "ModuleNotFoundError: No module named 'nonexistent_module_xyz'"

    assert (MOD + "test_skip", "call") not in found and (MOD + "test_xfail", "call") not in found
    assert counts.lines == len(JUNIT.read_text().split("\n")) - (
        1 if JUNIT.read_text().endswith("\n") else 0
    )
    assert counts.formats == ["junit"] and not counts.skipped


def test_read_inputs_sniffs_junit() -> None:
    result = ReadResult()
    events = list(read_inputs([str(JUNIT)], result))
    assert {e.fmt for e in events} == {"junit"}
    assert sum(e.outcome == "failed" for e in events) == 10
    assert result.stats[0].formats == ("junit",)


def test_truncated_xml_keeps_what_was_read() -> None:
    data = JUNIT.read_bytes()
    cut = data.index(b'name="test_wrapped"')
    events, counts = read(data[:cut])
    tests = {e.test for e in events}
    assert MOD + "test_duplicate_email" in tests and MOD + "test_wrapped" not in tests
    assert counts.skipped["malformed-xml"] == 1


def test_garbage_after_root_is_counted_not_raised() -> None:
    events, counts = read(JUNIT.read_bytes() + b"<oops")
    assert len(events) == 14
    assert counts.skipped["malformed-xml"] == 1


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    read(b'<?xml version="1.0"?><testsuites><testsuite><testcase name="a" classname="m">' + data)
    read(data)


@pytest.mark.parametrize(
    "a,b",
    [
        (
            "tests/test_orders.py::TestRepo::test_x[a-b]",
            from_junit("tests.test_orders.TestRepo", "test_x[a-b]"),
        ),
        ("tests/test_orders.py::test_param[dup email]", "test_param[dup email]"),
        ("tests/test_orders.py::TestRepo::test_psycopg3_fk", "TestRepo.test_psycopg3_fk"),
        ("test_orders.py::test_x", "tests/test_orders.py::test_x"),  # different rootdir
        ("tests/a.test.ts > suite > name", "tests/a.test.ts  >  suite > name"),
        ("tests/test_broken_collect.py", from_junit("", "tests.test_broken_collect")),
    ],
)
def test_same_test_across_forms(a: str, b: str) -> None:
    assert same_test(a, b)


@pytest.mark.parametrize(
    "a,b",
    [
        ("tests/test_orders.py::test_x", "tests/test_orders.py::test_y"),
        ("tests/test_a.py::TestA::test_x", "tests/test_b.py::TestA::test_x"),
        ("tests/test_orders.py::test_x[a]", "tests/test_orders.py::test_x[b]"),
    ],
)
def test_different_tests_stay_apart(a: str, b: str) -> None:
    assert not same_test(a, b)


# test ids in the forms the readers meet: node ids, section titles, dotted JUnit, JS titles
TEST_IDS = st.builds(
    "".join,
    st.tuples(
        st.sampled_from(["", "tests/", "tests.", "other/"]),
        st.sampled_from(["", "test_a.py::", "test_b.py::", "test_a.", "a.test.ts > "]),
        st.sampled_from(["", "TestRepo::", "TestRepo.", "suite > "]),
        st.sampled_from(["test_x", "test_y", "name"]),
        st.sampled_from(["", "[1]", "[a::test_x]", "[a.b c]"]),
    ),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(TEST_IDS, max_size=12))
def test_seen_tests_answers_as_same_test_against_every_one_before(ids: list[str]) -> None:
    """SeenTests.add (constant time) says a test is new exactly when same_test matches none of
    the tests added before it (what the claim check compared, one by one)."""
    seen = SeenTests()
    before: list[str] = []
    for test in ids:
        new = not any(same_test(test, t) for t in before)
        assert seen.add(test) == new, (test, before)
        if new:
            before.append(test)
    assert len(seen) == len(before)


def test_key_and_normalise() -> None:
    assert (
        key("tests/test_orders.py::TestRepo::test_x[a.b c]")
        == "test_orders::TestRepo::test_x[a.b c]"
    )
    assert key("tests.test_orders.TestRepo.test_x[a.b c]") == "test_orders::TestRepo::test_x[a.b c]"
    assert key("TestRepo.test_x") == "TestRepo::test_x"
    assert key("tests/a.test.ts > suite > name") == "a.test::suite::name"
    assert normalise("tests.test_orders.test_x") == "tests/test_orders.py::test_x"
    assert from_junit("tests/a.test.ts", "suite > name") == "tests/a.test.ts > suite > name"


def test_vitest_junit_keeps_the_serialized_pg_error() -> None:
    events, counts = read((FIX / "vitest-junit.xml").read_bytes())
    found = by_test(events)
    dup = found[("tests/users.vitest.test.js > users repo > inserts a duplicate email", "call")]
    assert dup.outcome == "failed"
    assert dup.chain[0].exc == "error"  # node-pg's DatabaseError prints as lower-case "error"
    assert dup.chain[0].message.startswith(
        'duplicate key value violates unique constraint "users_email_key"'
    )
    assert (
        "code: '23505'" in dup.chain[0].message
        and "constraint: 'users_email_key'" in dup.chain[0].message
    )
    assert "node_modules/pg" not in dup.chain[0].message  # stack frames are not message
    assert found[("tests/users.vitest.test.js > users repo > passes", "call")].outcome == "passed"
    assert same_test(
        "tests/users.vitest.test.js > users repo > adds numbers",
        "tests/users.vitest.test.js >  users repo > adds numbers",
    )
    assert not counts.skipped


def test_jest_junit_reads_message_from_the_body() -> None:
    events, _ = read((FIX / "jest-junit.xml").read_bytes())
    found = by_test(events)
    dup = found[("users repo inserts a duplicate email", "call")]
    assert dup.text == 'error: duplicate key value violates unique constraint "users_email_key"'
    assert dup.chain[0].exc == "error"
    assert found[("users repo adds numbers", "call")].chain[0].exc == "Error"
    assert found[("users repo passes", "call")].outcome == "passed"


# -- system-out / system-err with -o junit_logging=all: tests/fixtures/pytest/accounts-junit.xml ----

ACCOUNTS = FIX / "accounts-junit.xml"
ACC = "tests/test_accounts.py::"
DUP = 'duplicate key value violates unique constraint "users_email_key"'


def file_line(path: Path, start: str) -> int:
    for no, line in enumerate(path.read_text().split("\n"), 1):
        if line.startswith(start):
            return no
    raise AssertionError(start)


def test_captured_log_and_error_output_carry_the_testcase_id() -> None:
    events, _ = read(ACCOUNTS.read_bytes())
    logs = [e for e in events if e.kind == "log"]
    assert all(e.fmt == "junit" for e in logs)
    (warn,) = [e for e in logs if DUP in e.text]
    assert (warn.test, warn.level) == (ACC + "test_signup_saves_user", "warn")
    assert warn.text == f"user not saved: {DUP}\nDETAIL:  Key (email)=(a@x.io) already exists."
    assert warn.line == file_line(ACCOUNTS, "WARNING  app.repo:test_accounts.py:18")
    assert warn.end_line == warn.line + 1
    profile = [(e.level, e.text) for e in logs if e.test == ACC + "test_profile"]
    assert profile == [
        ("info", "connecting to triage_h1"),
        ("info", "loading profile"),
        ("info", "closed"),
    ]
    # Captured Err: the printed driver error, with its DETAIL line, at no level
    (printed,) = [e for e in logs if e.text.startswith("import_users: ForeignKeyViolation")]
    assert printed.test == ACC + "test_import_users" and printed.level is None
    assert printed.line == file_line(ACCOUNTS, "import_users: ForeignKeyViolation")
    assert printed.text.endswith('DETAIL:  Key (org_id)=(99) is not present in table "orgs".')
    assert not any("signing up" in e.text for e in logs)  # plain stdout is not evidence
    tests = [e for e in events if e.kind == "test"]
    assert len(tests) == 4  # the testcases themselves are unchanged


def test_failing_assert_is_explained_by_the_error_in_system_out() -> None:
    from tests.test_pytest_text import explained

    signup, imported = explained("accounts-junit.xml")
    assert signup == ("assert False", "test", "users_email_key", {"email": "a@x.io"})
    assert imported[1:] == ("chain", "users_org_id_fkey", {"org_id": "99"})


def test_unbannered_system_out_keeps_only_error_lines() -> None:
    # other tools (jest-junit) write console output without pytest's banners
    xml = (
        b'<testsuite><testcase classname="a" name="b"><system-out>starting\n'
        b"could not save: SQLSTATE 23505\n</system-out></testcase></testsuite>"
    )
    events, _ = read(xml)
    (case,) = [e for e in events if e.kind == "test"]
    assert [(e.kind, e.test, e.line, e.text) for e in events if e.kind == "log"] == [
        ("log", case.test, 2, "could not save: SQLSTATE 23505")
    ]
