"""Python tracebacks in free text, with their chained exceptions, as one error Event each.

Exception groups (asyncio ``TaskGroup``, ``ExceptionGroup``) print inside ``| `` gutters; their
Event's chain is the group, then each sub-exception (outermost first within each).
"""

from __future__ import annotations

import re

from triage.inputs.pytest_tb import parse_traceback
from triage.inputs.textblocks_lines import is_continuation
from triage.model import Event, Link

TRACEBACK = "Traceback (most recent call last):"
GROUP_TRACEBACK = "+ Exception Group Traceback (most recent call last):"
CHAIN_SEPARATORS = (
    "The above exception was the direct cause of the following exception:",
    "During handling of the above exception, another exception occurred:",
)
EXC_LINE = re.compile(r"^(?P<exc>[A-Za-z_][\w.]*)(?:: (?P<msg>.*))?$")


class PythonTraceback:
    """A native Python traceback, chained blocks included."""

    def __init__(self, no: int, indent: int) -> None:
        self.start = self.end = no
        self.indent = indent
        self.state = "frames"  # frames | message | gap | sep
        self.links: list[tuple[str | None, list[str], int]] = []  # innermost first
        self.blanks = 0
        self.in_sql = False

    def take(self, no: int, line: str) -> bool:
        body = line[self.indent :] if line[: self.indent].isspace() else line
        if self.state == "frames":
            if body.startswith(" "):
                return self._took(no)
            m = EXC_LINE.match(body)
            if not m or not body:
                return False
            self.links.append((m.group("exc"), [m.group("msg") or ""], no))
            self.state = "message"
            return self._took(no)
        if self.state == "sep":
            if not body.strip():
                return self._took(no)
            if body.strip() == TRACEBACK:
                self.state = "frames"
                return self._took(no)
            return False
        if not body.strip():
            self.state = "gap"
            self.blanks += 1
            return self._took(no)
        if self.state == "gap" and body.strip() in CHAIN_SEPARATORS:
            self.state, self.blanks = "sep", 0
            return self._took(no)
        if self.in_sql or is_continuation(body):
            self.in_sql = (self.in_sql or body.startswith("[SQL: ")) and not body.endswith("]")
            lines = self.links[-1][1]
            lines.extend([""] * self.blanks)
            lines.append(body)
            self.blanks, self.state = 0, "message"
            return self._took(no)
        return False

    def _took(self, no: int) -> bool:
        self.end = no
        return True

    def events(self, path: str) -> list[Event]:
        if not self.links:
            return []
        chain = tuple(
            Link(exc, "\n".join(msg).rstrip("\n"), no) for exc, msg, no in reversed(self.links)
        )
        return traceback_event(path, self.start, self.end, chain)


class GroupTraceback:
    """A native exception-group traceback: every line sits in a ``|``/``+`` gutter, except the
    continuation lines of a multi-line message (asyncpg's ``DETAIL:`` is printed bare)."""

    def __init__(self, no: int, line: str) -> None:
        self.start = self.end = no
        self.lines: list[tuple[int, str]] = [(no, line)]

    def take(self, no: int, line: str) -> bool:
        body = line.lstrip()
        if body[:1] in ("|", "+") or is_continuation(line):
            self.lines.append((no, line))
            self.end = no
            return True
        return False

    def events(self, path: str) -> list[Event]:
        chain = parse_traceback(self.lines)
        return traceback_event(path, self.start, self.end, chain) if chain else []


def traceback_event(path: str, start: int, end: int, chain: tuple[Link, ...]) -> list[Event]:
    """One error Event for a whole chain, read as its outermost ``Class: first line``."""
    outer = chain[0]
    first = outer.message.partition("\n")[0]
    text = f"{outer.exc}: {first}" if outer.exc and first else outer.exc or first
    return [
        Event(
            path, start, "python-traceback", "error", text, level="error", chain=chain, end_line=end
        )
    ]
