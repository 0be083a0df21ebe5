"""The case table covers the catalog: every full entry (one with examples) is provoked or says why
it cannot be, and every case names a real entry."""

from __future__ import annotations

from tests.conformance.cases import CASES, NOT_PROVOKED
from triage.catalog import builtin_dir, load_dir


def full_entries() -> set[str]:
    return {p.id for p in load_dir(builtin_dir()) if p.examples}


def test_every_full_entry_is_provoked_or_excused() -> None:
    provoked = {case.entry for case in CASES}
    missing = full_entries() - provoked - set(NOT_PROVOKED)
    assert not missing, f"full catalog entries with no conformance case: {sorted(missing)}"


def test_cases_name_real_entries() -> None:
    known = full_entries()
    unknown = {case.entry for case in CASES} - known
    assert not unknown, f"cases expect patterns the catalog does not have: {sorted(unknown)}"
    assert not set(NOT_PROVOKED) & {case.entry for case in CASES}
