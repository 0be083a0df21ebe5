"""Scopes and root election (design.md §4 rules 2-4): the root of each failure, tightest scope first."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from datetime import datetime

from triage.correlate.fingerprint import fingerprint
from triage.correlate.groups import FailureGroup, real_errors
from triage.inputs import testid
from triage.model import DbError, Failure
from triage.observe import APP_LOGS, Observation

SCOPE_CONFIDENCE = {
    "chain": "high",
    "test": "high",
    "id": "high",
    "symptom": "medium",
    "pid": "medium",
    "previous": "medium",
    "window": "low",
}
CORRELATION_IDS = ("reqId", "jobId", "traceId", "session")


class Index:
    """Observations holding database errors, indexed by every scope key (built once)."""

    def __init__(self, observations: list[Observation]) -> None:
        self.with_errors = [o for o in observations if o.errors]
        self.by_test: dict[str, list[Observation]] = {}
        self.by_id: dict[tuple[str, str], list[Observation]] = {}
        self.by_path: dict[str, list[Observation]] = {}
        self.by_pid: dict[str, list[Observation]] = {}
        self.timed: list[tuple[float, Observation]] = []
        for o in self.with_errors:
            ev = o.event
            if ev.test:
                self.by_test.setdefault(testid.key(ev.test), []).append(o)
            for pair in ev.ids:
                if pair[0] in CORRELATION_IDS:
                    self.by_id.setdefault(pair, []).append(o)
            self.by_path.setdefault(ev.path, []).append(o)
            if o.near_pid and ev.fmt in APP_LOGS:
                self.by_pid.setdefault(o.near_pid, []).append(o)
            t = _ts(ev.time)
            if t is not None:
                self.timed.append((t, o))
        for read in self.by_path.values():  # reading order, whatever order they came in
            read.sort(key=lambda o: o.seq)
        self.timed.sort(key=lambda pair: (pair[0], pair[1].seq))
        self.times = [to for to, _ in self.timed]  # for bisecting a time window


def first_real(
    pool: Iterable[Observation],
    exclude: set[int],
    claimed: frozenset[str] | set[str] = frozenset(),
) -> DbError | None:
    """The innermost real error of the first observation in the pool (skipping the failure's own
    copies, and errors of a fingerprint another failure's own chain already holds)."""
    for o in pool:
        if o.seq in exclude:
            continue
        real = real_errors(o.errors)
        if real and (not claimed or fingerprint(real[-1]) not in claimed):
            return real[-1]
    return None


def elect(
    group: FailureGroup, index: Index, window: float, claimed: set[str]
) -> tuple[DbError, str] | None:
    # 1. the failure's own chain: innermost real error of the first copy that has one.
    for ob in group.obs:
        real = real_errors(ob.errors)
        if real:
            return real[-1], "chain"
    first = group.obs[0]
    ev = first.event
    mine = {o.seq for o in group.obs}
    # 2. same test (captured logs, records of the test's other phases)
    if ev.test:
        hit = first_real(index.by_test.get(testid.key(ev.test), []), mine)
        if hit:
            return hit, "test"
    # 3. same request / job / trace id
    for pair in ev.ids:
        if pair[0] in CORRELATION_IDS:
            hit = first_real(index.by_id.get(pair, []), mine)
            if hit:
                return hit, "id"
    # 4. same process: an application's pid (never a server backend's: different pid spaces)
    pid = first.near_pid
    if pid:
        pool = index.by_pid.get(pid, [])  # application logs only (APP_LOGS): never backend pids
        hit = first_real(pool, mine, claimed)
        if hit:
            return hit, "pid"
    # 5. a cascade's root: the previous real error read from the same input (same xdist worker)
    if any(ob.errors for ob in group.obs):
        worker = ev.id_value("worker")
        pool = index.by_path.get(ev.path, [])  # in reading order
        k = bisect_left(pool, first.seq, key=lambda o: o.seq)  # the ones read before it
        before = (pool[i] for i in range(k - 1, -1, -1))  # nearest first, looked at lazily
        hit = first_real((o for o in before if o.event.id_value("worker") == worker), mine)
        if hit:
            return hit, "previous"
    # 6. time window before the failure (a second of slack for clocks of different processes)
    t = _ts(first.near_time)
    if t is not None:
        lo = bisect_left(index.times, t - window)
        hi = bisect_right(index.times, t + 1.0)
        pool = [o for _, o in index.timed[lo:hi]]
        hit = first_real(pool, mine, claimed)
        if hit:
            return hit, "window"
    return None


_STATUS_PREFIX = re.compile(r"^(?:\d{3}:?\s*|(?:\w*Error|Exception):\s*)+")


def link_by_symptom(
    groups: list[FailureGroup], roots: dict[str, DbError], scopes: dict[str, str]
) -> dict[str, Failure]:
    """Rule 2 across processes: a failure that quotes an explained failure's message (a client
    test failing with the service's "Database error saving new user") shares its root.
    Returns, for each failure linked so, the failure it was linked through."""
    known: dict[str, Failure] = {}
    for g in groups:
        f = g.failure
        if f.id in roots and f.kind != "test":
            core = _STATUS_PREFIX.sub(
                "", f.message.strip().splitlines()[0] if f.message.strip() else ""
            )
            if len(core) >= 12:
                known.setdefault(core.lower(), f)
    via: dict[str, Failure] = {}
    for g in groups:
        f = g.failure
        if f.id in roots:
            continue
        text = (f.message or "").lower()
        for core, hop in known.items():
            if core in text:
                roots[f.id], scopes[f.id], via[f.id] = roots[hop.id], "symptom", hop
                break
    return via


def _ts(iso: str | None) -> float | None:
    if not iso:
        return None
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
