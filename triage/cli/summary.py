"""`triage summary`: analyze many run directories, record them in the history, write the nightly summary."""

from __future__ import annotations

import os
import re
import sys

import click

from triage.cli import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, cli
from triage.cli.options import format_option, output_option, patterns_option
from triage.errors import TriageError

FORMATS = ["md", "html", "json"]


@cli.command()
@click.argument("run_dirs", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False))
@click.option(
    "--history",
    default=".triage/history.sqlite",
    show_default=True,
    help="History store: a SQLite file, or a postgresql:// URL shared by many CI runners.",
)
@output_option("Write the summary to FILE.")
@format_option(FORMATS, "Output format (default: from the -o extension, else md).")
@click.option(
    "--fail-on",
    type=click.Choice(["new", "any", "none"]),
    default="none",
    show_default=True,
    help="Exit 1 on a new or regressed root cause (new), on any root cause (any), or never.",
)
@click.option(
    "--run-id",
    help="Run id for every directory (default: triage-run.json, CI variables, dir name).",
)
@click.option("--commit", help="Commit the runs tested.")
@click.option(
    "--branch", help="Branch the runs tested; the history compared with is this branch's."
)
@click.option("--job", help="Job name (with a single run directory).")
@click.option("--time", "time_", help="When the runs started (ISO 8601).")
@click.option(
    "--group",
    help="Regex on each directory path; its first group (or match) is the run id, "
    "so shards of one run are one run.",
)
@patterns_option()
@click.option("--no-step-summary", is_flag=True, help="Do not append to $GITHUB_STEP_SUMMARY.")
def summary(
    run_dirs: tuple[str, ...],
    history: str,
    output: str | None,
    fmt: str | None,
    fail_on: str,
    run_id: str | None,
    commit: str | None,
    branch: str | None,
    job: str | None,
    time_: str | None,
    group: str | None,
    pattern_dirs: tuple[str, ...],
    no_step_summary: bool,
) -> None:
    """Summarize RUN_DIRS (one run per directory) against the history: new, recurring, regressed,
    resolved root causes, flaky tests and the share of failures explained."""
    from triage.history import open_store
    from triage.pipeline import Options, analyze
    from triage.render import render_template, to_json
    from triage.report import report_data
    from triage.runmeta import RunMeta, resolve
    from triage.summary import record_from_report, should_fail, summarize

    fmt = fmt or _format_for(output)
    try:
        grouping = re.compile(group) if group else None
    except re.error as exc:
        raise click.BadParameter(f"not a regular expression: {exc}", param_hint="--group") from exc
    given = RunMeta(run_id, commit, branch, job, time_)
    try:
        if "://" not in history and os.path.dirname(history):
            os.makedirs(os.path.dirname(history), exist_ok=True)
        store = open_store(history)
        try:
            current, branches = set(), set()
            for run_dir in run_dirs:
                meta = resolve(run_dir, given, os.environ, several=len(run_dirs) > 1)
                if grouping and not run_id and (m := grouping.search(run_dir)):
                    meta = RunMeta(m.group(1) if m.groups() else m.group(0)).over(meta)
                report = analyze([run_dir], Options(pattern_dirs=pattern_dirs, cwd=os.getcwd()))
                store.record(record_from_report(report_data(report), meta))
                current.add(meta.run_id or "run")
                branches.add(meta.branch)
            same_branch = branches.pop() if len(branches) == 1 else None
            data = summarize(store.load(branch=same_branch), current, store.name)
        finally:
            store.close()
        text = to_json(data) if fmt == "json" else render_template(f"summary.{fmt}.j2", data)
        step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
        if step_summary and not no_step_summary:
            with open(step_summary, "a", encoding="utf-8") as fh:
                fh.write(text if fmt == "md" else render_template("summary.md.j2", data))
    except TriageError as exc:
        click.echo(f"triage: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    if output:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        click.echo(text, nl=False)
    sys.exit(EXIT_FINDINGS if should_fail(data, fail_on) else EXIT_OK)


def _format_for(output: str | None) -> str:
    ext = os.path.splitext(output or "")[1].lower()
    return {".html": "html", ".htm": "html", ".json": "json"}.get(ext, "md")
