"""The report's headline: the summary paragraph opening it, and its title."""

from __future__ import annotations

from typing import Any

LEAD_IN = {  # how the summary introduces the best-ranked cause, by the strength of its evidence
    "supported": "Most likely cause, supported by the logs",
    "mixed": "Most likely cause, though the logs are mixed",
    "possible": "Possible cause, suggested by what the logs do not show",
}


def root_name(f: dict[str, Any]) -> str:
    """What a finding is called in one word: its constraint, else its table (and column), else
    its condition."""
    if not f["constraint"] and f["table"] and f.get("column"):
        return f"{f['table']}.{f['column']}"
    return str(f["constraint"] or f["table"] or f["condition"] or f["fingerprint"])


def summary_parts(data: dict[str, Any]) -> list[list[str]]:
    """The summary paragraph as [kind, text] parts: "text" is prose, "code" an identifier or quote."""
    s = data["summary"]
    parts: list[list[str]] = []

    def t(text: str) -> None:
        parts.append(["text", text])

    def c(text: str) -> None:
        parts.append(["code", text])

    n_in = len(data["inputs"])
    if not data["findings"]:
        t(f"No database error was found in {n_in} input{_s(n_in)}")
        t(
            f"; {s['failures']} failure{_s(s['failures'])} ha{'ve' if s['failures'] != 1 else 's'} no database cause."
            if s["failures"]
            else "."
        )
    else:
        top = data["findings"][0]
        if s["explained"]:
            t(
                f"{s['explained']} of {s['failures']} failure{_s(s['failures'])} in {n_in} input{_s(n_in)} "
            )
            t(
                f"trace{'s' if s['explained'] == 1 else ''} back to "
                f"{s['findings']} database error{_s(s['findings'])}. "
            )
            t("The main root cause is ")
        elif not s["failures"]:
            t(f"No failing test or error report in {n_in} input{_s(n_in)}; ")
            t(f"{s['findings']} database error{_s(s['findings'])} logged. The first is ")
        else:
            t(f"None of the {s['failures']} failure{_s(s['failures'])} in {n_in} input{_s(n_in)} ")
            t(
                f"traces back to a database error; {s['findings']} database error{_s(s['findings'])} "
            )
            t(
                f"logged alongside explain{'s' if s['findings'] == 1 else ''} no failure. The first is "
            )
        name, code = root_name(top), top["sqlstate"] or "-"
        if name == top["condition"]:  # no object named: the condition is the name, said once
            t(f"SQLSTATE {code} ")
            c(name)
            t(": ")
        else:
            c(name)
            t(f" (SQLSTATE {code} {top['condition'] or ''}".rstrip() + "): ")
        t(top["description"] + ". ")
        t(
            "It occurred once, at "
            if top["occurrences"] == 1
            else f"It occurred {top['occurrences']} times, first at "
        )
        c(f"{top['first']['path']}:{top['first']['line']}")
        n_ex = len(top["explains"])
        t(
            f", and explains {n_ex} failure{_s(n_ex)} ({top['confidence']} confidence)."
            if n_ex
            else "."
        )
        best = next(
            (
                h
                for h in top.get("hypotheses", [])
                if h["verdict"] in ("supported", "mixed", "possible")
            ),
            None,
        )
        if best:
            t(f" {LEAD_IN[best['verdict']]}: {best['text']}")
    claim = data.get("claim")
    if claim:
        t(" The report said ")
        c(claim["text"][:200])
        t(f"; the evidence: {claim['verdict']} ({claim['reason']}).")
    if s["unexplained"] and data["findings"]:  # with no finding, the first sentence said so
        t(
            f" {s['unexplained']} failure{_s(s['unexplained'])} could not be linked to a database error."
        )
    if s["recovered"]:
        t(
            f" {s['recovered']} retried warning{_s(s['recovered'])} recovered and "
            + ("is not a failure." if s["recovered"] == 1 else "are not failures.")
        )
    return parts


def report_title(data: dict[str, Any]) -> str | None:
    """The report's headline: the main root's title; when nothing failed, what was logged, so a
    server log alone does not read as a diagnosed root cause."""
    findings = data["findings"]
    if not findings:
        return None
    if data["summary"]["explained"] or data.get("claim"):
        return str(findings[0]["title"])
    n = len(findings)
    unlinked = "no failure" if not data["summary"]["failures"] else "none linked to the failures"
    if n == 1:
        return f"{findings[0]['title']} (logged; {unlinked})"
    return f"{n} database errors logged, {unlinked} (first: {findings[0]['title']})"


def _s(n: int) -> str:
    return "" if n == 1 else "s"
