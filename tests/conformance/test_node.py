"""The node side: node `pg` (read back from its pino log, that log through the real pino-pretty,
and console.error's inspect dump), postgres.js with pino, and Knex / Sequelize / TypeORM / Prisma 7
on pg with pino (Prisma's errors also as console.error prints them). Each case is provoked by a tiny API; triage must elect the case's root and explain the
HTTP 500 with it."""

from __future__ import annotations

import pytest

from tests.conformance.capture import Capture
from tests.conformance.cases import NODE_FAMILIES, NODE_FORMATS, Case, known, node_cases
from tests.conformance.conftest import skip_or_fail
from tests.conformance.verdict import (
    absent_problems,
    run_problems,
    structured_problems,
    text_problems,
    triage,
)

PARAMS = [
    pytest.param(case, family, fmt, id=f"{case.id}/{family}/{fmt}", marks=known(case, family))
    for family in NODE_FAMILIES
    for case in node_cases(family)
    for fmt in NODE_FORMATS[family]
]


@pytest.mark.pg
@pytest.mark.node
@pytest.mark.parametrize(("case", "family", "fmt"), PARAMS)
def test_root_elected(captured: Capture, case: Case, family: str, fmt: str) -> None:
    skipped = captured.node_skips[family]
    if skipped:
        skip_or_fail(skipped)
    path = captured.node_output(family, case.id, fmt)
    data = triage(str(path))
    if family in case.absent:
        problems = absent_problems(path, data, case.expect.sqlstate)
    elif fmt == "inspect":
        problems = text_problems(data, case.expect_for(family, fmt))
    else:
        problems = run_problems(data, case.expect_for(family, fmt))
    if fmt == "pino" and family not in case.absent:
        problems += structured_problems(path, data, case.expect.sqlstate)
    assert not problems, f"{path}:\n" + "\n".join(problems)
