"""`triage patterns check`: lint pattern directories, run their examples, and look for rule rot.

Each problem is one line naming the file and the key. Examples go through the real readers and
the real extractor, exactly as a log would.
"""

from __future__ import annotations

import os
import tempfile
import tomllib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from triage.catalog import Catalog, Pattern, builtin_dir, load_catalog, load_dir
from triage.catalog_schema import problems as schema_problems
from triage.errors import TriageError
from triage.model import DbError


@dataclass(frozen=True)
class Problem:
    path: str
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.key}: {self.message}"


def errors_in_text(text: str, suffix: str = ".log") -> list[DbError]:
    """The DbErrors the readers and extractor find in a piece of text, as if it were a log file."""
    with tempfile.TemporaryDirectory(prefix="triage-example-") as tmp:
        path = os.path.join(tmp, "example" + suffix)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text if text.endswith("\n") else text + "\n")
        return list(errors_in_paths([path]))


def errors_in_paths(paths: Sequence[str]) -> Iterable[DbError]:
    from triage.inputs import ReadResult, read_inputs
    from triage.pgerror import extract

    for event in read_inputs(list(paths), ReadResult()):
        yield from extract(event).errors


def example_verdict(catalog: Catalog, pattern_id: str, errors: Sequence[DbError]) -> str | None:
    """Why an example does not prove its pattern (None when it does): no match, or a tie."""
    chosen = []
    for err in errors:
        ranked = catalog.ranked(err)
        best = catalog.match(err)
        if best is not None and best.pattern.id == pattern_id and not best.generic:
            ties = [p.id for score, p in ranked if score == best.score and p.id != pattern_id]
            if ties:
                return f"ties with {', '.join(ties)} (equal specificity: add a [match] key)"
            return None
        chosen.append(best.pattern.id if best else "nothing")
    if not errors:
        return "no database error was extracted from the text"
    return f"matched {', '.join(dict.fromkeys(chosen))} instead"


def check(
    dirs: Sequence[str] = (), logs: Sequence[str] = (), cwd: str | None = None
) -> list[Problem]:
    """Every problem in the given pattern dirs (the built-in catalog when none is given)."""
    targets = list(dirs) or [builtin_dir()]
    out: list[Problem] = []
    for directory in targets:
        out.extend(_file_problems(directory))
    if out:  # examples cannot be judged on a catalog that does not load
        return out
    extra = [d for d in targets if os.path.realpath(d) != os.path.realpath(builtin_dir())]
    try:
        catalog = load_catalog(extra, cwd=cwd)
    except TriageError as exc:
        return [Problem(str(exc), "-", "catalog does not load")]
    checked = [p for d in targets for p in load_dir(d, local=d in extra)]
    for pattern in checked:
        out.extend(_example_problems(catalog, catalog.get(pattern.id) or pattern))
    if logs:
        out.extend(_log_problems(catalog, checked, logs))
    return out


def _file_problems(directory: str) -> list[Problem]:
    if not os.path.isdir(directory):
        return [Problem(directory, "-", "not a directory")]
    out = []
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".toml"):
            continue
        path = os.path.join(directory, name)
        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            out.append(Problem(path, "-", f"not valid TOML: {exc}"))
            continue
        out.extend(Problem(path, key, msg) for key, msg in schema_problems(data))
    return out


def _example_problems(catalog: Catalog, pattern: Pattern) -> list[Problem]:
    out = []
    path = pattern.source_path or pattern.id
    for i, ex in enumerate(pattern.examples):
        why = example_verdict(catalog, pattern.id, errors_in_text(ex.text))
        if why:
            out.append(Problem(path, f"examples[{i}] ({ex.name})", why))
    for i, ex in enumerate(pattern.counterexamples):
        for err in errors_in_text(ex.text):
            best = catalog.match(err)
            if best is not None and best.pattern.id == pattern.id:
                out.append(
                    Problem(path, f"counterexamples[{i}] ({ex.name})", "matches the pattern")
                )
                break
    return out


def _log_problems(catalog: Catalog, checked: list[Pattern], logs: Sequence[str]) -> list[Problem]:
    hits: Counter[str] = Counter()
    out = []
    for err in errors_in_paths(list(logs)):
        best = catalog.match(err)
        if best is None or best.generic:
            what = err.sqlstate or err.condition or "?"
            out.append(
                Problem(
                    f"{err.location.path}:{err.location.line}",
                    what,
                    f"matched no specific pattern: {err.message[:120]}",
                )
            )
        else:
            hits[best.pattern.id] += 1
    for pattern in checked:
        if not hits[pattern.id]:
            out.append(
                Problem(
                    pattern.source_path or pattern.id,
                    "-",
                    "matched nothing in the logs (rule rot?)",
                )
            )
    return out
