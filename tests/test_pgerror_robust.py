"""extract() never raises, whatever text or JSON-like data an Event carries; code tables hold."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from triage import sqlstate
from triage.model import Event, Link
from triage.pgerror import Shared, _extract, classes, vendors

FRAGMENTS = [
    'duplicate key value violates unique constraint "',
    "\nDETAIL:  Key (",
    ")=(",
    "\ncaused by: ",
    " Original exception was: ",
    "(psycopg2.errors.UniqueViolation) ",
    "[SQL: ",
    "ERROR:  23505: ",
    "\nCONTEXT:  PL/pgSQL function ",
    "UNIQUE constraint failed: ",
    "[cause]: error: ",
    " (SQLSTATE 23505)",
    "  code: '",
]
texts = st.lists(st.one_of(st.text(max_size=30), st.sampled_from(FRAGMENTS)), max_size=12).map(
    "".join
)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), texts)
keys = st.one_of(
    st.sampled_from(
        [
            "err",
            "error",
            "cause",
            "parent",
            "message",
            "stack",
            "code",
            "detail",
            "state_code",
            "meta",
            "aggregateErrors",
            "type",
            "statusCode",
            "details",
            "hint",
            "msg",
            "error_severity",
            "where",
        ]
    ),
    st.text(max_size=8),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=6)),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(
    text=texts,
    data=values,
    exc=st.one_of(
        st.none(),
        st.sampled_from(
            [
                "psycopg2.errors.UniqueViolation",
                "sqlalchemy.exc.PendingRollbackError",
                "sqlite3.IntegrityError",
                "X",
            ]
        ),
    ),
)
def test_extract_never_raises(text: str, data: Any, exc: str | None) -> None:
    event = Event("f.log", 1, "x", "log", text, data=data, chain=(Link(exc, text, 2),))
    result = _extract(event, Shared())  # as observe calls it: texts shared
    for err in result.errors:
        assert err.sqlstate is None or sqlstate.is_sqlstate(err.sqlstate)


def test_asyncpg_special_names_resolve() -> None:
    for name, code in classes.ASYNCPG_SPECIAL.items():
        info = classes.classify(f"asyncpg.exceptions.{name}")
        assert info is not None and info.sqlstate == code


def test_prisma_map_only_names_real_sqlstates() -> None:
    assert all(
        code is None or sqlstate.is_sqlstate(code) for code in vendors.PRISMA_SQLSTATE.values()
    )
    assert vendors.pgrst_condition("PGRST116") == "pgrst116_singular_response"
    assert vendors.pgrst_condition("PGRST299") == "pgrst299_schema_cache"


def test_a_remembered_text_gives_each_caller_its_own_fields() -> None:
    """parse_text remembers short texts (logs repeat their errors): a caller changing what it
    got must not change what the next caller gets."""
    from triage.pgerror.text import parse_text

    text = 'ERROR:  duplicate key value violates unique constraint "users_email_key"'
    first, _ = parse_text(text)
    first[0]["constraint"] = "changed"
    first.append({"message": "extra"})
    again, _ = parse_text(text)
    assert len(again) == 1 and again[0]["constraint"] == "users_email_key"


def test_the_errors_one_analysis_keeps_share_their_texts() -> None:
    """A log of errors repeats its texts: the errors observe keeps hold one copy of each, not
    one per occurrence (a 100 MB server log of errors: 420 MB -> 306 MB peak)."""
    from triage.observe import observe

    def record(n: int) -> Event:
        def fresh(text: str) -> str:
            return (text + "!")[:-1]  # equal texts, different objects, as each record is read

        data = {
            "error_severity": "ERROR",
            "state_code": "23505",
            "message": fresh('duplicate key value violates unique constraint "users_email_key"'),
            "detail": fresh("Key (email)=(a@x.io) already exists."),
            "pid": 4242,
        }
        ids = (("pid", fresh("4242")),)
        return Event(
            "f.log", n, "pg-json", "log", data["message"], level="error", data=data, ids=ids
        )

    kept = observe([record(n) for n in range(3)])
    first, *others = kept
    assert first.errors[0].constraint == "users_email_key" and first.event.data is None
    for ob in others:
        err = ob.errors[0]
        assert err.message is first.errors[0].message and err.detail is first.errors[0].detail
        assert ob.event.text is first.event.text and ob.event.ids is first.event.ids
        assert err.location != first.errors[0].location


def test_shared_texts_stop_at_their_character_budget() -> None:
    """Distinct long texts (statements with their values) are remembered only up to CHARS
    characters in all: past it, each is its own copy, as without sharing."""
    shared = Shared()
    long = [f"{n:04d}" + "x" * 4000 for n in range(Shared.CHARS // 4000 + 10)]
    for text in long:
        assert shared(text) is text
    first, last = (long[0] + "!")[:-1], (long[-1] + "!")[:-1]
    assert shared(first) is long[0]  # remembered while under the budget
    assert shared(last) is last  # past the budget: not remembered
