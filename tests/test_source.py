"""Reading raw inputs: line splitting, encodings, compression and bad bytes never lose the rest."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from triage.errors import InputError
from triage.inputs import ReadResult, read_inputs, source
from triage.inputs.source import Counts, iter_lines

ROOT = Path(__file__).resolve().parent.parent


def lines_of(data: bytes) -> list[tuple[int, str]]:
    import io

    return list(iter_lines(io.BufferedReader(io.BytesIO(data)), Counts()))  # type: ignore[arg-type]


def test_splits_on_newline_only_and_keeps_u2028_inside_a_record() -> None:
    data = '{"msg":"a\u2028b\u0085c"}\r\nnext\n'.encode()
    assert lines_of(data) == [(1, '{"msg":"a\u2028b\u0085c"}'), (2, "next")]


def test_strips_bom_ansi_and_github_timestamps() -> None:
    data = b"\xef\xbb\xbffirst\n\x1b[31mred\x1b[0m\n2024-05-01T12:00:00.1234567Z stamped\n"
    assert [t for _, t in lines_of(data)] == ["first", "red", "stamped"]


def test_reads_utf16_with_bom() -> None:
    data = "line one\nline two\n".encode("utf-16")
    assert [t for _, t in lines_of(data)] == ["line one", "line two"]


def test_invalid_utf8_is_counted_and_replaced() -> None:
    import io

    counts = Counts()
    got = list(iter_lines(io.BufferedReader(io.BytesIO(b"ok\nbad \xff\xfe here\nafter\n")), counts))  # type: ignore[arg-type]
    assert [t for _, t in got] == ["ok", "bad \ufffd\ufffd here", "after"]
    assert counts.skipped["invalid-utf8"] == 1


def test_overlong_line_is_cut_counted_and_the_rest_still_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import io

    monkeypatch.setattr(source, "MAX_LINE", 1000)
    monkeypatch.setattr(source, "CHUNK", 256)
    counts = Counts()
    data = b"before\n" + b"x" * 5000 + b"\nafter\n"
    got = list(iter_lines(io.BufferedReader(io.BytesIO(data)), counts))  # type: ignore[arg-type]
    assert [no for no, _ in got] == [1, 2, 3]
    assert got[1][1] == "x" * 1000 and got[2] == (3, "after")
    assert counts.skipped["line-too-long"] == 1


def test_missing_path_is_a_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="nope.log: no such file"):
        list(read_inputs([str(tmp_path / "nope.log")], ReadResult()))


def test_gzip_and_binary_files_in_a_directory(tmp_path: Path) -> None:
    (tmp_path / "a.log.gz").write_bytes(gzip.compress(b"plain text line\n"))
    (tmp_path / "b.bin").write_bytes(bytes(range(256)) * 64)
    result = ReadResult()
    list(read_inputs([str(tmp_path)], result))
    by_name = {Path(s.path).name: s for s in result.stats}
    assert by_name["a.log.gz"].lines == 1
    assert dict(by_name["b.bin"].skipped) == {"binary-file": 1}


def test_truncated_gzip_keeps_what_was_read(tmp_path: Path) -> None:
    blob = gzip.compress(b"".join(b"line %d\n" % i for i in range(5000)))
    (tmp_path / "cut.log.gz").write_bytes(blob[: len(blob) // 2])
    result = ReadResult()
    list(read_inputs([str(tmp_path / "cut.log.gz")], result))
    stats = result.stats[0]
    assert stats.error and "cut.log.gz" in stats.error
    assert dict(stats.skipped)["read-error"] == 1


def test_progress_is_reported_per_chunk_even_when_no_event_comes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A big log of quiet lines yields no event for a long time: the bar must still move."""
    monkeypatch.setattr(source, "CHUNK", 4096)
    path = tmp_path / "quiet.log"
    path.write_bytes(b'{"level":30,"time":1,"msg":"request done"}\n' * 2000)
    seen: list[tuple[str, int]] = []
    events = list(read_inputs([str(path)], ReadResult(), lambda p, n: seen.append((p, n))))
    assert events == []
    assert len(seen) >= 10 and seen[-1] == (str(path), path.stat().st_size)
    assert [n for _, n in seen] == sorted(n for _, n in seen)


def test_a_log_with_a_stray_nul_or_a_zeroed_head_is_read_not_skipped(tmp_path: Path) -> None:
    """A NUL byte in a log's first lines made the whole file "binary" and unread. A stray NUL is
    counted on its line; a head of NUL bytes (logrotate's copytruncate: the writer goes on at its
    old offset) is passed over; the text after it is read. A file of NULs and controls
    throughout is still binary."""
    race = (ROOT / "samples" / "incident-cleanup-race" / "service.pino.log").read_bytes()
    stray = tmp_path / "stray.log"
    stray.write_bytes(b"boot \x00 ok\n" + race)
    zeroed = tmp_path / "zeroed.log"
    zeroed.write_bytes(b"\x00" * 20000 + race)
    binary = tmp_path / "core.bin"
    binary.write_bytes(b"\x7fELF\x02\x01\x01" + bytes(range(256)) * 16 + b"\x00" * 4000)
    for path in (stray, zeroed):
        result = ReadResult()
        events = list(read_inputs([str(path)], result))
        stats = result.stats[0]
        skipped = dict(stats.skipped)
        assert "binary-file" not in skipped and skipped["binary"] >= 1, path.name  # the NUL line
        assert any(
            e.level == "error" and "job_status_course_id_fkey" in str(e.data) for e in events
        )
    result = ReadResult()
    list(read_inputs([str(binary)], result))
    assert dict(result.stats[0].skipped) == {"binary-file": 1}


def test_a_walked_directory_passes_over_pipes_and_names_a_broken_link(tmp_path: Path) -> None:
    """A named pipe in a walked directory made the run wait for ever for a writer; it is passed
    over (given by name, a pipe is read: ``triage analyze <(pytest ...)``). A broken link is a
    one-line error naming it once."""
    import os
    import threading

    logs = tmp_path / "artifacts"
    logs.mkdir()
    (logs / "run.log").write_bytes(b"ERROR: boom\n")
    os.mkfifo(logs / "pipe")
    (logs / "gone.log").symlink_to(tmp_path / "nowhere")
    result = ReadResult()
    done: list[int] = []
    walker = threading.Thread(
        target=lambda: done.append(len(list(read_inputs([str(logs)], result)))), daemon=True
    )
    walker.start()
    walker.join(10)
    assert done, "the walk waited on the pipe"
    by_name = {Path(s.path).name: s for s in result.stats}
    assert set(by_name) == {"run.log", "gone.log"}
    assert by_name["gone.log"].error == f"{logs / 'gone.log'}: No such file or directory"

    pipe = tmp_path / "given"
    os.mkfifo(pipe)

    def write() -> None:
        with open(pipe, "wb") as fh:
            fh.write(b"line one\nline two\n")

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    given = ReadResult()
    list(read_inputs([str(pipe)], given))
    writer.join(10)
    assert given.stats[0].lines == 2


def test_a_file_named_twice_is_read_once(tmp_path: Path) -> None:
    """A directory and a file inside it, or one path given twice: each file is read once, so no
    input, line or event is counted twice."""
    (tmp_path / "run.log").write_bytes(b"ERROR: boom\n")
    (tmp_path / "app.log").write_bytes(b"started\n")
    paths = [str(tmp_path), str(tmp_path / "run.log"), str(tmp_path / "." / "app.log")]
    result = ReadResult()
    list(read_inputs(paths, result))
    assert sorted(Path(s.path).name for s in result.stats) == ["app.log", "run.log"]


COLOUR_PIECES = [b"a", b"\x1b[32m", b"\x1b[0m", b"\x1b", b"[", b"\r", b"\x1b[K", b"1", b" ", b"m"]
COLOUR_PIECES += [b"2024-05-01T12:00:00.1234567Z ", b"\xc3\xa9", b"\x1b[1;31m", b"31", b"\x1b[31"]


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.lists(st.sampled_from(COLOUR_PIECES), max_size=8).map(b"".join), min_size=1, max_size=8
    )
)
@example([b"1\x1b[31\x1b[0mm"])  # taking a code out makes one: a line is cleaned once
@example([b"ok\r\x1b[K", b"\x1b[32mPASSED\x1b[0m\r"])
def test_a_coloured_run_reads_as_each_of_its_lines_read_alone(lines: list[bytes]) -> None:
    """Colour codes are taken out of a whole run (or block) at once where that gives what
    cleaning each line alone gives (a code after a "\\r", an escape starting no code: line by
    line), whatever the codes, carriage returns and stamps."""
    buf = b"\n".join(lines) + b"\n"
    want = [source._decode(line, Counts()) for line in lines]
    assert source.run_texts(buf, 0, len(buf), Counts()) == want
    clean = source.uncoloured(buf, 0, len(buf))
    if clean is not None:
        assert [source._decode(line, Counts()) for line in clean[:-1].split(b"\n")] == want


class _Reads:
    """A slow stream that hands out ``chunks`` in turn (then b""), raising ``fail`` on read
    number ``fail_at``; it records which threads read, and how many reads are under way."""

    def __init__(self, chunks: list[bytes], fail_at: int = -1, fail: Exception | None = None):
        self.chunks, self.fail_at, self.fail = list(chunks), fail_at, fail
        self.reads = self.running = 0
        self.threads: set[str] = set()

    def read(self, size: int) -> bytes:
        import threading
        import time

        self.threads.add(threading.current_thread().name)
        self.reads += 1
        self.running += 1
        try:
            time.sleep(0.01)
            if self.reads == self.fail_at and self.fail is not None:
                raise self.fail
            return self.chunks.pop(0) if self.chunks else b""
        finally:
            self.running -= 1


def test_read_ahead_returns_the_streams_reads_in_order_and_raises_an_error_where_it_came() -> None:
    from concurrent.futures import ThreadPoolExecutor

    chunks = [b"a" * 10, b"b" * 7, b"c" * 3]
    with ThreadPoolExecutor(1) as pool:
        ahead = source.ReadAhead(_Reads(chunks), pool)  # type: ignore[arg-type]
        assert [ahead.read(10) for _ in range(5)] == [*chunks, b"", b""]
        ahead.close()
        stream = _Reads(chunks, fail_at=3, fail=OSError("device gone"))
        ahead = source.ReadAhead(stream, pool)  # type: ignore[arg-type]
        assert ahead.read(10) == chunks[0]
        assert ahead.read(10) == chunks[1]  # read number 3 has already failed, unseen so far
        with pytest.raises(OSError, match="device gone"):
            ahead.read(10)
        ahead.close()
    assert stream.threads and all(t.startswith("ThreadPool") for t in stream.threads)


def test_a_big_input_is_read_a_chunk_ahead_and_the_stream_is_left_idle_when_reading_stops(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Past one chunk, GatedLines reads the next chunk in a worker: the lines are those of
    iter_lines, and once the reader stops (here a few chunks in), no read is under way."""
    import io

    from triage.inputs.gated import GatedLines

    monkeypatch.setattr(source, "CHUNK", 4096)
    data = b"".join(b"line %d \xff\n" % i if i % 97 == 0 else b"line %d\n" % i for i in range(9000))
    counts = Counts()
    assert list(GatedLines(io.BytesIO(data), counts)) == lines_of(data)  # type: ignore[arg-type]
    assert counts.bytes == len(data) and counts.skipped["invalid-utf8"] == 93

    stream = _Reads([data[i : i + 4096] for i in range(0, len(data), 4096)])
    lines = iter(GatedLines(stream, Counts()))  # type: ignore[arg-type]
    assert [next(lines) for _ in range(1500)] == lines_of(data)[:1500]
    assert any(t.startswith("triage-read") for t in stream.threads)
    lines.close()  # type: ignore[attr-defined]
    assert stream.running == 0 and stream.reads <= 5
