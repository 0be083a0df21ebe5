"""`triage analyze`: read inputs, elect root database errors, print or write the report."""

from __future__ import annotations

import os
import sys

import click

from triage.cli import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, cli, write_out
from triage.cli.options import (
    format_option,
    output_option,
    patterns_option,
    reported_option,
    window_option,
)
from triage.cli.progress import progress_reporter
from triage.errors import TriageError

FORMATS = ["terminal", "json", "md", "html", "github"]


@cli.command()
@click.argument("paths", nargs=-1, type=str)
@format_option(FORMATS, "Output format (default: terminal on a TTY, markdown otherwise).")
@output_option()
@reported_option()
@click.option(
    "--reported-file",
    type=click.Path(exists=True, dir_okay=False),
    help="Read the claim from a file.",
)
@patterns_option()
@window_option()
@click.option(
    "--fail-on",
    type=click.Choice(["none", "findings"]),
    default="none",
    show_default=True,
    help="Exit 1 when there is at least one finding (for CI gating).",
)
@click.option(
    "--templates",
    "template_dir",
    type=click.Path(exists=True, file_okay=False),
    help="Directory of templates overriding the built-in ones.",
)
@click.option(
    "--exclude",
    multiple=True,
    metavar="GLOB",
    help="Leave matching files out of walked directories (repeatable; .triageignore files too).",
)
@click.option(
    "--schema",
    "schema_paths",
    multiple=True,
    type=click.Path(exists=True),
    help="Migrations file or directory (repeatable); default: found under the working directory.",
)
@click.option(
    "--no-redact",
    is_flag=True,
    help="Keep secrets (passwords, tokens, API keys) in the report instead of masking them.",
)
@click.option("--no-progress", is_flag=True, help="Never show a progress bar.")
def analyze(
    paths: tuple[str, ...],
    fmt: str | None,
    output: str | None,
    reported: str | None,
    reported_file: str | None,
    pattern_dirs: tuple[str, ...],
    window: float,
    fail_on: str,
    template_dir: str | None,
    exclude: tuple[str, ...],
    schema_paths: tuple[str, ...],
    no_redact: bool,
    no_progress: bool,
) -> None:
    """Analyze logs: PATHS are files, directories or - for stdin (the default when piped)."""
    from triage.pipeline import Options
    from triage.pipeline import analyze as run_analysis
    from triage.report import report_data

    if not paths:
        if sys.stdin.isatty():
            raise click.UsageError(
                "give at least one path, or pipe logs in: pytest 2>&1 | triage analyze -"
            )
        paths = ("-",)
    if reported_file:
        with open(reported_file, encoding="utf-8", errors="replace") as fh:
            reported = fh.read().strip()
    fmt = fmt or ("terminal" if output is None and sys.stdout.isatty() else "md")
    try:
        with progress_reporter(enabled=not no_progress and sys.stderr.isatty()) as progress:
            report = run_analysis(
                list(paths),
                Options(
                    reported=reported,
                    pattern_dirs=pattern_dirs,
                    window=window,
                    cwd=os.getcwd(),
                    exclude=exclude,
                    schema_paths=schema_paths,
                ),
                progress,
            )
        data = report_data(report, redact=not no_redact)
        del report  # what the report data does not share (failures as objects) can go now
        if fmt == "terminal":
            from triage.cli.terminal import print_report

            print_report(data, output)
        elif fmt == "json":
            from triage.render import json_chunks

            write_out(json_chunks(data), output)
        elif fmt == "github":
            from triage.github import render_github

            write_out(render_github(data), output)
        else:
            from triage.render import render

            write_out(render(data, fmt, template_dir), output)
    except TriageError as exc:
        click.echo(f"triage: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    sys.exit(EXIT_FINDINGS if fail_on == "findings" and data["findings"] else EXIT_OK)
