"""The nightly summary: runs compared with their history — new, recurring, regressed, resolved, flaky.

A *run* is every record sharing one run id (the jobs of one CI run); records are the analyzed run
directories. The runs recorded by this call are "current"; every earlier run of the same branch is
the baseline they are compared with.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from triage.history import RunRecord
from triage.runmeta import RunMeta

SCHEMA = "triage/summary@1"
TREND_RUNS = 20  # runs shown in a trend
RESOLVED_WINDOW = 5  # a fingerprint absent now but seen in this many previous runs is "resolved"
SPARKS = "▁▂▃▄▅▆▇█"
FINDING_KEYS = (
    "title",
    "sqlstate",
    "condition",
    "class",
    "constraint",
    "table",
    "engine",
    "known_issue",
    "owner",
    "verdict",
    "pattern",
)


def record_from_report(
    data: dict[str, Any], meta: RunMeta, recorded_at: str | None = None
) -> RunRecord:
    """A report dict (design §6) reduced to what the history keeps."""
    failures = {f["id"]: f for f in data.get("failures", [])}
    findings = []
    for f in data.get("findings", []):
        tests = sorted(
            {
                failures[i]["test"]
                for i in f.get("explains", [])
                if i in failures and failures[i].get("test")
            }
        )
        row = {k: f.get(k) for k in FINDING_KEYS}
        row.update(
            fingerprint=f["fingerprint"],
            occurrences=f.get("occurrences", 1),
            tests=tests,
            explains=len(f.get("explains", [])),
        )
        findings.append(row)
    kept = tuple(
        {
            "id": f["id"],
            "kind": f.get("kind"),
            "test": f.get("test"),
            "root": f.get("root"),
            "message": (f.get("message") or "")[:500],
            "location": f.get("location"),
        }
        for f in data.get("failures", [])
    )
    return RunRecord(
        run_id=meta.run_id or "run",
        job=meta.job or "",
        started_at=meta.time or _now(),
        commit=meta.commit,
        branch=meta.branch,
        url=meta.url,
        recorded_at=recorded_at or _now(),
        findings=tuple(findings),
        failures=kept,
        passed=tuple(_test_names(data.get("passed") or [])),
    )


def _test_names(items: list[Any]) -> list[str]:
    """The report's passing tests, as ids or as {"test": id, ...} dicts."""
    names = [i.get("test") if isinstance(i, dict) else i for i in items]
    return [n for n in names if isinstance(n, str) and n]


@dataclass(frozen=True)
class _Run:
    run_id: str
    records: tuple[RunRecord, ...]

    @property
    def time(self) -> str:
        return min(r.started_at for r in self.records)

    @property
    def commit(self) -> str | None:
        return next((r.commit for r in self.records if r.commit), None)

    def fingerprints(self) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for rec in self.records:
            for f in rec.findings:
                out[f["fingerprint"]].append(f)
        return out


def group_runs(records: list[RunRecord]) -> list[_Run]:
    """Records grouped by run id, oldest run first."""
    by_id: dict[str, list[RunRecord]] = defaultdict(list)
    for rec in records:
        by_id[rec.run_id].append(rec)
    runs = [_Run(rid, tuple(recs)) for rid, recs in by_id.items()]
    return sorted(runs, key=lambda r: (r.time, r.run_id))


def summarize(history: list[RunRecord], current: set[str], store: str = "") -> dict[str, Any]:
    """The summary data that every template and the JSON output render."""
    runs = group_runs(history)
    now = [r for r in runs if r.run_id in current]
    start = min((r.time for r in now), default="")
    baseline = [r for r in runs if r.run_id not in current and r.time <= start]
    window = (baseline + now)[-TREND_RUNS:]
    seen_now: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for run in now:
        for fp, rows in run.fingerprints().items():
            seen_now[fp].extend(rows)
    prior = [run.fingerprints() for run in baseline]
    every = [run.fingerprints() for run in runs]
    statuses = []
    for fp in sorted(set(seen_now) | {fp for p in prior[-RESOLVED_WINDOW:] for fp in p}):
        entry = _fingerprint(fp, seen_now.get(fp, []), prior, runs, every, window)
        if entry:
            statuses.append(entry)
    order = {"new": 0, "regressed": 1, "recurring": 2, "resolved": 3}
    statuses.sort(key=lambda e: (order[e["status"]], -e["tests_affected"], e["fingerprint"]))
    records = [rec for run in now for rec in run.records]
    failures = [dict(f, run_id=rec.run_id, job=rec.job) for rec in records for f in rec.failures]
    explained = sum(1 for f in failures if f.get("root"))
    return {
        "schema": SCHEMA,
        "generated_at": _now(),
        "history": {"store": store, "runs": len(runs), "baseline": len(baseline)},
        "runs": [_run_row(rec) for rec in records],
        "totals": {
            "failures": len(failures),
            "explained": explained,
            "unexplained": len(failures) - explained,
            "classification_rate": round(explained / len(failures), 3) if failures else None,
            "findings": len(seen_now),
        },
        "counts": {s: sum(1 for e in statuses if e["status"] == s) for s in order},
        "fingerprints": [e for e in statuses if e["status"] != "resolved"],
        "resolved": [e for e in statuses if e["status"] == "resolved"],
        "flaky": flaky_tests([rec for run in runs for rec in run.records], current),
        "unexplained": [f for f in failures if not f.get("root")],
        "known_issues": [e for e in statuses if e["known_issue"] and e["status"] != "resolved"],
        "trend": [
            {
                "run_id": run.run_id,
                "time": run.time,
                "commit": run.commit,
                "failures": sum(len(r.failures) for r in run.records),
                "explained": sum(r.explained for r in run.records),
                "findings": len(run.fingerprints()),
            }
            for run in window
        ],
    }


def _fingerprint(
    fp: str,
    rows_now: list[dict[str, Any]],
    prior: list[dict[str, list[dict[str, Any]]]],
    runs: list[_Run],
    every: list[dict[str, list[dict[str, Any]]]],
    window: list[_Run],
) -> dict[str, Any] | None:
    present = [fp in p for p in prior]
    gone_for = (
        len(present) - (max(i for i, x in enumerate(present) if x) + 1) if any(present) else 0
    )
    if rows_now:
        status = "new" if not any(present) else "recurring" if present[-1] else "regressed"
    elif any(present[-RESOLVED_WINDOW:]):
        status = "resolved"
    else:
        return None
    idx = [i for i, p in enumerate(every) if fp in p]
    first, last = runs[idx[0]], runs[idx[-1]]
    rows = rows_now or every[idx[-1]][fp]
    trend = [
        sum(int(r.get("occurrences") or 0) for r in run.fingerprints().get(fp, []))
        for run in window
    ]
    tests = sorted({t for r in rows for t in r.get("tests", [])})
    info = {k: next((r.get(k) for r in rows if r.get(k)), None) for k in FINDING_KEYS}
    return {
        "fingerprint": fp,
        "status": status,
        **info,
        "gone_for": gone_for if status == "regressed" else 0,
        "first_seen": {"run_id": first.run_id, "commit": first.commit, "time": first.time},
        "last_seen": {"run_id": last.run_id, "commit": last.commit, "time": last.time},
        "runs_affected": len(idx),
        "runs_total": len(runs),
        "occurrences": sum(int(r.get("occurrences") or 0) for r in rows_now),
        "tests": tests,
        "tests_affected": len(tests),
        "trend": trend,
        "spark": spark(trend),
    }


def flaky_tests(records: list[RunRecord], current: set[str]) -> list[dict[str, Any]]:
    """Tests that failed and passed on the same commit (in two runs, or on a retry in one run).

    A pass is one the report listed (its "passed" key). A record without such a list counts a
    test as passed when another record of the same commit and job failed it and this one did not.
    Only commits of the current runs are considered.
    """
    commits = {r.commit for r in records if r.run_id in current and r.commit}
    out = []
    for commit in sorted(commits):
        recs = [r for r in records if r.commit == commit]
        failing = [{f["test"] for f in r.failures if f.get("test")} for r in recs]
        failed_in: dict[str, list[str]] = defaultdict(list)
        passed_in: dict[str, list[str]] = defaultdict(list)
        jobs: dict[str, set[str]] = defaultdict(set)
        for rec, tests in zip(recs, failing, strict=True):
            for test in tests:
                failed_in[test].append(rec.run_id)
                jobs[test].add(rec.job)
        for rec, tests in zip(recs, failing, strict=True):
            if rec.passed:
                seen = set(rec.passed) & set(failed_in)
            else:
                seen = {t for t in failed_in if t not in tests and rec.job in jobs[t]}
            for test in seen:
                passed_in[test].append(rec.run_id)
        for test in sorted(set(failed_in) & set(passed_in)):
            out.append(
                {
                    "test": test,
                    "commit": commit,
                    "jobs": sorted(jobs[test]),
                    "failed_in": failed_in[test],
                    "passed_in": passed_in[test],
                    "retried": bool(set(failed_in[test]) & set(passed_in[test])),
                }
            )
    return out


def spark(values: list[int]) -> str:
    """A one-line trend: a block per run, height by count, a dot where the run did not have it."""
    top = max(values, default=0) or 1
    return "".join(
        "·" if v == 0 else SPARKS[min(len(SPARKS) - 1, (v * len(SPARKS) - 1) // top)]
        for v in values
    )


def should_fail(summary: dict[str, Any], fail_on: str) -> bool:
    """--fail-on new: a new or regressed root cause; any: any root cause in the current runs."""
    if fail_on == "new":
        return any(e["status"] in ("new", "regressed") for e in summary["fingerprints"])
    if fail_on == "any":
        return bool(summary["fingerprints"])
    return False


def _run_row(rec: RunRecord) -> dict[str, Any]:
    return {
        "run_id": rec.run_id,
        "job": rec.job,
        "commit": rec.commit,
        "branch": rec.branch,
        "time": rec.started_at,
        "url": rec.url,
        "failures": len(rec.failures),
        "explained": rec.explained,
        "findings": len(rec.findings),
    }


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
