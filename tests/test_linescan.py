"""The native line scanner gives exactly what the Python reference gives."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
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
    b"\r",
    b"2024-05-01T12:00:00.1234567Z ",  # GitHub stamps; the second is not one (no fraction)
    b"2024-05-01T12:00:00Z ",
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
    # a GitHub stamp is skipped before prefixes are compared; a stamp alone is an empty line
    stamped = b"2024-05-01T12:00:00.1234567Z E   boom\n2024-05-01T12:00:00.1Z \nE"
    n = len(stamped)
    assert select_py(stamped, 0, n, n, prefixes=(b"E ",)) == (3, [])
    assert select_py(stamped, 0, n, n, prefixes=(b"E ",), stamps=True) == (3, [(0, 0, 37)])
    assert select_py(stamped, 0, n, n, empty=True, stamps=True) == (3, [(1, 38, 61)])
    # a quiet line is taken for a needle only, not for the other reasons
    quiet = select_py(data, 0, len(data), len(data), prefixes=(b"{",), quiet=QUIET)
    assert quiet == (5, [(2, 39, 51)])
    noisy = (b'{"level":30,"msg":"rror"}',)
    assert select_py(noisy[0], 0, 25, 25, prefixes=(b"{",), needles=(b"rror",), quiet=QUIET)[1]
    # only the taken lines holding a required text are returned, numbered as before
    needed = select_py(data, 0, len(data), len(data), folded=(b"error",), required=(b"here",))
    assert needed == (5, [(1, 24, 38)])
    assert select_py(data, 0, len(data), len(data), prefixes=(b"pl",), required=(b"x",)) == (5, [])


@pytest.fixture(params=["avx2", "sse2", "scalar"])
def isa(request: pytest.FixtureRequest) -> Iterator[str]:
    """Each native code path in turn (those this CPU has)."""
    from triage import _linescan

    try:
        previous = _linescan._set_isa(request.param)
    except ValueError:
        pytest.skip(f"no {request.param} code path on this CPU")
    yield request.param
    _linescan._set_isa(previous)


@native
@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    parts=st.lists(st.sampled_from(PIECES), max_size=120),
    cuts=st.tuples(st.floats(0, 1), st.floats(0, 1), st.floats(0, 1)),
    which=st.tuples(*(st.booleans() for _ in range(10))),
)
def test_native_equals_reference(
    isa: str, parts: list[bytes], cuts: tuple[float, float, float], which: tuple[bool, ...]
) -> None:
    data = b"".join(parts)
    a, b, c = sorted(int(x * len(data)) for x in cuts)
    kw: dict[str, object] = {
        "keep_unless": QUIET,
        "prefixes": (b"E", b"ab"),
        "suffixes": (b"b", b"x"),
        "needles": (b"rror", b"a", b"\nE"),
        "folded": (b"rror", b"xe"),
        "quiet": (b'{"level":30,', b"ab"),
        "longer_than": 9,
        "stamps": True,
        "empty": True,
        "required": (b"b", b"\xff"),
    }
    chosen = {k: v for (k, v), on in zip(kw.items(), which, strict=True) if on}
    assert NATIVE is not None
    assert NATIVE(data, a, b, c, **chosen) == select_py(data, a, b, c, **chosen)
    assert NATIVE(bytearray(data), a, b, c, **chosen) == select_py(data, a, b, c, **chosen)


@native
@pytest.mark.parametrize(
    "name", ["node-pg-fk-child-insert", "py-asyncpg-integrity", "incident-noisy-10k"]
)
def test_native_equals_reference_on_real_samples(isa: str, name: str) -> None:
    paths = sorted((ROOT / "samples").glob(f"{name}/*.log"))
    assert paths
    walked = {  # without keep_unless: only the lines that may start or end so are visited
        "prefixes": (b"=", b"_", b"[gw", b"\xe2\x9c"),
        "suffixes": (b"%]", b"_", b"%]\r"),
        "needles": (b"rror",),
        "quiet": QUIET,
        "stamps": True,
        "empty": True,
    }
    for path in paths:
        data = path.read_bytes()
        for kw in (
            {
                "keep_unless": QUIET,
                "needles": (b"rror", b"ttempt"),
                "folded": (b"violates", b"key"),
            },
            walked,
        ):
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


@native
@pytest.mark.parametrize("how_many", [9, 40, 600])
def test_many_needles_share_buckets_and_still_agree(isa: str, how_many: int) -> None:
    data = (ROOT / "samples" / "incident-noisy-10k" / "app.pino.log").read_bytes()[:300_000]
    words = sorted({w for w in data.replace(b'"', b" ").split() if 2 < len(w) < 12})
    step = max(1, len(words) // how_many)
    chosen = tuple(words[::step][:how_many])
    assert len(chosen) == how_many
    exact, folded = chosen[::2], tuple(w.lower() for w in chosen[1::2])
    assert NATIVE is not None
    got = NATIVE(data, 0, len(data), len(data), needles=exact, folded=folded)
    assert got == select_py(data, 0, len(data), len(data), needles=exact, folded=folded)
    assert got[1]


UTF8_PIECES = [b"a", b"\n", b"\xc3\xa9", b"\xe2\x9d\xaf", b"\xf0\x9f\x98\x80", b"\xed\xa0\x80"]
UTF8_PIECES += [b"\xc0\xaf", b"\xe0\x80\xaf", b"\xf4\x90\x80\x80", b"\xff", b"\x80", b"abcdefgh"]


@native
@settings(max_examples=500, deadline=None)
@given(parts=st.lists(st.sampled_from(UTF8_PIECES), max_size=40), cut=st.integers(0, 3))
def test_native_utf8_check_agrees_with_pythons_decoder(parts: list[bytes], cut: int) -> None:
    data = b"".join(parts)
    data = data[: max(0, len(data) - cut)]  # sequences cut at the end are invalid too
    for start in (0, min(1, len(data))):
        assert linescan.utf8_valid(data, start, len(data)) == linescan.utf8_valid_py(
            data, start, len(data)
        )


def test_utf8_check_on_real_text() -> None:
    data = (ROOT / "samples" / "node-vitest-pg" / "run.log").read_bytes()
    assert not data.isascii() and linescan.utf8_valid(data, 0, len(data))
    assert not linescan.utf8_valid(data + b"\xe2\x9d", 0, len(data) + 2)


CODE_PIECES = [b"\x1b[", b"\x1b", b"[", b"0", b"32", b";", b"?", b"m", b"K", b"1m", b"\n", b"a"]
CODE_PIECES += [b"\x1b[0m", b"\x1b[1;31m", b"\x1b[?25l", b"\xc3\xa9", b"\x1b\x1b[", b"9z"]


@native
@settings(max_examples=500, deadline=None)
@given(parts=st.lists(st.sampled_from(CODE_PIECES), max_size=40), cut=st.integers(0, 3))
def test_native_colour_codes_are_stripped_as_the_readers_pattern_strips_them(
    parts: list[bytes], cut: int
) -> None:
    from triage.inputs.source import ANSI

    assert linescan.CODES.pattern == ANSI.pattern.encode()  # one pattern, on bytes and text
    data = b"".join(parts)
    for start in (0, min(cut, len(data))):
        end = max(start, len(data) - cut)
        assert linescan.strip_codes(data, start, end) == linescan.strip_codes_py(data, start, end)


def test_colour_codes_stripped_from_a_real_coloured_run() -> None:
    data = b"test_x.py::test_a \x1b[32mPASSED\x1b[0m\x1b[32m   [ 50%]\x1b[0m\n\x1b[1m=== x ===\x1b[0m\n"
    assert (
        linescan.strip_codes(data, 0, len(data))
        == b"test_x.py::test_a PASSED   [ 50%]\n=== x ===\n"
    )
