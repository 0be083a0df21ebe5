"""ErrorStore: the errors one analysis keeps, on disk, read back exactly as lists in memory were.

The election pools and the findings' occurrences are checked against a plain in-memory reading of
the same observations (the way correlate read them before the store), on random observations.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from triage.correlate import ErrorStore, correlate
from triage.correlate import store as store_module
from triage.correlate.failures import Links
from triage.correlate.findings import _FILLABLE, build_findings
from triage.correlate.fingerprint import fingerprint
from triage.correlate.groups import READABLE, real_errors
from triage.correlate.scopes import first_real
from triage.correlate.store import dump, load, occurrence_id
from triage.inputs import testid
from triage.model import DbError, Event, Location
from triage.observe import APP_LOGS, Observation, held, observe
from triage.pipeline import analyze

PATHS = ("run.log", "junit.xml", "app.pino.log")
FMTS = ("pytest-text", "junit", "pino", "pg-stderr", "reportlog")
TESTS = (None, "tests/test_a.py::test_one", "tests/test_a.py::test_two")
IDS = (("reqId", "r1"), ("reqId", "r2"), ("jobId", "j1"), ("worker", "gw0"), ("worker", "gw1"))
TIMES = (None, "2026-11-21T10:00:00.000Z", "2026-11-21T10:00:02.500Z", "2026-11-21T10:00:09Z")


@st.composite
def db_errors(draw: Any, path: str, line: int) -> DbError:
    code = draw(st.sampled_from(("23505", "23503", "25P02", "42P01")))
    return DbError(
        engine="postgresql",
        sqlstate=code,
        condition=None,
        message=draw(st.sampled_from(("duplicate key value", "update or delete on", "x"))),
        location=Location(path, line),
        detail=draw(st.sampled_from((None, "", "Key (id)=(1) already exists."))),
        table=draw(st.sampled_from((None, "users", "orgs"))),
        constraint=draw(st.sampled_from((None, "users_email_key", "users_org_id_fkey"))),
        key=draw(st.sampled_from(((), (("id", "1"),), (("email", "a@x.io"),)))),
        driver=draw(st.sampled_from((None, "psycopg", "node-pg"))),
        time=draw(st.sampled_from(TIMES)),
    )


@st.composite
def observations(draw: Any) -> list[Observation]:
    out = []
    for seq in range(draw(st.integers(0, 30))):
        path = draw(st.sampled_from(PATHS))
        line = draw(st.integers(1, 40))
        errors = tuple(draw(st.lists(db_errors(path, line), max_size=3)))
        ids = tuple(draw(st.lists(st.sampled_from(IDS), max_size=3, unique=True)))
        event = Event(
            path,
            line,
            draw(st.sampled_from(FMTS)),
            draw(st.sampled_from(("log", "test", "error"))),
            "text",
            level=draw(st.sampled_from((None, "info", "error"))),
            time=draw(st.sampled_from(TIMES)),
            test=draw(st.sampled_from(TESTS)),
            phase=draw(st.sampled_from((None, "call", "setup"))),
            ids=ids,
        )
        pid = draw(st.sampled_from((None, "41", "42")))
        out.append(Observation(seq, event, errors, None, None, event.time, pid, seq))
    return out


def _ts(iso: str | None) -> float | None:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() if iso else None


def reference_first(
    pool: list[Observation], exclude: set[int], claimed: set[str] | frozenset[str] = frozenset()
) -> DbError | None:
    """What the election read from its in-memory pools before the store."""
    for o in pool:
        real = real_errors(o.errors)
        if o.seq not in exclude and real and fingerprint(real[-1]) not in claimed:
            return real[-1]
    return None


def stored(obs: list[Observation], spill: int) -> ErrorStore:
    """A sealed store of ``obs``, moved to its file after ``spill`` occurrences (0: at once)."""
    with patch.object(store_module, "SPILL", spill):
        store = ErrorStore()
        for o in obs:
            if o.errors:
                store.add(o)
    store.seal()
    if spill == 0:
        assert store.spilled == any(real_errors(o.errors) for o in obs)
    return store


SPILLS = st.sampled_from((0, 7, store_module.SPILL))  # in the file, half-way, in memory


@settings(max_examples=150, deadline=None)
@given(observations(), SPILLS, st.data())
def test_election_pools_read_what_the_in_memory_pools_held(
    obs: list[Observation], spill: int, data: Any
) -> None:
    exclude = set(data.draw(st.lists(st.integers(0, 30), max_size=4)))
    claimed = set(data.draw(st.lists(st.sampled_from(("23505:users_email_key", "42P01:x")))))
    with stored(obs, spill) as store:
        for test in TESTS[1:]:
            key = testid.key(test)
            pool = [o for o in obs if o.event.test and testid.key(o.event.test) == key]
            assert first_real(store, store.by_test(key), exclude) == reference_first(pool, exclude)
        for name, value in IDS[:3]:  # correlation ids (a worker is not one)
            pool = [o for o in obs if (name, value) in o.event.ids]
            assert first_real(store, store.by_id(name, value), exclude) == reference_first(
                pool, exclude
            )
        for pid in ("41", "42"):
            pool = [o for o in obs if o.near_pid == pid and o.event.fmt in APP_LOGS]
            got = first_real(store, store.by_pid(pid), exclude, claimed)
            assert got == reference_first(pool, exclude, claimed)
        for path in PATHS:
            for worker in (None, "gw0"):
                for seq in (0, 10, 31):
                    pool = [
                        o
                        for o in reversed(obs)
                        if o.event.path == path
                        and o.seq < seq
                        and o.event.id_value("worker") == worker
                    ]
                    got = first_real(store, store.before(path, worker, seq), exclude)
                    assert got == reference_first(pool, exclude)
        stamps = [_ts(t) or 0.0 for t in TIMES[1:]]
        windows = [(at - 5.0, at + 1.0) for at in stamps] + [(a, b) for a in stamps for b in stamps]
        for lo, hi in windows:  # the election's, and bounds falling on a stamp exactly
            timed = sorted(
                ((_ts(o.event.time), o.seq, o) for o in obs if o.event.time),
                key=lambda x: (x[0], x[1]),
            )
            pool = [o for ts, _, o in timed if ts is not None and lo <= ts <= hi]
            got = first_real(store, store.between(lo, hi), exclude, claimed)
            assert got == reference_first(pool, exclude, claimed)


@settings(max_examples=150, deadline=None)
@given(observations(), st.sampled_from((2, store_module.RECENT)), SPILLS)
def test_findings_summarise_every_occurrence_as_the_full_list_did(
    obs: list[Observation], recent: int, spill: int
) -> None:
    """count, first (filled from later copies), last, drivers and keys: what the in-memory
    list of occurrences gave, copies of one error in several inputs counted once (whether the
    store remembered the copies it skipped writing or forgot them: ``recent``)."""
    occurrences: dict[str, list[DbError]] = {}
    seen: dict[str, set[tuple[object, ...]]] = {}
    for o in sorted(obs, key=lambda o: (READABLE.get(o.event.fmt, 0), o.seq)):
        for err in real_errors(o.errors):
            fp = fingerprint(err)
            ident = occurrence_id(err, o)
            if ident not in seen.setdefault(fp, set()):
                seen[fp].add(ident)
                occurrences.setdefault(fp, []).append(err)
    with patch.object(store_module, "RECENT", recent), stored(obs, spill) as store:
        findings = {f.fingerprint: f for f in build_findings(store, [], Links(), {}, _no_root, {})}
        for fp, occ in occurrences.items():  # the key lifecycle's question
            for path in PATHS:
                lines = {e.location.line for e in occ if e.location.path == path}
                for line in (1, 5, 20, 43):
                    want = any(line - 3 <= n <= line for n in lines)
                    assert store.occurred(fp, path, line - 3, line) == want
    assert set(findings) == set(occurrences)
    for fp, occ in occurrences.items():
        f = findings[fp]
        root = occ[0]
        for name in _FILLABLE:
            if getattr(root, name) is None:
                value = next((getattr(o, name) for o in occ if getattr(o, name) is not None), None)
                assert getattr(f.root, name) == value, name
            else:
                assert getattr(f.root, name) == getattr(root, name), name
        assert f.root.key == next((o.key for o in occ if o.key), ())
        assert (f.root.location, f.root.message) == (root.location, root.message)
        assert f.count == len(occ) and f.last == occ[-1]
        assert f.drivers == tuple(sorted({o.driver for o in occ if o.driver}))
        assert f.keys == tuple(dict.fromkeys(o.key for o in occ if o.key))


@given(db_errors("a.log", 3))
def test_an_error_reads_back_equal(err: DbError) -> None:
    assert load(dump(err)) == err


def server_error(n: int) -> Event:
    data = {
        "error_severity": "ERROR",
        "state_code": "23505",
        "message": 'duplicate key value violates unique constraint "users_email_key"',
        "detail": f"Key (email)=(u{n % 7}@x.io) already exists.",
        "pid": 4242,
    }
    stamp = f"2026-11-21T10:{n // 60:02d}:{n % 60:02d}.000Z"  # one a second
    return Event(
        "pg.json",
        n + 1,
        "pg-json",
        "log",
        data["message"],
        "error",
        stamp,
        data,
        ids=(("pid", "4242"),),
    )


def test_a_log_of_errors_keeps_none_of_them_in_memory() -> None:
    """Errors that are no failure go to the store only; the failures stay in memory and elect
    their root from the store as before."""
    events = [server_error(n) for n in range(3000)]
    failing = Event(
        "run.log",
        9,
        "pytest-text",
        "test",
        "signup failed",
        time="2026-11-21T10:00:30.000Z",
        test="tests/test_a.py::test_signup",
        outcome="failed",
    )
    with patch.object(store_module, "SPILL", 1000), ErrorStore() as store:
        kept = observe([*events, failing], store=store)
        assert [o.event for o in kept] == [failing]  # 3,000 errors, none held
        assert store.spilled  # past 1,000 of them, not in memory either
        corr = correlate(kept, store)
    with ErrorStore() as store:  # the same without a store given: every observation returned
        every = observe([*events, failing])
        assert len(every) == 3001 and sum(held(o) for o in every) == 1
    (finding,) = corr.findings
    assert finding.count == 3000 and finding.explains == ("S1",)
    assert corr.scopes == {"S1": "window"}
    assert finding.keys == tuple((("email", f"u{n}@x.io"),) for n in range(7))


def test_copies_of_one_error_move_the_store_to_its_file_too() -> None:
    """Repeats of one error in the same second are one occurrence (one row of occurrences), but
    each is a place an election may read: the store counts those rows too before it spills."""
    same = [replace(server_error(0), line=n + 1) for n in range(300)]
    with patch.object(store_module, "SPILL", 100), ErrorStore() as store:
        observe(same, store=store)
        assert store.spilled
        corr = correlate([], store)
    assert [f.count for f in corr.findings] == [1]


def test_the_store_is_a_temporary_file_removed_after_the_analysis(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "SPILL", 0)  # past SPILL occurrences: in a file
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    log = tmp_path / "pg.log"
    log.write_text('2026-11-21 10:00:00.000 UTC [42] ERROR:  relation "nosuch" does not exist\n')
    seen: list[list[str]] = []
    real_seal = ErrorStore.seal

    def seal(self: ErrorStore) -> None:
        seen.append(os.listdir(tmp_path / "tmp"))
        real_seal(self)

    monkeypatch.setattr(ErrorStore, "seal", seal)
    report = analyze([str(log)])
    assert [f.fingerprint for f in report.correlation.findings] == ["42P01:nosuch"]
    assert len(seen) == 1 and seen[0][0].startswith("triage-errors-")
    assert os.listdir(tmp_path / "tmp") == []


def test_with_nowhere_to_write_the_store_is_kept_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(store_module, "SPILL", 0)
    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    log = tmp_path / "pg.log"
    log.write_text('2026-11-21 10:00:00.000 UTC [42] ERROR:  relation "nosuch" does not exist\n')
    report = analyze([str(log)])
    assert [f.fingerprint for f in report.correlation.findings] == ["42P01:nosuch"]


def test_a_full_disk_is_a_one_line_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite's own "database or disk is full" (a page limit stands in for the disk): the
    analysis stops with the one-line error and exit 2, not a traceback; no file is left."""
    from click.testing import CliRunner

    from triage.cli import cli, commands  # noqa: F401  (registers the subcommands)

    monkeypatch.setattr(store_module, "SPILL", 10)
    monkeypatch.setattr(store_module, "PRAGMAS", (*store_module.PRAGMAS, "max_page_count = 4"))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    log = tmp_path / "pg.log"
    log.write_text(
        "".join(
            f"2026-11-21 10:00:{n % 60:02d}.000 UTC [42] ERROR:  duplicate key value violates"
            f' unique constraint "users_email_key"\n'
            f"2026-11-21 10:00:{n % 60:02d}.000 UTC [42] DETAIL:  Key (email)=(u{n}@x.io)"
            " already exists.\n"
            for n in range(2000)
        )
    )
    result = CliRunner().invoke(cli, ["analyze", str(log), "--no-progress"])
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.strip().splitlines()
    assert "database or disk is full" in line and "TMPDIR" in line
    assert os.listdir(tmp_path) == ["pg.log"]


def _no_root(fid: str) -> Any:
    raise AssertionError(f"no failure is linked, none is quoted ({fid})")
