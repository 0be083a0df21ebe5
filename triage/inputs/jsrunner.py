"""vitest, jest and node:test (spec and TAP reporters) text output as test Events.

One Event per failed test (test id "file > suite > name", the error headline, the cause chain,
properties the runner printed such as ``code: '23503'`` under ``data["err"]``), one per passed
test the runner lists, and one "exit" Event per run summary. Blocks are collected line by line
and turned into Events when they end; only runner lines are claimed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from triage.model import Event, Link

# "Error: x", "error: x" (node-postgres), "AssertionError [ERR_ASSERTION]: x", "pg.DatabaseError: x"
HEADLINE = re.compile(
    r"^(?P<exc>(?:[A-Za-z_$][\w$]*\.)*[\w$]*(?:Error|Exception)|error)"
    r"(?: \[[A-Z_0-9]+\])?: (?P<msg>.*)$"
)
DURATION = re.compile(r"\s+(?:\(\d+(?:\.\d+)? ?m?s\)|\d+(?:\.\d+)?m?s)$")
PROP = re.compile(r"""(\w+): ('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^,{}\s][^,}]*)""")
PROP_LINE = re.compile(r"^\s+(\w+): (.*?),?$")
TAP_RESULT = re.compile(r"^(?P<indent> *)(?P<not>not )?ok \d+ - (?P<name>.*?)(?: # .*)?$")
VITEST_RULE = "⎯⎯⎯"
VITEST_FILE = re.compile(r"^(?P<file>\S.*?) \(\d+ tests?(?: \|[^)]*)?\)")
FIRST_CHARS = frozenset("FPTR⎯❯✓×↓→✕●▶✖✔ℹ")
SUMMARY_KEYS = ("tests", "suites", "pass", "fail", "cancelled", "skipped", "todo", "duration_ms")


@dataclass
class _Block:
    fmt: str
    test: str
    line: int
    end: int
    indent: int = 0
    body: list[tuple[int, str]] = field(default_factory=list)


class JsRunnerParser:
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
        if not stripped:
            return self.section != "", out
        if stripped[0] in FIRST_CHARS or self.mode in ("jest", "tap") or self.section == "recap":
            claimed, events = self._start(no, line, stripped)
            out.extend(events)
            return claimed, out
        return False, out

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
            self.mode, self.file, self.suites = "jest", _jest_file(s[5:]), []
            self.listing = True
            return True, []
        if s.startswith(VITEST_RULE):
            self.mode = "vitest"
            self.section = "failed" if "Failed" in s or "Unhandled" in s else self.section
            return True, []
        if s.startswith("❯ ") or (s.startswith("✓ ") and self.mode != "jest" and indent == 1):
            return self._vitest_file_or_pass(no, s, indent)
        if s.startswith("→ ") and self.mode == "vitest":
            return True, []
        if self.mode in ("vitest", "") and s[:2] in ("✓ ", "× ", "↓ "):
            self.mode = "vitest"
            if s[0] == "✓":
                name = _strip_duration(s[2:])
                test = name if " > " in name else f"{self.file} > {name}"
                return True, [self._test("vitest-text", no, test, "passed", "")]
            return True, []
        if s.startswith("● ") and self.mode == "jest":
            self.listing = False
            title = s[2:].strip()
            test = (
                self.file
                if title == "Test suite failed to run"
                else _join(self.file, *title.split(" › "))
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
                return True, [self._test("vitest-text", no, _strip_duration(head), "passed", "")]
            return False, []
        self.mode, self.file = "vitest", m.group("file")
        return True, []

    def _jest_listed(self, no: int, s: str, indent: int) -> tuple[bool, list[Event]]:
        depth = (indent - 2) // 2
        self.suites = [entry for entry in self.suites if entry[0] < indent]
        if s[0] != "✓":
            return True, []  # failures are read from their "●" blocks
        names = [name for _, name, _ in self.suites[:depth]]
        test = _join(self.file, *names, _strip_duration(s[2:]))
        return True, [self._test("jest-text", no, test, "passed", "")]

    @staticmethod
    def _jest_suite_line(s: str) -> bool:
        return not s.startswith(("at ", "console.", ">")) and " | " not in s and not s[0].isdigit()

    def _node_spec(self, no: int, s: str, indent: int) -> tuple[bool, list[Event]]:
        self.mode = "node" if self.mode in ("", "node") else self.mode
        if s.startswith("ℹ "):
            self.summary = ("node-test-text", no, [])
            self._summary_line(s)
            return True, []
        if s.startswith("✖ failing tests:"):
            self.section = "recap"  # repeats every failure already read: claimed, not re-emitted
            return True, []
        name = _strip_duration(s[2:])
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
        test = _join(*(n for _, n, _ in self.suites), name)
        if s[0] == "✔":
            return True, [self._test("node-test-text", no, test, "passed", "")]
        self.block = _Block("node-test-text", test, no, no, indent)
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
            test = _join(*parents, m.group("name"))
            if m.group("not"):
                self.block = _Block("node-test-text", test, no, no, indent)
                return True, []
            return True, [self._test("node-test-text", no, test, "passed", "")]
        if s.startswith("# tests "):
            self.summary = ("node-test-text", no, [])
            self._summary_line(s)
            return True, []
        return s.startswith(("1..", "# ")), []

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
            chain, data = _tap_error(block.body)
        else:
            chain, data = _read_error(block.body)
        text = _link_text(chain[0]).split("\n", 1)[0] if chain else ""
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


def _read_error(body: list[tuple[int, str]]) -> tuple[list[Link], dict[str, Any] | None]:
    """vitest / jest / node spec block: headline, "Caused by:"/"Cause:" links, printed properties."""
    chain: list[Link] = []
    props: dict[str, str] = {}
    expect_link = True
    in_props = False
    for no, raw in body:
        s = raw.strip()
        if not s:
            continue
        if s.startswith("Caused by: "):
            chain.append(_link(s[11:], no))
            continue
        if s == "Cause:":
            expect_link = True
            continue
        if s.startswith("Serialized Error: "):
            props.update(_inline_props(s[18:]))
            continue
        if in_props:
            m = PROP_LINE.match(raw)
            if m is not None:
                _put(props, m.group(1), m.group(2))
            in_props = s != "}"
            continue
        if s.endswith(" {") and s.startswith("at "):
            in_props = True
            continue
        if expect_link and not s[0].isdigit() and not s.startswith((">", "|", "❯", "at ")):
            chain.append(_link(s, no))
            expect_link = False
    data: dict[str, Any] | None = None
    if props:
        if "message" not in props and chain:
            props["message"] = chain[-1].message
        data = {"err": props}
    return chain, data


def _tap_error(body: list[tuple[int, str]]) -> tuple[list[Link], dict[str, Any] | None]:
    """The YAML diagnostic block of a TAP "not ok": error, name, code, location."""
    fields: dict[str, str] = {}
    first_line = body[0][0] if body else 0
    i = 0
    while i < len(body):
        no, raw = body[i]
        key, sep, value = raw.strip().partition(": ")
        if not sep and raw.strip().endswith(":"):
            key, value, sep = raw.strip()[:-1], "", ":"
        i += 1
        if not sep or key in fields:
            continue
        if key == "error":
            first_line = no
        if value in ("|-", "|", ">-"):
            base = len(raw) - len(raw.lstrip())
            block = []
            while i < len(body) and (
                not body[i][1].strip() or len(body[i][1]) - len(body[i][1].lstrip()) > base
            ):
                block.append(body[i][1].strip())
                i += 1
            fields[key] = "\n".join(block).strip()
        else:
            fields[key] = _unquote(value)
    message = fields.get("error")
    if message is None:
        return [], None
    exc = fields.get("name") or None
    err: dict[str, str] = {k: fields[k] for k in ("code", "name", "location") if k in fields}
    err["message"] = message
    return [Link(exc, message, first_line)], {"err": err}


def _link(text: str, no: int) -> Link:
    m = HEADLINE.match(text)
    if m is None:
        return Link(None, text, no)
    return Link(m.group("exc"), m.group("msg"), no)


def _link_text(link: Link) -> str:
    return f"{link.exc}: {link.message}" if link.exc else link.message


def _inline_props(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in PROP.findall(text):
        _put(out, key, value)
    return out


def _put(props: dict[str, str], key: str, value: str) -> None:
    value = value.strip()
    if value in ("undefined", "null", "[]", "{}", "[Object]", "[Array]") or value.endswith(
        ("{", "[")
    ):
        return
    props[key] = _unquote(value)


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"`":
        inner = value[1:-1]
        if value[0] == "'" and "''" in inner and "\\" not in inner:
            return inner.replace("''", "'")  # YAML single-quoted
        return (
            inner.replace("\\'", "'").replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")
        )
    return value


def _strip_duration(name: str) -> str:
    return DURATION.sub("", name.strip())


def _jest_file(rest: str) -> str:
    return _strip_duration(rest).split(" (", 1)[0].strip()


def _join(*parts: str) -> str:
    return " > ".join(p for p in parts if p)
