"""The claim check (design.md §4.9): does the evidence support what the ticket says failed?

The claim's content words are matched (rapidfuzz, prefix-tolerant) against failure messages, test
names, retried warnings and the names in each finding. Matching failures support it; matching
warnings that recovered, or failures whose root sits on another table than the claim names,
contradict it; nothing matching is "no-evidence".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from triage.correlate import Correlation

STOP = frozenset(
    ["a", "an", "the", "is", "are", "was", "were", "be", "been", "being", "it", "its", "this", "that", "of", "on", "in", "at", "to", "for", "from", "by", "with", "and", "or", "not", "no", "completely", "totally", "always", "keeps", "keep", "still", "all", "any", "every", "fail", "fails", "failing", "failed", "failure", "broken", "error", "errors", "issue", "problem", "when", "while", "because", "after", "before"]
)
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]{2,}")
THRESHOLD = 0.5


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
    targets = [w.lower() for w in WORD.findall(text)]
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


def check_claim(claim: str, corr: Correlation) -> ClaimResult:
    words = keywords(claim)
    supports: list[ClaimEvidence] = []
    contradicts: list[ClaimEvidence] = []
    named_tables = {
        w
        for w in words
        if any(w in (e.root.table or "", e.root.referenced_table or "") for e in corr.findings)
    }

    matched_roots: list[str] = []
    for f in corr.failures:
        text = f"{f.test or ''} {f.message}"
        if score(words, text) < THRESHOLD:
            continue
        root = corr.roots.get(f.id)
        finding = next((x for x in corr.findings if x.id == root), None)
        if finding and named_tables and (finding.root.table or "").lower() not in named_tables:
            contradicts.append(
                ClaimEvidence(f.location.path, f.location.line, _one(f.message), "contradicts")
            )
        else:
            supports.append(
                ClaimEvidence(f.location.path, f.location.line, _one(f.message), "supports")
            )
        if root:
            matched_roots.append(root)
    for r in corr.recovered:
        if score(words, r.text) >= THRESHOLD:
            contradicts.append(ClaimEvidence(r.path, r.line, _one(r.text), "contradicts"))
            if r.resolved_by:
                contradicts.append(
                    ClaimEvidence(
                        r.resolved_by[0], r.resolved_by[1], _one(r.resolved_by[2]), "contradicts"
                    )
                )

    actual = tuple(dict.fromkeys(matched_roots)) or tuple(f.id for f in corr.findings[:1])
    if supports:
        verdict, reason = "supported", "failures matching the claim were found"
        if contradicts:
            reason += "; some matching lines contradict it"
    elif contradicts:
        verdict = "contradicted"
        if named_tables and matched_roots:
            reason = "the matching failures trace back to a different table than the claim names"
        else:
            reason = "the only matching lines are warnings that were retried and recovered"
    else:
        verdict, reason = "no-evidence", "no line in the inputs speaks of the claim"
    return ClaimResult(claim, verdict, reason, tuple(supports + contradicts)[:20], actual)


def _one(text: str) -> str:
    return (text or "").strip().splitlines()[0][:300] if (text or "").strip() else ""
