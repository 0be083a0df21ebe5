"""`triage run -- CMD ...`: run the tests with their output passed through, then triage what they printed.

The command's stdout stays the command's: the report goes to stderr (or to -o FILE), except
``--format github`` whose annotations go to stdout after the command has finished.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import click

from triage import runmeta
from triage.cli import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, cli, write_out
from triage.cli.options import (
    format_option,
    output_option,
    patterns_option,
    reported_option,
    window_option,
)
from triage.errors import TriageError

FORMATS = ["terminal", "md", "json", "github"]
EXIT_NOT_FOUND = 127  # what a shell returns for a command it cannot run


@cli.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
@click.option(
    "--log",
    "logs",
    multiple=True,
    type=click.Path(exists=False),
    help="A log file the command writes (JUnit XML, reportlog, server log); read after it ends. Repeatable.",
)
@format_option(
    FORMATS, "Report format (default: terminal on a TTY, else markdown; -o FILE.json means json)."
)
@output_option()
@click.option(
    "--fail-on",
    type=click.Choice(["exit", "findings", "none"]),
    default="exit",
    show_default=True,
    help="exit: the command's own exit status; findings: also 1 when a root cause was found "
    "even though the command passed; none: always 0.",
)
@click.option(
    "--spool",
    type=click.Path(dir_okay=False, writable=True),
    help="Keep the command's output in FILE (default: a temporary file, removed afterwards).",
)
@reported_option()
@patterns_option()
@window_option()
@click.option(
    "--meta",
    "meta_dir",
    type=click.Path(file_okay=False, writable=True),
    help="Write DIR/triage-run.json: the run's id, commit, branch, job and url (from the CI "
    "variables), its start time and exit status, so that a later `triage summary DIR` (in "
    "another job) files the run under the right id.",
)
@click.option("--no-pty", is_flag=True, help="Use plain pipes even when stdout is a terminal.")
def run(
    command: tuple[str, ...],
    logs: tuple[str, ...],
    fmt: str | None,
    output: str | None,
    fail_on: str,
    spool: str | None,
    reported: str | None,
    pattern_dirs: tuple[str, ...],
    window: float,
    meta_dir: str | None,
    no_pty: bool,
) -> None:
    """Run COMMAND (after --), stream its output through unchanged, triage it, keep its exit status."""
    from triage.pipeline import Options, analyze
    from triage.report import report_data
    from triage.runner import attach_run, run_command

    fmt = fmt or _default_format(output)
    temporary = spool is None
    if spool is None:
        fd, spool = tempfile.mkstemp(prefix="triage-run-", suffix=".log")
        os.close(fd)
    started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        result = run_command(command, spool, use_pty=False if no_pty else None)
        if meta_dir:
            _write_meta(meta_dir, started, result.as_dict())
        label = f"<output of {os.path.basename(command[0])}>" if temporary else None
        paths = [spool, *(p for p in logs if os.path.exists(p))]
        missing = [p for p in logs if not os.path.exists(p)]
        report = analyze(
            paths,
            Options(
                reported=reported,
                pattern_dirs=pattern_dirs,
                window=window,
                cwd=os.getcwd(),
                labels=((spool, label),) if label else (),
            ),
        )
        data = attach_run(report_data(report), result, label)
        del report  # what the report data does not share (failures as objects) can go now
        _emit(data, fmt, output)
        for path in missing:
            click.echo(f"triage: --log {path}: the command did not write it", err=True)
    except TriageError as exc:
        click.echo(f"triage: {exc}", err=True)
        sys.exit(EXIT_NOT_FOUND if "command not found" in str(exc) else EXIT_USAGE)
    finally:
        if temporary:
            os.unlink(spool)
    if fail_on == "none":
        sys.exit(EXIT_OK)
    if fail_on == "findings" and data["findings"] and result.status == 0:
        sys.exit(EXIT_FINDINGS)
    sys.exit(result.status)


def _write_meta(meta_dir: str, started: str, run_block: dict[str, object]) -> None:
    meta = replace(runmeta.from_env(os.environ), time=started)
    try:
        runmeta.write_file(meta_dir, meta, run_block)
    except OSError as exc:  # the run still gets triaged
        click.echo(f"triage: --meta {meta_dir}: {exc.strerror or exc}", err=True)


def _default_format(output: str | None) -> str:
    if output:
        return "json" if output.endswith(".json") else "md"
    return "terminal" if sys.stderr.isatty() else "md"


def _emit(data: dict[str, object], fmt: str, output: str | None) -> None:
    if fmt == "terminal":
        import contextlib

        from triage.cli.terminal import print_report

        # The terminal view prints to stdout; the command's stdout must stay its own.
        with contextlib.redirect_stdout(sys.stderr):
            print_report(data, output)
        return
    text: str | Iterator[bytes]
    if fmt == "github":
        from triage.github import render_github

        text = render_github(data)
    elif fmt == "json":
        from triage.render import json_chunks

        text = json_chunks(data)
    else:
        from triage.render import render

        text = render(data, fmt)
    write_out(text, output, err=fmt != "github")
