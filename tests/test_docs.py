"""The README is the front door: every command and option it shows must exist in the CLI."""

from __future__ import annotations

import re

import click
import pytest

from tests.conftest import ROOT
from triage.cli import (
    cli,
    commands,  # noqa: F401  (registers the subcommands)
)

README = (ROOT / "README.md").read_text()


def readme_invocations() -> list[list[str]]:
    calls = []
    for block in re.findall(r"```\n(.*?)```", README, re.S):
        for line in block.splitlines():
            line = line.split("#")[0].strip()
            m = re.search(r"(?:^|\|\s*|&&\s*)triage (\w[\w-]*)(.*)$", line)
            if m:
                own = m.group(2).split(" -- ")[0]  # after "--" the words are the child command's
                calls.append([m.group(1), *re.findall(r"(?<!\S)(--?[a-z][\w-]*)", own)])
    return calls


def command(name: str) -> click.Command:
    found = cli.commands.get(name)
    assert found is not None, f"README shows `triage {name}`, which does not exist"
    return found


@pytest.mark.parametrize("call", readme_invocations(), ids=lambda c: " ".join(c))
def test_readme_commands_and_options_exist(call: list[str]) -> None:
    cmd = command(call[0])
    options = set()
    for param in cmd.params:
        options.update(getattr(param, "opts", []))
        options.update(getattr(param, "secondary_opts", []))
    if isinstance(cmd, click.Group):
        for sub in cmd.commands.values():
            for param in sub.params:
                options.update(getattr(param, "opts", []))
    options.update({"-h", "--help", "--"})
    for opt in call[1:]:
        assert opt in options, (
            f"README uses `triage {call[0]} {opt}`, not an option of that command"
        )


def test_readme_shows_every_command() -> None:
    shown = {c[0] for c in readme_invocations()}
    assert set(cli.commands) <= shown, (
        f"commands missing from the README: {set(cli.commands) - shown}"
    )
