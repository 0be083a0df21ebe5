"""Key lifecycle: a second pass over the inputs for each finding's key values, giving every line
that mentions them in time order (created -> deleted -> insert failed)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from triage.errors import InputError
from triage.inputs.hits import Wanted
from triage.inputs.hitscan import iter_file_hits
from triage.inputs.source import expand_paths
from triage.model import Finding

MAX_VALUES = 4  # key values traced per finding
MAX_MENTIONS = 40  # lines kept per finding; the rest are counted
MAX_TEXT = 400
SHORT = 4  # values shorter than this need their column or table named on the same line
SKIP_VALUES = frozenset({"", "null", "NULL", "true", "false", "0", "1"})

_ISO = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?")
_EPOCH_MS = re.compile(r'"time"\s*:\s*(\d{13})\b')
_FAIL = ("violates", "is not present in table", "already exists", "still referenced", "error")
_DELETE = (
    "delete",
    "truncate",
    "cleanup",
    "clean up",
    "cleaning",
    "removed",
    "remove ",
    "drop ",
    "teardown",
    "purge",
)
_CREATE = ("insert", "created", "create", "seed", "upsert", "added", "saved", "register")
_READ = ("select", "fetch", "found", "loaded", "lookup", "get ")


@dataclass(frozen=True)
class Mention:
    """One input line that mentions a key value, and what it seems to do with it."""

    path: str
    line: int
    time: str | None
    text: str
    value: str
    action: str  # create | delete | fail | read | mention
    subject: str | None  # parent | child | None: which table the line names


@dataclass(frozen=True)
class Lifecycle:
    values: tuple[str, ...]
    mentions: tuple[Mention, ...]
    omitted: int = 0  # mentions beyond MAX_MENTIONS
    ordered_by: str = "input"  # "time" when every mention carried a timestamp

    def before_failure(self) -> tuple[Mention, ...]:
        for i, m in enumerate(self.mentions):
            if m.action == "fail":
                return self.mentions[:i]
        return self.mentions


def key_values(finding: Finding) -> list[str]:
    """The values worth tracing: the root's key, then other occurrences' keys, trivial ones out."""
    out: list[str] = []
    for key in (finding.root.key, *finding.keys):
        for _, value in key:
            v = value.strip()
            if v not in SKIP_VALUES and v not in out and len(v) <= 200:
                out.append(v)
    return out[:MAX_VALUES]


def _matcher(value: str) -> re.Pattern[str] | None:
    # a short or numeric value ("42") must stand alone, not inside "1420" or "v42ms"
    if len(value) < 8 or value.isdigit():
        return re.compile(rf"(?<![\w.-]){re.escape(value)}(?![\w-])")
    return None


# Whether an occurrence of a fingerprint was read from a path at a line in [lo, hi]
# (ErrorStore.occurred): a line just after one is part of that failure.
Occurred = Callable[[str, str, int, int], bool]


def trace(
    paths: Sequence[str],
    findings: Iterable[Finding],
    occurred: Occurred,
    display: dict[str, str] | None = None,
    exclude: tuple[str, ...] = (),
) -> dict[str, Lifecycle]:
    """Finding id -> Lifecycle, for the findings with key values; one pass over all inputs."""
    wanted: dict[str, list[str]] = {}
    by_id = {}
    # a short value ("3", "42") is everywhere in a log: it counts only on a line that also names
    # its column or table
    context: dict[str, set[str]] = {}
    for f in findings:
        values = key_values(f)
        if values:
            wanted[f.id] = values
            by_id[f.id] = f
            near = {c.lower() for key in f.keys for c, _ in key}
            near |= {t.lower() for t in (f.root.table, f.root.referenced_table) if t}
            for v in values:
                if len(v) < SHORT:
                    context.setdefault(v, set()).update(near)
    if not wanted:
        return {}
    values = sorted({v for vs in wanted.values() for v in vs}, key=len, reverse=True)
    matchers = {v: _matcher(v) for v in values}
    hits: dict[str, list[tuple[str, int, str]]] = {v: [] for v in values}
    counts: dict[str, int] = dict.fromkeys(values, 0)
    names = display or {}
    # the chunked search finds the lines worth the checks below: a long value's own lines, and
    # for a short value the lines naming its column or table (far fewer than the lines with "7")
    wanted_lines = Wanted(
        tuple(v for v in values if v not in context),
        tuple((v, tuple(sorted(context[v]))) for v in values if v in context),
    )
    try:
        files = expand_paths(list(paths), exclude)
    except InputError:
        return {}
    for path in files:
        shown = names.get(path, path)
        try:
            for no, text in iter_file_hits(path, wanted_lines):
                for v in values:
                    if v in text:
                        m = matchers[v]
                        if m is not None and not m.search(text):
                            continue
                        if v in context and not any(n in text.lower() for n in context[v]):
                            continue
                        counts[v] += 1
                        if len(hits[v]) < MAX_MENTIONS * 2:
                            hits[v].append((shown, no, _clip(text, v)))
        except InputError:  # unreadable: nothing to trace in it
            continue
        except (OSError, EOFError):
            pass
    return {fid: _lifecycle(by_id[fid], vs, hits, counts, occurred) for fid, vs in wanted.items()}


def _lifecycle(
    finding: Finding,
    values: list[str],
    hits: dict[str, list[tuple[str, int, str]]],
    counts: dict[str, int],
    occurred: Occurred,
) -> Lifecycle:
    table = (finding.root.table or "").lower()
    parent = (finding.root.referenced_table or "").lower()
    seen: set[tuple[str, int]] = set()
    mentions: list[Mention] = []
    total = 0
    for v in values:
        total += counts[v]
        for path, line, text in hits[v]:
            if (path, line) in seen:
                continue
            seen.add((path, line))
            near_occurrence = occurred(finding.fingerprint, path, line - 3, line)  # 0-3 before
            mentions.append(
                Mention(
                    path,
                    line,
                    _time(text),
                    text,
                    v,
                    _action(text, near_occurrence),
                    _subject(text, table, parent),
                )
            )
    ordered_by = "input"
    if mentions and all(m.time for m in mentions):
        mentions.sort(key=lambda m: (m.time or "", m.path, m.line))
        ordered_by = "time"
    kept = mentions[:MAX_MENTIONS]
    return Lifecycle(tuple(values), tuple(kept), max(0, total - len(kept)), ordered_by)


def _action(text: str, near_occurrence: bool) -> str:
    low = text.lower()
    if near_occurrence or any(w in low for w in _FAIL[:4]):
        return "fail"
    if any(w in low for w in _DELETE):
        return "delete"
    if any(w in low for w in _CREATE):
        return "create"
    if "error" in low:
        return "fail"
    if any(w in low for w in _READ):
        return "read"
    return "mention"


def _subject(text: str, table: str, parent: str) -> str | None:
    low = text.lower()
    # PostgreSQL's key DETAIL names the other table: "is not present in table <parent>" is about
    # the child's write, "is still referenced from table <child>" about the parent's delete.
    if "is not present in table" in low:
        return "child"
    if "is still referenced from table" in low:
        return "parent"
    if (
        parent
        and parent in low
        and (not table or table not in low or low.find(parent) < low.find(table))
    ):
        return "parent"
    if table and table in low:
        return "child"
    return None


def _time(text: str) -> str | None:
    m = _EPOCH_MS.search(text)
    if m:
        stamp = datetime.fromtimestamp(int(m.group(1)) / 1000, tz=UTC)
        return stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    m = _ISO.search(text)
    return m.group(0).replace(" ", "T", 1) if m else None


def _clip(text: str, value: str) -> str:
    """The line, or a window of it around the value with visible cut markers."""
    text = text.strip()
    if len(text) <= MAX_TEXT:
        return text
    at = max(0, text.find(value) - MAX_TEXT // 2)
    head = "[…] " if at > 0 else ""
    end = at + MAX_TEXT
    tail = f" […{len(text) - end} more characters]" if end < len(text) else ""
    return f"{head}{text[at:end]}{tail}"
