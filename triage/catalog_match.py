"""Matching DbErrors to patterns: the indexed Catalog, scoring, generic fallbacks, filled fixes.

The SQLSTATE decides (or the condition when there is none: SQLite, PostgREST, Prisma, connection
failures); ``[match]`` tells apart patterns sharing a code; local entries win; any known SQLSTATE
falls back to a generic entry built from the SQLSTATE table.
"""

from __future__ import annotations

import re
from dataclasses import replace
from fnmatch import fnmatchcase
from typing import overload

from triage import sqlstate
from triage.catalog_model import Match, Pattern
from triage.catalog_schema import GLOB_KEYS
from triage.model import DbError

# the word before a placeholder, so prose can drop a placeholder that would repeat it
PLACEHOLDER = re.compile(r"(\w+ )?\{(\w+)\}")
TRIGGER_IN_CONTEXT = re.compile(r"PL/pgSQL function (?:[\w$]+\.)?([\w$]+)\(")


class Catalog:
    """The loaded patterns, indexed for matching."""

    def __init__(self, patterns: tuple[Pattern, ...]) -> None:
        self.patterns = patterns
        self._by_id = {p.id: p for p in patterns}
        self._regex = {
            p.id: {k: re.compile(v) for k, v in p.match.items() if k not in GLOB_KEYS}
            for p in patterns
        }
        self._capture = {p.id: {k: re.compile(v) for k, v in p.capture.items()} for p in patterns}

    def get(self, pattern_id: str) -> Pattern | None:
        return self._by_id.get(pattern_id)

    def ranked(self, err: DbError) -> list[tuple[tuple[int, int, int], Pattern]]:
        """Every pattern that matches, best first: local, then more [match] keys, then literals."""
        found = []
        for p in self.patterns:
            score = self._score(p, err)
            if score is not None:
                found.append((score, p))
        found.sort(key=lambda item: item[0], reverse=True)
        return found

    def match(self, err: DbError) -> Match | None:
        ranked = self.ranked(err)
        if ranked:
            score, best = ranked[0]
            if best.local:
                base = next((p for _, p in ranked if not p.local), None) or generic_pattern(err)
                best = _merge(best, base) if base else best
            elif len(best.sqlstates) > 1 and err.sqlstate:
                # a pattern about a place (the sign-up trigger) spans many codes; what this code
                # means (a missing parent, a duplicate) comes from the code's own entry
                own = next(
                    (p for _, p in ranked[1:] if not p.local and p.sqlstates == (err.sqlstate,)),
                    None,
                )
                best = _merge(best, own) if own else best
            return self._filled(best, err, generic=False, score=score)
        generic = generic_pattern(err)
        return self._filled(generic, err, generic=True) if generic else None

    def did_you_mean(self, name: str, limit: int = 3, ids: bool = False) -> list[str]:
        """Local constraint/table names (and pattern ids, when ``ids``) that nearly match ``name``.

        A constraint seen in a log is compared with names only: a pattern id is not a table."""
        choices: set[str] = set(self._by_id) if ids else set()
        # globs are matches, not near misses: only literal local names are offered
        choices.update(v for v, _ in self.local_names() if not any(c in v for c in "*?["))
        if not choices:  # no local names (most analyses): nothing to compare, nothing to import
            return []
        from rapidfuzz import fuzz, process

        hits = process.extract(
            name, sorted(choices), scorer=fuzz.WRatio, limit=limit, score_cutoff=75
        )
        return [hit[0] for hit in hits]

    def local_names(self) -> list[tuple[str, Pattern]]:
        """(constraint or table glob, pattern) for every local entry that names one."""
        out: list[tuple[str, Pattern]] = []
        for p in self.patterns:
            if p.local:
                for key in ("constraint", "table"):
                    value = p.match.get(key)
                    out.extend((v, p) for v in (value if isinstance(value, list) else [value]) if v)
        return out

    def _score(self, p: Pattern, err: DbError) -> tuple[int, int, int] | None:
        if p.engine != "any" and p.engine != err.engine:
            return None
        by_code = bool(err.sqlstate) and err.sqlstate in p.sqlstates
        by_name = bool(err.condition) and err.condition in p.conditions
        if not (by_code or by_name or (not p.sqlstates and not p.conditions and p.match)):
            return None
        keys = int(p.engine != "any")  # an engine-specific entry beats a general one
        literals = 0
        regexes = self._regex[p.id]
        for key, want in p.match.items():
            if key in GLOB_KEYS:
                have = _field(err, key)
                options = want if isinstance(want, list) else [want]
                if have is None or not any(fnmatchcase(have, o) for o in options):
                    return None
                literals += any(have == o for o in options)
            else:
                text = _text(err, key)
                if text is None or not regexes[key].search(text):
                    return None
            keys += 1
        return (int(p.local), keys, literals)

    def _filled(
        self, p: Pattern, err: DbError, generic: bool, score: tuple[int, int, int] = (0, 0, 0)
    ) -> Match:
        captured: dict[str, str] = {}
        text = _text(err, "text") or ""
        for name, regex in self._capture.get(p.id, {}).items():
            m = regex.search(text)
            if m:
                groups = m.groupdict()
                value = groups.get(name) or (m.group(1) if m.re.groups else m.group(0))
                if value:
                    captured[name] = value
        values = _values(err)
        for key, value in captured.items():
            if not values.get(key):
                values[key] = value
        fixes = tuple(fill(f.text, values) for f in p.fixes)
        causes = tuple(
            replace(
                c,
                text=fill(c.text, values, True),
                evidence_hint=fill(c.evidence_hint, values, True),
            )
            if "{" in c.text or "{" in (c.evidence_hint or "")
            else c
            for c in p.causes
        )
        if "{" in p.explanation or "{" in p.summary or causes != p.causes:
            p = replace(
                p,
                explanation=fill(p.explanation, values, prose=True),
                summary=fill(p.summary, values, prose=True),
                causes=causes,
            )
        return Match(p, fixes, captured, generic, score)


@overload
def fill(template: str, values: dict[str, str | None], prose: bool = False) -> str: ...
@overload
def fill(template: None, values: dict[str, str | None], prose: bool = False) -> None: ...


def fill(template: str | None, values: dict[str, str | None], prose: bool = False) -> str | None:
    """Replace {name} placeholders; a name with no value stays readable: <name> in a fix (code),
    "the name" in prose (explanations), and just "constraint" where the text already says
    "constraint {constraint}"."""

    def one(m: re.Match[str]) -> str:
        name = m.group(2)
        if values.get(name):
            return f"{m.group(1) or ''}{values[name]}"
        if not prose:
            return f"{m.group(1) or ''}<{name}>"
        noun = name.replace("_", " ")
        before = (m.group(1) or "").rstrip()
        if before and noun.endswith(before.split()[-1]):
            return (
                before  # "the constraint {constraint} rejected it" -> "the constraint rejected it"
            )
        if before.lower() in ("the", "a", "an"):
            return f"{m.group(1)}{noun}"
        return f"{m.group(1) or ''}the {noun}"

    return PLACEHOLDER.sub(one, template) if template else template


def generic_pattern(err: DbError) -> Pattern | None:
    """The fallback entry for any known SQLSTATE (or condition name), from the SQLSTATE table."""
    code = err.sqlstate if err.sqlstate and sqlstate.lookup(err.sqlstate) else None
    if code is None and err.condition:
        codes = sqlstate.codes_for(err.condition)
        code = codes[0] if codes else None
    return generic_for_code(code) if code else None


def generic_for_code(code: str) -> Pattern:
    known = sqlstate.lookup(code)
    name = known.condition if known and known.condition else code
    title = sqlstate.class_title(code) or "Unknown class"
    meaning = sqlstate.class_meaning(code) or title
    return Pattern(
        id=f"{code}-{name.replace('_', '-')}",
        title=f"{name} (class {code[:2]}: {title})",
        sqlstates=(code,),
        conditions=(name,),
        summary=meaning,
        explanation=f"SQLSTATE {code} is {name}, in class {code[:2]} ({title}). For triage: {meaning}.",
        docs=("https://www.postgresql.org/docs/current/errcodes-appendix.html",),
    )


def _merge(local: Pattern, base: Pattern) -> Pattern:
    """A local (or cross-code) entry borrows what it leaves out from the code's built-in entry,
    and adds that entry's causes and fixes after its own."""
    return replace(
        local,
        title=local.title or base.title,
        summary=local.summary or base.summary,
        explanation=local.explanation or base.explanation,
        causes=local.causes + base.causes,
        fixes=local.fixes + base.fixes,
        docs=tuple(dict.fromkeys(local.docs + base.docs)),
        sqlstates=local.sqlstates or base.sqlstates,
        conditions=local.conditions or base.conditions,
    )


def _field(err: DbError, key: str) -> str | None:
    if key == "trigger":
        return trigger_of(err)
    value = getattr(err, key, None)
    return value if isinstance(value, str) else None


def _text(err: DbError, key: str) -> str | None:
    if key == "text":
        parts = (err.message, err.detail, err.hint, err.context)
        return "\n".join(p for p in parts if p)
    value = getattr(err, key, None)
    return value if isinstance(value, str) else None


def trigger_of(err: DbError) -> str | None:
    """The function named by CONTEXT (the trigger behind a failing insert), when known."""
    if err.trigger:
        return err.trigger
    m = TRIGGER_IN_CONTEXT.search(err.context or "")
    return m.group(1) if m else None


def _values(err: DbError) -> dict[str, str | None]:
    from triage.schema import conflict_target

    target = conflict_target(err) if err.sqlstate == "42P10" else None
    conflict = target[1] if target else ()
    table = err.table or (target[0] if target else None)  # 42P10 names no table: the INSERT does
    return {
        "table": table,
        "column": err.column,
        "constraint": err.constraint,
        "schema": err.schema,
        "referenced_table": err.referenced_table,
        "trigger": trigger_of(err),
        "datatype": err.datatype,
        "sqlstate": err.sqlstate,
        "condition": err.condition,
        # SQLite names the column ("UNIQUE constraint failed: users.email") but prints no key
        "key_columns": ", ".join(k for k, _ in err.key) or err.column,
        "key_values": ", ".join(v for _, v in err.key) or None,
        "child_columns": _child_column(err),
        "conflict_columns": ", ".join(conflict) or None,
        "unique_name": f"{table}_{'_'.join(conflict)}_key" if table and conflict else None,
    }


def _child_column(err: DbError) -> str | None:
    """The referencing column of a foreign key, read from PostgreSQL's default constraint name
    <table>_<column>_fkey; only for one-column keys, where the name cannot be split wrongly."""
    c, t = err.constraint or "", err.table or ""
    if len(err.key) > 1 or not t or not c.startswith(f"{t}_") or not c.endswith("_fkey"):
        return None
    return c[len(t) + 1 : -len("_fkey")] or None
