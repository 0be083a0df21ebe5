"""pytest terminal output: real captures of one suite in every style (tests/fixtures/pytest/*.log).

The suite (make_fixtures.py) fails on real PostgreSQL errors through psycopg2, psycopg 3,
SQLAlchemy (psycopg2 + asyncpg), asyncpg, a wrapper exception, an implicit chain, a 25P02, an
exception group, a fixture setup error, a teardown error, a collection error and an assertion.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from triage.inputs import ReadResult, linescan, pytest_text, read_inputs, stream
from triage.inputs.pytest_parts import Entry, EntryIndex, Section, title_to_id, word_of
from triage.inputs.pytest_text import VERBOSE, PytestParser, progress_run_py
from triage.model import Event

FIX = Path(__file__).parent / "fixtures" / "pytest"
MOD = "tests/test_orders.py::"
DUP = 'duplicate key value violates unique constraint "users_email_key"'
DUP_DETAIL = "DETAIL:  Key (email)=(a@x.io) already exists."

ALL_FAILED = {
    "test_duplicate_email",
    "TestRepo::test_psycopg3_fk",
    "test_param[dup email]",
    "test_sqlalchemy_fk",
    "test_sqlalchemy_asyncpg",
    "test_asyncpg_not_null",
    "test_wrapped",
    "test_during_handling",
    "test_group",
    "test_assert",
}
EXPECTED = (
    {(MOD + name, "call", "failed") for name in ALL_FAILED}
    | {(MOD + "test_fixture_error", "setup", "error")}
    | {(MOD + "test_teardown_error", "teardown", "error")}
    | {("tests/test_broken_collect.py", "collect", "error")}
)


def lines_of(name: str) -> list[str]:
    return (FIX / name).read_text().split("\n")


def parse_lines(lines: list[str]) -> tuple[list[Event], list[tuple[int, str]]]:
    parser = PytestParser("run.log")
    events: list[Event] = []
    unclaimed = []
    for no, line in enumerate(lines, 1):
        claimed, done = parser.feed(no, line)
        events.extend(done)
        if not claimed and line:
            unclaimed.append((no, line))
    events.extend(parser.close())
    return events, unclaimed


def parse(name: str) -> list[Event]:
    return parse_lines(lines_of(name))[0]


def failures_of(events: list[Event]) -> dict[tuple[str | None, str | None], Event]:
    found = [e for e in events if e.kind == "test" and e.outcome != "passed"]
    keys = [(e.test, e.phase) for e in found]
    assert len(keys) == len(set(keys)), Counter(keys).most_common(3)
    return {(e.test, e.phase): e for e in found}


def line_no(name: str, text: str) -> int:
    """1-based number of the first line equal to ``text`` (or ending with it, after "...")."""
    for no, line in enumerate(lines_of(name), 1):
        if line == text or text.startswith("...") and line.endswith(text[3:]):
            return no
    raise AssertionError(f"{text!r} not in {name}")


@pytest.mark.parametrize(
    "name",
    ["default.log", "short.log", "line.log", "q.log", "v.log", "ra.log", "ci.log", "xdist.log"],
)
def test_every_style_reports_each_failure_once_with_its_db_cause(name: str) -> None:
    events, unclaimed = parse_lines(lines_of(name))
    assert unclaimed == []  # a pure pytest log: every line belongs to pytest
    found = failures_of(events)
    assert {(t, p, e.outcome) for (t, p), e in found.items()} == EXPECTED
    dup = found[(MOD + "test_duplicate_email", "call")]
    assert dup.chain[-1].exc == "psycopg2.errors.UniqueViolation"
    assert dup.chain[-1].message == f"{DUP}\n{DUP_DETAIL}"
    assert dup.text == f"psycopg2.errors.UniqueViolation: {DUP}\n{DUP_DETAIL}"
    # the Link points at the E line that prints the exception
    assert lines_of(name)[dup.chain[-1].line - 1].endswith(
        "psycopg2.errors.UniqueViolation: " + DUP
    )
    sqla = found[(MOD + "test_sqlalchemy_fk", "call")]
    assert [link.exc for link in sqla.chain] == [
        "sqlalchemy.exc.IntegrityError",
        "psycopg2.errors.ForeignKeyViolation",
    ]
    assert "[SQL: INSERT INTO users (org_id, email) VALUES (%(o)s, %(e)s)]" in sqla.chain[0].message
    assert sqla.chain[0].message.endswith(
        "(Background on this error at: https://sqlalche.me/e/21/gkpj)"
    )
    assert 'DETAIL:  Key (org_id)=(99) is not present in table "orgs".' in sqla.chain[1].message
    exits = [e for e in events if e.kind == "exit"]
    assert [(e.text, e.outcome) for e in exits] == [
        ("10 failed, 2 passed, 1 skipped, 1 xfailed, 3 errors in 0.50s", "failed")
    ]


def test_default_style_sections_locations_and_chains() -> None:
    found = failures_of(parse("default.log"))
    dup = found[(MOD + "test_duplicate_email", "call")]
    assert dup.line == line_no("default.log", "_" * 29 + " test_duplicate_email " + "_" * 29)
    assert dup.end_line == line_no("default.log", "... about to insert duplicate")

    wrapped = found[(MOD + "test_wrapped", "call")]
    assert wrapped.text == "test_orders.RepoError: could not save user"
    assert [link.exc for link in wrapped.chain] == [
        "test_orders.RepoError",
        "psycopg2.errors.CheckViolation",
    ]
    assert 'violates check constraint "users_age_check"' in wrapped.chain[1].message

    handling = found[(MOD + "test_during_handling", "call")]
    assert [link.exc for link in handling.chain] == [
        "psycopg2.errors.InFailedSqlTransaction",
        "psycopg2.errors.UniqueViolation",
    ]

    asyncpg = found[(MOD + "test_sqlalchemy_asyncpg", "call")]
    assert asyncpg.chain[-1].exc == "asyncpg.exceptions.UniqueViolationError"
    assert asyncpg.chain[-1].message == f"{DUP}\n{DUP_DETAIL}"

    group = found[(MOD + "test_group", "call")]
    assert group.text == "ExceptionGroup: save failed (2 sub-exceptions)"
    assert [link.exc for link in group.chain] == [
        "ExceptionGroup",
        "psycopg2.errors.UniqueViolation",  # sub-exception 1, read through the "| " gutter
        "KeyError",
        "psycopg2.errors.UniqueViolation",  # the context printed before the group
    ]
    assert group.chain[1].message == f"{DUP}\n{DUP_DETAIL}"

    setup = found[(MOD + "test_fixture_error", "setup")]
    assert setup.chain[0].message.endswith("DETAIL:  Key (id)=(1) already exists.")
    teardown = found[(MOD + "test_teardown_error", "teardown")]
    assert "users_org_id_fkey" in teardown.text
    collect = found[("tests/test_broken_collect.py", "collect")]
    assert collect.text == "ModuleNotFoundError: No module named 'nonexistent_module_xyz'"

    failed_assert = found[(MOD + "test_assert", "call")]
    assert failed_assert.chain[0].exc == "AssertionError"  # from the crash location line
    assert failed_assert.chain[0].message.startswith("assert [1, 2] == [1, 5]\n")


def test_captured_log_records_belong_to_their_test() -> None:
    logs = [e for e in parse("default.log") if e.kind == "log"]
    assert [(e.test, e.level) for e in logs] == [
        (MOD + "test_duplicate_email", "warn"),
        (MOD + "test_wrapped", "error"),
    ]
    err = logs[1]
    assert err.text.startswith(
        'insert failed: new row for relation "users" violates check constraint'
    )
    assert err.text.endswith("DETAIL:  Failing row contains") is False
    assert "\nDETAIL:  Failing row contains (" in err.text
    assert err.end_line == err.line + 1


def test_native_style_reads_bare_exception_lines() -> None:
    found = failures_of(parse("native.log"))
    dup = found[(MOD + "test_duplicate_email", "call")]
    assert dup.chain[0].exc == "psycopg2.errors.UniqueViolation"
    assert dup.chain[0].message == f"{DUP}\n{DUP_DETAIL}"
    wrapped = found[(MOD + "test_wrapped", "call")]
    assert [link.exc for link in wrapped.chain] == [
        "test_orders.RepoError",
        "psycopg2.errors.CheckViolation",
    ]
    assert (
        found[(MOD + "test_fixture_error", "setup")].chain[0].exc
        == "psycopg2.errors.UniqueViolation"
    )


def test_tb_no_builds_events_from_the_cut_summary() -> None:
    found = failures_of(parse("no.log"))
    assert len(found) == 13
    dup = found[(MOD + "test_duplicate_email", "call")]
    assert dup.text == "psycopg2.errors.UniqueVio..."
    assert dup.chain == ()  # the class name itself is cut: nothing trustworthy to chain
    wrapped = found[(MOD + "test_wrapped", "call")]
    assert wrapped.chain[0].exc == "test_orders.RepoError"
    assert dup.line == line_no(
        "no.log", "FAILED tests/test_orders.py::test_duplicate_email - psycopg2.errors.UniqueVio..."
    )


def test_tb_no_with_verbose_progress_tells_teardown_from_setup() -> None:
    found = failures_of(parse("no-v.log"))
    assert {(t, p, e.outcome) for (t, p), e in found.items()} == EXPECTED
    assert found[(MOD + "test_teardown_error", "teardown")].text == "psycopg2.errors.ForeignKeyV..."


def test_long_ci_summary_alone_gives_full_messages() -> None:
    lines = lines_of("ci.log")
    start = lines.index(
        "=========================== short test summary info ============================"
    )
    found = failures_of(parse_lines(lines[start:])[0])
    sqla = found[(MOD + "test_sqlalchemy_fk", "call")]
    assert sqla.chain[0].exc == "sqlalchemy.exc.IntegrityError"
    assert "[SQL: INSERT INTO users (org_id, email) VALUES (%(o)s, %(e)s)]" in sqla.text
    assert sqla.end_line - sqla.line == 5  # DETAIL, blank, [SQL], [parameters], (Background ...)
    assert found[(MOD + "test_param[dup email]", "call")].text.endswith(DUP_DETAIL)


def test_xdist_sections_carry_the_worker() -> None:
    found = failures_of(parse("xdist.log"))
    assert found[(MOD + "test_duplicate_email", "call")].id_value("worker") in ("gw0", "gw1")
    assert all(e.id_value("worker") for (t, _), e in found.items() if "::" in (t or ""))


def test_passes_section_is_not_a_failure() -> None:
    events = parse("ra.log")
    passed = {e.test for e in events if e.kind == "test" and e.outcome == "passed"}
    assert passed == {MOD + "test_ok", MOD + "test_teardown_error"}
    assert (MOD + "test_ok", "call") not in failures_of(events)
    # its captured warning says nothing a report reads: not an event (see passes.log)
    assert not [e for e in events if e.kind == "log" and e.text == "slow connect"]


PASS = "tests/test_passes.py::"


def test_a_passing_tests_output_keeps_only_what_a_report_reads() -> None:
    """-rA prints every passing test's output: its records are kept when they say something a
    report reads (a database error, an error level, a retry), each with its test, whole; the
    rest (forty tests that print and log routine lines) are not events."""
    events = parse("passes.log")
    logs = [(e.test, e.level, e.text) for e in events if e.kind == "log"]
    fk = 'insert or update on table "users" violates foreign key constraint "users_org_id_fkey"'
    assert [(test, level, text.split("\n")[0]) for test, level, text in logs] == [
        (
            PASS + "test_signup_retries_a_taken_email",
            "warn",
            "signup failed, retrying with a new address (attempt 2): " + DUP,
        ),
        (PASS + "test_import_logs_the_traceback", "warn", "skipped one row"),
        (
            PASS + "test_cleanup_error_is_logged",
            "error",
            'cleanup of org 1 failed: update or delete on table "orgs" violates foreign key'
            ' constraint "users_org_id_fkey" on table "users"',
        ),
        (PASS + "test_prints_the_error", None, DUP),
    ]
    assert logs[0][2].endswith(DUP_DETAIL)
    assert f"psycopg2.errors.ForeignKeyViolation: {fk}" in logs[1][2]  # the whole record
    passed = [e.test for e in events if e.kind == "test" and e.outcome == "passed"]
    assert len(passed) == 44 and PASS + "test_quiet[39]" in passed
    assert [e.test for e in events if e.kind == "test" and e.outcome == "failed"] == [
        PASS + "test_fails"
    ]


def test_the_gate_reads_a_passing_tests_section_only_when_it_holds_a_kept_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With the gate on, the quiet tests' sections are passed over unread: the lines fed are
    those of the sections that hold a kept record (read from their title), and far fewer."""
    fed: list[str] = []
    real_feed = PytestParser.feed

    def feed(self: PytestParser, no: int, line: str) -> tuple[bool, list[Event]]:
        fed.append(line)
        return real_feed(self, no, line)

    monkeypatch.setattr(PytestParser, "feed", feed)
    monkeypatch.delenv("TRIAGE_NO_GATE", raising=False)
    events = list(read_inputs([str(FIX / "passes.log")], ReadResult()))
    assert "skipped one row" in [e.text.split("\n")[0] for e in events if e.kind == "log"]
    assert "WARNING  app.users:test_passes.py:30 skipped one row" in fed  # its section's head
    assert not [line for line in fed if "took long" in line][1:]  # one quiet section at most
    assert len(fed) < len(lines_of("passes.log")) / 2


def test_without_summary_module_comes_from_traceback_locations() -> None:
    lines = lines_of("default.log")
    cut = lines.index(
        "=========================== short test summary info ============================"
    )
    found = failures_of(parse_lines(lines[:cut])[0])
    assert (MOD + "test_duplicate_email", "call") in found
    assert (MOD + "TestRepo::test_psycopg3_fk", "call") in found
    assert ("test_fixture_error", "setup") in found  # only conftest.py in its traceback


def test_lines_around_pytest_output_are_left_for_other_parsers() -> None:
    lines = ["server listening on :3000", "GET /health 200", *lines_of("q.log"), "Done in 4.2s."]
    events, unclaimed = parse_lines(lines)
    assert [text for _, text in unclaimed] == [
        "server listening on :3000",
        "GET /health 200",
        "Done in 4.2s.",
    ]
    assert len(failures_of(events)) == 13


def _parsers() -> list[stream.ParserFactory]:
    try:
        return stream.text_parsers()
    except Exception:  # another reader mid-work must not hide ours
        return [PytestParser]


def test_read_inputs_reads_pytest_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stream, "text_parsers", _parsers)
    result = ReadResult()
    events = [e for e in read_inputs([str(FIX / "short.log")], result) if e.fmt == "pytest-text"]
    found = failures_of(events)
    assert {(t, p, e.outcome) for (t, p), e in found.items()} == EXPECTED
    assert all(e.path.endswith("short.log") for e in events)
    (stats,) = result.stats
    assert "pytest-text" in stats.formats
    assert stats.lines == len(lines_of("short.log")) - 1  # the file ends with "\n"


REAL_LINES = [line for name in ("default.log", "line.log", "xdist.log") for line in lines_of(name)]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=80), st.sampled_from(REAL_LINES)), max_size=60))
def test_arbitrary_lines_never_raise(lines: list[str]) -> None:
    events, _ = parse_lines(lines)
    keys = [(e.test, e.phase) for e in events if e.kind == "test"]
    assert len(keys) == len(set(keys))


# -- live logging (log_cli) and captured logs explaining a test: the accounts suite ------------

ACC = "tests/test_accounts.py::"
DUP_KEY = 'duplicate key value violates unique constraint "users_email_key"'


def explained(name: str) -> list[tuple[str, str, str, dict[str, str]]]:
    """(message, scope, constraint, key) of each failing accounts test, through the pipeline."""
    from triage.pipeline import analyze
    from triage.report import report_data

    data = report_data(analyze([str(FIX / name)]))
    findings = {f["id"]: f for f in data["findings"]}
    out = []
    for test in ("test_signup_saves_user", "test_import_users"):
        (fail,) = [f for f in data["failures"] if f["test"] == ACC + test]
        root = findings[fail["root"]]
        out.append((fail["message"].split("\n")[0], fail["scope"], root["constraint"], root["key"]))
    assert data["unexplained"] == []
    return out


@pytest.mark.parametrize("name", ["accounts-live.log", "accounts-live-v.log"])
def test_live_log_records_belong_to_the_running_test(name: str) -> None:
    events, unclaimed = parse_lines(lines_of(name))
    assert unclaimed == []  # live-log titles, records and bare "PASSED [ 50%]" lines are pytest's
    logs = [(e.test, e.phase, e.level, e.text.split(":")[0]) for e in events if e.kind == "log"]
    profile = [x for x in logs if x[0] == ACC + "test_profile"]
    assert profile == [
        (ACC + "test_profile", "setup", "info", "connecting to triage_h1"),
        (ACC + "test_profile", "call", "info", "loading profile"),
        (ACC + "test_profile", "teardown", "info", "closed"),  # printed after its PASSED line
    ]
    (warn,) = [
        e for e in events if e.kind == "log" and DUP_KEY in e.text
    ]  # not again from FAILURES
    assert (warn.test, warn.phase, warn.level) == (ACC + "test_signup_saves_user", "call", "warn")
    assert warn.text == f"user not saved: {DUP_KEY}\n{DUP_DETAIL}"
    start = line_no(name, "WARNING  app.repo:test_accounts.py:18 user not saved: " + DUP_KEY)
    assert (warn.line, warn.end_line) == (start, start + 2)  # record, DETAIL, blank
    fails = failures_of(events)
    assert set(fails) == {
        (ACC + "test_signup_saves_user", "call"),
        (ACC + "test_import_users", "call"),
    }


@pytest.mark.parametrize("name", ["accounts-live.log", "accounts-live-v.log"])
def test_failing_assert_is_explained_by_its_live_logged_error(name: str) -> None:
    signup, imported = explained(name)
    assert signup == ("assert False", "test", "users_email_key", {"email": "a@x.io"})
    assert imported[1:] == ("chain", "users_org_id_fkey", {"org_id": "99"})


def test_live_log_block_at_end_of_input_is_flushed() -> None:
    lines = lines_of("accounts-live.log")
    cut = lines.index(
        "------------------------------ live log teardown -------------------------------"
    )
    events, _ = parse_lines(lines[: cut + 2])
    last = [e for e in events if e.kind == "log"][-1]
    assert (last.test, last.phase, last.text) == (ACC + "test_profile", "teardown", "closed")


def test_each_run_in_one_log_reports_its_own_outcomes() -> None:
    """A job that runs the suite twice into one log: the failure of the first run and the pass
    of the second are both read (the second is what tells a flaky test), each run once."""
    events = parse("rerun.log")
    tests = [(e.test, e.outcome) for e in events if e.kind == "test"]
    assert tests.count(("tests/test_rerun.py::test_signup", "failed")) == 1
    assert tests.count(("tests/test_rerun.py::test_signup", "passed")) == 1
    # passing in both runs: one pass, the first (the same in every run; observe keeps one)
    assert tests.count(("tests/test_rerun.py::test_orgs", "passed")) == 1
    assert tests.count(("tests/test_rerun.py::test_member_of_missing_org", "failed")) == 2
    failed = next(e for e in events if e.outcome == "failed" and e.kind == "test")
    assert failed.chain and failed.chain[-1].exc == "psycopg2.errors.UniqueViolation"
    starts = [no for no, line in enumerate(lines_of("rerun.log"), 1) if "session starts" in line]
    assert len(starts) == 2 and failed.line < starts[1]  # the first run's


LAZY_VERBOSE = re.compile(r"^(\S+::.*?) (PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)\b.*\[ *\d+%\]$")
VERBOSE_TOKENS = ["PASSED", "FAILED", "ERROR", "XPASS", "PASSEDX", "x[p", "q]", "::", "a\tb", ""]
VERBOSE_LINES = st.builds(
    lambda head, tokens, gaps, tail: (
        head + "".join(g + t for g, t in zip(gaps, tokens, strict=False)) + tail
    ),
    st.sampled_from(["a::b", "t.py::c[1]", "a b::c", "::", "x"]),
    st.lists(st.sampled_from(VERBOSE_TOKENS), max_size=6),
    st.lists(st.sampled_from([" ", "  ", "\t", ""]), min_size=6, max_size=6),
    st.sampled_from([" [ 50%]", " [100%]", "[ 5%]", " %]", "", " [x%]"]),
)


@settings(max_examples=2000, deadline=None)
@example("a::b PASSED FAILED [ 50%]")
@example("a::b x PASSED  [100%]")
@example("a::b PASSEDX FAILED [ 5%]")
@given(VERBOSE_LINES)
def test_the_verbose_pattern_matches_what_its_lazy_spelling_matches(line: str) -> None:
    """pytest_text.VERBOSE is written token by token for speed; the plain lazy regex is the
    specification: same lines, same groups."""
    want = LAZY_VERBOSE.match(line)
    got = VERBOSE.match(line)
    assert (got and got.groups()) == (want and want.groups())


def test_the_verbose_pattern_on_real_v_lines() -> None:
    lines = [ln for name in ("v.log", "no-v.log", "xdist.log") for ln in lines_of(name)]
    assert sum(1 for ln in lines if LAZY_VERBOSE.match(ln)) > 10
    for line in lines:
        want, got = LAZY_VERBOSE.match(line), VERBOSE.match(line)
        assert (got and got.groups()) == (want and want.groups())


def first_matching_entry(sec: Section, entries: list[Entry], used: set[int]) -> int | None:
    """The specification EntryIndex.match is held to: a scan of the summary in order."""
    title = sec.title or ""
    word = "FAILED" if sec.phase == "call" else "ERROR"
    if sec.kind == "PASSES":
        word = "PASSED"
    suffix = "::" + title_to_id(title)
    for k, entry in enumerate(entries):
        if (
            k not in used
            and entry.word == word
            and (entry.test == title or entry.test.endswith(suffix))
        ):
            return k
    return None


NAMES = st.sampled_from(["t.py", "a", "C", "test_x", "test_x[p::q]", "x[1]"])
NODE_IDS = st.lists(NAMES, min_size=1, max_size=3).map("::".join)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(["FAILED", "ERROR", "PASSED"]), NODE_IDS), max_size=8),
    st.lists(
        st.tuples(
            st.sampled_from([("call", "FAILURES"), ("setup", "ERRORS"), ("call", "PASSES")]),
            st.lists(NAMES, min_size=1, max_size=2).map(".".join),
        ),
        max_size=8,
    ),
)
def test_the_entry_index_matches_sections_as_a_scan_of_the_summary_does(
    entries: list[tuple[str, str]], sections: list[tuple[tuple[str, str], str]]
) -> None:
    summary = [Entry(word, test, "", no, no) for no, (word, test) in enumerate(entries)]
    secs = [Section(title, phase, kind, 1) for (phase, kind), title in sections]
    index = EntryIndex(summary, {word_of(sec) for sec in secs})  # the words they need
    used: set[int] = set()
    for sec in secs:
        want = first_matching_entry(sec, summary, used)
        assert index.match(sec, used) == want
        if want is not None:
            used.add(want)


def test_take_reads_only_the_lines_feed_would_read_as_v_progress() -> None:
    """``take`` (a run of -v lines at once) stops at the first line feed() would not claim as
    one: xdist output, a line read_stream takes for JSON, anything else."""
    lines = [ln for ln in lines_of("v.log") if VERBOSE.match(ln)]
    assert len(lines) > 5
    parser = PytestParser("run.log")
    parser.feed(
        1, "============================= test session starts =============================="
    )
    parser.feed(2, "")  # the header's end: the run state, where -v lines come
    assert parser.take(lines[:3]) == 3 and parser.running == VERBOSE.match(lines[2]).group(1)
    for odd in ("{" + lines[0], "svc::a | {" + lines[0], "[gw0] " + lines[0], "", "plain"):
        assert parser.take([odd, *lines]) == 0
    assert parser.take([*lines[:2], "plain", *lines]) == 2


PROGRESS_PIECES = [
    b"t.py::test_x",
    b"a::b[1 2]",
    b"::",
    b"x",
    b" ",
    b"  ",
    b"\t",
    b" PASSED",
    b" ERROR",
    b" FAILED",
    b" XPASSED",
    b" SKIPPED",
    b" [ 50%]",
    b" [100%]",
    b"[",
    b"{",
    b" | {",
    b"%]",
    b"9",
    b"\r",
    b"\xc3\xa9",
    b"\x1b",
]
PROGRESS_LINES = st.lists(st.sampled_from(PROGRESS_PIECES), max_size=7).map(b"".join)
REAL_V = [ln.encode() for ln in lines_of("v.log") + lines_of("xdist.log") if VERBOSE.match(ln)]


# lines on the edge of what the scanner may take (each one is left to the Python reader)
PROGRESS_EDGES = [
    b"t.py::x | { PASSED [ 50%]",
    b"{t.py::x PASSED [ 50%]",
    b"[gw0] t.py::x PASSED [ 50%]",
    b"t.py::t\xc3\xa9 PASSED [ 50%]",
    b"t.py::x PASSED [ 50%]\r",
    b"t.py::x\tPASSED [ 50%]",
    b"t.py::x PASSEDX [ 50%]",
    b"t.py::x PASSED_ [ 50%]",
    b"t.py::x PASSED[ 5%]",
    b"t.py::x PASSED [%]",
    b"t.py:x PASSED [ 5%]",
    b"::x PASSED [ 5%]",
    b"t.py::x [ 5%] PASSED",
    b"t.py::x ERROR [ 5%]",
    # past the first 16 bytes (the native scan looks at 16 at a time)
    b"tests/test_orders.py::test_long_name\xc3\xa9 PASSED [ 50%]",
    b"tests/test_orders.py::test_long_name | { PASSED [ 50%]",
    b"tests/test_orders.py::test_long_name|x PASSED [ 50%]",
    b"tests/test_orders.py::test_long_name\x7f PASSED [ 50%]",
    b"tests/test_orders.py::test_long_name\tx PASSED             [ 50%]",
    b"tests/test_orders.py::test_long_name[a|b] PASSED            [ 50%]",
    # CRLF (a log written on Windows): the reader drops one "\r" before the "\n"
    b"t.py::x PASSED [ 50%]\r",
    b"t.py::x PASSED [ 50%]\r\r",
    b"t.py::x PASSED [ 50%]\rx",
    b"\r",
]


@settings(max_examples=1500, deadline=None)
@example([REAL_V[0], REAL_V[1].replace(b"PASSED", b"ERROR"), REAL_V[2]], 0)
@example([REAL_V[0], *PROGRESS_EDGES[:1], REAL_V[1]], 0)
@given(
    st.lists(
        PROGRESS_LINES | st.sampled_from(REAL_V) | st.sampled_from(PROGRESS_EDGES), max_size=12
    ),
    st.integers(0, 3),
)
def test_the_native_progress_scan_equals_its_reference(lines: list[bytes], skip: int) -> None:
    """linescan.progress_run (C) finds the same -v lines as progress_run_py (VERBOSE on plain
    ASCII lines), with the same lines marked for reading."""
    if linescan.progress_run is None:
        if os.environ.get("CI"):
            raise AssertionError("CI builds the native scanner")
        pytest.skip("the C extension was not built here")
    data = b"".join(line + b"\n" for line in lines)
    start = 0
    for line in lines[:skip]:
        start += len(line) + 1
    start = min(start, len(data))
    assert linescan.progress_run(data, start, len(data)) == progress_run_py(data, start, len(data))


def test_a_crlf_verbose_log_is_taken_by_the_native_scan_as_its_lf_twin_is() -> None:
    """pytest -v written on Windows ends its lines with "\\r\\n": the scan takes them (the
    reader drops the "\\r"), marking the same lines, each ending before its "\\r"."""
    if linescan.progress_run is None:
        if os.environ.get("CI"):
            raise AssertionError("CI builds the native scanner")
        pytest.skip("the C extension was not built here")
    lf = b"".join(line + b"\n" for line in REAL_V)
    crlf = lf.replace(b"\n", b"\r\n")
    got, want = linescan.progress_run(crlf, 0, len(crlf)), linescan.progress_run(lf, 0, len(lf))
    assert got[0] == want[0] == len(REAL_V) and got[1] == len(crlf)
    assert [crlf[s:e] for _, s, e, _ in got[2]] == [lf[s:e] for _, s, e, _ in want[2]]
    assert got == progress_run_py(crlf, 0, len(crlf))


def test_each_edge_line_is_read_alike_by_the_scanner_and_its_reference() -> None:
    if linescan.progress_run is None:
        if os.environ.get("CI"):
            raise AssertionError("CI builds the native scanner")
        pytest.skip("the C extension was not built here")
    for edge in PROGRESS_EDGES:
        data = REAL_V[0] + b"\n" + edge + b"\n" + REAL_V[1] + b"\n"
        want = progress_run_py(data, 0, len(data))
        assert linescan.progress_run(data, 0, len(data)) == want, edge


SUMMARY_LINES = st.sampled_from(
    [
        "PASSED t.py::test_a",
        "PASSED t.py::test_b[x - y]",
        "PASSED t.py::test_a",
        "FAILED t.py::test_c - psycopg2.errors.UniqueViolation: duplicate key",
        "ERROR t.py::test_a - RuntimeError: teardown",
        "  continued message line",
        "DETAIL:  Key (email)=(a@x.io) already exists.",
        "!!!!!!!!!!!! xdist.dsession.Interrupted !!!!!!!!!!!!",
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(SUMMARY_LINES, max_size=12), st.lists(st.integers(0, 11), max_size=4))
def test_summary_lines_collected_in_runs_read_as_fed_one_by_one(
    lines: list[str], cuts: list[int]
) -> None:
    """The gate hands the short summary's PASSED and continuation lines to ``collected`` in runs
    (cut anywhere): the same events as feeding each line."""
    head = ["=" * 27 + " short test summary info " + "=" * 28]
    tail = ["1 failed, 2 passed in 0.50s"]
    fed = parse_lines(head + lines + tail)[0]
    parser = PytestParser("run.log")
    events = list(parser.feed(1, head[0])[1])
    run: list[tuple[int, str]] = []
    bounds = set(cuts)
    for no, line in enumerate(lines, 2):
        if (pytest_text.IN_SUMMARY.wants(line) or no - 2 in bounds) and run:
            parser.collected([n for n, _ in run], [t for _, t in run])
            run = []
        if pytest_text.IN_SUMMARY.wants(line):
            events.extend(parser.feed(no, line)[1])
        else:
            run.append((no, line))
    if run:
        parser.collected([n for n, _ in run], [t for _, t in run])
    events.extend(parser.feed(len(lines) + 2, tail[0])[1])
    events.extend(parser.close())
    assert events == fed


def test_a_closed_section_keeps_what_its_body_said_not_the_body() -> None:
    """A run's sections wait for the short summary to learn their node ids; each is read as it
    closes (its traceback, its text, the node id its locations give) and its body let go: a run
    of 25,000 failures held every traceback until the summary (317 MB -> 110 MB peak)."""
    lines = lines_of("short.log")
    cut = lines.index(
        "=========================== short test summary info ============================"
    )
    parser = PytestParser("run.log")
    for no, line in enumerate(lines[:cut], 1):
        parser.feed(no, line)
    parser._end_section()
    held = [sec for sec in parser.sections if sec.kind == "FAILURES"]
    assert held and all(sec.body == [] for sec in held)
    dup = next(sec for sec in held if sec.title == "test_duplicate_email")
    assert dup.chain[-1].exc == "psycopg2.errors.UniqueViolation" and DUP in dup.text
    assert dup.derived == MOD + "test_duplicate_email"  # what the summary would be asked for
    events = parse("short.log")
    assert failures_of(events)[(MOD + "test_duplicate_email", "call")].chain == dup.chain
