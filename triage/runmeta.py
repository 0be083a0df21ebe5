"""Run metadata (id, commit, branch, job, time, url): from options, a run dir's file, or CI variables.

Precedence, strongest first: command-line options, the run directory's ``triage-run.json``
(written by ``triage run --meta``, or by any CI step), the CI environment (GitHub Actions,
GitLab CI, Buildkite), then fallbacks (the directory's name and modification time).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime

META_FILE = "triage-run.json"


@dataclass(frozen=True)
class RunMeta:
    run_id: str | None = None
    commit: str | None = None
    branch: str | None = None
    job: str | None = None
    time: str | None = None  # ISO 8601, UTC
    url: str | None = None

    def over(self, weaker: RunMeta) -> RunMeta:
        """This metadata with its gaps filled from ``weaker``."""
        return replace(
            self, **{f.name: getattr(self, f.name) or getattr(weaker, f.name) for f in fields(self)}
        )

    def as_dict(self) -> dict[str, str | None]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def from_env(env: Mapping[str, str]) -> RunMeta:
    """The CI system's own variables; empty RunMeta outside CI."""
    if env.get("GITHUB_ACTIONS") == "true":
        run = env.get("GITHUB_RUN_ID")
        attempt = env.get("GITHUB_RUN_ATTEMPT")
        server, repo = (
            env.get("GITHUB_SERVER_URL", "https://github.com"),
            env.get("GITHUB_REPOSITORY"),
        )
        return RunMeta(
            run_id=f"{run}.{attempt}" if run and attempt and attempt != "1" else run,
            commit=env.get("GITHUB_SHA"),
            # GITHUB_HEAD_REF is the PR's branch; GITHUB_REF_NAME would be "123/merge" there.
            branch=env.get("GITHUB_HEAD_REF") or env.get("GITHUB_REF_NAME"),
            job=env.get("GITHUB_JOB"),
            url=f"{server}/{repo}/actions/runs/{run}" if run and repo else None,
        )
    if env.get("GITLAB_CI") == "true":
        return RunMeta(
            run_id=env.get("CI_PIPELINE_ID"),
            commit=env.get("CI_COMMIT_SHA"),
            branch=env.get("CI_COMMIT_REF_NAME"),
            job=env.get("CI_JOB_NAME"),
            time=normalise_time(env.get("CI_JOB_STARTED_AT") or env.get("CI_PIPELINE_CREATED_AT")),
            url=env.get("CI_JOB_URL") or env.get("CI_PIPELINE_URL"),
        )
    if env.get("BUILDKITE") == "true":
        return RunMeta(
            run_id=env.get("BUILDKITE_BUILD_NUMBER") or env.get("BUILDKITE_BUILD_ID"),
            commit=env.get("BUILDKITE_COMMIT"),
            branch=env.get("BUILDKITE_BRANCH"),
            job=env.get("BUILDKITE_STEP_KEY") or env.get("BUILDKITE_LABEL"),
            url=env.get("BUILDKITE_BUILD_URL"),
        )
    return RunMeta()


def write_file(run_dir: str, meta: RunMeta, run: Mapping[str, object]) -> str:
    """Write ``triage-run.json`` into run_dir (made if missing): the metadata and a "run" block."""
    os.makedirs(run_dir, exist_ok=True)
    path = os.path.join(run_dir, META_FILE)
    with open(path, "w", encoding="utf-8") as fh:
        json.dump({**meta.as_dict(), "run": dict(run)}, fh, indent=2)
        fh.write("\n")
    return path


def from_file(run_dir: str) -> RunMeta:
    """``triage-run.json`` in the run directory; a broken file is ignored, not fatal."""
    path = os.path.join(run_dir, META_FILE)
    try:
        with open(path, "rb") as fh:
            raw = json.loads(fh.read())
    except (OSError, ValueError):
        return RunMeta()
    if not isinstance(raw, dict):
        return RunMeta()
    if isinstance(raw.get("run"), dict):  # a triage report with a "run" block
        raw = {**raw["run"], **raw}
    aliases = {
        "run_id": ("run_id", "id"),
        "commit": ("commit", "sha"),
        "branch": ("branch", "ref"),
        "job": ("job",),
        "time": ("time", "started_at"),
        "url": ("url",),
    }
    values: dict[str, str | None] = {}
    for name, keys in aliases.items():
        found = next(
            (raw[k] for k in keys if isinstance(raw.get(k), str | int) and raw[k] != ""), None
        )
        values[name] = str(found) if found is not None else None
    values["time"] = normalise_time(values["time"])
    return RunMeta(**values)


def fallback(run_dir: str) -> RunMeta:
    """The directory's own name and modification time."""
    name = os.path.basename(os.path.normpath(run_dir)) or run_dir
    try:
        mtime = os.stat(run_dir).st_mtime
    except OSError:
        mtime = datetime.now(UTC).timestamp()
    return RunMeta(
        run_id=name,
        job=name,
        time=datetime.fromtimestamp(mtime, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )


def resolve(run_dir: str, options: RunMeta, env: Mapping[str, str], several: bool) -> RunMeta:
    """The metadata of one run directory.

    With several directories in one call, the CI environment describes the summary job, not each
    artifact: it still gives the run id, commit and branch, but each directory keeps its own job name.
    """
    ci = from_env(env)
    if several:
        ci = replace(ci, job=None)
        options = replace(options, job=None)
    meta = options.over(from_file(run_dir)).over(ci).over(fallback(run_dir))
    return replace(meta, time=normalise_time(meta.time))


def normalise_time(value: str | None) -> str | None:
    """Any ISO 8601 form (or epoch seconds) as UTC ``YYYY-MM-DDTHH:MM:SSZ``; unparseable text kept."""
    if not value:
        return None
    text = value.strip()
    try:
        if text.replace(".", "", 1).isdigit():
            moment = datetime.fromtimestamp(float(text), UTC)
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
    except ValueError:
        return text
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
