"""The pattern catalog: load patterns/*.toml and local knowledge bases into a Catalog.

Matching lives in catalog_match, the dataclasses in catalog_model; both are re-exported here, the
module callers import from. See patterns/README.md.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from triage import sqlstate
from triage.catalog_match import (
    Catalog,
    fill,
    generic_for_code,
    generic_pattern,
    trigger_of,
)
from triage.catalog_model import Cause, Example, Fix, Match, Pattern
from triage.catalog_schema import problems
from triage.errors import CatalogError

__all__ = [
    "Catalog",
    "Cause",
    "Example",
    "Fix",
    "Match",
    "Pattern",
    "builtin_dir",
    "fill",
    "find_local_dir",
    "generic_for_code",
    "generic_pattern",
    "load_catalog",
    "load_dir",
    "load_file",
    "parse_pattern",
    "trigger_of",
]

LOCAL_DIR = os.path.join(".triage", "patterns")


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
