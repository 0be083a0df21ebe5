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
