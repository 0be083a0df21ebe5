"""node-postgres with pino: each case provoked by a tiny API and logged as a user would log it;
triage must elect the case's root and explain the HTTP 500 with it."""

from __future__ import annotations

import pytest

from tests.conformance.capture import Capture
from tests.conformance.cases import CASES, Case, known
from tests.conformance.conftest import skip_or_fail
from tests.conformance.noderun import log_path
from tests.conformance.verdict import run_problems, structured_problems, triage


@pytest.mark.pg
@pytest.mark.node
@pytest.mark.parametrize(
    "case", [pytest.param(c, id=f"{c.id}/node-pg/pino", marks=known(c, "node-pg")) for c in CASES]
)
def test_root_elected(captured: Capture, case: Case) -> None:
    if captured.node_skip:
        skip_or_fail(captured.node_skip)
    path = log_path(captured.node_dir, case.id)
    data = triage(str(path))
    problems = run_problems(data, case.expect_for("node-pg"))
    problems += structured_problems(path, data, case.expect.sqlstate)
    assert not problems, f"{path}:\n" + "\n".join(problems)
