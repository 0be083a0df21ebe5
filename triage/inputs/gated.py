"""Numbered text lines, as source.iter_lines cuts and cleans them, minus the lines no one needs.

``GatedLines`` is what read_stream reads a text input through. Before each line it asks
``gate()`` (set by read_stream) for the current Gate (gate.py; while a parser must see every line
and a pino record comes, ``EVERY``, which passes over quiet pino records only); it jumps to the
next line matching the gate's triggers, found by ``linescan.select`` over the bytes ahead, and
counts the lines in between without decoding them. Everything else (chunking, over-long lines,
BOM, UTF-16, the last line without "\\n") is source.pieces, so numbering and counts are the same.
A run of lines holding invalid UTF-8 is read line by line (the skip counter needs each one).
A run made mostly of quiet pino records (a service's log with test-runner text among it) is
first packed: those records, which read_stream would drop unread, are cut out in one linescan
pass, and the gates scan and step over the other lines only, numbered as in the run.
``TRIAGE_NO_GATE=1`` turns the skipping off.
"""

from __future__ import annotations

import itertools
import os
from bisect import bisect_left
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields
from typing import Any, BinaryIO

from triage.inputs import linescan, source
from triage.inputs.gate import EVERY, Boundary, Gate, Part, Triggers
from triage.inputs.jsonquiet import LOUD_BYTES, first_5xx
from triage.inputs.jsonrec import QUIET_PREFIXES, worth_decoding
from triage.inputs.source import Counts, _clean, _decode

# The lines of JSON records that may be loud (jsonquiet.LOUD, as is_loud reads them: ASCII
# letters in any case), or that the reader cleans (an escape, a NUL: ALWAYS; a "\r" at the end).
LOUD = Part.of(Triggers(suffixes=(b"\r",), folded=LOUD_BYTES), True, False)
FIRST_WINDOW = 32 << 10  # bytes scanned ahead on a gate's first use in a run; doubled after
MAX_WINDOW = 4 << 20


def enabled() -> bool:
    return not os.environ.get("TRIAGE_NO_GATE")


class GatedLines:
    """Iterable of (line number, text); see the module docstring."""

    def __init__(self, stream: BinaryIO, counts: Counts) -> None:
        self.stream = stream
        self.counts = counts
        self.gate: Callable[[], Gate | None] | None = None
        # (gate, number of the last skipped line, of the last one that is not blank; 0: none)
        self.on_skip: Callable[[Gate, int, int], None] | None = None
        self.limit: Callable[[Gate], int] | None = None  # a line tracking parsers must be fed
        self.waiting: list[object] = []  # while not empty (a JSON fragment waits), no skipping
        # lines (a run of triggers) the first parser can take at once: how many leading ones
        # it took, exactly as feeding them one by one would (they yield no events)
        self.take: Callable[[list[str]], int] | None = None
        # the same on raw bytes from a position: (lines taken, where they end)
        self.take_raw: Callable[[bytes, int, int], tuple[int, int]] | None = None
        # the lines a collecting gate passed over (their numbers, their texts; never none),
        # for the first parser
        self.collect: Callable[[Sequence[int], list[str]], None] | None = None
        # a JSON line read_stream would pass over (holding none of jsonquiet.LOUD): the format
        # it counts for it, or None (read the line)
        self.passed_over: Callable[[bytes], str | None] | None = None
        self._5xx: tuple[bytes, int, int, int] | None = None  # see _first_5xx

    def __iter__(self) -> Iterator[tuple[int, str]]:
        stream, counts = self.stream, self.counts
        first = stream.read(source.CHUNK)
        encoding, skip = source._decoder_for(first[:4])
        if encoding == "utf-16":
            yield from source._iter_utf16(first, stream, counts)
            return
        if len(first) < source.CHUNK:
            yield from self._lines(first[skip:], stream)
            return
        # a big input: the next chunk is read while this one's lines are
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="triage-read") as pool:
            ahead = source.ReadAhead(stream, pool)
            try:
                yield from self._lines(first[skip:], ahead)
            finally:
                ahead.close()

    def _lines(self, first: bytes, stream: source.Reader) -> Iterator[tuple[int, str]]:
        counts = self.counts
        lineno = 0
        for buf, start, end, single in source.pieces(first, stream, counts):
            if single is not None:
                lineno += 1
                yield lineno, single
                continue
            if self.gate is not None and _valid(buf, start, end):
                clean = source.uncoloured(buf, start, end)  # colour codes: the lines as the
                if clean is not None:  # reader cleans them, so the gates can pass over them
                    buf, start, end = clean, 0, len(clean)
                packed = _pack(buf, start, end)
                if packed is not None:
                    lineno, start = yield from self._run(packed.data, 0, packed.end, lineno, packed)
                if start < end:  # not packed, or a JSON fragment waits where records were cut
                    lineno, _ = yield from self._run(buf, start, end, lineno, None)
            else:
                for line in source.run_texts(buf, start, end, counts):
                    lineno += 1
                    yield lineno, line
            counts.lines = lineno
        counts.lines = lineno

    def _run(
        self, buf: bytes, start: int, end: int, base: int, packed: _Packed | None
    ) -> Generator[tuple[int, str], None, tuple[int, int]]:
        """The lines of buf[start:end] (valid UTF-8), numbered after ``base``: returns the last
        line number and where the run ends. ``packed``: buf is that packed run's data, which
        stops early (at the run's next line) when a JSON fragment waits for a record cut out."""
        counts = self.counts
        gate_of = self.gate
        waiting = self.waiting
        selections: dict[Part, _Selection] = {}
        pos, index = start, 0
        quiet_at = -1  # the next quiet pino record at or after pos, once looked for
        free = 0  # lines to read before asking the gate again
        quiet_json = self.passed_over is not None and packed is None  # see _quiet_json
        if packed is not None:
            lines = packed.lines
            quiet_at = packed.first_cut  # packed: the index of the line a record was cut before
        while True:
            if packed is not None and waiting and packed.cut_before(index):
                # the fragment's fate depends on the record next: read that part line by line
                return base + lines[index - 1] + 1 if index else base, packed.resume(index)
            if pos >= end:
                break
            if quiet_json and buf.startswith(b"{", pos) and not waiting:
                taken, pos = self._quiet_json(buf, pos, end, index, selections)
                if taken:
                    index += taken
                    free = max(0, free - taken)
                    continue
            if free:  # lines the gate already said are triggers: no need to ask again
                free -= 1
                gate = None
            else:
                gate = None if waiting or gate_of is None else gate_of()
                if gate is None and not waiting and buf.startswith(b'{"level":', pos):
                    gate = EVERY  # maybe a quiet pino record: pass over those ahead
                elif gate is not None and gate.collects and self.collect is None:
                    gate = None
            if gate is not None:
                nxt, at = index, end + 1
                run, run_end = 1, 0
                for part in gate.parts:
                    sel = selections.get(part)
                    if sel is None:
                        sel = selections[part] = _Selection(buf, end, part)
                    got, got_at = sel.next(pos, index)
                    if got_at < at:
                        nxt, at = got, got_at
                    if got == index:
                        n, n_end = sel.run(index)
                        if n > run:
                            run, run_end = n, n_end
                if nxt == index:
                    # the next lines are triggers too: read them without asking (should a
                    # parser's state change among them, reading what it could skip is safe)
                    if packed is None and run > 1:
                        if self.take_raw is not None and not waiting:
                            taken, stop = self.take_raw(buf, pos, end)  # pytest -v lines,
                            if taken:  # as many as follow, undecoded
                                index += taken
                                pos = stop
                                continue
                        texts = source.run_texts(buf, pos, run_end, counts)
                        taken = 0
                        if self.take is not None and not waiting:
                            taken = self.take(texts)  # pytest -v lines, read all at once
                            index += taken
                        for line in itertools.islice(texts, taken, None):
                            index += 1
                            yield base + index, line
                        pos = run_end
                        continue
                    free = run - 1
                else:
                    if gate.tracking:
                        nxt, at = self._track(gate, buf, pos, index, nxt, at, base, packed)
                    if gate.rewinds is not None:
                        # the lines from the last boundary passed over are read after all,
                        # without asking (Quiet.rewinds); none: every line from here is read
                        at, back = _last_boundary(buf, pos, at, index, nxt, gate.rewinds)
                        free, nxt = nxt - back - 1, back
                    if gate.collects and self.collect is not None:
                        self._collect(self.collect, buf, pos, at, index, nxt, base, packed)
                    if packed is None and "pino" not in counts.formats:
                        if quiet_at < pos:  # a quiet record skipped: read_stream would
                            quiet_at = _next_quiet(buf, pos, end)  # have said "pino"
                        if quiet_at < at:
                            counts.saw_format("pino")
                    pos, index = at, nxt
                    if pos >= end:
                        continue  # the end (or a fragment waiting where records were cut)
            if packed is not None and index >= quiet_at:  # a record was cut before this line
                counts.saw_format("pino")
                quiet_at = len(lines) + 1
            e = buf.find(b"\n", pos, end)
            raw = buf[pos:e]
            if raw[-1:] == b"\r" or raw[:1].isdigit() or b"\x1b" in raw or b"\x00" in raw:
                line = _decode(raw, counts)
            else:
                line = raw.decode()
            pos = e + 1
            index += 1
            yield base + (index if packed is None else lines[index - 1] + 1), line
        if packed is None:
            return base + index, end
        if quiet_at <= len(lines):  # records cut after the last line read
            counts.saw_format("pino")
        return base + packed.count, packed.run_end

    def _quiet_json(
        self, buf: bytes, pos: int, end: int, index: int, selections: dict[Part, _Selection]
    ) -> tuple[int, int]:
        """How many JSON records from ``pos`` on read_stream would pass over (counting their
        formats as it does), and where they end. Records never reach a text parser, so this
        holds whatever the parsers' state; a line that may be loud is read as usual."""
        sel = selections.get(LOUD)
        if sel is None:
            sel = selections[LOUD] = _Selection(buf, end, LOUD)
        _, bound = sel.next(pos, index)  # the next line holding a LOUD word (or the end)
        if bound > pos:
            bound = self._first_5xx(buf, pos, bound)
        passed_over, saw = self.passed_over, self.counts.saw_format
        assert passed_over is not None
        taken = 0
        while pos < bound and buf.startswith(b"{", pos):
            e = buf.find(b"\n", pos, end)
            fmt = passed_over(buf[pos:e])
            if fmt is None:
                break
            saw(fmt)
            taken += 1
            pos = e + 1
        return taken, pos

    def _first_5xx(self, buf: bytes, pos: int, limit: int) -> int:
        """Where the first line in [pos, limit) that HTTP_5XX finds a status in starts, or limit
        (a line start): jsonquiet.first_5xx, with the last search remembered, so a block is
        searched once."""
        start = pos
        memo = self._5xx
        if memo is not None and memo[0] is buf and memo[1] <= pos:
            _, _, searched, at = memo
            if at >= 0:
                if pos <= at:
                    return min(at, limit)
            elif limit <= searched:
                return limit
            else:
                start = max(pos, searched)  # nothing before ``searched``: a line start too
        at = first_5xx(buf, pos, start, limit)
        self._5xx = (buf, pos, limit, at)
        return limit if at < 0 else at

    def _collect(
        self,
        collect: Callable[[Sequence[int], list[str]], None],
        buf: bytes,
        pos: int,
        at: int,
        index: int,
        nxt: int,
        base: int,
        packed: _Packed | None,
    ) -> None:
        """Hand the lines passed over, [pos, at) (lines index to nxt), to the first parser."""
        texts = source.run_texts(buf, pos, at, self.counts)
        numbers: Sequence[int] = range(base + index + 1, base + nxt + 1)
        if packed is not None:
            numbers = [base + n + 1 for n in packed.lines[index:nxt]]
        if buf.find(b"{", pos, at) >= 0:
            # quiet pino records among them never reach a parser: read_stream drops them
            # (every other JSON record is a trigger, not passed over)
            kept = [(n, t) for n, t in zip(numbers, texts, strict=True) if t[:1] != "{"]
            numbers, texts = [n for n, _ in kept], [t for _, t in kept]
        if texts:
            collect(numbers, texts)

    def _track(
        self,
        gate: Gate,
        buf: bytes,
        pos: int,
        index: int,
        nxt: int,
        at: int,
        base: int,
        packed: _Packed | None,
    ) -> tuple[int, int]:
        """Tell the tracking parsers which lines they were spared; stop where one must look."""
        if self.limit is not None:
            cap = self.limit(gate) - base - 1  # index of the line that must be fed
            if packed is not None:
                cap = bisect_left(packed.lines, cap)
            if cap < nxt:
                nxt = max(cap, index)
                at = _advance(buf, pos, nxt - index)
        if nxt > index and self.on_skip is not None:

            def number(i: int) -> int:
                return base + 1 + (i if packed is None else packed.lines[i])

            k = _last_reaching(buf, pos, at, nxt - 1, False)
            last = number(k) if k >= 0 else 0
            solid = last
            if gate.blank_before:
                k = _last_reaching(buf, pos, at, nxt - 1, True)
                solid = number(k) if k >= 0 else 0
            self.on_skip(gate, last, solid)
        return nxt, at


@dataclass(frozen=True)
class _Packed:
    """A run of lines without the quiet pino records that read_stream would drop unread."""

    data: bytes  # the other lines, each ending with "\n"
    lines: list[int]  # index in the run of each line kept
    ends: list[int]  # where each line kept ends ("\n") in the run's buffer
    count: int  # lines in the run
    run_start: int  # where the run starts and ends in its buffer
    run_end: int
    first_cut: int  # the first i with cut_before(i) (there is one: a packed run lost lines)

    @property
    def end(self) -> int:
        return len(self.data)

    def cut_before(self, i: int) -> bool:
        """Whether a record was cut between the line kept at i - 1 (or the run's start) and the
        one kept at i (or the run's end)."""
        after = self.lines[i - 1] + 1 if i else 0
        return (self.lines[i] if i < len(self.lines) else self.count) != after

    def resume(self, i: int) -> int:
        """Where in the run's buffer the line after the line kept at i - 1 starts."""
        return self.ends[i - 1] + 1 if i else self.run_start


# A run is packed when, in its first PROBE bytes, at least PACK_MIN lines and PACK_SHARE of them
# may be quiet pino records.
PROBE = 64 << 10
PACK_MIN = 64
PACK_SHARE = 0.5


def _pack(buf: bytes, start: int, end: int) -> _Packed | None:
    """The run without its quiet pino records, when they are most of it (a service's log with
    test-runner text among it): the gates then scan and step over the other lines only."""
    probe = min(end, start + PROBE)
    maybe = buf.count(b'{"level":', start, probe)  # bare, stamped or behind a compose prefix
    if maybe < PACK_MIN or maybe < PACK_SHARE * buf.count(b"\n", start, probe):
        return None
    count, kept = linescan.select(buf, start, end, end, **_args(EVERY.parts[0]))  # what it keeps
    if len(kept) == count:
        return None
    lines = [i for i, _, _ in kept]
    ends = [e for _, _, e in kept]
    data = b"\n".join([buf[s:e] for _, s, e in kept])
    first = next((i for i, n in enumerate(lines) if n != i), len(lines))  # some line was cut
    return _Packed(data + b"\n" if kept else b"", lines, ends, count, start, end, first)


class _Selection:
    """The lines of one run that one gate selects, found window by window as the reader moves."""

    __slots__ = ("buf", "end", "args", "starts", "indexes", "k", "scanned", "at", "window")

    def __init__(self, buf: bytes, end: int, part: Part) -> None:
        self.buf, self.end = buf, end
        self.args = _args(part)
        self.starts: list[int] = []
        self.indexes: list[int] = []
        self.k = 0
        self.scanned = -1  # selected lines are known for lines starting before this position
        self.at = 0  # index of the line starting at ``scanned``
        self.window = FIRST_WINDOW

    def next(self, pos: int, index: int) -> tuple[int, int]:
        """(index, start) of the first selected line starting at or after ``pos`` (the line
        ``index``), or (lines in the run, end)."""
        if pos > self.scanned:
            self.starts, self.indexes, self.k = [], [], 0
            self.scanned, self.at, self.window = pos, index, FIRST_WINDOW
        starts, k = self.starts, self.k
        if k < len(starts) and starts[k] >= pos:
            return self.indexes[k], starts[k]
        while True:
            k = bisect_left(starts, pos, k)
            if k < len(starts):
                self.k = k
                return self.indexes[k], starts[k]
            self.k = k
            if self.scanned >= self.end:
                return self.at, self.end
            self._scan()

    def run(self, index: int) -> tuple[int, int]:
        """How many lines from ``index`` on (a selected line, just returned by next) are
        selected one after the other, as far as scanned, and where the last one ends."""
        indexes, k = self.indexes, self.k
        last = len(indexes) - 1
        step = 1
        while k + step <= last and indexes[k + step] == index + step:
            step *= 2  # a run of selected lines: their indexes rise by one, so gallop
        lo, hi = step // 2, min(step, last - k + 1)  # the run is at least lo + 1, under hi + 1
        while lo + 1 < hi:
            mid = (lo + hi) // 2
            if indexes[k + mid] == index + mid:
                lo = mid
            else:
                hi = mid
        return lo + 1, self.buf.find(b"\n", self.starts[k + lo], self.end) + 1

    def _scan(self) -> None:
        first, end = self.scanned, self.end
        stop = end if first + self.window >= end else self.buf.find(b"\n", first + self.window) + 1
        count, found = linescan.select(self.buf, first, stop, stop, **self.args)
        at = self.at
        self.starts.extend(s for _, s, _ in found)
        self.indexes.extend(at + i for i, _, _ in found)
        self.scanned, self.at = stop, at + count
        self.window = min(self.window * 2, MAX_WINDOW)


def _args(part: Part) -> dict[str, Any]:
    """linescan.select's keywords for a part (its fields are those keywords), with ``stamps``:
    prefixes are compared after a GitHub stamp, as _clean drops it."""
    return {**{f.name: getattr(part, f.name) for f in fields(part)}, "stamps": True}


def _next_quiet(buf: bytes, pos: int, end: int) -> int:
    """Where the first quiet pino record (bare or behind a GitHub stamp) starting in [pos, end)
    starts, or end. ``pos`` is a line start."""
    k = _next_level(buf, pos, end)
    while k >= 0:
        s = buf.rfind(b"\n", pos, k) + 1 or pos
        m = None if k == s else linescan.STAMP.match(buf, s)
        if (k == s or (m is not None and m.end() == k)) and buf.startswith(QUIET_PREFIXES, k):
            return s
        k = _next_level(buf, k + 1, end)
    return end


def _next_level(buf: bytes, pos: int, end: int) -> int:
    """buf.find(b'{"level":', pos, end), faster where braces are rare (most runner text): memchr
    for a brace, then a look; past a few braces, the plain search."""
    for _ in range(16):
        k = buf.find(b"{", pos, end)
        if k < 0 or buf.startswith(b'{"level":', k, end):
            return k
        pos = k + 1
    return buf.find(b'{"level":', pos, end)


def _last_boundary(
    buf: bytes, pos: int, at: int, index: int, nxt: int, boundary: Boundary
) -> tuple[int, int]:
    """Where the last boundary line in [pos, at) starts and its index (pos, index: none but
    maybe the first). ``pos`` starts the line ``index``, ``at`` the line ``nxt`` (or ends)."""
    needle = b"\n" + boundary.prefix
    k = at - 1
    while True:
        k = buf.rfind(needle, pos, k)
        if k < 0:
            return pos, index
        e = buf.find(b"\n", k + 1, at)
        if boundary.test(_clean(buf[k + 1 : e if e >= 0 else at].decode())):
            return k + 1, nxt - buf.count(b"\n", k + 1, at)


def _valid(buf: bytes, start: int, end: int) -> bool:
    return linescan.utf8_valid(buf, start, end)


def _advance(buf: bytes, pos: int, lines: int) -> int:
    for _ in range(lines):
        pos = buf.find(b"\n", pos) + 1
    return pos


def _last_reaching(buf: bytes, pos: int, at: int, last: int, solid: bool) -> int:
    """Index of the last line in [pos, at) that a text parser would have been fed: not a quiet
    pino record (read_stream drops those first) and, with ``solid``, not blank (a parser in
    front claims blank lines). ``last`` is the index of the line ending at at - 1; -1 when
    there is none."""
    e = at - 1
    while e >= pos:
        s = buf.rfind(b"\n", pos, e) + 1 or pos
        if solid or buf.startswith(b"{", s) or buf[s : s + 1].isdigit():  # maybe stamped
            text = _clean(buf[s:e].decode())
            if (not solid or text.strip()) and worth_decoding(text):
                return last
        else:
            return last
        last -= 1
        e = s - 1
    return -1
