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

from dataclasses import dataclass

from triage.correlate.findings import build_findings
from triage.correlate.fingerprint import fingerprint, mask
from triage.correlate.groups import Recovered, failure_groups, real_errors, recovered_warnings
from triage.correlate.scopes import elect, link_by_symptom
from triage.correlate.store import ErrorStore
from triage.model import DbError, Failure, Finding
from triage.observe import Observation, is_recovered_warning
from triage.pgerror import is_cascade

__all__ = ["Correlation", "ErrorStore", "Recovered", "correlate", "fingerprint", "mask"]


@dataclass(frozen=True)
class Correlation:
    findings: tuple[Finding, ...]
    failures: tuple[Failure, ...]
    roots: dict[str, str]  # failure id -> finding id
    scopes: dict[str, str]  # failure id -> scope that linked it
    unexplained: tuple[str, ...]
    recovered: tuple[Recovered, ...]
    cascades: int


def correlate(
    observations: list[Observation], store: ErrorStore | None = None, window: float = 5.0
) -> Correlation:
    """Root election over ``observations`` (what observe returned) and the errors ``store``
    holds (observe filled it); with no store, one is made from the observations."""
    if store is None:
        with ErrorStore() as own:
            for ob in observations:
                if ob.errors and not is_recovered_warning(ob):
                    own.add(ob)
            return correlate(observations, own, window)
    store.seal()
    groups = failure_groups(observations)
    roots: dict[str, DbError] = {}
    scopes: dict[str, str] = {}
    cascade_count = 0
    recovered = recovered_warnings(observations)
    # An error raised in a failure's own chain is that failure's: loose scopes (same process,
    # time window) must not hand it to an unrelated failure of the same process.
    claimed = {
        fingerprint(real_errors(o.errors)[-1])
        for g in groups
        for o in g.obs
        if real_errors(o.errors)
    }
    for group in groups:
        found = elect(group, store, window, claimed)
        if found:
            roots[group.failure.id], scopes[group.failure.id] = found
        cascade_count += sum(1 for ob in group.obs for e in ob.errors if is_cascade(e))
    via = link_by_symptom(groups, roots, scopes)

    findings = build_findings(store, groups, roots, scopes, via)
    by_fp = {f.fingerprint: f.id for f in findings}
    root_ids = {
        fid: by_fp[fingerprint(err)] for fid, err in roots.items() if fingerprint(err) in by_fp
    }
    failures = tuple(g.failure for g in groups)
    unexplained = tuple(f.id for f in failures if f.id not in root_ids)
    return Correlation(findings, failures, root_ids, scopes, unexplained, recovered, cascade_count)
