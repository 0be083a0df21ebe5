"""Regenerate the Python-side samples: samples/py-*/ and the Python incident stories.

Usage (from the repository root, with the project virtualenv that has the test extras):

    .venv/bin/python samples/generate/python/generate.py [CASE-NAME-OR-PREFIX ...]

Each case recreates the scratch database `triage_py` on 127.0.0.1:5432, writes a tiny user
repository into /tmp/triage_py_gen/<case>/repo, runs the real pytest there and keeps what it
wrote (terminal text, JUnit XML, reportlog), with machine paths normalised (see README.md).
Exits non-zero when any output misses the error it was meant to capture.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path[:0] = [str(HERE), str(ROOT)]

import cases_async  # noqa: E402
import cases_orm  # noqa: E402
import cases_psycopg  # noqa: E402
import incidents  # noqa: E402
from harness import Case, check_outputs, pytest_args, run_case  # noqa: E402

from triage.sqlstate import condition  # noqa: E402

SAMPLES = ROOT / "samples"
ALL_CASES: list[Case] = [
    *cases_psycopg.CASES,
    *cases_async.CASES,
    *cases_orm.CASES,
    *incidents.CASES,
]


def case_manifest(case: Case, exit_code: int) -> dict[str, object]:
    """case.json: how the run was made and which DB error each failing test shows."""
    failures = {}
    for node, cause in case.causes.items():
        failures[node] = None
        if cause is not None:
            failures[node] = {
                "engine": cause.engine,
                "sqlstate": cause.sqlstate,
                "condition": condition(cause.sqlstate) if cause.sqlstate else None,
                "constraint": cause.constraint,
                "table": cause.table,
            }
    return {
        "driver": case.driver,
        "story": case.story,
        "command": " ".join(["pytest", *pytest_args(case)]),
        "env": case.env,
        "exit_code": exit_code,
        "files": list(case.outputs),
        "failures": failures,
    }


def write_case(case: Case) -> list[str]:
    exit_code, outputs = run_case(case)
    problems = check_outputs(case, outputs)
    if exit_code != 1:
        problems.append(f"{case.name}: pytest exited {exit_code}, expected 1 (tests failed)")
    out = SAMPLES / case.name
    out.mkdir(parents=True, exist_ok=True)
    for old in out.iterdir():
        old.unlink()
    for name, text in outputs.items():
        (out / name).write_text(text, encoding="utf-8")
    if case.expected is not None:
        doc = json.dumps(case.expected, indent=2) + "\n"
        (out / "expected.json").write_text(doc, encoding="utf-8")
    else:
        doc = json.dumps(case_manifest(case, exit_code), indent=2) + "\n"
        (out / "case.json").write_text(doc, encoding="utf-8")
    return problems


def main(argv: list[str]) -> int:
    chosen = [c for c in ALL_CASES if not argv or any(c.name.startswith(a) for a in argv)]
    problems: list[str] = []
    for case in chosen:
        found = write_case(case)
        print(f"{case.name:40} {'ok' if not found else 'PROBLEM'}")
        problems += found
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
