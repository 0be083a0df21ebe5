"""Bulk skipping of quiet pino lines in big files: the fast path behind the 500 MB/s target.

A pino file is mostly info/debug records, which the stream reader would skip anyway
(``jsonrec.worth_decoding``). Here whole blocks are scanned with a few C-speed passes
(one regex anchored on "\\n", plus literal needles), and only the other lines are yielded, with
their true line numbers; read_stream then treats them exactly as on the line-by-line path.
Blocks are scanned by a small process pool (2 cores here), a bounded number in flight, so
memory stays flat whatever the file size.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, TypeVar

from triage.inputs.jsonrec import FAST_NEEDLES, QUIET_PREFIXES
from triage.inputs.source import MAX_LINE, Counts, _decode

T = TypeVar("T")
BLOCK = 32 << 20
MIN_SIZE = 64 << 20  # below this the pool costs more than it saves
IN_FLIGHT = 4
# A line that does NOT start with a quiet level-first pino prefix: '{"level":30,' etc.
_quiet = b"|".join(re.escape(p[1:]) for p in QUIET_PREFIXES)
NOT_QUIET = re.compile(rb"\n(?!\{(?:" + _quiet + rb"))")


def eligible(path: str, head: bytes) -> bool:
    """A plain (not compressed) regular file, big enough, that starts like level-first pino."""
    if path == "-" or not head.startswith(b'{"level":'):
        return False
    try:
        return os.path.getsize(path) >= MIN_SIZE
    except OSError:
        return False


_buffer = bytearray()  # one per worker process, reused: fresh 32 MB buffers cost page faults


def read_block(path: str, offset: int, size: int) -> tuple[bytearray, int]:
    """This process's reused buffer holding up to size bytes from offset, and how many it holds."""
    global _buffer
    if len(_buffer) < size:
        _buffer = bytearray(size)
    view = memoryview(_buffer)
    got = 0
    with open(path, "rb", buffering=0) as fh:
        fh.seek(offset)
        while got < size:
            n = fh.readinto(view[got:size])
            if not n:
                break
            got += n
    view.release()
    return _buffer, got


def line_block(path: str, start: int, end: int) -> tuple[bytearray, int, int, int]:
    """The bytes holding every line that STARTS in [start, end) of the file: (data, first, stop, n).

    data[first:n] are those lines (data[0] is the byte before start, so a line starts after each
    "\n"); lines start before ``stop``; the last one may run past ``end`` up to ``n``."""
    data, n = read_block(path, max(start - 1, 0), end - start + (1 if start else 0) + MAX_LINE)
    base = 1 if start else 0
    if start and data[:1] != b"\n":
        nl = data.find(b"\n", 1, n)
        first = nl + 1 if nl >= 0 else n
    else:
        first = base
    stop = min(end - start + base, n)
    if stop < n:
        tail = data.find(b"\n", stop, n)
        n = tail + 1 if tail >= 0 else n
    return data, first, stop, n


def numbered(data: bytearray, first: int, spans: list[tuple[int, int]]) -> list[tuple[int, bytes]]:
    """(line index within the block, raw line) for sorted (start, end) spans of data."""
    out: list[tuple[int, bytes]] = []
    index = 0
    last = first
    for s, e in spans:
        index += data.count(b"\n", last, s)
        last = s
        out.append((index, bytes(data[s:e])))
    return out


def count_lines(data: bytearray, first: int, stop: int) -> int:
    """Lines that start in [first, stop): the one at first, and one after each newline before stop-1."""
    return (1 if first < stop else 0) + data.count(b"\n", first, max(first, stop - 1))


def scan_block(path: str, start: int, end: int) -> tuple[int, int, list[tuple[int, bytes]]]:
    """Lines that START in [start, end): (lines in range, bytes, [(line index, raw line)])."""
    data, first, stop, n = line_block(path, start, end)
    starts: set[int] = set()
    if first == 0 and first < stop:
        starts.add(0)  # the file's first line has no preceding newline
    for m in NOT_QUIET.finditer(data, max(first - 1, 0), stop):
        if m.start() + 1 < stop:
            starts.add(m.start() + 1)
    for needle in FAST_NEEDLES:
        pos = data.find(needle, first, n)
        while pos >= 0:
            line_start = data.rfind(b"\n", 0, pos) + 1
            if line_start < stop and line_start >= first:
                starts.add(line_start)
            nxt = data.find(b"\n", pos, n)
            if nxt < 0:
                break
            pos = data.find(needle, nxt, n)
    spans = []
    for s in sorted(x for x in starts if first <= x < n):
        e = data.find(b"\n", s, n)
        spans.append((s, e if e >= 0 else n))
    boundary = data.find(b"\n", stop - 1, n) + 1 if stop < n else n
    return count_lines(data, first, stop), (boundary or n) - first, numbered(data, first, spans)


def map_blocks(
    path: str, scan: Callable[..., T], *args: Any, workers: int | None = None
) -> Iterator[T]:
    """scan(path, start, end, *args) for each BLOCK of the file, by a process pool, in order."""
    size = os.path.getsize(path)
    ranges = [(s, min(s + BLOCK, size)) for s in range(0, size, BLOCK)]
    workers = workers or min(2, os.cpu_count() or 1)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        pending: list[Future[T]] = []
        it = iter(ranges)
        for r in it:
            pending.append(pool.submit(scan, path, *r, *args))
            if len(pending) >= IN_FLIGHT:
                break
        while pending:
            result = pending.pop(0).result()
            nxt = next(it, None)
            if nxt is not None:
                pending.append(pool.submit(scan, path, *nxt, *args))
            yield result


def iter_candidate_lines(
    path: str, counts: Counts, workers: int | None = None
) -> Iterator[tuple[int, str]]:
    """(line number, text) of every line the stream reader would not skip; counts every line."""
    lineno = 0
    for lines, nbytes, found in map_blocks(path, scan_block, workers=workers):
        for index, raw in found:
            if len(raw) > MAX_LINE:
                counts.skipped["line-too-long"] += 1
                raw = raw[:MAX_LINE]
            yield lineno + index + 1, _decode(raw, counts)
        lineno += lines
        counts.lines = lineno
        counts.advanced(nbytes)
    counts.saw_format("pino")
