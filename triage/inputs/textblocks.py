"""The last-resort text parser: Python tracebacks, node inspect dumps, psql output, one-line
driver errors (pgx, lib/pq, JDBC, Rails, SQLite) and plain error/warning log lines.

It only sees lines no earlier parser claimed. Detection is a few ``in`` / ``startswith`` tests
per line; regexes run only on the lines that pass them.
"""

from __future__ import annotations

import re

from triage.inputs.pgserver import parse_pg_time, split_location
from triage.model import Event, Link

TRACEBACK = "Traceback (most recent call last):"
CHAIN_SEPARATORS = (
    "The above exception was the direct cause of the following exception:",
    "During handling of the above exception, another exception occurred:",
)
# Lines that continue a database message printed by a driver, psql or a logger.
CONTINUATIONS = (
    "DETAIL:  ", "HINT:  ", "CONTEXT:  ", "QUERY:  ", "LOCATION:  ", "STATEMENT:  ", "WHERE:  ",
    "SCHEMA NAME:  ", "TABLE NAME:  ", "COLUMN NAME:  ", "DATATYPE NAME:  ", "CONSTRAINT NAME:  ",
    "LINE ", "  Detail: ", "  Hint: ", "  Where: ", "  Position: ", "  Location: ",
    "  Server SQLState: ", 'SQL statement "', "PL/pgSQL function ", "SQL function ",
    "JSON data, ", "[SQL: ", "[parameters: ", "[SQL parameters hidden", "(Background on this error at: ",
    "\t",
)  # fmt: skip
JAVA_STACK = ("\tat ", "\t... ", "Caused by: ")
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
    "already exists", "division by zero", "no partition of relation",
)  # fmt: skip
PSQL = re.compile(r"^psql:(?:[^:]*:\d+: |\s)")
PSQL_MSG = re.compile(
    r"^(?P<sev>ERROR|FATAL|PANIC|WARNING|NOTICE):  (?:(?P<code>[0-9A-Z]{5}): )?(?P<msg>.*)$"
)
PSQL_FIELDS = {
    "DETAIL": "detail", "HINT": "hint", "CONTEXT": "context", "QUERY": "internal_query",
    "LOCATION": "location", "SCHEMA NAME": "schema_name", "TABLE NAME": "table_name",
    "COLUMN NAME": "column_name", "DATATYPE NAME": "datatype_name",
    "CONSTRAINT NAME": "constraint_name",
}  # fmt: skip
EXC_LINE = re.compile(r"^(?P<exc>[A-Za-z_][\w.]*)(?:: (?P<msg>.*))?$")
WRAPPER_EXC = re.compile(
    r"^(?P<exc>[A-Za-z_][\w$]*(?:(?:\.|::)[A-Za-z_][\w$]*)+|[A-Z]\w*(?:Error|Exception|Violation)): (?P<msg>.*)$"
)
LEVEL_WORD = re.compile(
    r"level=\"?(?P<a>\w+)|\[(?P<b>ERROR|Error|error|FATAL|fatal|WARN|warn|WARNING|warning|CRITICAL|crit)\]"
    r"|(?:^|(?<=[\s|:\]]))(?P<c>ERROR|FATAL|CRITICAL|WARNING|WARN|PANIC)(?=[\s:|\]]|$)"
    r"|^(?P<d>Error|error|Warning|warning|Fatal|fatal)(?: \[[\w-]+\])?: "
)
LEVELS = {
    "error": "error", "err": "error", "fatal": "fatal", "critical": "fatal", "crit": "fatal",
    "panic": "fatal", "emerg": "fatal", "alert": "fatal", "warn": "warn", "warning": "warn",
}  # fmt: skip
STAMP = re.compile(
    r"^\[?(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?)(Z|[+-]\d\d:?\d\d| ?UTC\b)?"
)
MAX_BLOCK_LINES = 2000  # a runaway block (no end in sight) is cut here


def line_time(line: str) -> str | None:
    """ISO time of a line that starts with a timestamp; zone-less stamps are taken as UTC (CI)."""
    if not line[:1].isdigit() and not line.startswith("["):
        return None
    m = STAMP.match(line)
    if not m:
        return None
    zone = (m.group(2) or "UTC").strip()
    return parse_pg_time(f"{m.group(1).replace(',', '.')} {zone}")


def level_of(line: str) -> str | None:
    """error / fatal / warn when a line carries such a level word near its start; else None."""
    head = line[:120]
    if not any(n in head for n in ("RR", "rr", "ATAL", "atal", "ARN", "arn", "RIT", "rit", "ANIC")):
        return None
    m = LEVEL_WORD.search(head)
    if not m:
        return None
    word = next(g for g in m.groups() if g)
    return LEVELS.get(word.lower())


def is_continuation(line: str) -> bool:
    if line.startswith(CONTINUATIONS):
        return not line.startswith("LINE ") or bool(re.match(r"LINE \d+: ", line))
    stripped = line.strip()
    return bool(stripped) and stripped.strip("^") == "" and line.startswith(" ")


NODE_HEAD = re.compile(r"^(?P<type>[A-Za-z_$][\w$]*)(?: \[[\w-]+\])?: (?P<msg>.*)$")
NODE_PROP = re.compile(r"^(?P<ind> +)(?P<key>\[?[\w$]+\]?|'[^']*'): (?P<val>.*?),?$")
JS_ESCAPES = re.compile(r"\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)")
JS_SIMPLE = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


def is_node_head(line: str) -> bool:
    """``error: ...``, ``PostgresError: ...``, ``Error [ERR_X]: ...``: what heads a JS stack."""
    m = NODE_HEAD.match(line)
    return m is not None and m.group("type").endswith(("error", "Error", "Exception"))


def js_value(text: str) -> object:
    """A scalar as util.inspect prints it; undefined -> None, anything unknown kept as text."""
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"`":
        return JS_ESCAPES.sub(_unescape, text[1:-1])
    if text in ("undefined", "null"):
        return None
    if text in ("true", "false"):
        return text == "true"
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    return text


def _unescape(m: re.Match[str]) -> str:
    esc = m.group(1)
    if esc[0] in "ux" and len(esc) > 1:
        return chr(int(esc[1:], 16))
    return JS_SIMPLE.get(esc, esc)


class _NodeDump:
    """console.error(err) / an uncaught error: head, ``    at`` stack, ``{ own: props }`` block."""

    def __init__(self, no: int, head: str) -> None:
        m = NODE_HEAD.match(head)
        assert m is not None
        self.start = self.end = no
        self.err: dict[str, object] = {
            "type": m.group("type"),
            "message": m.group("msg"),
            "stack": head,
        }
        self.links = [Link(m.group("type"), m.group("msg"), no)]
        self.objects: list[dict[str, object] | None] = []  # open { } blocks; None = not an error's
        self.current: dict[str, object] = self.err
        self.done = False

    def take(self, no: int, line: str) -> bool:
        stripped = line.strip()
        if not self.objects:  # the top-level stack
            if not line.startswith("    at "):
                return False
            self.err["stack"] = f"{self.err['stack']}\n{line}"
            if stripped.endswith(" {"):
                self.objects.append(self.err)
            self.end = no
            return True
        self.end = no
        if stripped in ("}", "},", "]", "],"):
            self.objects.pop()
            self.done = not self.objects
            return True
        if stripped.startswith("at ") and stripped.endswith(" {"):
            self.objects.append(self.current)  # a cause's own properties follow its stack
            return True
        m = NODE_PROP.match(line)
        if m is None:
            return True  # a stack line of a cause, an array item: part of the dump
        key, val = m.group("key").strip("'"), m.group("val")
        owner = self.objects[-1]
        if key == "[cause]" and is_node_head(val):
            head = NODE_HEAD.match(val)
            assert head is not None
            cause: dict[str, object] = {"type": head.group("type"), "message": head.group("msg")}
            if owner is not None:
                owner["cause"] = cause
            self.current = cause
            self.links.append(Link(head.group("type"), head.group("msg"), no))
        elif val.endswith(("{", "[")):
            self.objects.append(None)  # nested object: its fields are not the error's
        elif owner is not None and not val.endswith(" +"):
            value = js_value(val)
            if value is not None:
                owner[key] = value
        return True

    def events(self, path: str) -> list[Event]:
        text = f"{self.links[0].exc}: {self.links[0].message}"
        return [
            Event(
                path,
                self.start,
                "node-inspect",
                "error",
                text,
                level="error",
                data={"err": self.err},
                chain=tuple(self.links),
                end_line=self.end,
            )
        ]


class _Python:
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
        outer = chain[0]
        text = (
            f"{outer.exc}: {outer.message.partition(chr(10))[0]}"
            if outer.message
            else f"{outer.exc}"
        )
        return [
            Event(
                path,
                self.start,
                "python-traceback",
                "error",
                text,
                level="error",
                chain=chain,
                end_line=self.end,
            )
        ]


class _Message:
    """A one-line head (psql, driver wrapper, template match, level line) plus its continuations."""

    def __init__(self, no: int, line: str, fmt: str, kind: str, level: str | None) -> None:
        self.start = self.end = no
        self.lines = [line]
        self.fmt, self.kind, self.level = fmt, kind, level
        self.java = False

    def take(self, no: int, line: str) -> bool:
        if self.kind == "psql-conn" and not line.startswith("\t"):
            return False
        if line.startswith(JAVA_STACK):
            self.java = True  # a Java stack: part of the block, not of the message
            self.end = no
            return True
        if not self.java and is_continuation(line):
            self.lines.append(line)
            self.end = no
            return True
        return False

    def events(self, path: str) -> list[Event]:
        head = self.lines[0]
        if self.kind == "head":
            return []  # an "XError: ..." line that no stack followed: nothing we recognise
        time = line_time(head)
        if self.kind == "log":
            return [
                Event(
                    path,
                    self.start,
                    "text",
                    "log",
                    head,
                    level=self.level,
                    time=time,
                    end_line=self.end,
                )
            ]
        if self.fmt == "psql":
            return [self._psql(path, time)]
        m = WRAPPER_EXC.match(head)
        exc, first = (m.group("exc"), m.group("msg")) if m else (None, head)
        message = "\n".join([first, *self.lines[1:]])
        link = Link(exc, message, self.start)
        return [
            Event(
                path,
                self.start,
                "text",
                "error",
                head,
                level=self.level or "error",
                time=time,
                chain=(link,),
                end_line=self.end,
            )
        ]

    def _psql(self, path: str, time: str | None) -> Event:
        head = self.lines[0]
        body = head[head.index(": ", 5) + 2 :] if head.startswith("psql:") else head
        if body.startswith("error: "):  # psql: error: connection to server ... failed: FATAL:  ...
            body = body[len("error: ") :]
        message = "\n".join([body, *self.lines[1:]])
        data: dict[str, object] = {}
        m = PSQL_MSG.match(body)
        text = body
        if m:
            text = m.group("msg")
            data = {"error_severity": m.group("sev"), "message": text}
            if m.group("code"):
                data["state_code"] = m.group("code")
            key = ""
            for extra in self.lines[1:]:
                name, sep, value = extra.partition(":  ")
                if sep and name in PSQL_FIELDS:
                    key = PSQL_FIELDS[name]
                    data[key] = value
                elif key == "context" and not extra.startswith(("LINE ", " ")):
                    data[key] = f"{data[key]}\n{extra}"
        location = data.pop("location", None)
        if isinstance(location, str):
            split_location(location, data)
        level = "fatal" if (m and m.group("sev") != "ERROR") or "FATAL:" in body else "error"
        return Event(
            path,
            self.start,
            "psql",
            "error",
            text,
            level=level,
            time=time,
            data=data or None,
            chain=(Link(None, message, self.start),),
            end_line=self.end,
        )


class TextBlockParser:
    """Line parser for free-text error blocks; ``fmt`` of each Event says which form it was."""

    fmt = "text"

    def __init__(self, path: str) -> None:
        self.path = path
        self._block: _Python | _Message | _NodeDump | None = None

    def feed(self, no: int, line: str) -> tuple[bool, list[Event]]:
        events: list[Event] = []
        block = self._block
        if block is not None:
            if (
                isinstance(block, _Message)
                and line.startswith("    at ")
                and is_node_head(block.lines[0])
            ):
                self._block = _NodeDump(block.start, block.lines[0])
                self._block.take(no, line)
                return True, []
            if no - block.start < MAX_BLOCK_LINES and block.take(no, line):
                if isinstance(block, _NodeDump) and block.done:
                    self._block = None
                    return True, block.events(self.path)
                return True, []
            events = block.events(self.path)
            self._block = None
        return self._start(no, line, events)

    def close(self) -> list[Event]:
        block, self._block = self._block, None
        return block.events(self.path) if block is not None else []

    def _start(self, no: int, line: str, events: list[Event]) -> tuple[bool, list[Event]]:
        if not line or line.isspace():
            return False, events
        if TRACEBACK in line:
            stripped = line.lstrip()
            if stripped == TRACEBACK:
                self._block = _Python(no, len(line) - len(stripped))
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
                self._block = _Message(no, line, "psql", kind, None)
            return True, events  # psql NOTICE/WARNING lines: recognised, nothing to report
        level = level_of(line)
        if any(t in line for t in TEMPLATES):
            self._block = _Message(no, line, "text", "error", level)
            return True, events
        if is_node_head(line):
            self._block = _Message(no, line, "text", "log" if level else "head", level or "error")
            return True, events
        if level is not None:
            self._block = _Message(no, line, "text", "log", level)
            return True, events
        return False, events
