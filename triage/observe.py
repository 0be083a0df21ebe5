"""Turning the event stream into the few Observations correlation needs, and Failures from them.

Most input lines are noise; an Event is kept only when it holds a database error, is a failure a
person would see (failed test, error log, HTTP 5xx, traceback), or is a warning / retry notice that
the claim check and the recovered-noise rule need. Given an ErrorStore, the observations holding
errors go to it (a file, past a few thousand) and only the rest stay here (``held``): failures,
retries and success notices. Memory then grows with the failures a report lists, not with the
errors read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from triage.inputs import testid
from triage.model import LEVEL_RANK, DbError, Event, Failure, Link, Location
from triage.pgerror import Shared, extract, is_cascade

if TYPE_CHECKING:
    from triage.correlate.spool import FailureSpool
    from triage.correlate.store import ErrorStore

RETRY = re.compile(r"retry|retrying|attempt\s*#?\d+|will try again|backing off", re.I)
SUCCESS = re.compile(r"succeed|success|recovered|connected|\bok\b|completed", re.I)
WARN = LEVEL_RANK["warn"]
ERROR = LEVEL_RANK["error"]
LOOKAHEAD = 200  # observations after a retried warning searched for its success notice
# Formats whose pid is an application process's (a server log's pid is a backend's: another space).
APP_LOGS = frozenset({"pino", "pino-pretty", "json", "node-inspect"})


@dataclass(frozen=True, slots=True)
class Observation:
    seq: int
    event: Event
    errors: tuple[DbError, ...]  # outermost first, innermost last
    wrapper: str | None
    http_status: int | None
    # Context a record without its own borrows from the input it was read from: the last time
    # stamped before it, and the process when only one wrote JSON logs into that input so far
    # (a test runner's text interleaved with the pino lines of the code under test).
    near_time: str | None = None
    near_pid: str | None = None
    at: int = 0  # its place among all the observations kept (in memory or in a store)

    @property
    def rank(self) -> int:
        return LEVEL_RANK.get(self.event.level or "", -1)


@dataclass(frozen=True, slots=True)
class Passed:
    """A test that passed: kept (name and place only) because it can contradict a claim."""

    path: str
    line: int
    test: str


def is_report_file(path: str) -> bool:
    """A JUnit or reportlog file: a copy of what the run's terminal text says more readably."""
    return path.endswith((".xml", ".jsonl"))


def observe(
    events: Iterable[Event],
    passed: list[Passed] | None = None,
    store: ErrorStore | None = None,
    fold: bool = True,
    spool: FailureSpool | None = None,
) -> list[Observation]:
    """Keep the events that matter for correlation, with their extracted database errors.

    Passing tests are appended to ``passed`` when a list is given (the claim check reads them).
    With a ``store``, the observations holding errors are added to it (but recovered warnings)
    and only those ``held`` are returned, a failing test's later copies made small (``Copies``;
    ``fold=False``: held whole, as the tests compare); without one, every observation is.
    With a ``spool`` too (and the store), the failures held go to it instead (correlation reads their groups
    from it), but one that recovered_warnings may read as a success notice (soon after a
    retried warning), which is returned too.
    """
    kept: list[Observation] = []
    copies = Copies() if store is not None and fold else None
    at = 0
    warned = -LOOKAHEAD  # ``at`` of the last retried warning
    shared = Shared()
    passed_seen: set[tuple[str, bool]] = set()
    last_time: dict[str, str] = {}
    pids: dict[str, set[str]] = {}
    for seq, ev in enumerate(events):
        if ev.time:
            last_time[ev.path] = ev.time
        pid = ev.id_value("pid")
        if pid and ev.fmt in APP_LOGS:
            pids.setdefault(ev.path, set()).add(pid)
        if ev.kind == "test" and ev.outcome not in ("failed", "error"):
            if passed is not None and ev.outcome == "passed" and ev.test:
                # once per test and kind of copy (the claim check cites the readable one): a
                # log of many runs passes the same tests again and again
                key = (ev.test, is_report_file(ev.path))
                if key not in passed_seen:
                    passed_seen.add(key)
                    passed.append(Passed(ev.path, ev.line, ev.test))
            continue
        if ev.kind == "exit":
            continue
        x = extract(ev, shared)
        rank = LEVEL_RANK.get(ev.level or "", -1)
        # A warning with none of these is nothing correlation reads (a retried one matches
        # RETRY): kept, a -rA report's captured warnings would hold a record per test.
        interesting = (
            x.errors
            or ev.kind == "test"
            or (ev.kind == "error" and ev.level is not None)
            or rank >= ERROR
            or (x.http_status or 0) >= 500
            or x.wrapper is not None
            or (ev.text and RETRY.search(ev.text) is not None)
        )
        if interesting:
            seen = pids.get(ev.path, set())
            near_pid = shared(pid) or (next(iter(seen)) if len(seen) == 1 else None)
            ob = Observation(
                seq,
                ev,
                x.errors,
                x.wrapper,
                x.http_status,
                ev.time or last_time.get(ev.path),
                near_pid,
                at,
            )
            at += 1
            if store is not None:
                warning = is_recovered_warning(ob)
                if ob.errors and not warning:
                    store.add(ob)
                if not held(ob):
                    continue  # the store has what correlation reads of it
                if warning:
                    warned = ob.at
                small = copies.fold(ob) if copies is not None else None
                if spool is not None and not warning and is_failure(ob):
                    notice = ob.at < warned + LOOKAHEAD and is_success_notice(ob)
                    if small is None or notice:
                        whole = replace(ob, event=_slim(ev, (x.http_status or 0) >= 500, shared))
                        if notice:
                            kept.append(whole)
                        if small is None:
                            small = whole
                    spool.add(small)
                    continue
                if small is not None:
                    kept.append(small)
                    continue
            kept.append(replace(ob, event=_slim(ev, (x.http_status or 0) >= 500, shared)))
    return kept


def _slim(ev: Event, keep_data: bool, shared: Shared) -> Event:
    """The event as held. Its parsed record was read into its extraction; only an HTTP failure
    names its request from it later (kept, thousands of server-log records would hold hundreds
    of MB). And a log of errors, or a suite failing test after test on one error, repeats its
    texts, ids and exception messages: the events held share them."""
    chain = tuple(Link(shared(link.exc), shared(link.message), link.line) for link in ev.chain)
    data = ev.data if keep_data else None
    return replace(ev, data=data, text=shared(ev.text), ids=shared(ev.ids), chain=chain)


class Copies:
    """A failing test read again (a log of several runs, one after another; its JUnit or
    reportlog twin) is one Failure, whose copies correlation reads (groups.failure_groups). Of
    a copy that cannot be the one its Failure is made from (an earlier copy is as readable:
    ``copy_rank``), it reads only its place (seq, at), kind, format and test, and its errors'
    fingerprints and cascades (scopes.elect, correlate's claimed set and cascade count) — but
    the first such copy with a real error of its own keeps its errors, as its error may be the
    failure's root (rule 1). So a later copy is held as a small Observation: an Event shared by
    the copies of one test, without text (one that recovered_warnings may read as a success
    notice, soon after a retried warning, is held whole), and each error replaced by the first
    error of its fingerprint and kind. A log of 50 runs of a suite whose 2,000 tests all fail
    then holds 2,000 failures whole, not 100,000 (a later copy: about 100 bytes, not 2.4 KB).
    ``fold`` is given every observation held, in order."""

    def __init__(self) -> None:
        self.best: dict[tuple[str, ...], tuple[bool, int]] = {}  # key -> best copy_rank so far
        self.exact: set[tuple[str, ...]] = set()  # keys whose first copy with an error is held
        self.events: dict[tuple[str | None, ...], Event] = {}
        self.errors: dict[tuple[str, bool], DbError] = {}
        self.tuples: dict[tuple[int, ...], tuple[DbError, ...]] = {}
        self.warned = -LOOKAHEAD  # ``at`` of the last retried warning

    def fold(self, ob: Observation) -> Observation | None:
        """``ob`` made small, or None: it is held whole (a failure's first or more readable
        copy, one recovered_warnings may read as a success notice, or not a failing test)."""
        if is_recovered_warning(ob):
            self.warned = ob.at
            return None
        if not is_failure(ob):
            return None
        key = failure_key(ob)
        if key[0] != "test":
            return None  # an error record's key is its line: never read twice
        rank = copy_rank(ob)
        best = self.best.get(key)
        if best is None or rank < best:
            self.best[key] = rank
            return None
        if ob.at < self.warned + LOOKAHEAD and is_success_notice(ob):
            return None  # (recovered_warnings reads a notice only so soon after a warning)
        errors = ob.errors
        if key not in self.exact and any(not is_cascade(e) for e in errors):
            self.exact.add(key)
        else:
            errors = self._canonical(errors)
        ev = ob.event
        shape = (ev.path, ev.fmt, ev.kind, ev.level, ev.test, ev.outcome, ev.phase)
        event = self.events.get(shape)
        if event is None:
            event = self.events[shape] = Event(
                ev.path, 0, ev.fmt, ev.kind, "", ev.level, None, None, ev.test, ev.outcome, ev.phase
            )
        return Observation(ob.seq, event, errors, ob.wrapper, ob.http_status, at=ob.at)

    def _canonical(self, errors: tuple[DbError, ...]) -> tuple[DbError, ...]:
        from triage.correlate.fingerprint import fingerprint  # correlate imports this module

        same = tuple(self.errors.setdefault((fingerprint(e), is_cascade(e)), e) for e in errors)
        return self.tuples.setdefault(tuple(id(e) for e in same), same)


# Which copy of a failure seen in several inputs a person should be pointed at.
READABLE = {
    "pytest-text": 0,
    "vitest-text": 0,
    "jest-text": 0,
    "node-test-text": 0,
    "reportlog": 1,
    "junit": 2,
}


def copy_rank(ob: Observation) -> tuple[bool, int]:
    """Of a failure's copies, the lowest rank (then the first read) is the one it is made from."""
    return ob.event.kind != "test", READABLE.get(ob.event.fmt, 1)


def held(ob: Observation) -> bool:
    """Whether correlation reads the observation from memory, not only from the ErrorStore: a
    failure, a retried warning or a success notice (rule 6 reads those), or one with no error."""
    return not ob.errors or is_failure(ob) or is_recovered_warning(ob) or is_success_notice(ob)


def is_recovered_warning(ob: Observation) -> bool:
    return ob.rank == WARN and ob.event.kind != "test" and bool(RETRY.search(ob.event.text or ""))


def is_success_notice(ob: Observation) -> bool:
    return ob.rank < WARN and bool(SUCCESS.search(ob.event.text or ""))


def is_failure(ob: Observation) -> bool:
    """Design §3: a failed test, an error record without a DbError of its own, a wrapper, an HTTP 5xx."""
    ev = ob.event
    if ev.kind == "test":
        return ev.outcome in ("failed", "error")
    if (ob.http_status or 0) >= 500:
        return True
    if ob.wrapper is not None:
        return ob.rank >= ERROR or ev.kind == "error" or ob.rank < 0
    if ob.errors:
        return False
    if ev.kind == "error":
        return ev.level is not None  # none: a message's words only (textblocks_lines.Message)
    return ob.rank >= ERROR


def failure_kind(ob: Observation) -> str:
    if ob.event.kind == "test":
        return "test"
    if (ob.http_status or 0) >= 500:
        return "http"
    return "log"


def failure_key(ob: Observation) -> tuple[str, ...]:
    """The same failing test read from terminal text, JUnit and reportlog is one Failure."""
    ev = ob.event
    if ev.kind == "test" and ev.test:
        phase = "call" if ev.phase in (None, "call") else ev.phase
        return ("test", testid.key(ev.test), phase)
    return ("event", ev.path, str(ev.line))


def make_failure(fid: str, ob: Observation) -> Failure:
    ev = ob.event
    message = ev.text or (ob.wrapper or "")
    if ob.wrapper and ev.kind != "test" and ob.wrapper not in message:
        message = f"{message} ({ob.wrapper})" if message else ob.wrapper
    if failure_kind(ob) == "http" and str(ob.http_status) not in message:
        # "request completed" says nothing: name the status and the request
        message = f"HTTP {ob.http_status} {_request(ev.data)}: {message}".replace("  ", " ")
    return Failure(
        id=fid,
        kind=failure_kind(ob),
        message=message.strip()[:2000],
        location=Location(ev.path, ev.line),
        test=ev.test,
        phase=ev.phase,
        time=ev.time,
        level=ev.level,
        wrapper=ob.wrapper or (ev.chain[0].exc if ev.chain else None),
        ids=ev.ids,
    )


def _request(data: object) -> str:
    """'POST /users' from a request logger's record (pino-http req.method/url, route, method/url)."""
    if not isinstance(data, dict):
        return ""
    raw_req = data.get("req")
    req: dict[str, object] = raw_req if isinstance(raw_req, dict) else {}
    method = req.get("method") or data.get("method") or ""
    url = req.get("url") or data.get("url") or data.get("path") or ""
    route = data.get("route") or ""
    if isinstance(route, str) and route and not url:
        return route
    return f"{method} {url}".strip() if isinstance(method, str) and isinstance(url, str) else ""
