"""PostgreSQL server logs captured from a private PG15 cluster (samples/generate/pgserver)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from triage.inputs import ReadResult, read_inputs
from triage.inputs.pgserver import StderrParser, event_from_jsonlog, parse_pg_time, read_csvlog
from triage.inputs.source import Counts
from triage.model import Event

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
DEFAULT = SAMPLES / "server-stderr-default" / "postgresql.log"


def read(path: Path) -> tuple[list[Event], ReadResult]:
    result = ReadResult()
    return list(read_inputs([str(path)], result)), result


def by_message(events: list[Event], fragment: str) -> list[Event]:
    return [e for e in events if fragment in e.text]


def feed_lines(lines: list[str]) -> list[Event]:
    parser = StderrParser("x.log")
    out: list[Event] = []
    for no, line in enumerate(lines, 1):
        out.extend(parser.feed(no, line)[1])
    return out + parser.close()


def test_default_prefix_groups_detail_and_statement_with_their_error() -> None:
    events, result = read(DEFAULT)
    assert result.stats[0].formats == ("pg-stderr",)
    fk = by_message(events, 'violates foreign key constraint "users_org_id_fkey"')[0]
    assert (fk.line, fk.end_line) == (6, 8)
    assert fk.fmt == "pg-stderr" and fk.kind == "log" and fk.level == "error"
    assert fk.time == "2026-11-21T01:15:50.548Z"
    assert fk.ids == (("pid", "9154"),)
    assert fk.data["detail"] == 'Key (org_id)=(99) is not present in table "orgs".'
    assert fk.data["statement"] == "INSERT INTO users (org_id, email) VALUES (99, 'b@x.io');"
    assert fk.data["error_severity"] == "ERROR" and "state_code" not in fk.data
    # LOG lines (startup, lock waits) are read but never become events
    assert all(e.level in ("error", "fatal") for e in events)
    assert len(events) == 32


def test_cursor_position_is_split_off_the_message() -> None:
    events, _ = read(DEFAULT)
    col = by_message(events, 'column "emial" does not exist')[0]
    assert col.text == 'column "emial" does not exist'
    assert col.data["cursor_position"] == 8
    assert col.data["hint"] == 'Perhaps you meant to reference the column "users.email".'


def test_tab_continuations_join_context_and_multiline_statement() -> None:
    events, _ = read(DEFAULT)
    trig = by_message(events, '"profiles_org_id_fkey"')[0]
    assert trig.data["context"] == (
        'SQL statement "INSERT INTO profiles (user_id, org_id) VALUES (NEW.id, NEW.org_id + 100)"\n'
        "PL/pgSQL function handle_new_user() line 3 at SQL statement"
    )
    assert trig.data["statement"] == "INSERT INTO users (org_id, email) VALUES (1, 'trigger@x.io');"
    multi = by_message(events, '"nosuchcol"')[0]
    assert multi.data["statement"].splitlines()[-1] == " WHERE nosuchcol = 1;"
    assert multi.end_line - multi.line == 4


def test_lock_wait_log_details_do_not_leak_into_the_deadlock_error() -> None:
    events, _ = read(DEFAULT)
    (dead,) = by_message(events, "deadlock detected")
    assert dead.ids == (("pid", "9159"),)
    assert dead.data["detail"].startswith("Process 9159 waits for ShareLock on transaction 749")
    assert dead.data["detail"].count("\n") == 3
    assert dead.data["context"] == 'while updating tuple (0,2) in relation "acct"'
    assert (dead.line, dead.end_line) == (98, 105)


def test_fatal_login_errors_carry_server_only_detail() -> None:
    events, _ = read(DEFAULT)
    auth = by_message(events, 'password authentication failed for user "app"')
    assert [e.level for e in auth] == ["fatal", "fatal"]
    assert auth[0].data["detail"].startswith("Connection matched pg_hba.conf line 3")
    (nodb,) = by_message(events, 'database "nosuchdb" does not exist')
    assert nodb.level == "fatal" and nodb.line == nodb.end_line == 111


def test_interleaved_backends_keep_their_own_detail() -> None:
    # Real captured lines of two backends (9154: FK error, 9158: failed login), reordered so
    # that their lines alternate as they do when backends write to a shared stderr.
    lines = DEFAULT.read_text().splitlines()
    fk, login = lines[5:8], lines[87:89]
    mixed = [fk[0], login[0], fk[1], login[1], fk[2]]
    events = feed_lines(mixed)
    assert [(e.line, e.end_line) for e in events] == [(1, 5), (2, 4)]
    assert events[0].data["detail"].startswith("Key (org_id)=(99)")
    assert events[0].data["statement"].startswith("INSERT INTO users")
    assert events[1].data["detail"].startswith("Connection matched pg_hba.conf")


def test_debian_prefix_gives_user_and_database() -> None:
    events, _ = read(SAMPLES / "server-stderr-debian" / "postgresql.log")
    uniq = by_message(events, '"users_email_key"')[0]
    assert (uniq.data["user"], uniq.data["dbname"]) == ("postgres", "shop")
    assert uniq.data["detail"] == "Key (email)=(a@x.io) already exists."


def test_rds_prefix_gives_remote_host_and_second_precision_time() -> None:
    events, _ = read(SAMPLES / "server-stderr-rds" / "postgresql.log")
    auth = by_message(events, "password authentication failed")[0]
    assert auth.data["remote_host"] == "127.0.0.1" and auth.data["user"] == "app"
    assert auth.time is not None and auth.time.endswith(":11.000Z")
    fk = by_message(events, '"users_org_id_fkey"')[0]
    assert fk.data["remote_host"] == "[local]" and fk.data["dbname"] == "shop"


def test_verbose_verbosity_gives_sqlstate_and_source_location() -> None:
    events, _ = read(SAMPLES / "server-stderr-verbose" / "postgresql.log")
    uniq = by_message(events, '"users_email_key"')[0]
    assert uniq.text == 'duplicate key value violates unique constraint "users_email_key"'
    assert uniq.data["state_code"] == "23505"
    assert (uniq.data["func_name"], uniq.data["file_name"], uniq.data["file_line_num"]) == (
        "_bt_check_unique",
        "nbtinsert.c",
        664,
    )
    codes = {e.data["state_code"] for e in events}
    assert {
        "23503",
        "23502",
        "23514",
        "42P10",
        "25P02",
        "57014",
        "40P01",
        "28P01",
        "3D000",
    } <= codes


def test_sqlstate_in_prefix_and_numeric_zone() -> None:
    events, _ = read(SAMPLES / "server-stderr-sqlstate" / "postgresql.log")
    fk = events[0]
    assert fk.data["timestamp"] == "2026-11-20 22:16:19.360 -03"
    assert fk.time == "2026-11-21T01:16:19.360Z"
    assert fk.data["state_code"] == "23503" and fk.data["pid"] == 10208
    assert by_message(events, "deadlock detected")[0].data["state_code"] == "40P01"


def _key(e: Event) -> tuple[object, ...]:
    d = e.data
    return (e.time, d["pid"], d["error_severity"], d["message"], d.get("detail"), d.get("context"))


def test_csv_and_json_logs_hold_the_same_errors_as_stderr() -> None:
    stderr, _ = read(DEFAULT)
    csv_events, csv_result = read(SAMPLES / "server-csvlog" / "postgresql.csv")
    json_events, json_result = read(SAMPLES / "server-jsonlog" / "postgresql.json")
    assert csv_result.stats[0].formats == ("pg-csv",)
    assert json_result.stats[0].formats == ("pg-json",)
    assert (
        [_key(e) for e in stderr] == [_key(e) for e in csv_events] == [_key(e) for e in json_events]
    )
    assert [e.data["state_code"] for e in csv_events] == [e.data["state_code"] for e in json_events]
    dead = by_message(csv_events, "deadlock")[0]
    assert dead.data["detail"].count("\n") == 3  # embedded newlines inside a quoted field
    assert dead.ids == (("pid", "9159"), ("session", dead.data["session_id"]))
    assert dead.data["remote_port"] == json_events[csv_events.index(dead)].data["remote_port"]


def test_csv_rows_with_a_wrong_column_count_are_counted() -> None:
    rows = (SAMPLES / "server-csvlog" / "postgresql.csv").read_bytes().split(b"\n")
    broken = b"\n".join([rows[0], rows[5][:60], *rows[6:]])  # one row cut short
    counts = Counts()
    events = list(read_csvlog("x.csv", io.BufferedReader(io.BytesIO(broken)), counts))  # type: ignore[arg-type]
    assert counts.skipped["malformed-csv"] == 1
    assert len(events) == 31 and counts.formats == ["pg-csv"]
    assert counts.lines > 50


def test_jsonlog_non_errors_are_not_events() -> None:
    assert event_from_jsonlog({"error_severity": "LOG", "message": "x", "pid": 1}, "j", 1) is None
    ev = event_from_jsonlog({"error_severity": "PANIC", "message": "boom", "pid": 7}, "j", 3)
    assert ev is not None and ev.level == "fatal" and ev.time is None and ev.ids == (("pid", "7"),)


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2026-11-21 00:36:15.869 UTC", "2026-11-21T00:36:15.869Z"),
        ("2026-11-21 00:40:41 UTC", "2026-11-21T00:40:41.000Z"),
        ("2026-11-20 22:16:19.360 -03", "2026-11-21T01:16:19.360Z"),
        ("2026-11-21 06:06:15.1 +05:30", "2026-11-21T00:36:15.100Z"),
        ("2026-11-21 01:36:15.869 CET", "2026-11-21T00:36:15.869Z"),
        ("2026-11-21T00:36:15.869Z", "2026-11-21T00:36:15.869Z"),
        ("2026-11-21 00:36:15.869 CST", None),  # China or US Central: not guessed
        ("2026-11-21 00:36:15.869", None),
        ("not a time", None),
    ],
)
def test_parse_pg_time(text: str, iso: str | None) -> None:
    assert parse_pg_time(text) == iso


def test_psql_and_bare_lines_are_not_claimed() -> None:
    parser = StderrParser("x")
    for line in (
        'psql:errs.sql:1: ERROR:  relation "x" does not exist',
        "DETAIL:  Key (a)=(1).",
        "\tfoo",
    ):
        assert parser.feed(1, line) == (False, [])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=80), st.sampled_from(DEFAULT.read_text().splitlines()))))
def test_arbitrary_lines_never_raise(lines: list[str]) -> None:
    for ev in feed_lines(lines):
        assert ev.level in ("error", "fatal") and ev.line <= ev.end_line
