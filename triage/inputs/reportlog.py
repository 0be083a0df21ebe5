"""pytest-reportlog JSON lines (``--report-log``): failed/passed TestReports, collection errors, exit.

formats.md §2.9. ``longrepr.chain`` lists exceptions innermost first; Events carry them outermost
first. A TestReport's captured log records (``sections``) become log Events of its test, so the
correlator finds an error a test logged before failing on an assertion. Every key is optional here: a line of another tool that happens to carry ``$report_type``
must not raise.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from triage.inputs.pytest_parts import read_captured
from triage.inputs.pytest_tb import link_from_text, parse_traceback
from triage.model import Event, Link

FMT = "reportlog"


CAPTURES = ("log", "stdout", "stderr")


def event_from_report(obj: dict[str, Any], path: str, no: int) -> Event | list[Event] | None:
    """The Event of one report line; a TestReport with captured output gives a list (its log
    records first, then the test result)."""
    kind = obj.get("$report_type")
    if kind == "TestReport":
        event = _test_report(obj, path, no)
        sections = obj.get("sections")
        if not sections or not isinstance(sections, list) or "wasxfail" in obj:
            return event
        logs = _captured(obj, sections, path, no)
        if not logs:
            return event
        return [*logs, event] if event is not None else logs
    if kind == "CollectReport" and obj.get("outcome") == "failed":
        chain = _chain(obj.get("longrepr"), no)
        text = _link_text(chain[0]) if chain else "collection failed"
        return Event(
            path,
            no,
            FMT,
            "test",
            text,
            test=_str(obj.get("nodeid")) or None,
            outcome="error",
            phase="collect",
            chain=chain,
            data=obj,
            end_line=no,
        )
    if kind == "SessionFinish":
        status = obj.get("exitstatus")
        return Event(
            path,
            no,
            FMT,
            "exit",
            f"pytest exit status {status}",
            outcome="passed" if status == 0 else "failed",
            data=obj,
            end_line=no,
        )
    return None


def _test_report(obj: dict[str, Any], path: str, no: int) -> Event | None:
    outcome, when = obj.get("outcome"), _str(obj.get("when")) or "call"
    if "wasxfail" in obj:
        return None  # xfail / xpass: expected, not a failure
    if outcome == "passed" and when != "call" or outcome not in ("passed", "failed"):
        return None
    ids: tuple[tuple[str, str], ...] = ()
    worker = obj.get("worker_id")
    if isinstance(worker, str) and worker:
        ids = (("worker", worker),)
    chain: tuple[Link, ...] = ()
    text = "passed"
    if outcome == "failed":
        longrepr = obj.get("longrepr")
        chain = _chain(longrepr, no)
        text = _crash_message(longrepr) or (_link_text(chain[0]) if chain else "failed")
        outcome = "failed" if when == "call" else "error"
    return Event(
        path,
        no,
        FMT,
        "test",
        text,
        time=_iso(obj.get("start")),
        data=obj,
        test=_str(obj.get("nodeid")) or None,
        outcome=outcome,
        phase=when,
        ids=ids,
        chain=chain,
        end_line=no,
    )


def _captured(obj: dict[str, Any], sections: list[Any], path: str, no: int) -> list[Event]:
    """Captured records of this report's own phase: later reports repeat earlier phases'
    sections (the teardown report carries "Captured log call" again)."""
    when = _str(obj.get("when")) or "call"
    test = _str(obj.get("nodeid")) or None
    worker = obj.get("worker_id")
    ids = (("worker", worker),) if isinstance(worker, str) and worker else ()
    events: list[Event] = []
    for item in sections:
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[1], str)):
            continue
        title = item[0]
        if not isinstance(title, str) or not title.startswith("Captured "):
            continue
        capture, _, phase = title[9:].partition(" ")
        if phase != when or capture not in CAPTURES:
            continue
        numbered = [(no, line) for line in item[1].split("\n")]
        for _, _, level, text in read_captured(capture, numbered):
            events.append(
                Event(
                    path,
                    no,
                    FMT,
                    "log",
                    text,
                    level=level,
                    test=test,
                    phase=when,
                    ids=ids,
                    end_line=no,
                )
            )
    return events


def _chain(longrepr: Any, no: int) -> tuple[Link, ...]:
    if isinstance(longrepr, str):
        return parse_traceback([(no, line) for line in longrepr.split("\n")])
    if not isinstance(longrepr, dict):
        return ()
    links: list[Link] = []
    chain = longrepr.get("chain")
    if isinstance(chain, list):
        for item in reversed(chain):
            if isinstance(item, list) and len(item) > 1 and isinstance(item[1], dict):
                native = _native_links(item[0], no)
                message = item[1].get("message")
                if len(native) > 1:
                    links.extend(native)  # an exception group: its sub-exceptions too
                elif isinstance(message, str) and message:
                    links.append(link_from_text(message, no))
    if not links:
        message = _crash_message(longrepr)
        if message:
            links.append(link_from_text(message, no))
    return tuple(links)


def _native_links(reprtraceback: Any, no: int) -> tuple[Link, ...]:
    """Exception groups are rendered natively even in the long style: read their text."""
    if not isinstance(reprtraceback, dict):
        return ()
    text: list[str] = []
    for entry in reprtraceback.get("reprentries") or ():
        if isinstance(entry, dict) and entry.get("type") == "ReprEntryNative":
            lines = (entry.get("data") or {}).get("lines")
            if isinstance(lines, list):
                text.extend(x for x in lines if isinstance(x, str))
    if not text:
        return ()
    return parse_traceback([(no, line) for line in "".join(text).split("\n")])


def _crash_message(longrepr: Any) -> str:
    if isinstance(longrepr, dict):
        crash = longrepr.get("reprcrash")
        if isinstance(crash, dict):
            return _str(crash.get("message"))
    return ""


def _iso(start: Any) -> str | None:
    if not isinstance(start, int | float) or isinstance(start, bool):
        return None
    try:
        stamp = datetime.fromtimestamp(start, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _link_text(link: Link) -> str:
    return f"{link.exc}: {link.message}" if link.exc else link.message
