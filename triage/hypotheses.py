"""Ranking a pattern's likely causes with evidence for and against each, from the key lifecycle,
the schema linkage and the failures; and what would prove the verdict wrong.

A cause is tagged by what it claims (parent never created, deleted by cleanup, a race, another
transaction, a stale id, parallel workers, schema missing or mismatched); each tag reads the same
few facts. Untagged causes keep the catalog's weight and say that the logs do not decide them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from triage.hypotheses_schema import on_delete, schema_evidence
from triage.lifecycle import Lifecycle, Mention
from triage.model import Finding, epoch

RACE_SECONDS = 2.0
# A quoted line outweighs an inference from timing, which outweighs a line that is absent (the
# logs may simply not record the event); context (the schema's rule) informs but does not score.
STRENGTH = {"direct": 3, "inference": 2, "absence": 1, "context": 0}
TAGS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("parallel", ("parallel", "concurrent", "worker", "xdist", "simultaneous")),
    ("deleted", ("deleted", "cleanup", "truncate", "teardown", "removed", "wrong order")),
    ("visibility", ("another transaction", "connection", "commit", "visible")),
    (
        "stale",
        (
            "stale",
            "hard-coded",
            "cached",
            "previous run",
            "never persisted",
            "left over",
            "left by",
        ),
    ),
    (
        "missing-parent",
        ("did not run first", "before its parent", "does not exist", "never created"),
    ),
    (
        "schema-mismatch",
        ("differs from the constraint", "column list", "partial unique", "onconflict option"),
    ),
    (
        "schema-missing",
        ("migration", "not applied", "unapplied", "does not exist in the test database"),
    ),
)


@dataclass(frozen=True)
class Facts:
    """What the evidence says, gathered once per finding."""

    lifecycle: Lifecycle | None
    link: dict[str, Any] | None
    created: tuple[Mention, ...] = ()
    deleted: tuple[Mention, ...] = ()
    failed: tuple[Mention, ...] = ()
    workers: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)


def tags_of(text: str) -> list[str]:
    low = text.lower()
    return [tag for tag, words in TAGS if any(w in low for w in words)]


def facts(finding: Finding, lifecycle: Lifecycle | None, link: dict[str, Any] | None) -> Facts:
    before = lifecycle.before_failure() if lifecycle else ()
    created = tuple(m for m in before if m.action == "create" and m.subject != "child")
    deleted = tuple(m for m in before if m.action == "delete")
    failed = tuple(m for m in lifecycle.mentions if m.action == "fail") if lifecycle else ()
    return Facts(lifecycle, link, created, deleted, failed)


def rank(
    finding: Finding, pattern: Any, lifecycle: Lifecycle | None, link: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """The pattern's causes, best supported first, each with evidence for and against."""
    causes = list(getattr(pattern, "causes", ()) or ()) if pattern is not None else []
    f = facts(finding, lifecycle, link)
    out: list[dict[str, Any]] = []
    for order, cause in enumerate(causes):
        text = getattr(cause, "text", str(cause))
        weight = float(getattr(cause, "weight", 1.0) or 1.0)
        pro: list[dict[str, Any]] = []
        con: list[dict[str, Any]] = []
        for tag in tags_of(text):
            _judge(tag, finding, f, pro, con)
        score = (
            weight
            + sum(STRENGTH[e["strength"]] for e in pro)
            - sum(STRENGTH[e["strength"]] for e in con)
        )
        out.append(
            {
                "text": text,
                "evidence_hint": getattr(cause, "evidence_hint", None),
                "weight": weight,
                "score": score,
                "for": pro[:4],
                "against": con[:4],
                "_order": order,
            }
        )
    out.sort(key=lambda h: (-h["score"], h["_order"]))
    for i, h in enumerate(out, start=1):
        h["rank"] = i
        h["verdict"] = _verdict(h["for"], h["against"])
        del h["_order"]
    return out


def _verdict(pro: list[dict[str, Any]], con: list[dict[str, Any]]) -> str:
    def strong(items: list[dict[str, Any]]) -> bool:
        return any(e["strength"] in ("direct", "inference") for e in items)

    def weak(items: list[dict[str, Any]]) -> bool:
        return any(e["strength"] == "absence" for e in items)

    if strong(pro) and (strong(con) or weak(con)):
        return "mixed"
    if strong(pro):
        return "supported"
    if strong(con):
        return "contradicted" if not weak(pro) else "mixed"
    if weak(pro) and not weak(con):
        return "possible"
    if weak(con) and not weak(pro):
        return "unlikely"
    return "undecided"


def _ev(text: str, m: Mention | None = None, strength: str = "direct") -> dict[str, Any]:
    return {
        "text": text,
        "path": m.path if m else None,
        "line": m.line if m else None,
        "quote": m.text if m else None,
        "strength": strength,
    }


def _judge(
    tag: str, finding: Finding, f: Facts, pro: list[dict[str, Any]], con: list[dict[str, Any]]
) -> None:
    err = finding.root
    parent = err.referenced_table or "the parent table"
    key = ", ".join(f"{c}={v}" for c, v in err.key) or "the key"
    traced = f.lifecycle is not None
    if tag == "missing-parent" and traced and err.sqlstate == "23503":
        if f.created:
            con.append(_ev(f"{key} was written before the failure", f.created[0]))
        elif not f.deleted:
            pro.append(
                _ev(
                    f"no line before the failure creates or mentions {parent} with {key}",
                    None,
                    "absence",
                )
            )
    elif tag == "deleted" and traced:
        if f.deleted:
            pro.append(_ev(f"{key} was deleted before the failure", f.deleted[-1]))
        else:
            con.append(_ev(f"no line before the failure deletes {key}", None, "absence"))
            if f.created:
                pro.append(_ev(_gone(key, f), f.created[-1], "inference"))
        on_delete(f, pro, con)
    elif tag == "parallel":
        gap = _gap(f)
        if gap is not None and gap <= RACE_SECONDS:
            pro.append(
                _ev(
                    f"the delete came {gap * 1000:.0f} ms before the failing write (or the last line logged before it): a race",
                    f.deleted[-1],
                )
            )
        elif traced and not f.deleted and err.sqlstate == "23503" and not f.created:
            pass  # nothing deleted nor created: parallelism is neither shown nor excluded
        elif traced and f.deleted and gap is not None:
            con.append(
                _ev(
                    f"the delete came {gap:.1f} s before the failure, not a close race",
                    f.deleted[-1],
                )
            )
    elif tag == "visibility" and traced:
        if f.deleted:
            con.append(
                _ev(
                    f"{key} was deleted before the failure: its absence needs no visibility gap",
                    f.deleted[-1],
                )
            )
        elif f.created:
            pro.append(_ev(_gone(key, f), f.created[-1], "inference"))
        else:
            con.append(_ev(f"no line shows {key} being created at all", None, "absence"))
    elif tag == "stale" and traced:
        if not f.created and not f.deleted and f.lifecycle and not f.lifecycle.before_failure():
            pro.append(
                _ev(
                    f"{key} appears only in the failing lines: nothing logged in this run produced it",
                    None,
                    "absence",
                )
            )
        elif f.created:
            con.append(_ev(f"{key} was produced in this run", f.created[0]))
    elif tag in ("schema-missing", "schema-mismatch"):
        schema_evidence(tag, f, pro, con)


def _gone(key: str, f: Facts) -> str:
    made = f.created[-1]
    fail = f.failed[0] if f.failed else None
    failed_at, made_at = epoch(fail.time) if fail else None, epoch(made.time)
    gap = failed_at - made_at if failed_at and made_at else None
    later = f" {gap * 1000:.0f} ms later" if gap is not None and gap >= 0 else ""
    return (
        f"{key} was created, and was missing at the failing write{later}: removed, or not committed"
    )


def _gap(f: Facts) -> float | None:
    """Seconds from the last delete to the failure; when the failing line carries no time, to the
    last timed line before it (so the gap is a lower bound, which is what a race needs)."""
    if not f.deleted or f.lifecycle is None:
        return None
    end = f.failed[0].time if f.failed and f.failed[0].time else None
    if end is None:
        timed = [m.time for m in f.lifecycle.before_failure() if m.time]
        end = timed[-1] if timed else None
    a, b = epoch(f.deleted[-1].time), epoch(end)
    return b - a if a is not None and b is not None and b >= a else None


def prove_wrong(finding: Finding, scope: str | None) -> list[str]:
    """Observations that would overturn the verdict, in the finding's own names; each completes
    the sentence "The verdict is wrong if"."""
    err = finding.root
    key = ", ".join(f"{c}={v}" for c, v in err.key)
    out: list[str] = []
    code = err.sqlstate or ""
    if code == "23503" and not err.message.startswith("update or delete"):
        out.append(
            f"a row of {err.referenced_table or 'the parent table'} with {key or 'this key'} was "
            "committed and visible to the failing connection before the insert (then visibility, "
            "not absence, is the cause)."
        )
    elif code == "23503":
        out.append(
            f"no row of {err.table or 'the child table'} referenced {key or 'the key'} when the "
            "delete ran (then the child was added concurrently, by a trigger, a job or a parallel test)."
        )
    elif code == "23505":
        out.append(
            f"{key or 'the key'} was absent from {err.table or 'the table'} when the test started "
            "(then the duplicate is made inside the test itself, e.g. a retry or a double submit)."
        )
    elif code == "42P10":
        out.append(
            "the test database (\\d of the table) lists a unique constraint or index on exactly the "
            "ON CONFLICT columns, without a WHERE clause."
        )
    elif code.startswith("40"):
        out.append(
            "the same failure happens on a run with a single worker and no concurrent requests."
        )
    if scope in ("window", "pid", "previous"):
        out.append(
            f"the failing tests still fail with this error fixed: they were linked by {scope} "
            "proximity only, not by their own traceback."
        )
    out.append("a failure it explains prints a different database error of its own when run alone.")
    return out
