"""The error block under a failed JS test: its headline, the "Caused by:" chain and the
properties the runner printed (``code: '23503'``), plus the name helpers the runner readers share."""

from __future__ import annotations

import re
from typing import Any

from triage.inputs.textblocks_lines import prisma_message_ended, prisma_message_ends
from triage.model import Link

# "Error: x", "error: x" (node-postgres), "AssertionError [ERR_ASSERTION]: x", "pg.DatabaseError: x"
HEADLINE = re.compile(
    r"^(?P<exc>(?:[A-Za-z_$][\w$]*\.)*[\w$]*(?:Error|Exception)|error)"
    r"(?: \[[A-Z_0-9]+\])?: (?P<msg>.*)$"
)
DURATION = re.compile(r"\s+(?:\(\d+(?:\.\d+)? ?m?s\)|\d+(?:\.\d+)?m?s)$")
PROP = re.compile(r"""(\w+): ('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^,{}\s][^,}]*)""")
PROP_LINE = re.compile(r"^\s+(\w+): (.*?),?$")


def read_error(body: list[tuple[int, str]]) -> tuple[list[Link], dict[str, Any] | None]:
    """vitest / jest / node spec block: headline, "Caused by:"/"Cause:" links, printed properties."""
    chain: list[Link] = []
    props: dict[str, str] = {}
    expect_link = True
    in_props = False
    prisma: list[str] | None = None  # Prisma's message, on the lines after its headline
    for no, raw in body:
        s = raw.strip()
        if prisma is not None:
            ended = prisma_message_ended(raw, len(prisma))
            if not ended:
                prisma.append(raw)
                if not prisma_message_ends(raw):
                    continue
            chain[-1] = Link(chain[-1].exc, "\n".join(prisma), chain[-1].line)
            prisma = None
            if not ended:
                continue
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
            if (chain[-1].exc or "").startswith("Prisma") and not chain[-1].message:
                prisma = [""]
    if prisma:
        chain[-1] = Link(chain[-1].exc, "\n".join(prisma), chain[-1].line)
    data: dict[str, Any] | None = None
    if props:
        if "message" not in props and chain:
            props["message"] = chain[-1].message
        data = {"err": props}
    return chain, data


def tap_error(body: list[tuple[int, str]]) -> tuple[list[Link], dict[str, Any] | None]:
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
    # "PrismaClientKnownRequestError: " is stripped to "...Error:": its message is on the next lines
    m = HEADLINE.match(text) or (HEADLINE.match(text + " ") if text.endswith(":") else None)
    if m is None:
        return Link(None, text, no)
    return Link(m.group("exc"), m.group("msg"), no)


def headline(link: Link) -> str:
    """The link's first line; for a message that starts on the next line (Prisma's: the call,
    its source lines, what failed), its last line, what failed."""
    first, _, rest = link.message.partition("\n")
    if not first.strip() and rest.strip():
        first = rest.strip().rsplit("\n", 1)[-1].strip()
    return f"{link.exc}: {first}" if link.exc else first


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


def strip_duration(name: str) -> str:
    return DURATION.sub("", name.strip())


def jest_file(rest: str) -> str:
    return strip_duration(rest).split(" (", 1)[0].strip()


def join_names(*parts: str) -> str:
    return " > ".join(p for p in parts if p)
