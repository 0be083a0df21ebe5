"""pino-pretty text: header + indented properties rebuilt into the pino record, then one Event.

Header variants (formats.md §1.12): ``[time] LEVEL (name/pid): msg``, ``LEVEL [time] (...): msg``
(levelFirst), ``[epoch] LEVEL (pid on host): msg`` (pino-pretty < 9), and singleLine with the
properties as trailing JSON. Property lines are 4-space indented ``key: <json>``; objects span
lines up to a closing ``    }`` and their ``"stack":`` value is printed raw, indented 4 deeper.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import orjson

from triage.inputs.gate import SOME, Boundary, Quiet, Triggers
from triage.inputs.jsonrec import FAST_NEEDLES
from triage.inputs.pino import event_from_record, normalise_time
from triage.model import Event

LEVEL_NUMBER = {"TRACE": 10, "DEBUG": 20, "INFO": 30, "WARN": 40, "ERROR": 50, "FATAL": 60}
_LEVELS = "TRACE|DEBUG|INFO|WARN|ERROR|FATAL|USERLVL"
_WHO = r"(?: \((?P<who>[^)]*)\))?"
HEADER_TIME_FIRST = re.compile(rf"^\[(?P<time>[^\]]+)\] (?P<level>{_LEVELS}){_WHO}: ?(?P<msg>.*)$")
HEADER_LEVEL_FIRST = re.compile(rf"^(?P<level>{_LEVELS}) \[(?P<time>[^\]]+)\]{_WHO}: ?(?P<msg>.*)$")
# Without a time (``-i time``) only a (name/pid) group tells it apart from "ERROR: ..." text.
HEADER_NO_TIME = re.compile(rf"^(?P<level>{_LEVELS}) \((?P<who>[^)]*)\): ?(?P<msg>.*)$")
PROPERTY = re.compile(r"^    (?P<key>[^\s:][^:]*): (?P<value>.*)$")
STACK_KEY = re.compile(r'^(?P<indent>\s*)"stack":$')
# A header starts with "[time]" or a level word (see gate.py).
IDLE = Quiet(Triggers(prefixes=(b"[", *(w.encode() + b" " for w in _LEVELS.split("|")))))
MAX_RECORD_LINES = 2000  # a runaway block is closed rather than buffered without end
# A record at info level or below holding none of these, in any of its lines, is quiet: no Event,
# as the same record written as JSON is passed over unread (jsonrec.FAST_NEEDLES, and the status
# codes as pino-pretty prints them: a top-level property, inside an object, single-line JSON).
QUIET_LEVELS = frozenset((10, 20, 30))
LOUD = (*(n.decode() for n in FAST_NEEDLES), "Code: 5", "status: 5", 'Code": 5', 'status": 5')
# A header at a level above QUIET_LEVELS (USERLVL: a custom level) as printed after its time.
LOUD_HEADERS = tuple(
    b"] " + w.encode() for w in _LEVELS.split("|") if LEVEL_NUMBER.get(w) not in QUIET_LEVELS
)
# Inside a quiet record, feed() only adds to it (a record that stays quiet yields nothing), and a
# header line starts the next one afresh: the gate passes over property lines and whole quiet
# records, and when a line that matters comes (a LOUD word, a header at another level, a line
# that is neither indented nor "[..."), the reader feeds the lines from the last header on.
QUIET_RECORD = Quiet(
    Triggers(
        keep_unless=(b"    ", b"["),
        needles=(*(n.encode() for n in LOUD), *LOUD_HEADERS),
    ),
    claims=SOME,
    rewinds=Boundary(b"[", lambda line: _header(line) is not None),
)


@dataclasses.dataclass
class _Record:
    line: int
    obj: dict[str, Any]
    end: int
    block_key: str | None = None
    block: list[str] = dataclasses.field(default_factory=list)
    lines: int = 1
    loud: bool = True  # not a quiet record (see LOUD)


class PrettyParser:
    """Line parser for pino-pretty output; see stream.LineParser."""

    fmt = "pino-pretty"

    def __init__(self, path: str) -> None:
        self.path = path
        self.record: _Record | None = None

    def feed(self, no: int, line: str) -> tuple[bool, list[Event]]:
        rec = self.record
        if rec is not None and line.startswith("    ") and rec.lines < MAX_RECORD_LINES:
            rec.lines += 1
            rec.end = no
            if not rec.loud and any(n in line for n in LOUD):
                rec.loud = True
            self._property(rec, line)
            return True, []
        done = self._finish()
        head = _header(line) if line[:1] in "[TDIWEFU" else None
        if head is None:
            return False, done
        loud = head["level"] not in QUIET_LEVELS or any(n in line for n in LOUD)
        self.record = _Record(line=no, obj=head, end=no, loud=loud)
        return True, done

    def quiet(self) -> Quiet | None:
        rec = self.record
        if rec is None:
            return IDLE
        return None if rec.loud else QUIET_RECORD

    def close(self) -> list[Event]:
        return self._finish()

    def _property(self, rec: _Record, line: str) -> None:
        if rec.block_key is not None:
            if line == "    }" or line == "    ]":
                rec.block.append(line[4:])
                rec.obj[rec.block_key] = _parse_block(rec.block)
                rec.block_key = None
                rec.block = []
            else:
                rec.block.append(line)
            return
        m = PROPERTY.match(line)
        if m is None:
            return
        key, value = m.group("key"), m.group("value")
        if value in ("{", "["):
            rec.block_key = key
            rec.block = [value]
            return
        rec.obj[key] = _value(value)

    def _finish(self) -> list[Event]:
        rec = self.record
        if rec is None:
            return []
        self.record = None
        if not rec.loud:
            return []  # a quiet record: nothing observe would keep
        if rec.block_key is not None:  # unterminated block: keep what parses
            rec.obj[rec.block_key] = _parse_block(rec.block + ["}" if rec.block[0] == "{" else "]"])
        try:
            ev = event_from_record(rec.obj, self.path, rec.line)
        except Exception:  # never let one odd record stop the input
            return []
        if ev is None:
            return []
        return [dataclasses.replace(ev, fmt=self.fmt, end_line=rec.end)]


def _header(line: str) -> dict[str, Any] | None:
    m = HEADER_TIME_FIRST.match(line) or HEADER_LEVEL_FIRST.match(line)
    if m is None:
        m = HEADER_NO_TIME.match(line)
        if m is None:
            return None
    groups = m.groupdict()
    obj: dict[str, Any] = {}
    level = LEVEL_NUMBER.get(groups["level"])
    obj["level"] = level if level is not None else groups["level"]
    stamp = groups.get("time")
    if stamp:
        time: Any = (
            int(stamp) if stamp.isdigit() else _time(stamp)
        )  # raw epoch kept as pino wrote it
        if time:
            obj["time"] = time
    if groups["who"]:
        _who(groups["who"], obj)
    msg = groups["msg"]
    if msg.endswith("}") and " {" in msg:
        msg = _single_line(msg, obj)
    obj["msg"] = msg
    return obj


def _time(stamp: str) -> str | None:
    """Only a stamp with a date (SYS:standard, ISO) is a real time; HH:MM:ss.l is not."""
    if len(stamp) >= 10 and stamp[4] == "-" and stamp[7] == "-":
        return normalise_time(stamp)
    return None


def _who(who: str, obj: dict[str, Any]) -> None:
    """``name/pid``, ``pid``, ``pid on host`` or ``name/pid on host``."""
    who, _, host = who.partition(" on ")
    if host:
        obj["hostname"] = host
    name, slash, pid = who.rpartition("/")
    if not slash:
        pid = who
    if pid.isdigit():
        obj["pid"] = int(pid)
    elif pid:
        name = who
    if name:
        obj["name"] = name


def _single_line(msg: str, obj: dict[str, Any]) -> str:
    """singleLine mode appends the properties as compact JSON after the message."""
    pos = msg.find(" {")
    while pos >= 0:
        try:
            extra = orjson.loads(msg[pos + 1 :])
        except orjson.JSONDecodeError:
            pos = msg.find(" {", pos + 1)
            continue
        if isinstance(extra, dict):
            obj.update(extra)
            return msg[:pos]
        break
    return msg


def _value(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return text


def _parse_block(lines: list[str]) -> Any:
    """An object block with raw stacks put back into JSON strings; degrade to a dict of what parses."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        m = STACK_KEY.match(line) if line.endswith('"stack":') else None
        if m is None:
            out.append(line)
            i += 1
            continue
        cut = len(m.group("indent")) + 4
        stack: list[str] = []
        i += 1
        while i < len(lines) and len(lines[i]) >= cut and lines[i][:cut].isspace():
            stack.append(lines[i][cut:])
            i += 1
        more = i < len(lines) and not lines[i].lstrip().startswith(("}", "]"))
        encoded = orjson.dumps("\n".join(stack)).decode()
        out.append(f"{line} {encoded}{',' if more else ''}")
    try:
        return orjson.loads("\n".join(out))
    except orjson.JSONDecodeError:
        return _salvage(out)


def _salvage(lines: list[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for line in lines:
        key, sep, value = line.strip().partition(": ")
        if sep and key.startswith('"') and key.endswith('"'):
            parsed = _value(value.rstrip(","))
            found[key[1:-1]] = parsed
    return found
