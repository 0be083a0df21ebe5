"""Pieces of a pytest report being read: per-test sections, captured output, summary entries."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from triage.inputs.textblocks_lines import is_continuation

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
        sec.logs.append((pending[0], pending[1], pending[2], pending[3].rstrip("\n")))
        sec.record = None


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


class EntryIndex:
    """The summary entries by outcome word and by the names a section title can give them: the
    whole node id, or any part of it after a "::" (``Class.test_x[p]`` names ``...::Class::
    test_x[p]``). Built once per report: a -rA report may hold a section for each of
    hundreds of thousands of tests."""

    def __init__(self, entries: list[Entry]) -> None:
        self.whole: dict[tuple[str, str], list[int]] = {}
        self.tail: dict[tuple[str, str], list[int]] = {}
        for k, entry in enumerate(entries):
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
        word = "FAILED" if sec.phase == "call" else "ERROR"
        if sec.kind == "PASSES":
            word = "PASSED"
        best: int | None = None
        for index, key in ((self.whole, title), (self.tail, title_to_id(title))):
            for k in index.get((word, key), ()):
                if k not in used:
                    best = k if best is None else min(best, k)
                    break
        return best
