"""The claim check (design.md §4.9): does the evidence support what the ticket says failed?

The claim's content words are matched (rapidfuzz, prefix-tolerant) against failure messages, test
names, retried warnings and the names in each finding. Matching failures support it; matching
warnings that recovered, or failures whose root sits on another table than the claim names,
contradict it; nothing matching is "no-evidence".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from triage.correlate import Correlation
from triage.inputs import testid
from triage.observe import Passed, is_report_file

STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "it",
        "its",
        "this",
        "that",
        "of",
        "on",
        "in",
        "at",
        "to",
        "for",
        "from",
        "by",
        "with",
        "and",
        "or",
        "not",
        "no",
        "completely",
        "totally",
        "always",
        "keeps",
        "keep",
        "still",
        "all",
        "any",
        "every",
        "fail",
        "fails",
        "failing",
        "failed",
        "failure",
        "broken",
        "error",
        "errors",
        "issue",
        "problem",
        "when",
        "while",
        "because",
        "after",
        "before",
        "table",
        "tables",
        "row",
        "rows",
        "test",
        "tests",
        "database",
    ]
)
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]{2,}")
THRESHOLD = 0.5
EVIDENCE = 20  # lines of evidence a claim check cites


@dataclass(frozen=True)
class ClaimEvidence:
    path: str
    line: int
    text: str
    role: str  # supports | contradicts


@dataclass(frozen=True)
class ClaimResult:
    text: str
    verdict: str  # supported | contradicted | no-evidence
    reason: str
    evidence: tuple[ClaimEvidence, ...]
    roots: tuple[str, ...]  # finding ids the evidence actually points to


def keywords(text: str) -> list[str]:
    return [w.lower() for w in WORD.findall(text) if w.lower() not in STOP]


def score(words: list[str], text: str) -> float:
    """Share of the claim's words found in text (fuzzy, and 'creation' ~ 'create')."""
    if not words:
        return 0.0
    targets = [part.lower() for w in WORD.findall(text) for part in w.split("_") if len(part) >= 3]
    hits = 0
    for word in words:
        for t in targets:
            if (
                t == word
                or (
                    len(word) >= 4
                    and len(t) >= 4
                    and (t.startswith(word[:5]) or word.startswith(t[:5]))
                )
                or fuzz.ratio(word, t) >= 85
            ):
                hits += 1
                break
    return hits / len(words)


def named_tables_in(claim: str, corr: Correlation) -> set[str]:
    """Tables the claim names: a word next to "table"/"relation", or a table the findings know."""
    raw = WORD.findall(claim.lower())
    known = set()
    for f in corr.findings:
        for name in (f.root.table, f.root.referenced_table):
            if name:
                known.add(name.lower())
    # "the users table" names users; "table users" too, when users is a table the logs know
    named = {raw[i - 1] for i, w in enumerate(raw) if w in ("table", "relation") and i > 0}
    named |= {
        raw[i + 1]
        for i, w in enumerate(raw[:-1])
        if w in ("table", "relation") and raw[i + 1] in known
    }
    return {w for w in named if w not in STOP} | {w for w in raw if w in known}


def check_claim(claim: str, corr: Correlation, passed: Sequence[Passed] = ()) -> ClaimResult:
    words = keywords(claim)
    supports: list[ClaimEvidence] = []
    contradicts: list[ClaimEvidence] = []
    named_tables = named_tables_in(claim, corr)

    # the report cites at most EVIDENCE lines, supports first: each list keeps its first ones
    def cite(to: list[ClaimEvidence], path: str, line: int, text: str, role: str) -> None:
        if len(to) < EVIDENCE:
            to.append(ClaimEvidence(path, line, text, role))

    findings = {x.id: x for x in corr.findings}
    matched_roots: dict[str, None] = {}
    for f in corr.failures:
        text = f"{f.test or ''} {f.message}"
        if score(words, text) < THRESHOLD:
            continue
        root = corr.roots.get(f.id)
        finding = findings.get(root) if root else None
        if finding and named_tables and (finding.root.table or "").lower() not in named_tables:
            cite(contradicts, f.location.path, f.location.line, _one(f.message), "contradicts")
        else:
            cite(supports, f.location.path, f.location.line, _one(f.message), "supports")
        if root:
            matched_roots[root] = None
    seen_tests = testid.SeenTests()
    # one test read from terminal text, JUnit and reportlog is cited once, from the readable copy
    for p in sorted(passed, key=lambda p: is_report_file(p.path)):
        if score(words, p.test) >= THRESHOLD and seen_tests.add(p.test):
            cite(contradicts, p.path, p.line, f"passed: {p.test}", "contradicts")
    for r in corr.recovered:
        if score(words, r.text) >= THRESHOLD:
            cite(contradicts, r.path, r.line, _one(r.text), "contradicts")
            if r.resolved_by:
                path, line, text = r.resolved_by
                cite(contradicts, path, line, _one(text), "contradicts")

    actual = tuple(matched_roots) or tuple(f.id for f in corr.findings[:1])
    if supports:
        verdict, reason = "supported", "failures matching the claim were found"
        if contradicts:
            reason += "; some matching lines contradict it"
    elif contradicts:
        verdict = "contradicted"
        if named_tables and matched_roots:
            reason = "the matching failures trace back to a different table than the claim names"
        elif seen_tests:
            reason = "tests doing what the claim says fails passed; matching warnings recovered"
        else:
            reason = "the only matching lines are warnings that were retried and recovered"
    else:
        verdict, reason = "no-evidence", "no line in the inputs speaks of the claim"
    return ClaimResult(claim, verdict, reason, tuple(supports + contradicts)[:EVIDENCE], actual)


def _one(text: str) -> str:
    return (text or "").strip().splitlines()[0][:300] if (text or "").strip() else ""
