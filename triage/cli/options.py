"""Options shared by several commands, declared once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import click


def format_option(formats: Sequence[str], help: str) -> Callable[[Any], Any]:
    return click.option(
        "--format", "fmt", type=click.Choice(list(formats)), default=None, help=help
    )


def output_option(help: str = "Write the report to FILE.") -> Callable[[Any], Any]:
    return click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help=help)


def patterns_option() -> Callable[[Any], Any]:
    return click.option(
        "--patterns",
        "pattern_dirs",
        multiple=True,
        type=click.Path(exists=True, file_okay=False),
        help="Extra pattern directory (repeatable); .triage/patterns/ is found automatically.",
    )


def window_option() -> Callable[[Any], Any]:
    return click.option(
        "--window",
        type=float,
        default=5.0,
        show_default=True,
        help="Seconds before a failure searched for its root when no id links them.",
    )


def reported_option() -> Callable[[Any], Any]:
    return click.option(
        "--reported", help="What the ticket says failed; the report checks it against the evidence."
    )
