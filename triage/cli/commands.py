"""Registers every subcommand module on the click group."""

from triage.cli import analyze, catalog, run, summary  # noqa: F401
