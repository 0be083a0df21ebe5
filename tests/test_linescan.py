"""The native line scanner gives exactly what the Python reference gives."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from triage.inputs import linescan
from triage.inputs.linescan import NATIVE, select_py

ROOT = Path(__file__).resolve().parent.parent
PIECES = [
    b"a",
    b"b",
    b"\n",
    b"E",
    b"e",
    b"rror",
    b"RROR",
    b"x",
    b"{",
    b'{"level":30,',
    b" ",
    b"\xff",
]
QUIET = (b'{"level":30,', b'{"level":20,')

native = pytest.mark.skipif(
    NATIVE is None and not os.environ.get("CI"),
    reason="the C extension was not built here (no compiler?); CI always builds it",
)


def test_ci_builds_the_native_scanner() -> None:
    if os.environ.get("CI") and not os.environ.get("TRIAGE_PURE_PYTHON"):
        assert NATIVE is not None, "triage/_linescan.c did not build: the fast paths are off"
    assert linescan.select is (NATIVE or select_py)


def test_reference_on_a_small_block() -> None:
    data = b'{"level":30,"msg":"ok"}\nE   Error here\n{"level":50}\nplain\nlast rror'
    got = select_py(data, 0, len(data), len(data), keep_unless=QUIET, needles=(b"rror",))
    assert got == (5, [(1, 24, 38), (2, 39, 51), (3, 52, 57), (4, 58, 67)])
    # only lines STARTING before stop count; a line may run past stop up to end
    assert select_py(data, 0, 30, len(data), prefixes=(b"E ",)) == (2, [(1, 24, 38)])
    assert select_py(data, 24, 39, len(data), folded=(b"error",)) == (1, [(0, 24, 38)])
    assert select_py(data, 0, len(data), len(data), suffixes=(b"ain",)) == (5, [(3, 52, 57)])


@native
@settings(max_examples=400, deadline=None)
@given(
    parts=st.lists(st.sampled_from(PIECES), max_size=60),
    cuts=st.tuples(st.floats(0, 1), st.floats(0, 1), st.floats(0, 1)),
    which=st.tuples(*(st.booleans() for _ in range(5))),
)
def test_native_equals_reference(
    parts: list[bytes], cuts: tuple[float, float, float], which: tuple[bool, ...]
) -> None:
    data = b"".join(parts)
    a, b, c = sorted(int(x * len(data)) for x in cuts)
    kw = {
        "keep_unless": QUIET,
        "prefixes": (b"E", b"ab"),
        "suffixes": (b"b", b"x"),
        "needles": (b"rror", b"a", b"\nE"),
        "folded": (b"rror", b"xe"),
    }
    chosen = {k: v for (k, v), on in zip(kw.items(), which, strict=True) if on}
    assert NATIVE is not None
    assert NATIVE(data, a, b, c, **chosen) == select_py(data, a, b, c, **chosen)
    assert NATIVE(bytearray(data), a, b, c, **chosen) == select_py(data, a, b, c, **chosen)


@native
@pytest.mark.parametrize(
    "name", ["node-pg-fk-child-insert", "py-asyncpg-integrity", "incident-noisy-10k"]
)
def test_native_equals_reference_on_real_samples(name: str) -> None:
    paths = sorted((ROOT / "samples").glob(f"{name}/*.log"))
    assert paths
    for path in paths:
        data = path.read_bytes()
        kw = {
            "keep_unless": QUIET,
            "needles": (b"rror", b"ttempt"),
            "folded": (b"violates", b"key"),
        }
        assert NATIVE is not None
        assert NATIVE(data, 0, len(data), len(data), **kw) == select_py(
            data, 0, len(data), len(data), **kw
        )


@native
def test_native_rejects_bad_arguments_with_one_line_errors() -> None:
    assert NATIVE is not None
    with pytest.raises(TypeError, match="needles must be a tuple of bytes"):
        NATIVE(b"x", 0, 1, 1, needles=["x"])  # type: ignore[arg-type]
    assert NATIVE(b"abc", 5, 9, 99, needles=(b"b",)) == (0, [])  # ranges are clamped
