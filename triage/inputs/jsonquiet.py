"""Quiet records of JSON loggers other than level-first pino, skipped once decoded.

Any JSON logger's record (structlog, python-json-logger, bunyan, winston: the level anywhere, in
any key pino.LEVEL_KEYS names) is quiet when its level is info or below and its line (lower-cased,
JSON-escaped as written) holds none of LOUD nor a 5xx status: what observe keeps of a record
needs one of them — a database error (every text template's needle, an exception or error name,
a traceback, a client's connection failure, a "code" key: PostgREST, Prisma, a node system
error), an error level, a retry notice, an HTTP 5xx (a status key, or "HTTP 503" /
"status: 503" / "503 ..." in a text). Such a record is no Event, as a quiet pino record is not
(jsonrec.worth_decoding, applied before decoding); read_stream counts its format.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from triage.inputs import pino
from triage.inputs.jsonrec import quiet_pino
from triage.inputs.pytest_parts import KEEP

# The words that keep a passing test's captured record (pytest_parts.KEEP: a database error's,
# an error level's, a retry's), but a status only when it is a 5xx (HTTP_5XX), and the syslog
# levels and the "code" key besides.
LOUD = tuple(
    sorted(
        {w.decode().lower() for w in (*KEEP.needles, *KEEP.folded)} - {"http", "status"}
        | {"emerg", "alert", '"code"'}
    )
)
HTTP_5XX = re.compile(r'http(?:/[\d.]+)? +5\d\d|status(?:code)?(?:"\s*:\s*|[=: ]+)5\d\d|"5\d\d')
# Every HTTP_5XX match holds a 5 and two digits right after one of FIVE_AFTER: a plain search
# for those (fast: a literal first byte) finds the only lines worth trying it on.
FIVE = re.compile(rb"5[0-9][0-9]")
FIVE_AFTER = frozenset(b'":= \t\n\r\f\v')
QUIET_LEVELS = frozenset({"trace", "debug", "info"})


# LOUD as the native scanner's folded needles (all ASCII, lower-case)
LOUD_BYTES = tuple(w.encode("ascii") for w in LOUD)


def is_loud(line: str) -> bool:
    """Whether a JSON line may hold something observe keeps (see LOUD)."""
    low = line.lower()
    return any(n in low for n in LOUD) or HTTP_5XX.search(low) is not None


def quiet_format(obj: dict[str, Any]) -> str | None:
    """For a decoded record of a line that is not loud: its format when the record is quiet (a
    logger's record at info level or below), else None (a reportlog or jsonlog record, another
    level, or none)."""
    if "$report_type" in obj or "error_severity" in obj:
        return None
    for key in pino.LEVEL_KEYS:
        if key in obj:
            return pino.format_of(obj) if pino.normalise_level(obj[key]) in QUIET_LEVELS else None
    return None


def first_5xx(buf: bytes, pos: int, start: int, limit: int) -> int:
    """Where the first line of buf[pos:limit] (lines; ``limit`` a line start) that HTTP_5XX
    finds a status in starts, looking from ``start`` (none before it), or -1."""
    for m in FIVE.finditer(buf, start, limit):
        k = m.start()
        if k > pos and buf[k - 1] in FIVE_AFTER:
            s = buf.rfind(b"\n", pos, k) + 1 or pos
            e = buf.find(b"\n", k, limit)
            if HTTP_5XX.search(buf[s:e].decode().lower()):
                return s
    return -1


def passed_over(raw: bytes) -> str | None:
    """For a raw line starting with "{" that the caller found holds none of LOUD, no HTTP 5xx
    (HTTP_5XX) and no byte the reader cleans (an escape, a NUL, a "\\r" at its end): the
    format read_stream counts for it when it would pass over the record (a quiet level-first
    pino record, undecoded; another logger's quiet record), else None (read it as usual)."""
    if not raw.isascii():
        return None  # is_loud lower-cases every letter, not ASCII ones only
    if quiet_pino(raw):
        return "pino"  # a quiet level-first pino record: never decoded
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None  # a fragment, or two records on one line: read_stream's own way
    return quiet_format(obj) if isinstance(obj, dict) else None
