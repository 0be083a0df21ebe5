"""Which lines of a block of bytes are worth decoding: one native pass, or the same in Python.

``select(data, first, stop, end, ...)`` looks at the lines that START in ``[first, stop)`` of
``data`` (the one at ``first``, then one after each "\\n" before ``stop - 1``); a line runs to
its "\\n" or to ``end``. It returns how many such lines there are and ``(index, start, end)``
for those that match any of:

- ``keep_unless``: the line does NOT start with any of these (pino: not a quiet record);
- ``prefixes`` / ``suffixes``: the line starts / ends with one of these;
- ``needles``: the line contains one of these;
- ``folded``: the line contains one of these, ASCII letters compared case-insensitively
  (give them lower-case).

A line starting with one of ``quiet`` is taken only for a needle (or folded needle), never for
the first three reasons (pino records at info level inside a text stream). With ``longer_than``
above 0, a line longer than that many bytes is always taken (a reader counts it as too long).
With ``stamps``, a GitHub Actions stamp at a line's start ("2024-05-01T12:00:00.1234567Z ") is
skipped before prefixes are compared, as the reader drops it; with ``empty``, a line that is
empty (after the stamp, or but for a "\\r") is taken. With ``required``, only the lines holding
one of these are returned, whatever took them (the key search: a short value's line is found
by its column's name, and must hold the value too).

The native version (``triage/_linescan.c``, built at install when a C compiler is there) finds
all needles in one AVX2 pass (SSE2 and scalar code where the CPU has no AVX2) and releases the
GIL, so threads scan blocks of one file side by side. The Python version gives the same answer
more slowly; ``TRIAGE_PURE_PYTHON=1`` forces it. ``utf8_valid`` checks strict UTF-8 likewise.
"""

from __future__ import annotations

import codecs
import mmap
import os
import re
from collections.abc import Callable

Buffer = bytes | bytearray | memoryview | mmap.mmap
# source.GH_STAMP on bytes, ASCII digits only (as the native scanner reads it)
STAMP = re.compile(rb"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]+Z ")
Selected = tuple[int, list[tuple[int, int, int]]]
# Bytes that source._decode removes from a line (escape sequences, NUL), so that a line holding
# one may match after decoding what its raw bytes do not: every raw-byte search looks at it.
ALWAYS = (b"\x1b", b"\x00")


def select_py(
    data: Buffer,
    first: int,
    stop: int,
    end: int,
    keep_unless: tuple[bytes, ...] = (),
    prefixes: tuple[bytes, ...] = (),
    suffixes: tuple[bytes, ...] = (),
    needles: tuple[bytes, ...] = (),
    folded: tuple[bytes, ...] = (),
    quiet: tuple[bytes, ...] = (),
    longer_than: int = 0,
    stamps: bool = False,
    empty: bool = False,
    required: tuple[bytes, ...] = (),
) -> Selected:
    """The reference: what the native scanner must return, found with bytes methods."""
    buf = bytes(data[:end]) if not isinstance(data, bytes) else data[:end]
    end = len(buf)
    stop = min(stop, end)
    starts: dict[int, int] = {}  # line start -> line end, for matched lines
    hay_folded = buf.lower() if folded else b""

    def line_at(pos: int) -> tuple[int, int]:
        s = buf.rfind(b"\n", first, pos) + 1 or first
        e = buf.find(b"\n", pos, end)
        return s, end if e < 0 else e

    for hay, group in ((buf, needles), (hay_folded, folded)):
        for needle in group:
            if not needle:
                continue
            pos = hay.find(needle, first, end)
            while pos >= 0:
                s, e = line_at(pos)
                if s >= stop:
                    break
                if e - s >= len(needle) and pos + len(needle) <= e:
                    starts[s] = e
                pos = hay.find(needle, e + 1, end) if e < end else -1
    count = 0
    pos = first
    if (keep_unless or prefixes or suffixes or longer_than > 0 or empty) and first < stop:
        while pos < stop:
            e = buf.find(b"\n", pos, end)
            e = end if e < 0 else e
            line = buf[pos:e]
            if stamps and (m := STAMP.match(line)):
                line = line[m.end() :]
            if (longer_than > 0 and e - pos > longer_than) or (empty and line in (b"", b"\r")):
                starts[pos] = e
            elif (quiet and line.startswith(quiet)) or not (
                (keep_unless and not line.startswith(keep_unless))
                or (prefixes and line.startswith(prefixes))
                or (suffixes and line.endswith(suffixes))
            ):
                pos = e + 1
                continue
            starts[pos] = e
            pos = e + 1
    out: list[tuple[int, int, int]] = []
    index = 0
    last = first
    for s in sorted(starts):
        index += buf.count(b"\n", last, s)
        last = s
        out.append((index, s, starts[s]))
    if first < stop:
        count = 1 + buf.count(b"\n", first, max(first, stop - 1))
    if any(required):
        out = [t for t in out if any(r and r in buf[t[1] : t[2]] for r in required)]
    return count, out


def utf8_valid_py(data: Buffer, start: int, end: int) -> bool:
    """Whether data[start:end] decodes as strict UTF-8 (the reference)."""
    try:
        codecs.utf_8_decode(memoryview(data)[start:end], "strict", True)
    except UnicodeDecodeError:
        return False
    return True


# The terminal colour codes source._clean removes from a line (source.ANSI, on bytes).
CODES = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")


def strip_codes_py(data: Buffer, start: int, end: int) -> bytes:
    """data[start:end] without its colour codes (the reference)."""
    return CODES.sub(b"", bytes(data[start:end]))


NATIVE: Callable[..., Selected] | None = None
select = select_py
utf8_valid = utf8_valid_py
strip_codes: Callable[[Buffer, int, int], bytes] = strip_codes_py
# pytest -v lines in bulk (pytest_text.progress_run_py is the reference): native only
progress_run: Callable[[Buffer, int, int], tuple[int, int, list[tuple[int, int, int, int]]]] | None
progress_run = None
if not os.environ.get("TRIAGE_PURE_PYTHON"):
    try:
        from triage import _linescan
    except ImportError:
        pass
    else:
        NATIVE = select = _linescan.select
        utf8_valid = _linescan.utf8_valid
        progress_run = _linescan.progress_run
        strip_codes = _linescan.strip_codes
