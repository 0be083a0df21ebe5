"""Pieces of a pytest report being read: per-test sections, captured output, summary entries."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from triage.inputs.gate import Triggers
from triage.inputs.textblocks import TEMPLATE_NEEDLES
from triage.inputs.textblocks_lines import is_continuation
from triage.model import Link
from triage.pgerror.detail import CLIENT_CONNECTION

# Default log_format "%(levelname)-8s %(name)s:%(filename)s:%(lineno)d %(message)s".
LOG_RECORD = re.compile(r"^(DEBUG|INFO|WARNING|ERROR|CRITICAL) +(\S+) (.*)$")
LEVELS = {
    "DEBUG": "debug",
    "INFO": "info",
    "WARNING": "warn",
    "ERROR": "error",
    "CRITICAL": "fatal",
}
# Captured stdout/stderr lines worth keeping (with their test id) when they are not log records.
NEEDLES = ("rror", "violat", "SQLSTATE", "xception")
# What a passing test's captured record must hold to be kept (-rA prints every test's output;
# a record with none of these is nothing correlation reads, and observe would drop it): a
# database error's words (every template's needle, an exception or error name, a client's
# connection failure), an error level, a retry notice, an HTTP status. Any line of the record.
KEEP = Triggers(
    needles=(
        b"xception", b"Traceback", b"SQLSTATE", *TEMPLATE_NEEDLES,
        *(n.encode() for n, _ in CLIENT_CONNECTION),
    ),
    folded=(
        b"err", b"fatal", b"crit", b"panic", b"retry", b"attempt", b"try again", b"backing off",
        b"http", b"status",
    ),
)  # fmt: skip


def worth_keeping(level: str | None, text: str) -> bool:
    """Whether a passing test's captured record is kept: error level, or KEEP matches one of its
    lines (KEEP has no prefix or suffix and no needle holds a newline: the whole text answers for
    its lines, as the gate, which passes over the others, decides)."""
    return level in ("error", "fatal") or KEEP.matches(text)


@dataclass(slots=True)
class Section:
    """One ``___ title ___`` section (or a headerless --tb=line failure block) being read."""

    title: str | None
    phase: str
    kind: str  # FAILURES | ERRORS | PASSES
    line: int
    end: int = 0
    body: list[tuple[int, str]] = field(default_factory=list)
    worker: str | None = None
    capture: str | None = None  # current Captured subsection: stdout | stderr | log
    logs: list[tuple[int, int, str | None, str]] = field(
        default_factory=list
    )  # line, end, level, text
    closed: bool = False  # a headerless --tb=line block ended by its one-line form
    record: list | None = None  # the log record being read: [line, end, level, text]
    # What the body says, read when the section closes (Resolver.digest; the body is let go):
    chain: tuple[Link, ...] = ()  # its traceback, outermost first
    text: str = ""  # the failure's text
    derived: str | None = None  # the node id its traceback locations give, if any


@dataclass(slots=True)
class Entry:
    """One short-summary line with its continuation lines (CI long form)."""

    word: str
    test: str
    message: str
    line: int
    end: int


def open_section(title: str, region: str, no: int) -> Section:
    for prefix, phase in (
        ("ERROR at setup of ", "setup"),
        ("ERROR at teardown of ", "teardown"),
        ("ERROR collecting ", "collect"),
    ):
        if title.startswith(prefix):
            return Section(title[len(prefix) :], phase, region, no)
    return Section(title, "call", region, no)


def captured_line(sec: Section, no: int, line: str) -> None:
    """A line of a Captured stdout/stderr/log subsection."""
    if sec.capture == "log":
        m = LOG_RECORD.match(line) if line[:1].isupper() else None
        if m:
            flush_log(sec)
            sec.record = [no, no, LEVELS.get(m.group(1)), m.group(3)]
            return
        pending = sec.record
        if pending is not None:
            pending[1] = no
            pending[3] += "\n" + line
            return
    pending = sec.record
    if pending is not None:
        if line and is_continuation(line):  # the DETAIL/HINT lines of a printed driver error
            pending[1] = no
            pending[3] += "\n" + line
            return
        flush_log(sec)
    if line and any(n in line for n in NEEDLES):
        sec.record = [no, no, None, line]


def read_captured(
    capture: str, lines: list[tuple[int, str]]
) -> list[tuple[int, int, str | None, str]]:
    """Log records (and error-looking output lines) of one captured block read outside a
    terminal report: reportlog ``sections``, JUnit system-out/err, live-log blocks."""
    sec = Section(None, "call", "", 0, capture=capture)
    for no, line in lines:
        captured_line(sec, no, line)
    flush_log(sec)
    return sec.logs


def flush_log(sec: Section) -> None:
    pending = sec.record
    if pending is not None:
        sec.record = None
        text = pending[3].rstrip("\n")
        if sec.kind != "PASSES" or worth_keeping(pending[2], text):
            sec.logs.append((pending[0], pending[1], pending[2], text))


def split_summary(rest: str) -> tuple[str, str]:
    """``node id - message``; ids may hold spaces and " - " inside their [param] part."""
    start = 0
    br = rest.find("[")
    sep = rest.find(" - ")
    if br != -1 and (sep == -1 or br < sep):
        close = rest.find("]", br)
        start = close if close != -1 else 0
    sep = rest.find(" - ", start)
    if sep == -1:
        return rest.rstrip(), ""
    return rest[:sep], rest[sep + 3 :]


def title_to_id(title: str) -> str:
    head, br, param = title.partition("[")
    return head.replace(".", "::") + br + param


class Passes:
    """A report's PASSED summary lines (-rA prints one per passing test), kept in the runs they
    came in: no object per line. One that a continuation line follows becomes an Entry."""

    __slots__ = ("runs",)

    def __init__(self) -> None:
        self.runs: list[tuple[list[int], list[str]]] = []  # (line numbers, lines)

    def add(self, numbers: Sequence[int], lines: list[str], entries: list[Entry]) -> None:
        """PASSED lines after the summary's last entry (``entries``: the others)."""
        if self._last(entries):
            self.runs[-1][0].extend(numbers)
            self.runs[-1][1].extend(lines)
        else:
            self.runs.append((list(numbers), list(lines)))

    def last_entry(self, entries: list[Entry]) -> Entry | None:
        """The summary's last entry, which a continuation line extends: when it is a PASSED
        line, it is made an Entry first (appended to ``entries``)."""
        if self._last(entries):
            numbers, lines = self.runs[-1]
            no, line = numbers.pop(), lines.pop()
            if not numbers:
                self.runs.pop()
            test, message = split_summary(line[7:])
            entries.append(Entry("PASSED", test, message, no, no))
        return entries[-1] if entries else None

    def entries(self, titles: set[str]) -> list[Entry]:
        """The PASSED lines that may name a section with one of these titles (they hold the
        title, or its node-id form, as EntryIndex.match needs), as Entries, in order."""
        keys = tuple({*titles, *map(title_to_id, titles)})
        out = []
        for numbers, lines in self.runs:
            for no, line in zip(numbers, lines, strict=True):
                if any(k in line for k in keys):
                    test, message = split_summary(line[7:])
                    out.append(Entry("PASSED", test, message, no, no))
        return out

    def _last(self, entries: list[Entry]) -> bool:
        """Whether a PASSED line comes after every other entry."""
        return bool(self.runs) and (not entries or self.runs[-1][0][-1] > entries[-1].end)


def word_of(sec: Section) -> str:
    """The outcome word of the summary entry a section stands for."""
    if sec.kind == "PASSES":
        return "PASSED"
    return "FAILED" if sec.phase == "call" else "ERROR"


class EntryIndex:
    """The summary entries by outcome word and by the names a section title can give them: the
    whole node id, or any part of it after a "::" (``Class.test_x[p]`` names ``...::Class::
    test_x[p]``). Built once per report: a -rA report may hold a section for each of
    hundreds of thousands of tests."""

    def __init__(self, entries: list[Entry], words: set[str]) -> None:
        """``words``: the outcome words the sections to match have (the others are not indexed)."""
        self.whole: dict[tuple[str, str], list[int]] = {}
        self.tail: dict[tuple[str, str], list[int]] = {}
        for k, entry in enumerate(entries):
            if entry.word not in words:
                continue
            test = entry.test
            self.whole.setdefault((entry.word, test), []).append(k)
            at = test.find("::")
            while at >= 0:
                self.tail.setdefault((entry.word, test[at + 2 :]), []).append(k)
                at = test.find("::", at + 1)

    def match(self, sec: Section, used: set[int]) -> int | None:
        """The summary entry a section title names: the first unused one, in report order, with
        the section's outcome word whose node id is the title or ends with "::" + its id."""
        title = sec.title or ""
        word = word_of(sec)
        best: int | None = None
        for index, key in ((self.whole, title), (self.tail, title_to_id(title))):
            for k in index.get((word, key), ()):
                if k not in used:
                    best = k if best is None else min(best, k)
                    break
        return best
