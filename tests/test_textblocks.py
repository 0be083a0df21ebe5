"""Free-text error blocks captured from real programs (tests/fixtures/text/make_fixtures.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import SAMPLES
from triage.inputs import ReadResult, read_inputs
from triage.inputs.textblocks import (
    TextBlockParser,
    has_template,
    js_value,
    level_of,
    line_time,
)
from triage.inputs.textblocks_lines import NAMED_CONTINUATIONS, PRISMA_MESSAGE_LINES, quiet_level
from triage.model import Event
from triage.observe import is_failure, observe
from triage.pipeline import Options, analyze
from triage.report import report_data

TEXT = Path(__file__).resolve().parent / "fixtures" / "text"
ALL_LINES = [line for f in sorted(TEXT.glob("*.txt")) for line in f.read_text().split("\n")]


def read(name: str) -> list[Event]:
    result = ReadResult()
    events = list(read_inputs([str(TEXT / name)], result))
    assert result.stats[0].error is None
    return events


def feed(lines: list[str]) -> list[Event]:
    parser = TextBlockParser("x")
    out: list[Event] = []
    for no, line in enumerate(lines, 1):
        out.extend(parser.feed(no, line)[1])
    return out + parser.close()


def test_direct_cause_chain_is_outermost_first() -> None:
    (ev,) = read("py-direct-cause.txt")
    assert (ev.fmt, ev.kind, ev.line, ev.end_line) == ("python-traceback", "error", 1, 15)
    assert ev.text == "RuntimeError: Failed to create user record"
    outer, inner = ev.chain
    assert (outer.exc, outer.line) == ("RuntimeError", 15)
    assert (inner.exc, inner.line) == ("psycopg2.errors.ForeignKeyViolation", 4)
    assert (
        inner.message.splitlines()[1]
        == 'DETAIL:  Key (org_id)=(99) is not present in table "orgs".'
    )


def test_during_handling_keeps_line_caret_and_hint_of_the_root() -> None:
    (ev,) = read("py-during-handling.txt")
    assert [link.exc for link in ev.chain] == [
        "psycopg2.errors.InFailedSqlTransaction",
        "psycopg2.errors.UndefinedColumn",
    ]
    assert ev.chain[1].message.splitlines() == [
        'column "emial" does not exist',
        "LINE 1: SELECT emial FROM users",
        "               ^",
        'HINT:  Perhaps you meant to reference the column "users.email".',
    ]


def test_sqlalchemy_wrapper_keeps_sql_parameters_and_background() -> None:
    (ev,) = read("py-sqlalchemy.txt")
    outer = ev.chain[0]
    assert outer.exc == "sqlalchemy.exc.IntegrityError" and outer.line == 35
    assert "[SQL: INSERT INTO users (org_id, email) VALUES (%(o)s, %(e)s)]" in outer.message
    assert outer.message.endswith("(Background on this error at: https://sqlalche.me/e/21/gkpj)")
    assert ev.end_line == 40


def test_sqlite_traceback() -> None:
    (ev,) = read("py-sqlite.txt")
    assert ev.chain[0].exc == "sqlite3.IntegrityError"
    assert ev.chain[0].message == "UNIQUE constraint failed: users.email"


def test_python_logging_lines_split_db_errors_from_plain_failures() -> None:
    events = read("py-logging.txt")
    assert [(e.line, e.fmt, e.kind, e.level) for e in events] == [
        (1, "text", "error", "error"),
        (4, "text", "log", "warn"),
        (5, "text", "log", "error"),
        (6, "text", "log", "error"),
        (7, "python-traceback", "error", "error"),
    ]
    assert events[0].chain[0].message.endswith("DETAIL:  Key (email)=(a@x.io) already exists.")
    assert events[2].text == "ERROR:root:payment service unavailable"
    assert events[4].chain[0].exc == "psycopg2.errors.NotNullViolation"


def test_pytest_log_format_lines() -> None:
    events = read("py-logging-pytest-format.txt")
    assert [(e.kind, e.level, e.line) for e in events] == [
        ("error", "error", 1),
        ("log", "warn", 4),
        ("log", "error", 5),
    ]
    assert events[0].end_line == 2 and "users_org_id_fkey" in events[0].chain[0].message


def test_node_console_error_dump_becomes_a_pino_shaped_err() -> None:
    (ev,) = read("node-console-error.txt")
    assert (ev.fmt, ev.line, ev.end_line) == ("node-inspect", 1, 22)
    err = ev.data["err"]
    assert err["type"] == "error" and err["code"] == "23503"
    assert err["constraint"] == "users_org_id_fkey" and err["table"] == "users"
    assert err["detail"] == 'Key (org_id)=(99) is not present in table "orgs".'
    assert "hint" not in err  # undefined properties are left out, as pino does
    assert err["stack"].splitlines()[1] == "    at /app/node_modules/pg/lib/client.js:694:17"
    assert ev.chain[0].exc == "error"


def test_node_unhandled_rejection_skips_the_source_excerpt() -> None:
    (ev,) = read("node-unhandled.txt")
    assert (ev.line, ev.end_line) == (5, 26)
    assert ev.data["err"]["code"] == "23505" and ev.data["err"]["line"] == "664"


def test_node_error_cause_becomes_the_inner_link() -> None:
    (ev,) = read("node-cause.txt")
    assert ev.text == "Error: Database error saving new user"
    assert [(link.exc, link.line) for link in ev.chain] == [("Error", 1), ("error", 4)]
    cause = ev.data["err"]["cause"]
    assert cause["code"] == "23505" and cause["constraint"] == "users_email_key"
    assert "code" not in ev.data["err"]


def test_psql_script_errors_with_line_caret_and_trigger_context() -> None:
    events = read("psql-errs.txt")
    assert len(events) == 14 and {e.fmt for e in events} == {"psql"}
    col = events[6]
    assert (col.text, col.line, col.end_line) == ('column "emial" does not exist', 12, 15)
    assert col.chain[0].message.splitlines()[1:3] == [
        "LINE 1: SELECT emial FROM users;",
        "               ^",
    ]
    trig = next(e for e in events if "profiles_org_id_fkey" in e.text)
    assert trig.data["context"].endswith(
        "PL/pgSQL function handle_new_user() line 3 at SQL statement"
    )
    assert trig.line == 25 and trig.end_line == 28


def test_psql_verbose_fields() -> None:
    events = read("psql-verbose.txt")
    uniq = events[2]
    assert uniq.text == 'duplicate key value violates unique constraint "users_email_key"'
    assert uniq.data["state_code"] == "23505"
    assert uniq.data["constraint_name"] == "users_email_key" and uniq.data["table_name"] == "users"
    assert uniq.data["func_name"] == "_bt_check_unique"


def test_psql_connection_failure() -> None:
    (ev,) = read("psql-auth.txt")
    assert ev.level == "fatal"
    assert ev.text.endswith('FATAL:  password authentication failed for user "app"')


def test_jdbc_exception_with_detail_and_java_stack() -> None:
    (ev,) = read("jdbc.txt")
    (link,) = ev.chain
    assert link.exc == "org.postgresql.util.PSQLException"
    assert link.message.splitlines() == [
        'ERROR: duplicate key value violates unique constraint "users_email_key"',
        "  Detail: Key (email)=(a@x.io) already exists.",
    ]
    assert ev.end_line == 19


def test_timestamped_lines_get_a_time() -> None:
    # A transport timestamp in front of a captured logging line (the prefix is ours).
    line = "2026-11-21T01:15:50.548Z " + (TEXT / "py-logging.txt").read_text().split("\n")[4]
    (ev,) = feed([line])
    assert ev.time == "2026-11-21T01:15:50.548Z" and ev.level == "error"
    assert line_time("2026-11-21 01:15:50,123 ERROR x") == "2026-11-21T01:15:50.123Z"


def test_unrecognised_lines_are_not_claimed() -> None:
    parser = TextBlockParser("x")
    for line in ("Node.js v20.20.2", "          Error.captureStackTrace(err)", "", "all good"):
        assert parser.feed(1, line) == (False, [])


@pytest.mark.parametrize(
    ("line", "level"),
    [
        ("level=error msg=boom", "error"),
        ("[WARN] disk almost full", "warn"),
        ("Error: connect ECONNREFUSED 127.0.0.1:5432", "error"),
        ("12:00:01 FATAL worker died", "fatal"),
        ("0 errors, 3 warnings", None),
        ("INFO: terror alert level", None),
    ],
)
def test_level_words(line: str, level: str | None) -> None:
    assert level_of(line) == level


def report_of(name: str) -> dict:
    return report_data(analyze([str(TEXT / name)], Options(cwd=str(TEXT))))


def test_server_notices_are_not_errors() -> None:
    """psql -c prints the server's notices of IF [NOT] EXISTS statements bare ("NOTICE:  relation
    "users" already exists, skipping"): CREATE TABLE IF NOT EXISTS at work, not 42P07. Only the
    real unique violation after them is read, and nothing is a failure."""
    notices = (TEXT / "psql-c-notices.txt").read_text().split("ERROR:  ")[0]
    assert notices.count("NOTICE:  ") == 3 and "already exists" in notices
    (ev,) = read("psql-c-notices.txt")
    assert (ev.line, ev.text) == (
        4,
        'duplicate key value violates unique constraint "users_email_key"',
    )
    data = report_of("psql-c-notices.txt")
    assert [(f["sqlstate"], f["constraint"]) for f in data["findings"]] == [
        ("23505", "users_email_key")
    ]
    assert data["failures"] == []


def test_a_database_or_schema_that_exists_already() -> None:
    """A setup script run twice (real psql output): CREATE DATABASE and CREATE SCHEMA on objects
    that exist are 42P04 and 42P06, read from the server's words."""
    data = report_of("psql-c-duplicate-objects.txt")
    assert [(f["sqlstate"], f["condition"], f["schema"]) for f in data["findings"]] == [
        ("42P04", "duplicate_database", None),
        ("42P06", "duplicate_schema", "public"),
    ]


def test_info_lines_with_a_templates_words_are_not_failures() -> None:
    """SQLAlchemy's statements logged at INFO ("... ON CONFLICT (id) DO NOTHING") and an app's
    INFO lines ("... unless it already exists") hold a template's words: records at INFO, not
    failures. The foreign key violation that ends the run is the one finding."""
    lines = (TEXT / "py-sqlalchemy-echo.txt").read_text().split("\n")
    worded = [n for n, line in enumerate(lines, 1) if " INFO " in line and has_template(line)]
    assert len(worded) == 3 and "ON CONFLICT" in lines[worded[1] - 1]
    events = read("py-sqlalchemy-echo.txt")
    assert [(ev.line, ev.kind, ev.level) for ev in events if ev.line in worded] == [
        (n, "log", "info") for n in worded
    ]
    data = report_of("py-sqlalchemy-echo.txt")
    assert [f["sqlstate"] for f in data["findings"]] == ["23503"]
    assert data["failures"] == [] and data["unexplained"] == []


@pytest.mark.parametrize(
    ("line", "level"),
    [
        ("2026-11-21 16:31:14,402 INFO app.seed creating the table if it does not exist", "info"),
        ("INFO:sqlalchemy.engine.Engine:INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING", "info"),
        ("[debug] dropping index if it already exists", "debug"),
        ('time=now level=info msg="relation already exists"', "info"),
        ('ERROR:  relation "users" already exists', None),
        ("users: INFOrmation already exists", None),
    ],
)
def test_quiet_level_words(line: str, level: str | None) -> None:
    assert quiet_level(line) == level


def test_continuation_lines_alone_are_fragments() -> None:
    """A DETAIL, HINT or [SQL: ...] line with no message before it (its head went to another
    stream, or another parser claimed it) is not an error of its own."""
    named = [line for line in ALL_LINES if line.startswith(NAMED_CONTINUATIONS)]
    assert any(has_template(line) for line in named)  # e.g. DETAIL:  Key (...) already exists.
    parser = TextBlockParser("x")
    for line in named:
        assert parser.feed(1, line) == (False, []) and parser.close() == []


def test_template_words_alone_count_only_as_a_database_error() -> None:
    """A line with a template's words but no level, exception class or word of failure (a
    statement printed, as pytest prints a test's source line) is no failure: it counts only for
    the database error read from it, and this one holds none."""
    run = (SAMPLES / "py-sqlite3-errors" / "run.log").read_text().split("\n")
    (line,) = [x for x in run if x.strip().startswith("db.execute(") and "ON CONFLICT" in x]
    (ev,) = feed([line.strip()])
    assert (ev.kind, ev.level) == ("error", None)
    assert observe([ev]) == []  # nothing correlation reads: no error, not a failure
    (ev,) = feed([line.strip() + "  # retrying"])  # kept for rule 6's retry words (ours)
    (ob,) = observe([ev])
    assert not is_failure(ob)
    (ev,) = feed(["error: " + line.strip()])  # said to be an error: a failure, unexplained
    assert ev.level == "error" and is_failure(observe([ev])[0])


def test_js_values() -> None:
    assert js_value("'Key (email)=(o\\'b) already exists.'") == "Key (email)=(o'b) already exists."
    assert js_value('"it\'s"') == "it's"
    assert js_value("undefined") is None and js_value("198") == 198


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=80), st.sampled_from(ALL_LINES)), max_size=60))
def test_arbitrary_lines_never_raise(lines: list[str]) -> None:
    for ev in feed(lines):
        assert ev.kind in ("error", "log") and ev.line <= ev.end_line


def test_taskgroup_exception_group_links_the_driver_error() -> None:
    """asyncio.TaskGroup wraps asyncpg's error; the group prints it inside "| " gutters."""
    (ev,) = read("py-taskgroup.txt")
    assert (ev.fmt, ev.kind, ev.line, ev.end_line) == ("python-traceback", "error", 1, 37)
    assert ev.text == "ExceptionGroup: unhandled errors in a TaskGroup (1 sub-exception)"
    group, inner = ev.chain
    assert (group.exc, group.line) == ("ExceptionGroup", 17)
    assert inner.exc == "asyncpg.exceptions.UniqueViolationError"
    # asyncpg's DETAIL line is printed without the gutter: it still belongs to the message
    assert inner.message.split("\n") == [
        'duplicate key value violates unique constraint "users_email_key"',
        "DETAIL:  Key (email)=(a@x.io) already exists.",
    ]
    lines = (TEXT / "py-taskgroup.txt").read_text().split("\n")
    assert lines[inner.line - 1].endswith("UniqueViolationError: " + inner.message.split("\n")[0])


def test_exception_group_lists_every_sub_exception_in_order() -> None:
    (ev,) = read("py-exception-group.txt")
    assert [link.exc for link in ev.chain] == [
        "ExceptionGroup",
        "asyncpg.exceptions.ForeignKeyViolationError",
        "asyncpg.exceptions.NotNullViolationError",
    ]
    assert ev.chain[1].message.endswith(
        'DETAIL:  Key (org_id)=(99) is not present in table "orgs".'
    )
    assert ev.end_line == 58


def test_driver_error_inside_a_taskgroup_is_found() -> None:
    from triage.pipeline import analyze
    from triage.report import report_data

    data = report_data(analyze([str(TEXT / "py-taskgroup.txt")]))
    (finding,) = data["findings"]
    assert (finding["constraint"], finding["driver"], finding["key"]) == (
        "users_email_key",
        "asyncpg",
        {"email": "a@x.io"},
    )
    (failure,) = data["failures"]
    assert failure["root"] == finding["id"] and failure["scope"] == "chain"
    assert failure["message"].startswith("ExceptionGroup: unhandled errors in a TaskGroup")


def test_group_block_ends_at_the_first_line_outside_its_gutter() -> None:
    lines = (TEXT / "py-taskgroup.txt").read_text().split("\n")
    events = feed([*lines[:37], "ERROR: worker stopped", "plain"])
    assert [e.text.split(":")[0] for e in events] == ["ExceptionGroup", "ERROR"]
    assert events[0].end_line == 37


PRISMA_DUMPS = Path(__file__).resolve().parent.parent / "samples" / "node-prisma-inspect"


def test_prisma_message_lines_after_the_head_are_the_message() -> None:
    # Prisma prints "PrismaClientKnownRequestError: " and its message on the next lines, then
    # the stack: the dump's message is all of them (a real console.error dump, P2002)
    lines = (PRISMA_DUMPS / "stderr.log").read_text().split("\n")
    (ev, *_) = feed(lines)
    assert (ev.fmt, ev.line, ev.end_line) == ("node-inspect", 1, 30)
    err = ev.data["err"]
    assert err["message"] == (
        "\nInvalid `prisma.user.create()` invocation:\n\n\n"
        "Unique constraint failed on the constraint: `users_email_key`"
    )
    assert (err["code"], err["clientVersion"]) == ("P2002", "7.10.0")
    assert ev.chain[0].exc == "PrismaClientKnownRequestError"


def test_prisma_message_without_a_stack_ends_at_what_failed_or_is_bounded() -> None:
    # the same dump cut after its message (a runner that prints frames its own way), then other
    # output and a real pg dump: the message ends at its line saying what failed
    prisma = (PRISMA_DUMPS / "stderr.log").read_text().split("\n")[:5]
    pg = (TEXT / "node-console-error.txt").read_text().split("\n")
    events = feed([*prisma, *(f"step {n} done" for n in range(60)), *pg])
    assert [ev.chain[0].exc for ev in events] == ["PrismaClientKnownRequestError", "error"]
    assert events[0].end_line == 5 and events[0].chain[0].message.endswith(
        "Unique constraint failed on the constraint: `users_email_key`"
    )
    # a message whose last line is not one triage knows is cut at PRISMA_MESSAGE_LINES
    events = feed([*prisma[:2], *(f"step {n} done" for n in range(60)), *pg])
    assert [ev.chain[0].exc for ev in events] == ["PrismaClientKnownRequestError", "error"]
    assert events[0].end_line == PRISMA_MESSAGE_LINES
