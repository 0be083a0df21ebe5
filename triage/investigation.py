"""The investigation sections of report data: summary, reported versus actual, per-finding
lifecycle, ranked hypotheses, schema linkage and what would prove the verdict wrong."""

from __future__ import annotations

from collections import Counter
from typing import Any

from triage import hypotheses
from triage.lifecycle import Lifecycle
from triage.model import Finding

MAX_ROWS = 40  # reported-versus-actual rows; the rest are counted


def lifecycle_data(lc: Lifecycle | None) -> dict[str, Any] | None:
    if lc is None:
        return None
    return {
        "values": list(lc.values),
        "ordered_by": lc.ordered_by,
        "omitted": lc.omitted,
        "mentions": [
            {
                "path": m.path,
                "line": m.line,
                "time": m.time,
                "text": m.text,
                "value": m.value,
                "action": m.action,
                "subject": m.subject,
            }
            for m in lc.mentions
        ],
    }


def finding_sections(finding: Finding, report: Any) -> dict[str, Any]:
    """New per-finding keys: explanation, fixes with risk, lifecycle, hypotheses, schema, prove_wrong."""
    from triage.schema import link

    match = report.matches.get(finding.id)
    pattern = match.pattern if match else None
    lc = getattr(report, "lifecycles", {}).get(finding.id)
    schema = getattr(report, "schema", None)
    linkage = link(schema, finding.root) if schema is not None and schema.definitions else None
    scopes = [report.correlation.scopes.get(fid) for fid in finding.explains]
    scope = next(
        (s for s in ("chain", "test", "id", "pid", "previous", "window") if s in scopes), None
    )
    fixes = list(match.fixes) if match else []
    risks = [getattr(fx, "risk", None) for fx in getattr(pattern, "fixes", ())] if pattern else []
    return {
        "explanation": (getattr(pattern, "explanation", "") or "").strip() if pattern else "",
        "fixes_detail": [
            {"text": text, "risk": risks[i] if i < len(risks) else None}
            for i, text in enumerate(fixes)
        ],
        "scope": scope,
        "lifecycle": lifecycle_data(lc),
        "hypotheses": hypotheses.rank(finding, pattern, lc, linkage),
        "schema_linkage": linkage,
        "prove_wrong": hypotheses.prove_wrong(finding, scope),
    }


def reported_vs_actual(data: dict[str, Any]) -> dict[str, Any]:
    """Rows of 'what was reported or seen' beside 'the root it traces back to'."""
    findings = {f["id"]: f for f in data["findings"]}
    rows: list[dict[str, Any]] = []
    claim = data.get("claim")
    if claim:
        rows.append(
            {
                "kind": "claim",
                "id": None,
                "reported": claim["text"],
                "location": None,
                "verdict": claim["verdict"],
                "roots": [_root(findings[r]) for r in claim["roots"] if r in findings],
            }
        )
    for f in data["failures"]:
        root = findings.get(f["root"]) if f["root"] else None
        rows.append(
            {
                "kind": f["kind"],
                "id": f["id"],
                "reported": f["test"] or _first(f["message"]),
                "message": _first(f["message"]),
                "location": f["location"],
                "verdict": f["scope"] or "unexplained",
                "roots": [_root(root)] if root else [],
            }
        )
    return {"rows": rows[:MAX_ROWS], "omitted": max(0, len(rows) - MAX_ROWS)}


def _root(f: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f["id"],
        "sqlstate": f["sqlstate"],
        "condition": f["condition"],
        "name": f["constraint"] or f["table"] or f["fingerprint"],
        "description": f["description"],
        "location": f["first"],
    }


def summary_parts(data: dict[str, Any]) -> list[list[str]]:
    """The summary paragraph as [kind, text] parts: "text" is prose, "code" an identifier or quote."""
    s = data["summary"]
    parts: list[list[str]] = []

    def t(text: str) -> None:
        parts.append(["text", text])

    def c(text: str) -> None:
        parts.append(["code", text])

    n_in = len(data["inputs"])
    if not data["findings"]:
        t(f"No database error was found in {n_in} input{_s(n_in)}")
        t(
            f"; {s['failures']} failure{_s(s['failures'])} ha{'ve' if s['failures'] != 1 else 's'} no database cause."
            if s["failures"]
            else "."
        )
    else:
        top = data["findings"][0]
        if s["explained"]:
            t(
                f"{s['explained']} of {s['failures']} failure{_s(s['failures'])} in {n_in} input{_s(n_in)} "
            )
            t(f"trace back to {s['findings']} database error{_s(s['findings'])}. ")
            t("The main root cause is ")
        elif not s["failures"]:
            t(f"No failing test or error report in {n_in} input{_s(n_in)}; ")
            t(f"{s['findings']} database error{_s(s['findings'])} logged. The first is ")
        else:
            t(f"None of the {s['failures']} failure{_s(s['failures'])} in {n_in} input{_s(n_in)} ")
            t(
                f"traces back to a database error; {s['findings']} database error{_s(s['findings'])} "
            )
            t("logged alongside explain no failure. The first is ")
        c(top["constraint"] or top["table"] or top["fingerprint"])
        t(f" (SQLSTATE {top['sqlstate'] or '-'} {top['condition'] or ''}".rstrip() + "): ")
        t(top["description"] + ". ")
        t(
            "It occurred once, at "
            if top["occurrences"] == 1
            else f"It occurred {top['occurrences']} times, first at "
        )
        c(f"{top['first']['path']}:{top['first']['line']}")
        t(
            f", and explains {len(top['explains'])} failure{_s(len(top['explains']))} ({top['confidence']} confidence)."
        )
        best = next(
            (
                h
                for h in top.get("hypotheses", [])
                if h["verdict"] in ("supported", "mixed", "possible")
            ),
            None,
        )
        if best:
            t(f" Most likely cause ({best['verdict']} by the evidence): {best['text']}")
    claim = data.get("claim")
    if claim:
        t(" The report said ")
        c(claim["text"][:200])
        t(f"; the evidence: {claim['verdict']} ({claim['reason']}).")
    if s["unexplained"]:
        t(
            f" {s['unexplained']} failure{_s(s['unexplained'])} could not be linked to a database error."
        )
    if s["recovered"]:
        t(
            f" {s['recovered']} retried warning{_s(s['recovered'])} recovered and "
            + ("is not a failure." if s["recovered"] == 1 else "are not failures.")
        )
    return parts


def input_totals(inputs: list[dict[str, Any]]) -> dict[str, Any]:
    skipped: Counter[str] = Counter()
    for i in inputs:
        skipped.update(i["skipped"])
    return {
        "files": len(inputs),
        "lines": sum(i["lines"] for i in inputs),
        "events": sum(i["events"] for i in inputs),
        "bytes": sum(i["bytes"] for i in inputs),
        "formats": sorted({f for i in inputs for f in i["formats"]}),
        "skipped": dict(sorted(skipped.items())),
        "errors": [i["error"] for i in inputs if i.get("error")],
    }


def _first(text: str | None) -> str:
    text = (text or "").strip()
    return text.split("\n")[0] if text else ""


def _s(n: int) -> str:
    return "" if n == 1 else "s"
