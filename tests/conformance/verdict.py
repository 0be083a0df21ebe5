"""What triage must say about one provoked case: the elected root, its fields, what it explains."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from tests.conformance.cases import Expect
from triage.inputs import testid
from triage.pipeline import Options, analyze
from triage.report import report_data

FIELDS = (
    "sqlstate",
    "condition",
    "pattern",
    "constraint",
    "table",
    "column",
    "referenced_table",
    "trigger",
)


@cache
def triage(path: str) -> dict[str, Any]:
    """triage's JSON report for one captured file (each file is analysed once per session)."""
    return report_data(analyze([path], Options()))


def field_problems(finding: dict[str, Any], expect: Expect) -> list[str]:
    """Every expected field the finding gets wrong, as 'field: want X, got Y'."""
    problems = []
    for name in FIELDS:
        want = getattr(expect, name)
        if want is not None and finding.get(name) != want:
            problems.append(f"{name}: want {want!r}, got {finding.get(name)!r}")
    if expect.key is not None and finding.get("key") != expect.key:
        problems.append(f"key: want {expect.key!r}, got {finding.get('key')!r}")
    return problems


def describe(finding: dict[str, Any] | None) -> str:
    if finding is None:
        return "no finding"
    return f"{finding['id']} {finding['fingerprint']} ({finding.get('pattern')})"


def case_problems(data: dict[str, Any], node_id: str, expect: Expect) -> list[str]:
    """One test of a pytest run: its failures share one root, that root is the expected error,
    and the root explains no other test's failure."""
    mine = [f for f in data["failures"] if f["test"] and testid.same_test(f["test"], node_id)]
    if not mine:
        tests = sorted({f["test"] for f in data["failures"] if f["test"]})
        return [f"no failure for {node_id}; failures seen: {tests}"]
    roots = {f["root"] for f in mine}
    findings = {f["id"]: f for f in data["findings"]}
    if len(roots) != 1 or None in roots:
        got = [describe(findings.get(r)) if r else "unexplained" for r in sorted(roots, key=str)]
        return [f"{node_id}: failures explained by {got}, want one root"]
    finding = findings[roots.pop()]
    problems = [f"{describe(finding)}: {p}" for p in field_problems(finding, expect)]
    failures = {f["id"]: f for f in data["failures"]}
    others = [
        failures[s]["test"] or failures[s]["message"]
        for s in finding["explains"]
        if s in failures and failures[s] not in mine
    ]
    if others:
        problems.append(f"{describe(finding)} also explains other failures: {others}")
    return problems


def run_problems(data: dict[str, Any], expect: Expect) -> list[str]:
    """A run with one provoked error: findings[0] is that root and explains the failure, the
    HTTP 500 (the only one)."""
    if not data["findings"]:
        return ["no finding at all"]
    first = data["findings"][0]
    problems = [f"{describe(first)}: {p}" for p in field_problems(first, expect)]
    if not data["failures"]:
        problems.append("no failure seen (the HTTP 500 should be one)")
    # the API logs the driver's error as it is ({err}): nothing wraps it, so no other failure
    others = [f["message"] for f in data["failures"] if f["kind"] != "http"]
    if others:
        problems.append(f"failures besides the HTTP 500: {others}")
    for failure in data["failures"]:
        if failure["root"] != first["id"]:
            problems.append(
                f"failure {failure['id']} ({failure['message']!r}) has root {failure['root']}"
            )
    extra = [describe(f) for f in data["findings"][1:] if f["explains"]]
    if extra:
        problems.append(f"other findings explain failures too: {extra}")
    return problems


def text_problems(data: dict[str, Any], expect: Expect) -> list[str]:
    """A bare error dump (console.error's inspect form): no failure to explain, so findings[0]
    must be the root with the expected fields and no other finding may claim anything."""
    if not data["findings"]:
        return ["no finding at all"]
    first = data["findings"][0]
    problems = [f"{describe(first)}: {p}" for p in field_problems(first, expect)]
    extra = [describe(f) for f in data["findings"][1:] if f["explains"]]
    if extra:
        problems.append(f"other findings explain something: {extra}")
    return problems


def absent_problems(path: Path, data: dict[str, Any], sqlstate: str) -> list[str]:
    """The driver logged no database error (Case.absent): no logged error may carry the
    SQLSTATE, and triage must elect no root rather than invent one."""
    problems = []
    if any(err.get("code") == sqlstate for err in _pino_errors(path)):
        problems.append(f"the driver printed {sqlstate} after all: drop Case.absent")
    roots = [describe(f) for f in data["findings"] if f["explains"]]
    if roots:
        problems.append(f"triage elected a root from a log with no database error: {roots}")
    return problems


# The server's fields under each driver's names: pg (and Knex, TypeORM, Sequelize's parent),
# postgres.js.
STRUCTURED = {
    "constraint": ("constraint", "constraint_name"),
    "table": ("table", "table_name"),
    "column": ("column", "column_name"),
}


def structured_problems(path: Path, data: dict[str, Any], sqlstate: str) -> list[str]:
    """The drivers log the server's own fields (err.code, err.table, ...; an ORM keeps them on
    the wrapper or under parent / original / driverError): the elected root must agree with the
    logged error that carries the expected SQLSTATE."""
    if not data["findings"]:
        return []
    first = data["findings"][0]
    logged = [r for r in _pino_errors(path) if r.get("code") == sqlstate]
    problems = []
    for err in logged[:1]:
        for name, keys in STRUCTURED.items():
            value = next((err[k] for k in keys if err.get(k)), None)
            if value and first.get(name) != value:
                problems.append(
                    f"{name}: the driver logged {value!r}, triage says {first.get(name)!r}"
                )
    return problems


def _pino_errors(path: Path) -> list[dict[str, Any]]:
    """Every error object in the log's `err` values, nested ones included (outermost first)."""
    errors: list[dict[str, Any]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if isinstance(record.get("err"), dict):
            _walk(record["err"], errors)
    return errors


def _walk(value: dict[str, Any], into: list[dict[str, Any]]) -> None:
    into.append(value)
    for child in value.values():
        if isinstance(child, dict):
            _walk(child, into)
