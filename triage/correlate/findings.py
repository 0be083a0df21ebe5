"""Findings: occurrences grouped by fingerprint, ranked by what they explain, with evidence chains."""

from __future__ import annotations

from dataclasses import replace

from triage.correlate.fingerprint import fingerprint
from triage.correlate.groups import READABLE, FailureGroup, real_errors
from triage.correlate.scopes import SCOPE_CONFIDENCE
from triage.inputs import testid
from triage.model import DbError, Evidence, Failure, Finding
from triage.observe import Observation


def build_findings(
    observations: list[Observation],
    groups: list[FailureGroup],
    roots: dict[str, DbError],
    scopes: dict[str, str],
    recovered_seqs: set[int],
    via: dict[str, Failure],
) -> tuple[Finding, ...]:
    occurrences: dict[str, list[DbError]] = {}
    seen: dict[str, set[tuple[object, ...]]] = {}
    order: dict[str, int] = {}
    # Copies of one occurrence (terminal text, reportlog, JUnit) count once; the readable one is kept.
    # Every real error of a record is an occurrence, not only the innermost one its failure is
    # linked to: the sub-exceptions of an exception group (a TaskGroup where one insert broke a
    # foreign key and another a NOT NULL) and the errors of an AggregateError all failed.
    for ob in sorted(observations, key=lambda o: (READABLE.get(o.event.fmt, 0), o.seq)):
        if ob.seq in recovered_seqs:
            continue
        for err in real_errors(ob.errors):
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
        fids = sorted(explains[fp], key=lambda fid: int(fid[1:]))
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
    for name in _FILLABLE:
        if getattr(root, name) is None:
            value = next((getattr(o, name) for o in occ[1:] if getattr(o, name) is not None), None)
            if value is not None:
                root = replace(root, **{name: value})
    if not root.key:
        root = replace(root, key=next((o.key for o in occ if o.key), ()))
    return root


def _occurrence_id(err: DbError, ob: Observation) -> tuple[object, ...]:
    """Copies of one error in several inputs count once: same test (in the same run of a log that
    holds several), or same key and second."""
    ev = ob.event
    if ev.test:
        return ("test", testid.key(ev.test), ev.phase or "call", ev.id_value("run"))
    second = (err.time or "")[:19]
    return ("at", err.key, second or f"{err.location.path}:{err.location.line}")


def _scope_rank(scope: str) -> int:
    return list(SCOPE_CONFIDENCE).index(scope) if scope in SCOPE_CONFIDENCE else 99


def _sev_rank(err: DbError) -> int:
    return {"PANIC": 3, "FATAL": 2, "ERROR": 1}.get((err.severity or "ERROR").upper(), 1)


def _evidence(
    root: DbError, groups: list[FailureGroup], roots: dict[str, DbError], via: dict[str, Failure]
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
