"""vitest, jest and node:test output captured from real runs against PostgreSQL (tests/fixtures/node)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from triage.inputs import ReadResult, read_inputs
from triage.inputs.jsrunner import JsRunnerParser

NODE = Path(__file__).parent / "fixtures" / "node"
RUNNER_FMTS = ("vitest-text", "jest-text", "node-test-text")


def read(name: str) -> tuple[list, list, list, list]:
    """(failed tests, passed tests, exit summaries, pino events) of one capture."""
    events = list(read_inputs([str(NODE / f"{name}.log")], ReadResult()))
    tests = [ev for ev in events if ev.kind == "test" and ev.fmt in RUNNER_FMTS]
    failed = [ev for ev in tests if ev.outcome == "failed"]
    passed = [ev for ev in tests if ev.outcome == "passed"]
    exits = [ev for ev in events if ev.kind == "exit" and ev.fmt in RUNNER_FMTS]
    pino = [ev for ev in events if ev.fmt == "pino"]
    return failed, passed, exits, pino


def test_vitest_failures_carry_ids_messages_cause_chain_and_driver_fields():
    failed, passed, exits, pino = read("vitest")
    assert [(ev.test, ev.line) for ev in failed] == [
        ("tests/db.test.ts > users > creates a user", 14),
        ("tests/db.test.ts > jobs > finishes the job", 32),
        ("tests/db.test.ts > jobs > raises the raw driver error", 48),
    ]
    created, assertion, raw = failed
    assert created.text == "Error: createUser failed"
    assert [(link.exc, link.line) for link in created.chain] == [("Error", 15), ("error", 24)]
    assert created.chain[-1].message == (
        'insert or update on table "users" violates foreign key constraint "users_org_id_fkey"'
    )
    assert created.data["err"]["code"] == "23503"  # from vitest's "Serialized Error: { ... }"
    assert created.data["err"]["constraint"] == "users_org_id_fkey"
    assert assertion.text == "AssertionError: expected 'failed' to be 'done' // Object.is equality"
    assert raw.text == 'error: duplicate key value violates unique constraint "users_email_key"'
    assert all(ev.phase == "call" and ev.fmt == "vitest-text" for ev in failed)
    assert [ev.test for ev in passed] == ["tests/db.test.ts > lists users"]
    assert [(ev.line, ev.text, ev.outcome) for ev in exits] == [
        (62, "Test Files 1 failed | 1 passed (2); Tests 3 failed | 2 passed (5)", "failed")
    ]
    # the pino line a test wrote in the middle of the run is still read as pino
    assert [(ev.line, ev.data["err"]["code"]) for ev in pino] == [(4, "23503")]


def test_vitest_verbose_lists_every_passed_test_with_its_full_id():
    failed, passed, _, _ = read("vitest-verbose")
    assert [ev.test for ev in passed] == [
        "tests/db.test.ts > users > lists users",
        "tests/ok.test.ts > adds",
    ]
    assert len(failed) == 3
    assert failed[2].data["err"]["constraint"] == "users_email_key"


def test_jest_failures_with_cause_blocks_and_summary():
    failed, passed, exits, pino = read("jest")
    assert [(ev.test, ev.line) for ev in failed] == [
        ("tests/db.test.js > users > creates a user", 3),
        ("tests/db.test.js > jobs > finishes the job", 31),
        ("tests/db.test.js > jobs > raises the raw driver error", 48),
    ]
    created = failed[0]
    assert created.text == "createUser failed"
    assert created.chain[1].exc == "error"
    assert created.chain[1].message.endswith('violates foreign key constraint "users_org_id_fkey"')
    assert created.chain[1].line == 18
    assert failed[1].text == "expect(received).toBe(expected) // Object.is equality"
    assert passed == []  # non-verbose jest lists no passed tests
    assert (
        exits[0].text
        == "Test Suites: 1 failed, 1 passed, 2 total; Tests: 3 failed, 2 passed, 5 total"
    )
    assert len(pino) == 1


def test_jest_verbose_passed_tests_get_their_suite():
    failed, passed, _, _ = read("jest-verbose")
    assert [(ev.test, ev.line) for ev in passed] == [
        ("tests/db.test.js > users > lists users", 5),
        ("tests/ok.test.js > adds", 71),
    ]
    assert [ev.line for ev in failed] == [10, 38, 55]


def test_node_test_spec_reads_each_failure_once_with_the_inspected_error_fields():
    failed, passed, exits, _ = read("node-spec")
    assert [(ev.test, ev.line) for ev in failed] == [
        ("orgs > deletes an org", 2),
        ("orgs > names the org", 31),
    ]
    deleted = failed[0]
    assert deleted.text.startswith('error: update or delete on table "orgs" violates foreign key')
    assert deleted.data["err"]["code"] == "23503"
    assert deleted.data["err"]["detail"] == 'Key (id)=(1) is still referenced from table "users".'
    assert deleted.data["err"]["constraint"] == "users_org_id_fkey"
    assert failed[1].text == "AssertionError: Expected values to be strictly equal:"
    assert [ev.test for ev in passed] == ["orgs > counts orgs"]
    assert [(ev.line, ev.text) for ev in exits] == [(54, "tests 3; pass 1; fail 2")]


def test_node_test_tap_reads_yaml_diagnostics_and_skips_the_suite_result():
    failed, passed, exits, _ = read("node-tap")
    assert [(ev.test, ev.line) for ev in failed] == [
        ("orgs > deletes an org", 4),
        ("orgs > names the org", 27),
    ]
    assert failed[0].data["err"]["code"] == "23503"
    assert failed[0].chain[0].exc == "error"
    assert failed[0].chain[0].line == 9
    assert failed[1].data["err"]["location"] == "/app/tests/node.test.mjs:12:3"
    assert [ev.test for ev in passed] == ["orgs > counts orgs"]
    assert exits[0].text == "tests 3; pass 1; fail 2"


def test_mixed_stream_keeps_runner_and_pino_and_pretty_apart(tmp_path):
    vitest = (NODE / "vitest.log").read_text(encoding="utf-8")
    pretty = (NODE / "pretty-default.log").read_text(encoding="utf-8")
    mixed = tmp_path / "ci.log"
    mixed.write_text(pretty + vitest, encoding="utf-8")
    events = list(read_inputs([str(mixed)], ReadResult()))
    offset = pretty.count("\n")
    fails = [ev for ev in events if ev.kind == "test" and ev.outcome == "failed"]
    assert [ev.line - offset for ev in fails] == [14, 32, 48]
    pretty_errors = [ev for ev in events if ev.fmt == "pino-pretty" and ev.level == "error"]
    assert [(ev.line, ev.data["err"].get("code")) for ev in pretty_errors] == [
        (5, "23505"),
        (27, None),
    ]
    assert [ev.line - offset for ev in events if ev.fmt == "pino"] == [4]


def test_ordinary_text_is_not_claimed():
    parser = JsRunnerParser("x.log")
    for no, line in enumerate(
        ["plain console line", "  at foo (bar.js:1:1)", "Error: boom", ""], start=1
    ):
        assert parser.feed(no, line) == (False, [])
    assert parser.close() == []


runner_lines = st.sampled_from(
    [
        " FAIL  a.test.ts > s > t",
        "FAIL a.test.js",
        "  ● s › t",
        "    Cause:",
        "TAP version 13",
        "# Subtest: t",
        "not ok 1 - t",
        "  error: |-",
        "▶ s",
        "  ✖ t (1ms)",
        "✖ failing tests:",
        "ℹ tests 1",
        " Test Files  1 failed (1)",
        "⎯⎯⎯ Failed Tests 1 ⎯⎯⎯",
        " ❯ a.test.ts (1 test | 1 failed) 3ms",
    ]
)


@given(st.lists(runner_lines | st.text(max_size=40), max_size=40))
def test_parser_never_raises_on_arbitrary_lines(lines):
    parser = JsRunnerParser("x.log")
    for no, line in enumerate(lines, start=1):
        claimed, events = parser.feed(no, line)
        assert isinstance(claimed, bool)
    parser.close()


def test_pino_pretty_after_a_jest_run_is_left_to_the_pretty_reader(tmp_path):
    jest = (NODE / "jest-verbose.log").read_text(encoding="utf-8")
    pretty = (NODE / "pretty-default.log").read_text(encoding="utf-8")
    mixed = tmp_path / "ci.log"
    mixed.write_text(jest + pretty, encoding="utf-8")
    events = list(read_inputs([str(mixed)], ReadResult()))
    offset = jest.count("\n")
    records = [ev for ev in events if ev.fmt == "pino-pretty"]
    # the WARN and ERROR records (the INFO ones are quiet: no Event, see test_pino_pretty)
    assert [(ev.line - offset, ev.end_line - offset) for ev in records] == [
        (2, 4),
        (5, 26),
        (27, 40),
    ]
    assert records[0].id_value("reqId") == "req-1"
    assert len([ev for ev in events if ev.fmt == "jest-text" and ev.kind == "test"]) == 5
