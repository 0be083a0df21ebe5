"""pytest text resolution: held sections and short-summary entries -> test and log events.

Section titles name tests only as ``Class.test_name``; the short summary gives full node ids, so
a section is matched to its summary entry (or its node id derived from a traceback location).
Each (test, phase) yields one test event however many parts of the report mention it.
"""

from __future__ import annotations

import re

from triage.inputs.pytest_live import FMT
from triage.inputs.pytest_parts import (
    Entry,
    EntryIndex,
    Passes,
    Section,
    split_summary,
    title_to_id,
    word_of,
)
from triage.inputs.pytest_tb import link_from_text, parse_traceback
from triage.model import Event, Link

LOCATION = re.compile(r'^(?:  File "(\S+?)", line \d+, in \w+|(\S+?\.py):\d+: )')


class Resolver:
    """What the report of one run taught about its tests, and the events already emitted from it."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.rootdir = ""
        # Kept small whatever the number of tests (a run of millions prints a line for each):
        self.workers: dict[str, str] = {}  # node id -> xdist worker, tests that did not pass
        self.last: dict[str, tuple[str, str]] = {}  # worker ("" for -v) -> (test, its word)
        self.teardown: set[str] = set()  # tests whose ERROR came next to another word of theirs
        self.emitted: set[tuple[str, str]] = set()
        self.live_seen: set[tuple[str, str]] = set()  # (test, text): not again from sections
        self.runs = 0  # sessions started in this log; from the second on, events carry ("run", n)
        # Across runs: a pass says the same in every run of a log (observe keeps the first one
        # only), and a log of many runs passes the same tests again and again.
        self.passed: set[str] = set()  # tests a PASSED entry of any run was emitted for
        self.passed_lines: set[str] = set()  # PASSED lines seen (the same line: the same test)

    def outcome(self, test: str, word: str, worker: str = "") -> None:
        """A progress line said ``word`` for ``test`` (on ``worker``'s stream). pytest prints a
        test's teardown ERROR right after its call outcome, on the same worker: only those pairs
        are kept (and the last line of each stream), not a word per test."""
        last = self.last.get(worker)
        if last is not None and last[0] == test and (last[1] == "ERROR") != (word == "ERROR"):
            self.teardown.add(test)
        self.last[worker] = (test, word)

    def outcomes(self, marked: list[tuple[int, str, str]]) -> None:
        """Some lines (index in a run of -v lines, test, word) of a run read at once: those
        around each ERROR, the first and the last. A line whose predecessor was not read is no
        ERROR's neighbour: it is taken as following nothing."""
        before = -1
        for index, test, word in marked:
            if index and index != before + 1:
                self.last[""] = ("", "")
            self.outcome(test, word)
            before = index

    def new_session(self) -> None:
        """A new run starts in the same log (a rerun, the next job's run): its tests fail or pass
        anew, each (test, phase) once per run. The dicts are cleared in place (the parser holds
        them)."""
        self.runs += 1
        self.rootdir = ""
        self.workers.clear()
        self.last.clear()
        self.teardown.clear()
        self.emitted.clear()
        self.live_seen.clear()

    def resolve(self, entries: list[Entry], sections: list[Section], passes: Passes) -> list[Event]:
        """The events of one report's sections and summary entries (``entries`` and the
        PASSED lines in ``passes``), sections first."""
        used: set[int] = set()
        events: list[Event] = []
        failed = [k for k, e in enumerate(entries) if e.word == "FAILED"]
        anonymous = [s for s in sections if s.title is None and s.closed]
        if len(anonymous) != len(failed):
            anonymous = []
        for at, sec in zip(failed, anonymous, strict=False):
            used.add(at)
            self._section_events(sec, entries[at].test, events)
        words = {word_of(sec) for sec in sections if sec.title is not None}
        kept = {sec.title for sec in sections if sec.title is not None and sec.kind == "PASSES"}
        named = entries + passes.entries(kept) if kept else entries
        index = EntryIndex(named, words)
        for sec in sections:
            if sec.title is None:
                continue
            k = index.match(sec, used)
            if k is not None:
                if sec.kind != "PASSES":  # the PASSED line still becomes its own event
                    used.add(k)
                test = named[k].test
            else:
                test = sec.derived or sec.title
            self._section_events(sec, test, events)
        runs = iter(passes.runs)  # in line order with the entries: no run comes between
        run = next(runs, None)
        for k, entry in enumerate(entries):
            while run is not None and run[0][0] < entry.line:
                self._pass_events(*run, events)
                run = next(runs, None)
            if k not in used and entry.word in ("FAILED", "ERROR", "PASSED"):
                self._entry_event(entry, events)
        while run is not None:
            self._pass_events(*run, events)
            run = next(runs, None)
        return events

    def _pass_events(self, numbers: list[int], lines: list[str], events: list[Event]) -> None:
        """The events of a run of PASSED lines: one per test the log did not pass before."""
        seen = self.passed_lines
        if seen.issuperset(lines):
            return  # the same tests passed in an earlier run
        for no, line in zip(numbers, lines, strict=True):
            if line not in seen:
                seen.add(line)
                test, message = split_summary(line[7:])
                self._entry_event(Entry("PASSED", test, message, no, no), events)

    def _section_events(self, sec: Section, test: str, events: list[Event]) -> None:
        worker = sec.worker or self.workers.get(test)
        ids = self._ids(worker)
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
        chain, text = sec.chain, sec.text
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
            # -v showed "PASSED" (or FAILED) next to "ERROR": the error came in teardown.
            after = entry.test in self.teardown
            phase = "collect" if "::" not in entry.test else "teardown" if after else "setup"
        if (entry.test, phase) in self.emitted:
            return
        self.emitted.add((entry.test, phase))
        outcome = {"FAILED": "failed", "ERROR": "error"}.get(entry.word, "passed")
        if outcome == "passed":
            if entry.test in self.passed:
                return
            self.passed.add(entry.test)
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
                ids=self._ids(worker),
                chain=chain,
                end_line=entry.end,
            )
        )

    def _ids(self, worker: str | None) -> tuple[tuple[str, str], ...]:
        """The xdist worker, and which run of the log (the same test failing in two runs is two
        occurrences of its error; the first run's copies in JUnit or reportlog are one)."""
        ids = (("worker", worker),) if worker else ()
        return (*ids, ("run", str(self.runs))) if self.runs > 1 else ids

    def digest(self, sec: Section) -> None:
        """Read a section's body as it closes (its traceback, its text, the node id its
        locations give) and let the body go: a run's sections wait for the short summary, and
        a run of 25,000 failures held their whole tracebacks until then."""
        if sec.kind != "PASSES":
            sec.chain = parse_traceback(sec.body)
            sec.text = _link_text(sec.chain[0]) if sec.chain else _first_text(sec.body)
        if sec.title is not None:
            sec.derived = self._derive(sec)
        sec.body = []

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


def _link_text(link: Link) -> str:
    return f"{link.exc}: {link.message}" if link.exc and link.message else link.exc or link.message


def _first_text(body: list[tuple[int, str]]) -> str:
    for _, text in body:
        if text.strip():
            return text.strip()
    return ""
