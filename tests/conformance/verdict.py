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
    """A run with one provoked error: findings[0] is that root and explains every failure."""
    if not data["findings"]:
        return ["no finding at all"]
    first = data["findings"][0]
    problems = [f"{describe(first)}: {p}" for p in field_problems(first, expect)]
    if not data["failures"]:
        problems.append("no failure seen (the HTTP 500 should be one)")
    for failure in data["failures"]:
        if failure["root"] != first["id"]:
            problems.append(
                f"failure {failure['id']} ({failure['message']!r}) has root {failure['root']}"
            )
    extra = [describe(f) for f in data["findings"][1:] if f["explains"]]
    if extra:
        problems.append(f"other findings explain failures too: {extra}")
    return problems


STRUCTURED = ("constraint", "table", "column")


def structured_problems(path: Path, data: dict[str, Any], sqlstate: str) -> list[str]:
    """node-postgres logs the server's own fields (err.code, err.table, ...): the elected root
    must agree with the logged error that carries the expected SQLSTATE."""
    if not data["findings"]:
        return []
    first = data["findings"][0]
    logged = [r for r in _pino_errors(path) if r.get("code") == sqlstate]
    problems = []
    for err in logged[:1]:
        for name in STRUCTURED:
            if err.get(name) and first.get(name) != err[name]:
                problems.append(
                    f"{name}: the driver logged {err[name]!r}, triage says {first.get(name)!r}"
                )
    return problems


def _pino_errors(path: Path) -> list[dict[str, Any]]:
    errors = []
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if isinstance(record.get("err"), dict):
            errors.append(record["err"])
    return errors
