"""pytest live logging (``log_cli``): ``-- live log <phase> --`` blocks and the lines that end them.

Live logging prints its blocks after the node id line of the running test; their records are
emitted at once with that test id, and remembered so the same record in a later ``Captured log``
section is not emitted twice. The line shapes that end a block (rules, progress, the final
line) are the parser's too, so they live here.
"""

from __future__ import annotations

import re

from triage.inputs.pytest_parts import Section, flush_log
from triage.model import Event

FMT = "pytest-text"
MAJOR = re.compile(r"^=+ (.+?) =+$")
FINAL = re.compile(
    r"^(?:no tests ran|\d+ \w+(?:, \d+ \w+(?: \w+)?)*) in [\d.]+s(?: \(\d+:\d\d:\d\d\))?$"
)
PROGRESS = re.compile(
    r"^(?:\S+ )?[.FEsxXR]+ +\[ *\d+%\]$|^(?:\S+::.* )?(?:PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)\b.*\[ *\d+%\]$"
)
LIVE = re.compile(r"^-+ live log (\w+) -+$")
# Live-log phases that belong to the running test (sessionstart/collection/sessionfinish do not).
TEST_PHASES = frozenset({"start", "setup", "call", "teardown", "finish", "logreport"})


def open_live(no: int, when: str, running: str | None) -> Section:
    """The block a ``-- live log <when> --`` title opens; ``running`` is the test it speaks about."""
    test = running if when in TEST_PHASES else None
    return Section(test, when, "LIVE", no, capture="log")


def live_events(path: str, sec: Section, seen: set[tuple[str, str]]) -> list[Event]:
    """The log records of a finished block, each noted in ``seen`` as (test, text)."""
    flush_log(sec)
    test, phase = sec.title, sec.phase
    events = []
    for line, end, level, text in sec.logs:
        if test is not None:
            seen.add((test, text))
        events.append(
            Event(
                path,
                line,
                FMT,
                "log",
                text,
                level=level,
                test=test,
                phase=phase,
                end_line=end,
            )
        )
    return events


def ends_live(line: str) -> bool:
    """A progress line, the next live-log title or test, a major rule: the block is over."""
    first, last = line[:1], line[-1:]
    if last == "]":
        return line.endswith("%]") and PROGRESS.match(line) is not None
    if last == "-":
        return first == "-" and LIVE.match(line) is not None
    if last == " ":
        return "::" in line
    if last == "=":
        return first == "=" and MAJOR.match(line) is not None
    return (last == "s" or last == ")") and " in " in line and FINAL.match(line) is not None
