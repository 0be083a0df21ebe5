"""Every bundled sample is a test: incidents are scored against expected.json, and every sample's
report is compared with its reviewed golden copy in tests/golden/ (`pytest --update-golden`)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, SAMPLES
from triage.inputs import testid
from triage.pipeline import Options, analyze
from triage.render import render
from triage.report import report_data

GOLDEN = ROOT / "tests" / "golden"


def sample_dirs() -> list[Path]:
    if not SAMPLES.is_dir():
        return []
    return sorted(
        p for p in SAMPLES.iterdir() if p.is_dir() and p.name != "generate" and any(p.iterdir())
    )


def incident_dirs() -> list[Path]:
    return [p for p in sample_dirs() if (p / "expected.json").is_file()]


def run(case: Path, reported: str | None = None) -> dict[str, Any]:
    inputs = [
        str(case.relative_to(ROOT))
    ]  # the directory, as a user runs it (.triageignore applies)
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        return report_data(analyze(inputs, Options(reported=reported, cwd=str(ROOT))))
    finally:
        os.chdir(cwd)


@pytest.mark.parametrize("case", incident_dirs(), ids=lambda p: p.name)
def test_incident_matches_expected(case: Path) -> None:
    expected = json.loads((case / "expected.json").read_text())
    data = run(case, expected.get("reported"))
    failures = {f["id"]: f for f in data["failures"]}
    want_roots = expected["roots"]
    # Roots are the findings that explain failures; in a log with no failing test (a service log
    # alone) every finding is a root. Findings that explain nothing in a run with failures are
    # errors the run survived (a handled violation), listed but not roots.
    no_tests = bool(want_roots) and not any(r.get("explains") for r in want_roots)
    got_roots = [f for f in data["findings"] if f["explains"] or no_tests]
    assert len(got_roots) >= len(want_roots), (
        f"roots found: {[f['fingerprint'] for f in got_roots]}"
    )
    for want, got in zip(want_roots, got_roots, strict=False):
        assert got["sqlstate"] == want["sqlstate"], (want, got["fingerprint"])
        for key in ("constraint", "table"):
            if want.get(key):
                assert got[key] == want[key], (key, want, got["fingerprint"])
        explained_tests = [failures[i]["test"] for i in got["explains"] if failures[i]["test"]]
        for test in want.get("explains", []):
            assert any(testid.same_test(test, t) for t in explained_tests), (test, explained_tests)
    assert len(got_roots) == len(want_roots), (
        f"extra roots: {[f['fingerprint'] for f in got_roots[len(want_roots) :]]}"
    )
    unexplained_tests = [failures[i]["test"] or failures[i]["message"] for i in data["unexplained"]]
    for test in expected.get("unexplained", []):
        assert any(testid.same_test(test, t) for t in unexplained_tests), (test, unexplained_tests)
    if expected.get("claim"):
        assert data["claim"]["verdict"] == expected["claim"], data["claim"]


@pytest.mark.parametrize("case", sample_dirs(), ids=lambda p: p.name)
def test_golden_report(case: Path, update_golden: bool) -> None:
    expected = case / "expected.json"
    reported = json.loads(expected.read_text()).get("reported") if expected.is_file() else None
    data = run(case, reported)
    for fmt, suffix in (("json", "json"), ("md", "md")):
        got = render(data, fmt)
        golden = GOLDEN / f"{case.name}.{suffix}"
        if update_golden or not golden.exists():
            golden.parent.mkdir(parents=True, exist_ok=True)
            golden.write_text(got)
            if not update_golden:
                pytest.fail(
                    f"golden {golden.name} was missing and has been written: review and commit it"
                )
        assert got == golden.read_text(), (
            f"{golden} differs: review the change, then pytest --update-golden"
        )


@pytest.mark.parametrize("case", sample_dirs(), ids=lambda p: p.name)
def test_golden_report_with_every_error_in_the_store_file(
    case: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same reviewed report when the errors kept for correlation go to the ErrorStore's
    SQLite file from the first one (a log of many errors), not its in-memory form."""
    from triage.correlate import store

    golden = GOLDEN / f"{case.name}.json"
    if not golden.exists():
        pytest.skip("no golden yet (test_golden_report writes it)")
    monkeypatch.setattr(store, "SPILL", 0)
    expected = case / "expected.json"
    reported = json.loads(expected.read_text()).get("reported") if expected.is_file() else None
    assert render(run(case, reported), "json") == golden.read_text()
