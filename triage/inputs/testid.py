"""Test identity across forms: pytest node ids, JUnit classname+name, section titles, vitest/jest.

Heuristic for ``key`` (documented because the correlator relies on it):
  * pytest node id ``tests/test_orders.py::TestRepo::test_x[a-b]`` -> ``test_orders::TestRepo::test_x[a-b]``
    (the module is the file name without directories or ``.py``; rootdirs differ between runs);
  * dotted JUnit form ``tests.test_orders.TestRepo`` + ``test_x[a-b]``: the module is the last
    dotted component before the class, and a component starting with an upper-case letter is a
    class, so it gives the same key;
  * section titles ``TestRepo.test_x`` / ``test_x`` have no module: they match any key that ends
    with them (``same_test``);
  * vitest/jest ``tests/a.test.ts > suite > name`` -> ``a.test::suite::name``.
Parameter ids (``[...]``) are kept verbatim: they may hold dots, spaces and ``::``.
"""

from __future__ import annotations

from functools import lru_cache

JS_EXT = (".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts")


def _split_param(test: str) -> tuple[str, str]:
    br = test.find("[")
    return (test, "") if br < 0 else (test[:br], test[br:])


def _stem(path: str) -> str:
    base = path.replace("\\", "/").rsplit("/", 1)[-1]
    for ext in (".py", *JS_EXT):
        if base.endswith(ext):
            return base[: -len(ext)]
    return base


def normalise(test: str) -> str:
    """The fullest id a test form allows: pytest node id for pytest forms, ``a > b`` for JS."""
    test = test.strip().replace("\\", "/")
    if test.startswith("./"):
        test = test[2:]
    head, param = _split_param(test)
    if "::" in head:
        return test
    if " > " in test:
        return " > ".join(part.strip() for part in test.split(" > ") if part.strip())
    if "." not in head or "/" in head:
        return test
    parts = head.split(".")
    if all(p[:1].isupper() for p in parts[:-1]) or not parts[-1].startswith("test"):
        return test  # a section title (Class.test_x) or not a test id at all
    classes = [i for i, p in enumerate(parts[:-1]) if p[:1].isupper()]
    cut = classes[0] if classes else len(parts) - 1
    module = "/".join(parts[:cut]) + ".py"
    return "::".join([module, *parts[cut:]]) + param


def from_junit(classname: str, name: str) -> str:
    """A JUnit testcase as a node id (pytest) or a ``file > title`` id (vitest, jest-junit)."""
    classname, name = classname.strip(), name.strip()
    if not classname:
        return normalise(name.replace(".", "/") + ".py") if name.startswith("tests.") else name
    if "/" in classname or classname.endswith(JS_EXT):
        return normalise(f"{classname} > {name}")
    if name == classname or name.startswith(classname + " "):
        return name  # jest-junit default: classname "{suite} {title}", name the same
    return normalise(f"{classname}.{name}")


@lru_cache(maxsize=4096)  # a failing test's id is keyed several times (title, summary, store)
def key(test: str) -> str:
    """Canonical ``module::Class::name[param]`` (module omitted when the form has none)."""
    full = normalise(test)
    if " > " in full:
        first, _, rest = full.partition(" > ")
        return "::".join([_stem(first), *rest.split(" > ")])
    head, param = _split_param(full)
    if "::" in head:
        path, _, rest = head.partition("::")
        return f"{_stem(path)}::{rest}{param}"
    if head.endswith(".py"):
        return _stem(head)  # a collection error names only the file
    return head.replace(".", "::") + param


def same_test(a: str, b: str) -> bool:
    """True when two forms name the same test (a title without module matches by suffix)."""
    ka, kb = key(a), key(b)
    return ka == kb or ka.endswith("::" + kb) or kb.endswith("::" + ka)


class SeenTests:
    """Tests met so far, each checked against all of them as ``same_test`` would, in constant
    time: the keys met, and every tail of them after a "::" (a title without module matches a
    key ending with it). ``add`` says whether a test is new and, if so, notes it."""

    def __init__(self) -> None:
        self._keys: set[str] = set()
        self._tails: set[str] = set()

    def add(self, test: str) -> bool:
        k = key(test)
        tails = _tails(k)
        if k in self._keys or k in self._tails or not self._keys.isdisjoint(tails):
            return False
        self._keys.add(k)
        self._tails.update(tails)
        return True

    def __len__(self) -> int:
        return len(self._keys)


def _tails(k: str) -> list[str]:
    """Every t with k.endswith("::" + t)."""
    out = []
    i = k.find("::")
    while i >= 0:
        out.append(k[i + 2 :])
        i = k.find("::", i + 1)
    return out
