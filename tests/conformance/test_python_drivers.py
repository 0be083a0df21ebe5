"""psycopg 3, asyncpg and SQLAlchemy on psycopg: each case provoked inside a real pytest run,
read back from its terminal text, JUnit XML and reportlog; triage must elect the case's root."""

from __future__ import annotations

import pytest

from tests.conformance.capture import Capture
from tests.conformance.cases import CASES, Case, known
from tests.conformance.pyrun import FORMATS
from tests.conformance.python_module import DRIVERS
from tests.conformance.verdict import case_problems, triage

PARAMS = [
    pytest.param(case, driver, fmt, id=f"{case.id}/{driver}/{fmt}", marks=known(case, driver))
    for case in CASES
    for driver in DRIVERS
    for fmt in FORMATS
]


@pytest.mark.pg
@pytest.mark.parametrize(("case", "driver", "fmt"), PARAMS)
def test_root_elected(captured: Capture, case: Case, driver: str, fmt: str) -> None:
    run = captured.runs[(case.id, driver)]
    data = triage(str(run.output(fmt)))
    problems = case_problems(data, run.node_id(case), case.expect_for(driver))
    assert not problems, f"{run.output(fmt)} (--tb={run.style}):\n" + "\n".join(problems)
