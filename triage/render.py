"""Rendering report data: JSON with orjson, Markdown/HTML through the Jinja2 templates/ directory."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from itertools import islice
from typing import TYPE_CHECKING, Any

import orjson

from triage.views import Rows, by_id

if TYPE_CHECKING:
    import jinja2

FORMATS = ("terminal", "json", "md", "html")
CLIP = 600  # characters of one quoted log line shown before a visible cut marker


JSON_OPTIONS = orjson.OPT_INDENT_2


def to_json(data: dict[str, Any]) -> str:
    return json_bytes(data).decode()


def json_bytes(data: dict[str, Any]) -> bytes:
    return b"".join(json_chunks(data))


def json_chunks(data: dict[str, Any], batch: int = 512) -> Iterator[bytes]:
    """The bytes orjson writes for ``data`` with two-space indents, a top-level key at a time
    and a list read, not held (``views.Rows``), ``batch`` items at a time: a report of 100,000
    failures is tens of MB, and neither it nor its rows are held whole (``cli.write_out``
    writes the pieces)."""
    if not data:
        yield b"{}\n"
        return
    yield b"{"
    for n, (key, value) in enumerate(data.items()):
        yield b"\n  " if n == 0 else b",\n  "
        yield orjson.dumps(key) + b": "
        if isinstance(value, Rows) and len(value):
            yield b"["
            items = iter(value)
            first = True
            while chunk := list(islice(items, batch)):
                parts = [_indented(item, 4) for item in chunk]
                yield (b"\n    " if first else b",\n    ") + b",\n    ".join(parts)
                first = False
            yield b"\n  ]"
        else:
            yield _indented([] if isinstance(value, Rows) else value, 2)
    yield b"\n}\n"


def _indented(value: Any, depth: int) -> bytes:
    """``value`` as orjson writes it nested ``depth`` spaces deep."""
    text = orjson.dumps(value, default=_listed, option=JSON_OPTIONS)
    return text.replace(b"\n", b"\n" + b" " * depth) if b"\n" in text else text


def _listed(value: Any) -> list[Any]:
    """A list read, not held, nested in another value (a finding's ``explains``): a list."""
    if isinstance(value, Rows):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


@cache
def environment(template_dir: str | None = None, html: bool = False) -> jinja2.Environment:
    import jinja2  # only the md and html reports need it: json and terminal runs start faster

    loaders: list[jinja2.BaseLoader] = []
    if template_dir:
        loaders.append(jinja2.FileSystemLoader(template_dir))
    loaders.append(jinja2.PackageLoader("triage.templates", ""))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        autoescape=html,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["code"] = md_code
    env.filters["fence"] = md_fence
    env.filters["cell"] = md_cell
    env.filters["tcode"] = md_table_code
    env.filters["prose"] = md_prose
    env.filters["clip"] = clip
    env.filters["safe_url"] = safe_url
    from triage.investigation import unexplained_groups

    env.globals["unexplained_groups"] = unexplained_groups
    env.globals["by_id"] = by_id
    return env


def md_code(text: object) -> str:
    """An inline code span that the text cannot break out of (CommonMark: longer backtick run)."""
    s = str(text if text is not None else "").replace("\n", " ")
    longest = max((len(r) for r in _runs(s)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if s.startswith("`") or s.endswith("`") or not s else ""
    return f"{ticks}{pad}{s}{pad}{ticks}"


def _runs(s: str) -> list[str]:
    out, cur = [], ""
    for ch in s:
        if ch == "`":
            cur += ch
        elif cur:
            out.append(cur)
            cur = ""
    if cur:
        out.append(cur)
    return out


def md_fence(text: object, lang: str = "") -> str:
    """A fenced block longer than any backtick run inside the text."""
    s = str(text if text is not None else "")
    longest = max((len(r) for r in _runs(s)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{s}\n{fence}"


def md_table_code(text: object) -> str:
    """A code span inside a GFM table cell, where a pipe ends the cell even in code."""
    return md_code(text).replace("|", "\\|")


def md_cell(text: object) -> str:
    """Text safe inside a Markdown table cell: one line, markup characters escaped."""
    return md_prose(text)


# `(`, `)` and `!` are left alone: without an unescaped `[` they cannot start a link or image;
# an underscore inside a word (users_org_id_fkey) cannot start emphasis either.
_MD_SPECIAL = re.compile(r"([\\`*\[\]<>#|~&]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")
_LIST_START = re.compile(r"^(\s*)(\d+)([.)])")


def md_prose(text: object) -> str:
    """Log-derived text as one line of inert Markdown prose: every markup character escaped,
    so it can open no link, emphasis, HTML tag, code span, heading or list."""
    raw = str(text if text is not None else "")
    s = " ".join(raw.split())
    s = _MD_SPECIAL.sub(r"\\\1", s)
    if s[:1] and s[:1] in "-=":
        s = "\\" + s
    s = _LIST_START.sub(r"\1\2\\\3", s)
    # keep one space at either end so prose pieces can be joined around code spans
    lead = " " if raw[:1].isspace() and s else ""
    trail = " " if raw[-1:].isspace() and s else ""
    return f"{lead}{s}{trail}"


def clip(text: object, limit: int = CLIP) -> str:
    """Long evidence cut with a visible marker, never silently."""
    s = str(text if text is not None else "")
    if len(s) <= limit:
        return s
    return f"{s[:limit]} [… cut: {len(s) - limit} more characters]"


def safe_url(url: object) -> str:
    """Only http(s) links are rendered as links; anything else becomes an empty href."""
    s = str(url or "").strip()
    return s if s.startswith(("https://", "http://")) else ""


def render_template(name: str, data: dict[str, Any], template_dir: str | None = None) -> str:
    env = environment(template_dir, name.endswith(".html") or name.endswith(".html.j2"))
    return env.get_template(name).render(**data)


def render(data: dict[str, Any], fmt: str, template_dir: str | None = None) -> str:
    if fmt == "json":
        return to_json(data)
    if fmt == "md":
        return render_template("report.md.j2", data, template_dir)
    if fmt == "html":
        return render_template("report.html.j2", data, template_dir)
    raise ValueError(f"unknown format {fmt}")
