"""SQL text, lexically: statements with their first line, identifiers as PostgreSQL stores them,
and quote-aware parenthesis and list scanning (schema_sql.py reads the definitions out of it)."""

from __future__ import annotations

import re
from collections.abc import Iterator


def unquote(name: str) -> str:
    """An identifier as PostgreSQL stores it: quoted kept as is, unquoted folded to lower case."""
    name = name.strip()
    return name[1:-1] if name.startswith('"') and name.endswith('"') else name.lower()


def split_name(qname: str) -> tuple[str | None, str]:
    parts = [unquote(p) for p in re.split(r"\s*\.\s*(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)", qname)]
    return (parts[0], parts[1]) if len(parts) == 2 else (None, parts[-1])


def statements(text: str, base_line: int = 1) -> Iterator[tuple[int, str]]:
    """(first line, statement) for each ;-terminated statement: quotes, $tag$ bodies and
    comments respected, so a function body's semicolons do not cut it."""
    i, n, start, line = 0, len(text), 0, base_line
    start_line = base_line
    while i < n:
        ch = text[i]
        if ch == "\n":
            line += 1
        elif ch == "-" and text.startswith("--", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        elif ch == "/" and text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            line += text.count("\n", i, end)
            i = end
            continue
        elif ch in "'\"":
            end = text.find(ch, i + 1)
            end = n if end < 0 else end + 1
            line += text.count("\n", i, end)
            i = end
            continue
        elif ch == "$":
            m = re.match(r"\$[A-Za-z_]*\$", text[i : i + 64])
            if m:
                tag = m.group(0)
                end = text.find(tag, i + len(tag))
                end = n if end < 0 else end + len(tag)
                line += text.count("\n", i, end)
                i = end
                continue
        elif ch == ";":
            yield from _emit(text[start:i], start_line)
            start, start_line = i + 1, line
        i += 1
    yield from _emit(text[start:], start_line)


def _emit(chunk: str, line: int) -> Iterator[tuple[int, str]]:
    # the statement starts at its first non-blank, non-comment line
    body = chunk
    while True:
        stripped = body.lstrip()
        line += body[: len(body) - len(stripped)].count("\n")
        body = stripped
        if body.startswith("--"):
            nl = body.find("\n")
            if nl < 0:
                return
            body = body[nl:]
            continue
        break
    if body.strip():
        yield line, body.rstrip()


def unquoted_chars(text: str, start: int = 0) -> Iterator[tuple[int, str, int]]:
    """(offset, character, parenthesis depth after it) for every character outside quotes."""
    depth, quote = 0, ""
    for i in range(start, len(text)):
        ch = text[i]
        if quote:
            if ch == quote:
                quote = ""
            continue
        if ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        yield i, ch, depth


def inside_parens(text: str, open_at: int) -> str:
    """The text inside the parenthesis opening at ``open_at`` (to its match, quotes respected)."""
    for i, ch, depth in unquoted_chars(text, open_at):
        if ch == ")" and depth == 0:
            return text[open_at + 1 : i]
    return text[open_at + 1 :]


def list_items(body: str) -> Iterator[tuple[int, str]]:
    """(offset, item) for the top-level comma-separated items of a parenthesised list."""
    start = 0
    for i, ch, depth in unquoted_chars(body):
        if ch == "," and depth == 0:
            yield from _item(body, start, i)
            start = i + 1
    yield from _item(body, start, len(body))


def _item(body: str, start: int, end: int) -> Iterator[tuple[int, str]]:
    chunk = body[start:end]
    lines = [ln for ln in chunk.split("\n") if not ln.strip().startswith("--")]
    text = "\n".join(lines).strip()
    if text:
        lead = len(chunk) - len(chunk.lstrip())
        yield start + lead, text


def column_list(text: str) -> tuple[str, ...]:
    """The column names of a list such as ``org_id, "Email" text``: each item's first word."""
    cols = []
    for _, part in list_items(text):
        word = part.strip().split(" ", 1)[0]
        if word and not word.startswith("("):
            cols.append(unquote(word))
    return tuple(cols)
