"""The command line: a thin click layer over the library. Only this package imports click/rich.

Exit codes are named constants; a TriageError becomes one line on stderr and EXIT_USAGE.
"""

from __future__ import annotations

import click

from triage import __version__

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="triage")
def cli() -> None:
    """Find the database error that really failed a test run, and the symptoms it explains."""


def main() -> None:
    from triage.cli import commands  # noqa: F401  (registers the subcommands)

    cli(prog_name="triage")
