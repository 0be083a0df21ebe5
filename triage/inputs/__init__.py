"""Readers: every input format turned into Events. ``read_inputs`` is the one entry point.

Per file, the first bytes decide between the whole-file formats (JUnit XML, PostgreSQL csvlog)
and the line-dispatched stream (everything else, sniffed per line: see stream.py).
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial

from triage.errors import InputError
from triage.inputs import fastscan, sniff
from triage.inputs.source import Counts, expand_paths, head_bytes, open_binary
from triage.model import Event, InputStats


@dataclass
class ReadResult:
    """Filled while ``events`` is consumed: one InputStats per input once it has been read."""

    stats: list[InputStats] = field(default_factory=list)


def read_inputs(
    paths: list[str],
    result: ReadResult,
    progress: Callable[[str, int], None] | None = None,
    exclude: tuple[str, ...] = (),
) -> Iterator[Event]:
    """Yield the Events of every input in order; append each input's stats to ``result``."""
    for path in expand_paths(paths, exclude):
        counts = Counts()
        display = "<stdin>" if path == "-" else path
        if progress is not None:
            counts.on_chunk = partial(progress, display)
        error = None
        try:
            stream = open_binary(path)
        except Exception as exc:  # unreadable file inside a directory: counted, not fatal
            said = str(exc) if isinstance(exc, InputError) else f"{display}: {exc}"  # names it
            result.stats.append(InputStats(display, (), 0, 0, 0, (), said))
            continue
        try:
            kind = sniff.file_kind(head_bytes(stream), path)
            if kind == "binary":
                counts.skipped["binary-file"] += 1
            else:
                reader = _whole_file_reader(kind)
                if reader:
                    events = reader(display, stream, counts)
                elif not isinstance(stream, gzip.GzipFile) and fastscan.eligible(
                    path, head_bytes(stream)
                ):
                    events = _fast(path, display, counts)
                else:
                    events = _stream(display, stream, counts)
                for ev in events:
                    counts.events += 1
                    yield ev
        except (
            OSError,
            EOFError,
            zlib.error,
        ) as exc:  # corrupt or cut .gz, I/O error: keep what was read
            error = f"{display}: {exc}"
            counts.skipped["read-error"] += 1
        finally:
            if path != "-":
                stream.close()
        if counts.bytes == 0 and counts.lines == 0 and not counts.skipped and error is None:
            counts.skipped["empty"] += (
                1  # said, so "no error found" is not mistaken for a clean run
            )
        result.stats.append(
            InputStats(
                path=display,
                formats=tuple(counts.formats),
                lines=counts.lines,
                events=counts.events,
                bytes=counts.bytes,
                skipped=tuple(sorted(counts.skipped.items())),
                error=error,
            )
        )


def _fast(path: str, display: str, counts: Counts) -> Iterator[Event]:
    from triage.inputs.stream import read_stream

    return read_stream(display, fastscan.iter_candidate_lines(path, counts), counts)


def _stream(path: str, stream: object, counts: Counts) -> Iterator[Event]:
    from triage.inputs.gated import GatedLines
    from triage.inputs.stream import read_stream

    return read_stream(path, GatedLines(stream, counts), counts)  # type: ignore[arg-type]


def _whole_file_reader(kind: str) -> Callable[..., Iterator[Event]] | None:
    if kind == "junit":
        from triage.inputs import junit

        return junit.read_junit
    if kind == "pg-csv":
        from triage.inputs import pgserver

        return pgserver.read_csvlog
    return None
