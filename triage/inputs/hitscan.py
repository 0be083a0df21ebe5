"""The key search over whole files: big plain files in blocks by two processes, others streamed.

``iter_file_hits`` yields (line number, text) for the lines of one input that ``Wanted`` may
accept, like hits.iter_hit_lines, which it uses for small, compressed and UTF-16 inputs. Big plain
files are cut into fastscan blocks; each block is searched where it lies, and only hit lines come
back. As on fastscan's path, a line longer than MAX_LINE is cut to MAX_LINE.
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Iterator

from triage.inputs.fastscan import MIN_SIZE, count_lines, line_block, map_blocks, numbered
from triage.inputs.hits import ALWAYS, Wanted, iter_hit_lines
from triage.inputs.source import MAX_LINE, Counts, _decode, open_binary


def iter_file_hits(path: str, wanted: Wanted) -> Iterator[tuple[int, str]]:
    """Lines of ``path`` that may hold what ``wanted`` asks for; InputError if it cannot be read."""
    if _blockable(path, wanted):
        yield from _blocks(path, wanted)
        return
    stream = open_binary(path)
    try:
        yield from iter_hit_lines(stream, Counts(), wanted)
    finally:
        if path != "-":
            stream.close()


def _blockable(path: str, wanted: Wanted) -> bool:
    if path == "-":
        return False
    try:
        if os.path.getsize(path) < MIN_SIZE:
            return False
        with open(path, "rb") as fh:
            head = fh.read(4)
    except OSError:
        return False
    # gzip, and the BOMs the line reader strips or decodes: left to the streaming path
    boms = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, b"\x1f\x8b")
    values = list(wanted.exact) + [v for v, _ in wanted.near]
    return not head.startswith(boms) and not any("\ufffd" in v for v in values)


def _blocks(path: str, wanted: Wanted) -> Iterator[tuple[int, str]]:
    exact = [w.encode("utf-8") for w in wanted.exact if w and "\n" not in w] + list(ALWAYS)
    near = [(v, ws) for v, ws in wanted.near if v and "\n" not in v and ws]
    values = [v.encode("utf-8") for v, _ in near]
    words = list(dict.fromkeys(w.lower().encode("utf-8") for _, ws in near for w in ws))
    counts = Counts()
    lineno = 0
    for lines, found in map_blocks(path, scan_hits, exact, values, words):
        for index, raw in found:
            yield lineno + index + 1, _decode(raw[:MAX_LINE], counts)
        lineno += lines


def scan_hits(
    path: str, start: int, end: int, exact: list[bytes], values: list[bytes], words: list[bytes]
) -> tuple[int, list[tuple[int, bytes]]]:
    """Lines that START in [start, end) holding a needle: (lines in range, [(index, raw line)])."""
    data, first, stop, n = line_block(path, start, end)
    found: dict[int, int] = {}
    _find(data, data, 0, first, stop, n, exact, found)
    if values or words:
        part = data[first:n]
        if part.isascii():
            _find(data, part.lower(), first, first, stop, n, words, found)
        else:
            _find(data, data, 0, first, stop, n, values, found)
    return count_lines(data, first, stop), numbered(data, first, sorted(found.items()))


def _find(
    data: bytearray,
    hay: bytes | bytearray,
    shift: int,
    first: int,
    stop: int,
    n: int,
    needles: list[bytes],
    found: dict[int, int],
) -> None:
    """Add (line start -> line end) for lines starting in [first, stop) that hold a needle;
    ``hay`` is data, or a same-length copy of data[shift:n]."""
    for needle in needles:
        pos = hay.find(needle, first - shift, n - shift)
        while pos >= 0:
            at = pos + shift
            s = data.rfind(b"\n", first, at) + 1 or first
            if s >= stop:
                break
            e = data.find(b"\n", at, n)
            e = n if e < 0 else e
            found[s] = e
            pos = hay.find(needle, e + 1 - shift, n - shift)
