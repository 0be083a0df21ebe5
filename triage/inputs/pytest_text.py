"""pytest terminal output (every --tb style, -q/-v/-rA, xdist): failing tests, captured logs, exit.

formats.md §2.1-2.7. Section events are held until the short summary (or ``close()``) gives
their node ids (pytest_resolve.py); live-log blocks are read by pytest_live.py.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from triage.inputs import linescan
from triage.inputs.gate import ALL, DIGITS, Boundary, Quiet, Triggers
from triage.inputs.pytest_live import (
    FINAL,
    FMT,
    LIVE,
    MAJOR,
    PROGRESS,
    ends_live,
    live_events,
    open_live,
)
from triage.inputs.pytest_parts import (
    KEEP,
    Entry,
    Passes,
    Section,
    captured_line,
    flush_log,
    open_section,
    split_summary,
    worth_keeping,
)
from triage.inputs.pytest_resolve import Resolver
from triage.model import Event

MINOR = re.compile(r"^_{3,} (.+?) _{3,}$")
CAPTURED = re.compile(r"^-+ Captured (stdout|stderr|log) (setup|call|teardown) -+$")
XDIST = re.compile(r"^\[(gw\d+)\] \[ *\d+%\] ([A-Z]+) (.+?) ?$")
# A -v line: the node id (up to the first outcome word after a space), the word, the percentage.
# Written token by token, it matches what r"^(\S+::.*?) (WORD)\b.*\[ *\d+%\]$" matches (the
# tests check it) at twice its speed: the lazy form tries the word at every character.
_WORD = r"(?:PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)\b"
VERBOSE = re.compile(
    rf"^(\S+::[^ ]*(?: (?!{_WORD})[^ ]*)*) (PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)\b.*\[ *\d+%\]$"
)
WORKER = re.compile(r"^\[(gw\d+)\] \S+ -- Python ")
SUMMARY_WORDS = ("FAILED ", "ERROR ", "PASSED ", "SKIPPED ", "XFAIL ", "XPASS ")
# --tb=line one-line form: "/repo/tests/test_orders.py:25: psycopg2.errors.UniqueViolation: ..."
LINE_FORM = re.compile(r"^\S+\.\w+:\d+: \S")

OUT, HEADER, RUN, BODY, SUMMARY, OTHER = range(6)
# Shared results for the common no-event answers; callers only iterate the list.
CLAIMED: tuple[bool, list[Event]] = (True, [])
NOT_MINE: tuple[bool, list[Event]] = (False, [])
# What feed() acts on when no live block is open (see gate.py): outside a report and between
# its progress lines, rules, a final line, xdist and progress lines, node ids, live-log titles.
_ENDS = (b"=", b"no tests ran", *DIGITS)  # a major rule, the final line
IDLE = Quiet(
    Triggers(
        prefixes=(*_ENDS, b"[gw", b"!", b"scheduling tests"),
        suffixes=(b"%]",),
        needles=(b"::", b"live log "),
    )
)
IN_HEADER = Quiet(Triggers(prefixes=(*_ENDS, b"rootdir: ")), claims=ALL, empty=True)
IN_OTHER = Quiet(Triggers(prefixes=_ENDS), claims=ALL)  # warnings summary, durations
# A titled section's traceback: every line is its body but rules ("_", "=", "-": a new section,
# the report's next part, a Captured title) and xdist worker lines; those are collected in bulk.
IN_BODY = Quiet(Triggers(prefixes=(b"_", b"=", b"-", b"[gw")), claims=ALL, collects=True)


def is_title(line: str) -> bool:
    """A ``___ title ___`` line: in a report's body, a new test's section."""
    return line.startswith("__") and line.endswith("_") and MINOR.match(line) is not None


# A passing test's captured output (-rA): only records KEEP matches are kept (pytest_parts), so
# the others are passed over; when one comes, its section is read from its title (Quiet.rewinds).
IN_PASSES = Quiet(KEEP | Triggers(prefixes=(b"=",)), claims=ALL, rewinds=Boundary(b"__", is_title))
# The short summary: its entries' other lines (PASSED ones, continuation lines) are collected.
IN_SUMMARY = Quiet(
    Triggers(prefixes=(*(w.encode() for w in SUMMARY_WORDS if w != "PASSED "), b"!", *_ENDS)),
    claims=ALL,
    collects=True,
)


class PytestParser:
    """Line parser for pytest terminal output; see stream.py for the protocol."""

    fmt = FMT

    def __init__(self, path: str) -> None:
        self.path = path
        self.state = OUT
        self.region = ""
        self.section: Section | None = None
        self.sections: list[Section] = []
        self.entries: list[Entry] = []  # the short summary's entries but its PASSED lines,
        self.passes = Passes()  # which are kept in runs
        self.resolver = Resolver(path)
        self.workers = self.resolver.workers  # shared, never rebound: the parser fills them
        self.running: str | None = None  # node id of the test live logging speaks about
        self.live: Section | None = None  # the live-log block being read

    # -- the line protocol -------------------------------------------------------------------

    def feed(self, no: int, line: str) -> tuple[bool, list[Event]]:
        # Every line of every text input passes here: cheapest tests first, regexes last.
        if self.live is not None:
            return self._in_live(no, line, self.live)
        first = line[:1]
        if first == "=" and line[-1:] == "=":
            m = MAJOR.match(line)
            if m:
                return True, self._major(no, m.group(1))
        state = self.state
        if state == BODY:
            return True, self._body(no, line)
        if state == SUMMARY:
            return self._summary(no, line)
        last = line[-1:]
        if (last == "s" or last == ")") and " in " in line and FINAL.match(line):
            return True, self._finish(no, line)
        if state == HEADER:
            if line:
                if line.startswith("rootdir: "):
                    self.resolver.rootdir = line[9:].split(",", 1)[0].rstrip("/") + "/"
                return CLAIMED
            self.state = RUN
            return CLAIMED
        if state == OTHER:
            return CLAIMED
        if first == "[":
            m = XDIST.match(line) if line.startswith("[gw") else None
            if m:
                worker, word, test = m.group(1, 2, 3)
                if word != "PASSED":
                    self.workers[test] = worker
                self.resolver.outcome(test, word, worker)
                self.state = max(self.state, RUN)
                return CLAIMED
        elif last == "]":
            if line.endswith("%]"):
                # a -v line (every VERBOSE line is a PROGRESS line: one regex for the common case)
                named = "::" in line
                v = VERBOSE.match(line) if named else None
                if v is not None or PROGRESS.match(line):
                    if v is not None:
                        self.resolver.outcome(v.group(1), v.group(2))
                        self.running = v.group(1)
                    elif not named and self.running and first.isupper():  # "PASSED [ 50%]"
                        self.resolver.outcome(self.running, line.partition(" ")[0])  # after logs
                    self.state = max(self.state, RUN)
                    return CLAIMED
        elif last == "!":
            if first == "!":
                return CLAIMED
        elif last == "-":
            if first == "-" and "live log " in line:
                m = LIVE.match(line)
                if m:
                    self.live = open_live(no, m.group(1), self.running)
                    return CLAIMED
        elif last == " " and "::" in line:
            self.running = line.rstrip()  # the node id line live logging prints before a test
            if state == RUN:
                return CLAIMED
        elif state == RUN and line.startswith("scheduling tests"):
            return CLAIMED
        return NOT_MINE

    def take(self, lines: list[str]) -> int:
        """Feed the leading -v progress lines of ``lines`` at once (pytest -v prints one per
        test): how many were taken. Each is taken exactly as feed() claims it, with no event."""
        if self.live is not None or self.state not in (OUT, RUN):
            return 0
        found: list[tuple[str, str]] = []
        for line in lines:
            # feed() reads a line starting with "[" as xdist output, and the others ending in
            # "%]" as progress: a -v line is one VERBOSE matches. One that read_stream would
            # take for JSON (a "{" first, or a docker-compose prefix before one) is not fed.
            v = VERBOSE.match(line) if line[:1] not in "[{" and "| {" not in line else None
            if v is None:
                break
            found.append((v.group(1), v.group(2)))
        if found:
            marked = marked_lines([word == "ERROR" for _, word in found])
            self._took([(i, *found[i]) for i in marked])
        return len(found)

    def take_raw(self, data: bytes, start: int, end: int) -> tuple[int, int]:
        """``take`` on undecoded bytes: the -v lines from ``start`` on, found by the native
        scanner (plain ASCII lines only; others are left to take/feed). How many were taken,
        and where they end. Only the lines ``marked_lines`` names are decoded."""
        scan = linescan.progress_run
        if scan is None or self.live is not None or self.state not in (OUT, RUN):
            return 0, start
        count, stop, marks = scan(data, start, end)
        if count:
            took: list[tuple[int, str, str]] = []
            for index, s, e, _ in marks:
                v = VERBOSE.match(data[s:e].decode("ascii"))
                assert v is not None  # the scanner's lines are VERBOSE's (tests check it)
                took.append((index, v.group(1), v.group(2)))
            self._took(took)
        return count, stop if count else start

    def _took(self, marked: list[tuple[int, str, str]]) -> None:
        """A run of -v lines was taken: its marked lines (index, node id, word), the last one
        included, are all the resolver needs; the last names the running test."""
        self.resolver.outcomes(marked)
        self.running = marked[-1][1]
        self.state = max(self.state, RUN)

    def quiet(self) -> Quiet | None:
        if self.live is not None:
            return None
        state = self.state
        if state in (OUT, RUN):
            return IDLE
        if state == HEADER:
            return IN_HEADER
        if state == BODY:
            sec = self.section
            if sec is None or sec.title is None:
                return None
            if sec.capture is None:
                return IN_BODY
            if sec.kind == "PASSES":
                record = sec.record
                if record is None or not worth_keeping(record[2], record[3]):
                    return IN_PASSES
            return None
        if state == SUMMARY:
            return IN_SUMMARY
        return IN_OTHER if state == OTHER else None

    def collected(self, numbers: Sequence[int], lines: list[str]) -> None:
        """Lines IN_BODY passed over (the open section's body, as feed() would append them) or
        IN_SUMMARY did (PASSED entries and continuation lines, as feed() would read them)."""
        if self.state == SUMMARY:
            if (
                lines[0].startswith("PASSED ")
                and "\n".join(lines).count("\nPASSED ") == len(lines) - 1
            ):
                self.passes.add(numbers, lines, self.entries)  # -rA: a line per passing test
            else:
                for no, line in zip(numbers, lines, strict=True):
                    self._entry_line(no, line)
            return
        sec = self.section
        if sec is not None:
            sec.body.extend(zip(numbers, lines, strict=True))
            sec.end = numbers[-1]

    def close(self) -> list[Event]:
        live = self._end_live()
        self._end_section()
        return [*live, *self._resolve()]

    # -- live logging ----------------------------------------------------------------------

    def _in_live(self, no: int, line: str, sec: Section) -> tuple[bool, list[Event]]:
        """A line inside a live-log block; a line that ends the block is then read as usual."""
        if not ends_live(line):
            captured_line(sec, no, line)
            return CLAIMED
        events = self._end_live()
        claimed, more = self.feed(no, line)
        return claimed, events + more

    def _end_live(self) -> list[Event]:
        sec, self.live = self.live, None
        return [] if sec is None else live_events(self.path, sec, self.resolver.live_seen)

    # -- regions ---------------------------------------------------------------------------

    def _major(self, no: int, title: str) -> list[Event]:
        self._end_section()
        events: list[Event] = []
        if title == "test session starts":
            events = self._resolve()
            self.resolver.new_session()
            self.state = HEADER
        elif title in ("ERRORS", "FAILURES", "PASSES", "XPASSES"):
            self.state, self.region = BODY, title
        elif title == "short test summary info":
            self.state = SUMMARY
        elif FINAL.match(title):
            events = self._finish(no, title)
        else:
            self.state = OTHER  # warnings summary, slowest durations, plugin sections
        return events

    def _body(self, no: int, line: str) -> list[Event]:
        sec = self.section
        if line.startswith("__") and line.endswith("_"):
            m = MINOR.match(line)
            if m:
                self._end_section()
                self.section = open_section(m.group(1), self.region, no)
                return []
        if line.startswith("---") and "generated " in line:
            self._end_section()  # "--- generated xml file: ... ---" trailer of junitxml/reportlog
            return []
        if sec is None:
            if not line and self.region != "FAILURES":
                return []
            sec = self.section = Section(None, "call", self.region, no)
        sec.end = no
        if line.startswith("-") and "Captured " in line:
            m = CAPTURED.match(line)
            if m:
                flush_log(sec)
                sec.capture = m.group(1)
                return []
        if sec.capture is None:
            if line.startswith("[gw"):
                m = WORKER.match(line)
                if m:
                    sec.worker = m.group(1)
                    return []
            sec.body.append((no, line))
        if sec.title is None and not line.startswith(("E", " ")) and LINE_FORM.match(line):
            sec.closed = True
            self._end_section()  # --tb=line: the one-line form closes a headerless block
        elif sec.capture is not None:
            captured_line(sec, no, line)
        return []

    def _summary(self, no: int, line: str) -> tuple[bool, list[Event]]:
        if not line.startswith(SUMMARY_WORDS):
            if FINAL.match(line):
                return True, self._finish(no, line)
            if line.startswith("!") and line.endswith("!"):
                return True, []
        self._entry_line(no, line)
        return CLAIMED

    def _entry_line(self, no: int, line: str) -> None:
        """A summary line that is an entry (``WORD node id - message``) or continues the last."""
        if line.startswith("PASSED "):
            self.passes.add((no,), [line], self.entries)
        elif line.startswith(SUMMARY_WORDS):
            word, _, rest = line.partition(" ")
            test, message = split_summary(rest)
            self.entries.append(Entry(word, test, message, no, no))
        else:
            last = self.passes.last_entry(self.entries)
            if last is not None:
                last.message += "\n" + line
                last.end = no

    def _finish(self, no: int, text: str) -> list[Event]:
        events = self._resolve()
        bad = " failed" in text or " error" in text
        events.append(
            Event(
                self.path, no, FMT, "exit", text, outcome="failed" if bad else "passed", end_line=no
            )
        )
        self.state = OUT
        return events

    def _end_section(self) -> None:
        sec = self.section
        if sec is not None:
            flush_log(sec)
            if sec.kind == "PASSES" and not sec.logs:
                pass  # a passing test's section makes events of its kept records only
            elif sec.body or sec.logs or sec.title is not None:
                self.resolver.digest(sec)
                self.sections.append(sec)
            self.section = None

    def _resolve(self) -> list[Event]:
        self._end_section()
        entries, sections, passes = self.entries, self.sections, self.passes
        self.entries, self.sections, self.passes = [], [], Passes()
        return self.resolver.resolve(entries, sections, passes)


_NOT_PLAIN = re.compile(rb"[^\t\x20-\x7e]")
WORDS = ("PASSED", "FAILED", "ERROR", "SKIPPED", "XFAIL", "XPASS")


def progress_run_py(
    data: bytes, start: int, end: int
) -> tuple[int, int, list[tuple[int, int, int, int]]]:
    """What linescan.progress_run (native) must return: how many whole lines from ``start`` are
    plain-ASCII -v lines (not "[" or "{" first, no " | {"; a "\\r" before the "\\n" is dropped,
    as the reader drops it), where they end, and (index, start, end, word index) for the first,
    the last and each ERROR line with its neighbours (end: before the "\\r")."""
    lines: list[tuple[int, int, int]] = []
    pos = start
    while pos < end:
        nl = data.find(b"\n", pos, end)
        if nl < 0:
            break
        e = nl - 1 if nl > pos and data[nl - 1 : nl] == b"\r" else nl
        raw = data[pos:e]
        if raw[:1] in (b"[", b"{") or b"| {" in raw or _NOT_PLAIN.search(raw):
            break
        v = VERBOSE.match(raw.decode("ascii"))
        if v is None:
            break
        lines.append((pos, e, WORDS.index(v.group(2))))
        pos = nl + 1
    if not lines:
        return 0, start, []
    marked = marked_lines([WORDS[word] == "ERROR" for _, _, word in lines])
    return len(lines), pos, [(i, *lines[i]) for i in marked]


def marked_lines(errors: list[bool]) -> list[int]:
    """Which lines of a run of -v lines a reader must look at (``errors``: whether each says
    ERROR): the first and the last (the stream's state before and after) and each ERROR with
    its neighbours (a teardown ERROR is printed next to its test's other word)."""
    marked = {0, len(errors) - 1}
    for i, error in enumerate(errors):
        if error:
            marked.update(j for j in (i - 1, i, i + 1) if 0 <= j < len(errors))
    return sorted(marked)
