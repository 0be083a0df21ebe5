"""Failures from observations: one per failing test or error record, whatever copies were read."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from triage.inputs import testid
from triage.model import DbError, Failure
from triage.observe import (
    LOOKAHEAD,
    READABLE,
    Observation,
    copy_rank,
    failure_key,
    is_failure,
    is_recovered_warning,
    is_success_notice,
    make_failure,
)
from triage.pgerror import is_cascade


@dataclass
class FailureGroup:
    """One Failure and every copy of it read from other inputs (text, JUnit, reportlog)."""

    failure: Failure
    obs: list[Observation] = field(default_factory=list)


@dataclass(frozen=True)
class Recovered:
    """A warning that was retried and later succeeded (or never led to a failure)."""

    path: str
    line: int
    text: str
    resolved_by: tuple[str, int, str] | None  # the success line, when one was seen


def failure_groups(observations: list[Observation]) -> list[FailureGroup]:
    copies: dict[tuple[str, ...], list[Observation]] = {}
    for ob in observations:
        if not is_failure(ob) or is_recovered_warning(ob):
            continue
        copies.setdefault(failure_key(ob), []).append(ob)
    # An error record captured inside a failing test (pytest "Captured log call") is part of that
    # test's failure, not a failure of its own.
    for key in [k for k in copies if k[0] == "event"]:
        ev = copies[key][0].event
        owner = ("test", testid.key(ev.test), "call") if ev.test else None
        if owner and owner in copies:
            copies[owner].extend(copies.pop(key))
    return [group_of(n, obs) for n, obs in enumerate(copies.values(), start=1)]


def group_of(n: int, obs: list[Observation]) -> FailureGroup:
    """Failure ``S{n}`` made from the most readable of its copies ``obs`` (in reading order,
    a test's captured records last), that copy first."""
    best = min(obs, key=lambda o: (*copy_rank(o), o.seq))
    ordered = [best] + [o for o in obs if o is not best]
    return FailureGroup(make_failure(f"S{n}", best), ordered)


def real_errors(errors: tuple[DbError, ...]) -> list[DbError]:
    return [e for e in errors if not is_cascade(e)]


def recovered_warnings(observations: list[Observation]) -> tuple[Recovered, ...]:
    """Retried warnings (rule 6), each once: the copies of one run (terminal text, JUnit,
    reportlog) are one warning, cited from the readable copy. A success notice counts within
    LOOKAHEAD observations kept after the warning (``at``: those in an ErrorStore only are
    neither warnings nor success notices)."""
    found: dict[tuple[str, str], tuple[tuple[int, int], Recovered]] = {}
    succeeded: dict[int, bool] = {}  # index -> a success notice (each looked at once)
    for i, ob in enumerate(observations):
        if not is_recovered_warning(ob):
            continue
        resolved = None
        stem = _stem(ob.event.text)
        for j in range(i + 1, len(observations)):
            later = observations[j]
            if later.at >= ob.at + LOOKAHEAD:
                break
            ok = succeeded.get(j)
            text = later.event.text or ""
            if ok is None:
                ok = succeeded[j] = is_success_notice(later)
            if ok and (not stem or stem in _stem(text)):
                resolved = (later.event.path, later.event.line, text)
                break
        ev = ob.event
        key = (testid.key(ev.test) if ev.test else f"{ev.path}:{ev.line}", ev.text)
        rank = (READABLE.get(ev.fmt, 1), ob.seq)
        if key not in found or rank < found[key][0]:
            found[key] = (rank, Recovered(ev.path, ev.line, ev.text, resolved))
    ordered = sorted(found.values(), key=lambda pair: pair[0][1])
    return tuple(r for _, r in ordered)


def _stem(text: str) -> str:
    words = re.findall(r"[A-Za-z]{3,}", text or "")
    return words[0].lower() if words else ""
