"""Bulk skipping of quiet pino lines in big files: the fast path behind the 500 MB/s target.

A pino file is mostly info/debug records, which the stream reader would skip anyway
(``jsonrec.worth_decoding``). Here whole blocks are scanned by ``linescan.select`` (one native
pass: lines that are not quiet records, or that hold a needle), and only those lines are
yielded, with their true line numbers; read_stream then treats them exactly as on the
line-by-line path. Two threads scan blocks side by side (the native scan releases the GIL; with
the pure-Python scanner a process pool does it), a bounded number in flight, so memory stays
flat whatever the file size.
"""

from __future__ import annotations

import mmap
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any, TypeVar

from triage.inputs import linescan
from triage.inputs.jsonrec import FAST_NEEDLES, QUIET_PREFIXES
from triage.inputs.source import MAX_LINE, Counts, _decode

T = TypeVar("T")
# A block's found lines are held until read: where every line is found (a log made of errors,
# searched for its key values), BLOCK * (IN_FLIGHT + 1) bytes of lines and their objects are.
# 8 MB blocks, two in flight: as fast as 32 MB and four on 1 GB of pino; peak RSS 89 -> 42 MB.
BLOCK = 8 << 20
MIN_SIZE = 64 << 20  # below this the pool costs more than it saves
IN_FLIGHT = 2


def eligible(path: str, head: bytes) -> bool:
    """A plain (not compressed) regular file, big enough, that starts like level-first pino."""
    if path == "-" or not head.startswith(b'{"level":'):
        return False
    try:
        return os.path.getsize(path) >= MIN_SIZE
    except OSError:
        return False


Block = mmap.mmap | bytes


def map_range(path: str, offset: int, size: int) -> tuple[Block, int]:
    """Up to size bytes of the file from offset, mapped (no copy: the page cache is read in
    place, and unmapped by close() when the block is done), and where offset lies in them.

    Each block is mapped at the file's size of the moment, so a file that grows or shrinks
    between blocks is read as it is then. A file cut short WHILE one of its blocks is scanned
    (tens of milliseconds) would stop the process with SIGBUS, as with any mapped reader (e.g.
    ripgrep --mmap); reading instead of mapping costs about 0.7 s more per GB here."""
    base = offset - offset % mmap.ALLOCATIONGRANULARITY
    with open(path, "rb", buffering=0) as fh:
        length = min(size, os.fstat(fh.fileno()).st_size - offset) + (offset - base)
        if length <= offset - base:
            return b"", 0  # the file shrank under us: nothing left to read here
        return mmap.mmap(fh.fileno(), length, access=mmap.ACCESS_READ, offset=base), offset - base


def line_block(path: str, start: int, end: int) -> tuple[Block, int, int, int]:
    """The bytes holding every line that STARTS in [start, end) of the file: (data, first, stop, n).

    data[first:n] are those lines; lines start before ``stop``; the last one may run past
    ``end`` up to ``n``. The caller closes data (an mmap) when done."""
    before = 1 if start else 0  # the byte before start tells whether a line starts at start
    data, at = map_range(path, start - before, end - start + before + MAX_LINE)
    n = len(data)
    if before and at < n and data[at] != 10:  # mid-line: the first line starts after a newline
        nl = data.find(b"\n", at + 1, n)
        first = nl + 1 if nl >= 0 else n
    else:
        first = min(at + before, n)
    stop = min(at + before + end - start, n)
    if stop < n:
        tail = data.find(b"\n", stop, n)
        n = tail + 1 if tail >= 0 else n
    return data, first, stop, n


def close(data: Block) -> None:
    if isinstance(data, mmap.mmap):
        data.close()


def numbered(data: Block, spans: list[tuple[int, int, int]]) -> list[tuple[int, bytes]]:
    """(line index within the block, raw line cut to MAX_LINE + 1 bytes) for linescan spans."""
    return [(index, bytes(data[s : min(e, s + MAX_LINE + 1)])) for index, s, e in spans]


def scan_block(path: str, start: int, end: int) -> tuple[int, int, list[tuple[int, bytes]]]:
    """Lines that START in [start, end): (lines in range, bytes, [(line index, raw line)])."""
    data, first, stop, n = line_block(path, start, end)
    try:
        lines, spans = linescan.select(
            data,
            first,
            stop,
            n,
            keep_unless=QUIET_PREFIXES,
            # escape and NUL bytes: cleaning them away can make a needle (and NULs are counted)
            needles=FAST_NEEDLES + linescan.ALWAYS,
            longer_than=MAX_LINE,  # counted as too long, as the line reader counts it
        )
        boundary = data.find(b"\n", stop - 1, n) + 1 if stop < n else n
        if not linescan.utf8_valid(data, first, boundary or n):
            spans = _with_invalid_lines(data, first, stop, n, spans)
        return lines, (boundary or n) - first, numbered(data, spans)
    finally:
        close(data)


def _with_invalid_lines(
    data: Block, first: int, stop: int, n: int, spans: list[tuple[int, int, int]]
) -> list[tuple[int, int, int]]:
    """spans plus the quiet lines holding invalid UTF-8, which the line reader counts (a block
    that is not valid UTF-8 is rare: pino writes UTF-8, so this walks it in Python)."""
    taken = {s for _, s, _ in spans}
    out = list(spans)
    index, pos = 0, first
    while pos < stop:
        e = data.find(b"\n", pos, n)
        e = n if e < 0 else e
        if pos not in taken and not linescan.utf8_valid(data, pos, e):
            out.append((index, pos, e))
        index, pos = index + 1, e + 1
    return sorted(out, key=lambda span: span[1])


def map_blocks(
    path: str, scan: Callable[..., T], *args: Any, workers: int | None = None
) -> Iterator[T]:
    """scan(path, start, end, *args) for each BLOCK of the file, by a pool of workers, in order."""
    size = os.path.getsize(path)
    ranges = [(s, min(s + BLOCK, size)) for s in range(0, size, BLOCK)]
    workers = workers or min(2, os.cpu_count() or 1)
    pool: Executor
    if linescan.NATIVE is not None:
        pool = ThreadPoolExecutor(max_workers=workers)
    else:
        from concurrent.futures import ProcessPoolExecutor  # pure Python only: not at start-up

        pool = ProcessPoolExecutor(max_workers=workers)
    with pool:
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
