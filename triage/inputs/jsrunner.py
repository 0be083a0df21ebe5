"""vitest, jest and node:test (spec and TAP reporters) text output as test Events.

One Event per failed test (test id "file > suite > name", the error headline, the cause chain,
properties the runner printed such as ``code: '23503'`` under ``data["err"]``), one per passed
test the runner lists, and one "exit" Event per run summary. Blocks are collected line by line
and turned into Events when they end; only runner lines are claimed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from triage.inputs.gate import BLANK, Quiet, Triggers
from triage.inputs.jsrunner_errors import (
    headline,
    jest_file,
    join_names,
    read_error,
    strip_duration,
    tap_error,
)
from triage.inputs.jsrunner_node import NodeTestLines
from triage.inputs.textblocks_lines import PRISMA_MESSAGE_LINES
from triage.model import Event

VITEST_RULE = "⎯⎯⎯"
VITEST_FILE = re.compile(r"^(?P<file>\S.*?) \(\d+ tests?(?: \|[^)]*)?\)")
FIRST_CHARS = frozenset("FPTR⎯❯✓×↓→✕●▶✖✔ℹ")
LISTED = (
    "× ",
    "✓ ",
    "↓ ",
    "→ ",
    "❯ ",
    "Test Files ",
    "FAIL  ",
)  # (indented) what ends an arrow message
# What _start acts on while no block, summary or jest/TAP run is open (see gate.py): the marks
# of FIRST_CHARS (all but "×" are U+2xxx, whose UTF-8 starts with 0xE2) and the runners' words.
IDLE_TRIGGERS = Triggers(
    prefixes=(b"PASS ",),
    needles=(
        b"\xe2",
        "×".encode(),
        b"FAIL ",
        b"RUN  v",
        b"TAP version",
        b"Test Files ",
        b"Test Suites: ",
    ),
)
IDLE = Quiet(IDLE_TRIGGERS)
IDLE_IN_SECTION = Quiet(IDLE_TRIGGERS, claims=BLANK)  # a blank line is the section's
# Once TAP is recognised, _tap acts on test points ("ok 1 - x", "not ok 2 - y"), subtests and
# the summary ("# Subtest: ", "# tests "), and claims plan and comment lines ("1..", "# ").
TAP_TRIGGERS = IDLE_TRIGGERS | Triggers(needles=(b"ok ", b"# ", b"1.."))
IN_TAP = Quiet(TAP_TRIGGERS)
IN_TAP_IN_SECTION = Quiet(TAP_TRIGGERS, claims=BLANK)
SUMMARY_KEYS = ("tests", "suites", "pass", "fail", "cancelled", "skipped", "todo", "duration_ms")


@dataclass
class _Block:
    fmt: str
    test: str
    line: int
    end: int
    indent: int = 0
    body: list[tuple[int, str]] = field(default_factory=list)


class JsRunnerParser(NodeTestLines):
    """Line parser for JS test-runner output; see stream.LineParser."""

    fmt = "vitest-text"

    def __init__(self, path: str) -> None:
        self.path = path
        self.block: _Block | None = None
        self.mode = ""  # "vitest" | "jest" | "node" | "tap" once a runner has been recognised
        self.section = ""  # vitest: "failed"; node: "recap"
        self.file = ""  # current vitest/jest file
        self.suites: list[tuple[int, str, bool]] = []  # (indent, name, has children)
        self.summary: tuple[str, int, list[str]] | None = None  # (fmt, line, parts)
        self.listing = False  # jest: inside the verbose list under a FAIL/PASS header
        # vitest's list repeats a failure's message after "→ "; one that starts on the next line
        # (Prisma's) goes on over this many lines at most, up to the list's next entry
        self.arrow = 0

    def feed(self, no: int, line: str) -> tuple[bool, list[Event]]:
        out: list[Event] = []
        if self.block is not None:
            if self._continues(line):
                self.block.body.append((no, line))
                if line.strip():
                    self.block.end = no
                return True, out
            out.extend(self._end_block())
        if self.summary is not None:
            if self._summary_line(line):
                return True, out
            out.extend(self._end_summary())
        stripped = line.lstrip()
        if self.arrow:
            # the list's entries are indented; Prisma's own "→ 20   await ..." line is not
            if not (line.startswith(" ") and stripped.startswith(LISTED) or line.startswith("⎯")):
                self.arrow -= 1
                return True, out
            self.arrow = 0
        if not stripped:
            return self.section != "", out
        if stripped[0] in FIRST_CHARS or self.mode in ("jest", "tap") or self.section == "recap":
            claimed, events = self._start(no, line, stripped)
            out.extend(events)
            return claimed, out
        return False, out

    def quiet(self) -> Quiet | None:
        if (
            self.arrow
            or self.block is not None
            or self.summary is not None
            or self.listing
            or self.section == "recap"
        ):
            return None  # (jest outside its verbose list acts only on IDLE_TRIGGERS lines)
        if self.mode == "tap":
            return IN_TAP_IN_SECTION if self.section else IN_TAP
        return IDLE_IN_SECTION if self.section else IDLE

    def close(self) -> list[Event]:
        out = self._end_block() if self.block is not None else []
        if self.summary is not None:
            out.extend(self._end_summary())
        return out

    # -- recognising lines ------------------------------------------------------------------

    def _start(self, no: int, line: str, s: str) -> tuple[bool, list[Event]]:
        indent = len(line) - len(s)
        if self.section == "recap":
            if indent == 0 and not s.startswith(("test at ", "✖ ")):
                self.section = ""
            else:
                if s.startswith("✖ "):
                    self.block = _Block("", "", no, no, indent)  # swallowed by _end_block
                return True, []
        if s.startswith("RUN  v") and indent == 1:
            self.mode = "vitest"
            return True, []
        if s.startswith("FAIL  ") and indent == 1:  # vitest failure header (two spaces)
            self.mode = "vitest"
            test = s[6:].split(" [ ", 1)[0].strip()
            self.block = _Block("vitest-text", test, no, no)
            return True, []
        if s.startswith(("FAIL ", "PASS ")) and indent == 0:  # jest file header
            self.mode, self.file, self.suites = "jest", jest_file(s[5:]), []
            self.listing = True
            return True, []
        if s.startswith(VITEST_RULE):
            self.mode = "vitest"
            self.section = "failed" if "Failed" in s or "Unhandled" in s else self.section
            return True, []
        if s.startswith("❯ ") or (s.startswith("✓ ") and self.mode != "jest" and indent == 1):
            return self._vitest_file_or_pass(no, s, indent)
        if s.startswith("→") and self.mode == "vitest":
            self.arrow = PRISMA_MESSAGE_LINES if s.strip() == "→" else 0
            return True, []
        if self.mode in ("vitest", "") and s[:2] in ("✓ ", "× ", "↓ "):
            self.mode = "vitest"
            if s[0] == "✓":
                name = strip_duration(s[2:])
                test = name if " > " in name else f"{self.file} > {name}"
                return True, [self._test("vitest-text", no, test, "passed", "")]
            return True, []
        if s.startswith("● ") and self.mode == "jest":
            self.listing = False
            title = s[2:].strip()
            test = (
                self.file
                if title == "Test suite failed to run"
                else join_names(self.file, *title.split(" › "))
            )
            self.block = _Block("jest-text", test, no, no, indent)
            return True, []
        if self.mode == "jest" and self.listing and s[:2] in ("✓ ", "✕ ", "○ "):
            return self._jest_listed(no, s, indent)
        if s[:2] in ("▶ ", "✖ ", "✔ ") or (self.mode == "node" and s.startswith("ℹ ")):
            return self._node_spec(no, s, indent)
        if s.startswith("TAP version"):
            self.mode, self.suites = "tap", []
            return True, []
        if self.mode == "tap":
            return self._tap(no, line, s, indent)
        if s.startswith(("Test Files ", "Test Suites: ")):
            fmt = "vitest-text" if s.startswith("Test Files") else "jest-text"
            self.summary = (fmt, no, [s.strip()])
            return True, []
        listed = self.listing and indent >= 2 and indent % 2 == 0
        self.listing = False  # any other line ends the verbose list
        if listed and self._jest_suite_line(s):
            self.listing = True
            self.suites = [entry for entry in self.suites if entry[0] < indent]
            self.suites.append((indent, s.strip(), True))
            return True, []
        return False, []

    def _vitest_file_or_pass(self, no: int, s: str, indent: int) -> tuple[bool, list[Event]]:
        if indent != 1:
            return False, []
        # " ❯ tests/db.test.ts (4 tests | 3 failed) 5ms" or " ✓ tests/ok.test.ts (1 test) 5ms"
        head = s[2:]
        m = VITEST_FILE.match(head)
        if m is None:
            if s[0] == "✓" and " > " in head:  # verbose reporter: full id on the line
                self.mode = "vitest"
                return True, [self._test("vitest-text", no, strip_duration(head), "passed", "")]
            return False, []
        self.mode, self.file = "vitest", m.group("file")
        return True, []

    def _jest_listed(self, no: int, s: str, indent: int) -> tuple[bool, list[Event]]:
        depth = (indent - 2) // 2
        self.suites = [entry for entry in self.suites if entry[0] < indent]
        if s[0] != "✓":
            return True, []  # failures are read from their "●" blocks
        names = [name for _, name, _ in self.suites[:depth]]
        test = join_names(self.file, *names, strip_duration(s[2:]))
        return True, [self._test("jest-text", no, test, "passed", "")]

    @staticmethod
    def _jest_suite_line(s: str) -> bool:
        return not s.startswith(("at ", "console.", ">")) and " | " not in s and not s[0].isdigit()

    # -- blocks -----------------------------------------------------------------------------

    def _continues(self, line: str) -> bool:
        block = self.block
        assert block is not None
        if block.fmt == "vitest-text":
            return not (
                line.startswith((" FAIL  ", " Test Files "))
                or (VITEST_RULE in line and "[" in line)
            )
        if not line.strip():
            return True
        indent = len(line) - len(line.lstrip())
        return indent > block.indent

    def _end_block(self) -> list[Event]:
        block = self.block
        self.block = None
        if block is None or not block.fmt:
            return []
        if block.fmt == "node-test-text" and self.mode == "tap":
            chain, data = tap_error(block.body)
        else:
            chain, data = read_error(block.body)
        text = headline(chain[0]) if chain else ""
        return [
            Event(
                path=self.path,
                line=block.line,
                fmt=block.fmt,
                kind="test",
                text=text,
                level="error",
                data=data,
                test=block.test,
                outcome="failed",
                phase="call",
                chain=tuple(chain),
                end_line=block.end,
            )
        ]

    # -- summaries ----------------------------------------------------------------------------

    def _summary_line(self, line: str) -> bool:
        assert self.summary is not None
        fmt, _, parts = self.summary
        s = line.strip()
        if fmt == "node-test-text":
            if not s.startswith(("ℹ ", "# ")):
                return False
            key, _, value = s[2:].partition(" ")
            if key in ("tests", "pass", "fail"):
                parts.append(f"{key} {value}")
            return key in SUMMARY_KEYS
        if s.startswith(("Tests ", "Tests:")):
            parts.append(s)
            return True
        return False

    def _end_summary(self) -> list[Event]:
        assert self.summary is not None
        fmt, line, parts = self.summary
        self.summary = None
        text = "; ".join(" ".join(p.split()) for p in parts)
        failed = "failed" in text or any(p.startswith("fail ") and p != "fail 0" for p in parts)
        return [
            Event(
                path=self.path,
                line=line,
                fmt=fmt,
                kind="exit",
                text=text,
                level="error" if failed else "info",
                outcome="failed" if failed else "passed",
            )
        ]

    def _new_block(self, fmt: str, test: str, no: int, indent: int) -> _Block:
        return _Block(fmt, test, no, no, indent)

    def _test(self, fmt: str, no: int, test: str, outcome: str, text: str) -> Event:
        return Event(
            path=self.path,
            line=no,
            fmt=fmt,
            kind="test",
            text=text,
            test=test,
            outcome=outcome,
            phase="call",
        )
