"""Finding the lines that mention given literals, in big chunks, decoding only those lines.

``iter_hit_lines`` yields the same (line number, text) pairs as ``source.iter_lines`` for every
line whose text contains one of the needles (and possibly a few more lines, which callers
re-check): one ``linescan.select`` pass over each 8 MB chunk, which numbers the lines it finds.
A line holding an escape or NUL byte is always yielded, because cleaning it (ANSI colours, NULs
dropped) can join text around a needle.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO, cast

from triage.inputs import linescan
from triage.inputs.source import (
    CHUNK,
    Counts,
    _decode,
    _decoder_for,
    _iter_utf16,
    _Prefixed,
    iter_lines,
    pieces,
    uncoloured,
)

# The only characters whose str.lower() holds ASCII letters (\u0130 -> 'i\u0307', Kelvin sign ->
# 'k'): Wanted compares words with str.lower(), so a line holding one is always looked at.
LOWER_TO_ASCII = ("\u0130".encode(), "\u212a".encode())


@dataclass(frozen=True)
class Wanted:
    """Which lines to find: those holding an ``exact`` text, or a ``near`` value on a line that
    also names one of its words (compared lower-case), as the key lifecycle asks for short keys."""

    exact: tuple[str, ...] = ()
    near: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def values(self) -> list[str]:
        """The texts looked for that a line can hold (not empty, no newline)."""
        exact = [w for w in self.exact if w and "\n" not in w]
        return exact + [v for v, words in self.near if v and "\n" not in v and words]

    def scan_for(self) -> tuple[tuple[bytes, ...], tuple[bytes, ...], tuple[bytes, ...]]:
        """(needles, folded, required) for linescan.select: lines holding a needle, or a folded
        word in any ASCII case, and one of ``required``, are a superset of the lines this
        accepts (once cleaned). A short value's line is found by its column's name, on many
        lines without the value: then ``required`` holds every value's bytes. Decoding drops a stamp
        in front and a "\\r" behind and turns bad bytes into U+FFFD (no value searched this way
        holds one): it joins no text, except by taking out colour codes or NULs, so a line
        holding one of those is required too."""
        exact = [w.encode("utf-8") for w in self.exact if w and "\n" not in w] + list(
            linescan.ALWAYS
        )
        folded: list[bytes] = []
        for value, words in self.near:
            if not value or "\n" in value or not words:
                continue
            if all(w.isascii() for w in words):
                folded.extend(w.lower().encode("utf-8") for w in words)
            else:  # the scanner folds ASCII letters only: look for the value itself
                exact.append(value.encode("utf-8"))
        if folded:
            exact.extend(LOWER_TO_ASCII)
        # without folded words every needle is a value or ALWAYS: each taken line holds one
        values = [v.encode("utf-8") for v in self.values()]
        required = values + list(linescan.ALWAYS) if folded else []
        return (
            tuple(dict.fromkeys(exact)),
            tuple(dict.fromkeys(folded)),
            tuple(dict.fromkeys(required)),
        )

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
    values = wanted.values()
    if not values:
        return
    first = stream.read(CHUNK)
    encoding, skip = _decoder_for(first[:4])
    if encoding == "utf-16" or any("\ufffd" in v for v in values):
        # rare shapes: the text decides, line by line
        if encoding == "utf-16":
            lines = _iter_utf16(first, stream, counts)
        else:
            lines = iter_lines(io.BufferedReader(cast(Any, _Prefixed(first, stream))), counts)
        for no, text in lines:
            if wanted(text):
                yield no, text
        return
    needles, folded, required = wanted.scan_for()
    lineno = 0
    for buf, start, end, single in pieces(first[skip:], stream, counts):
        if single is not None:  # a long line's cut head, or the last line without "\n"
            lineno += 1
            if wanted(single):
                yield lineno, single
            continue
        count, spans, buf = select_hits(buf, start, end, end, needles, folded, required)
        for index, s, e in spans:
            yield lineno + index + 1, _decode(buf[s:e], counts)
        lineno += count
    counts.lines = lineno


def select_hits(
    data: Any,
    first: int,
    stop: int,
    end: int,
    needles: tuple[bytes, ...],
    folded: tuple[bytes, ...],
    required: tuple[bytes, ...],
) -> tuple[int, list[tuple[int, int, int]], Any]:
    """linescan.select for the key search (lines holding a needle or folded word, and one of
    ``required``), and the bytes its spans point into: a block with colour codes is
    searched with them taken out (each would make its line a candidate)."""
    if stop > first:
        last = data.find(b"\n", stop - 1, end) + 1 or end  # the end of the last line in range
        clean = uncoloured(data, first, last)
        if clean is not None:
            count, spans = linescan.select(
                clean, 0, len(clean), len(clean), needles=needles, folded=folded, required=required
            )
            return count, spans, clean
    count, spans = linescan.select(
        data, first, stop, end, needles=needles, folded=folded, required=required
    )
    return count, spans, data
