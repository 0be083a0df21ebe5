"""Routing a decoded JSON line to the reader that owns its shape.

pytest-reportlog (``$report_type``) -> reportlog; PostgreSQL jsonlog (``error_severity``) ->
pgserver; everything else (pino, other JSON loggers, PostgREST/GoTrue bodies) -> pino.
"""

from __future__ import annotations

from typing import Any

from triage.model import Event

# A level-first pino record at info/debug/trace (pino's default key order, numeric or labelled)
# that mentions none of the needles cannot hold an error: it is skipped without decoding.
# fastscan.py applies the very same rule to whole blocks, so both paths keep the same lines. The
# needles: "rror" (error, Error, DatabaseError, PostgresError), "ttempt" (retry notices and the
# success lines that resolve them), and HTTP 5xx statuses, which pino-http and most request
# loggers write at info level ("statusCode":500, "status":503).
QUIET_PREFIXES = (
    b'{"level":30,',
    b'{"level":20,',
    b'{"level":10,',
    # the same levels as labels (pino's `formatters.level` returning { level: label })
    b'{"level":"info",',
    b'{"level":"debug",',
    b'{"level":"trace",',
)
FAST_NEEDLES = (b"rror", b"ttempt", b'Code":5', b'status":5')
_QUIET = tuple(p.decode() for p in QUIET_PREFIXES)
_NEEDLES = tuple(n.decode() for n in FAST_NEEDLES)


def worth_decoding(line: str) -> bool:
    """False only for a quiet level-first pino record that mentions nothing error-like."""
    return not line.startswith(_QUIET) or any(n in line for n in _NEEDLES)


def quiet_pino(raw: bytes) -> bool:
    """``not worth_decoding`` on a raw line (the reader passing over records undecoded)."""
    return raw.startswith(QUIET_PREFIXES) and not any(n in raw for n in FAST_NEEDLES)


def event_from_json(
    obj: dict[str, Any], path: str, no: int, raw: str
) -> Event | list[Event] | None:
    if "$report_type" in obj:
        from triage.inputs import reportlog

        return reportlog.event_from_report(obj, path, no)
    if "error_severity" in obj and ("timestamp" in obj or "pid" in obj):
        from triage.inputs import pgserver

        return pgserver.event_from_jsonlog(obj, path, no)
    from triage.inputs import pino

    return pino.event_from_record(obj, path, no)
