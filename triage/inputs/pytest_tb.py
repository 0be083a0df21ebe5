"""Reading a pytest traceback body (any --tb style) into a chain of Links, outermost first.

formats.md §2.3-2.4: blocks are separated by the two chain sentences and printed innermost
first; in each block the exception is the last run of ``E`` lines (long/short/line styles),
or the unindented lines after the last ``File "..."`` frame (native, exception groups).
"""

from __future__ import annotations

import re

from triage.model import Link

SEPARATORS = frozenset(
    {
        "The above exception was the direct cause of the following exception:",
        "During handling of the above exception, another exception occurred:",
    }
)
# `Class: message` or a bare dotted class name; the class may be qualified.
EXC_LINE = re.compile(r"^((?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*)(?:: (.*))?$")
# Crash location after a long entry: "tests/test_orders.py:25: UniqueViolation".
CRASH_LOC = re.compile(r"^\S+:\d+: ([A-Za-z_]\w*)$")
GROUP_START = re.compile(r"^\s*\+ Exception Group Traceback")
GUTTER = re.compile(r"^\s*([|+])(.*)$")
NATIVE_SKIP = ("Traceback (most recent call last)", "Exception Group Traceback")

Lines = list[tuple[int, str]]


def parse_traceback(lines: Lines) -> tuple[Link, ...]:
    """Links of a section body (or JUnit failure text), OUTERMOST FIRST."""
    blocks: list[Lines] = [[]]
    for no, text in lines:
        if text[:1] in "TD" and text.strip() in SEPARATORS:
            blocks.append([])
        else:
            blocks[-1].append((no, text))
    links: list[Link] = []
    for block in reversed(blocks):
        links.extend(_block_links(block))
    return tuple(links)


def split_exception(first: str) -> tuple[str | None, str]:
    """``Class: message`` -> (Class, message); a line that names no class -> (None, line)."""
    m = EXC_LINE.match(first)
    if m is None:
        return None, first
    name, msg = m.group(1), m.group(2)
    if msg is None:
        # A bare word is a class only when it looks like one (KeyboardInterrupt, not "assert").
        last = name.rsplit(".", 1)[-1]
        return (name, "") if last[:1].isupper() else (None, first)
    return name, msg


def link_from_text(text: str, line: int, fallback_exc: str | None = None) -> Link:
    """A Link from ``Class: message`` text as pytest/JUnit/reportlog print it."""
    first, _, rest = text.partition("\n")
    exc, msg = split_exception(first)
    if exc is None:
        exc, msg = fallback_exc, first
    return Link(exc, msg + ("\n" + rest if rest else ""), line)


def _block_links(block: Lines) -> list[Link]:
    for i, (_, text) in enumerate(block):
        if "+" in text[:40] and GROUP_START.match(text):
            return _group_links(block, i)
    link = _e_link(block)
    if link is None:
        link = _native_link(block)
    return [link] if link is not None else []


def _is_e(text: str) -> bool:
    return text[:1] == "E" and (len(text) == 1 or text[1] == " ")


def _e_link(block: Lines) -> Link | None:
    """The last run of E lines, plus the 4-space continuation lines of --tb=line (pytest 9)."""
    end = -1
    for i in range(len(block) - 1, -1, -1):
        if _is_e(block[i][1]):
            end = i
            break
    if end < 0:
        return None
    start = end
    while start > 0 and _is_e(block[start - 1][1]):
        start -= 1
    first = block[start][1]
    width = 1 + (len(first) - 1 - len(first[1:].lstrip(" ")))
    msg = [block[i][1][width:] for i in range(start, end + 1)]
    j = end + 1
    while j < len(block) and block[j][1].startswith("    "):
        msg.append(block[j][1][4:])
        j += 1
    short = None
    for _, text in block[j : j + 3]:
        m = CRASH_LOC.match(text)
        if m:
            short = m.group(1)
            break
    return link_from_text(_trim("\n".join(msg)), block[start][0], short)


def _native_link(block: Lines) -> Link | None:
    """Python's own format: the unindented lines after the last frame, up to the block end."""
    last_frame = -1
    for i, (_, text) in enumerate(block):
        if text.startswith('  File "'):
            last_frame = i
    for i in range(last_frame + 1, len(block)):
        text = block[i][1]
        if text and not text[0].isspace() and not text.startswith(NATIVE_SKIP):
            body = "\n".join(t for _, t in block[i:])
            return link_from_text(_trim(body), block[i][0])
    return None


def _group_links(block: Lines, start: int) -> list[Link]:
    """An exception group: the group's own exception, then each sub-exception in order."""
    subs: list[Lines] = [[]]
    for no, text in block[start + 1 :]:
        m = GUTTER.match(text)
        if m is None:
            if subs[-1]:
                subs[-1].append((no, text))  # a bare message line: asyncpg's DETAIL in a group
            continue
        if m.group(1) == "+":
            subs.append([])
            continue
        content = m.group(2)
        subs[-1].append((no, content[1:] if content.startswith(" ") else content))
    links: list[Link] = []
    head = _native_link(subs[0])
    if head is not None:
        links.append(head)
    for sub in subs[1:]:
        if sub:
            links.extend(parse_traceback(sub))
    return links


def _trim(text: str) -> str:
    return text.rstrip("\n ").rstrip()
