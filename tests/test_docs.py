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


def code_blocks(text: str) -> list[list[str]]:
    """Lines of each fenced block (a fence closes only with a fence of the same length)."""
    blocks: list[list[str]] = []
    fence: str | None = None
    for line in text.splitlines():
        m = re.match(r"^(`{3,})\w*$", line)
        if fence is None and m:
            fence, current = m.group(1), []
        elif fence is not None and line == fence:
            blocks.append(current)
            fence = None
        elif fence is not None:
            current.append(line)
    return blocks


def readme_invocations() -> list[list[str]]:
    calls = []
    for block in code_blocks(README):
        for line in block:
            line = line.split("#")[0].strip()
            m = re.search(r"(?:^|\|\s*|&&\s*|^\$ )triage (\w[\w-]*)(.*)$", line)
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


# The README shows real output of real commands. Each block between <!-- output:NAME --> markers
# is regenerated here and compared, like a golden file (`pytest --update-golden` rewrites them).
RACE = ["samples/incident-cleanup-race", "--reported", "auth user creation is completely failing"]
OUTPUTS = {
    "terminal": (["analyze", *RACE, "--format", "terminal"], None),
    "md": (["analyze", *RACE, "--format", "md"], "\n## F1"),  # the summary part of the report
}


def _render_output(name: str, tmp: str) -> str:
    import os

    from click.testing import CliRunner

    args, cut = OUTPUTS[name]
    out = f"{tmp}/{name}.out"
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        result = CliRunner().invoke(cli, [*args, "-o", out])
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.output
    with open(out, encoding="utf-8") as fh:
        text = fh.read()
    if cut and cut in text:
        text = text[: text.index(cut)].rstrip() + "\n\n…\n"
    shown = " ".join(a if " " not in a else f'"{a}"' for a in args)
    fence = "```" if name == "terminal" else "````markdown"
    close = "```" if name == "terminal" else "````"
    return f"{fence}\n$ triage {shown}\n{text.rstrip()}\n{close}\n"


@pytest.mark.parametrize("name", sorted(OUTPUTS))
def test_readme_shows_current_output(name: str, tmp_path: object, update_golden: bool) -> None:
    start, end = f"<!-- output:{name} -->\n", f"<!-- /output:{name} -->"
    text = (ROOT / "README.md").read_text()
    assert start in text and end in text, f"README lacks the {name} output markers"
    want = _render_output(name, str(tmp_path))
    got = text[text.index(start) + len(start) : text.index(end)]
    if update_golden:
        (ROOT / "README.md").write_text(text.replace(start + got + end, start + want + end))
        return
    assert got == want, f"README's {name} output is stale: run pytest --update-golden and review"
