"""The command line: a thin click layer over the library. Only this package imports click/rich.

Exit codes are named constants; a TriageError becomes one line on stderr and EXIT_USAGE.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

import click

from triage import __version__

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="triage")
def cli() -> None:
    """Find the database error that really failed a test run, and the symptoms it explains."""


def write_out(text: str | bytes | Iterable[bytes], output: str | None, err: bool = False) -> None:
    """A report to ``output`` (a file), else to stdout (stderr with ``err``); an iterable of
    bytes (the JSON report: ``render.json_chunks``) is written piece by piece."""
    chunks: Iterable[bytes] = (
        [text.encode()] if isinstance(text, str) else [text] if isinstance(text, bytes) else text
    )
    if output:
        with open(output, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
        return
    stream = (sys.stderr if err else sys.stdout).buffer
    for chunk in chunks:
        stream.write(chunk)
    stream.flush()


def main() -> None:
    from triage.cli import commands  # noqa: F401  (registers the subcommands)

    cli(prog_name="triage")
