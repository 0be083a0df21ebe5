"""The conformance session: one capture for all tests, and the results the coverage table reads."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conformance.capture import Capture, capture
from tests.conftest import require_pg

# param id ("23503-fk-child/psycopg/junit") -> ("passed" | "failed" | "skipped", reason)
RESULTS: dict[str, tuple[str, str]] = {}
TABLE_ENV = "TRIAGE_CONFORMANCE_TABLE"
REUSE_ENV = "TRIAGE_CONFORMANCE_REUSE"


@pytest.fixture(scope="session")
def captured(tmp_path_factory: pytest.TempPathFactory) -> Capture:
    require_pg()
    root = tmp_path_factory.getbasetemp()
    if os.environ.get(REUSE_ENV):  # while working on triage: capture once, analyse many times
        root = Path(os.environ[REUSE_ENV])
        root.mkdir(parents=True, exist_ok=True)
    elif os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # shared by the workers: the first one captures for all
    return capture(root)


def skip_or_fail(reason: str) -> None:
    """Missing tooling fails in CI (it must be installed there) and skips elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if "tests/conformance/" not in report.nodeid or "[" not in report.nodeid:
        return
    param = report.nodeid.split("[", 1)[1].rstrip("]")
    if hasattr(report, "wasxfail"):
        RESULTS[param] = ("xfailed", report.wasxfail) if report.skipped else ("failed", "XPASS")
    elif report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else ""
        RESULTS[param] = ("skipped", reason.removeprefix("Skipped: "))
    elif report.failed:
        RESULTS[param] = ("failed", report.longreprtext.strip().splitlines()[-1][:200])
    elif report.when == "call":
        RESULTS[param] = ("passed", "")


def pytest_sessionfinish(session: pytest.Session) -> None:
    target = os.environ.get(TABLE_ENV)
    if target and RESULTS:
        from tests.conformance.table import write_table

        write_table(RESULTS, target)
