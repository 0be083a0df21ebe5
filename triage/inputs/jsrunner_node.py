"""node:test output, spec and TAP reporters: suites, failed and passed tests, the summary.

A mixin of JsRunnerParser (jsrunner.py), which owns the state these methods read and write.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from triage.inputs.jsrunner_errors import join_names, strip_duration
from triage.model import Event

if TYPE_CHECKING:
    from triage.inputs.jsrunner import _Block

TAP_RESULT = re.compile(r"^(?P<indent> *)(?P<not>not )?ok \d+ - (?P<name>.*?)(?: # .*)?$")


class NodeTestLines:
    """The node:test half of JsRunnerParser: spec ("✔ name (1ms)", "▶ suite") and TAP lines."""

    mode: str
    section: str
    suites: list[tuple[int, str, bool]]
    summary: tuple[str, int, list[str]] | None
    block: _Block | None

    def _summary_line(self, line: str) -> bool:
        raise NotImplementedError

    def _test(self, fmt: str, no: int, test: str, outcome: str, text: str) -> Event:
        raise NotImplementedError

    def _new_block(self, fmt: str, test: str, no: int, indent: int) -> _Block:
        raise NotImplementedError

    def _node_spec(self, no: int, s: str, indent: int) -> tuple[bool, list[Event]]:
        self.mode = "node" if self.mode in ("", "node") else self.mode
        if s.startswith("ℹ "):
            self.summary = ("node-test-text", no, [])
            self._summary_line(s)
            return True, []
        if s.startswith("✖ failing tests:"):
            self.section = "recap"  # repeats every failure already read: claimed, not re-emitted
            return True, []
        name = strip_duration(s[2:])
        self.suites = [e for e in self.suites if e[0] < indent or (e[0] == indent and e[1] == name)]
        if s[0] == "▶":
            if not (self.suites and self.suites[-1] == (indent, name, True)):
                self.suites.append((indent, name, True))
            else:
                self.suites.pop()  # "▶ suite (12ms)": a passing suite closing
            return True, []
        if self.suites and self.suites[-1][:2] == (indent, name):
            self.suites.pop()  # "✖ suite (31ms)": the suite closing after its children
            return True, []
        test = join_names(*(n for _, n, _ in self.suites), name)
        if s[0] == "✔":
            return True, [self._test("node-test-text", no, test, "passed", "")]
        self.block = self._new_block("node-test-text", test, no, indent)
        return True, []

    def _tap(self, no: int, line: str, s: str, indent: int) -> tuple[bool, list[Event]]:
        if s.startswith("# Subtest: "):
            self.suites = [e for e in self.suites if e[0] < indent]
            if self.suites:
                top = self.suites[-1]
                self.suites[-1] = (top[0], top[1], True)
            self.suites.append((indent, s[11:].strip(), False))
            return True, []
        m = TAP_RESULT.match(line)
        if m is not None:
            entry = next((e for e in self.suites if e[0] == indent), None)
            parents = [n for i, n, _ in self.suites if i < indent]
            self.suites = [e for e in self.suites if e[0] < indent]
            if entry is not None and entry[2]:
                return True, []  # a suite's own result line
            test = join_names(*parents, m.group("name"))
            if m.group("not"):
                self.block = self._new_block("node-test-text", test, no, indent)
                return True, []
            return True, [self._test("node-test-text", no, test, "passed", "")]
        if s.startswith("# tests "):
            self.summary = ("node-test-text", no, [])
            self._summary_line(s)
            return True, []
        return s.startswith(("1..", "# ")), []
