"""The investigation sections of report data: reported versus actual, per-finding lifecycle,
ranked hypotheses, schema linkage and what would prove the verdict wrong (the summary paragraph
and the title: headline.py)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import orjson

from triage import hypotheses
from triage.correlate.fingerprint import mask
from triage.headline import root_name
from triage.lifecycle import Lifecycle
from triage.model import Evidence, Finding, InputStats
from triage.views import Rows

MAX_ROWS = 40  # reported-versus-actual rows, unexplained groups; the rest are counted
ALIKE_ROWS = 3  # failures alike shown a row each; more are one row with their count
MAX_EXAMPLES = 5  # failures named in a group of unexplained failures alike
COPY_FORMATS = frozenset({"junit", "reportlog"})  # a test run's report files, copies of its text


def lifecycle_data(lc: Lifecycle | None, copies: Sequence[str] = ()) -> dict[str, Any] | None:
    if lc is None:
        return None
    return {
        "values": list(lc.values),
        "ordered_by": lc.ordered_by,
        "omitted": lc.omitted,
        "copies": list(copies),
        "mentions": [
            {
                "path": m.path,
                "line": m.line,
                "time": m.time,
                "text": m.text,
                "said": said(m.text),
                "value": m.value,
                "action": m.action,
                "subject": m.subject,
            }
            for m in lc.mentions
        ],
    }


def said(line: str) -> str:
    """What a JSON log line says, for a person: its msg (and error message); other lines as is."""
    if not line.startswith("{"):
        return line
    try:
        rec = orjson.loads(line)
    except orjson.JSONDecodeError:
        rec = None  # a line cut by the lifecycle's length limit: read its string fields
    if isinstance(rec, dict):
        msg = rec.get("msg") or rec.get("message")
        err = rec.get("err") or rec.get("error")
        why = err.get("message") if isinstance(err, dict) else None
    else:
        found = {k: v for k, v in _JSON_MSG.findall(line)}
        msg, why = found.get("msg"), found.get("message")
        msg, why = (_unquote(msg) if msg else None), (_unquote(why) if why else None)
    parts = [p for p in (msg, why) if isinstance(p, str) and p]
    return ": ".join(dict.fromkeys(parts)) if parts else line


_JSON_MSG = re.compile(r'"(msg|message)"\s*:\s*"((?:[^"\\]|\\.)*)"')


def _unquote(text: str) -> str:
    try:
        value = orjson.loads(f'"{text}"')
    except orjson.JSONDecodeError:
        return text
    return value if isinstance(value, str) else text


def readable_lifecycle(
    lc: Lifecycle | None, inputs: Sequence[InputStats]
) -> tuple[Lifecycle | None, list[str]]:
    """The lifecycle without the lines of JUnit XML and reportlog files when the same run's
    readable text (a pytest or vitest log) mentions the key too: those files are copies of that
    text, and JSON-escaped at that. Returns the paths left out, to say so."""
    if lc is None:
        return None, []
    formats = {s.path: set(s.formats) for s in inputs}
    copy_paths = {p for p, fmts in formats.items() if fmts and fmts <= COPY_FORMATS}
    readable = {p for p, fmts in formats.items() if any(f.endswith("-text") for f in fmts)}
    if not copy_paths or not any(m.path in readable for m in lc.mentions):
        return lc, []
    kept = tuple(m for m in lc.mentions if m.path not in copy_paths)
    left_out = sorted({m.path for m in lc.mentions if m.path in copy_paths})
    return replace(lc, mentions=kept), left_out


def evidence_chains(finding: Finding) -> list[dict[str, Any]]:
    """The evidence as one chain per symptom, numbered; a chain that says what an earlier one
    said is listed by location only, and a root already quoted is referred back to."""
    chains: list[list[Evidence]] = []
    for e in finding.evidence:
        if e.role == "symptom" or not chains:
            chains.append([])
        chains[-1].append(e)
    out: list[dict[str, Any]] = []
    by_text: dict[tuple[tuple[str, str], ...], dict[str, Any]] = {}
    quoted: dict[tuple[str, int], int] = {}
    n = 0
    for chain in chains:
        signature = tuple((e.role, e.text) for e in chain)
        if signature in by_text:
            by_text[signature]["same"].append([_loc(e) for e in chain])
            continue
        steps = []
        for e in chain:
            n += 1
            where = (e.path, e.line)
            steps.append(
                {**_loc(e), "n": n, "role": e.role, "text": e.text, "repeat": quoted.get(where)}
            )
            quoted.setdefault(where, n)
        by_text[signature] = {"steps": steps, "same": []}
        out.append(by_text[signature])
    return out


def _loc(e: Evidence) -> dict[str, Any]:
    return {"path": e.path, "line": e.line}


def finding_sections(finding: Finding, report: Any) -> dict[str, Any]:
    """New per-finding keys: explanation, fixes with risk, lifecycle, hypotheses, schema, prove_wrong."""
    from triage.schema import link

    match = report.matches.get(finding.id)
    pattern = match.pattern if match else None
    lc, copies = readable_lifecycle(
        getattr(report, "lifecycles", {}).get(finding.id), report.inputs
    )
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
        "lifecycle": lifecycle_data(lc, copies),
        "evidence_chains": evidence_chains(finding),
        "hypotheses": hypotheses.rank(finding, pattern, lc, linkage),
        "schema_linkage": linkage,
        "prove_wrong": hypotheses.prove_wrong(finding, scope),
    }


def reported_vs_actual(data: dict[str, Any]) -> dict[str, Any]:
    """Rows of 'what was reported or seen' beside 'the root it traces back to'; more than
    ALIKE_ROWS failures alike (same kind, message with values masked, root and linkage: a
    suite failing test after test on one constraint) are one row with their count."""
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
                "count": 1,
                "last": None,
            }
        )
    # failures alike (kind, message with values masked, root, how linked) in first-seen order:
    # of each, the first ALIKE_ROWS + 1 (enough to tell whether they fold), the count and the last
    alike: dict[tuple[str, str, str | None, str], _Alike] = {}
    for f in data["failures"]:
        key = (*_alike(f), f["root"], f["scope"] or "unexplained")
        group = alike.get(key)
        if group is None:
            group = alike[key] = _Alike()
        group.add(f)
    for group in alike.values():
        folded = group.count > ALIKE_ROWS
        for f in group.first[:1] if folded else group.first:
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
                    # a row may stand for many failures alike: how many, and the last of them
                    "count": group.count if folded else 1,
                    "last": _last(group.last) if folded else None,
                }
            )
    return {"rows": rows[:MAX_ROWS], "omitted": max(0, len(rows) - MAX_ROWS)}


class _Alike:
    """Failures alike as reported_vs_actual reads them, one at a time: the first few (as many
    as are shown unfolded), how many, and the last."""

    __slots__ = ("count", "first", "last")

    def __init__(self) -> None:
        self.count = 0
        self.first: list[dict[str, Any]] = []
        self.last: dict[str, Any] = {}

    def add(self, f: dict[str, Any]) -> None:
        self.count += 1
        if len(self.first) < ALIKE_ROWS:
            self.first.append(f)
        self.last = f


def _last(f: dict[str, Any]) -> dict[str, Any]:
    return {"id": f["id"], "test": f["test"], "location": f["location"]}


def _alike(f: dict[str, Any]) -> tuple[str, str]:
    """What failures alike share: their kind and first message line, values masked."""
    return f["kind"], mask(_first(f["message"]))


def unexplained_groups(
    failures: Sequence[dict[str, Any]], unexplained: Sequence[str]
) -> dict[str, Any]:
    """The unexplained failures grouped by kind and first message line, values masked, in the
    order each group first failed: a service that logs the same error for every request, or a
    suite whose tests all fail the same way, is one row naming a few of them, not 100,000.
    ``same`` says whether every message of the group is word for word the first one's."""
    # a list read, not held, answers by index (views.Rows over Unexplained); a list is made a set
    wanted = unexplained if isinstance(unexplained, Rows) else set(unexplained)
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for f in failures:
        if f["id"] not in wanted:
            continue
        message = _first(f["message"])
        key = _alike(f)
        g = groups.get(key)
        if g is None:
            g = groups[key] = {
                "kind": f["kind"],
                "message": message,
                "same": True,
                "count": 0,
                "failures": [],
                "last": None,
            }
        g["count"] += 1
        g["same"] = g["same"] and message == g["message"]
        shown = {"id": f["id"], "test": f["test"], "location": f["location"], "message": message}
        if len(g["failures"]) < MAX_EXAMPLES:
            g["failures"].append(shown)
        g["last"] = shown
    rows = list(groups.values())
    return {"groups": rows[:MAX_ROWS], "omitted": max(0, len(rows) - MAX_ROWS)}


def _root(f: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f["id"],
        "sqlstate": f["sqlstate"],
        "condition": f["condition"],
        "name": root_name(f),
        "description": f["description"],
        "location": f["first"],
    }


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
