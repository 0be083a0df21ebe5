"""Scopes and root election (design.md §4 rules 2-4): the root of each failure, tightest scope first."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from triage.correlate.failures import Links
from triage.correlate.groups import FailureGroup, real_errors
from triage.correlate.store import CORRELATION_IDS, ErrorStore, Row
from triage.inputs import testid
from triage.model import DbError, Failure, epoch

SCOPE_CONFIDENCE = {
    "chain": "high",
    "test": "high",
    "id": "high",
    "symptom": "medium",
    "pid": "medium",
    "previous": "medium",
    "window": "low",
}


def first_real(
    store: ErrorStore,
    pool: Iterable[Row],
    exclude: set[int],
    claimed: frozenset[str] | set[str] = frozenset(),
) -> DbError | None:
    """The innermost real error of the first observation in the pool (skipping the failure's own
    copies, and errors of a fingerprint another failure's own chain already holds)."""
    for seq, fp, err in pool:
        if seq not in exclude and fp not in claimed:
            return store.error(err)
    return None


def elect(
    group: FailureGroup, store: ErrorStore, window: float, claimed: set[str]
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
        hit = first_real(store, store.by_test(testid.key(ev.test)), mine)
        if hit:
            return hit, "test"
    # 3. same request / job / trace id
    for name, value in ev.ids:
        if name in CORRELATION_IDS:
            hit = first_real(store, store.by_id(name, value), mine)
            if hit:
                return hit, "id"
    # 4. same process: an application's pid (never a server backend's: different pid spaces)
    pid = first.near_pid
    if pid:
        hit = first_real(
            store, store.by_pid(pid), mine, claimed
        )  # application logs only (APP_LOGS)
        if hit:
            return hit, "pid"
    # 5. a cascade's root: the previous real error read from the same input (same xdist worker)
    if any(ob.errors for ob in group.obs):
        hit = first_real(store, store.before(ev.path, ev.id_value("worker"), first.seq), mine)
        if hit:
            return hit, "previous"
    # 6. time window before the failure (a second of slack for clocks of different processes)
    t = epoch(first.near_time)
    if t is not None:
        hit = first_real(store, store.between(t - window, t + 1.0), mine, claimed)
        if hit:
            return hit, "window"
    return None


_STATUS_PREFIX = re.compile(r"^(?:\d{3}:?\s*|(?:\w*Error|Exception):\s*)+")


def link_by_symptom(failures: Sequence[Failure], links: Links) -> dict[str, Failure]:
    """Rule 2 across processes: a failure that quotes an explained failure's message (a client
    test failing with the service's "Database error saving new user") shares its root.
    Returns, for each failure linked so, the failure it was linked through."""
    known: dict[str, Failure] = {}
    for f in failures:
        if f.kind != "test" and f.id in links:
            core = _STATUS_PREFIX.sub(
                "", f.message.strip().splitlines()[0] if f.message.strip() else ""
            )
            if len(core) >= 12:
                known.setdefault(core.lower(), f)
    via: dict[str, Failure] = {}
    if not known:
        return via
    for f in failures:
        if f.id in links:
            continue
        text = (f.message or "").lower()
        for core, hop in known.items():
            if core in text:
                links.link(f.id, links.root(hop.id) or "", "symptom")
                via[f.id] = hop
                break
    return via
