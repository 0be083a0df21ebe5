"""The catalog's data: a Pattern as written in one TOML file, and the Match chosen for a DbError."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Cause:
    text: str
    evidence_hint: str | None = None
    weight: float = 1.0


@dataclass(frozen=True)
class Fix:
    text: str
    risk: str = "low"


@dataclass(frozen=True)
class Example:
    name: str
    text: str
    format: str | None = None


@dataclass(frozen=True)
class Pattern:
    """One known failure, as written in one TOML file (the file name is the id)."""

    id: str
    title: str
    sqlstates: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    engine: str = "any"
    match: dict[str, Any] = field(default_factory=dict, hash=False)
    capture: dict[str, str] = field(default_factory=dict, hash=False)
    summary: str = ""
    explanation: str = ""
    causes: tuple[Cause, ...] = ()
    fixes: tuple[Fix, ...] = ()
    docs: tuple[str, ...] = ()
    known_issue: str | None = None
    owner: str | None = None
    verdict: str | None = None
    local: bool = False
    source_path: str | None = None
    examples: tuple[Example, ...] = ()
    counterexamples: tuple[Example, ...] = ()


@dataclass(frozen=True)
class Match:
    """A pattern chosen for one DbError, with its fixes filled from the error's names."""

    pattern: Pattern
    fixes: tuple[str, ...]
    captured: dict[str, str]
    generic: bool = False
    score: tuple[int, int, int] = (0, 0, 0)
