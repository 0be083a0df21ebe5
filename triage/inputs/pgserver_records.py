"""PostgreSQL server log records as Events: times with zones, LOCATION, jsonlog and csvlog.

Every reader emits ERROR/FATAL/PANIC as Events whose ``data`` uses the jsonlog key names
(formats.md §3.3), so the extractor reads one shape whatever the log destination was.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any, BinaryIO

from triage.inputs.source import Counts
from triage.model import Event

ERROR_SEVERITIES = {"ERROR": "error", "FATAL": "fatal", "PANIC": "fatal"}
STAMP = re.compile(
    r"(\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d+)?)(?:\s?(Z|[+-]\d\d(?::?\d\d)?|[A-Za-z]{1,5}\b))?"
)

# Zone abbreviations whose offset is unambiguous; others (CST, IST, BST...) give no time at all.
ZONES = {
    "UTC": 0, "GMT": 0, "UT": 0, "Z": 0, "WET": 0, "WEST": 60, "CET": 60, "CEST": 120,
    "EET": 120, "EEST": 180, "MSK": 180, "EST": -300, "EDT": -240, "CDT": -300, "MST": -420,
    "MDT": -360, "PST": -480, "PDT": -420, "AKST": -540, "AKDT": -480, "HST": -600,
    "JST": 540, "KST": 540, "HKT": 480, "AEST": 600, "AEDT": 660, "NZST": 720, "NZDT": 780,
}  # fmt: skip


def parse_pg_time(s: str) -> str | None:
    """PostgreSQL (or ISO) time with a zone -> ISO 8601 UTC with milliseconds; None if unsure."""
    m = STAMP.match(s.strip())
    if not m or not m.group(2):
        return None
    stamp, zone = m.group(1), m.group(2)
    if zone[0] in "+-":
        digits = zone[1:].replace(":", "")
        minutes = int(digits[:2]) * 60 + (int(digits[2:4]) if len(digits) >= 4 else 0)
        offset = -minutes if zone[0] == "-" else minutes
    elif zone.upper() in ZONES:
        offset = ZONES[zone.upper()]
    else:
        return None
    day, clock = stamp[:10], stamp[11:19]
    frac = (stamp[20:] + "000")[:3] if len(stamp) > 19 else "000"
    if offset:
        try:
            dt = datetime.fromisoformat(f"{day}T{clock}") - timedelta(minutes=offset)
        except ValueError:
            return None
        return f"{dt.isoformat()}.{frac}Z"
    return f"{day}T{clock}.{frac}Z"


def split_location(location: str, data: dict[str, Any]) -> None:
    """``LOCATION:  _bt_check_unique, nbtinsert.c:664`` -> jsonlog func_name/file_name/file_line_num."""
    func, _, where = location.partition(", ")
    file_name, _, num = where.rpartition(":")
    if func:
        data["func_name"] = func
    if file_name and num.isdigit():
        data["file_name"] = file_name
        data["file_line_num"] = int(num)


def make_event(
    path: str, line: int, fmt: str, level: str, data: dict[str, Any], end: int = 0
) -> Event:
    """One server message, its ``data`` in jsonlog shape, as a log Event with pid/session ids."""
    ids: list[tuple[str, str]] = []
    if data.get("pid") is not None:
        ids.append(("pid", str(data["pid"])))
    if data.get("session_id"):
        ids.append(("session", str(data["session_id"])))
    stamp = data.get("timestamp")
    return Event(
        path=path,
        line=line,
        fmt=fmt,
        kind="log",
        text=str(data.get("message", "")),
        level=level,
        time=parse_pg_time(stamp) if isinstance(stamp, str) else None,
        data=data,
        ids=tuple(ids),
        end_line=end or line,
    )


def event_from_jsonlog(obj: dict[str, Any], path: str, no: int) -> Event | None:
    """A PG15+ jsonlog record -> Event, for ERROR/FATAL/PANIC only."""
    level = ERROR_SEVERITIES.get(str(obj.get("error_severity", "")))
    if level is None:
        return None
    return make_event(path, no, "pg-json", level, obj)


# csvlog columns (PG 15: 26; PG 13: 24; PG 12 and older: 23) under their jsonlog names.
CSV_KEYS = (
    "timestamp", "user", "dbname", "pid", "remote_host", "session_id", "line_num", "ps",
    "session_start", "vxid", "txid", "error_severity", "state_code", "message", "detail",
    "hint", "internal_query", "internal_position", "context", "statement", "cursor_position",
    "location", "application_name", "backend_type", "leader_pid", "query_id",
)  # fmt: skip
INT_KEYS = {
    "pid",
    "line_num",
    "txid",
    "internal_position",
    "cursor_position",
    "leader_pid",
    "query_id",
}


def read_csvlog(path: str, stream: BinaryIO, counts: Counts) -> Iterator[Event]:
    """Whole-file reader for csvlog: one Event per ERROR/FATAL/PANIC row."""
    counts.saw_format("pg-csv")
    if csv.field_size_limit() < 1 << 24:
        csv.field_size_limit(1 << 24)  # a statement can be megabytes long
    text = io.TextIOWrapper(stream, encoding="utf-8", errors="replace", newline="")
    reader = csv.reader(text)
    start = 1
    try:
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error:
                counts.skipped["malformed-csv"] += 1
                start = reader.line_num + 1
                continue
            no, start = start, reader.line_num + 1
            if not 23 <= len(row) <= 26:
                if row:
                    counts.skipped["malformed-csv"] += 1
                continue
            level = ERROR_SEVERITIES.get(row[11])
            if level is None:
                continue
            yield make_event(path, no, "pg-csv", level, _csv_data(row), reader.line_num)
    finally:
        counts.lines = reader.line_num
        with contextlib.suppress(OSError, ValueError):
            counts.bytes = stream.tell()
        text.detach()


def _csv_data(row: list[str]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in zip(CSV_KEYS, row, strict=False):
        if value == "":
            continue
        if key in INT_KEYS and value.lstrip("-").isdigit():
            data[key] = int(value)
        elif key == "location":
            split_location(value, data)
        elif key == "remote_host" and value.rpartition(":")[2].isdigit() and value != "[local]":
            host, _, port = value.rpartition(":")
            data["remote_host"], data["remote_port"] = host, int(port)
        else:
            data[key] = value
    return data
