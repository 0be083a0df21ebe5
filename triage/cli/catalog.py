"""`triage explain` and `triage patterns list|show|check`: thin wrappers over the catalog."""

from __future__ import annotations

import sys
from typing import Any

import click

from triage.catalog import Catalog, Pattern, fill, load_catalog
from triage.cli import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, cli
from triage.errors import TriageError

PATTERNS_OPTION = click.option(
    "--patterns",
    "pattern_dirs",
    multiple=True,
    type=click.Path(exists=True, file_okay=False),
    help="Extra pattern directory (a local knowledge base); repeatable.",
)


def _console() -> Any:
    from rich.console import Console  # rich is imported only when something is printed

    return Console(highlight=False, soft_wrap=True)


def escape(text: str) -> str:
    from rich.markup import escape as markup_escape

    return markup_escape(text)


def _catalog(pattern_dirs: tuple[str, ...]) -> Catalog:
    try:
        return load_catalog(pattern_dirs)
    except TriageError as exc:
        click.echo(f"triage: {exc}", err=True)
        sys.exit(EXIT_USAGE)


@cli.command()
@click.argument("query")
@PATTERNS_OPTION
def explain(query: str, pattern_dirs: tuple[str, ...]) -> None:
    """Explain a SQLSTATE, condition name, pattern id, constraint or table name, or error message."""
    from triage.explain import explain as run

    result = run(query, _catalog(pattern_dirs))
    con = _console()
    if not result.found:
        hint = f" (did you mean: {', '.join(result.suggestions)}?)" if result.suggestions else ""
        click.echo(f"triage: nothing known about {query!r}{hint}", err=True)
        sys.exit(EXIT_USAGE)
    if result.guess:
        con.print(escape(result.guess) + ":")
    if result.sqlstate:
        con.print(f"[bold]{result.sqlstate}[/] {escape(result.condition or '')}")
        con.print(f"class {result.sqlclass}: {escape(result.class_title or '?')}")
        if result.class_meaning:
            con.print(f"for triage: {escape(result.class_meaning)}")
    elif result.condition:
        con.print(f"[bold]{escape(result.condition)}[/] (not a SQLSTATE)")
    if result.error is not None and not result.guess:
        err = result.error
        names = [f"{k}={v}" for k in ("table", "column", "constraint") if (v := getattr(err, k))]
        if names:
            con.print("read from the message: " + escape(", ".join(names)))
    for pattern in result.patterns:
        fixes = (
            result.match.fixes if result.match and result.match.pattern.id == pattern.id else None
        )
        _print_pattern(con, pattern, fixes)
    sys.exit(EXIT_OK)


def _print_pattern(con: Any, p: Pattern, fixes: tuple[str, ...] | None = None) -> None:
    con.print()
    con.print(f"[bold]{escape(p.title)}[/]  [dim]({escape(p.id)}{', local' if p.local else ''})[/]")
    for label, value in (
        ("known issue", p.known_issue),
        ("owner", p.owner),
        ("verdict", p.verdict),
    ):
        if value:
            con.print(f"{label}: {escape(value)}")
    if p.explanation or p.summary:
        con.print(escape(fill((p.explanation or p.summary).strip(), {}, prose=True)))
    if p.causes:
        con.print("[bold]Likely causes[/]")
        ranked = sorted(p.causes, key=lambda c: -c.weight)
        for i, cause in enumerate(ranked, 1):
            con.print(f"  {i}. {escape(cause.text)}")
            if cause.evidence_hint:
                con.print(f"     [dim]look for: {escape(cause.evidence_hint)}[/]")
    texts = fixes if fixes is not None else tuple(fill(f.text, {}) for f in p.fixes)
    if texts:
        con.print("[bold]Fix[/]")
        for text in texts:
            con.print(f"  - {escape(text)}")
    if p.docs:
        con.print("[bold]Docs[/]")
        for url in p.docs:
            con.print(f"  {escape(url)}")


@cli.group()
def patterns() -> None:
    """List, show and lint the pattern catalog (built-in plus local knowledge bases)."""


@patterns.command("list")
@PATTERNS_OPTION
def list_patterns(pattern_dirs: tuple[str, ...]) -> None:
    """One line per pattern: id, codes, title."""
    for p in _catalog(pattern_dirs).patterns:
        codes = ",".join(p.sqlstates or p.conditions)
        click.echo(f"{p.id}\t{codes}\t{'local ' if p.local else ''}{p.title}")


@patterns.command("show")
@click.argument("pattern_id")
@PATTERNS_OPTION
def show(pattern_id: str, pattern_dirs: tuple[str, ...]) -> None:
    """Print one pattern in full."""
    catalog = _catalog(pattern_dirs)
    pattern = catalog.get(pattern_id)
    if pattern is None:
        near = catalog.did_you_mean(pattern_id, ids=True)
        hint = f" (did you mean: {', '.join(near)}?)" if near else ""
        click.echo(f"triage: no pattern {pattern_id!r}{hint}", err=True)
        sys.exit(EXIT_USAGE)
    con = _console()
    con.print(f"codes: {', '.join(pattern.sqlstates + pattern.conditions)}")
    if pattern.match:
        con.print("match: " + escape(", ".join(f"{k}={v!r}" for k, v in pattern.match.items())))
    con.print(f"file: {escape(pattern.source_path or '-')}")
    _print_pattern(con, pattern)
    con.print(f"examples: {len(pattern.examples)}, counterexamples: {len(pattern.counterexamples)}")


@patterns.command("check")
@click.argument("dirs", nargs=-1, type=click.Path(exists=True, file_okay=False))
@click.option(
    "--logs",
    multiple=True,
    type=click.Path(exists=True),
    help="Logs to test the patterns against: rule rot and errors no specific pattern matched.",
)
def check(dirs: tuple[str, ...], logs: tuple[str, ...]) -> None:
    """Lint pattern directories (the built-in catalog when none is given) and run their examples."""
    from triage.catalog_lint import check as run

    try:
        found = run(dirs, logs)
    except TriageError as exc:
        click.echo(f"triage: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    for problem in found:
        click.echo(str(problem))
    if found:
        click.echo(f"{len(found)} problem(s)", err=True)
        sys.exit(EXIT_FINDINGS)
    click.echo("patterns ok", err=True)
    sys.exit(EXIT_OK)
