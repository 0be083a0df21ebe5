"""`triage explain QUERY`: a SQLSTATE, condition, pattern id, local constraint/table, or message."""

from __future__ import annotations

from dataclasses import dataclass, replace
from fnmatch import fnmatchcase

from triage import sqlstate
from triage.catalog import Catalog, Match, Pattern, generic_for_code
from triage.model import DbError, Event, Link, Location


@dataclass(frozen=True)
class ExplainResult:
    """What a query resolved to. ``kind`` is sqlstate | condition | pattern | constraint | message | none."""

    query: str
    kind: str
    sqlstate: str | None = None
    condition: str | None = None
    sqlclass: str | None = None
    class_title: str | None = None
    class_meaning: str | None = None
    patterns: tuple[Pattern, ...] = ()  # full entries, most relevant first
    match: Match | None = None  # for a message: the pattern matched with names filled in
    error: DbError | None = None  # for a message: what the extractor read from it
    suggestions: tuple[str, ...] = ()
    guess: str | None = None  # how an unknown constraint name was read (its default-name suffix)

    @property
    def found(self) -> bool:
        return self.kind != "none"


def explain(query: str, catalog: Catalog) -> ExplainResult:
    """Resolve a query the way a person would type it; never raises on odd input."""
    q = query.strip()
    if not q:
        return ExplainResult(query, "none")
    upper = q.upper()
    if sqlstate.lookup(upper) and len(q) == 5:
        return _by_code(query, upper, catalog, "sqlstate")
    if sqlstate.codes_for(q):
        return _by_code(query, sqlstate.codes_for(q)[0], catalog, "condition")
    pattern = catalog.get(q)
    if pattern is not None:
        return _with_code(ExplainResult(query, "pattern", patterns=(pattern,)), pattern)
    named = [p for p in catalog.patterns if q in p.conditions or upper in p.conditions]
    if named:  # PGRST116, P2025, record_not_found: conditions that are not SQLSTATEs
        return ExplainResult(query, "condition", condition=q, patterns=tuple(named))
    local = _local_entries(q, catalog)
    if local:
        code = next((c for p in local for c in p.sqlstates), None)
        base = (
            tuple(p for p in _by_code(q, code, catalog, "").patterns if not p.local) if code else ()
        )
        return _with_code(ExplainResult(query, "constraint", patterns=local + base[:1]), local[0])
    if " " in q:
        result = _by_message(query, catalog)
        if result is not None:
            return result
    near = tuple(catalog.did_you_mean(q, ids=True))
    # a near miss is most likely a typo of a known name; only a name nothing resembles is read
    # by its default-name suffix
    by_name = None if near else _by_default_name(query, q, catalog)
    return by_name or ExplainResult(query, "none", suggestions=near)


# PostgreSQL's default constraint names end in a suffix that says what kind of constraint it is
DEFAULT_SUFFIX = (
    ("_fkey", "23503", "a foreign key"),
    ("_pkey", "23505", "a primary key"),
    ("_key", "23505", "a unique constraint"),
    ("_check", "23514", "a check constraint"),
    ("_excl", "23P01", "an exclusion constraint"),
)


def _by_default_name(query: str, q: str, catalog: Catalog) -> ExplainResult | None:
    """A constraint no local entry knows, read by its default-name suffix (users_org_id_fkey)."""
    if not q.isidentifier():
        return None
    for suffix, code, kind in DEFAULT_SUFFIX:
        if q.endswith(suffix) and len(q) > len(suffix):
            err = DbError(
                "postgresql",
                code,
                sqlstate.condition(code),
                "",
                Location("<query>", 1),
                constraint=q,
            )
            match = catalog.match(err)
            base = _by_code(query, code, catalog, "constraint-name")
            first = (match.pattern,) if match and not match.generic else ()
            rest = tuple(
                p
                for p in base.patterns
                if p.id not in {x.id for x in first} and p.engine in ("any", "postgresql")
            )
            return replace(
                base,
                patterns=first + rest[:1],
                match=match,
                error=err,
                guess=f"{q} is not in the catalog; its {suffix} suffix is PostgreSQL's default name for {kind}",
            )
    return None


def _by_code(query: str, code: str, catalog: Catalog, kind: str) -> ExplainResult:
    full = [p for p in catalog.patterns if code in p.sqlstates]
    # the entry without a [match] is the code's main one; variants and local entries follow
    full.sort(key=lambda p: (p.local, len(p.match), p.id))
    return ExplainResult(
        query,
        kind,
        sqlstate=code,
        condition=sqlstate.condition(code),
        sqlclass=code[:2],
        class_title=sqlstate.class_title(code),
        class_meaning=sqlstate.class_meaning(code),
        patterns=tuple(full) or (generic_for_code(code),),
    )


def _with_code(result: ExplainResult, pattern: Pattern) -> ExplainResult:
    code = pattern.sqlstates[0] if pattern.sqlstates else None
    if code is None:
        return result
    return ExplainResult(
        result.query,
        result.kind,
        sqlstate=code,
        condition=sqlstate.condition(code),
        sqlclass=code[:2],
        class_title=sqlstate.class_title(code),
        class_meaning=sqlstate.class_meaning(code),
        patterns=result.patterns,
    )


def _local_entries(name: str, catalog: Catalog) -> tuple[Pattern, ...]:
    exact = [p for value, p in catalog.local_names() if value == name]
    globbed = [p for value, p in catalog.local_names() if fnmatchcase(name, value)]
    return tuple(dict.fromkeys(exact + globbed))


def _by_message(query: str, catalog: Catalog) -> ExplainResult | None:
    """Run a pasted message through the real extractor, as if it were one error line."""
    try:
        from triage.pgerror import extract
    except ImportError:  # pragma: no cover - the extractor ships with the package
        return None
    event = Event(
        path="<query>", line=1, fmt="text", kind="error", text=query, chain=(Link(None, query, 1),)
    )
    errors = extract(event).errors
    if not errors:
        return None
    err = errors[-1]  # innermost: the real database error
    match = catalog.match(err)
    code = err.sqlstate or (
        match.pattern.sqlstates[0] if match and match.pattern.sqlstates else None
    )
    patterns = (match.pattern,) if match else ()
    return ExplainResult(
        query,
        "message",
        sqlstate=code,
        condition=err.condition or sqlstate.condition(code),
        sqlclass=code[:2] if code else None,
        class_title=sqlstate.class_title(code) if code else None,
        class_meaning=sqlstate.class_meaning(code) if code else None,
        patterns=patterns,
        match=match,
        error=err,
    )
