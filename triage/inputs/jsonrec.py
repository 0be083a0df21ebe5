"""Routing a decoded JSON line to the reader that owns its shape.

pytest-reportlog (``$report_type``) -> reportlog; PostgreSQL jsonlog (``error_severity``) ->
pgserver; everything else (pino, other JSON loggers, PostgREST/GoTrue bodies) -> pino.
"""

from __future__ import annotations

from typing import Any

from triage.model import Event

# A pino line at trace/debug/info with none of these needles cannot hold an error: skip decoding.
QUIET_LEVELS = ('"level":30,', '"level":20,', '"level":10,', '"level":"info"', '"level":"debug"')
NEEDLES = ("rror", "rr\"", "ail", "xception", "violat", "SQLSTATE", '"code"', "etry", "ttempt",
           '"statusCode":5', '"status":5', "atal", "denied", "timeout", "refused")


def worth_decoding(line: str) -> bool:
    """False only for a quiet pino record that mentions nothing error-like."""
    if not any(q in line for q in QUIET_LEVELS):
        return True
    return any(n in line for n in NEEDLES)


def cheap_format(line: str) -> str:
    return "pino"


def event_from_json(obj: dict[str, Any], path: str, no: int, raw: str) -> Event | None:
    if "$report_type" in obj:
        from triage.inputs import reportlog

        return reportlog.event_from_report(obj, path, no)
    if "error_severity" in obj and ("timestamp" in obj or "pid" in obj):
        from triage.inputs import pgserver

        return pgserver.event_from_jsonlog(obj, path, no)
    from triage.inputs import pino

    return pino.event_from_record(obj, path, no)
