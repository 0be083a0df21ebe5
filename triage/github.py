"""GitHub Actions workflow commands: an ::error annotation per root cause and per failure it explains.

GitHub shows at most 10 error and 10 warning annotations per step, so roots come first (ranked),
each followed by the failures it explains; what does not fit is counted in one ::notice line.
"""

from __future__ import annotations

from typing import Any

MAX_ERRORS = 10  # GitHub: error annotations shown per step
MAX_WARNINGS = 10  # GitHub: warning annotations shown per step
MAX_MESSAGE = 600  # keep an annotation readable in the checks UI
MAX_TITLE = 120


def escape_data(text: str) -> str:
    """The message part: %, CR and LF are the characters a workflow command cannot carry."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value (file, title): also ':' and ',' which end a property."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(kind: str, message: str, **props: str | int | None) -> str:
    """One workflow command line, e.g. ``::error file=a.py,line=3,title=T::message``."""
    parts = [f"{k}={escape_property(str(v))}" for k, v in props.items() if v not in (None, "")]
    head = f"::{kind} {','.join(parts)}" if parts else f"::{kind}"
    return f"{head}::{escape_data(_clip(message, MAX_MESSAGE))}"


def build_annotations(data: dict[str, Any]) -> list[str]:
    """Every line to print for one report dict (design §6), capped to what GitHub shows."""
    failures = {f["id"]: f for f in data.get("failures", [])}
    errors: list[str] = []
    for finding in data.get("findings", []):
        errors.append(_root(finding))
        errors.extend(
            _failure(failures[i], finding) for i in finding.get("explains", []) if i in failures
        )
    warnings = [_unexplained(failures[i]) for i in data.get("unexplained", []) if i in failures]
    lines = errors[:MAX_ERRORS] + warnings[:MAX_WARNINGS]
    hidden_e, hidden_w = max(0, len(errors) - MAX_ERRORS), max(0, len(warnings) - MAX_WARNINGS)
    if hidden_e or hidden_w:
        lines.append(
            command(
                "notice",
                f"triage: {hidden_e} more error and {hidden_w} more warning "
                "annotation(s) not shown (GitHub shows 10 of each per step); see the full report",
                title="triage: more annotations",
            )
        )
    return lines


def render_github(data: dict[str, Any]) -> str:
    lines = build_annotations(data)
    if not lines:
        lines = [command("notice", "triage: no database error found", title="triage")]
    return "\n".join(lines) + "\n"


def _root(f: dict[str, Any]) -> str:
    where = f.get("first") or {}
    name = f.get("constraint") or f.get("table") or f.get("condition") or ""
    title = f"triage {f['id']}: root cause {f.get('sqlstate') or ''} {name}".strip()
    body = [f.get("title") or "", _first_line(f.get("message")), _first_line(f.get("detail"))]
    explains = f.get("explains") or []
    if explains:
        body.append(f"explains {len(explains)} failure(s): {', '.join(explains[:8])}")
    top = next(iter(f.get("hypotheses") or []), None)
    if top and top.get("verdict") == "supported":  # the evidence picked one cause: say it
        body.append(f"likely cause: {top['text']}")
    fixes = f.get("fixes") or []
    if fixes:
        body.append(f"fix: {fixes[0]}")
    if f.get("known_issue"):
        body.append(f"known issue: {f['known_issue']}")
    return command(
        "error",
        "\n".join(b for b in body if b),
        **_place(where.get("path"), where.get("line")),
        title=_clip(title, MAX_TITLE),
    )


def _failure(fail: dict[str, Any], finding: dict[str, Any]) -> str:
    title = f"triage {fail['id']}: {_short(fail)} failed ({finding['id']})"
    name = finding.get("constraint") or finding.get("table") or finding.get("sqlstate") or ""
    message = (
        f"caused by {finding['id']} {finding.get('sqlstate') or ''} {name}: {finding.get('title') or ''}"
        f"\n{_first_line(fail.get('message'))}"
    )
    return command("error", message, **_failure_place(fail), title=_clip(title, MAX_TITLE))


def _unexplained(fail: dict[str, Any]) -> str:
    title = f"triage {fail['id']}: {_short(fail)} failed, no database cause found"
    return command(
        "warning",
        _first_line(fail.get("message")) or "failed",
        **_failure_place(fail),
        title=_clip(title, MAX_TITLE),
    )


def _short(fail: dict[str, Any]) -> str:
    """The test's name without the file part that the annotation's file= already shows."""
    test = fail.get("test") or ""
    if "file" in _failure_place(fail):
        for sep in ("::", " > ", " › "):
            if sep in test:
                return test.split(sep, 1)[1]
    return test or str(fail.get("kind") or "failure")


def _failure_place(fail: dict[str, Any]) -> dict[str, str | int | None]:
    """A test's own file when the id names one (pytest ``a.py::t``, vitest ``a.test.ts > t``)."""
    test = fail.get("test") or ""
    for sep in ("::", " > ", " › "):
        head = test.split(sep, 1)[0]
        if sep in test and "." in head.rsplit("/", 1)[-1] and " " not in head:
            return {"file": head}
    loc = fail.get("location") or {}
    return _place(loc.get("path"), loc.get("line"))


def _place(path: str | None, line: int | None) -> dict[str, str | int | None]:
    # "<stdin>" and labels such as "<output of pytest>" are not files GitHub could open.
    if not path or path.startswith("<") or path == "-":
        return {}
    return {"file": path, "line": line or None}


def _first_line(text: str | None) -> str:
    stripped = (text or "").strip()
    return stripped.splitlines()[0] if stripped else ""


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
