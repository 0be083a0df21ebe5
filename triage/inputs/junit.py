"""JUnit XML (pytest --junitxml, vitest, jest-junit): one Event per testcase, streamed with expat.

A testcase's ``<system-out>``/``<system-err>`` (pytest ``-o junit_logging=all``, formats.md §2.8)
give log Events of that test: its captured log records and the output lines that look like errors.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO
from xml.parsers import expat

from triage.inputs.pytest_parts import read_captured
from triage.inputs.pytest_tb import link_from_text, parse_traceback
from triage.inputs.source import Counts
from triage.inputs.testid import from_junit
from triage.model import Event, Link

FMT = "junit"
CHUNK = 1 << 20
PHASE_PREFIX = (('failed on setup with "', "setup"), ('failed on teardown with "', "teardown"))
JS_FRAME = "    at "
JS_VITEST = " \u276f "  # vitest frame marker " ❯ "
OUTPUTS = ("system-out", "system-err")
# pytest's banners: " Captured Log " centred in 80 dashes; text before any banner is plain output.
BANNERS = {"Captured Log": "log", "Captured Out": "stdout", "Captured Err": "stderr"}


@dataclass
class _Case:
    """The testcase being read."""

    test: str
    line: int
    results: list[tuple[str, str, int, list[str]]] = field(
        default_factory=list
    )  # tag, msg, line, text
    skipped: bool = False
    outputs: list[tuple[int, list[str]]] = field(default_factory=list)  # line, text


class _Reader:
    """expat callbacks collecting finished testcases into ``done``."""

    def __init__(self, path: str, parser: expat.XMLParserType) -> None:
        self.path = path
        self.parser = parser
        self.case: _Case | None = None
        self.text: list[str] | None = None
        self.done: list[Event] = []

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        line = self.parser.CurrentLineNumber
        if tag == "testcase":
            self.case = _Case(from_junit(attrs.get("classname", ""), attrs.get("name", "")), line)
        elif self.case is not None and tag in ("failure", "error"):
            self.text = []
            self.case.results.append((tag, attrs.get("message", ""), line, self.text))
        elif self.case is not None and tag == "skipped":
            self.case.skipped = True
        elif self.case is not None and tag in OUTPUTS:
            self.text = []
            self.case.outputs.append((line, self.text))

    def chars(self, data: str) -> None:
        if self.text is not None:
            self.text.append(data)

    def end(self, tag: str) -> None:
        if tag in ("failure", "error") or tag in OUTPUTS:
            self.text = None
        elif tag == "testcase" and self.case is not None:
            self.done.extend(_events(self.path, self.case, self.parser.CurrentLineNumber))
            self.case = None


def read_junit(path: str, stream: BinaryIO, counts: Counts) -> Iterator[Event]:
    """Yield testcase Events; a malformed or truncated file keeps what was read and is counted."""
    counts.saw_format(FMT)
    parser = expat.ParserCreate()
    reader = _Reader(path, parser)
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.CharacterDataHandler = reader.chars
    parser.buffer_text = True
    newlines, last = 0, b"\n"
    broken = False
    while True:
        chunk = stream.read(CHUNK)
        if chunk:
            newlines += chunk.count(b"\n")
            counts.advanced(len(chunk))
            last = chunk[-1:]
        if not broken:
            try:
                parser.Parse(chunk, not chunk)
            except (expat.ExpatError, ValueError):
                counts.skipped["malformed-xml"] += 1
                broken = True  # keep counting lines; the events read so far stand
        yield from reader.done
        reader.done.clear()
        if not chunk:
            break
    counts.lines = newlines + (0 if last == b"\n" else 1)


def _events(path: str, case: _Case, end: int) -> list[Event]:
    logs = _captured(path, case) if case.outputs else []
    return [*logs, *_results(path, case, end)]


def _captured(path: str, case: _Case) -> list[Event]:
    events: list[Event] = []
    for line, parts in case.outputs:
        capture = "stdout"
        block: list[tuple[int, str]] = []
        for no, text in enumerate("".join(parts).split("\n"), line):
            if text[:4] == "----" and text[-4:] == "----":
                name = BANNERS.get(text.strip("-").strip())
                if name is not None:
                    events.extend(_records(path, case.test, capture, block))
                    capture, block = name, []
                    continue
            block.append((no, text))
        events.extend(_records(path, case.test, capture, block))
    return events


def _records(path: str, test: str, capture: str, block: list[tuple[int, str]]) -> list[Event]:
    return [
        Event(path, no, FMT, "log", text, level=level, test=test, end_line=end)
        for no, end, level, text in read_captured(capture, block)
    ]


def _results(path: str, case: _Case, end: int) -> list[Event]:
    if not case.results:
        if case.skipped:
            return []
        return [
            Event(
                path,
                case.line,
                FMT,
                "test",
                "passed",
                test=case.test,
                outcome="passed",
                phase="call",
                end_line=end,
            )
        ]
    out = []
    for tag, message, line, parts in case.results:
        phase, outcome = "call", "failed" if tag == "failure" else "error"
        if tag == "error":
            message, phase = _error_phase(message, case.test)
        body = "".join(parts)
        chain = _chain(body, line, message)
        text = message if message and message != "collection failure" else ""
        text = text or (_first(chain) if chain else body.strip().split("\n", 1)[0])
        out.append(
            Event(
                path,
                case.line,
                FMT,
                "test",
                text,
                test=case.test,
                outcome=outcome,
                phase=phase,
                chain=chain,
                end_line=end,
            )
        )
    return out


def _error_phase(message: str, test: str) -> tuple[str, str]:
    for prefix, phase in PHASE_PREFIX:
        if message.startswith(prefix):
            inner = message[len(prefix) :]
            return (inner[:-1] if inner.endswith('"') else inner), phase
    if message == "collection failure" or "::" not in test and test.endswith(".py"):
        return message, "collect"
    return message, "call"


def _chain(body: str, line: int, message: str) -> tuple[Link, ...]:
    """Python bodies in any --tb style; JS stacks (vitest/jest); else the message alone."""
    if body.strip():
        numbered = [(line + i, text) for i, text in enumerate(body.split("\n"))]
        if JS_FRAME in body or JS_VITEST in body:
            return _js_chain(numbered)
        chain = parse_traceback(numbered)
        if chain:
            return chain
    return (link_from_text(message, line),) if message else ()


def _js_chain(numbered: list[tuple[int, str]]) -> tuple[Link, ...]:
    """``error: msg`` up to the first stack frame; vitest's ``Serialized Error: {...}`` (the pg
    error's own fields: code, detail, constraint) is kept in the message for the extractor."""
    start = next((i for i, (_, text) in enumerate(numbered) if text.strip()), None)
    if start is None:
        return ()
    head: list[str] = []
    extra: list[str] = []
    in_stack = False
    for _, text in numbered[start:]:
        if text.startswith((JS_FRAME, JS_VITEST)):
            in_stack = True
        elif text.startswith("Serialized Error: "):
            extra.append(text)
        elif not in_stack:
            head.append(text)
    message = "\n".join([*head, *extra]).strip()
    return (link_from_text(message, numbered[start][0]),)


def _first(chain: tuple[Link, ...]) -> str:
    link = chain[0]
    return f"{link.exc}: {link.message}" if link.exc else link.message
