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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from triage.correlate.failures import FailureList, Links, RootIds, Scopes, Unexplained, index
from triage.correlate.findings import build_findings
from triage.correlate.fingerprint import fingerprint, mask
from triage.correlate.groups import Recovered, recovered_warnings
from triage.correlate.scopes import elect, link_by_symptom
from triage.correlate.spool import FailureSpool
from triage.correlate.store import ErrorStore
from triage.model import DbError, Failure, Finding
from triage.observe import Observation, is_failure, is_recovered_warning
from triage.pgerror import is_cascade

__all__ = [
    "Correlation",
    "ErrorStore",
    "FailureSpool",
    "Recovered",
    "correlate",
    "fingerprint",
    "mask",
]


@dataclass(frozen=True)
class Correlation:
    findings: tuple[Finding, ...]
    failures: Sequence[Failure]  # a FailureList: on disk past a few thousand
    roots: Mapping[str, str]  # failure id -> finding id
    scopes: Mapping[str, str]  # failure id -> scope that linked it
    unexplained: Sequence[str]
    recovered: tuple[Recovered, ...]
    cascades: int


def correlate(
    observations: list[Observation],
    store: ErrorStore | None = None,
    window: float = 5.0,
    spool: FailureSpool | None = None,
) -> Correlation:
    """Root election over ``observations`` (what observe returned), the errors ``store`` holds
    and the failures ``spool`` holds (observe filled both); with no store or spool, one is made
    from the observations."""
    if store is None:
        with ErrorStore() as own:
            for ob in observations:
                if ob.errors and not is_recovered_warning(ob):
                    own.add(ob)
            return correlate(observations, own, window, spool)
    if spool is None:
        with FailureSpool() as mine:
            for ob in observations:
                if is_failure(ob) and not is_recovered_warning(ob):
                    mine.add(ob)
            return correlate(observations, store, window, mine)
    store.seal()
    recovered = recovered_warnings(observations)
    # An error raised in a failure's own chain is that failure's: loose scopes (same process,
    # time window) must not hand it to an unrelated failure of the same process.
    claimed = spool.claimed
    failures = FailureList()
    links = Links()
    first: dict[str, DbError] = {}  # fingerprint -> the first root elected of it
    cascade_count = 0
    for group in spool.groups():
        found = elect(group, store, window, claimed)
        if found:
            err, scope = found
            fp = fingerprint(err)
            first.setdefault(fp, err)
            links.link(group.failure.id, fp, scope)
        cascade_count += sum(1 for ob in group.obs for e in ob.errors if is_cascade(e))
        failures.append(group.failure)
    via = link_by_symptom(failures, links)

    def root_of(fid: str) -> tuple[DbError, Observation]:
        """For a failure a finding quotes: its root (elected again: the same) and first copy."""
        own = spool.group(index(fid) + 1)
        hop = via.get(fid)
        found = elect(spool.group(index(hop.id) + 1) if hop else own, store, window, claimed)
        assert found is not None
        return found[0], own.obs[0]

    findings = build_findings(store, failures, links, first, root_of, via)
    roots = RootIds(links, {f.fingerprint: f.id for f in findings})
    unexplained = Unexplained(len(failures), roots)
    return Correlation(
        findings, failures, roots, Scopes(links), unexplained, recovered, cascade_count
    )
