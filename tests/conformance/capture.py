"""One capture per test session: every driver run, once, whoever (which xdist worker) asks first.

The first process to take the lock creates the scratch databases, runs the Python drivers' pytest
subprocesses and the node drivers side by side, drops the databases and writes `done.json`; the
others wait for the lock and read the same files.
"""

from __future__ import annotations

import fcntl
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tests.conformance import database, noderun, pyrun


@dataclass(frozen=True)
class Capture:
    """Where the outputs are: Python runs by (case id, driver), the node outputs' directory."""

    runs: dict[tuple[str, str], pyrun.Run]
    node_dir: Path
    node_skips: dict[str, str | None]  # node family -> why it did not run, or None

    def node_output(self, family: str, case_id: str, fmt: str) -> Path:
        return noderun.output(self.node_dir, family, case_id, fmt)


def capture(root: Path) -> Capture:
    base = root / "conformance"
    with open(root / "conformance.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = base / "done.json"
        if not done.exists():
            _capture(base, done)
        state = json.loads(done.read_text())
    runs = pyrun.index(pyrun.plan(base / "python", state["template"]))
    return Capture(runs, base / "node", state["node_skips"])


def _capture(base: Path, done: Path) -> None:
    template = database.template_name()
    database.create_template(template)
    noderun.prepare(template)
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            node = pool.submit(noderun.run_all, base / "node", template)
            pyrun.run_all(base / "python", template)
            node_skips = node.result()
    finally:
        database.drop(template)
    done.write_text(json.dumps({"template": template, "node_skips": node_skips}))
