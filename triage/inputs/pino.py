"""pino records and every other JSON log line (bunyan, winston, logrus, PostgREST bodies) as Events.

Only the envelope is read here: level, time, message, correlation ids. The record itself is kept
unchanged in ``Event.data``; error objects, causes and stacks are the extractor's business.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson

from triage.model import Event

LEVEL_BY_NUMBER = {10: "trace", 20: "debug", 30: "info", 40: "warn", 50: "error", 60: "fatal"}
# Labels of pino, bunyan, winston, logrus, zap, Python logging, GCP/syslog severities.
LEVEL_BY_LABEL = {
    "trace": "trace",
    "silly": "trace",
    "debug": "debug",
    "verbose": "debug",
    "info": "info",
    "information": "info",
    "notice": "info",
    "log": "info",
    "http": "info",
    "warn": "warn",
    "warning": "warn",
    "error": "error",
    "err": "error",
    "fatal": "fatal",
    "critical": "fatal",
    "crit": "fatal",
    "panic": "fatal",
    "dpanic": "fatal",
    "alert": "fatal",
    "emerg": "fatal",
    "emergency": "fatal",
}
LEVEL_KEYS = ("level", "severity", "levelname", "lvl", "log.level")
TIME_KEYS = ("time", "timestamp", "ts", "@timestamp")
TEXT_KEYS = ("msg", "message")
ERROR_KEYS = ("err", "error")
# (key in the record, normalised id name); first match per name wins.
ID_KEYS = (
    ("reqId", "reqId"),
    ("requestId", "reqId"),
    ("request_id", "reqId"),
    ("req_id", "reqId"),
    ("jobId", "jobId"),
    ("job_id", "jobId"),
    ("traceId", "traceId"),
    ("trace_id", "traceId"),
    ("traceID", "traceId"),
    ("spanId", "spanId"),
    ("span_id", "spanId"),
    ("pid", "pid"),
)
ID_TYPES = frozenset((str, int))  # exact types: bool is not an id
GENERIC_TEXT_CHARS = 300
ISO = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:[.,](\d+))?\s*(Z|[+-]\d\d(?::?\d\d)?)?",
    re.I,
)
_LAST_SECOND: list[Any] = [None, ""]


def event_from_record(obj: dict[str, Any], path: str, no: int) -> Event | None:
    """One decoded JSON object -> a log Event (fmt "pino" or "json"); None for an empty object."""
    if not obj:
        return None
    level = None
    for key in LEVEL_KEYS:
        if key in obj:
            level = normalise_level(obj[key])
            break
    time = None
    for key in TIME_KEYS:
        if key in obj:
            time = normalise_time(obj[key])
            break
    fmt = format_of(obj)
    text = _text(obj)
    if text is None:
        text = "" if fmt == "pino" else _compact(obj)
    return Event(
        path=path,
        line=no,
        fmt=fmt,
        kind="log",
        text=text,
        level=level,
        time=time,
        data=obj,
        ids=_ids(obj),
    )


def format_of(obj: dict[str, Any]) -> str:
    """The record's format: pino (a numeric level, or msg beside pid or hostname), else json
    (another JSON logger)."""
    pino_shaped = type(obj.get("level")) is int or (
        "msg" in obj and ("pid" in obj or "hostname" in obj)
    )
    return "pino" if pino_shaped else "json"


def normalise_level(value: Any) -> str | None:
    """pino numbers (unknown ints -> nearest lower standard level), labels in any case."""
    if type(value) is int or type(value) is float:
        if value != value:  # NaN
            return None
        if value >= 60:
            return "fatal"
        if value < 10:  # below trace, -Infinity included (JSON5 writers, a Python logger)
            return "trace"
        n = int(value) // 10 * 10
        return LEVEL_BY_NUMBER.get(n, "trace")
    if isinstance(value, str):
        label = LEVEL_BY_LABEL.get(value.lower())
        if label is None and value.isdigit():
            return normalise_level(int(value))
        return label
    return None


def normalise_time(value: Any) -> str | None:
    """Epoch s/ms/µs/ns numbers or ISO-like strings -> "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC)."""
    if type(value) is int or type(value) is float:
        return _from_epoch(value)
    if not isinstance(value, str) or len(value) < 10:
        return None
    if len(value) == 24 and value[10] == "T" and value[19] == "." and value[23] == "Z":
        return value  # already pino isoTime
    if value.isdigit():
        return _from_epoch(int(value))
    return _from_iso(value)


def _from_epoch(value: float) -> str | None:
    if not 0 < value < 1e19:  # also NaN and infinities: not a real instant
        return None
    if value > 1e17:
        ms = int(value // 1_000_000)  # nanoseconds
    elif value > 1e14:
        ms = int(value // 1000)  # microseconds
    elif value > 1e11:
        ms = int(value)
    else:
        ms = int(value * 1000)
    seconds, millis = divmod(ms, 1000)
    # Consecutive records mostly share their second: format it once.
    if seconds != _LAST_SECOND[0]:
        try:
            prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
        except (OverflowError, ValueError, OSError):
            return None
        _LAST_SECOND[0], _LAST_SECOND[1] = seconds, prefix
    return f"{_LAST_SECOND[1]}.{millis:03d}Z"


def _from_iso(value: str) -> str | None:
    m = ISO.match(value)
    if m is None:
        return None
    year, month, day, hour, minute, second, frac, zone = m.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    tz = UTC
    if zone and zone not in ("Z", "z"):
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        minutes = int(digits[:2]) * 60 + (int(digits[2:4]) if len(digits) >= 4 else 0)
        tz = timezone(sign * timedelta(minutes=minutes))
    try:
        dt = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tz
        ).astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    return _format(dt)


def _format(dt: datetime) -> str:
    return f"{dt:%Y-%m-%dT%H:%M:%S}.{dt.microsecond // 1000:03d}Z"


def _text(obj: dict[str, Any]) -> str | None:
    for key in TEXT_KEYS:
        value = obj.get(key)
        if isinstance(value, str):
            return value
    event = obj.get("event")  # structlog's message
    if isinstance(event, str) and event:
        return event
    for key in ERROR_KEYS:
        value = obj.get(key)
        if isinstance(value, dict):
            message = value.get("message")
            if isinstance(message, str) and message:
                return message
        elif isinstance(value, str) and value:
            return value
    return None


def _ids(obj: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    found: dict[str, str] = {}
    for key, name in ID_KEYS:
        value = obj.get(key)
        if value is not None and name not in found and type(value) in ID_TYPES and value != "":
            found[name] = str(value)
    if "reqId" not in found:
        req = obj.get("req")
        if type(req) is dict:
            rid = req.get("id")
            if type(rid) in ID_TYPES:
                found["reqId"] = str(rid)
    logger = obj.get("name")
    if type(logger) is str and logger:
        found["logger"] = logger
    return tuple(found.items())


def _compact(obj: dict[str, Any]) -> str:
    """Some text for a JSON object with no message of its own (rare: kept off the hot path)."""
    try:
        text = orjson.dumps(obj, default=str).decode()
    except (TypeError, orjson.JSONEncodeError):
        text = repr(obj)
    return text[:GENERIC_TEXT_CHARS]
