"""PostgreSQL server stderr logs: lines of any log_line_prefix grouped into one Event per error.

ERROR/FATAL/PANIC become Events whose ``data`` uses the jsonlog key names (formats.md §3.3), like
the csvlog and jsonlog readers of pgserver_records, which this module re-exports for its callers.
"""

from __future__ import annotations

import re
from typing import Any

from triage.inputs.gate import Quiet, Triggers
from triage.inputs.pgserver_records import (
    ERROR_SEVERITIES,
    STAMP,
    event_from_jsonlog,
    make_event,
    parse_pg_time,
    read_csvlog,
    split_location,
)
from triage.model import Event

# Re-exported: callers read every server log destination through this module.
__all__ = ["StderrParser", "event_from_jsonlog", "parse_pg_time", "read_csvlog", "split_location"]

# Lines that belong to the message opened by the previous primary line of the same backend.
FIELD_KEYS = {
    "DETAIL": "detail",
    "HINT": "hint",
    "CONTEXT": "context",
    "STATEMENT": "statement",
    "QUERY": "internal_query",
    "LOCATION": "location",
}
# Matched where the word before the first ":  " starts; everything before it is the prefix.
LINE = re.compile(
    r"(?P<sev>ERROR|FATAL|PANIC|DETAIL|HINT|CONTEXT|STATEMENT|QUERY|LOCATION|LOG|WARNING|NOTICE|INFO|DEBUG[1-5]?)"
    r":  (?:(?P<code>[0-9A-Z]{5}): )?(?P<text>.*)$"
)
MAX_PREFIX = 240
# A real server prefix has a time or a [pid]; "psql:f.sql:2: ERROR:  " and bare "DETAIL:  " have neither.
PREFIX_OK = re.compile(r"\d\d:\d\d:\d\d|\[\d+(?:-\d+)?\]")
PID = re.compile(r"\[(\d+)(?:-\d+)?\]")
SESSION = re.compile(r"(?<![\w.])([0-9a-f]{8}\.[0-9a-f]{1,8})(?![\w.])")
SQLSTATE_TOKEN = re.compile(r"(?:^|(?<=[\s:\[]))([0-9A-Z]{5})(?=[\s:\]]|$)")
USER_DB = re.compile(r"(?:^|(?<=[\s:\]]))([\w.$-]*)@([\w.$-]*)(?=[\s:]|$)")
REMOTE = re.compile(r"([\w.:-]+|\[local\])\((\d+)\)|(\[local\])")
CURSOR = re.compile(r" at character (\d+)$")
# A message's lines are written together, so a group no line touched for this many server lines
# is complete; the slack covers backends whose lines do interleave (no logging collector).
STALE_LINES = 16
# With no message open, only a line with a severity word before ":  " matters (see gate.py).
IDLE = Quiet(Triggers(needles=(b":  ",)))


class _Group:
    """One ERROR/FATAL/PANIC message being assembled from its lines."""

    __slots__ = ("data", "line", "end", "key", "level")

    def __init__(self, data: dict[str, Any], line: int, level: str) -> None:
        self.data = data
        self.line = line
        self.end = line
        self.key = "message"
        self.level = level


class StderrParser:
    """Line parser for the stderr log format, whatever the log_line_prefix."""

    fmt = "pg-stderr"

    def __init__(self, path: str) -> None:
        self.path = path
        self._open: dict[str, _Group] = {}  # pid (or prefix) -> group still taking lines
        self._ready: list[_Group] = []  # complete, held back so events leave in line order
        self._last: _Group | None = None  # where a TAB continuation line goes
        self._last_server = False  # the previous line was one of ours

    def feed(self, no: int, line: str) -> tuple[bool, list[Event]]:
        if line.startswith("\t"):
            if not self._last_server:
                return False, []
            group = self._last
            if group is not None:
                group.data[group.key] = group.data.get(group.key, "") + "\n" + line[1:]
                group.end = no
            return True, []
        m, start = _severity(line)
        if m is None or not PREFIX_OK.search(line, 0, start):
            self._last_server = False
            return False, self._release(no) if self._open else []
        self._last_server = True
        prefix, sev = line[:start], m.group("sev")
        pid_m = PID.search(prefix)
        key = pid_m.group(1) if pid_m else prefix
        field = FIELD_KEYS.get(sev)
        if field is not None:
            group = self._open.get(key)
            self._last = group
            if group is not None:
                group.key = field
                group.end = no
                text = m.group("text")
                if m.group("code"):
                    text = f"{m.group('code')}: {text}"
                group.data[field] = text
            return True, []
        done = self._open.pop(key, None)
        if done is not None:
            self._ready.append(done)
        level = ERROR_SEVERITIES.get(sev)
        if level is None:
            # No open group now: the DETAIL/STATEMENT lines of this LOG line are claimed, dropped.
            self._last = None
        else:
            self._last = self._open[key] = _Group(_prefix_data(prefix, pid_m, m), no, level)
        return True, self._release(no) if self._ready or len(self._open) > 1 else []

    def quiet(self) -> Quiet | None:
        if self._open or self._ready or self._last_server:
            return None
        return IDLE

    def close(self) -> list[Event]:
        self._ready.extend(self._open.values())
        self._open.clear()
        self._last = None
        return self._release(0)

    def _release(self, no: int) -> list[Event]:
        """Complete stale groups; hand out complete ones that no open group precedes."""
        for key in [k for k, g in self._open.items() if no - g.end > STALE_LINES]:
            self._ready.append(self._open.pop(key))
        if not self._ready:
            return []
        first_open = min((g.line for g in self._open.values()), default=1 << 62)
        self._ready.sort(key=lambda g: g.line)
        n = 0
        while n < len(self._ready) and self._ready[n].line < first_open:
            n += 1
        out, self._ready = self._ready[:n], self._ready[n:]
        return [self._event(g) for g in out]

    def _event(self, group: _Group) -> Event:
        data = group.data
        location = data.pop("location", None)
        if location:
            split_location(location, data)
        return make_event(self.path, group.line, "pg-stderr", group.level, data, group.end)


def _severity(line: str) -> tuple[re.Match[str] | None, int]:
    """The severity word in front of the first ":  " (string searches first, one anchored match)."""
    colon = line.find(":  ", 0, MAX_PREFIX + 12)
    if colon < 1:
        return None, 0
    start = max(line.rfind(" ", 0, colon), line.rfind(":", 0, colon), line.rfind("]", 0, colon)) + 1
    if start == 0 or colon - start > 9:
        return None, 0
    return LINE.match(line, start), start


def _prefix_data(prefix: str, pid_m: re.Match[str] | None, m: re.Match[str]) -> dict[str, Any]:
    """The jsonlog-shaped start of a message: what the prefix and the primary line tell."""
    data: dict[str, Any] = {}
    stamp = STAMP.search(prefix)
    if stamp:
        data["timestamp"] = stamp.group(0)
    ud = USER_DB.search(prefix)
    if ud:
        if ud.group(1):
            data["user"] = ud.group(1)
        if ud.group(2):
            data["dbname"] = ud.group(2)
    if pid_m:
        data["pid"] = int(pid_m.group(1))
    after = stamp.end() + 1 if stamp else 0  # one separator after the time (RDS "UTC:")
    remote = REMOTE.search(prefix, after)
    if remote:
        data["remote_host"] = remote.group(1) or remote.group(3)
        if remote.group(2):
            data["remote_port"] = int(remote.group(2))
    session = SESSION.search(prefix, after)
    if session:
        data["session_id"] = session.group(1)
    data["error_severity"] = m.group("sev")
    code = m.group("code")
    if code is None:
        # %e in the prefix: the SQLSTATE is a 5-character token with a digit (users are not).
        # The last such token wins: %e sits late in common prefixes, and the [pid] is cut out.
        rest = prefix[stamp.end() :] if stamp else prefix
        rest = PID.sub(" ", rest)
        for tok in SQLSTATE_TOKEN.findall(rest):
            if any(c.isdigit() for c in tok):
                code = tok
    if code:
        data["state_code"] = code
    text = m.group("text")
    cursor = CURSOR.search(text)
    if cursor:
        data["cursor_position"] = int(cursor.group(1))
        text = text[: cursor.start()]
    data["message"] = text
    return data
