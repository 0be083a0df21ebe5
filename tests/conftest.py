"""Shared test helpers: the repo paths, a live-PostgreSQL guard, and the --update-golden option."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden", action="store_true", help="rewrite golden reports from current output"
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


def pg_available() -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


def require_pg() -> None:
    """Tests that need the server fail in CI when it is down, and skip with a reason elsewhere."""
    if pg_available():
        return
    if os.environ.get("CI"):
        pytest.fail(
            "PostgreSQL at 127.0.0.1:5432 is not reachable in CI (.ci/run should have started it)"
        )
    pytest.skip("PostgreSQL at 127.0.0.1:5432 is not running (start it to run this test)")
