"""The last-resort text parser: Python tracebacks, node inspect dumps, psql output, one-line
driver errors (pgx, lib/pq, JDBC, Rails, SQLite) and plain error/warning log lines.

It only sees lines no earlier parser claimed. Detection is a few ``in`` / ``startswith`` tests
per line; regexes run only on the lines that pass them.
"""

from __future__ import annotations

import re

from triage.inputs.gate import SOME, Quiet, Triggers
from triage.inputs.textblocks_lines import (
    NAMED_CONTINUATIONS,
    PG_NOTICES,
    Message,
    level_of,
    line_time,
    quiet_level,
)
from triage.inputs.textblocks_node import NodeDump, is_node_head, js_value
from triage.inputs.textblocks_python import (
    GROUP_TRACEBACK,
    TRACEBACK,
    GroupTraceback,
    PythonTraceback,
)
from triage.model import Event

__all__ = ["TextBlockParser", "js_value", "level_of", "line_time"]

# PostgreSQL / SQLite message templates and driver wrappers (formats.md §3.2, §3.16, §4).
TEMPLATES = (
    "violates unique constraint", "violates foreign key constraint", "violates not-null constraint",
    "violates check constraint", "violates exclusion constraint", "violates row-level security",
    "current transaction is aborted", "deadlock detected", "does not exist", "ON CONFLICT",
    "constraint failed", "(SQLSTATE ", "pq: ", "PSQLException", "PG::", "could not serialize access",
    "canceling statement due to", "invalid input syntax for type", "invalid input value for enum",
    "value too long for type", "out of range", "password authentication failed",
    "no such table", "no such column", "has no column named", "database is locked",
    "syntax error at or near", "permission denied for", "too many clients already",
    "terminating connection due to", "server closed the connection unexpectedly",
    "already exists", "division by zero", "no partition of relation", "PostgrestException(",
)  # fmt: skip


def _middle_word(template: str) -> str | None:
    words = template.split(" ")[1:-1]
    best = max(words, key=len, default="")
    return best if len(best) >= 4 else None


# Cheaper than 35 substring tests per line: a template of three or more words holds its middle
# word as a whole whitespace-separated word of any line that contains it, so one set test on
# line.split() rules most of them out; the rest (short or odd templates) are tested directly.
_TEMPLATE_WORDS = frozenset(w for t in TEMPLATES if (w := _middle_word(t)))
_TEMPLATE_PLAIN = tuple(t for t in TEMPLATES if _middle_word(t) is None)


def has_template(line: str) -> bool:
    """Same answer as any(t in line for t in TEMPLATES)."""
    for t in _TEMPLATE_PLAIN:
        if t in line:
            return True
    if _TEMPLATE_WORDS.isdisjoint(line.split()):
        return False
    return any(t in line for t in TEMPLATES)


# Byte strings of which every template holds one (a test checks it; "syntax error" is found by
# the folded "err" below): far fewer passes over the bytes than one per template.
TEMPLATE_NEEDLES = (
    b"violates ", b"transaction is aborted", b"deadlock detected", b"does not exist",
    b"ON CONFLICT", b"constraint failed", b"(SQLSTATE ", b"pq: ", b"Exception", b"PG::",
    b"could not serialize", b" due to", b"invalid input ", b"too long for type", b"out of range",
    b"authentication failed", b"no such ", b"has no column named", b"database is locked",
    b"permission denied", b"too many clients", b"server closed the connection",
    b"already exists", b"division by zero", b"no partition of",
)  # fmt: skip
# What _start acts on (see gate.py): a traceback, a template, an "...Error:"/"...Exception:"
# head, a level word (level_of's LEVELS, in any case). psql lines that matter say ERROR, FATAL,
# PANIC or "error"; the others are claimed, unchanged.
IDLE = Quiet(
    Triggers(
        needles=(b"Traceback (most recent call last):", *TEMPLATE_NEEDLES),
        folded=(b"err", b"fatal", b"crit", b"panic", b"emerg", b"alert", b"warn"),
    ),
    claims=SOME,
    apart=True,
)
_FRAMES: dict[int, Quiet] = {}  # a traceback's frame lines, by the traceback's indent


def _frames(indent: int) -> Quiet:
    """Inside a traceback's frames, a line indented one more than the traceback is taken."""
    q = _FRAMES.get(indent)
    if q is None:
        q = _FRAMES[indent] = Quiet(
            Triggers(keep_unless=(b" " * (indent + 1),)), tracks=True, apart=True
        )
    return q


PSQL = re.compile(r"^psql:(?:[^:]*:\d+: |\s)")
MAX_BLOCK_LINES = 2000  # a runaway block (no end in sight) is cut here


class TextBlockParser:
    """Line parser for free-text error blocks; ``fmt`` of each Event says which form it was."""

    fmt = "text"

    def __init__(self, path: str) -> None:
        self.path = path
        self._block: PythonTraceback | GroupTraceback | Message | NodeDump | None = None

    def feed(self, no: int, line: str) -> tuple[bool, list[Event]]:
        events: list[Event] = []
        block = self._block
        if block is not None:
            if (
                isinstance(block, Message)
                and line.startswith("    at ")
                and is_node_head(block.lines[0])
            ):
                self._block = NodeDump(block.start, *block.lines[: None if block.prisma else 1])
                self._block.take(no, line)
                return True, []
            if no - block.start < MAX_BLOCK_LINES and block.take(no, line):
                if isinstance(block, NodeDump) and block.done:
                    self._block = None
                    return True, block.events(self.path)
                return True, []
            events = block.events(self.path)
            self._block = None
        return self._start(no, line, events)

    def quiet(self) -> Quiet | None:
        block = self._block
        if block is None:
            return IDLE
        if isinstance(block, PythonTraceback) and block.state == "frames":
            return _frames(block.indent)
        return None

    def skipped(self, no: int) -> None:
        """Lines up to ``no`` were frame lines of the open traceback (quiet() said so)."""
        assert self._block is not None
        self._block.end = no

    def skip_limit(self) -> int:
        """The first line the open block must be fed: there a runaway block is cut."""
        assert self._block is not None
        return self._block.start + MAX_BLOCK_LINES

    def close(self) -> list[Event]:
        block, self._block = self._block, None
        return block.events(self.path) if block is not None else []

    def _start(self, no: int, line: str, events: list[Event]) -> tuple[bool, list[Event]]:
        if not line or line.isspace():
            return False, events
        if TRACEBACK in line:
            stripped = line.lstrip()
            if stripped == TRACEBACK:
                self._block = PythonTraceback(no, len(line) - len(stripped))
                return True, events
            if stripped == GROUP_TRACEBACK:
                self._block = GroupTraceback(no, line)
                return True, events
        if line.startswith(("psql:", "ERROR:  ", "FATAL:  ")):
            if line.startswith("psql:") and not PSQL.match(line):
                return False, events
            if (
                "ERROR:  " in line
                or "FATAL:  " in line
                or "PANIC:  " in line
                or line.startswith("psql: error: ")
            ):
                kind = "psql-conn" if line.startswith("psql: error: ") else "error"
                self._block = Message(no, line, "psql", kind, None)
            return True, events  # psql NOTICE/WARNING lines: recognised, nothing to report
        level = level_of(line)
        if has_template(line):
            if level is None:
                if line.startswith(NAMED_CONTINUATIONS):
                    return False, events  # DETAIL, HINT, [SQL: ... alone: a fragment
                if line.startswith(PG_NOTICES):
                    return True, events  # a server's notice, as psql's above: not an error
                quiet = quiet_level(line)
                if quiet is not None:  # SQL echoed at INFO, a migration tool's progress
                    self._block = Message(no, line, "text", "log", quiet)
                    return True, events
            self._block = Message(no, line, "text", "error", level)
            return True, events
        if is_node_head(line):
            self._block = Message(no, line, "text", "log" if level else "head", level or "error")
            return True, events
        if level is not None:
            self._block = Message(no, line, "text", "log", level)
            return True, events
        return False, events
