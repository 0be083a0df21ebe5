"""pino NDJSON and other JSON log lines, read from a real capture (tests/fixtures/node/app.log)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from triage.inputs import ReadResult, jsonquiet, read_inputs
from triage.inputs.pino import event_from_record, normalise_level, normalise_time

NODE = Path(__file__).parent / "fixtures" / "node"
APP = str(NODE / "app.log")
QUIET_LEVELS = jsonquiet.QUIET_LEVELS


@pytest.fixture(autouse=True)
def every_record(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests check what the reader makes of each record, quiet ones too: the rule that
    another JSON logger's quiet record is no Event (jsonquiet) is off unless a test turns it on."""
    monkeypatch.setattr(jsonquiet, "QUIET_LEVELS", frozenset())


def read(path: str) -> tuple[dict[int, object], ReadResult]:
    result = ReadResult()
    events = {ev.line: ev for ev in read_inputs([path], result) if ev.fmt in ("pino", "json")}
    return events, result


def captured_line(no: int) -> dict:
    return orjson.loads((NODE / "app.log").read_text(encoding="utf-8").split("\n")[no - 1])


def test_node_postgres_unique_violation_under_err_keeps_record_and_request_id():
    events, result = read(APP)
    ev = events[4]
    assert (ev.kind, ev.fmt, ev.level, ev.text) == ("log", "pino", "error", "query failed")
    assert ev.time == "2026-11-21T01:20:44.291Z"
    assert ev.id_value("reqId") == "req-1"
    assert ev.id_value("logger") == "api"
    assert ev.id_value("pid") == "20782"
    assert ev.data["err"]["code"] == "23505"
    assert ev.data["err"]["constraint"] == "users_email_key"
    assert ev.data["err"]["detail"] == "Key (email)=(a@x.io) already exists."
    assert result.stats[0].lines == 21


def test_child_bindings_give_job_and_request_ids():
    events, _ = read(APP)
    assert events[5].id_value("jobId") == "job-7"
    assert events[5].data["err"]["code"] == "23503"
    assert events[5].data["err"]["detail"] == 'Key (org_id)=(99) is not present in table "orgs".'
    assert events[6].text == "delete org failed"
    assert events[6].data["err"]["detail"] == 'Key (id)=(1) is still referenced from table "users".'
    assert events[12].id_value("reqId") == "req-2"
    assert events[12].data["err"]["type"] == "PostgresError"
    assert events[12].data["err"]["code"] == "42P10"
    assert events[13].id_value("jobId") == "job-8"
    assert events[13].id_value("logger") == "worker"


def test_error_key_without_message_and_wrapped_causes_are_kept_unparsed():
    events, _ = read(APP)
    plain = events[7]  # {error: err}: plain JSON, no message, code still there
    assert plain.text == "insert failed"
    assert plain.data["error"]["code"] == "23502"
    assert plain.data["error"]["column"] == "email"
    wrapped = events[8]  # default serializer folds the cause into message and stack
    assert wrapped.data["err"]["message"].startswith("createUser failed: duplicate key value")
    assert "\ncaused by: error: duplicate key" in wrapped.data["err"]["stack"]
    with_cause = events[13]  # errWithCause keeps the nested cause object
    assert with_cause.data["err"]["cause"]["constraint"] == "users_org_id_fkey"


def test_error_passed_alone_cascade_and_connection_refused():
    events, _ = read(APP)
    assert events[9].text == 'duplicate key value violates unique constraint "users_email_key"'
    assert events[10].data["err"]["code"] == "25P02"
    assert events[10].text == "follow-up query failed"
    assert events[14].data["err"]["code"] == "ECONNREFUSED"
    assert events[14].level == "error"


def test_iso_time_custom_level_and_string_level():
    events, _ = read(APP)
    audit = events[15]  # customLevels {audit: 35} + stdTimeFunctions.isoTime
    assert (audit.level, audit.time, audit.text) == (
        "info",
        "2026-11-21T01:20:44.353Z",
        "audit entry",
    )
    assert audit.id_value("reqId") == "req-3"
    retry = events[18]  # formatters.level -> "level":"warn"
    assert (retry.level, retry.time) == ("warn", "2026-11-21T01:20:44.354Z")
    assert retry.text == "Auth attempt 1 failed, retrying"


def test_u2028_record_stays_one_event_and_later_lines_keep_their_numbers():
    events, _ = read(APP)
    ev = events[16]
    assert ev.text == "line one\u2028line two"
    assert ev.id_value("reqId") == "req-4"
    assert 17 not in events  # the console.log line after it is not JSON
    assert events[18].text.startswith("Auth attempt 1")


def test_severity_key_microsecond_timestamp_and_message_key_make_a_json_event():
    events, _ = read(APP)
    ev = events[20]
    assert (ev.fmt, ev.level, ev.text) == ("json", "error", "billing export failed")
    assert ev.time == "2026-11-21T01:20:44.354Z"


def test_duplicate_keys_keep_the_last_value():
    ev = event_from_record(captured_line(19), "app.log", 19)
    assert ev is not None
    assert ev.data["reqId"] == "b"
    assert ev.id_value("reqId") == "b"
    assert ev.text == "dup"


def test_quiet_info_lines_are_not_events_but_are_counted_as_pino():
    events, result = read(APP)
    assert 2 not in events  # "server started": info, nothing error-like
    assert "pino" in result.stats[0].formats
    assert "json" in result.stats[0].formats


def test_levels_map_numbers_labels_and_other_keys():
    assert [normalise_level(n) for n in (10, 20, 30, 40, 50, 60)] == [
        "trace",
        "debug",
        "info",
        "warn",
        "error",
        "fatal",
    ]
    assert normalise_level(35) == "info"
    assert normalise_level(55) == "error"
    assert normalise_level(70) == "fatal"
    assert normalise_level(5) == "trace"
    assert normalise_level("WARNING") == "warn"
    assert normalise_level("50") == "error"
    assert normalise_level(True) is None
    assert event_from_record({"levelname": "CRITICAL", "message": "x"}, "p", 1).level == "fatal"
    assert event_from_record({"lvl": "eror?", "msg": "x"}, "p", 1).level is None


def test_times_from_every_epoch_unit_and_iso_forms():
    ms = "2026-11-21T00:38:47.389Z"
    assert normalise_time(1795221527389) == ms
    assert normalise_time(1795221527389000) == ms
    assert normalise_time(1795221527389000000) == ms
    assert normalise_time(1795221527) == "2026-11-21T00:38:47.000Z"
    assert normalise_time(1795221527.389) == ms
    assert normalise_time("2026-11-21T00:38:47.392031150Z") == "2026-11-21T00:38:47.392Z"
    assert normalise_time("2026-11-21T02:38:47.389+02:00") == ms
    assert normalise_time("2026-11-21 00:38:47.389 +0000") == ms
    assert normalise_time("yesterday") is None
    assert normalise_time("9999-12-31T23:59:59-01:00") is None  # past datetime.max in UTC
    assert normalise_time(None) is None


def test_bodies_and_loggers_without_pino_shape():
    # Envelope shapes from formats.md §3.14/§3.15 (PostgREST body, GoTrue logrus line).
    body = {
        "code": "23502",
        "details": "Failing row contains (null).",
        "hint": None,
        "message": "m",
    }
    ev = event_from_record(body, "p", 3)
    assert (ev.fmt, ev.text, ev.level, ev.data) == ("json", "m", None, body)
    gotrue = {
        "level": "error",
        "msg": "500: Database error saving new user",
        "time": "2026-11-21T00:38:47Z",
        "error": "e",
    }
    ev = event_from_record(gotrue, "p", 4)
    assert (ev.fmt, ev.level, ev.time) == ("json", "error", "2026-11-21T00:38:47.000Z")
    assert ev.text == "500: Database error saving new user"
    ev = event_from_record({"level": 50, "req": {"id": 7}, "err": {"message": "boom"}}, "p", 5)
    assert (ev.text, ev.id_value("reqId")) == ("boom", "7")
    assert event_from_record({}, "p", 6) is None


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=10,
)
keys = st.sampled_from(
    [
        "level",
        "time",
        "msg",
        "message",
        "err",
        "error",
        "reqId",
        "req",
        "name",
        "pid",
        "severity",
        "ts",
        "x",
    ]
)


@example({"level": float("-inf")})  # Python's json reads -Infinity (two records on one line)
@example({"level": float("inf"), "time": float("-inf")})
@given(st.dictionaries(keys | st.text(max_size=8), json_values, max_size=8))
def test_event_from_record_never_raises(obj):
    ev = event_from_record(obj, "p", 1)
    assert ev is None or isinstance(ev.text, str)


@given(st.one_of(st.integers(), st.floats(), st.text(max_size=40)))
def test_normalise_time_never_raises(value):
    out = normalise_time(value)
    assert out is None or (len(out) == 24 and out.endswith("Z"))


JSON_LOGGERS = Path(__file__).parent / "fixtures" / "json_loggers"


def test_python_json_loggers_traceback_keys_hold_the_database_error() -> None:
    """structlog puts the formatted traceback under "exception" (and a service may log the error
    as an "error" string beside its "event"); python-json-logger puts it under "exc_info". Real
    captures (capture.py): the unique violation is read from those keys, and the record's text is
    its message, not the whole record."""
    from triage.observe import observe

    for name in ("structlog.jsonl", "python-json-logger.jsonl"):
        result = ReadResult()
        events = list(read_inputs([str(JSON_LOGGERS / name)], result))
        kept = observe(events)
        errors = [err for ob in kept for err in ob.errors]
        assert errors, name
        for err in errors:
            assert (err.sqlstate, err.constraint) == ("23505", "triage_json_users_email_key")
            assert err.key == (("email", "ada@example.com"),)
        assert errors[0].driver == "psycopg"  # the traceback names the class
        failed = [e for e in events if e.level == "error"]
        assert [e.text for e in failed][:1] == ["signup failed"], name


def _json_lines() -> list[str]:
    """Every JSON line of the samples and the reader fixtures: real captures of pino, bunyan-
    and winston-shaped records, structlog, python-json-logger, PostgREST bodies, jsonlog."""
    root = Path(__file__).parent.parent
    out: list[str] = []
    for base in (root / "samples", root / "tests" / "fixtures"):
        for path in sorted(base.rglob("*")):
            if path.suffix in (".log", ".jsonl", ".json", ".ndjson") and path.is_file():
                text = path.read_bytes()[:2_000_000].decode("utf-8", "replace")
                out.extend(line for line in text.splitlines() if line.startswith("{"))
    return out


def _kept(obj: dict, line: str) -> list:
    """What observe keeps of the Event a decoded record makes."""
    from triage.inputs.jsonrec import event_from_json
    from triage.observe import observe

    ev = event_from_json(obj, "f.log", 1, line)
    return observe([] if ev is None else ev if isinstance(ev, list) else [ev])


def test_a_quiet_record_of_any_json_logger_is_one_observe_would_drop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The rule's invariant on every real JSON line here: a record jsonquiet calls quiet (not
    loud, a level at info or below) is one of which observe keeps nothing; and it does call
    the routine records of the non-pino loggers quiet."""
    monkeypatch.setattr(jsonquiet, "QUIET_LEVELS", QUIET_LEVELS)
    quiet = 0
    lines = _json_lines()
    assert len(lines) > 1000
    for line in lines:
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        if not isinstance(obj, dict) or jsonquiet.is_loud(line):
            continue
        if jsonquiet.quiet_format(obj) is not None:
            quiet += 1
            assert _kept(obj, line) == [], line
    assert quiet > 100
    for name, fmt in (("structlog.jsonl", "json"), ("python-json-logger.jsonl", "json")):
        first = (JSON_LOGGERS / name).read_text().splitlines()[0]  # "request handled", info
        assert not jsonquiet.is_loud(first)
        assert jsonquiet.quiet_format(orjson.loads(first)) == fmt


WORDS = st.sampled_from(
    (
        "request handled", "duplicate key value violates unique constraint \"u_key\"",
        "signup failed", "retrying in 2s", "attempt 2", "HTTP 503 from upstream", "503 upstream",
        "status: 502", "connection refused", "ECONNREFUSED", "PGRST116", "P2002", "23505",
        "relation \"x\" does not exist", "ok", "backing off", "Traceback (most recent call last)",
        "DatabaseError", "psycopg.errors.UniqueViolation", "Database error saving new user",
        "PostgrestException(message: permission denied, code: 42501, details: null)",
        "Can't reach database server", "will try again", "upstream: 500",
    )
)  # fmt: skip
VALUES = st.one_of(WORDS, st.integers(0, 700), st.booleans(), st.none())
KEYS = st.sampled_from(
    ("msg", "message", "event", "status", "statusCode", "code", "err", "error", "exception",
     "exc_info", "detail", "details", "hint", "path", "reqId", "res", "type", "stack")
)  # fmt: skip
LEVELS = st.sampled_from(("level", "levelname", "severity", "lvl")).flatmap(
    lambda key: st.tuples(
        st.just(key),
        st.one_of(
            st.sampled_from(("info", "INFO", "debug", "trace", "notice", "warn", "error", "fatal")),
            st.sampled_from((10, 20, 30, 35, 40, 50, 60, "30", "50")),
        ),
    )
)
RECORDS = st.recursive(
    st.dictionaries(KEYS, VALUES, max_size=4),
    lambda inner: st.dictionaries(KEYS, st.one_of(VALUES, inner), max_size=4),
    max_leaves=8,
)


@settings(max_examples=600)
@given(LEVELS, RECORDS)
@example(("level", "info"), {"msg": "retrying in 2s"})
@example(("level", 30), {"event": "will try again"})
@example(
    ("level", "info"),
    {"code": "PGRST116", "details": "The result contains 0 rows", "message": "no rows"},
)
@example(("levelname", "INFO"), {"code": "ECONNREFUSED", "message": "no route"})
@example(("level", "info"), {"res": {"statusCode": 503}, "msg": "request completed"})
@example(("severity", "INFO"), {"message": "503 upstream"})
def test_generated_quiet_records_are_ones_observe_would_drop(
    level: tuple[str, object], record: dict
) -> None:
    """The same invariant on generated records: database errors, statuses, codes and retry
    notices in any key and at any depth, at every level."""
    obj = {level[0]: level[1], **record}
    line = orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS).decode()
    python_style = line.replace('":', '": ').replace(',"', ', "')  # structlog's separators
    for text in (line, python_style):
        old = jsonquiet.QUIET_LEVELS
        try:
            jsonquiet.QUIET_LEVELS = QUIET_LEVELS
            quiet = not jsonquiet.is_loud(text) and jsonquiet.quiet_format(obj) is not None
        finally:
            jsonquiet.QUIET_LEVELS = old
        if quiet:
            assert _kept(obj, text) == [], text
