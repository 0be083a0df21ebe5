"""Root versus symptom (design.md §4): scopes, root election, findings ranked by what they explain.

Rules, in the order the code applies them:
1. cascades (25P02, PendingRollbackError, TransactionManagementError, closed connection) never root;
2. a wrapper's own chain is the tightest scope: its innermost non-cascade DbError is the root;
3. wider scopes, tightest first: same test -> same request/job/trace id -> same pid -> for a
   cascade-only failure the previous real error of the same input -> time window before it;
4. in a scope the first non-cascade DbError is the root; same fingerprint = same finding;
5. a trigger's failing constraint belongs to the trigger's table (kept on the DbError);
6. retried warnings are recovered noise, not failures;
7. failures with no root in any scope are unexplained;
8. findings explaining more failures rank first, then by level, then earliest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime

from triage.inputs import testid
from triage.model import DbError, Evidence, Failure, Finding
from triage.observe import (
    APP_LOGS,
    RETRY,
    SUCCESS,
    WARN,
    Observation,
    failure_key,
    is_failure,
    make_failure,
)
from triage.pgerror import is_cascade

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
SERVER_LOGS = frozenset({"pg-stderr", "pg-csv", "pg-json"})


@dataclass
class _FailureGroup:
    """One Failure and every copy of it read from other inputs (text, JUnit, reportlog)."""

    failure: Failure
    obs: list[Observation] = field(default_factory=list)


@dataclass(frozen=True)
class Recovered:
    """A warning that was retried and later succeeded (or never led to a failure)."""

    path: str
    line: int
    text: str
    resolved_by: tuple[str, int, str] | None  # the success line, when one was seen


@dataclass(frozen=True)
class Correlation:
    findings: tuple[Finding, ...]
    failures: tuple[Failure, ...]
    roots: dict[str, str]  # failure id -> finding id
    scopes: dict[str, str]  # failure id -> scope that linked it
    unexplained: tuple[str, ...]
    recovered: tuple[Recovered, ...]
    cascades: int


def fingerprint(err: DbError) -> str:
    """Values masked, identifiers kept: '23503:job_status_course_id_fkey'."""
    code = err.sqlstate or err.condition or "unknown"
    if err.condition == "connection_failure":
        target = _ADDRESS.search(err.message)
        return f"{code}:connection_failure:{target.group(0) if target else 'server'}"
    if err.constraint:
        ident = err.constraint
    elif err.table and err.column:
        ident = f"{err.table}.{err.column}"
    elif err.table:
        ident = err.table
    else:
        ident = mask(err.message)
    prefix = "sqlite:" if err.engine == "sqlite" else ""
    # deleting a parent and inserting an orphan break the same constraint for opposite reasons
    variant = (
        ":parent-delete" if code == "23503" and err.message.startswith("update or delete") else ""
    )
    return f"{prefix}{code}:{ident}{variant}"


_ADDRESS = re.compile(
    r"(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-f:]+\]|[\w.-]+\.\w+|localhost):\d+|\"[\w.-]+\", port \d+"
)
_NUM = re.compile(r"\b\d+(?:\.\d+)?\b")
_SQUOTE = re.compile(r"'[^']*'")
_DQUOTE_VALUE = re.compile(r':\s*"[^"]*"')  # 22P02 'invalid input syntax for type uuid: "x"'


def mask(message: str) -> str:
    text = message.splitlines()[0] if message else ""
    text = _DQUOTE_VALUE.sub(': "?"', text)
    text = _SQUOTE.sub("'?'", text)
    return _NUM.sub("N", text)[:160]


def correlate(observations: list[Observation], window: float = 5.0) -> Correlation:
    groups = _failure_groups(observations)
    roots: dict[str, DbError] = {}
    scopes: dict[str, str] = {}
    cascade_count = 0
    recovered, recovered_seqs = _recovered(observations)
    index = _Index([o for o in observations if o.seq not in recovered_seqs])
    # An error raised in a failure's own chain is that failure's: loose scopes (same process,
    # time window) must not hand it to an unrelated failure of the same process.
    claimed = {fingerprint(_real(o.errors)[-1]) for g in groups for o in g.obs if _real(o.errors)}
    for group in groups:
        found = _elect(group, index, window, claimed)
        if found:
            roots[group.failure.id], scopes[group.failure.id] = found
        cascade_count += sum(1 for ob in group.obs for e in ob.errors if is_cascade(e))
    via = _link_by_symptom(groups, roots, scopes)

    findings = _findings(observations, groups, roots, scopes, recovered_seqs, via)
    by_fp = {f.fingerprint: f.id for f in findings}
    root_ids = {
        fid: by_fp[fingerprint(err)] for fid, err in roots.items() if fingerprint(err) in by_fp
    }
    failures = tuple(g.failure for g in groups)
    unexplained = tuple(f.id for f in failures if f.id not in root_ids)
    return Correlation(findings, failures, root_ids, scopes, unexplained, recovered, cascade_count)


# Which copy of a failure seen in several inputs a person should be pointed at.
READABLE = {
    "pytest-text": 0,
    "vitest-text": 0,
    "jest-text": 0,
    "node-test-text": 0,
    "reportlog": 1,
    "junit": 2,
}


def _failure_groups(observations: list[Observation]) -> list[_FailureGroup]:
    copies: dict[tuple[str, ...], list[Observation]] = {}
    for ob in observations:
        if not is_failure(ob) or _is_recovered_warning(ob):
            continue
        copies.setdefault(failure_key(ob), []).append(ob)
    # An error record captured inside a failing test (pytest "Captured log call") is part of that
    # test's failure, not a failure of its own.
    for key in [k for k in copies if k[0] == "event"]:
        ev = copies[key][0].event
        owner = ("test", testid.key(ev.test), "call") if ev.test else None
        if owner and owner in copies:
            copies[owner].extend(copies.pop(key))
    groups = []
    for i, obs in enumerate(copies.values(), start=1):
        best = min(obs, key=lambda o: (o.event.kind != "test", READABLE.get(o.event.fmt, 1), o.seq))
        ordered = [best] + [o for o in obs if o is not best]
        groups.append(_FailureGroup(make_failure(f"S{i}", best), ordered))
    return groups


def _is_recovered_warning(ob: Observation) -> bool:
    return ob.rank == WARN and ob.event.kind != "test" and bool(RETRY.search(ob.event.text or ""))


def _real(errors: tuple[DbError, ...]) -> list[DbError]:
    return [e for e in errors if not is_cascade(e)]


class _Index:
    """Observations holding database errors, indexed by every scope key (built once)."""

    def __init__(self, observations: list[Observation]) -> None:
        from triage.inputs import testid

        self.with_errors = [o for o in observations if _real(o.errors) or o.errors]
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
        self.timed.sort(key=lambda pair: (pair[0], pair[1].seq))


def _first_real(
    pool: list[Observation], exclude: set[int], claimed: frozenset[str] | set[str] = frozenset()
) -> DbError | None:
    """The innermost real error of the first observation in the pool (skipping the failure's own
    copies, and errors of a fingerprint another failure's own chain already holds)."""
    for o in pool:
        if o.seq in exclude:
            continue
        real = _real(o.errors)
        if real and (not claimed or fingerprint(real[-1]) not in claimed):
            return real[-1]
    return None


def _elect(
    group: _FailureGroup, index: _Index, window: float, claimed: set[str]
) -> tuple[DbError, str] | None:
    # 1. the failure's own chain: innermost real error of the first copy that has one.
    for ob in group.obs:
        real = _real(ob.errors)
        if real:
            return real[-1], "chain"
    first = group.obs[0]
    ev = first.event
    mine = {o.seq for o in group.obs}
    # 2. same test (captured logs, records of the test's other phases)
    if ev.test:
        from triage.inputs import testid

        hit = _first_real(index.by_test.get(testid.key(ev.test), []), mine)
        if hit:
            return hit, "test"
    # 3. same request / job / trace id
    for pair in ev.ids:
        if pair[0] in CORRELATION_IDS:
            hit = _first_real(index.by_id.get(pair, []), mine)
            if hit:
                return hit, "id"
    # 4. same process: an application's pid (never a server backend's: different pid spaces)
    pid = first.near_pid
    if pid:
        pool = [o for o in index.by_pid.get(pid, []) if o.event.fmt not in SERVER_LOGS]
        hit = _first_real(pool, mine, claimed)
        if hit:
            return hit, "pid"
    # 5. a cascade's root: the previous real error read from the same input (same xdist worker)
    if any(ob.errors for ob in group.obs):
        worker = ev.id_value("worker")
        before = [
            o
            for o in index.by_path.get(ev.path, [])
            if o.seq < first.seq and o.event.id_value("worker") == worker
        ]
        hit = _first_real(list(reversed(before)), mine)
        if hit:
            return hit, "previous"
    # 6. time window before the failure (a second of slack for clocks of different processes)
    t = _ts(first.near_time)
    if t is not None:
        pool = [o for to, o in index.timed if t - window <= to <= t + 1.0]
        hit = _first_real(pool, mine, claimed)
        if hit:
            return hit, "window"
    return None


_STATUS_PREFIX = re.compile(r"^(?:\d{3}:?\s*|(?:\w*Error|Exception):\s*)+")


def _link_by_symptom(
    groups: list[_FailureGroup], roots: dict[str, DbError], scopes: dict[str, str]
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


def _recovered(observations: list[Observation]) -> tuple[tuple[Recovered, ...], set[int]]:
    out: list[Recovered] = []
    seqs: set[int] = set()
    for i, ob in enumerate(observations):
        if not _is_recovered_warning(ob):
            continue
        seqs.add(ob.seq)
        resolved = None
        stem = _stem(ob.event.text)
        for later in observations[i + 1 : i + 200]:
            text = later.event.text or ""
            if later.rank < WARN and SUCCESS.search(text) and (not stem or stem in _stem(text)):
                resolved = (later.event.path, later.event.line, text)
                break
        out.append(Recovered(ob.event.path, ob.event.line, ob.event.text, resolved))
    return tuple(out), seqs


def _stem(text: str) -> str:
    words = re.findall(r"[A-Za-z]{3,}", text or "")
    return words[0].lower() if words else ""


def _findings(
    observations: list[Observation],
    groups: list[_FailureGroup],
    roots: dict[str, DbError],
    scopes: dict[str, str],
    recovered_seqs: set[int],
    via: dict[str, Failure],
) -> tuple[Finding, ...]:
    occurrences: dict[str, list[DbError]] = {}
    seen: dict[str, set[tuple[object, ...]]] = {}
    order: dict[str, int] = {}
    # Copies of one occurrence (terminal text, reportlog, JUnit) count once; the readable one is kept.
    for ob in sorted(observations, key=lambda o: (READABLE.get(o.event.fmt, 0), o.seq)):
        if ob.seq in recovered_seqs:
            continue
        for err in _real(ob.errors)[-1:]:
            fp = fingerprint(err)
            ident = _occurrence_id(err, ob)
            if ident in seen.setdefault(fp, set()):
                continue
            seen[fp].add(ident)
            occurrences.setdefault(fp, []).append(err)
            order[fp] = min(order.get(fp, ob.seq), ob.seq)
    for err in roots.values():  # a root elected through a scope is always a finding
        fp = fingerprint(err)
        if fp not in occurrences:
            occurrences[fp] = [err]
            order[fp] = 10**12

    explains: dict[str, list[str]] = {fp: [] for fp in occurrences}
    best_scope: dict[str, str] = {}
    failure_by_id = {g.failure.id: g for g in groups}
    for fid, err in roots.items():
        fp = fingerprint(err)
        explains[fp].append(fid)
        scope = scopes[fid]
        if fp not in best_scope or _scope_rank(scope) < _scope_rank(best_scope[fp]):
            best_scope[fp] = scope

    def rank(fp: str) -> tuple[int, int, int]:
        level = max((_sev_rank(e) for e in occurrences[fp]), default=0)
        return (-len(explains[fp]), -level, order[fp])

    findings = []
    for i, fp in enumerate(sorted(occurrences, key=rank), start=1):
        occ = occurrences[fp]
        root = _richest(occ)
        fids = explains[fp]
        confidence = SCOPE_CONFIDENCE.get(best_scope.get(fp, ""), "low") if fids else "low"
        shown = sorted((failure_by_id[f] for f in fids), key=lambda g: g.failure.kind != "test")[:3]
        evidence = _evidence(root, shown, roots, via)
        findings.append(Finding(f"F{i}", fp, root, tuple(occ), tuple(fids), evidence, confidence))
    return tuple(findings)


_FILLABLE = (
    "detail",
    "hint",
    "context",
    "statement",
    "schema",
    "table",
    "column",
    "datatype",
    "referenced_table",
    "trigger",
    "driver",
    "time",
)


def _richest(occ: list[DbError]) -> DbError:
    """The first occurrence, with fields only other copies carried filled in (a server log
    has the statement and CONTEXT, the test output the driver and the test)."""
    root = occ[0]
    missing = {name: None for name in _FILLABLE if getattr(root, name) is None}
    for other in occ[1:]:
        for name in list(missing):
            value = getattr(other, name)
            if value is not None:
                missing[name] = value
                del missing[name]
                root = replace(root, **{name: value})
        if not missing:
            break
    if not root.key:
        root = replace(root, key=next((o.key for o in occ if o.key), ()))
    return root


def _occurrence_id(err: DbError, ob: Observation) -> tuple[object, ...]:
    """Copies of one error in several inputs count once: same test, or same key and second."""
    from triage.inputs import testid

    if ob.event.test:
        return ("test", testid.key(ob.event.test), ob.event.phase or "call")
    second = (err.time or "")[:19]
    return ("at", err.key, second or f"{err.location.path}:{err.location.line}")


def _scope_rank(scope: str) -> int:
    return list(SCOPE_CONFIDENCE).index(scope) if scope in SCOPE_CONFIDENCE else 99


def _sev_rank(err: DbError) -> int:
    return {"PANIC": 3, "FATAL": 2, "ERROR": 1}.get((err.severity or "ERROR").upper(), 1)


def _evidence(
    root: DbError, groups: list[_FailureGroup], roots: dict[str, DbError], via: dict[str, Failure]
) -> tuple[Evidence, ...]:
    """symptom -> wrappers -> root, for the first failures the finding explains."""
    out: list[Evidence] = []
    for g in groups:
        f = g.failure
        symptom = _first_line(f.message)
        out.append(Evidence(f.location.path, f.location.line, symptom, "symptom"))
        err = roots[f.id]
        ob = g.obs[0]
        for link in ob.event.chain:
            if ob.event.path == err.location.path and link.line == err.location.line:
                break  # the link that holds the root: what follows is the root itself
            text = _first_line(f"{link.exc}: {link.message}" if link.exc else link.message)
            if text and text != symptom:
                out.append(Evidence(ob.event.path, link.line, text, "wrapper"))
        if f.id in via:  # linked through another failure that quotes it (a service's HTTP 500)
            hop = via[f.id]
            out.append(
                Evidence(hop.location.path, hop.location.line, _first_line(hop.message), "wrapper")
            )
        out.append(Evidence(err.location.path, err.location.line, _first_line(err.message), "root"))
    if not out:
        out.append(
            Evidence(root.location.path, root.location.line, _first_line(root.message), "root")
        )
    return tuple(out)


QUOTE_MAX = 500


def _first_line(text: str) -> str:
    """The first line of a message, cut visibly when it is longer than QUOTE_MAX."""
    stripped = (text or "").strip()
    if not stripped:
        return ""
    line = stripped.splitlines()[0]
    if len(line) > QUOTE_MAX:
        return f"{line[:QUOTE_MAX]} [… cut: {len(line) - QUOTE_MAX} more characters]"
    return line
