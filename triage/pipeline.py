"""The analysis pipeline: read -> observe/extract -> correlate -> catalog -> claim -> Report."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from triage.claim import ClaimResult, check_claim
from triage.correlate import Correlation, correlate
from triage.inputs import ReadResult, read_inputs
from triage.model import InputStats
from triage.observe import observe


@dataclass(frozen=True)
class Options:
    reported: str | None = None
    pattern_dirs: tuple[str, ...] = ()
    window: float = (
        5.0  # seconds before a failure searched for its root when nothing tighter links them
    )
    cwd: str | None = None


@dataclass(frozen=True)
class Report:
    inputs: tuple[InputStats, ...]
    correlation: Correlation
    matches: dict[str, Any] = field(default_factory=dict)  # finding id -> catalog.Match | None
    claim: ClaimResult | None = None
    near_misses: dict[str, list[str]] = field(default_factory=dict)  # finding id -> did-you-mean


def analyze(
    paths: Sequence[str],
    options: Options = Options(),
    progress: Callable[[str, int], None] | None = None,
) -> Report:
    """Analyze the given inputs ("-" is stdin; directories are walked)."""
    from triage.catalog import load_catalog

    catalog = load_catalog(options.pattern_dirs, cwd=options.cwd)
    result = ReadResult()
    observations = observe(read_inputs(list(paths), result, progress))
    corr = correlate(observations, window=options.window)
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
    claim = check_claim(options.reported, corr) if options.reported else None
    return Report(tuple(result.stats), corr, matches, claim, near)
