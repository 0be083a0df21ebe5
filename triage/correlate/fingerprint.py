"""Fingerprints: one finding per failing constraint, values masked and identifiers kept."""

from __future__ import annotations

import re

from triage.model import DbError


def fingerprint(err: DbError) -> str:
    """Values masked, identifiers kept: '23503:job_status_course_id_fkey'."""
    code = err.sqlstate or err.condition or "unknown"
    if err.condition == "connection_failure":
        target = _ADDRESS.search(err.message)
        return f"{code}:connection_failure:{target.group(0) if target else 'server'}"
    if err.constraint:
        ident = err.constraint
    elif err.table and err.column:
        ident = f"{err.table}.{err.column}"
    elif err.table:
        ident = err.table
    else:
        ident = mask(err.message)
    prefix = "sqlite:" if err.engine == "sqlite" else ""
    # deleting a parent and inserting an orphan break the same constraint for opposite reasons
    variant = (
        ":parent-delete" if code == "23503" and err.message.startswith("update or delete") else ""
    )
    return f"{prefix}{code}:{ident}{variant}"


_ADDRESS = re.compile(
    r"(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-f:]+\]|[\w.-]+\.\w+|localhost):\d+|\"[\w.-]+\", port \d+"
)
_NUM = re.compile(r"\b\d+(?:\.\d+)?\b")
_SQUOTE = re.compile(r"'[^']*'")
_DQUOTE_VALUE = re.compile(r':\s*"[^"]*"')  # 22P02 'invalid input syntax for type uuid: "x"'


def mask(message: str) -> str:
    text = message.splitlines()[0] if message else ""
    text = _DQUOTE_VALUE.sub(': "?"', text)
    text = _SQUOTE.sub("'?'", text)
    return _NUM.sub("N", text)[:160]
