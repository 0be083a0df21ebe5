"""Failures kept out of memory: the spool of failing observations, the file-backed failure list,
the links to roots, the report rows made as read and the JSON written piece by piece.

The strongest check is equivalence: every real sample analysed with everything on disk (SPILL
of one) reports, byte for byte, what the analysis in memory reports."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from triage.cli import write_out
from triage.correlate import failures as failures_module
from triage.correlate import spool as spool_module
from triage.correlate.failures import FailureList, Links, RootIds, Scopes, Unexplained, index
from triage.correlate.spool import FailureSpool, decode, encode
from triage.model import DbError, Event, Failure, Link, Location
from triage.observe import Observation
from triage.pipeline import Options, analyze
from triage.render import json_bytes, json_chunks, render
from triage.report import report_data
from triage.views import Rows, by_id

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted(p for p in (ROOT / "samples").iterdir() if p.is_dir() and p.name != "generate")


def _reports(sample: Path) -> tuple[bytes, str, int]:
    report = analyze([str(sample)], Options(cwd=str(sample)))
    data = report_data(report)
    return json_bytes(data), render(data, "md"), len(report.correlation.failures)


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_a_spilled_analysis_reports_what_one_in_memory_does(
    sample: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    in_memory, md, count = _reports(sample)
    spilled: list[bool] = []
    close = FailureSpool.close

    def noting(self: FailureSpool) -> None:
        spilled.append(self.spilled)
        close(self)

    monkeypatch.setattr(spool_module, "SPILL", 1)  # every failing observation in the file
    monkeypatch.setattr(failures_module, "SPILL", 1)  # every failure in the list's file
    monkeypatch.setattr(FailureSpool, "close", noting)
    on_disk, md_on_disk, _ = _reports(sample)
    assert spilled and all(spilled) == (count > 0)
    assert on_disk == in_memory
    assert md_on_disk == md


def test_the_samples_are_found() -> None:
    assert len(SAMPLES) > 50


# --- the pieces --------------------------------------------------------------------------------


def _failure(n: int, kind: str = "test") -> Failure:
    return Failure(
        f"S{n}",
        kind,
        f"message {n}\nsecond line",
        Location("run.log", n * 10),
        test=f"tests/test_a.py::test_{n}" if kind == "test" else None,
        ids=(("reqId", f"r{n}"),),
    )


@pytest.mark.parametrize("spill", [1, 3, 100])
def test_the_failure_list_reads_back_what_was_appended(
    spill: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(failures_module, "SPILL", spill)
    monkeypatch.setattr(failures_module, "BUFFER", 64)  # several writes and reads of a few
    made = [_failure(n, "test" if n % 3 else "log") for n in range(1, 41)]
    listed = FailureList()
    for f in made:
        listed.append(f)
    assert listed.spilled == (spill <= 40)
    if listed.spilled:
        assert listed._held == []  # none held as an object
    assert len(listed) == 40
    assert list(listed) == made
    assert listed == made and listed == tuple(made) and listed != made[:-1]
    assert listed[0] == made[0] and listed[-1] == made[-1] and listed[17] == made[17]
    assert listed[5:9] == made[5:9] and listed[::-7] == made[::-7]
    with pytest.raises(IndexError):
        listed[40]


def test_with_nowhere_to_write_the_failures_are_held(monkeypatch: pytest.MonkeyPatch) -> None:
    def nowhere(*args: Any, **kwargs: Any) -> Any:
        raise OSError("read-only file system")

    monkeypatch.setattr(failures_module, "SPILL", 2)
    monkeypatch.setattr(tempfile, "TemporaryFile", nowhere)
    monkeypatch.setattr(tempfile, "mkstemp", nowhere)
    listed = FailureList()
    spool = FailureSpool()
    monkeypatch.setattr(spool_module, "SPILL", 2)
    for n in range(1, 6):
        listed.append(_failure(n))
        spool.add(_observation(n))
    assert not listed.spilled and list(listed) == [_failure(n) for n in range(1, 6)]
    assert not spool.spilled
    assert [g.failure.id for g in spool.groups()] == ["S1", "S2", "S3", "S4", "S5"]


def test_links_tell_each_failure_its_root_and_scope() -> None:
    links = Links()
    links.link("S2", "fp-a", "chain")
    links.link("S5", "fp-b", "window")
    links.link("S3", "fp-a", "symptom")  # linked later, out of order (link_by_symptom)
    assert list(links.linked()) == [("S2", "fp-a"), ("S3", "fp-a"), ("S5", "fp-b")]
    assert links.root("S1") is None and links.root("S9") is None and links.root("x") is None
    assert "S3" in links and "S4" not in links
    roots = RootIds(links, {"fp-a": "F1"})  # fp-b explains nothing a finding lists
    assert dict(roots) == {"S2": "F1", "S3": "F1"} and roots.get("S5") is None
    assert Scopes(links) == {"S2": "chain", "S3": "symptom", "S5": "window"}
    unexplained = Unexplained(6, roots)
    assert list(unexplained) == ["S1", "S4", "S5", "S6"] and len(unexplained) == 4
    assert "S4" in unexplained and "S2" not in unexplained and "S7" not in unexplained
    assert unexplained == ("S1", "S4", "S5", "S6") and unexplained[1:3] == ["S4", "S5"]
    assert index("S12") == 11 and index("F1") == -1 and index("S") == -1


def _observation(n: int, data: Any = None, test: str | None = None) -> Observation:
    err = DbError(
        "postgresql",
        "23505",
        "unique_violation",
        'duplicate key value violates unique constraint "users_email_key"',
        Location("run.log", n * 10 + 3),
        detail=f"Key (email)=(u{n}@x.io) already exists.",
        key=(("email", f"u{n}@x.io"),),
        driver="psycopg",
    )
    ev = Event(
        "run.log",
        n * 10,
        "pytest-text",
        "test",
        f"UniqueViolation {n}",
        data=data,
        test=test or f"tests/test_a.py::test_{n}",
        outcome="failed",
        phase="call",
        ids=(("worker", "gw0"),),
        chain=(Link("psycopg.errors.UniqueViolation", "duplicate key", n * 10 + 3),),
        end_line=n * 10 + 5,
    )
    return Observation(n, ev, (err,), None, None, "2026-11-21T10:00:00Z", "42", n)


@given(
    st.integers(0, 10**6),
    st.one_of(
        st.none(),
        st.dictionaries(st.text(max_size=5), st.one_of(st.integers(), st.text(max_size=5))),
        st.just({"when": object}),  # what marshal cannot write: pickled instead
    ),
)
def test_an_observation_reads_back_equal(n: int, data: Any) -> None:
    ob = _observation(n, data)
    assert decode(encode(ob)) == ob


def test_the_spool_groups_copies_as_in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    """A test read three times (terminal text, JUnit, then reportlog) and an error record
    captured in a failing test are one group each, in the order first read: the readable copy
    first, then the other copies in reading order, then the captured record."""
    text = _observation(1)
    other = _observation(2)
    junit = replace(
        _observation(3, test=text.event.test),
        event=replace(_observation(3, test=text.event.test).event, fmt="junit", path="junit.xml"),
    )
    reportlog = replace(
        _observation(5, test=text.event.test),
        event=replace(
            _observation(5, test=text.event.test).event, fmt="reportlog", path="report.jsonl"
        ),
    )
    captured = Observation(
        4,
        Event(
            "run.log", 44, "pytest-text", "log", "ERROR boom", level="error", test=text.event.test
        ),
        (),
        None,
        None,
        at=4,
    )
    obs = [text, other, junit, captured, reportlog]  # in reading order
    groups: dict[int, list[tuple[str, list[int]]]] = {}
    for spill in (1, 100):
        monkeypatch.setattr(spool_module, "SPILL", spill)
        with FailureSpool() as spool:
            for ob in obs:
                spool.add(ob)
            assert spool.spilled == (spill == 1)
            groups[spill] = [(g.failure.id, [o.seq for o in g.obs]) for g in spool.groups()]
            assert spool.group(2).failure == list(spool.groups())[1].failure
    assert groups[1] == groups[100] == [("S1", [1, 3, 5, 4]), ("S2", [2])]


def test_json_written_piece_by_piece_is_what_orjson_writes_of_the_lists(tmp_path: Path) -> None:
    rows = Rows([1, 2, 3], lambda n: {"id": f"S{n}", "nested": {"n": n, "list": [n]}})
    rows.append({"id": "S4", "nested": {}})
    data = {
        "schema": "x",
        "failures": rows,
        "unexplained": Rows(["S1"]),
        "empty": Rows([]),
        "findings": [{"explains": Rows(["S1", "S2"]), "none": None}],
        "summary": {},
    }
    plain = {
        **data,
        "failures": list(rows),
        "unexplained": ["S1"],
        "empty": [],
        "findings": [{"explains": ["S1", "S2"], "none": None}],
    }
    expected = orjson.dumps(plain, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)
    assert json_bytes(data) == expected
    write_out(json_chunks(data), str(tmp_path / "report.json"))  # as analyze and run write it
    assert (tmp_path / "report.json").read_bytes() == expected
    assert json_bytes({}) == b"{}\n"


def test_rows_read_like_the_list_they_stand_for() -> None:
    made: list[int] = []

    def make(n: int) -> dict[str, Any]:
        made.append(n)
        return {"id": f"S{n}"}

    rows = Rows([1, 2, 3], make)
    assert made == []  # nothing made until read
    assert rows[1] == {"id": "S2"} and made == [2]
    rows.append({"id": "S9"})
    assert len(rows) == 4 and rows[-1] == {"id": "S9"} and rows[-2] == {"id": "S3"}
    assert rows == [{"id": "S1"}, {"id": "S2"}, {"id": "S3"}, {"id": "S9"}]
    assert rows[1:3] == [{"id": "S2"}, {"id": "S3"}]
    fmap = by_id(rows)
    assert fmap["S3"] == {"id": "S3"} and fmap["S9"] == {"id": "S9"} and "S7" not in fmap
    with pytest.raises(IndexError):
        rows[4]
