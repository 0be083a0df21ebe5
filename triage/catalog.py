"""The pattern catalog: load patterns/*.toml and local knowledge bases, and match DbErrors to them.

The SQLSTATE decides (or the condition when there is none: SQLite, PostgREST, Prisma, connection
failures); ``[match]`` tells apart patterns sharing a code; local entries win; any known SQLSTATE
falls back to a generic entry built from the SQLSTATE table. See patterns/README.md.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase
from importlib import resources
from pathlib import Path
from typing import Any

from triage import sqlstate
from triage.catalog_schema import GLOB_KEYS, problems
from triage.errors import CatalogError
from triage.model import DbError

LOCAL_DIR = os.path.join(".triage", "patterns")
PLACEHOLDER = re.compile(r"\{(\w+)\}")
TRIGGER_IN_CONTEXT = re.compile(r"PL/pgSQL function (?:[\w$]+\.)?([\w$]+)\(")


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


def parse_pattern(path: str, data: dict[str, Any], local: bool = False) -> Pattern:
    """A Pattern from one parsed TOML document; CatalogError names the file and key on a problem."""
    found = problems(data)
    if found:
        key, message = found[0]
        raise CatalogError(f"{path}: {key}: {message}")
    codes = tuple(data.get("sqlstates", ()))
    conditions = list(data.get("conditions", ()))
    for code in codes:  # a pattern listed by SQLSTATE also answers to its condition name
        name = sqlstate.condition(code)
        if name and name not in conditions:
            conditions.append(name)

    def examples(key: str) -> tuple[Example, ...]:
        return tuple(
            Example(ex.get("name") or f"{key}-{i + 1}", ex["text"], ex.get("format"))
            for i, ex in enumerate(data.get(key, ()))
        )

    return Pattern(
        id=Path(path).stem,
        title=data["title"],
        sqlstates=codes,
        conditions=tuple(conditions),
        engine=data.get("engine", "any"),
        match=dict(data.get("match", {})),
        capture=dict(data.get("capture", {})),
        summary=data.get("summary", ""),
        explanation=data.get("explanation", ""),
        causes=tuple(
            Cause(c["text"], c.get("evidence_hint"), float(c.get("weight", 1.0)))
            for c in data.get("causes", ())
        ),
        fixes=tuple(Fix(f["text"], f.get("risk", "low")) for f in data.get("fixes", ())),
        docs=tuple(data.get("docs", ())),
        known_issue=data.get("known_issue"),
        owner=data.get("owner"),
        verdict=data.get("verdict"),
        local=local,
        source_path=path,
        examples=examples("examples"),
        counterexamples=examples("counterexamples"),
    )


def load_file(path: str, local: bool = False) -> Pattern:
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{path}: not valid TOML: {exc}") from exc
    except OSError as exc:
        raise CatalogError(f"{path}: {exc.strerror or exc}") from exc
    return parse_pattern(path, data, local)


def load_dir(directory: str, local: bool = False) -> list[Pattern]:
    if not os.path.isdir(directory):
        raise CatalogError(f"{directory}: not a pattern directory")
    names = sorted(n for n in os.listdir(directory) if n.endswith(".toml"))
    return [load_file(os.path.join(directory, n), local) for n in names]


def builtin_dir() -> str:
    """The shipped patterns: package data (triage/patterns, wheel installs) or the repo's patterns/."""
    try:  # pyproject maps patterns/ to the package triage.patterns (wheels, editable installs)
        packaged = resources.files("triage.patterns")
        if packaged.is_dir() and any(str(p).endswith(".toml") for p in packaged.iterdir()):
            return str(packaged)
    except ModuleNotFoundError:  # a plain checkout: no triage/patterns package on the path
        pass
    return str(Path(__file__).resolve().parent.parent / "patterns")


def find_local_dir(cwd: str | None = None) -> str | None:
    """The nearest .triage/patterns/ from the working directory upwards."""
    here = Path(cwd or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / LOCAL_DIR
        if candidate.is_dir():
            return str(candidate)
    return None


def load_catalog(extra_dirs: Sequence[str] = (), cwd: str | None = None) -> Catalog:
    """Built-in patterns, then .triage/patterns/ (found from cwd upwards), then extra dirs."""
    by_id: dict[str, Pattern] = {}
    for pattern in load_dir(builtin_dir()) if os.path.isdir(builtin_dir()) else []:
        by_id[pattern.id] = pattern
    local_dirs = [d for d in (find_local_dir(cwd),) if d] + list(extra_dirs)
    for directory in dict.fromkeys(local_dirs):
        for pattern in load_dir(directory, local=True):
            by_id[pattern.id] = pattern  # a local file with a built-in id replaces it
    return Catalog(tuple(by_id.values()))


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
            return self._filled(best, err, generic=False, score=score)
        generic = generic_pattern(err)
        return self._filled(generic, err, generic=True) if generic else None

    def did_you_mean(self, name: str, limit: int = 3) -> list[str]:
        """Local constraint/table names and pattern ids that nearly match ``name``."""
        from rapidfuzz import fuzz, process

        choices: set[str] = set(self._by_id)
        # globs are matches, not near misses: only literal local names are offered
        choices.update(v for v, _ in self.local_names() if not any(c in v for c in "*?["))
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
        if "{" in p.explanation or "{" in p.summary:
            p = replace(
                p,
                explanation=fill(p.explanation, values, prose=True),
                summary=fill(p.summary, values, prose=True),
            )
        return Match(p, fixes, captured, generic, score)


def fill(template: str, values: dict[str, str | None], prose: bool = False) -> str:
    """Replace {name} placeholders; a name with no value stays readable: <name> in a fix (code),
    "the name" in prose (explanations)."""

    def one(m: re.Match[str]) -> str:
        name = m.group(1)
        if values.get(name):
            return str(values[name])
        return f"the {name.replace('_', ' ')}" if prose else f"<{name}>"

    return PLACEHOLDER.sub(one, template)


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
    """A local entry that leaves out explanation, causes or fixes borrows them from the built-in."""
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
    return {
        "table": err.table,
        "column": err.column,
        "constraint": err.constraint,
        "schema": err.schema,
        "referenced_table": err.referenced_table,
        "trigger": trigger_of(err),
        "datatype": err.datatype,
        "sqlstate": err.sqlstate,
        "condition": err.condition,
        "key_columns": ", ".join(k for k, _ in err.key) or None,
        "key_values": ", ".join(v for _, v in err.key) or None,
    }
