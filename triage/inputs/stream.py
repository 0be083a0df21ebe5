"""The line-dispatched reader: every text input is read as a stream of lines, each line sniffed.

JSON lines (pino, pg jsonlog, pytest-reportlog, PostgREST bodies, any JSON logger) go to
``jsonrec.event_from_json``; every other line is offered to the text parsers in precedence
order. A parser that is inside one of its blocks (a pytest section, a pino-pretty record, a
traceback) *claims* the line, and later parsers do not see it — so one error is read once.

A text parser is any object with:
    fmt: str
    feed(no: int, line: str) -> tuple[bool, list[Event]]   # (claimed, events completed)
    close() -> list[Event]                                  # flush at end of input
    quiet() -> Quiet | None                                 # which lines it may skip (gate.py)

Read through gated.GatedLines, the lines that no parser would act on are not even decoded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol

import orjson

from triage.inputs import gated, jsonquiet, jsonrec
from triage.inputs.gate import Gate, Gates, Quiet
from triage.inputs.source import COMPOSE, Counts
from triage.model import Event


class LineParser(Protocol):
    fmt: str

    def feed(self, no: int, line: str) -> tuple[bool, list[Event]]: ...

    def close(self) -> list[Event]: ...

    def quiet(self) -> Quiet | None: ...


ParserFactory = Callable[[str], LineParser]

MAX_JOIN_LINES = (
    64  # a JSON head fragment (16 KiB docker split) is joined with at most this many lines
)
MAX_JOIN_CHARS = 1 << 20


def text_parsers() -> list[ParserFactory]:
    """Text parsers in precedence order. Imported lazily so each module stays independent."""
    from triage.inputs import jsrunner, pgserver, pino_pretty, pytest_text, textblocks

    return [
        pytest_text.PytestParser,
        jsrunner.JsRunnerParser,
        pino_pretty.PrettyParser,
        pgserver.StderrParser,
        textblocks.TextBlockParser,
    ]


def read_stream(path: str, lines: Iterable[tuple[int, str]], counts: Counts) -> Iterator[Event]:
    """Turn numbered lines of one input into Events, counting formats and skips."""
    parsers = [make(path) for make in text_parsers()]
    feeds = [parser.feed for parser in parsers]
    pending: list[tuple[int, str]] = []  # a "{" line that did not parse: maybe a split record
    if isinstance(lines, gated.GatedLines) and gated.enabled():
        _gate(lines, parsers, pending)

    def text_line(no: int, line: str) -> Iterator[Event]:
        for parser in parsers:
            claimed, events = parser.feed(no, line)
            for ev in events:
                counts.saw_format(ev.fmt)
                yield ev
            if claimed:
                return

    def flush_pending() -> Iterator[Event]:
        if pending:
            counts.skipped["truncated-json"] += 1
            for no, line in pending:
                yield from text_line(no, line)
            pending.clear()

    for no, line in lines:
        body = line if line[:1] == "{" or "| {" not in line else _peel(line)
        if pending:
            joined = "".join(part for _, part in pending) + body
            obj = _loads(joined)
            if isinstance(obj, dict):
                first = pending[0][0]
                pending.clear()
                counts.skipped["joined-fragments"] += 1
                ev = jsonrec.event_from_json(obj, path, first, joined)
                if ev is not None:
                    for one in ev if isinstance(ev, list) else (ev,):  # reportlog: test + logs
                        counts.saw_format(one.fmt)
                        yield one
                continue
            if (
                len(pending) < MAX_JOIN_LINES
                and len(joined) < MAX_JOIN_CHARS
                and not body.startswith("{")
            ):
                pending.append((no, body))
                continue
            yield from flush_pending()
        if body.startswith("{"):
            if not jsonrec.worth_decoding(body):
                counts.saw_format("pino")  # only level-first pino records are skipped undecoded
                continue
            objs = _loads_all(body)
            if objs is None:
                pending.append((no, body))
                continue
            loud = None
            for obj in objs:
                if isinstance(obj, dict):
                    if loud is None:
                        loud = jsonquiet.is_loud(body)
                    fmt = None if loud else jsonquiet.quiet_format(obj)
                    if fmt is not None:  # another JSON logger's quiet record: no Event
                        counts.saw_format(fmt)
                        continue
                    ev = jsonrec.event_from_json(obj, path, no, body)
                    if ev is not None:
                        for one in ev if isinstance(ev, list) else (ev,):
                            counts.saw_format(one.fmt)
                            yield one
            continue
        # text_line inlined, bound methods looked up once: this runs for every text line
        for feed in feeds:
            claimed, events = feed(no, line)
            if events:
                for ev in events:
                    counts.saw_format(ev.fmt)
                    yield ev
            if claimed:
                break
    yield from flush_pending()
    for parser in parsers:
        for ev in parser.close():
            counts.saw_format(ev.fmt)
            yield ev


def _gate(lines: gated.GatedLines, parsers: list[LineParser], pending: list[Any]) -> None:
    """Let ``lines`` skip what no parser would act on (never while a JSON fragment waits)."""
    gates = Gates(parsers)

    def on_skip(gate: Gate, last: int, solid: int) -> None:
        for i in gate.tracking:
            no = solid if i in gate.blank_before else last
            if no:
                parsers[i].skipped(no)  # type: ignore[attr-defined]

    def limit(gate: Gate) -> int:
        return min(parsers[i].skip_limit() for i in gate.tracking)  # type: ignore[attr-defined]

    lines.gate, lines.on_skip, lines.limit = gates.current, on_skip, limit
    lines.waiting = pending
    lines.take = getattr(parsers[0], "take", None)  # the first parser sees a line first
    lines.take_raw = getattr(parsers[0], "take_raw", None)
    lines.collect = getattr(parsers[0], "collected", None)
    lines.passed_over = jsonquiet.passed_over


def _peel(line: str) -> str:
    """Remove a docker-compose style prefix in front of a JSON record."""
    if line.startswith("{") or "| {" not in line:
        return line
    m = COMPOSE.match(line)
    return line[m.end() :] if m else line


def _loads(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return None


def _loads_all(text: str) -> list[Any] | None:
    """Decode one JSON value, or several concatenated on one line (two writers on one fd)."""
    obj = _loads(text)
    if obj is not None:
        return [obj]
    import json

    decoder = json.JSONDecoder()
    out: list[Any] = []
    pos = 0
    try:
        while pos < len(text):
            value, end = decoder.raw_decode(text, pos)
            out.append(value)
            pos = end
            while pos < len(text) and text[pos] in " \t":
                pos += 1
    except ValueError:
        return out or None
    return out
