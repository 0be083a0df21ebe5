"""Speed and memory benchmark: triage analyze vs a raw chunked read vs jq, on big generated logs.

    python benchmarks/bench.py       # 1 GB pino, eight 200 MB text and service logs, two of errors
    python benchmarks/bench.py --pino-mb 100 --mixed-mb 50   # a quick run

The logs are built by repeating REAL captured lines from samples/ (pino info lines and error
records from node-* samples; pytest and vitest text from py-* and node-vitest* samples): rare
database errors among info lines for pino; for the two 200 MB text logs, test-runner text alone
and test-runner text interleaved with a service's pino records, each with a block of failing
runs every 20,000 lines. The third and fourth are the output of one real `pytest -v` run (a
20,000-test suite against the local PostgreSQL, 20 real unique violations) and of one real
`pytest -rA` run (5,000 tests that print and log, 5 real unique violations), each repeated.
The fifth and sixth are services' logs as other loggers write them: pino-pretty (the node-pretty
samples' records) and Python's JSON loggers (the structlog and python-json-logger fixtures), the
quiet records repeated with one error record among 20,000. The seventh is the densest real
pytest log: one real run of a 2,000-test suite where every test fails on a real unique
violation, repeated (run once: slow to read); and the same with each repetition's tests renamed,
so that every failure is a distinct test the report lists (as a 100,000-test suite would print).
Two more logs, of ``--errors-mb`` (100 MB), are made only of database errors, for the memory
target: a PostgreSQL server log (the real ERROR records of a server-log sample, re-stamped three
milliseconds apart, from 500 backends in turn) and a pino log (the node samples' real error
records); these two are run once (after the warm-up), being slow to read.
Writes benchmarks/out/*.log and prints a Markdown table (the README's table comes from it):
triage and the raw read are run three times each (``--repeat``), after one untimed warm-up, and
the fastest run is shown with the highest peak RSS of the three; jq runs once.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
ERROR_EVERY = 20_000  # one database error record per this many lines


def real_lines(pattern: str, keep: Callable[[bytes], bool]) -> list[bytes]:
    lines: list[bytes] = []
    for path in sorted((ROOT / "samples").glob(pattern)):
        if path.is_file() and path.stat().st_size < 5_000_000:
            lines.extend(line for line in path.read_bytes().splitlines() if keep(line))
    return lines


def gen_pino(path: Path, size: int) -> None:
    info = _pino_info()
    errors = real_lines("node-*/*.log", lambda b: b.startswith(b'{"level":50') and b'"code"' in b)
    if not info or not errors:
        sys.exit(
            "benchmark needs captured pino samples under samples/node-*/ (run samples/generate first)"
        )
    _write(path, size, info, errors)


def runner_text() -> tuple[list[bytes], bytes]:
    """Test-runner lines without errors (pytest and vitest runs of the samples, in order), and a
    block of 400 lines of failing runs (the incident samples) to put among them."""
    text = real_lines("py-*/run.log", lambda b: True) + real_lines(
        "node-vitest*/run.log", lambda b: True
    )
    noise = [b for b in text if b"rror" not in b and b"FAIL" not in b and b"E " not in b[:2]]
    errors = real_lines("incident-*/run.log", lambda b: True)
    if not noise or not errors:
        sys.exit(
            "benchmark needs captured pytest/vitest samples under samples/ (run samples/generate first)"
        )
    return noise, b"\n".join(errors[:400])


def gen_text(path: Path, size: int) -> None:
    """Runner text end to end: every line is pytest/vitest output (the hardest case: about one
    line in eight is structure the parsers must read — rules, headers, progress)."""
    noise, block = runner_text()
    _write(path, size, noise, [block])


def gen_mixed(path: Path, size: int) -> None:
    """A CI log where a service's pino records and the test runner's text interleave (as in
    `docker compose up` output): nine service info records per runner line."""
    noise, block = runner_text()
    info = _pino_info()
    filler = []
    for i, line in enumerate(noise):
        filler.append(line)
        filler.extend(info[(i * 9 + j) % len(info)] for j in range(9))
    _write(path, size, filler, [block])


VERBOSE_CONFTEST = """
import psycopg
import pytest


@pytest.fixture(scope="session")
def db():
    conn = psycopg.connect("host=127.0.0.1 user=postgres dbname=test", autocommit=True)
    conn.execute("DROP TABLE IF EXISTS triage_bench_users")
    conn.execute("CREATE TABLE triage_bench_users (id serial PRIMARY KEY, email text UNIQUE)")
    conn.execute("INSERT INTO triage_bench_users (email) VALUES ('ada@example.com')")
    yield conn
    conn.execute("DROP TABLE triage_bench_users")
    conn.close()
"""
VERBOSE_TESTS = """
import pytest


@pytest.mark.parametrize("n", range(20000))
def test_order_totals(n, db):
    if n % 1000 == 500:  # one in a thousand signs up an existing user again
        db.execute("INSERT INTO triage_bench_users (email) VALUES ('ada@example.com')")
    assert n >= 0
"""


def gen_verbose(path: Path, size: int) -> None:
    """One real `pytest -v` run of a 20,000-test suite, 20 of whose tests fail on a real
    unique violation from the local PostgreSQL, repeated (a nightly job's runs, one after the
    other): the most common big pytest log, one line per test."""
    _real_run(path, size, "verbose-suite", VERBOSE_TESTS, ["-v"])


def _real_run(path: Path, size: int, name: str, tests: str, options: list[str]) -> None:
    suite = OUT / name
    suite.mkdir(parents=True, exist_ok=True)
    (suite / "conftest.py").write_text(VERBOSE_CONFTEST)
    (suite / "test_orders.py").write_text(tests)
    (suite / "pytest.ini").write_text("[pytest]\n")  # the suite is its own rootdir
    env = {k: v for k, v in ENV.items() if k not in ("CI", "PYTEST_ADDOPTS")}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", *options, "-p", "no:cacheprovider"],
        cwd=suite,
        env={**env, "COLUMNS": "80"},
        capture_output=True,
        check=False,
    )
    if run.returncode != 1 or b"UniqueViolation" not in run.stdout:
        sys.exit(
            "the real pytest inputs need psycopg and PostgreSQL on 127.0.0.1:5432 (user postgres,"
            f" database test); pytest said:\n{run.stdout[-2000:].decode(errors='replace')}"
        )
    log = run.stdout.replace(str(suite).encode(), b"/repo").replace(sys.prefix.encode(), b"/venv")
    with open(path, "wb") as fh:
        for _ in range(max(1, size // len(log))):
            fh.write(log)


RA_TESTS = """
import logging

import pytest

log = logging.getLogger("app.orders")


@pytest.mark.parametrize("n", range(5000))
def test_order_totals(n, db):
    print(f"checking order {n}")
    log.warning("order %s took long", n)
    if n % 1000 == 500:  # one in a thousand signs up an existing user again
        db.execute("INSERT INTO triage_bench_users (email) VALUES ('ada@example.com')")
"""


def gen_ra(path: Path, size: int) -> None:
    """One real `pytest -rA` run of a 5,000-test suite whose tests print a line and log a
    warning (so -rA reports each passing test's captured output), 5 of them failing on a real
    unique violation, repeated: a CI log that shows every test's output."""
    _real_run(path, size, "ra-suite", RA_TESTS, ["-rA"])


FAILING_TESTS = """
import pytest


@pytest.mark.parametrize("n", range(2000))
def test_order_totals(n, db):
    db.execute("INSERT INTO triage_bench_users (email) VALUES ('ada@example.com')")
"""


def gen_failing(path: Path, size: int) -> None:
    """One real pytest run of a 2,000-test suite where EVERY test fails on a real unique
    violation from the local PostgreSQL (the database broke, every test reports it; default
    tracebacks), repeated: a nightly job's runs, the densest real pytest log, about one failure
    per 1.9 KB. Run once, being slow to read (each failure is parsed, extracted and elected)."""
    _real_run(path, size, "failing-suite", FAILING_TESTS, [])


def gen_failing_distinct(path: Path, size: int) -> None:
    """The same real run of 2,000 tests all failing, each repetition's tests renamed
    (``test_order_totals_r7[12]``), as a suite of 100,000 tests would print them: every failure
    is a distinct test, so none folds into an earlier copy — the memory row for failures (the
    report lists each one). Run once."""
    failing = OUT / f"failing-{size // 1_000_000}mb.log"
    if not failing.exists():
        gen_failing(failing, size)
    runs = failing.read_bytes()
    one = runs[: len(runs) // runs.count(b" short test summary info ")]
    with open(path, "wb") as fh:
        for k in range(max(1, size // len(one))):
            fh.write(one.replace(b"test_order_totals", b"test_order_totals_r%d" % k))


PG_LINE = re.compile(rb"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC \[\d+\] (\w+):  ")


def gen_pg_errors(path: Path, size: int) -> None:
    """A PostgreSQL server log made of errors (a retry storm, a suite failing every insert):
    the real ERROR records of a server-log sample (each with its DETAIL, HINT, CONTEXT and
    STATEMENT lines) repeated, three milliseconds apart, from 500 backends in turn. Every
    record is a database error the analysis keeps: the memory target's hardest case."""
    src = ROOT / "samples" / "server-stderr-default" / "postgresql.log"
    blocks: list[list[bytes]] = []
    for line in src.read_bytes().splitlines():
        m = PG_LINE.match(line)
        if m is None or m.group(1) in (b"DETAIL", b"HINT", b"CONTEXT", b"STATEMENT", b"QUERY"):
            if blocks and blocks[-1]:
                blocks[-1].append(line)  # its continuation (a statement over several lines)
        elif m.group(1) in (b"ERROR", b"FATAL"):
            blocks.append([line])
        else:
            blocks.append([])  # LOG lines: not part of an error
    blocks = [b for b in blocks if b]
    if not blocks:
        sys.exit("benchmark needs samples/server-stderr-default/postgresql.log")
    start = datetime(2026, 11, 21, 1, 0, 0)
    written = n = 0
    with open(path, "wb", buffering=1 << 22) as fh:
        while written < size:
            at = (start + timedelta(milliseconds=3 * n)).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
            prefix = f"{at} UTC [{9000 + (n // 50) % 500}]".encode()
            data = b"".join(
                (prefix + line[line.index(b"]") + 1 :] if PG_LINE.match(line) else line) + b"\n"
                for line in blocks[n % len(blocks)]
            )
            fh.write(data)
            written += len(data)
            n += 1


def gen_pino_errors(path: Path, size: int) -> None:
    """A service's pino log made of errors: the real error records (level 50, a database error
    under err) of the node samples, repeated."""
    errors = real_lines("node-*/*.log", lambda b: b.startswith(b'{"level":50') and b'"code"' in b)
    if not errors:
        sys.exit("benchmark needs captured pino samples under samples/node-*/")
    _write(path, size, errors, errors[:1])


def gen_pretty(path: Path, size: int) -> None:
    """A service's log as pino-pretty prints it: the real records of the node-pretty samples
    (a header line and its indented properties), the quiet ones (info level, no error word)
    repeated, one error record (with its err block and raw stack) among 20,000."""
    records: list[list[bytes]] = []
    for line in real_lines("node-pretty-*/app.pretty.log", lambda b: bool(b)):
        if line.startswith(b"    ") and records:
            records[-1].append(line)
        else:
            records.append([line])
    loud = (b"rror", b"ttempt", b"Code", b"status")
    quiet = [
        b"\n".join(r)
        for r in records
        if b"] INFO " in r[0] and not any(w in b"".join(r) for w in loud)
    ]
    errors = [b"\n".join(r) for r in records if b"] ERROR " in r[0]]
    if not quiet or not errors:
        sys.exit("benchmark needs the captured node-pretty-* samples (run samples/generate first)")
    _write(path, size, quiet, errors)


def gen_json_loggers(path: Path, size: int) -> None:
    """A Python service's JSON log: the real structlog and python-json-logger records of
    tests/fixtures/json_loggers (a unique violation from the local PostgreSQL logged among
    routine records), the info ones repeated, one error record among 20,000."""
    lines = [
        line
        for name in ("structlog.jsonl", "python-json-logger.jsonl")
        for line in (ROOT / "tests" / "fixtures" / "json_loggers" / name).read_bytes().splitlines()
    ]
    info = [b for b in lines if b'"level": "info"' in b or b'"levelname": "INFO"' in b]
    errors = [b for b in lines if b not in info]
    _write(path, size, info, errors)


def _pino_info() -> list[bytes]:
    """The info/debug request lines of a real service run (HTTP 2xx/4xx, no errors)."""
    return real_lines(
        "incident-noisy-10k/app.pino.log",
        lambda b: (
            b.startswith((b'{"level":30', b'{"level":20'))
            and b'Code":5' not in b
            and b"rror" not in b
        ),
    )


def _write(path: Path, size: int, filler: list[bytes], rare: list[bytes]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    n = 0
    with open(path, "wb", buffering=1 << 22) as fh:
        while written < size:
            batch = []
            for i in range(ERROR_EVERY):
                batch.append(filler[(n + i) % len(filler)])
            batch.append(rare[n % len(rare)])
            n += ERROR_EVERY + 1
            data = b"\n".join(batch) + b"\n"
            fh.write(data)
            written += len(data)


# Runs one command in a fresh interpreter and reports that command's own usage, so each row's
# peak RSS is its own (RUSAGE_CHILDREN's ru_maxrss is the largest of ANY finished descendant).
MEASURE = (
    "import resource, subprocess, sys, time\n"
    "start = time.perf_counter()\n"
    "subprocess.run(sys.argv[1:], check=False, stdout=subprocess.DEVNULL)\n"
    "wall = time.perf_counter() - start\n"
    "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "print(wall, u.ru_utime + u.ru_stime, u.ru_maxrss / 1024)\n"
)


# As an installed package runs: `pip install` compiles the bytecode once, so the runs here must
# not recompile every module (this machine sets PYTHONDONTWRITEBYTECODE for its own reasons).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def measure(cmd: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + sys, worker threads included) and peak RSS in MB."""
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, *cmd], check=True, capture_output=True, text=True, env=ENV
    ).stdout.split()
    return float(out[0]), float(out[1]), float(out[2])


RAW_READ = (
    "import sys\n"
    "n=0\n"
    "with open(sys.argv[1],'rb') as f:\n"
    "    for chunk in iter(lambda: f.read(8<<20), b''):\n"
    "        n += chunk.count(b'\\n')\n"
)


def best_of(cmd: list[str], repeat: int) -> tuple[float, float, float]:
    """The fastest of ``repeat`` runs (wall and its CPU; a shared machine only ever slows a run
    down) and the highest peak RSS of them all."""
    runs = [measure(cmd) for _ in range(repeat)]
    wall, cpu, _ = min(runs)
    return wall, cpu, max(rss for _, _, rss in runs)


def bench(path: Path, label: str, jq_filter: str | None, repeat: int = 3) -> list[str]:
    size_mb = path.stat().st_size / 1e6
    rows = []
    triage = [
        sys.executable,
        "-m",
        "triage",
        "analyze",
        str(path),
        "--format",
        "json",
        "-o",
        os.devnull,
        "--no-progress",
    ]
    # one run first, not timed: it warms the page cache and writes triage's bytecode
    subprocess.run(triage, check=True, stdout=subprocess.DEVNULL, env=ENV)
    for name, cmd in (
        ("triage analyze", triage),
        ("raw Python chunked read", [sys.executable, "-c", RAW_READ, str(path)]),
    ):
        rows.append(_row(label, size_mb, name, *best_of(cmd, repeat)))
    if jq_filter and shutil.which("jq"):
        cmd = ["jq", "-c", jq_filter, str(path)]
        rows.append(_row(label, size_mb, f"jq `{jq_filter}`", *measure(cmd)))
    return rows


def _row(label: str, size_mb: float, tool: str, wall: float, cpu: float, rss: float) -> str:
    return (
        f"| {label} | {size_mb:,.0f} MB | {tool} | {wall:.2f} s | {cpu:.2f} s"
        f" | {size_mb / wall:,.0f} MB/s | {rss:,.0f} MB |"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pino-mb", type=int, default=1000)
    ap.add_argument("--mixed-mb", type=int, default=200)
    ap.add_argument("--errors-mb", type=int, default=100, help="the logs made of errors")
    ap.add_argument("--no-jq", action="store_true")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each (the fastest is shown)")
    args = ap.parse_args()
    pino = OUT / f"pino-{args.pino_mb}mb.log"
    text = OUT / f"text-{args.mixed_mb}mb.log"
    mixed = OUT / f"mixed-{args.mixed_mb}mb.log"
    verbose = OUT / f"verbose-{args.mixed_mb}mb.log"
    ra = OUT / f"ra-{args.mixed_mb}mb.log"
    pretty = OUT / f"pretty-{args.mixed_mb}mb.log"
    json_loggers = OUT / f"json-loggers-{args.mixed_mb}mb.log"
    failing = OUT / f"failing-{args.mixed_mb}mb.log"
    distinct = OUT / f"failing-distinct-{args.mixed_mb}mb.log"
    pg_errors = OUT / f"pg-errors-{args.errors_mb}mb.log"
    pino_errors = OUT / f"pino-errors-{args.errors_mb}mb.log"
    for path, gen, size in (
        (pino, gen_pino, args.pino_mb),
        (text, gen_text, args.mixed_mb),
        (mixed, gen_mixed, args.mixed_mb),
        (verbose, gen_verbose, args.mixed_mb),
        (ra, gen_ra, args.mixed_mb),
        (pretty, gen_pretty, args.mixed_mb),
        (json_loggers, gen_json_loggers, args.mixed_mb),
        (failing, gen_failing, args.mixed_mb),
        (distinct, gen_failing_distinct, args.mixed_mb),
        (pg_errors, gen_pg_errors, args.errors_mb),
        (pino_errors, gen_pino_errors, args.errors_mb),
    ):
        if not path.exists():
            gen(path, size * 1_000_000)
    load = os.getloadavg()
    from triage.inputs import linescan

    scanner = "native" if linescan.NATIVE else "pure Python (the C extension did not build)"
    print(
        f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, scanner {scanner}, "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at start, best of {args.repeat}"
    )
    print("| input | size | tool | wall | CPU (user+sys) | throughput | peak RSS |")
    print("|---|---|---|---|---|---|---|")
    jq = None if args.no_jq else "select(.level >= 50)"
    rows = bench(pino, "pino NDJSON", jq, args.repeat)
    rows += bench(text, "pytest/vitest text, 45,000 failing runs", None, args.repeat)
    rows += bench(mixed, "pytest/vitest + pino, mixed", None, args.repeat)
    rows += bench(verbose, "pytest -v, one real run repeated", None, args.repeat)
    rows += bench(ra, "pytest -rA, one real run repeated", None, args.repeat)
    rows += bench(pretty, "pino-pretty, real records repeated", None, args.repeat)
    jq_json = None if args.no_jq else 'select(.level == "error" or .levelname == "ERROR")'
    rows += bench(json_loggers, "structlog + python-json-logger", jq_json, args.repeat)
    # every test failing; then memory rows, every record an error kept (slow to read: run once)
    rows += bench(failing, "pytest, every test failing (real run repeated)", None, 1)
    rows += bench(distinct, "pytest, every test failing, 106,000 distinct tests", None, 1)
    rows += bench(pg_errors, "PostgreSQL server log, errors only", None, 1)
    rows += bench(pino_errors, "pino, errors only", None, 1)
    for row in rows:
        print(row)


if __name__ == "__main__":
    main()
