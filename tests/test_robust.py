"""No input, however broken, makes triage raise: readers, extractor and correlator end to end."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from triage.pipeline import Options, analyze
from triage.report import report_data

# Bytes that steer the sniffers into every reader: JSON, XML, csvlog, pytest, server log, pino-pretty.
SEEDS = [
    b'{"level":50,"time":1795221521484,"err":{"type":"DatabaseError","code":"23505"',
    b'<?xml version="1.0"?><testsuites><testsuite><testcase name="t"><failure message="x">',
    b'2026-11-21 00:36:15.866 UTC,"postgres","shop",7730,"[local]",6b00e77f.1e32,6,"INSERT",',
    b"=================================== FAILURES ===================================\n___ test_x ___\nE   psycopg2.errors.UniqueViolation: dup\n",
    b'2026-11-21 00:36:15.869 UTC [7730] ERROR:  duplicate key value violates unique constraint "k"\n\tDETAIL',
    b'[00:38:41.483] ERROR (api/12052): query failed\n    err: {\n      "stack":\n',
    b'Traceback (most recent call last):\n  File "x", line 1\npsycopg2.errors.UniqueViolation: duplicate key',
    b"\x1f\x8b\x08\x00",
    b"\xff\xfe{\x00",
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.sampled_from(SEEDS),
    tail=st.binary(max_size=600),
    name=st.sampled_from(["run.log", "junit.xml", "x.gz", "pg.csv"]),
)
def test_analyze_never_raises_on_arbitrary_bytes(seed: bytes, tail: bytes, name: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(seed + tail + b"\n" + seed[: len(tail) % 40])
        data = report_data(analyze([str(path)], Options(reported="user creation fails")))
        assert data["schema"] == "triage/report@1"
        assert data["inputs"][0]["path"] == str(path)


def test_a_record_with_an_infinite_level_beside_another_is_read(tmp_path: Path) -> None:
    """Two records on one line are read with Python's json, which takes -Infinity: the level
    is the lowest, and the database error beside it is still found."""
    log = tmp_path / "two-writers.log"
    log.write_text(
        '{"level":-Infinity,"msg":"x"} {"level":50,"msg":"duplicate key value violates unique'
        ' constraint \\"users_email_key\\""}\n'
    )
    data = report_data(analyze([str(log)], Options()))
    assert [f["constraint"] for f in data["findings"]] == ["users_email_key"]
