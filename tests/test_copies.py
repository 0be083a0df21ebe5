"""A failing test read again (runs appended one after another, a JUnit or reportlog twin) is held
whole once; its later copies are held small (observe.Copies), and correlation reads them alike."""

from __future__ import annotations

import shutil
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT, SAMPLES
from tests.test_store import FMTS, TESTS, db_errors
from triage.correlate import Correlation, correlate
from triage.correlate.fingerprint import fingerprint
from triage.correlate.groups import real_errors
from triage.correlate.store import ErrorStore
from triage.model import DbError, Event, Location
from triage.observe import (
    LOOKAHEAD,
    Copies,
    Observation,
    held,
    is_failure,
    is_recovered_warning,
    is_success_notice,
)
from triage.pgerror import is_cascade
from triage.pipeline import Options, analyze
from triage.report import report_data


@st.composite
def copies_of_tests(draw: Any) -> list[Observation]:
    """Observations where a few tests fail again and again, in several formats and files, with
    or without errors of their own (cascades too), some reading as success notices, among
    error records and warnings."""
    out = []
    at = 0
    for seq in range(draw(st.integers(0, 40))):
        at += draw(st.sampled_from((1, 1, 1, 90, 150)))  # others went to the store only
        path = draw(st.sampled_from(("run.log", "junit.xml", "reportlog.jsonl", "app.log")))
        line = draw(st.integers(1, 60))
        kind = draw(st.sampled_from(("test", "test", "test", "log", "error")))
        errors = tuple(draw(st.lists(db_errors(path, line), max_size=3)))
        event = Event(
            path,
            line,
            draw(st.sampled_from(FMTS)),
            kind,
            draw(st.sampled_from(("assert 1 == 2", "request completed ok", "retrying", ""))),
            level=draw(st.sampled_from((None, None, "info", "warn", "error"))),
            time=draw(st.sampled_from((None, "2026-11-21T10:00:00.000Z"))),
            test=draw(st.sampled_from(TESTS)),
            outcome=draw(st.sampled_from(("failed", "failed", "error", "passed", None))),
            phase=draw(st.sampled_from((None, "call", "setup"))),
            ids=tuple(
                draw(st.lists(st.sampled_from((("reqId", "r1"), ("pid", "41"))), max_size=1))
            ),
        )
        wrapper = draw(st.sampled_from((None, None, "sqlalchemy.exc.IntegrityError")))
        status = draw(st.sampled_from((None, None, 500)))
        pid = draw(st.sampled_from((None, "41")))
        out.append(Observation(seq, event, errors, wrapper, status, event.time, pid, at))
    return out


def correlated(everything: list[Observation], kept: list[Observation]) -> Correlation:
    """correlate() as the pipeline runs it: every error in the store, ``kept`` in memory."""
    with ErrorStore() as store:
        for ob in everything:
            if ob.errors and not is_recovered_warning(ob):
                store.add(ob)
        return correlate(kept, store)


@settings(max_examples=300, deadline=None)
@given(copies_of_tests())
def test_small_copies_are_correlated_as_whole_ones(obs: list[Observation]) -> None:
    whole = [ob for ob in obs if held(ob)]
    copies = Copies()
    small = [copies.fold(ob) or ob for ob in whole]
    assert correlated(obs, small) == correlated(obs, whole)


def _error(line: int, code: str = "23505", path: str = "run.log") -> DbError:
    return DbError(
        "postgresql",
        code,
        None,
        "duplicate key value",
        Location(path, line),
        constraint="users_email_key",
        key=(("email", f"user{line}@example.com"),),
    )


def _failing(
    seq: int, line: int, errors: tuple[DbError, ...], fmt: str = "pytest-text"
) -> Observation:
    path = "junit.xml" if fmt == "junit" else "run.log"
    event = Event(
        path,
        line,
        fmt,
        "test",
        f"UniqueViolation at {line}",
        test="t.py::test_a",
        outcome="failed",
        phase="call",
    )
    return Observation(seq, event, errors, None, None, None, None, seq)


def test_a_failures_first_copy_and_more_readable_ones_are_held_whole_later_ones_small() -> None:
    copies = Copies()
    junit = _failing(0, 5, (), fmt="junit")
    assert copies.fold(junit) is None  # the first copy
    text = _failing(1, 10, ())
    assert copies.fold(text) is None  # more readable than the JUnit copy: it may be the Failure
    again = copies.fold(_failing(2, 20, ()))
    assert again is not None and again.seq == 2 and again.at == 2
    assert again.event.text == "" and again.event.line == 0 and again.event.test == "t.py::test_a"
    later = copies.fold(_failing(3, 30, ()))
    assert later is not None and later.event is again.event  # one Event for the copies of a test
    assert copies.fold(_failing(4, 40, (), fmt="junit")) is not None
    notice = replace(_failing(5, 50, ()), event=replace(text.event, text="completed, ok"))
    assert is_success_notice(notice)
    assert copies.fold(notice) is not None  # no retried warning before it: never read so
    warning = Event("app.log", 60, "pino", "log", "retrying insert", level="warn")
    assert copies.fold(Observation(6, warning, (), None, None, None, None, 6)) is None
    assert copies.fold(replace(notice, seq=7, at=7)) is None  # rule 6 may read its text
    assert copies.fold(replace(notice, seq=8, at=5 + LOOKAHEAD)) is None
    assert copies.fold(replace(notice, seq=9, at=6 + LOOKAHEAD)) is not None  # too late


def test_the_first_small_copy_with_an_error_keeps_it_the_others_one_of_its_kind() -> None:
    copies = Copies()
    assert copies.fold(_failing(0, 10, ())) is None
    cascade = replace(_error(19, "25P02"), constraint=None, key=())
    first = copies.fold(_failing(1, 20, (_error(20),)))
    second = copies.fold(_failing(2, 30, (cascade, _error(30))))
    third = copies.fold(_failing(3, 40, (cascade, _error(40))))
    assert first is not None and second is not None and third is not None
    assert first.errors == (_error(20),)  # its own: rule 1 may elect it (where it was raised)
    assert [fingerprint(e) for e in second.errors] == [
        fingerprint(cascade),
        fingerprint(_error(30)),
    ]
    assert [is_cascade(e) for e in second.errors] == [True, False]
    assert third.errors is second.errors  # the first errors of their kind, one tuple for all
    assert real_errors(third.errors)[-1] == _error(30)


def _texts(case: Path) -> list[Path]:
    return sorted(p for p in case.iterdir() if p.suffix in (".log", ".xml", ".jsonl"))


TEXT_CASES = [
    p
    for p in sorted(SAMPLES.iterdir())
    if p.name.startswith(("py-", "incident-", "node-vitest")) and (p / "run.log").is_file()
]


@pytest.mark.parametrize("case", TEXT_CASES, ids=lambda p: p.name)
def test_runs_appended_one_after_another_report_as_with_every_copy_held_whole(
    case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real run's log three times over, the first time with its `E` lines cut (its failures
    then carry no error of their own: a later copy's is the root), beside the run's other
    inputs: the same report as with every copy held whole, and each failing test held whole
    once."""
    import triage.observe as observe_module
    import triage.pipeline as pipeline

    for p in _texts(case):
        if p.name != "run.log":
            shutil.copy(p, tmp_path / p.name)
    log = (case / "run.log").read_bytes()
    cut = b"\n".join(ln for ln in log.split(b"\n") if not ln.startswith(b"E "))
    (tmp_path / "run.log").write_bytes(cut + b"\n" + log + log)
    options = Options(cwd=str(ROOT))
    whole_observe = observe_module.observe
    kept: list[Observation] = []

    def watched(*args: Any, **kwargs: Any) -> Any:
        kept.extend(whole_observe(*args, **kwargs))
        return kept

    monkeypatch.setattr(pipeline, "observe", watched)
    small = report_data(analyze([str(tmp_path)], options))
    in_log = Counter(
        (ob.event.test, ob.event.phase)
        for ob in kept
        if ob.event.path.endswith("run.log") and is_failure(ob) and ob.event.kind == "test"
        if ob.event.line and not is_success_notice(ob)
    )
    assert set(in_log.values()) <= {1}  # the first copy only

    def whole(*args: Any, **kwargs: Any) -> Any:
        return whole_observe(*args, **{**kwargs, "fold": False})

    monkeypatch.setattr(pipeline, "observe", whole)
    assert report_data(analyze([str(tmp_path)], options)) == small
