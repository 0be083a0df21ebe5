"""The bulk pino scanner keeps exactly the lines the line-by-line reader keeps, with true numbers."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from triage.inputs import fastscan, source
from triage.inputs.jsonrec import worth_decoding
from triage.inputs.source import Counts, iter_lines


def make_lines(seed: int, n: int) -> list[str]:
    rnd = random.Random(seed)
    kinds = [
        '{"level":50,"time":1795221521484,"msg":"query failed","err":{"type":"DatabaseError","code":"23505"}}',
        '{"level":40,"time":1795221521484,"msg":"Auth attempt 1 failed, retrying"}',
        '{"level":30,"time":1795221521484,"msg":"Auth attempt 2 succeeded"}',
        '{"time":1795221521484,"level":30,"msg":"keys in another order"}',
        '{"level":"error","time":1795221521484,"msg":"labelled","err":{"code":"23503"}}',
        '{"level":"info","time":1795221521484,"msg":"labelled, quiet"}',
        '{"level":"info","time":1795221521484,"msg":"labelled","statusCode":503}',
        "npm WARN plain text between records",
        "",
    ]
    out = []
    levels = ("30", '"info"')
    for i in range(n):
        r = rnd.random()
        out.append(
            kinds[int(r * 600) % len(kinds)]
            if r < 0.01
            else f'{{"level":{levels[i % 2]},"time":{i},"pid":7,"msg":"request {i} done"}}'
        )
    return out


def line_path(path: Path) -> list[tuple[int, str]]:
    with open(path, "rb") as fh:
        lines = list(iter_lines(io.BufferedReader(fh), Counts()))  # type: ignore[arg-type]
    return [(no, t) for no, t in lines if not t.startswith("{") or worth_decoding(t)]


@pytest.mark.parametrize(
    "seed,block,terminated", [(1, 4096, True), (2, 4097, False), (3, 65536, True), (4, 1000, False)]
)
def test_fast_path_keeps_the_same_lines_as_the_line_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int, block: int, terminated: bool
) -> None:
    lines = make_lines(seed, 20000)
    path = tmp_path / "app.pino.log"
    path.write_text("\n".join(lines) + ("\n" if terminated else ""))
    monkeypatch.setattr(fastscan, "BLOCK", block)
    counts = Counts()
    got = list(fastscan.iter_candidate_lines(str(path), counts, workers=2))
    kept = [(no, t) for no, t in got if not t.startswith("{") or worth_decoding(t)]
    assert kept == line_path(path)
    assert counts.lines == len(lines)
    assert counts.bytes == path.stat().st_size
    # every line it yields is numbered as in the file
    assert all(lines[no - 1] == text for no, text in got)


def test_eligible_only_for_big_plain_level_first_files(tmp_path: Path) -> None:
    small = tmp_path / "small.log"
    small.write_text('{"level":30,"msg":"x"}\n')
    assert not fastscan.eligible(str(small), small.read_bytes())
    assert not fastscan.eligible("-", b'{"level":30')


def test_an_over_long_quiet_line_is_counted_like_the_line_reader_counts_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = make_lines(5, 3000)
    lines[1234] = '{"level":30,"time":1,"msg":"' + "x" * 5000 + '"}'  # quiet, and too long
    lines[2345] = '{"level":50,"time":2,"msg":"' + "y" * 5000 + '","err":{"code":"23505"}}'
    path = tmp_path / "app.pino.log"
    path.write_text("\n".join(lines) + "\n")
    for module in (fastscan, source):
        monkeypatch.setattr(module, "MAX_LINE", 1000)
    monkeypatch.setattr(fastscan, "BLOCK", 65536)
    fast = Counts()
    got = list(fastscan.iter_candidate_lines(str(path), fast, workers=2))
    slow = Counts()
    with open(path, "rb") as fh:
        every = list(iter_lines(io.BufferedReader(fh), slow))  # type: ignore[arg-type]
    assert fast.skipped["line-too-long"] == slow.skipped["line-too-long"] == 2
    assert fast.lines == slow.lines == len(lines)
    cut = dict(every)
    assert all(cut[no] == text for no, text in got)  # the same cut heads, at the same numbers


BAD = [
    b'{"level":30,"time":1,"msg":"ok"}',
    b'{"level":"info","time":1,"msg":"ok"}',
    b'{"level":50,"msg":"boom","err":{"code":"23505"}}',
    b"\n",
    b"\n",
    b"\xff\xfe",
    b"\x00",
    b"\x1b[31m",
    b"\r",
    b"rr",
    b"or",
    b"x" * 150,
    b"2024-05-01T12:00:00.1234567Z ",
    "caf\u00e9".encode(),
]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(parts=st.lists(st.sampled_from(BAD), max_size=200))
def test_bad_bytes_read_and_count_the_same_on_the_fast_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parts: list[bytes]
) -> None:
    """Binary, invalid UTF-8, colour codes, NULs, CRs and over-long lines inside a pino file:
    the bulk path keeps the lines the line reader keeps and counts every skip reason alike."""
    data = b'{"level":30,"msg":"first"}\n' + b"".join(parts)
    path = tmp_path / "bad.pino.log"
    path.write_bytes(data)
    for module in (fastscan, source):
        monkeypatch.setattr(module, "MAX_LINE", 120)
    monkeypatch.setattr(fastscan, "BLOCK", 97)
    fast = Counts()
    got = list(fastscan.iter_candidate_lines(str(path), fast, workers=2))
    kept = [(no, t) for no, t in got if not t.startswith("{") or worth_decoding(t)]
    slow = Counts()
    with open(path, "rb") as fh:
        every = list(iter_lines(io.BufferedReader(fh), slow))  # type: ignore[arg-type]
    assert kept == [(no, t) for no, t in every if not t.startswith("{") or worth_decoding(t)]
    assert fast.lines == slow.lines
    assert fast.skipped == slow.skipped
