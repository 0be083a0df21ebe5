"""Run the node `pg` + pino side of the suite: install from the committed lockfile, provoke, log.

The modules come from samples/generate/node (git-ignored node_modules, `npm ci` from its
package-lock.json). provoke.mjs reads the same case table, exported as JSON, and writes one pino
log per case.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
from pathlib import Path

from tests.conformance.cases import CASES
from tests.conftest import ROOT

NODE_PROJECT = ROOT / "samples" / "generate" / "node"
SCRIPT = Path(__file__).resolve().parent / "node" / "provoke.mjs"


def install() -> str | None:
    """Make pg and pino importable; the reason they are not, or None when ready."""
    if not shutil.which("node"):
        return "node is not installed"
    if (NODE_PROJECT / "node_modules" / "pg").is_dir() and (
        NODE_PROJECT / "node_modules" / "pino"
    ).is_dir():
        return None
    if not shutil.which("npm"):
        return "npm is not installed, so samples/generate/node/node_modules cannot be installed"
    proc = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund"],
        cwd=NODE_PROJECT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return f"npm ci in samples/generate/node failed: {' | '.join(tail)}"
    return None


def log_path(base: Path, case_id: str) -> Path:
    return base / f"{case_id}.pino.log"


def run(base: Path, database: str) -> str | None:
    """Provoke every case through node pg; None when node ran, else why it could not."""
    reason = install()
    if reason:
        return reason
    base.mkdir(parents=True, exist_ok=True)
    table = [{k: v for k, v in dataclasses.asdict(c).items() if k != "expect"} for c in CASES]
    cases_json = base / "cases.json"
    cases_json.write_text(json.dumps(table))
    proc = subprocess.run(
        ["node", str(SCRIPT), str(cases_json), database, str(base)],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": _path(), "TZ": "UTC", "NO_COLOR": "1"},
    )
    if proc.returncode != 0:
        return f"provoke.mjs exited {proc.returncode}: {proc.stderr.strip()[-500:]}"
    return None


def _path() -> str:
    import os

    return os.environ.get("PATH", "/usr/bin:/bin")
