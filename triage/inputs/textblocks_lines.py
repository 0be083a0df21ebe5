"""One-line error forms in free text: psql and driver messages with their DETAIL/HINT lines,
level words and leading timestamps."""

from __future__ import annotations

import re

from triage.inputs.pgserver import parse_pg_time, split_location
from triage.model import Event, Link
from triage.pgerror import vendors

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
PSQL_MSG = re.compile(
    r"^(?P<sev>ERROR|FATAL|PANIC|WARNING|NOTICE):  (?:(?P<code>[0-9A-Z]{5}): )?(?P<msg>.*)$"
)
PSQL_FIELDS = {
    "DETAIL": "detail", "HINT": "hint", "CONTEXT": "context", "QUERY": "internal_query",
    "LOCATION": "location", "SCHEMA NAME": "schema_name", "TABLE NAME": "table_name",
    "COLUMN NAME": "column_name", "DATATYPE NAME": "datatype_name",
    "CONSTRAINT NAME": "constraint_name",
}  # fmt: skip
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


def line_time(line: str) -> str | None:
    """ISO time of a line that starts with a timestamp; zone-less stamps are taken as UTC (CI)."""
    if not line[:1].isdigit() and not line.startswith("["):
        return None
    m = STAMP.match(line)
    if not m:
        return None
    zone = (m.group(2) or "UTC").strip()
    return parse_pg_time(f"{m.group(1).replace(',', '.')} {zone}")


_LEVEL_HINTS = ("RR", "rr", "ATAL", "atal", "ARN", "arn", "RIT", "rit", "ANIC")


# A level below warning, in a line's head: "INFO", "[debug]", "level=info", Python logging's
# "INFO:name:", Rails' "I, [...]  INFO --". Read only on lines that hold a message template.
QUIET_LEVEL = re.compile(
    r"level=\"?(?P<a>info|debug|trace)\b|\[(?P<b>INFO|Info|info|DEBUG|Debug|debug|TRACE|trace)\]"
    r"|(?:^|(?<=[\s|:\]]))(?P<c>INFO|DEBUG|TRACE)(?=[\s:|\]]|$)"
)
ERROR_WORD = re.compile(r"[Ee]rror|ERROR|[Ff]ail|FAIL|[Ee]xception|[Dd]enied")
# PostgreSQL's severities below WARNING as psql and libpq print a server's notice: not errors
# ("NOTICE:  relation "users" already exists, skipping" is CREATE TABLE IF NOT EXISTS at work;
# a WARNING is read as one, by level_of).
PG_NOTICES = ("NOTICE:  ", "INFO:  ", "LOG:  ", "DEBUG:  ")


def quiet_level(line: str) -> str | None:
    """info / debug / trace when a line's head says so (a level word before its message)."""
    m = QUIET_LEVEL.search(line[:80])
    if not m:
        return None
    return next(g for g in m.groups() if g).lower()


def level_of(line: str) -> str | None:
    """error / fatal / warn when a line carries such a level word near its start; else None."""
    head = line[:120]
    for n in _LEVEL_HINTS:  # a plain loop, no generator: this runs on most text lines
        if n in head:
            break
    else:
        return None
    m = LEVEL_WORD.search(head)
    if not m:
        return None
    word = next(g for g in m.groups() if g)
    return LEVELS.get(word.lower())


# The continuation lines that name themselves (DETAIL, HINT, [SQL: ...): alone, with no message
# before them, a fragment of an error printed elsewhere, not an error of their own.
NAMED_CONTINUATIONS = tuple(c for c in CONTINUATIONS if c != "\t")


def is_continuation(line: str) -> bool:
    if line.startswith(CONTINUATIONS):
        return not line.startswith("LINE ") or bool(re.match(r"LINE \d+: ", line))
    stripped = line.strip()
    return bool(stripped) and stripped.strip("^") == "" and line.startswith(" ")


# Prisma's errors print their message on the lines after the head ("PrismaClientKnownRequestError: ",
# then "Invalid `prisma.user.create()` invocation:", blank lines, what failed): the lines up to
# the one saying what failed, or up to the stack (a node "at" frame, a vitest "❯" frame), are
# the message, at most this many.
PRISMA_MESSAGE_LINES = 40


def prisma_message_ended(line: str, taken: int) -> bool:
    """Whether Prisma's message ended before ``line`` (``taken`` lines of it read): a frame."""
    return taken >= PRISMA_MESSAGE_LINES or line.lstrip().startswith(("❯", "at "))


def prisma_message_ends(line: str) -> bool:
    """Whether ``line`` is the last of Prisma's message: the one saying what failed."""
    return vendors.prisma_code_in(line) is not None


class Message:
    """A one-line head (psql, driver wrapper, template match, level line) plus its continuations."""

    def __init__(self, no: int, line: str, fmt: str, kind: str, level: str | None) -> None:
        self.start = self.end = no
        self.lines = [line]
        self.fmt, self.kind, self.level = fmt, kind, level
        self.java = False
        self.prisma = kind == "head" and line.startswith("Prisma")
        self.open = self.prisma  # Prisma's message goes on after its head line

    def take(self, no: int, line: str) -> bool:
        if self.open:
            if prisma_message_ended(line, len(self.lines)):
                return False
            self.lines.append(line)
            self.end = no
            self.open = not prisma_message_ends(line)  # a stack may still follow
            return True
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
        if self.kind == "head" and not self.prisma:
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
        # A template's words with no level, no exception class and no word of failure (SQL
        # printed, "index already exists, skipping"): no level, so that it counts only as the
        # database error read from it, if any (observe.is_failure).
        level = self.level or ("error" if exc or ERROR_WORD.search(head) else None)
        return [
            Event(
                path,
                self.start,
                "text",
                "error",
                head,
                level=level,
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
