"""Findings: occurrences grouped by fingerprint, ranked by what they explain, with evidence chains."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from triage.correlate.failures import Links, index
from triage.correlate.scopes import SCOPE_CONFIDENCE
from triage.correlate.store import ErrorStore
from triage.model import DbError, Evidence, Failure, Finding
from triage.observe import Observation

# Distinct keys of a finding's occurrences kept (the key lifecycle traces four of their values).
MAX_KEYS = 64


class _Occurrences:
    """What a finding needs of its occurrences, gathered one at a time (a log of errors holds
    hundreds of thousands): the first, filled with what only later copies carried (a server log
    has the statement and CONTEXT, the test output the driver), the last, and a few sets."""

    __slots__ = ("first", "last", "count", "order", "level", "drivers", "keys", "fills", "missing")

    def __init__(self, err: DbError, order: int) -> None:
        self.first = self.last = err
        self.count = 1
        self.order = order
        self.level = _sev_rank(err)
        self.drivers = {err.driver} if err.driver else set()
        self.keys = [err.key] if err.key else []
        self.fills: dict[str, object] = {}
        self.missing = [name for name in _FILLABLE if getattr(err, name) is None]
        if not err.key:
            self.missing.append("key")

    def add(self, err: DbError, seq: int) -> None:
        self.last = err
        self.count += 1
        self.order = min(self.order, seq)
        self.level = max(self.level, _sev_rank(err))
        if err.driver:
            self.drivers.add(err.driver)
        if err.key and len(self.keys) < MAX_KEYS and err.key not in self.keys:
            self.keys.append(err.key)
        if self.missing:
            for name in self.missing:
                value = getattr(err, name)
                if value if name == "key" else value is not None:  # a key must not be empty
                    self.fills[name] = value
            self.missing = [name for name in self.missing if name not in self.fills]

    def root(self) -> DbError:
        return replace(self.first, **self.fills) if self.fills else self.first  # type: ignore[arg-type]


def build_findings(
    store: ErrorStore,
    failures: Sequence[Failure],
    links: Links,
    first: dict[str, DbError],
    root_of: Callable[[str], tuple[DbError, Observation]],
    via: dict[str, Failure],
) -> tuple[Finding, ...]:
    """Findings from the store's occurrences and the failures ``links`` ties to a root
    (``first``: the first root elected of each fingerprint; ``root_of``: for the few failures a
    finding quotes, the very root elected and the failure's first copy, read back)."""
    # Copies of one occurrence (terminal text, reportlog, JUnit) count once; the readable one is
    # kept (the store's occurrences). Every real error of a record is an occurrence, not only the
    # innermost one its failure is linked to: the sub-exceptions of an exception group (a
    # TaskGroup where one insert broke a foreign key and another a NOT NULL) and the errors of an
    # AggregateError all failed.
    occurrences: dict[str, _Occurrences] = {}
    for fp, seq, err in store.occurrences():
        occ = occurrences.get(fp)
        if occ is None:
            occurrences[fp] = _Occurrences(err, seq)
        else:
            occ.add(err, seq)
    for fp, err in first.items():  # a root elected through a scope is always a finding
        if fp not in occurrences:
            occurrences[fp] = _Occurrences(err, 10**12)

    explains: dict[str, list[str]] = {fp: [] for fp in occurrences}
    best_scope: dict[str, str] = {}
    for fid, fp in links.linked():
        explains[fp].append(fid)
        scope = links.scope(fid) or ""
        if fp not in best_scope or _scope_rank(scope) < _scope_rank(best_scope[fp]):
            best_scope[fp] = scope

    def rank(fp: str) -> tuple[int, int, int]:
        return (-len(explains[fp]), -occurrences[fp].level, occurrences[fp].order)

    findings = []
    for i, fp in enumerate(sorted(occurrences, key=rank), start=1):
        occ = occurrences[fp]
        root = occ.root()
        fids = explains[fp]  # in failure order (links.linked)
        confidence = SCOPE_CONFIDENCE.get(best_scope.get(fp, ""), "low") if fids else "low"
        evidence = _evidence(root, _quoted(failures, fids), root_of, via)
        findings.append(
            Finding(
                f"F{i}",
                fp,
                root,
                occ.count,
                occ.last,
                tuple(fids),
                evidence,
                confidence,
                drivers=tuple(sorted(occ.drivers)),
                keys=tuple(occ.keys),
            )
        )
    return tuple(findings)


def _quoted(failures: Sequence[Failure], fids: list[str], n: int = 3) -> list[Failure]:
    """The failures a finding's evidence quotes: its first ``n`` failing tests, else the first
    of the others (each read back from the list, only until they are found)."""
    tests: list[Failure] = []
    others: list[Failure] = []
    for fid in fids:
        f = failures[index(fid)]
        if f.kind == "test":
            tests.append(f)
            if len(tests) == n:
                break
        elif len(others) < n:
            others.append(f)
    return (tests + others)[:n]


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


def _scope_rank(scope: str) -> int:
    return list(SCOPE_CONFIDENCE).index(scope) if scope in SCOPE_CONFIDENCE else 99


def _sev_rank(err: DbError) -> int:
    return {"PANIC": 3, "FATAL": 2, "ERROR": 1}.get((err.severity or "ERROR").upper(), 1)


def _evidence(
    root: DbError,
    quoted: list[Failure],
    root_of: Callable[[str], tuple[DbError, Observation]],
    via: dict[str, Failure],
) -> tuple[Evidence, ...]:
    """symptom -> wrappers -> root, for the first failures the finding explains."""
    out: list[Evidence] = []
    for f in quoted:
        symptom = _first_line(f.message)
        out.append(Evidence(f.location.path, f.location.line, symptom, "symptom"))
        err, ob = root_of(f.id)
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
