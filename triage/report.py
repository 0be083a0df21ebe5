"""report_data(): the one flat dict that JSON, templates and the terminal view all render.

Its keys are the design.md §6 contract (schema "triage/report@1"): add keys freely, never rename.
"""

from __future__ import annotations

import re
from typing import Any

from triage import sqlstate
from triage.investigation import finding_sections
from triage.model import DbError, Failure, Finding, InputStats
from triage.pipeline import Report
from triage.redact import redact_data
from triage.views import Rows

SCHEMA = "triage/report@1"


def describe(err: DbError) -> str:
    """The failing constraint in words, with the captured names (and the trigger that ran it)."""
    text = _describe(err)
    if err.trigger:
        fired = statement_target(err.statement)
        inner = statement_target(_context_sql(err.context))
        if fired and fired[1] != (err.table or ""):
            # design.md §4.5: the statement's table is not the one whose constraint failed
            own = f"whose {inner[0].lower()} into {inner[1]}" if inner else "whose own statement"
            text += f"; {fired[0]} on {fired[1]} fired {err.trigger}(), {own} failed"
        else:
            text += f", raised inside the trigger function {err.trigger}()"
    return text


_TARGET = re.compile(
    r"^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(?:ONLY\s+)?((?:\"?\w+\"?\.)?\"?\w+\"?)", re.I
)


def _context_sql(context: str | None) -> str | None:
    """The SQL a PL/pgSQL function was running: CONTEXT 'SQL statement "INSERT INTO ..."'."""
    m = re.search(r'SQL statement "(.*?)"(?:\n|$)', context or "", re.S)
    return m.group(1) if m else None


def statement_target(statement: str | None) -> tuple[str, str] | None:
    """('INSERT', 'auth.users') for the statement a trigger fired on, when it names one."""
    m = _TARGET.match(statement or "")
    if not m:
        return None
    return m.group(1).split()[0].upper(), m.group(2).replace('"', "")


def _describe(err: DbError) -> str:
    key = ", ".join(f"{c}={v}" for c, v in err.key)
    code = err.sqlstate or ""
    table = err.table
    named = f" ({err.constraint})" if err.constraint else ""
    if code == "23503":
        if err.message.startswith("update or delete"):
            parent = err.referenced_table or "the parent table"
            child = table or "a child table"
            names = "; ".join(x for x in (err.constraint, key) if x)
            return f"a row of {parent} was deleted or changed while {child} still references it{f' ({names})' if names else ''}"
        if not (table or err.constraint or key):
            # SQLite: "FOREIGN KEY constraint failed" names nothing
            return "a row points at a parent row that does not exist, or a parent still referenced was deleted; the message names no table, constraint or key"
        cols = ", ".join(c for c, _ in err.key) or err.column
        column = f"{table}.{cols}" if table and cols else table or cols or "a foreign key column"
        return f"{column} must reference an existing {err.referenced_table or 'parent'} row; {key or 'the value written'} was not there{named}"
    if code == "23505":
        where = f" in {table}" if table else ""
        if key:
            return f"{key} already exists{where}{named}"
        same = f"{err.column} value" if err.column else "key"
        return f"a row with the same {same} already exists{where}{named}"
    if code == "23502":
        column = ".".join(x for x in (table, err.column) if x) or "a column"
        return f"{column} may not be null"
    if code == "23514":
        of = f" of {table}" if table else ""
        return f"a row{of} broke check constraint {err.constraint or '(unnamed)'}"
    if code == "42P10":
        from triage.schema import conflict_target

        target = conflict_target(err)
        if target:
            on = f" on {target[0]}" if target[0] else ""
            return f"ON CONFLICT ({', '.join(target[1])}){on} names columns that no unique or exclusion constraint covers"
        return "ON CONFLICT names columns that no unique or exclusion constraint covers"
    if code == "25P02":
        return "a statement ran in a transaction already aborted by an earlier error"
    # the server's own sentence says it best; the condition name would only repeat it
    text = err.message.splitlines()[0].strip() if err.message else ""
    if not text:
        return (err.condition or code or "database error").replace("_", " ")
    if table and table not in text:
        text += f" (table {table})"
    return text


_PLAIN_WORD = re.compile(r"[a-z]+ ")


def sentence(text: str) -> str:
    """The description opening a paragraph: a plain first word capitalised; an identifier
    ("email=...", "users.org_id") is left as the log spells it."""
    return text[:1].upper() + text[1:] if _PLAIN_WORD.match(text) else text


def report_data(report: Report, redact: bool = True) -> dict[str, Any]:
    """The report as one JSON-ready dict; secrets in every string masked unless redact=False."""
    from triage import headline, investigation

    corr = report.correlation
    roots, scopes = corr.roots, corr.scopes

    def row(f: Failure) -> dict[str, Any]:
        out = _failure(f, roots.get(f.id), scopes.get(f.id))
        return redact_data(out) if redact else out

    # each failure's row is made when it is read (a report may list 100,000): JSON writes them
    # one by one, the templates and the terminal read a few or fold them into groups
    data = _contract(report, Rows(corr.failures, row))
    # sections added for the investigation report (issue 4); keys are only ever added
    data["input_totals"] = investigation.input_totals(data["inputs"])
    data["reported_vs_actual"] = investigation.reported_vs_actual(data)
    data["schema_files"] = _schema_files(report)
    parts = headline.summary_parts(data)
    data["summary_parts"] = parts
    data["summary_text"] = "".join(text for _, text in parts)
    data["title"] = headline.report_title(data)
    data["redacted"] = redact
    if redact:
        data = redact_data(data)  # (the rows: as each is read)
    return data


def _schema_files(report: Report) -> dict[str, Any]:
    schema = getattr(report, "schema", None)
    if schema is None:
        return {"searched": False, "files": [], "skipped": [], "definitions": 0}
    return {
        "searched": True,
        "files": list(schema.files),
        "skipped": list(schema.skipped),
        "definitions": len(schema.definitions),
    }


def _contract(report: Report, failures: Rows) -> dict[str, Any]:
    corr = report.correlation
    return {
        "schema": SCHEMA,
        "inputs": [_input(s) for s in report.inputs],
        "summary": {
            "findings": len(corr.findings),
            "failures": len(corr.failures),
            "explained": len(corr.failures) - len(corr.unexplained),
            "unexplained": len(corr.unexplained),
            "cascades": corr.cascades,
            "recovered": len(corr.recovered),
        },
        "findings": [_finding(f, report) for f in corr.findings],
        "failures": failures,
        "unexplained": Rows(corr.unexplained),
        "passed": list(report.passed),
        "recovered": [
            {
                "path": r.path,
                "line": r.line,
                "text": r.text,
                "resolved_by": {
                    "path": r.resolved_by[0],
                    "line": r.resolved_by[1],
                    "text": r.resolved_by[2],
                }
                if r.resolved_by
                else None,
            }
            for r in corr.recovered
        ],
        "claim": _claim(report),
    }


def _input(s: InputStats) -> dict[str, Any]:
    out: dict[str, Any] = {
        "path": s.path,
        "formats": list(s.formats),
        "lines": s.lines,
        "events": s.events,
        "bytes": s.bytes,
        "skipped": dict(s.skipped),
    }
    if s.error:
        out["error"] = s.error
    return out


def _finding(f: Finding, report: Report) -> dict[str, Any]:
    e = f.root
    match = report.matches.get(f.id)
    pattern = match.pattern if match else None
    last = f.last
    title = pattern.title if pattern and not getattr(match, "generic", False) else None
    return {
        "id": f.id,
        "fingerprint": f.fingerprint,
        "engine": e.engine,
        "sqlstate": e.sqlstate,
        "condition": e.condition,
        "class": e.sqlclass,
        "class_meaning": sqlstate.class_meaning(e.sqlstate) if e.sqlstate else None,
        "pattern": pattern.id if pattern else None,
        # no pattern and no SQLSTATE: say what kind of line this is before quoting it
        "title": title or (describe(e) if e.sqlstate else f"database error: {describe(e)}"),
        "description": describe(e),
        "sentence": sentence(describe(e)),
        "schema": e.schema,
        "table": e.table,
        "column": e.column,
        "constraint": e.constraint,
        "referenced_table": e.referenced_table,
        "key": dict(e.key),
        "trigger": e.trigger,
        "driver": e.driver,
        "drivers": list(f.drivers),
        "message": e.message,
        "detail": e.detail,
        "hint": e.hint,
        "context": e.context,
        "statement": e.statement,
        "severity": e.severity,
        "occurrences": f.count,
        "first": {"path": e.location.path, "line": e.location.line, "time": e.time},
        "last": {"path": last.location.path, "line": last.location.line, "time": last.time},
        "explains": list(f.explains),
        "confidence": f.confidence,
        "known_issue": getattr(pattern, "known_issue", None) if pattern else None,
        "owner": getattr(pattern, "owner", None) if pattern else None,
        "verdict": getattr(pattern, "verdict", None) if pattern else None,
        "fixes": list(match.fixes) if match else [],
        "causes": [c.text for c in pattern.causes] if pattern else [],
        "docs": list(pattern.docs) if pattern else [],
        "did_you_mean": report.near_misses.get(f.id, []),
        "evidence": [
            {"path": v.path, "line": v.line, "text": v.text, "role": v.role} for v in f.evidence
        ],
        **finding_sections(f, report),
    }


def _failure(f: Failure, root: str | None, scope: str | None) -> dict[str, Any]:
    return {
        "id": f.id,
        "kind": f.kind,
        "test": f.test,
        "phase": f.phase,
        "message": f.message,
        "location": {"path": f.location.path, "line": f.location.line},
        "time": f.time,
        "root": root,
        "scope": scope,
    }


def _claim(report: Report) -> dict[str, Any] | None:
    c = report.claim
    if c is None:
        return None
    return {
        "text": c.text,
        "verdict": c.verdict,
        "reason": c.reason,
        "roots": list(c.roots),
        "evidence": [
            {"path": e.path, "line": e.line, "text": e.text, "role": e.role} for e in c.evidence
        ],
    }
