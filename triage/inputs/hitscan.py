"""The key search over whole files: big plain files in blocks by two threads, others streamed.

``iter_file_hits`` yields (line number, text) for the lines of one input that ``Wanted`` may
accept, like hits.iter_hit_lines, which it uses for small, compressed and UTF-16 inputs. Big plain
files are cut into fastscan blocks; each block is searched where it lies, and only hit lines come
back. As on fastscan's path, a line longer than MAX_LINE is cut to MAX_LINE.
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Iterator

from triage.inputs.fastscan import MIN_SIZE, close, line_block, map_blocks, numbered
from triage.inputs.hits import Wanted, iter_hit_lines, select_hits
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
    return not head.startswith(boms) and not any("\ufffd" in v for v in wanted.values())


def _blocks(path: str, wanted: Wanted) -> Iterator[tuple[int, str]]:
    counts = Counts()
    lineno = 0
    for lines, found in map_blocks(path, scan_hits, *wanted.scan_for()):
        for index, raw in found:
            yield lineno + index + 1, _decode(raw[:MAX_LINE], counts)
        lineno += lines


def scan_hits(
    path: str,
    start: int,
    end: int,
    needles: tuple[bytes, ...],
    folded: tuple[bytes, ...],
    required: tuple[bytes, ...],
) -> tuple[int, list[tuple[int, bytes]]]:
    """Lines that START in [start, end) holding a needle, or a folded word in any ASCII case,
    and one of ``required``: (lines in range, [(index, raw line)])."""
    data, first, stop, n = line_block(path, start, end)
    try:
        lines, spans, searched = select_hits(data, first, stop, n, needles, folded, required)
        return lines, numbered(searched, spans)
    finally:
        close(data)
