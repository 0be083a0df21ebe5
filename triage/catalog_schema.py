"""What a pattern file may hold: known keys, value types, regexes that compile and cannot blow up.

``problems(data)`` lists every problem of one parsed TOML document as (key, message) pairs; the
loader raises on the first, ``triage patterns check`` prints them all.
"""

from __future__ import annotations

import re
from typing import Any

from triage import sqlstate

TOP_KEYS = {
    "title",
    "sqlstates",
    "conditions",
    "engine",
    "summary",
    "explanation",
    "match",
    "capture",
    "causes",
    "fixes",
    "docs",
    "known_issue",
    "owner",
    "verdict",
    "examples",
    "counterexamples",
}
STRING_KEYS = ("title", "engine", "summary", "explanation", "known_issue", "owner", "verdict")
# [match] keys compared with fnmatch against a DbError field (a string or a list of alternatives)
GLOB_KEYS = {"constraint", "table", "schema", "column", "trigger", "driver", "referenced_table"}
# [match] keys searched with a regex in a DbError field ("text" = message, detail, hint, context)
REGEX_KEYS = {"message", "detail", "hint", "context", "text", "exc"}
ENGINES = {"any", "postgresql", "sqlite"}
CAUSE_KEYS = {"text", "evidence_hint", "weight"}
FIX_KEYS = {"text", "risk"}
RISKS = {"low", "medium", "high"}
EXAMPLE_KEYS = {"name", "text", "format", "note"}
# Codes that are not SQLSTATEs but name a condition the extractor reports (formats.md §0.6).
FOREIGN_CODE = re.compile(r"^(?:PGRST\w+|P[1-6]\d{3}|[a-z][a-z0-9_]+)$")


def problems(data: dict[str, Any]) -> list[tuple[str, str]]:
    """Every problem of one pattern document, as (key, message); empty when it is valid."""
    out: list[tuple[str, str]] = []
    for key in sorted(set(data) - TOP_KEYS):
        out.append((key, "unknown key"))
    if not isinstance(data.get("title"), str) or not data.get("title"):
        out.append(("title", "required, a non-empty string"))
    for key in STRING_KEYS:
        if key in data and not isinstance(data[key], str):
            out.append((key, "must be a string"))
    if isinstance(data.get("engine"), str) and data["engine"] not in ENGINES:
        out.append(("engine", f"must be one of {', '.join(sorted(ENGINES))}"))
    for i, code in enumerate(_strings(data, "sqlstates", out)):
        if not sqlstate.is_sqlstate(code):
            out.append((f"sqlstates[{i}]", f"{code!r} is not a known SQLSTATE"))
    for i, name in enumerate(_strings(data, "conditions", out)):
        if not (sqlstate.codes_for(name) or FOREIGN_CODE.match(name)):
            out.append((f"conditions[{i}]", f"{name!r} is not a known condition name"))
    _strings(data, "docs", out)
    out.extend(_match_problems(data.get("match", {})))
    out.extend(_capture_problems(data.get("capture", {})))
    out.extend(_tables(data, "causes", CAUSE_KEYS, out))
    out.extend(_tables(data, "fixes", FIX_KEYS, out))
    for i, fix in enumerate(data.get("fixes", []) if isinstance(data.get("fixes"), list) else []):
        if isinstance(fix, dict) and "risk" in fix and fix["risk"] not in RISKS:
            out.append((f"fixes[{i}].risk", f"must be one of {', '.join(sorted(RISKS))}"))
    for key in ("examples", "counterexamples"):
        _tables(data, key, EXAMPLE_KEYS, out)
        for i, ex in enumerate(data.get(key, []) if isinstance(data.get(key), list) else []):
            if isinstance(ex, dict) and not isinstance(ex.get("text"), str):
                out.append((f"{key}[{i}].text", "required, a string"))
    return out


def _strings(data: dict[str, Any], key: str, out: list[tuple[str, str]]) -> list[str]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        out.append((key, "must be a list of strings"))
        return []
    return value


def _tables(
    data: dict[str, Any], key: str, allowed: set[str], out: list[tuple[str, str]]
) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        out.append((key, "must be an array of tables ([[" + key + "]])"))
        return found
    for i, item in enumerate(value):
        for extra in sorted(set(item) - allowed):
            found.append((f"{key}[{i}].{extra}", "unknown key"))
        if key in ("causes", "fixes") and not isinstance(item.get("text"), str):
            found.append((f"{key}[{i}].text", "required, a string"))
        if "weight" in item and not isinstance(item["weight"], int | float):
            found.append((f"{key}[{i}].weight", "must be a number"))
    return found


def _match_problems(match: Any) -> list[tuple[str, str]]:
    if not isinstance(match, dict):
        return [("match", "must be a table")]
    out: list[tuple[str, str]] = []
    for key, value in match.items():
        where = f"match.{key}"
        if key in GLOB_KEYS:
            values = value if isinstance(value, list) else [value]
            if not values or not all(isinstance(v, str) and v for v in values):
                out.append((where, "must be a non-empty string or list of strings"))
        elif key in REGEX_KEYS:
            out.extend((where, msg) for msg in regex_problems(value))
        else:
            out.append((where, "unknown key"))
    return out


def _capture_problems(capture: Any) -> list[tuple[str, str]]:
    if not isinstance(capture, dict):
        return [("capture", "must be a table")]
    out: list[tuple[str, str]] = []
    for key, value in capture.items():
        out.extend((f"capture.{key}", msg) for msg in regex_problems(value))
    return out


def regex_problems(value: Any) -> list[str]:
    """Why a regex is unusable: not a string, does not compile, or has nested quantifiers."""
    if not isinstance(value, str) or not value:
        return ["must be a non-empty string (a regex)"]
    try:
        re.compile(value)
    except re.error as exc:
        return [f"regex does not compile: {exc}"]
    if nested_quantifier(value):
        return ["regex nests a quantifier inside a repeated group (catastrophic backtracking)"]
    return []


def nested_quantifier(regex: str) -> bool:
    """True for shapes like (a+)+, (\\w*)*, (.*a)*: a repeat of something that itself repeats."""
    import re._parser as sre

    def walk(items: Any, inside_repeat: bool) -> bool:
        for op, av in items:
            name = str(op)
            if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
                lo, hi, sub = av
                unbounded = hi is sre.MAXREPEAT or hi > 1
                if inside_repeat and unbounded:
                    return True
                if walk(sub, inside_repeat or unbounded):
                    return True
            elif name == "SUBPATTERN":
                if walk(av[-1], inside_repeat):
                    return True
            elif name == "BRANCH":
                if any(walk(b, inside_repeat) for b in av[1]):
                    return True
            elif name in ("ASSERT", "ASSERT_NOT") and walk(av[1], inside_repeat):
                return True
        return False

    return walk(sre.parse(regex), False)
