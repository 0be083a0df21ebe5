"""Finding the lines that mention given literals, in big chunks, decoding only those lines.

``iter_hit_lines`` yields the same (line number, text) pairs as ``source.iter_lines`` for every
line whose text contains one of the needles (and possibly a few more lines, which callers
re-check): one ``bytes.find`` pass per needle over 8 MB chunks, line numbers from counting
newlines between hits. A line holding an escape or NUL byte is always yielded, because cleaning
it (ANSI colours, NULs dropped) can join text around a needle.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Wanted:
    """Which lines to find: those holding an ``exact`` text, or a ``near`` value on a line that
    also names one of its words (compared lower-case), as the key lifecycle asks for short keys."""

    exact: tuple[str, ...] = ()
    near: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def __call__(self, text: str) -> bool:
        if any(w in text for w in self.exact):
            return True
        low = None
        for value, words in self.near:
            if value in text:
                low = text.lower() if low is None else low
                if any(w in low for w in words):
                    return True
        return False


def iter_hit_lines(stream: BinaryIO, counts: Counts, wanted: Wanted) -> Iterator[tuple[int, str]]:
    """(line number, text) as iter_lines gives them, for every line ``wanted`` accepts (and maybe
    a few more: callers check again)."""
    exact = [w for w in dict.fromkeys(wanted.exact) if w and "\n" not in w]
    near = [(v, ws) for v, ws in wanted.near if v and "\n" not in v and ws]
    if not exact and not near:
        return
    first = stream.read(CHUNK)
    encoding, skip = _decoder_for(first[:4])
    if encoding == "utf-16" or any("\ufffd" in w for w in exact + [v for v, _ in near]):
        # rare shapes: the text decides, line by line
        if encoding == "utf-16":
            lines = _iter_utf16(first, stream, counts)
        else:
            lines = iter_lines(io.BufferedReader(cast(Any, _Prefixed(first, stream))), counts)
        for no, text in lines:
            if wanted(text):
                yield no, text
        return
    raw_exact = [w.encode("utf-8") for w in exact] + list(ALWAYS)
    # a short value ("7") is on most lines; the words that must come with it are rarer. They are
    # compared lower-case, which bytes.lower() matches only on ASCII text: other chunks look
    # for the value itself.
    raw_values = [v.encode("utf-8") for v, _ in near]
    raw_words = list(dict.fromkeys(w.lower().encode("utf-8") for _, ws in near for w in ws))
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
            found: dict[int, int] = {}
            _hit_lines(buf, buf, start, end, raw_exact, found)
            if near and buf.isascii():
                _hit_lines(buf, buf[start:end].lower(), start, end, raw_words, found, start)
            elif near:
                _hit_lines(buf, buf, start, end, raw_values, found)
            for s, e in sorted(found.items()):
                lineno += buf.count(b"\n", counted, s) + 1
                counted = e + 1
                yield lineno, _decode(buf[s:e], counts)
            lineno += buf.count(b"\n", counted, end)
        rest = buf[end:]
        if len(rest) > MAX_LINE and not dropping:
            lineno += 1
            text = _decode(rest[:MAX_LINE], counts)
            if wanted(text):
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
                if wanted(text):
                    yield lineno, text
            break
        buf = rest + more
    counts.lines = lineno


def _hit_lines(
    buf: bytes,
    hay: bytes,
    start: int,
    end: int,
    needles: list[bytes],
    found: dict[int, int],
    shift: int = 0,
) -> None:
    """Add (line start -> line end) for the lines of buf[start:end] holding a needle; ``hay`` is
    buf, or a same-length copy of buf[shift:end] (lower-cased)."""
    for needle in needles:
        pos = hay.find(needle, start - shift, end - shift)
        while pos >= 0:
            at = pos + shift
            s = buf.rfind(b"\n", start, at) + 1 or start
            e = buf.find(b"\n", at, end)
            found[s] = e
            pos = hay.find(needle, e + 1 - shift, end - shift)
