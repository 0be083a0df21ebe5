"""Run the node side of the suite: one node process per driver, then pino-pretty over pg's logs.

The modules come from samples/generate/node (git-ignored node_modules, `npm ci` from its
package-lock.json). node/provoke.mjs reads the same case table, exported as JSON, and writes one
pino log per case (and, for pg, the console.error dump of the same errors); the real
`pino-pretty` CLI then turns each pg pino log into the human form.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.conformance import database
from tests.conformance.cases import NODE_FAMILIES, Case, node_cases
from tests.conftest import ROOT

NODE_PROJECT = ROOT / "samples" / "generate" / "node"
SCRIPT = Path(__file__).resolve().parent / "node" / "provoke.mjs"
PRETTY = NODE_PROJECT / "node_modules" / "pino-pretty" / "bin.js"
# family -> the driver name provoke.mjs takes
SCRIPT_DRIVER = {
    "node-pg": "pg",
    "postgresjs": "postgresjs",
    "knex": "knex",
    "sequelize": "sequelize",
    "typeorm": "typeorm",
}
SUFFIX = {"pino": "pino.log", "pino-pretty": "pretty.log", "inspect": "inspect.log"}
PACKAGES = ("pg", "pino", "pino-pretty", "postgres", "knex", "sequelize", "typeorm")


def install() -> str | None:
    """Make the node packages importable; the reason they are not, or None when ready."""
    if not shutil.which("node"):
        return "node is not installed"
    modules = NODE_PROJECT / "node_modules"
    if all((modules / name).is_dir() for name in PACKAGES):
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


def output(base: Path, family: str, case_id: str, fmt: str) -> Path:
    return base / family / f"{case_id}.{SUFFIX[fmt]}"


def clone_name(template: str, family: str) -> str:
    return database.clone_name(template, family.replace("-", "_"))


def prepare(template: str) -> None:
    """Each node family's own clone of the template (made before any run: no one else may be
    connected to the template while a clone is made)."""
    for family in NODE_FAMILIES:
        database.create_clone(template, clone_name(template, family))


def run_all(base: Path, template: str) -> dict[str, str | None]:
    """Provoke every node family's cases side by side, each on its clone (see prepare);
    family -> None when it ran, else why it could not."""
    reason = install()
    if reason:
        return dict.fromkeys(NODE_FAMILIES, reason)
    with ThreadPoolExecutor(max_workers=len(NODE_FAMILIES)) as pool:
        jobs = {f: pool.submit(_provoke, base, template, f) for f in NODE_FAMILIES}
        skips = {f: job.result() for f, job in jobs.items()}
    if skips["node-pg"] is None:
        skips["node-pg"] = _pretty_all(base / "node-pg")
    return skips


def _provoke(base: Path, template: str, family: str) -> str | None:
    out = base / family
    out.mkdir(parents=True, exist_ok=True)
    cases_json = out / "cases.json"
    cases_json.write_text(json.dumps([_as_json(c) for c in node_cases(family)]))
    db = clone_name(template, family)
    proc = subprocess.run(
        ["node", str(SCRIPT), SCRIPT_DRIVER[family], str(cases_json), db, str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        env=_env(),
    )
    if proc.returncode != 0:
        return f"provoke.mjs {family} exited {proc.returncode}: {proc.stderr.strip()[-500:]}"
    return None


def _as_json(case: Case) -> dict[str, object]:
    fields = ("id", "scenario", "sql", "connect")
    return {name: getattr(case, name) for name in fields} | {"sql": list(case.sql)}


def _pretty_all(directory: Path) -> str | None:
    """The real pino-pretty CLI (default options) over each pg pino log."""
    logs = sorted(directory.glob("*.pino.log"))
    with ThreadPoolExecutor(max_workers=8) as pool:
        failures = [r for r in pool.map(_pretty, logs) if r]
    return failures[0] if failures else None


def _pretty(log: Path) -> str | None:
    target = log.with_name(log.name.removesuffix(".pino.log") + ".pretty.log")
    with open(log, "rb") as source, open(target, "wb") as out:
        proc = subprocess.run(
            ["node", str(PRETTY)],
            stdin=source,
            stdout=out,
            stderr=subprocess.PIPE,
            timeout=60,
            env=_env(),
        )
    if proc.returncode != 0:
        return f"pino-pretty exited {proc.returncode} on {log.name}: {proc.stderr[-300:]!r}"
    return None


def _env() -> dict[str, str]:
    # UTC and no colours: what a CI log holds.
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "TZ": "UTC", "NO_COLOR": "1"}
