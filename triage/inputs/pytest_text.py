"""pytest terminal output (every --tb style, -q/-v/-rA, xdist): failing tests, captured logs, exit.

formats.md §2.1-2.7. Section titles name tests only as ``Class.test_name``; the short summary
gives full node ids, so section events are held until the summary (or ``close()``) resolves them.
Live logging (``log_cli``) prints ``-- live log <phase> --`` blocks after the node id line of the
running test; their records are emitted at once with that test id.
"""

from __future__ import annotations

import re

from triage.inputs.pytest_parts import (
    Entry,
    Section,
    captured_line,
    flush_log,
    match_entry,
    open_section,
    split_summary,
    title_to_id,
)
from triage.inputs.pytest_tb import link_from_text, parse_traceback
from triage.model import Event, Link

FMT = "pytest-text"
MAJOR = re.compile(r"^=+ (.+?) =+$")
MINOR = re.compile(r"^_{3,} (.+?) _{3,}$")
CAPTURED = re.compile(r"^-+ Captured (stdout|stderr|log) (setup|call|teardown) -+$")
FINAL = re.compile(
    r"^(?:no tests ran|\d+ \w+(?:, \d+ \w+(?: \w+)?)*) in [\d.]+s(?: \(\d+:\d\d:\d\d\))?$"
)
PROGRESS = re.compile(
    r"^(?:\S+ )?[.FEsxXR]+ +\[ *\d+%\]$|^(?:\S+::.* )?(?:PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)\b.*\[ *\d+%\]$"
)
LIVE = re.compile(r"^-+ live log (\w+) -+$")
# Live-log phases that belong to the running test (sessionstart/collection/sessionfinish do not).
TEST_PHASES = frozenset({"start", "setup", "call", "teardown", "finish", "logreport"})
XDIST = re.compile(r"^\[(gw\d+)\] \[ *\d+%\] ([A-Z]+) (.+?) ?$")
VERBOSE = re.compile(r"^(\S+::.*?) (PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)\b.*\[ *\d+%\]$")
WORKER = re.compile(r"^\[(gw\d+)\] \S+ -- Python ")
SUMMARY_WORDS = ("FAILED ", "ERROR ", "PASSED ", "SKIPPED ", "XFAIL ", "XPASS ")
# --tb=line one-line form: "/repo/tests/test_orders.py:25: psycopg2.errors.UniqueViolation: ..."
LINE_FORM = re.compile(r"^\S+\.\w+:\d+: \S")
LOCATION = re.compile(r'^(?:  File "(\S+?)", line \d+, in \w+|(\S+?\.py):\d+: )')

OUT, HEADER, RUN, BODY, SUMMARY, OTHER = range(6)
# Shared results for the common no-event answers; callers only iterate the list.
CLAIMED: tuple[bool, list[Event]] = (True, [])
NOT_MINE: tuple[bool, list[Event]] = (False, [])


class PytestParser:
    """Line parser for pytest terminal output; see stream.py for the protocol."""

    fmt = FMT

    def __init__(self, path: str) -> None:
        self.path = path
        self.state = OUT
        self.region = ""
        self.section: Section | None = None
        self.sections: list[Section] = []
        self.entries: list[Entry] = []
        self.workers: dict[str, str] = {}
        self.outcomes: dict[
            str, str
        ] = {}  # node id -> -v progress words (teardown ERROR detection)
        self.rootdir = ""
        self.emitted: set[tuple[str, str]] = set()
        self.running: str | None = None  # node id of the test live logging speaks about
        self.live: Section | None = None  # the live-log block being read
        self.live_seen: set[tuple[str, str]] = set()  # (test, text): not again from sections

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
                    self.rootdir = line[9:].split(",", 1)[0].rstrip("/") + "/"
                return CLAIMED
            self.state = RUN
            return CLAIMED
        if state == OTHER:
            return CLAIMED
        if first == "[":
            m = XDIST.match(line) if line.startswith("[gw") else None
            if m:
                self.workers[m.group(3)] = m.group(1)
                self._outcome(m.group(3), m.group(2))
                self.state = max(self.state, RUN)
                return CLAIMED
        elif last == "]":
            if line.endswith("%]") and PROGRESS.match(line):
                if "::" in line:
                    v = VERBOSE.match(line)
                    if v:
                        self._outcome(v.group(1), v.group(2))
                        self.running = v.group(1)
                elif self.running and first.isupper():  # "PASSED [ 50%]" after a live block
                    self._outcome(self.running, line.partition(" ")[0])
                self.state = max(self.state, RUN)
                return CLAIMED
        elif last == "!":
            if first == "!":
                return CLAIMED
        elif last == "-":
            if first == "-" and "live log " in line:
                m = LIVE.match(line)
                if m:
                    self._open_live(no, m.group(1))
                    return CLAIMED
        elif last == " " and "::" in line:
            self.running = line.rstrip()  # the node id line live logging prints before a test
            if state == RUN:
                return CLAIMED
        elif state == RUN and line.startswith("scheduling tests"):
            return CLAIMED
        return NOT_MINE

    def _outcome(self, test: str, word: str) -> None:
        if word != "ERROR" or test not in self.outcomes:
            self.outcomes[test] = word
        elif self.outcomes[test] != "ERROR":
            self.outcomes[test] = self.outcomes[test] + "+ERROR"

    def close(self) -> list[Event]:
        live = self._end_live()
        self._end_section()
        return [*live, *self._resolve()]

    # -- live logging ----------------------------------------------------------------------

    def _open_live(self, no: int, when: str) -> None:
        test = self.running if when in TEST_PHASES else None
        self.live = Section(test, when, "LIVE", no, capture="log")

    def _in_live(self, no: int, line: str, sec: Section) -> tuple[bool, list[Event]]:
        """A line inside a live-log block; a line that ends the block is then read as usual."""
        if not _ends_live(line):
            captured_line(sec, no, line)
            return CLAIMED
        events = self._end_live()
        claimed, more = self.feed(no, line)
        return claimed, events + more

    def _end_live(self) -> list[Event]:
        sec, self.live = self.live, None
        if sec is None:
            return []
        flush_log(sec)
        test, phase = sec.title, sec.phase
        events = []
        for line, end, level, text in sec.logs:
            if test is not None:
                self.live_seen.add((test, text))
            events.append(
                Event(
                    self.path,
                    line,
                    FMT,
                    "log",
                    text,
                    level=level,
                    test=test,
                    phase=phase,
                    end_line=end,
                )
            )
        return events

    # -- regions ---------------------------------------------------------------------------

    def _major(self, no: int, title: str) -> list[Event]:
        self._end_section()
        events: list[Event] = []
        if title == "test session starts":
            events = self._resolve()
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
        if line.startswith(SUMMARY_WORDS):
            word, _, rest = line.partition(" ")
            test, message = split_summary(rest)
            self.entries.append(Entry(word, test, message, no, no))
            return True, []
        if FINAL.match(line):
            return True, self._finish(no, line)
        if line.startswith("!") and line.endswith("!"):
            return True, []
        if self.entries:
            last = self.entries[-1]
            last.message += "\n" + line
            last.end = no
        return True, []

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
            if sec.body or sec.logs or sec.title is not None:
                self.sections.append(sec)
            self.section = None

    # -- resolution: sections + summary entries -> events ---------------------------------

    def _resolve(self) -> list[Event]:
        self._end_section()
        entries, sections = self.entries, self.sections
        self.entries, self.sections = [], []
        used: set[int] = set()
        events: list[Event] = []
        failed = [e for e in entries if e.word == "FAILED"]
        anonymous = [s for s in sections if s.title is None and s.closed]
        if len(anonymous) != len(failed):
            anonymous = []
        for i, sec in enumerate(anonymous):
            used.add(entries.index(failed[i]))
            self._section_events(sec, failed[i].test, events)
        for sec in sections:
            if sec.title is None:
                continue
            k = match_entry(sec, entries, used)
            if k is not None:
                if sec.kind != "PASSES":  # the PASSED line still becomes its own event
                    used.add(k)
                test = entries[k].test
            else:
                test = self._derive(sec)
            self._section_events(sec, test, events)
        for k, entry in enumerate(entries):
            if k not in used and entry.word in ("FAILED", "ERROR", "PASSED"):
                self._entry_event(entry, events)
        return events

    def _section_events(self, sec: Section, test: str, events: list[Event]) -> None:
        ids = (("worker", sec.worker),) if sec.worker else ()
        if not ids and test in self.workers:
            ids = (("worker", self.workers[test]),)
        seen = self.live_seen
        for line, end, level, text in sec.logs:
            if seen and (test, text) in seen:
                continue  # already read from the live-log block, where it was printed first
            events.append(
                Event(
                    self.path, line, FMT, "log", text, level=level, test=test, ids=ids, end_line=end
                )
            )
        if sec.kind == "PASSES" or (test, sec.phase) in self.emitted:
            return
        self.emitted.add((test, sec.phase))
        chain = parse_traceback(sec.body)
        text = _link_text(chain[0]) if chain else _first_text(sec.body)
        outcome = "failed" if sec.phase == "call" else "error"
        events.append(
            Event(
                self.path,
                sec.line,
                FMT,
                "test",
                text,
                test=test,
                outcome=outcome,
                phase=sec.phase,
                ids=ids,
                chain=chain,
                end_line=sec.end or sec.line,
            )
        )

    def _entry_event(self, entry: Entry, events: list[Event]) -> None:
        phase = "call"
        if entry.word == "ERROR":
            # -v showed "PASSED" (or FAILED) before "ERROR": the error came in teardown.
            after = self.outcomes.get(entry.test, "") not in ("", "ERROR")
            phase = "collect" if "::" not in entry.test else "teardown" if after else "setup"
        if (entry.test, phase) in self.emitted:
            return
        self.emitted.add((entry.test, phase))
        outcome = {"FAILED": "failed", "ERROR": "error"}.get(entry.word, "passed")
        msg = entry.message
        chain: tuple[Link, ...] = ()
        if msg and outcome != "passed":
            link = link_from_text(msg, entry.line)
            cut = msg.endswith("...") and "\n" not in msg
            if link.exc is not None and not (cut and ": " not in msg[: len(msg) - 3]):
                chain = (link,)
        worker = self.workers.get(entry.test)
        events.append(
            Event(
                self.path,
                entry.line,
                FMT,
                "test",
                msg or f"{entry.word} {entry.test}",
                test=entry.test,
                outcome=outcome,
                phase=phase,
                ids=(("worker", worker),) if worker else (),
                chain=chain,
                end_line=entry.end,
            )
        )

    def _derive(self, sec: Section) -> str:
        """No summary entry: take the module from a traceback location inside a test file."""
        title = sec.title or ""
        if sec.phase == "collect":
            return title
        for _, text in sec.body:
            m = LOCATION.match(text)
            if m:
                path = m.group(1) or m.group(2)
                if self.rootdir and path.startswith(self.rootdir):
                    path = path[len(self.rootdir) :]
                base = path.rsplit("/", 1)[-1]
                if base.startswith("test_") or base.endswith("_test.py"):
                    return path + "::" + title_to_id(title)
        return title


def _ends_live(line: str) -> bool:
    """A progress line, the next live-log title or test, a major rule: the block is over."""
    first, last = line[:1], line[-1:]
    if last == "]":
        return line.endswith("%]") and PROGRESS.match(line) is not None
    if last == "-":
        return first == "-" and LIVE.match(line) is not None
    if last == " ":
        return "::" in line
    if last == "=":
        return first == "=" and MAJOR.match(line) is not None
    return (last == "s" or last == ")") and " in " in line and FINAL.match(line) is not None


def _link_text(link: Link) -> str:
    return f"{link.exc}: {link.message}" if link.exc and link.message else link.exc or link.message


def _first_text(body: list[tuple[int, str]]) -> str:
    for _, text in body:
        if text.strip():
            return text.strip()
    return ""
