"""pino-pretty output of the real CLI (13.2.0 default, -t SYS:standard, -S, -l; 8.1.0) rebuilt into
the pino records it was made from (tests/fixtures/node/pretty-src.log)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from triage.inputs import ReadResult, pino_pretty, read_inputs
from triage.inputs.pino_pretty import PrettyParser

NODE = Path(__file__).parent / "fixtures" / "node"
SOURCE = [
    orjson.loads(line)
    for line in (NODE / "pretty-src.log").open(encoding="utf-8")
    if line.startswith("{")
]
VARIANTS = ["pretty-default", "pretty-t", "pretty-S", "pretty-lt", "pretty-v8"]
QUIET_LEVELS = pino_pretty.QUIET_LEVELS


@pytest.fixture(autouse=True)
def every_record_loud(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests check how each record is rebuilt, quiet ones too (an INFO record with no
    error-like word yields no Event: see the last tests)."""
    monkeypatch.setattr(pino_pretty, "QUIET_LEVELS", frozenset())


def pretty_events(name: str) -> list:
    return [
        ev
        for ev in read_inputs([str(NODE / f"{name}.log")], ReadResult())
        if ev.fmt == "pino-pretty"
    ]


@pytest.mark.parametrize("name", VARIANTS)
def test_every_variant_gives_one_event_per_record_with_the_same_envelope(name):
    events = pretty_events(name)
    assert [ev.text for ev in events] == [rec["msg"] for rec in SOURCE]
    assert [ev.level for ev in events] == ["info", "warn", "error", "error", "info"]
    assert [ev.id_value("reqId") for ev in events] == [None, "req-1", "req-1", None, None]
    assert events[3].id_value("jobId") == "job-7"
    assert events[0].id_value("logger") == "api"
    assert events[4].id_value("logger") is None  # "INFO (20863): no name here"
    assert {ev.id_value("pid") for ev in events} == {"20863"}


@pytest.mark.parametrize("name", VARIANTS)
def test_error_blocks_are_rebuilt_exactly_including_the_raw_stack(name):
    events = pretty_events(name)
    assert events[2].data["err"] == SOURCE[2]["err"]
    assert events[2].data["err"]["code"] == "23505"
    assert events[2].data["err"]["constraint"] == "users_email_key"
    assert events[3].data["err"] == SOURCE[3]["err"]
    assert "\ncaused by: error: insert or update on table" in events[3].data["err"]["stack"]


def test_line_ranges_cover_the_whole_record_and_leave_console_lines_alone():
    events = pretty_events("pretty-default")
    assert [(ev.line, ev.end_line) for ev in events] == [
        (1, 1),
        (2, 4),
        (5, 26),
        (27, 40),
        (42, 42),
    ]
    single = pretty_events("pretty-S")  # properties on the header line as JSON
    assert [(ev.line, ev.end_line) for ev in single] == [
        (1, 1),
        (2, 2),
        (3, 23),
        (24, 36),
        (38, 38),
    ]
    assert single[1].data["userId"] == 42


def test_clock_times_without_a_date_stay_unknown_and_dated_times_are_utc():
    assert [ev.time for ev in pretty_events("pretty-default")] == [None] * 5
    expected = "2026-11-21T01:20:44.811Z"  # SOURCE[2]["time"] == 1795224044811
    assert SOURCE[2]["time"] == 1795224044811
    assert pretty_events("pretty-t")[2].time == expected
    assert pretty_events("pretty-lt")[2].time == expected
    old = pretty_events("pretty-v8")[2]  # "[1795224044811] ERROR (api/20863 on ci-runner): ..."
    assert old.time == expected
    assert old.data["hostname"] == "ci-runner"


def test_a_record_cut_off_inside_its_error_block_still_yields_what_was_printed():
    lines = (NODE / "pretty-default.log").read_text(encoding="utf-8").split("\n")
    parser = PrettyParser("cut.log")
    claimed = [parser.feed(no, line)[0] for no, line in enumerate(lines[4:23], start=5)]
    assert all(claimed)
    (ev,) = parser.close()
    assert ev.line == 5
    assert ev.data["err"]["code"] == "23505"
    assert ev.data["err"]["constraint"] == "users_email_key"


def test_lines_that_only_look_like_levels_are_not_claimed():
    parser = PrettyParser("x.log")
    for line in (
        'ERROR:  duplicate key value violates unique constraint "users_email_key"',
        "INFO done",
        "[vite] ready",
    ):
        assert parser.feed(1, line) == (False, [])
    assert parser.close() == []


@given(
    st.lists(
        st.text(max_size=40)
        | st.sampled_from(
            ["    err: {", '      "stack":', "    }", "[1] INFO (a/1): m", "    k: {"]
        ),
        max_size=30,
    )
)
def test_parser_never_raises_on_arbitrary_lines(lines):
    parser = PrettyParser("x.log")
    for no, line in enumerate(lines, start=1):
        claimed, events = parser.feed(no, line)
        assert isinstance(claimed, bool)
    parser.close()


def test_a_quiet_record_yields_no_event_as_its_json_twin_is_passed_over(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An INFO-or-lower record holding none of pino's quiet-record needles yields no Event, as
    the same record written as JSON is passed over unread (a big pretty log is mostly such
    records); a WARN or ERROR record, or an INFO one naming an error or a 5xx status, does."""
    monkeypatch.setattr(pino_pretty, "QUIET_LEVELS", QUIET_LEVELS)
    for name in VARIANTS:
        events = pretty_events(name)
        assert [ev.level for ev in events] == ["warn", "error", "error"], name
        assert events[1].data["err"] == SOURCE[2]["err"]
    parser = PrettyParser("x.log")
    lines = [
        "[01:26:11.490] INFO (api/20863): request completed",
        "    res: {",
        '      "statusCode": 503',
        "    }",
        "[01:26:11.491] INFO (api/20863): request completed",
        "    statusCode: 200",
        "[01:26:11.492] DEBUG (api/20863): retry attempt 2",
        '[01:26:11.493] INFO (api/20863): request completed {"statusCode":500}',  # -S
    ]
    events = [ev for no, line in enumerate(lines, 1) for ev in parser.feed(no, line)[1]]
    events += parser.close()
    assert [(ev.line, ev.text) for ev in events] == [
        (1, "request completed"),  # a 5xx inside an object
        (7, "retry attempt 2"),  # an attempt
        (8, "request completed"),  # a 5xx in single-line JSON
    ]
    assert events[0].data["res"] == {"statusCode": 503}
