"""Registers every subcommand module on the click group."""

from triage.cli import analyze  # noqa: F401
