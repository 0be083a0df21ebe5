"""Registers every subcommand module on the click group."""

from triage.cli import analyze  # noqa: F401
from triage.cli import catalog  # noqa: F401
from triage.cli import summary  # noqa: F401
from triage.cli import run  # noqa: F401
