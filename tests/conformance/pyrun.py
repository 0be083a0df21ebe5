"""Run the generated driver modules under the real pytest and keep what it wrote.

Cases are spread over the --tb styles deterministically; each (driver, style) group is one pytest
subprocess on its own scratch database (cloned from a template), so groups can run side by side
without their locks and rows meeting. Each run leaves terminal text, JUnit XML and a reportlog.
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tests.conformance import database
from tests.conformance.cases import CASES, Case
from tests.conformance.python_module import DRIVERS, module_source

STYLES = ("auto", "short", "native", "line")
FORMATS = {"terminal": "run.log", "junit": "junit.xml", "reportlog": "reportlog.jsonl"}


@dataclass(frozen=True)
class Run:
    """One pytest subprocess: its driver, --tb style, cases and output directory."""

    driver: str
    style: str
    cases: tuple[Case, ...]
    directory: Path
    db: str

    @property
    def module(self) -> str:
        return f"test_conf_{self.driver}_{self.style}.py"

    def node_id(self, case: Case) -> str:
        return f"{self.module}::{case.test_name}"

    def output(self, fmt: str) -> Path:
        return self.directory / FORMATS[fmt]


def style_of(driver: str, index: int, case: Case) -> str:
    """The --tb style a case runs under: rotates with the case and driver; a root that only the
    exception chain shows never gets --tb=line (which prints the last exception alone)."""
    pick = (index + DRIVERS.index(driver)) % len(STYLES)
    if case.chain and STYLES[pick] == "line":
        pick = (pick + 1) % len(STYLES)
    return STYLES[pick]


def plan(base: Path, template: str) -> list[Run]:
    """Every (driver, style) group with its cases, in a fixed order."""
    runs = []
    for driver in DRIVERS:
        groups: dict[str, list[Case]] = {style: [] for style in STYLES}
        for index, case in enumerate(CASES):
            groups[style_of(driver, index, case)].append(case)
        for style, cases in groups.items():
            if cases:
                db = database.clone_name(template, driver, style)
                runs.append(Run(driver, style, tuple(cases), base / f"{driver}-{style}", db))
    return runs


def execute(run: Run) -> int:
    """Write the module and run pytest on it; the failing tests are the point."""
    run.directory.mkdir(parents=True, exist_ok=True)
    (run.directory / "pytest.ini").write_text("[pytest]\n")
    (run.directory / run.module).write_text(module_source(run.driver, run.db, list(run.cases)))
    args = [
        sys.executable,
        "-m",
        "pytest",
        run.module,
        "-p",
        "no:cacheprovider",
        "-p",
        "no:randomly",
        f"--tb={run.style}",
        f"--junitxml={FORMATS['junit']}",
        f"--report-log={FORMATS['reportlog']}",
    ]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_ADDOPTS", "PYTHONPATH")}
    env.update({"PYTHONDONTWRITEBYTECODE": "1", "COLUMNS": "120"})
    with open(run.output("terminal"), "wb") as out:
        proc = subprocess.run(
            args, cwd=run.directory, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=300
        )
    return proc.returncode


def run_all(base: Path, template: str) -> dict[tuple[str, str], Run]:
    """Run every group (a few at a time); the runs indexed by (case id, driver)."""
    runs = plan(base, template)
    for run in runs:
        database.create_clone(template, run.db)
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(execute, runs))
    return index(runs)


def index(runs: list[Run]) -> dict[tuple[str, str], Run]:
    return {(case.id, r.driver): r for r in runs for case in r.cases}
