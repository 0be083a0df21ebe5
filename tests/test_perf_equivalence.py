"""The fast paths give what the slow paths give: chunked key search vs reading every line."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest

from triage.inputs import fastscan, hits, hitscan, source
from triage.inputs.hits import Wanted, iter_hit_lines
from triage.inputs.source import Counts, iter_lines, open_binary

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted(p for p in (ROOT / "samples").rglob("*.log") if p.stat().st_size < 2_000_000)


def every_line(data: bytes) -> list[tuple[int, str]]:
    return list(iter_lines(io.BufferedReader(io.BytesIO(data)), Counts()))


def hit_lines(data: bytes, needles: list[str]) -> list[tuple[int, str]]:
    return hit_lines_near(data, Wanted(tuple(needles)))


def hit_lines_near(data: bytes, want: Wanted) -> list[tuple[int, str]]:
    got = iter_hit_lines(io.BufferedReader(io.BytesIO(data)), Counts(), want)
    return [(no, t) for no, t in got if want(t)]


def wanted(data: bytes, needles: list[str]) -> list[tuple[int, str]]:
    return [(no, t) for no, t in every_line(data) if any(n in t for n in needles)]


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: str(p.relative_to(ROOT)))
def test_key_search_finds_the_lines_a_line_reader_finds_in_every_sample(path: Path) -> None:
    with open_binary(str(path)) as fh:
        data = fh.read()
    words = sorted({w for line in data.split(b"\n")[:400:37] for w in line.split()[:3]})
    needles = [w.decode("utf-8", "replace") for w in words if len(w) > 2][:6] or ["error"]
    expected = wanted(data, needles)
    assert expected or not data.strip()
    assert hit_lines(data, needles) == expected


@pytest.mark.parametrize("seed", range(6))
def test_key_search_survives_chunk_edges_long_lines_and_dirty_bytes(
    monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    rnd = random.Random(seed)
    pieces = [
        b"insert into users email=ada@example.com",
        b"\x1b[31mada@exa\x1b[0mmple.com coloured apart",
        b"ada@\x00example.com split by a NUL",
        b"2025-01-01T00:00:00.123Z ada@example.com with a GitHub stamp",
        b"crlf ada@example.com\r",
        b"bad \xff\xfe bytes ada@example.com",
        b"x" * 300 + b"ada@example.com far along a long line",
        b"nothing here",
        b"UPDATE USERS set flag where id = ada",
        b"listing users, page two",
        b"",
    ]
    data = b"\n".join(rnd.choice(pieces) for _ in range(3000))
    if seed % 2:
        data = b"\xef\xbb\xbf" + data + b"\n"
    chunk, max_line = rnd.choice([97, 256, 1000]), rnd.choice([64, 200, 400])
    for mod in (hits, source):
        monkeypatch.setattr(mod, "CHUNK", chunk)
    monkeypatch.setattr(source, "MAX_LINE", max_line)
    needles = ["ada@example.com", "stamp"]
    expected = wanted(data, needles)
    assert expected, "the story needs lines to find"
    assert hit_lines(data, needles) == expected
    # a short value counts only next to its column: searched by the column, on any case
    near = Wanted(near=(("7", ("email", "users")),))
    short = data.replace(b"ada", b"7")
    expected_near = [(no, t) for no, t in every_line(short) if near(t)]
    assert any("USERS" in t for _, t in expected_near)
    assert hit_lines_near(short, near) == expected_near
    # a line naming the column without the value is not even decoded
    found = list(iter_hit_lines(io.BufferedReader(io.BytesIO(short)), Counts(), near))
    assert found and all("7" in t for _, t in found)


def test_key_search_reads_utf16_like_the_line_reader() -> None:
    data = "first line\nkey ada@example.com here\nlast\n".encode("utf-16")
    assert hit_lines(data, ["ada@example.com"]) == [(2, "key ada@example.com here")]


def reference_lines(data: bytes, chunk: int, max_line: int) -> list[tuple[int, str]]:
    """The line cutter as it was before whole runs were decoded at once: one line at a time."""
    stream = io.BytesIO(data)
    first = stream.read(chunk)
    buf = first[3:] if first.startswith(b"\xef\xbb\xbf") else first
    out: list[tuple[int, str]] = []
    lineno, dropping, counts = 0, False, Counts()
    while True:
        start = 0
        while (nl := buf.find(b"\n", start)) >= 0:
            raw, start = buf[start:nl], nl + 1
            if dropping:
                dropping = False
                continue
            lineno += 1
            out.append((lineno, source._decode(raw[:max_line], counts)))  # long lines are cut
        rest = buf[start:]
        if len(rest) > max_line and not dropping:
            lineno += 1
            out.append((lineno, source._decode(rest[:max_line], counts)))
            dropping, rest = True, b""
        elif dropping:
            rest = b""
        more = stream.read(chunk)
        if not more:
            if rest and not dropping:
                out.append((lineno + 1, source._decode(rest, counts)))
            return out
        buf = rest + more


@pytest.mark.parametrize("seed", range(8))
def test_line_cutter_decodes_runs_like_it_decoded_single_lines(
    monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    rnd = random.Random(seed)
    pieces = [
        b"tests/test_orders.py::test_duplicate FAILED [ 50%]",
        b"\x1b[31mE   psycopg.errors.UniqueViolation\x1b[0m",
        b"with a \x00 NUL",
        b"2025-01-01T00:00:00.123Z run step",
        b"crlf line\r",
        b"bad \xff\xfe bytes",
        "caf\u00e9 \u2713 passes".encode(),
        b"y" * 500,
        b"",
    ]
    data = b"\n".join(rnd.choice(pieces[: 5 + seed % 5]) for _ in range(2000))
    if seed % 3 == 0:
        data = b"\xef\xbb\xbf" + data + b"\n"
    chunk, max_line = rnd.choice([61, 256, 4096]), rnd.choice([64, 300, 1000])
    if seed == 4:  # whole long lines inside a chunk, not only a chunk's cut tail
        chunk, max_line = 4096, 300
    monkeypatch.setattr(source, "CHUNK", chunk)
    monkeypatch.setattr(source, "MAX_LINE", max_line)
    assert every_line(data) == reference_lines(data, chunk, max_line)


@pytest.mark.parametrize("block", [4096, 5000, 65536])
def test_key_search_in_blocks_finds_what_the_line_reader_finds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    rnd = random.Random(block)
    pieces = [
        b'{"level":30,"time":1795221521484,"msg":"created user","email":"ada@example.com"}',
        b'{"level":30,"time":1795221521485,"msg":"request done","orgId":7}',
        b'{"level":30,"time":1795221521486,"msg":"insert into users","org_id":7}',
        b'{"level":50,"msg":"insert or update on table \\"users\\" violates foreign key","ORG_ID":7}',
        b"\x1b[31mada@exa\x1b[0mmple.com coloured apart",
        b"caf\xc3\xa9 ada@example.com",
        # str.lower() turns these into ASCII: "\u0130" -> "i\u0307", the Kelvin sign -> "k"
        "ORG_\u0130D 7 dotted capital I".encode(),
        "\u212aEY 7 of the T\u0130CKETS".encode(),
        # non-ASCII words are compared as lower-cased text too
        "\u00c9MAILS 8 in caps".encode(),
        b'{"level":30,"msg":"request done","route":"GET /users","page":2}',
        b"",
    ]
    data = b"\n".join(rnd.choice(pieces) for _ in range(20000))
    path = tmp_path / "app.log"
    path.write_bytes(data)
    monkeypatch.setattr(fastscan, "BLOCK", block)
    monkeypatch.setattr(hitscan, "MIN_SIZE", 0)
    want = Wanted(
        ("ada@example.com",),
        (("7", ("org_id", "users", "key", "tickets")), ("8", ("\u00e9mails",))),
    )
    expected = [(no, t) for no, t in every_line(data) if want(t)]
    found = list(hitscan.iter_file_hits(str(path), want))
    got = [(no, t) for no, t in found if want(t)]
    assert len(expected) > 1000
    # the lines naming a column without its value (GET /users) are not even decoded
    assert all(any(v in t for v in ("ada@example.com", "7", "8")) for _, t in found)
    for word in ("\u212aEY", "\u00c9MAILS"):  # found only through str.lower()
        assert any(word in t for _, t in expected)
    assert got == expected


def test_template_check_answers_like_testing_every_template() -> None:
    from triage.inputs.textblocks import TEMPLATES, has_template

    lines = [ln for p in SAMPLES for ln in p.read_text(errors="replace").splitlines()]
    lines += [f"ERROR: x {t} y" for t in TEMPLATES] + [f"{t}" for t in TEMPLATES]
    hits_found = [ln for ln in lines if has_template(ln)]
    assert hits_found == [ln for ln in lines if any(t in ln for t in TEMPLATES)]
    assert len(hits_found) > 2 * len(TEMPLATES)
