"""Deciding, from a file's first bytes, whether it is a whole-file format or a line stream."""

from __future__ import annotations

import re

# csvlog rows start with a timestamp then a quoted or empty user name: 2026-11-21 00:36:15.866 UTC,"postgres",
CSVLOG = re.compile(
    rb"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? [A-Z]{2,5}[+-]?\d*,(?:\"[^\"]*\"|)?,"
)
XML_START = re.compile(
    rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(testsuites|testsuite)\b", re.S
)


def file_kind(head: bytes, path: str = "") -> str:
    """'junit', 'pg-csv', 'binary' or 'stream'."""
    if head.startswith(b"\x1f\x8b"):
        return "stream"  # still compressed: the caller opened it without gunzip; read as stream
    body = head.lstrip(b"\xef\xbb\xbf")
    if XML_START.match(body):
        return "junit"
    if CSVLOG.match(body):
        return "pg-csv"
    if _looks_binary(head):
        return "binary"
    return "stream"


# Control bytes no text log holds (tab, newlines, form feed, escape and the like are text's).
CONTROLS = bytes(b for b in range(32) if b < 9 or 13 < b < 27 or 27 < b < 32)


def _looks_binary(head: bytes) -> bool:
    if not head:
        return False
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False  # UTF-16 text
    # A zeroed head is a log's, not a binary's: logrotate's copytruncate leaves the writer at its
    # old offset, so the new file starts with a run of NUL bytes, then text. A stray NUL in a
    # line is the reader's to count. A file is binary when NULs or other control bytes run
    # through what follows the zeroed head (UTF-16 files start with a BOM: above).
    sample = head[:8192].lstrip(b"\x00")
    if not sample:
        return False  # nothing but NULs so far: the text, if any, comes later
    if sample.count(b"\x00") > len(sample) // 10:
        return True
    controls = len(sample) - len(sample.translate(None, CONTROLS))
    return controls > len(sample) // 10
