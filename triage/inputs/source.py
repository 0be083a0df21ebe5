"""Opening inputs (files, directories, .gz, stdin) and cutting them into numbered text lines.

Rules from formats.md §0: split on "\\n" only, strip one "\\r", strip a UTF-8 BOM, detect UTF-16,
decode with replacement (counted), strip ANSI colour, cap line length (counted), never read a
whole file into memory.
"""

from __future__ import annotations

import codecs
import gzip
import io
import mmap
import os
import re
import stat
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, wait
from dataclasses import dataclass, field
from fnmatch import fnmatch
from typing import BinaryIO, Protocol, cast

from triage.errors import InputError
from triage.inputs import linescan

CHUNK = 8 << 20
MAX_LINE = 1 << 20  # longer lines are cut to this and counted as "line-too-long"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# Transport prefixes (formats.md §0.4): GitHub Actions raw-log timestamps, docker compose "svc-1  | ".
GH_STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z ")
COMPOSE = re.compile(r"^[\w.-]+(?:-\d+)?\s+\| ")


@dataclass
class Counts:
    """Mutable tally for one input while it is read; frozen into InputStats at the end."""

    lines: int = 0
    bytes: int = 0
    events: int = 0
    formats: list[str] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    # Called with the bytes read so far after each chunk (the progress bar): long runs of skipped
    # lines yield no event, so progress cannot be driven by events alone.
    on_chunk: Callable[[int], None] | None = None

    def advanced(self, nbytes: int) -> None:
        self.bytes += nbytes
        if self.on_chunk is not None:
            self.on_chunk(self.bytes)

    def saw_format(self, fmt: str) -> None:
        if fmt not in self.formats:
            self.formats.append(fmt)


IGNORE_FILE = ".triageignore"


def expand_paths(paths: list[str], exclude: tuple[str, ...] = ()) -> list[str]:
    """Files as given; directories walked (sorted, hidden entries skipped); "-" is stdin.

    Inside a walked directory, files matching a glob in ``exclude`` or in a ``.triageignore``
    (one glob per line, ``#`` comments; in that directory, its subdirectories or its parents)
    are left out: expected results, screenshots, notes that sit next to the logs.
    """
    out: list[str] = []
    for p in paths:
        if p == "-":
            out.append(p)
        elif os.path.isdir(p):
            found: list[str] = []
            inherited = list(exclude) + _ignores_above(p)
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "node_modules")
                globs = inherited + _ignores_in(root)
                for f in files:
                    rel = os.path.relpath(os.path.join(root, f), p)
                    if (
                        not f.startswith(".")
                        and not any(fnmatch(f, g) or fnmatch(rel, g) for g in globs)
                        and not _special(os.path.join(root, f))
                    ):
                        found.append(os.path.join(root, f))
            out.extend(sorted(found))
        elif os.path.exists(p):
            if not os.access(p, os.R_OK):
                raise InputError(f"{p}: permission denied")
            out.append(p)
        else:
            raise InputError(f"{p}: no such file or directory")
    return _once(out)


def _once(paths: list[str]) -> list[str]:
    """Each file once, where first named (a directory and a file in it, a path given twice)."""
    seen: set[str] = set()
    out = []
    for p in paths:
        real = p if p == "-" else os.path.realpath(p)
        if real not in seen:
            seen.add(real)
            out.append(p)
    return out


def _special(path: str) -> bool:
    """A named pipe, socket or device met in a walked directory: not a log to read (opening a
    pipe would wait for a writer for ever). Given by name, such a path is read (``<(cmd)``)."""
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False  # a broken link: reading it says so, in one line


def _ignores_in(directory: str) -> list[str]:
    try:
        with open(os.path.join(directory, IGNORE_FILE), encoding="utf-8", errors="replace") as fh:
            return [ln.strip() for ln in fh if ln.strip() and not ln.lstrip().startswith("#")]
    except OSError:
        return []


def _ignores_above(directory: str) -> list[str]:
    globs: list[str] = []
    here = os.path.abspath(directory)
    while True:
        parent = os.path.dirname(here)
        if parent == here:
            return globs
        here = parent
        globs.extend(_ignores_in(here))


def open_binary(path: str) -> BinaryIO:
    """Open a path (or stdin for "-") as a binary stream, transparently gunzipping."""
    try:
        raw: BinaryIO = sys.stdin.buffer if path == "-" else open(path, "rb")  # noqa: SIM115
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror or exc}") from exc
    buffered = (
        raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(cast(io.RawIOBase, raw))
    )
    head = buffered.peek(2)[:2]
    if head == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=buffered)  # type: ignore[return-value]
    return buffered


def head_bytes(stream: BinaryIO, n: int = 65536) -> bytes:
    """Look at the start of a stream without consuming it (works for peekable streams)."""
    peek = getattr(stream, "peek", None)
    if peek is not None:
        data: bytes = peek(n)
        return data[:n]
    return b""


def _decoder_for(head: bytes) -> tuple[str, int]:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8", 3
    if head.startswith(codecs.BOM_UTF16_LE) or head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16", 0
    return "utf-8", 0


class ReadAhead:
    """``stream.read(size)`` one read ahead, in ``pool``: the next chunk is read (from the page
    cache, a pipe, or gunzipped: the GIL released) while the lines of this one are parsed. Its
    reads come in order, as the stream's own would; an error one raises is raised by the read()
    that returns it, so everything before it is read first. ``close()`` waits for the read under
    way (the stream may then be closed)."""

    def __init__(self, stream: BinaryIO, pool: Executor) -> None:
        self.stream, self.pool = stream, pool
        self.next: Future[bytes] | None = None

    def read(self, size: int) -> bytes:
        nxt, self.next = self.next, None
        data = (nxt or self.pool.submit(self.stream.read, size)).result()
        if data:
            self.next = self.pool.submit(self.stream.read, size)
        return data

    def close(self) -> None:
        if self.next is not None and not self.next.cancel():
            wait([self.next])


def iter_lines(stream: BinaryIO, counts: Counts) -> Iterator[tuple[int, str]]:
    """Yield (1-based line number, text) for every line; bad bytes are replaced and counted."""
    first = stream.read(CHUNK)
    encoding, skip = _decoder_for(first[:4])
    if encoding == "utf-16":
        yield from _iter_utf16(first, stream, counts)
        return
    lineno = 0
    for buf, start, end, single in pieces(first[skip:], stream, counts):
        if single is not None:
            lineno += 1
            yield lineno, single
            continue
        for line in run_texts(buf, start, end, counts):
            lineno += 1
            yield lineno, line
        counts.lines = lineno
    counts.lines = lineno


Piece = tuple[bytes, int, int, str | None]


class Reader(Protocol):
    def read(self, size: int, /) -> bytes: ...


def pieces(buf: bytes, stream: Reader, counts: Counts) -> Iterator[Piece]:
    """The chunking behind iter_lines: ``(buf, start, end, None)`` for a run of whole lines
    ``buf[start:end]`` (ending with "\\n"), or ``(b"", 0, 0, text)`` for one line read on its own
    (the head of an over-long line, cut and counted; the last line when it has no "\\n")."""
    dropping = False  # inside an over-long line whose head was already emitted
    start = 0
    while True:
        if dropping:
            nl = buf.find(b"\n")
            if nl >= 0:
                start, dropping = nl + 1, False
        end = buf.rfind(b"\n") + 1
        while start < end:  # whole lines, minus any longer than MAX_LINE: cut and counted
            long = _long_line(buf, start, end)
            if long is None:
                yield buf, start, end, None
                start = end
                break
            if start < long:
                yield buf, start, long, None
            counts.skipped["line-too-long"] += 1
            yield b"", 0, 0, _decode(buf[long : long + MAX_LINE], counts)
            start = buf.find(b"\n", long, end) + 1
        rest = buf[start:]
        if len(rest) > MAX_LINE and not dropping:
            counts.skipped["line-too-long"] += 1
            yield b"", 0, 0, _decode(rest[:MAX_LINE], counts)
            dropping = True
            rest = b""
        elif dropping:
            rest = b""
        more = stream.read(CHUNK)
        counts.advanced(len(buf) - len(rest))
        if not more:
            if rest and not dropping:
                counts.advanced(len(rest))
                yield b"", 0, 0, _decode(rest, counts)
            break
        start = 0
        nl = more.find(b"\n", 0, MAX_LINE) if rest else -1
        if nl >= 0 and len(rest) + nl <= MAX_LINE:
            # the line cut at the read's end, made whole on its own: the new read is not
            # copied behind it (8 MB a read)
            counts.advanced(len(rest))
            yield rest + more[: nl + 1], 0, len(rest) + nl + 1, None
            buf, start = more, nl + 1
        else:
            buf = rest + more


def _long_line(buf: bytes, start: int, end: int) -> int | None:
    """Where the first line of buf[start:end] (whole lines) longer than MAX_LINE starts, if any.

    Hops a window of MAX_LINE + 1 bytes at a time: a window holding a newline proves every line
    up to its last newline short; one holding none starts a long line."""
    pos = start
    while end - pos > MAX_LINE:
        last = buf.rfind(b"\n", pos, pos + MAX_LINE + 1)
        if last < 0:
            return pos
        pos = last + 1
    return None


def _iter_utf16(first: bytes, stream: BinaryIO, counts: Counts) -> Iterator[tuple[int, str]]:
    counts.saw_format("utf-16")
    text = io.TextIOWrapper(
        io.BufferedReader(cast(io.RawIOBase, _Prefixed(first, stream))),
        encoding="utf-16",
        errors="replace",
        newline="",
    )
    lineno = 0
    pending = ""
    for chunk in iter(lambda: text.read(1 << 20), ""):
        parts = (pending + chunk).split("\n")
        pending = parts.pop()
        for part in parts:
            lineno += 1
            yield lineno, _clean(part[:MAX_LINE])
    if pending:
        lineno += 1
        yield lineno, _clean(pending[:MAX_LINE])
    counts.lines = lineno


class _Prefixed(io.RawIOBase):
    """A raw stream that first returns already-read bytes, then the rest of another stream."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray) -> int:  # type: ignore[override]
        if self._head:
            n = min(len(b), len(self._head))
            b[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(b))
        b[: len(data)] = data
        return len(data)


_DIGIT_AFTER_NEWLINE = re.compile(rb"\n[0-9]")


def run_texts(buf: bytes, start: int, end: int, counts: Counts) -> list[str]:
    """The cleaned lines of buf[start:end] (whole lines, ending with "\\n"): decoded and split
    in C, with a Python step only for the lines cleaning may change (a "\\r", a digit first)."""
    text = _clean_run(buf, start, end)
    if text is None:
        return [_decode(raw, counts) for raw in buf[start : end - 1].split(b"\n")]
    if (
        buf.find(b"\r", start, end) < 0
        and buf.find(b"\x1b", start, end) < 0  # a digit may follow a code: looked for in the text
        and not buf[start : start + 1].isdigit()
        and _DIGIT_AFTER_NEWLINE.search(buf, start, end - 1) is None
    ):
        return text
    return [_clean(line) if line[-1:] == "\r" or line[:1].isdigit() else line for line in text]


def _clean_run(buf: bytes, start: int, end: int) -> list[str] | None:
    """The lines of buf[start:end] (which ends with "\\n") when none needs _decode's repairs but
    the removal of colour codes (``uncoloured``, on the whole run: a code never holds a newline)
    and of a trailing "\\r" (the callers')."""
    if buf.find(b"\x00", start, end) >= 0:
        return None
    if buf.find(b"\x1b", start, end) >= 0:
        clean = uncoloured(buf, start, end)
        if clean is None:  # a code right after a "\\r", or an escape starting no code
            return None
        buf, start, end = clean, 0, len(clean)
    try:
        return buf[start : end - 1].decode("utf-8").split("\n")
    except UnicodeDecodeError:
        return None


def uncoloured(buf: bytes | mmap.mmap, start: int, end: int) -> bytes | None:
    """buf[start:end] without its colour codes, line for line, when it has some and removing
    them from the bytes reads as _decode would line by line, else None: valid UTF-8, no NUL, no
    code right after a "\\r" (_decode strips a line's "\\r" before its codes; the other order
    differs only there), no escape left that starts no code (a line's own cleaning decides)."""
    if buf.find(b"\x1b", start, end) < 0 or buf.find(b"\r\x1b", start, end) >= 0:
        return None
    if buf.find(b"\x00", start, end) >= 0 or not linescan.utf8_valid(buf, start, end):
        return None
    clean = linescan.strip_codes(buf, start, end)
    return None if b"\x1b" in clean else clean


def _decode(raw: bytes, counts: Counts) -> str:
    if b"\x00" in raw:
        counts.skipped["binary"] += 1
        raw = raw.replace(b"\x00", b"")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        counts.skipped["invalid-utf8"] += 1
        text = raw.decode("utf-8", errors="replace")
    return _clean(text)


def _clean(text: str) -> str:
    if text.endswith("\r"):
        text = text[:-1]
    if "\x1b" in text:
        text = ANSI.sub("", text)
    if text[:1].isdigit() and GH_STAMP.match(text):
        text = text[GH_STAMP.match(text).end() :]  # type: ignore[union-attr]
    return text
