"""Rendering report data: JSON with orjson, Markdown/HTML through the Jinja2 templates/ directory."""

from __future__ import annotations

from functools import cache
from typing import Any

import jinja2
import orjson

FORMATS = ("terminal", "json", "md")


def to_json(data: dict[str, Any]) -> str:
    return orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n"


@cache
def environment(template_dir: str | None = None, html: bool = False) -> jinja2.Environment:
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


def md_cell(text: object) -> str:
    """Text safe inside a Markdown table cell."""
    s = str(text if text is not None else "").replace("\n", " ").replace("|", "\\|")
    return s


def render_template(name: str, data: dict[str, Any], template_dir: str | None = None) -> str:
    env = environment(template_dir, name.endswith(".html") or name.endswith(".html.j2"))
    return env.get_template(name).render(**data)


def render(data: dict[str, Any], fmt: str, template_dir: str | None = None) -> str:
    if fmt == "json":
        return to_json(data)
    if fmt == "md":
        return render_template("report.md.j2", data, template_dir)
    raise ValueError(f"unknown format {fmt}")
