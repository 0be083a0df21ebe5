"""Finding the lines that mention given literals, in big chunks, decoding only those lines.

``iter_hit_lines`` yields the same (line number, text) pairs as ``source.iter_lines`` for every
line whose text contains one of the needles (and possibly a few more lines, which callers
re-check): one ``bytes.find`` pass per needle over 8 MB chunks, line numbers from counting
newlines between hits. A line holding an escape or NUL byte is always yielded, because cleaning
it (ANSI colours, NULs dropped) can join text around a needle.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from typing import Any, BinaryIO, cast

from triage.inputs.source import (
    CHUNK,
    MAX_LINE,
    Counts,
    _decode,
    _decoder_for,
    _iter_utf16,
    _Prefixed,
    iter_lines,
)

ALWAYS = (b"\x1b", b"\x00")  # bytes whose removal by _decode can create a match


def iter_hit_lines(
    stream: BinaryIO, counts: Counts, needles: Sequence[str]
) -> Iterator[tuple[int, str]]:
    """(line number, text) as iter_lines gives them, for the lines that may hold a needle."""
    words = [n for n in dict.fromkeys(needles) if n and "\n" not in n]
    if not words:
        return
    first = stream.read(CHUNK)
    encoding, skip = _decoder_for(first[:4])
    if encoding == "utf-16" or any("\ufffd" in w for w in words):
        # rare shapes: the text decides, line by line
        if encoding == "utf-16":
            lines = _iter_utf16(first, stream, counts)
        else:
            lines = iter_lines(io.BufferedReader(cast(Any, _Prefixed(first, stream))), counts)
        for no, text in lines:
            if any(w in text for w in words):
                yield no, text
        return
    raw_needles = [w.encode("utf-8") for w in words] + list(ALWAYS)
    buf = first[skip:]
    lineno = 0
    dropping = False  # inside an over-long line whose head was already emitted
    while True:
        end = buf.rfind(b"\n") + 1  # complete lines end here
        start = 0
        if dropping and end:
            start = buf.find(b"\n") + 1  # the tail of the over-long line: not a line of its own
            dropping = False
        if start < end:
            counted = start
            for s, e in _hit_lines(buf, start, end, raw_needles):
                lineno += buf.count(b"\n", counted, s) + 1
                counted = e + 1
                yield lineno, _decode(buf[s:e], counts)
            lineno += buf.count(b"\n", counted, end)
        rest = buf[end:]
        if len(rest) > MAX_LINE and not dropping:
            lineno += 1
            text = _decode(rest[:MAX_LINE], counts)
            if any(w in text for w in words):
                yield lineno, text
            dropping = True
            rest = b""
        elif dropping:
            rest = b""
        more = stream.read(CHUNK)
        if not more:
            if rest and not dropping:
                lineno += 1
                text = _decode(rest, counts)
                if any(w in text for w in words):
                    yield lineno, text
            break
        buf = rest + more
    counts.lines = lineno


def _hit_lines(buf: bytes, start: int, end: int, needles: list[bytes]) -> list[tuple[int, int]]:
    """Sorted (line start, line end) of the lines in buf[start:end] holding any needle."""
    found: dict[int, int] = {}
    for needle in needles:
        pos = buf.find(needle, start, end)
        while pos >= 0:
            s = buf.rfind(b"\n", start, pos) + 1 or start
            e = buf.find(b"\n", pos, end)
            found[s] = e
            pos = buf.find(needle, e + 1, end)
    return sorted(found.items())
