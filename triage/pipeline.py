"""The analysis pipeline: read -> observe/extract -> correlate -> catalog -> claim -> Report."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from triage.correlate import Correlation, ErrorStore, FailureSpool, correlate
from triage.inputs import ReadResult, read_inputs
from triage.model import InputStats
from triage.observe import Passed, observe

if TYPE_CHECKING:
    from triage.claim import ClaimResult


@dataclass(frozen=True)
class Options:
    reported: str | None = None
    pattern_dirs: tuple[str, ...] = ()
    window: float = (
        5.0  # seconds before a failure searched for its root when nothing tighter links them
    )
    cwd: str | None = None
    exclude: tuple[str, ...] = ()  # globs of files to leave out of walked directories
    labels: tuple[tuple[str, str], ...] = ()  # (path, name shown in the report), e.g. a run's spool
    schema_paths: tuple[str, ...] = ()  # --schema; empty: migrations discovered under cwd


@dataclass(frozen=True)
class Report:
    inputs: tuple[InputStats, ...]
    correlation: Correlation
    matches: dict[str, Any] = field(default_factory=dict)  # finding id -> catalog.Match | None
    claim: ClaimResult | None = None
    near_misses: dict[str, list[str]] = field(default_factory=dict)  # finding id -> did-you-mean
    lifecycles: dict[str, Any] = field(default_factory=dict)  # finding id -> lifecycle.Lifecycle
    schema: Any = None  # schema.Schema read from the migrations, or None
    passed: tuple[str, ...] = ()  # ids of the tests that passed (flaky detection, claim check)


def analyze(
    paths: Sequence[str],
    options: Options = Options(),
    progress: Callable[[str, int], None] | None = None,
) -> Report:
    """Analyze the given inputs ("-" is stdin; directories are walked)."""
    from triage.catalog import load_catalog

    catalog = load_catalog(options.pattern_dirs, cwd=options.cwd)
    result = ReadResult()
    with (
        spooled_stdin(paths) as (real_paths, display),
        ErrorStore() as store,
        FailureSpool() as spool,
    ):
        display = {**display, **dict(options.labels)}
        passed: list[Passed] = []
        events = read_inputs(real_paths, result, progress, options.exclude)
        observations = observe(_shown(events, display), passed, store, spool=spool)
        corr = correlate(observations, store, options.window, spool)
        del observations
        lifecycles = _lifecycles(real_paths, corr, display, options.exclude, store)
    stats = tuple(replace(s, path=display.get(s.path, s.path)) for s in result.stats)
    matches: dict[str, Any] = {}
    near: dict[str, list[str]] = {}
    for finding in corr.findings:
        match = catalog.match(finding.root)
        matches[finding.id] = match
        name = finding.root.constraint or finding.root.table
        if name and (match is None or not match.pattern.local):
            hints = [h for h in catalog.did_you_mean(name) if h != name]
            if hints:
                near[finding.id] = hints
    claim = _claim(options.reported, corr, passed) if options.reported else None
    passed_ids = tuple(dict.fromkeys(p.test for p in passed))
    return Report(stats, corr, matches, claim, near, lifecycles, _schema(options), passed_ids)


# --- stdin spooling and the report's second pass (lifecycle, schema) -------------------------
# The key lifecycle reads the inputs a second time; stdin cannot be re-read, so it is copied to
# a temporary file first and every path and event read from that file is shown as "<stdin>".


@contextmanager
def spooled_stdin(paths: Sequence[str]) -> Iterator[tuple[list[str], dict[str, str]]]:
    """The paths with "-" replaced by a temporary copy of stdin, and that copy's display name."""
    if "-" not in paths:
        yield list(paths), {}
        return
    fd, tmp = tempfile.mkstemp(prefix="triage-stdin-")
    try:
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(sys.stdin.buffer, out, 8 << 20)
        yield [tmp if p == "-" else p for p in paths], {tmp: "<stdin>"}
    finally:
        os.unlink(tmp)


def _shown(events: Iterator[Any], display: dict[str, str]) -> Iterator[Any]:
    if not display:
        yield from events
        return
    for ev in events:
        yield replace(ev, path=display[ev.path]) if ev.path in display else ev


def _lifecycles(
    paths: list[str],
    corr: Correlation,
    display: dict[str, str],
    exclude: tuple[str, ...],
    store: ErrorStore,
) -> dict[str, Any]:
    from triage.lifecycle import trace

    return trace(paths, corr.findings, store.occurred, display, exclude)


def _claim(reported: str, corr: Correlation, passed: list[Passed]) -> ClaimResult:
    from triage.claim import check_claim  # with fuzzy matching: only when a claim is given

    return check_claim(reported, corr, passed)


def _schema(options: Options) -> Any:
    if not options.schema_paths and options.cwd is None:
        return None
    from triage.schema import load_schema

    return load_schema(options.schema_paths, options.cwd)
