"""`triage patterns check`: each kind of problem is caught, named by file and key, exit 1."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from triage.catalog import load_catalog
from triage.catalog_lint import check
from triage.catalog_schema import nested_quantifier
from triage.cli import catalog as _catalog_cli  # noqa: F401  (registers the commands)
from triage.cli import cli

BUILTIN = load_catalog(cwd="/")
UNIQUE = next(e.text for e in BUILTIN.get("23505-unique-violation").examples if e.name == "psql")  # type: ignore[union-attr]
FK = next(
    e.text for e in BUILTIN.get("23503-foreign-key-violation").examples if e.name == "psql-insert"
)  # type: ignore[union-attr]
AFTER_DIVISION = next(
    e.text
    for e in BUILTIN.get("25P02-in-failed-sql-transaction").examples
    if e.name == "psql-after-division"  # type: ignore[union-attr]
)


def lit(text: str) -> str:
    return "'''\n" + text.rstrip("\n") + "\n'''"


def write(folder: Path, name: str, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(body, encoding="utf-8")
    return path


def lines(dirs: list[Path], logs: list[Path] | None = None) -> list[str]:
    return [str(p) for p in check([str(d) for d in dirs], [str(x) for x in logs or []], cwd="/")]


def test_builtin_catalog_is_clean_through_the_cli() -> None:
    result = CliRunner().invoke(cli, ["patterns", "check"])
    assert result.exit_code == 0, result.output


def test_unknown_keys_bad_regex_and_unknown_sqlstate(tmp_path: Path) -> None:
    write(
        tmp_path,
        "bad.toml",
        'title = "x"\nsqlstates = ["23505", "ZZ999"]\nowner_team = "a"\n'
        "[match]\nmessage = '(unclosed'\ncolour = 'red'\n[[fixes]]\ntext = 'x'\nrisk = 'extreme'\n",
    )
    found = lines([tmp_path])
    where = str(tmp_path / "bad.toml")
    assert f"{where}: owner_team: unknown key" in found
    assert f"{where}: sqlstates[1]: 'ZZ999' is not a known SQLSTATE" in found
    assert any(line.startswith(f"{where}: match.message: regex does not compile") for line in found)
    assert f"{where}: match.colour: unknown key" in found
    assert f"{where}: fixes[0].risk: must be one of high, low, medium" in found


@pytest.mark.parametrize("regex", [r"(a+)+", r"(\w*)*", r"(.*a)*", r"(?:x|y+)+z", r"((ab)+c)+"])
def test_nested_quantifiers_are_rejected(tmp_path: Path, regex: str) -> None:
    assert nested_quantifier(regex)
    write(
        tmp_path, "slow.toml", f"title = 'x'\nsqlstates = ['23505']\n[capture]\nkey = '{regex}'\n"
    )
    assert lines([tmp_path]) == [
        f"{tmp_path / 'slow.toml'}: capture.key: regex nests a quantifier inside a repeated group (catastrophic backtracking)"
    ]


@pytest.mark.parametrize(
    "regex", [r"Key \((?P<k>[^)]+)\)=", r"(ab)?c+", r'"[^"]+" on table "[^"]+"']
)
def test_ordinary_regexes_pass(regex: str) -> None:
    assert not nested_quantifier(regex)


def test_examples_must_match_their_own_pattern_and_counterexamples_must_not(tmp_path: Path) -> None:
    write(
        tmp_path,
        "users-email.toml",
        "title = 'users e-mail'\nsqlstates = ['23505']\n[match]\nconstraint = 'users_email_key'\n"
        f"[[examples]]\nname = 'wrong'\ntext = {lit(FK)}\n"
        f"[[counterexamples]]\nname = 'oops'\ntext = {lit(UNIQUE)}\n",
    )
    where = tmp_path / "users-email.toml"
    assert lines([tmp_path]) == [
        f"{where}: examples[0] (wrong): matched 23503-foreign-key-violation instead",
        f"{where}: counterexamples[0] (oops): matches the pattern",
    ]


def test_examples_that_depend_on_tie_breaking(tmp_path: Path) -> None:
    for name in ("a.toml", "b.toml"):
        write(
            tmp_path,
            name,
            "title = 'same'\nsqlstates = ['23505']\n[match]\nconstraint = 'users_*'\n"
            f"[[examples]]\nname = 'dup'\ntext = {lit(UNIQUE)}\n",
        )
    found = lines([tmp_path])
    assert any("ties with" in line and "(equal specificity" in line for line in found)


def test_logs_report_rule_rot_and_errors_without_a_specific_pattern(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    write(
        kb,
        "never.toml",
        "title = 'never'\nsqlstates = ['23503']\n[match]\nconstraint = 'nothing_fkey'\n",
    )
    logs = tmp_path / "logs"
    write(logs, "run.log", UNIQUE + AFTER_DIVISION)
    found = lines([kb], [logs])
    assert f"{kb / 'never.toml'}: -: matched nothing in the logs (rule rot?)" in found
    unmatched = [line for line in found if "matched no specific pattern" in line]
    assert len(unmatched) == 1 and "22012" in unmatched[0] and "division by zero" in unmatched[0]
    assert unmatched[0].startswith(str(logs / "run.log") + ":")


def test_cli_exit_code_and_one_line_per_problem(tmp_path: Path) -> None:
    write(tmp_path, "x.toml", "title = 'x'\nsqlstates = ['23505']\nbogus = 1\n")
    result = CliRunner().invoke(cli, ["patterns", "check", str(tmp_path)])
    assert result.exit_code == 1
    assert f"{tmp_path / 'x.toml'}: bogus: unknown key" in result.output.splitlines()
