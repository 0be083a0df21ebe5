"""Skipping quiet lines changes nothing: a quiet parser ignores every line that is not one of its
triggers, and every captured input reads to the same events and stats with the gate on and off."""

from __future__ import annotations

import copy
import functools
import os
import random
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from triage.inputs import (
    ReadResult,
    gated,
    jsonquiet,
    jsonrec,
    linescan,
    pino_pretty,
    pytest_text,
    read_inputs,
    source,
    stream,
    textblocks,
)
from triage.inputs.gate import ALL, BLANK, NONE, Gates, Quiet
from triage.inputs.pino_pretty import PrettyParser
from triage.model import Event, InputStats

ROOT = Path(__file__).resolve().parent.parent
TEXT_SUFFIXES = (".log", ".txt", ".out", ".err", ".jsonl", ".ndjson", ".gz")
TEXT_FILES = sorted(
    p
    for base in (ROOT / "samples", ROOT / "tests" / "fixtures")
    for p in base.rglob("*")
    if p.is_file() and p.name.endswith(TEXT_SUFFIXES) and p.stat().st_size < 3_000_000
)
SAMPLE_DIRS = sorted(p for p in (ROOT / "samples").iterdir() if p.is_dir() and p.name != "generate")


def read(paths: list[str], monkeypatch: pytest.MonkeyPatch, gate: bool) -> tuple[Any, ...]:
    if gate:
        monkeypatch.delenv("TRIAGE_NO_GATE", raising=False)
    else:
        monkeypatch.setenv("TRIAGE_NO_GATE", "1")
    result = ReadResult()
    events: list[Event] = list(read_inputs(paths, result))
    stats: list[InputStats] = result.stats
    return events, stats


def same_both_ways(paths: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    gated_read = read(paths, monkeypatch, gate=True)
    plain_read = read(paths, monkeypatch, gate=False)
    assert gated_read[1] == plain_read[1]
    assert gated_read[0] == plain_read[0]


@pytest.mark.parametrize("path", SAMPLE_DIRS, ids=lambda p: p.name)
def test_every_sample_reads_the_same_with_the_gate_on_and_off(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    same_both_ways([str(path)], monkeypatch)


def test_every_text_fixture_reads_the_same_with_the_gate_on_and_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fixtures = [str(p) for p in TEXT_FILES if "fixtures" in p.parts]
    assert fixtures
    same_both_ways(fixtures, monkeypatch)


def mixed_log(seed: int, dirty: bool) -> bytes:
    """Real captured text lines from every sample and fixture, in runs, as one mixed stream."""
    rnd = random.Random(seed)
    blocks = [p.read_bytes() for p in TEXT_FILES if not p.name.endswith(".gz")]
    out: list[bytes] = []
    for _ in range(60):
        lines = rnd.choice(blocks).split(b"\n")
        start = rnd.randrange(len(lines))
        out.extend(lines[start : start + rnd.randrange(1, 400)])
    if dirty:  # what source._clean repairs, on real lines
        marks = [
            lambda b: b + b"\r",
            lambda b: b"2024-05-01T12:00:00.1234567Z " + b,
            lambda b: b"\x1b[31m" + b + b"\x1b[0m",
            lambda b: b[:3] + b"\x00" + b[3:],
            lambda b: b + b" \xff\xfe",
            lambda b: b"    " + b,
            lambda b: b"",
            lambda b: b"x" * 700 + b,
        ]
        for i in rnd.sample(range(len(out)), len(out) // 20):
            out[i] = rnd.choice(marks)(out[i])
    data = b"\n".join(out)
    return b"\xef\xbb\xbf" + data if seed % 2 else data


@pytest.mark.parametrize("seed", range(8))
def test_mixed_streams_read_the_same_across_chunk_and_window_edges(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    rnd = random.Random(seed)
    monkeypatch.setattr(source, "CHUNK", rnd.choice([512, 4096, 65536]))
    monkeypatch.setattr(source, "MAX_LINE", rnd.choice([600, 2000]))
    monkeypatch.setattr(gated, "FIRST_WINDOW", rnd.choice([1, 100, 3000]))
    monkeypatch.setattr(gated, "MAX_WINDOW", rnd.choice([200, 50000]))
    log = tmp_path / "mixed.log"
    log.write_bytes(mixed_log(seed, dirty=seed >= 4))
    same_both_ways([str(log)], monkeypatch)


def service_log(seed: int) -> bytes:
    """A service's pino records (most of them quiet) with runner text among them, and JSON records
    split across lines (docker cuts long lines) right before quiet ones: the runs get packed."""
    rnd = random.Random(seed)
    pino = (ROOT / "samples" / "incident-noisy-10k" / "app.pino.log").read_bytes().split(b"\n")
    quiet = [b for b in pino if b.startswith(b'{"level":30,') and b"rror" not in b]
    loud = [b for b in pino if b.startswith(b'{"level":50,')]
    text = mixed_log(seed, dirty=seed % 2 == 1).split(b"\n")
    out: list[bytes] = []
    for line in text:
        out.append(line)
        out.extend(rnd.choice(quiet) for _ in range(rnd.randrange(12)))
        if rnd.random() < 0.05:  # a record cut in two, then quiet records or its tail
            record = rnd.choice(loud + quiet)
            cut = rnd.randrange(1, len(record))
            out.append(record[:cut])
            if rnd.random() < 0.5:
                out.append(record[cut:])
            out.extend(rnd.choice(quiet) for _ in range(rnd.randrange(4)))
    return b"\n".join(out) + b"\n"


@pytest.mark.parametrize("seed", range(6))
def test_service_logs_with_runner_text_read_the_same_when_their_quiet_records_are_cut_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    rnd = random.Random(seed)
    monkeypatch.setattr(source, "CHUNK", rnd.choice([4096, 16384, 65536]))  # some runs clean
    monkeypatch.setattr(gated, "FIRST_WINDOW", rnd.choice([1, 100, 3000]))
    monkeypatch.setattr(gated, "MAX_WINDOW", rnd.choice([200, 50000]))
    monkeypatch.setattr(gated, "PACK_MIN", 4)
    packed: list[int] = []
    real_pack = gated._pack

    def pack(buf: bytes, start: int, end: int) -> Any:
        got = real_pack(buf, start, end)
        if buf.count(b"\n", start, end) > 1:  # not the line a read cut, made whole alone
            packed.append(got is not None)
        return got

    monkeypatch.setattr(gated, "_pack", pack)
    log = tmp_path / "service.log"
    log.write_bytes(service_log(seed))
    same_both_ways([str(log)], monkeypatch)
    assert sum(packed) > len(packed) / 2  # the packed path was the one taken


def passes_log(seed: int) -> bytes:
    """passes.log (a real -rA run) with its passing tests' sections shuffled and repeated, some
    lines made dirty the way source._clean repairs, some quiet records made loud (a retry)."""
    rnd = random.Random(seed)
    lines = (ROOT / "tests" / "fixtures" / "pytest" / "passes.log").read_bytes().split(b"\n")
    start = next(i for i, b in enumerate(lines) if b.endswith(b" PASSES " + b"=" * 36)) + 1
    end = next(i for i, b in enumerate(lines) if b"short test summary info" in b)
    sections: list[list[bytes]] = []
    for line in lines[start:end]:
        if line.startswith(b"___") and pytest_text.is_title(line.decode()):
            sections.append([])
        sections[-1].append(line)
    body: list[bytes] = []
    for _ in range(300):
        section = list(rnd.choice(sections))
        for i in rnd.sample(range(len(section)), rnd.randrange(3)):
            section[i] = rnd.choice(
                [
                    lambda b: b + b"\r",
                    lambda b: b"2024-05-01T12:00:00.1234567Z " + b,
                    lambda b: b"",
                    lambda b: b + b" (will retry)",
                    lambda b: b"  continued: " + b,
                    lambda b: b"caf\xc3\xa9 " + b,
                ]
            )(section[i])
        body.extend(section)
    return b"\n".join(lines[:start] + body + lines[end:])


@pytest.mark.parametrize("seed", range(6))
def test_passing_tests_sections_read_the_same_across_chunk_and_window_edges(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    """The reader passes over a passing test's section and, when a line its records keep comes,
    reads that section from its title (Quiet.rewinds): the same events, at every edge."""
    rnd = random.Random(seed)
    monkeypatch.setattr(source, "CHUNK", rnd.choice([512, 4096, 65536]))
    monkeypatch.setattr(gated, "FIRST_WINDOW", rnd.choice([1, 100, 3000]))
    monkeypatch.setattr(gated, "MAX_WINDOW", rnd.choice([200, 50000]))
    log = tmp_path / "passes.log"
    log.write_bytes(passes_log(seed))
    same_both_ways([str(log)], monkeypatch)
    events, _ = read([str(log)], monkeypatch, gate=True)
    assert sum(e.kind == "log" for e in events) > 20  # kept records, read from their sections


VERBOSE_SUITE = """
import pytest


@pytest.fixture
def tidy(request):
    yield
    if request.node.callspec.params["n"] == 250:
        raise RuntimeError("could not drop the scratch schema")


@pytest.mark.parametrize("n", range(400))
def test_totals(n, tidy):
    assert n % 97 != 0 or n == 0, f"total {n} is off"
"""


def verbose_run(tmp_path: Path, *options: str) -> Any:
    (tmp_path / "test_suite.py").write_text(VERBOSE_SUITE)
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "PYTEST_ADDOPTS")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-v", *options, "-p", "no:cacheprovider", "test_suite.py"],
        cwd=tmp_path,
        env={**env, "COLUMNS": "80"},
        capture_output=True,
        check=False,
    )


@pytest.mark.parametrize("color", ["no", "yes"])
@pytest.mark.parametrize("scanner", ["native", "python"])
def test_a_real_verbose_pytest_run_reads_the_same_and_asks_the_gate_rarely(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scanner: str, color: str
) -> None:
    """pytest -v prints one line per test, and every one is a trigger: the reader reads such runs
    of triggers without asking the gate line by line (the native scanner takes them undecoded;
    without it, the pytest parser takes them as a list), and reads the same. In colour (CI logs
    often are), the codes are taken out of the block first, as the reader cleans each line: the
    same events as the plain run's, just as fast."""
    if scanner == "native" and linescan.progress_run is None:
        if os.environ.get("CI"):
            raise AssertionError("CI builds the native scanner")
        pytest.skip("the C extension was not built here")
    if scanner == "python":
        monkeypatch.setattr(linescan, "progress_run", None)
    run = verbose_run(tmp_path, f"--color={color}")
    assert run.returncode == 1 and b"PASSED" in run.stdout and b"ERROR at teardown" in run.stdout
    assert (b"\x1b[" in run.stdout) == (color == "yes")
    log = tmp_path / "run.log"
    log.write_bytes(run.stdout)
    same_both_ways([str(log)], monkeypatch)
    asked: list[int] = []
    real_current = Gates.current

    def current(self: Gates) -> Any:
        asked.append(1)
        return real_current(self)

    monkeypatch.setattr(Gates, "current", current)
    taken: list[int] = []
    real_take, real_take_raw = pytest_text.PytestParser.take, pytest_text.PytestParser.take_raw

    def take(self: pytest_text.PytestParser, lines: list[str]) -> int:
        taken.append(real_take(self, lines))
        return taken[-1]

    def take_raw(self: pytest_text.PytestParser, data: bytes, start: int, end: int) -> Any:
        got = real_take_raw(self, data, start, end)
        taken.append(got[0])
        return got

    monkeypatch.setattr(pytest_text.PytestParser, "take", take)
    monkeypatch.setattr(pytest_text.PytestParser, "take_raw", take_raw)
    parsers: list[pytest_text.PytestParser] = []
    real_init = pytest_text.PytestParser.__init__

    def init(self: pytest_text.PytestParser, path: str) -> None:
        real_init(self, path)
        parsers.append(self)

    monkeypatch.setattr(pytest_text.PytestParser, "__init__", init)
    events, stats = read([str(log)], monkeypatch, gate=True)
    assert len(asked) < stats[0].lines / 4
    assert sum(taken) > 300  # the -v lines went to the pytest parser in runs
    # what the parser keeps does not grow with the number of tests: no word per passing test
    resolver = parsers[0].resolver
    assert (resolver.workers, len(resolver.last)) == ({}, 1)
    assert resolver.teardown == {"test_suite.py::test_totals[250]"}
    tests = {(e.test, e.outcome, e.phase) for e in events if e.kind == "test"}
    assert ("test_suite.py::test_totals[97]", "failed", "call") in tests
    assert ("test_suite.py::test_totals[250]", "error", "teardown") in tests
    if color == "yes":
        plain = tmp_path / "plain.log"
        plain.write_bytes(verbose_run(tmp_path, "--color=no").stdout)
        plain_events, _ = read([str(plain)], monkeypatch, gate=True)

        def shown(evs: list[Event]) -> list[tuple[Any, ...]]:
            return [(e.line, e.test, e.outcome, e.phase, e.text) for e in evs if e.kind == "test"]

        assert shown(events) == shown(plain_events)


def _lines_for_packing() -> list[bytes]:
    pino = (ROOT / "samples" / "incident-noisy-10k" / "app.pino.log").read_bytes().split(b"\n")
    quiet = [b for b in pino if b and not jsonrec.worth_decoding(b.decode())][:3]
    loud = [b for b in pino if b.startswith(b'{"level":50,')][:2]
    text = (ROOT / "samples" / "py-psycopg-integrity" / "run.log").read_bytes().split(b"\n")
    picked = [ln for ln in text if ln.startswith((b"=", b"Traceback", b"  File", b"E ", b"FAILED"))]
    cut = [r[: len(r) // 2] for r in quiet[:1] + loud[:1]] + [r[len(r) // 2 :] for r in loud[:1]]
    marks = [b"", b"\r", b"\xff\xfe", b"\x1b[0m", b"2024-05-01T12:00:00.1234567Z "]
    return quiet * 3 + loud + picked[:12] + cut + marks


PACKING_LINES = _lines_for_packing()


@settings(max_examples=120, deadline=None)
@given(
    st.lists(st.sampled_from(range(len(PACKING_LINES))), max_size=60),
    st.sampled_from([256, 1024, 8192]),
)
def test_packed_runs_read_the_same_whatever_the_lines(picks: list[int], chunk: int) -> None:
    """Any sequence of quiet and loud records, records cut in two, runner text, blank and dirty
    lines, read with every run packed: the same events and counts as with the gate off."""
    import tempfile

    lines = [PACKING_LINES[i] for i in picks]
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(source, "CHUNK", chunk)
        monkeypatch.setattr(gated, "PACK_MIN", 1)
        monkeypatch.setattr(gated, "PACK_SHARE", 0)
        monkeypatch.setattr(gated, "FIRST_WINDOW", 64)
        log = Path(tmp) / "service.log"
        log.write_bytes(b"\n".join(lines) + b"\n")
        same_both_ways([str(log)], monkeypatch)


def test_a_bad_byte_on_a_skipped_line_is_still_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "run.log"
    log.write_bytes(b"plain line\n" * 50 + b"caf\xe9 au lait\n" + b"plain line\n" * 50)
    events, stats = read([str(log)], monkeypatch, gate=True)
    assert events == [] and dict(stats[0].skipped) == {"invalid-utf8": 1}
    assert stats[0].lines == 101


# -- the invariant behind the gate ---------------------------------------------------------------


def snapshot(obj: Any, depth: int = 0) -> Any:
    """A comparable picture of an object's whole state."""
    if isinstance(obj, (str, bytes, int, float, bool, type(None))):
        return obj
    if isinstance(obj, dict):
        return {k: snapshot(v, depth + 1) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [snapshot(v, depth + 1) for v in obj]
    if isinstance(obj, (set, frozenset)):
        return sorted(map(repr, obj))
    fields = dict(getattr(obj, "__dict__", {}))
    for name in getattr(type(obj), "__slots__", ()):
        fields[name] = getattr(obj, name, None)
    return (type(obj).__name__, snapshot(fields, depth + 1))


def check_quiet_line(parser: Any, quiet: Quiet, no: int, line: str) -> None:
    """feed() of a non-trigger line in a quiet state: no events, no change (or, for a tracking
    state, exactly what skipped(no) does; for a collecting one, what collected() does with it;
    for a rewinding one, a change of the open section only), and the claim the state announced."""
    fed = copy.deepcopy(parser)
    claimed, events = fed.feed(no, line)
    assert events == [], (type(parser).__name__, line)
    expected = copy.deepcopy(parser)
    if quiet.tracks:
        expected.skipped(no)
    if quiet.collects:
        expected.collected([no], [line])
    if quiet.rewinds is not None and isinstance(parser, PrettyParser):
        # inside a quiet record: feed() may add to it, or end it (a header starts the next one
        # afresh), but never make it loud (it would yield an event the reader may pass over)
        assert fed.record is None or not fed.record.loud, line
        if quiet.rewinds.test(line):
            assert fed.record is not None and fed.record.line == no, line
        fed.record = expected.record = None
    elif quiet.rewinds is not None:
        # the lines from the next boundary on set the open section anew (the reader feeds them
        # when a trigger comes): feed() may change it, and nothing else but what a boundary
        # does to the section before (set aside as it was, its kept records only)
        if quiet.rewinds.test(line) or fed.section is None:  # a title, or an end of sections
            expected._end_section()
        else:
            assert fed.section.title == parser.section.title, line
            assert fed.section.logs == parser.section.logs, line
        fed.section = expected.section = None
    assert snapshot(fed) == snapshot(expected), (type(parser).__name__, no, line)
    if quiet.claims == ALL:
        assert claimed, line
    elif quiet.claims == BLANK:
        assert claimed == (not line.strip()), line
    elif quiet.claims == NONE and not quiet.tracks:
        assert not claimed, line


STATES: dict[tuple[str, int], list[Any]] = {}  # quiet states met in the samples, by parser


class Checked:
    """A parser that checks every line it is fed against its own quiet() answer first."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.fmt = real.fmt

    def feed(self, no: int, line: str) -> tuple[bool, list[Event]]:
        quiet = self.real.quiet()
        if quiet is not None:
            kept = STATES.setdefault((type(self.real).__name__, id(quiet)), [])
            if len(kept) < 6:
                kept.append((copy.deepcopy(self.real), quiet, no))
            if not quiet.wants(line):
                check_quiet_line(self.real, quiet, no, line)
        result: tuple[bool, list[Event]] = self.real.feed(no, line)
        return result

    def close(self) -> list[Event]:
        result: list[Event] = self.real.close()
        return result

    def quiet(self) -> Quiet | None:
        return None  # read line by line: every line is checked


REAL_PARSERS = stream.text_parsers()


@functools.cache
def walk_every_input() -> dict[tuple[str, int], list[Any]]:
    """Feed every line of every captured input through checking parsers; the states met."""
    factories = [lambda path, make=make: Checked(make(path)) for make in REAL_PARSERS]
    with (
        mock.patch.object(stream, "text_parsers", lambda: factories),
        mock.patch.dict(os.environ, {"TRIAGE_NO_GATE": "1"}),
    ):
        for path in TEXT_FILES:
            list(read_inputs([str(path)], ReadResult()))
    return STATES


def test_a_quiet_parser_ignores_every_non_trigger_line_of_every_input() -> None:
    states = walk_every_input()
    assert {name for name, _ in states} == {
        "PytestParser",
        "JsRunnerParser",
        "PrettyParser",
        "StderrParser",
        "TextBlockParser",
    }


FRAGMENTS = [
    " ", "  ", "    ", "\t", "=", "====", "-", "---", "_", "::", "[", "]", "%]", "[gw0]", "!",
    "(", ")", ": ", ":  ", "{", "}", "0", "12", "s", "in", " in 0.5s", "passed", "failed",
    "ERROR", "Error", "error", "WARN", "INFO", "DEBUG", "FATAL", "LOG", "DETAIL", "E", "F", ".",
    "✓", "×", "❯", "→", "⎯⎯⎯", "●", "▶", "✖", "✔", "ℹ", "FAIL", "PASS", "RUN  v", "Test Files",
    "TAP version", "ok 1 - x", "# ", "Traceback (most recent call last):", "File", "tests/x.py",
    "violates", "live log", "rootdir: ", "psql:", "at ", "Exception", "pid", "é", "\u00a0",
    "generated ", "Captured log call", "WARNING  ", "retry",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=8).map("".join) | st.text(max_size=30))
def test_quiet_states_ignore_generated_non_trigger_lines(line: str) -> None:
    for states in walk_every_input().values():
        for parser, quiet, no in states:
            if not quiet.wants(line):
                check_quiet_line(parser, quiet, no + 1, line)


def test_every_template_holds_one_of_the_needles_the_gate_scans_for() -> None:
    idle = textblocks.IDLE.triggers
    for template in textblocks.TEMPLATES:
        assert idle.matches(template), template


def with_quiet_records(lines: list[bytes], per_line: int) -> list[bytes]:
    """The lines with ``per_line`` quiet pino records (a real service's) after each."""
    pino = (ROOT / "samples" / "incident-noisy-10k" / "app.pino.log").read_bytes().split(b"\n")
    quiet = [b for b in pino if b and not jsonrec.worth_decoding(b.decode())]
    out: list[bytes] = []
    for i, line in enumerate(lines):
        out.append(line)
        out.extend(quiet[(i * per_line + j) % len(quiet)] for j in range(per_line))
    return out


def test_every_sample_with_a_service_log_among_it_reads_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each sample's text logs with quiet records after every line: their runs are packed, and
    every parser state (blocks, sections, tracking) meets the cut-out records."""
    monkeypatch.setattr(gated, "PACK_MIN", 4)
    logs = [p for d in SAMPLE_DIRS for p in sorted(d.glob("*.log")) if p.stat().st_size < 1e6]
    assert len(logs) > 20
    paths = []
    for i, path in enumerate(logs):
        mixed = tmp_path / f"{i}-{path.parent.name}-{path.name}"
        mixed.write_bytes(b"\n".join(with_quiet_records(path.read_bytes().split(b"\n"), 2)))
        paths.append(str(mixed))
    same_both_ways(paths, monkeypatch)


@pytest.mark.parametrize("service", [False, True], ids=["alone", "among-service-records"])
def test_a_traceback_ending_in_blank_lines_a_vitest_section_claims_reads_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, service: bool
) -> None:
    """A Python traceback (a child process's stderr, cut off after a frame) printed between two
    failures of a vitest report, then blank lines: the vitest parser claims those, so the
    traceback's block ends at its last frame line, which the gate works out from the lines it
    skipped. That end is parser state no event shows (a cut-off traceback reports nothing), so
    this checks that the path is taken, packed or not, and changes nothing."""
    vitest = (ROOT / "samples" / "node-vitest-pg" / "run.log").read_bytes().split(b"\n")
    py = (ROOT / "tests" / "fixtures" / "text" / "py-direct-cause.txt").read_bytes()
    k = next(i for i, line in enumerate(vitest) if b"[1/3]" in line)
    frames = py.split(b"\n")[:3]  # cut off after its first frame: the child was killed
    text = [*vitest[: k + 1], *frames, b"", b"", *vitest[k + 1 :]]
    log = tmp_path / "run.log"
    log.write_bytes(b"\n".join(with_quiet_records(text, 2) if service else text) + b"\n")
    monkeypatch.setattr(gated, "PACK_MIN", 4)
    solid: list[int] = []
    real_reaching = gated._last_reaching

    def last_reaching(*args: Any) -> int:
        found = real_reaching(*args)
        if args[-1]:  # the last line not blank
            solid.append(found)
        return found

    monkeypatch.setattr(gated, "_last_reaching", last_reaching)
    same_both_ways([str(log)], monkeypatch)
    assert solid  # the blank lines were skipped, and the block's end worked out


@pytest.mark.parametrize("service", [False, True], ids=["alone", "among-service-records"])
def test_a_runaway_traceback_is_cut_at_the_same_line_with_the_gate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, service: bool
) -> None:
    lines = (ROOT / "samples" / "py-psycopg-integrity" / "run.log").read_bytes().split(b"\n")
    head = lines.index(b"Traceback (most recent call last):")
    frames = [ln for ln in lines[head + 1 : head + 40] if ln.startswith(b"  ")]
    body = frames * (2 * textblocks.MAX_BLOCK_LINES // len(frames))
    log = tmp_path / "run.log"
    text = [lines[head], *body, *lines[head + 60 : head + 70]]
    log.write_bytes(b"\n".join(with_quiet_records(text, 3) if service else text) + b"\n")
    limits: list[int] = []
    real_limit = textblocks.TextBlockParser.skip_limit

    def limit(self: textblocks.TextBlockParser) -> int:
        limits.append(real_limit(self))
        return limits[-1]

    monkeypatch.setattr(textblocks.TextBlockParser, "skip_limit", limit)
    same_both_ways([str(log)], monkeypatch)
    assert textblocks.MAX_BLOCK_LINES + 1 in limits  # the skipping stopped at the cut
    events, _ = read([str(log)], monkeypatch, gate=True)
    assert [ev.kind for ev in events] == ["error"]  # the exception line, read on its own


def visited(path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    """How many lines of ``path`` the gated reader decodes and hands to read_stream."""
    seen: list[int] = []
    real_iter = gated.GatedLines.__iter__

    def counting(self: gated.GatedLines) -> Any:
        for item in real_iter(self):
            seen.append(item[0])
            yield item

    with mock.patch.object(gated.GatedLines, "__iter__", counting):
        read([str(path)], monkeypatch, gate=True)
    return len(seen)


def test_quiet_pino_records_inside_runner_text_are_skipped_like_read_stream_skips_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A service's info records interleaved with test-runner text: the gate jumps over them
    undecoded, and the input still reads as pino (its format is recorded at the same point)."""
    pino = (ROOT / "samples" / "incident-noisy-10k" / "app.pino.log").read_bytes().split(b"\n")
    quiet = [b for b in pino if b.startswith(b'{"level":30,') and b"rror" not in b][:3000]
    text = (ROOT / "samples" / "incident-cleanup-race" / "run.log").read_bytes().split(b"\n")
    lines = text[:5] + quiet[:1000] + text[5:] + quiet[1000:] + text
    log = tmp_path / "service-and-tests.log"
    log.write_bytes(b"\n".join(lines))
    same_both_ways([str(log)], monkeypatch)
    events, stats = read([str(log)], monkeypatch, gate=True)
    assert "pino" in stats[0].formats and stats[0].lines == len(lines) - (lines[-1] == b"")
    assert events


def test_quiet_pino_records_inside_tracebacks_and_sections_read_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Quiet records between the lines of a Python traceback or a pytest section: the parsers
    never see them, so they must not end the block either."""
    pino = (ROOT / "samples" / "incident-noisy-10k" / "app.pino.log").read_bytes().split(b"\n")
    quiet = [b for b in pino if b.startswith(b'{"level":30,') and b"rror" not in b]
    text = (ROOT / "samples" / "py-psycopg-integrity" / "run.log").read_bytes().split(b"\n")
    assert any(b"Traceback (most recent call last)" in line for line in text)
    lines: list[bytes] = []
    for i, line in enumerate(text):
        lines.append(line)
        lines.extend(quiet[i % len(quiet) : i % len(quiet) + i % 3])
    log = tmp_path / "interleaved.log"
    log.write_bytes(b"\n".join(lines).rstrip(b"\n") + b"\n")
    same_both_ways([str(log)], monkeypatch)
    events, _ = read([str(log)], monkeypatch, gate=True)
    plain = tmp_path / "plain.log"
    plain.write_bytes(b"\n".join(text).rstrip(b"\n") + b"\n")
    alone, _ = read([str(plain)], monkeypatch, gate=True)
    assert [(e.kind, e.text) for e in events] == [(e.kind, e.text) for e in alone]
    # not even decoded where the parsers must see every other line (the traceback's)
    assert visited(log, monkeypatch) == visited(plain, monkeypatch)


def test_the_parsers_are_told_the_last_line_they_would_have_been_fed() -> None:
    """When the gate passes over a traceback's last frames and then a service's quiet records,
    the traceback is told its last frame (read_stream drops the records before any parser sees
    them), and a parser behind one that claims blank lines its last line that is not blank. (A
    mixed stream of the fixtures, cut at CHUNK 512, ended a traceback at such a record.)"""
    pino = (ROOT / "samples" / "incident-noisy-10k" / "app.pino.log").read_bytes().split(b"\n")
    quiet = next(b for b in pino if b.startswith(b'{"level":30,') and b"rror" not in b)
    frame = (ROOT / "tests" / "fixtures" / "text" / "py-direct-cause.txt").read_bytes()
    frame = frame.split(b"\n")[1]
    assert frame.startswith(b"  File ")
    stamped = b"2024-05-01T12:00:00.1234567Z " + quiet
    for tail, last, solid in (
        ([quiet], 0, 0),
        ([quiet, stamped], 0, 0),
        ([b"", quiet], 1, 0),
        ([quiet, b"   ", quiet], 2, 0),
        ([], 0, 0),
    ):
        lines = [frame, *tail]
        buf = b"\n".join(lines) + b"\n"
        n = len(lines) - 1
        assert gated._last_reaching(buf, 0, len(buf), n, False) == last
        assert gated._last_reaching(buf, 0, len(buf), n, True) == solid
    buf = quiet + b"\n" + stamped + b"\n"
    assert gated._last_reaching(buf, 0, len(buf), 1, False) == -1


def test_a_github_actions_log_with_a_stamp_on_every_line_reads_the_same_and_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The raw log GitHub serves: every line behind "2024-05-01T12:00:00.1234567Z ", blank lines
    too. The stamp is dropped before any parser looks, so the gate looks past it as well."""
    parts = [
        ROOT / "samples" / "py-psycopg-integrity" / "run.log",
        ROOT / "samples" / "incident-cleanup-race" / "service.pino.log",
        ROOT / "samples" / "incident-noisy-10k" / "app.pino.log",
    ]
    lines = [line for p in parts for line in p.read_bytes().rstrip(b"\n").split(b"\n")]
    stamped = [
        b"2024-05-01T12:00:%02d.%07dZ " % (i // 1000 % 60, i) + line for i, line in enumerate(lines)
    ]
    log = tmp_path / "job-logs.txt"
    log.write_bytes(b"\n".join(stamped))
    plain = tmp_path / "plain.txt"
    plain.write_bytes(b"\n".join(lines))
    same_both_ways([str(log)], monkeypatch)
    events, stats = read([str(log)], monkeypatch, gate=True)
    unstamped, _ = read([str(plain)], monkeypatch, gate=True)
    assert [(e.kind, e.text, e.line) for e in events] == [
        (e.kind, e.text, e.line) for e in unstamped
    ]
    assert "pino" in stats[0].formats

    # the stamps cost no skipping
    assert visited(log, monkeypatch) == visited(plain, monkeypatch) < len(lines) / 2


def test_a_tap_run_is_gated_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Once node:test's TAP output is recognised, the runner parser acts only on test points,
    subtests, plans and comments: the app's own output between them is passed over (it read
    every line), and the events are the same."""
    from triage.inputs import jsrunner

    tap = (ROOT / "tests" / "fixtures" / "node" / "node-tap.log").read_bytes().split(b"\n")
    noise = [b"server listening on port 3000", b"GET /health 200 1.2 ms - 15", b"cache warm"]
    lines: list[bytes] = []
    for line in tap:
        lines.append(line)
        lines.extend(noise * 10)
    log = tmp_path / "tap.log"
    log.write_bytes(b"\n".join(lines) + b"\n")
    same_both_ways([str(log)], monkeypatch)
    fed: list[str] = []
    real_feed = jsrunner.JsRunnerParser.feed

    def feed(self: jsrunner.JsRunnerParser, no: int, line: str) -> Any:
        fed.append(line)
        return real_feed(self, no, line)

    monkeypatch.setattr(jsrunner.JsRunnerParser, "feed", feed)
    events, _ = read([str(log)], monkeypatch, gate=True)
    assert sum(e.kind == "test" for e in events) >= 3
    assert len(fed) < len(lines) / 4


def mix(
    rnd: random.Random, draws: int, *parts: tuple[float, Callable[[], list[bytes]]]
) -> list[bytes]:
    """``draws`` times, the lines of the first part whose cumulative weight is past a random
    number (the last part's weight is 1.0)."""
    lines: list[bytes] = []
    for _ in range(draws):
        pick = rnd.random()
        lines.extend(next(draw for bound, draw in parts if pick < bound)())
    return lines


def write_lines(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def pretty_records() -> list[list[bytes]]:
    """The records of the real pino-pretty samples (header and property lines), each a list."""
    records: list[list[bytes]] = []
    for path in sorted((ROOT / "samples").glob("node-pretty-*/app.pretty.log")):
        for line in path.read_bytes().split(b"\n"):
            if line.startswith(b"    ") and records:
                records[-1].append(line)
            elif line:
                records.append([line])
    return records


def is_loud(record: list[bytes]) -> bool:
    return any(n.encode() in line for line in record for n in pino_pretty.LOUD)


@pytest.mark.parametrize("seed", range(6))
def test_pino_pretty_logs_read_the_same_when_quiet_records_are_passed_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    """Real pino-pretty records, quiet and loud, in random order, with what ends a record early
    or late: a quiet record that a late property line makes loud (its earlier properties, such
    as reqId, must still be read), text lines between records, a "[" line that is no header,
    blank lines, a record longer than MAX_RECORD_LINES; across chunk and window edges."""
    rnd = random.Random(seed)
    monkeypatch.setattr(source, "CHUNK", rnd.choice([512, 4096, 65536]))
    monkeypatch.setattr(gated, "FIRST_WINDOW", rnd.choice([64, 1024, 32 << 10]))
    records = pretty_records()
    quiet = [r for r in records if b"] INFO " in r[0] and not is_loud(r)]
    assert len(quiet) >= 6 and len(records) > len(quiet)
    late_loud = [*quiet[0], b"    res: {", b'      "statusCode": 503', b"    }"]
    long_quiet = [quiet[1][0], *[b"    n: %d" % i for i in range(pino_pretty.MAX_RECORD_LINES + 5)]]
    extras = [
        late_loud,
        long_quiet,
        [b"[gw0] not a header at all"],
        [b""],
        [b"plain text between records"],
    ]
    lines = mix(
        rnd,
        300,
        (0.8, lambda: rnd.choice(quiet)),
        (0.93, lambda: rnd.choice(records)),
        (1.0, lambda: rnd.choice(extras)),
    )
    log = write_lines(tmp_path / "app.pretty.log", lines)
    same_both_ways([str(log)], monkeypatch)


def test_a_big_pino_pretty_log_is_read_past_its_quiet_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Thousands of quiet records and one loud one: the loud one is read whole (its reqId from
    the property lines), and the reader decodes a few lines, not every one."""
    records = pretty_records()
    quiet = [r for r in records if b"] INFO " in r[0] and not is_loud(r)]
    loud = next(r for r in records if b"] ERROR " in r[0])
    lines = [line for i in range(3000) for line in quiet[i % len(quiet)]] + loud
    log = write_lines(tmp_path / "big.pretty.log", lines)
    same_both_ways([str(log)], monkeypatch)
    events, stats = read([str(log)], monkeypatch, gate=True)
    assert [ev.level for ev in events] == ["error"] and events[0].line == 1 + len(lines) - len(loud)
    assert "pino-pretty" in stats[0].formats
    assert visited(log, monkeypatch) < len(lines) // 20


def json_logger_lines() -> list[bytes]:
    """Every real JSON record line of the samples and fixtures (pino, structlog,
    python-json-logger, jsonlog, reportlog), quiet and loud."""
    return [
        line
        for p in TEXT_FILES
        if not p.name.endswith(".gz")
        for line in p.read_bytes().split(b"\n")
        if line.startswith(b"{") and len(line) < 20_000
    ]


# Lines around which the pass-over must stop or go on: HTTP 5xx statuses in every form HTTP_5XX
# reads (and near misses), levels above info without a LOUD word, text a reader cleans, a
# record cut over two lines, two records on one line, JSON that is no record, non-ASCII.
JSON_EDGES = [
    b'{"level": "info", "event": "request handled", "status": 503}',
    b'{"level": "info", "event": "request handled", "status":"503"}',
    b'{"level": "info", "event": "proxied", "line": "HTTP/1.1 502 Bad Gateway"}',
    b'{"level": "info", "event": "upstream status=504"}',
    b'{"levelname": "INFO", "message": "statusCode 500 from billing"}',
    b'{"level": "info", "event": "took 512 ms", "n": 5000}',
    b'{"level": "info", "event": "status 200", "size": 5120}',
    b'{"level": "warning", "event": "slow request"}',
    b'{"level": "notice", "event": "config reloaded"}',
    b'{"level": "info", "event": "done"}\r',
    b'{"level": "info", "event": "\x1b[31mdone\x1b[0m"}',
    b'{"level": "info", "event": "caf\xc3\xa9 opened"}',
    '{"level": "info", "event": "deadloc\u212a detected"}'.encode(),  # KELVIN SIGN: lower() "k"
    b'{"level": "info", "event": "half a rec',
    b'ord", "n": 1}',
    b'{"level": "info", "event": "a"} {"level": "info", "event": "b"}',
    b'{"level": "info"',
    b"[1, 2, 3]",
    b"{}",
    b'{"level": 30, "msg": "pino without time first", "pid": 1}',
    b'{"level":30,"time":1,"msg":"a quiet pino record"}',
    b'{"level":30,"time":1,"msg":"an attempt"}',
    b"plain runner text between records",
    b"",
]


@pytest.mark.parametrize("seed", range(8))
def test_json_logger_records_read_the_same_when_quiet_ones_are_passed_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    """Real JSON record lines, mostly quiet ones, with the edge lines among them and runner
    text around, across chunk and window edges: the gate passes over the quiet records and the
    events, counts and formats are those of a plain read."""
    rnd = random.Random(seed)
    monkeypatch.setattr(source, "CHUNK", rnd.choice([512, 4096, 65536]))
    monkeypatch.setattr(gated, "FIRST_WINDOW", rnd.choice([64, 1024, 32 << 10]))
    records = json_logger_lines()
    quiet = [r for r in records if not jsonquiet.is_loud(r.decode())]
    assert len(quiet) > 20 and len(records) > len(quiet)
    text = (ROOT / "samples" / "py-psycopg-integrity" / "run.log").read_bytes().split(b"\n")

    def runner_text() -> list[bytes]:
        start = rnd.randrange(len(text))
        return text[start : start + rnd.randrange(1, 30)]

    lines = mix(
        rnd,
        1500,
        (0.85, lambda: [rnd.choice(quiet)]),
        (0.9, lambda: [rnd.choice(records)]),
        (0.97, lambda: [rnd.choice(JSON_EDGES)]),
        (1.0, runner_text),
    )
    log = write_lines(tmp_path / "service.jsonl", lines)
    same_both_ways([str(log)], monkeypatch)


def test_a_structlog_service_log_is_read_past_its_quiet_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Thousands of real structlog info records and the real error ones: the errors are read,
    the routine records are passed over undecoded by read_stream, the input reads as json."""
    real = (ROOT / "tests" / "fixtures" / "json_loggers" / "structlog.jsonl").read_bytes()
    lines = real.strip().split(b"\n")
    info = [line for line in lines if b'"level": "info"' in line]
    errors = [line for line in lines if b'"level": "error"' in line]
    assert info and errors
    body = [info[i % len(info)] for i in range(5000)] + errors + info
    log = write_lines(tmp_path / "structlog.jsonl", body)
    same_both_ways([str(log)], monkeypatch)
    events, stats = read([str(log)], monkeypatch, gate=True)
    assert [ev.level for ev in events] == ["error"] * len(errors)
    assert stats[0].formats == ("json",) or list(stats[0].formats) == ["json"]
    assert visited(log, monkeypatch) < 50


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.lists(
            st.sampled_from(
                ["status", "Status", "Code", "http", "HTTP/1.1", ":", '"', "=", " ", "\t", "5",
                 "50", "503", "5000", "x", "a5", "{", "}"]
            ),
            max_size=8,
        ).map("".join),
        min_size=1,
        max_size=12,
    )
)  # fmt: skip
def test_the_first_5xx_line_of_a_block_is_the_first_http_5xx_finds(lines: list[str]) -> None:
    """GatedLines._first_5xx (a plain search for a 5 and two digits, then the lines holding
    one) against HTTP_5XX on each lower-cased line, from every line start and for every limit."""
    buf = ("\n".join(lines) + "\n").encode()
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    reader = gated.GatedLines(mock.Mock(), source.Counts())
    for a in range(len(lines)):
        for b in range(a, len(lines) + 1):
            hit = next(
                (starts[i] for i in range(a, b) if jsonquiet.HTTP_5XX.search(lines[i].lower())),
                starts[b],
            )
            assert reader._first_5xx(buf, starts[a], starts[b]) == hit, (a, b)
