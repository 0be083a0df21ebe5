"""`triage run`: real child processes, their output passed through untouched, then triaged."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLES, require_pg

FK_LOG = SAMPLES / "py-psycopg2-fk" / "run.log"
PY = sys.executable


def triage_run(*args: str, cwd: Path, **kw: object) -> subprocess.CompletedProcess[bytes]:
    spools = cwd / "spools"
    spools.mkdir(exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(spools)}
    for var in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY"):
        env.pop(var, None)
    return subprocess.run(
        [PY, "-m", "triage", "run", *args], cwd=cwd, env=env, capture_output=True, timeout=120, **kw
    )  # type: ignore[call-overload]


def replay(path: Path, code: int = 1, stderr: str = "") -> list[str]:
    """A child that prints a captured log and exits like the run that produced it."""
    script = (
        f"import sys; sys.stdout.write(open({str(path)!r}).read()); sys.stdout.flush(); "
        f"sys.stderr.write({stderr!r}); sys.exit({code})"
    )
    return [PY, "-c", script]


def test_output_passes_through_unchanged_and_the_exit_code_is_kept(tmp_path: Path) -> None:
    done = triage_run(
        "-o", "report.json", "--", *replay(FK_LOG, stderr="warming up\n"), cwd=tmp_path
    )
    assert done.returncode == 1
    assert done.stdout == FK_LOG.read_bytes()  # byte for byte: the report did not leak into it
    assert done.stderr == b"warming up\n"
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["run"]["exit_code"] == 1 and report["run"]["signal"] is None
    assert report["run"]["command"][:2] == [PY, "-c"]
    fk = next(f for f in report["findings"] if f["constraint"] == "users_org_id_fkey")
    assert fk["table"] == "users" and fk["key"] == {"org_id": "42"}
    tests = {f["test"] for f in report["failures"] if f["root"] == fk["id"]}
    assert "tests/test_fk.py::test_add_user_to_missing_org" in tests
    # The temporary spool is named for what it was, and removed.
    assert report["inputs"][0]["path"] == f"<output of {Path(PY).name}>"
    assert list((tmp_path / "spools").iterdir()) == []


def test_spool_keeps_the_output_where_asked(tmp_path: Path) -> None:
    done = triage_run("--spool", "out.log", "-o", "r.json", "--", *replay(FK_LOG), cwd=tmp_path)
    assert done.returncode == 1
    assert (tmp_path / "out.log").read_bytes() == FK_LOG.read_bytes()
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["inputs"][0]["path"] == "out.log"
    assert any(f["first"]["path"] == "out.log" for f in report["findings"])


def test_the_report_goes_to_stderr_by_default(tmp_path: Path) -> None:
    done = triage_run("--format", "md", "--", *replay(FK_LOG), cwd=tmp_path)
    assert done.stdout == FK_LOG.read_bytes()
    # The Markdown report, on stderr: headings and the constraint in a code span.
    assert done.stderr.startswith(b"# ") and b"`users_org_id_fkey`" in done.stderr


def test_fail_on_none_and_findings(tmp_path: Path) -> None:
    assert (
        triage_run(
            "--fail-on", "none", "-o", "r.json", "--", *replay(FK_LOG), cwd=tmp_path
        ).returncode
        == 0
    )
    # The command passed, yet it logged a database error: --fail-on findings makes that a failure.
    passed = triage_run(
        "--fail-on", "findings", "-o", "r.json", "--", *replay(FK_LOG, code=0), cwd=tmp_path
    )
    assert passed.returncode == 1
    assert triage_run("-o", "r.json", "--", *replay(FK_LOG, code=0), cwd=tmp_path).returncode == 0


def test_a_child_killed_by_a_signal_is_reported(tmp_path: Path) -> None:
    script = (
        "import os, signal; print('about to die', flush=True); os.kill(os.getpid(), signal.SIGKILL)"
    )
    done = triage_run("-o", "r.json", "--", PY, "-c", script, cwd=tmp_path)
    assert done.returncode == 128 + signal.SIGKILL
    assert done.stdout == b"about to die\n"
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["run"]["signal"] == "SIGKILL" and report["run"]["exit_code"] is None
    (exit_failure,) = [f for f in report["failures"] if f["kind"] == "exit"]
    assert "killed by SIGKILL" in exit_failure["message"]
    assert exit_failure["id"] in report["unexplained"]


def test_a_silent_non_zero_exit_is_an_unexplained_failure(tmp_path: Path) -> None:
    done = triage_run("-o", "r.json", "--", PY, "-c", "raise SystemExit(3)", cwd=tmp_path)
    assert done.returncode == 3
    report = json.loads((tmp_path / "r.json").read_text())
    assert [
        (f["kind"], f["message"].endswith("exited with code 3")) for f in report["failures"]
    ] == [("exit", True)]
    assert report["unexplained"] == [report["failures"][0]["id"]]


def test_sigterm_reaches_the_child_and_the_run_is_still_triaged(tmp_path: Path) -> None:
    script = (
        "import signal, sys, time\n"
        "def bye(n, f):\n    print('child got SIGTERM', flush=True); sys.exit(143)\n"
        "signal.signal(signal.SIGTERM, bye)\nprint('ready', flush=True)\ntime.sleep(60)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [PY, "-m", "triage", "run", "-o", "r.json", "--", PY, "-c", script],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline() == b"ready\n"
    proc.send_signal(signal.SIGTERM)
    rest, _ = proc.communicate(timeout=60)
    assert rest == b"child got SIGTERM\n"
    assert proc.returncode == 143
    assert json.loads((tmp_path / "r.json").read_text())["run"]["exit_code"] == 143


def run_on_a_terminal(
    script: str, cwd: Path, cols: int = 80, on_output: Callable[[bytes, int], None] | None = None
) -> bytes:
    """`triage run -- python -c script` with a pty of ``cols`` columns as its stdout and stderr:
    everything the terminal showed. ``on_output(seen so far, pty master)`` after each read."""
    master, slave = pty.openpty()
    fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 30, cols, 0, 0))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TERM": "dumb"}
    proc = subprocess.Popen(
        [PY, "-m", "triage", "run", "-o", "r.json", "--", PY, "-c", script],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
        start_new_session=True,
    )
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if select.select([master], [], [], 0.5)[0]:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
            if on_output is not None:
                on_output(seen, master)
        elif proc.poll() is not None:
            break
    proc.wait(timeout=60)
    os.close(master)
    return seen


def test_on_a_terminal_the_child_sees_a_terminal(tmp_path: Path) -> None:
    script = "import sys; print('tty' if sys.stdout.isatty() else 'pipe', flush=True)"
    seen = run_on_a_terminal(script, tmp_path)
    # One CR from the outer terminal only: the inner pty passes the child's bytes through as printed.
    assert b"tty\r\n" in seen and b"\r\r" not in seen and b"pipe" not in seen


def test_a_resized_terminal_resizes_the_childs_terminal(tmp_path: Path) -> None:
    script = (
        "import os, signal, time\n"
        "seen = []\n"
        "signal.signal(signal.SIGWINCH, lambda *a: seen.append(1))\n"
        "print('cols', os.get_terminal_size().columns, flush=True)\n"
        "end = time.time() + 30\n"
        "while not seen and time.time() < end:\n"
        "    time.sleep(0.02)\n"
        "print('now', os.get_terminal_size().columns, flush=True)\n"
    )
    resized: list[bool] = []

    def drag_the_window(seen: bytes, master: int) -> None:
        if b"cols 100" in seen and not resized:  # only the outer terminal changes
            fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 132, 0, 0))
            resized.append(True)

    seen = run_on_a_terminal(script, tmp_path, cols=100, on_output=drag_the_window)
    assert b"cols 100" in seen and b"now 132" in seen


def test_meta_records_the_ci_run_for_a_later_summary(tmp_path: Path) -> None:
    from triage import runmeta

    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "GITHUB_ACTIONS": "true",
        "GITHUB_RUN_ID": "9001",
        "GITHUB_SHA": "4f1fefa0c0ffee",
        "GITHUB_REF_NAME": "main",
        "GITHUB_JOB": "integration",
        "GITHUB_REPOSITORY": "acme/api",
    }
    env.pop("GITHUB_STEP_SUMMARY", None)
    done = subprocess.run(
        [PY, "-m", "triage", "run", "--meta", "artifacts", "-o", "artifacts/report.json"]
        + ["--", *replay(FK_LOG, code=1)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    written = json.loads((tmp_path / "artifacts" / runmeta.META_FILE).read_text())
    assert written["run"]["exit_code"] == 1 and written["time"].endswith("Z")
    # the summary job runs elsewhere, with other CI variables: the file decides
    meta = runmeta.resolve(str(tmp_path / "artifacts"), runmeta.RunMeta(), {}, several=False)
    assert (meta.run_id, meta.commit, meta.branch, meta.job) == (
        "9001",
        "4f1fefa0c0ffee",
        "main",
        "integration",
    )
    assert meta.url == "https://github.com/acme/api/actions/runs/9001"


def test_an_unwritable_meta_dir_is_one_line_and_the_run_is_still_triaged(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file, not a directory")
    done = triage_run("--meta", "taken/runs", "--", *replay(FK_LOG, code=1), cwd=tmp_path)
    assert done.returncode == 1
    errors = [x for x in done.stderr.decode().splitlines() if x.startswith("triage: --meta")]
    assert len(errors) == 1 and "Traceback" not in done.stderr.decode()
    assert b"users_org_id_fkey" in done.stderr


def test_a_missing_command_is_one_line_and_127(tmp_path: Path) -> None:
    done = triage_run("--", "no-such-command-h8", cwd=tmp_path)
    assert done.returncode == 127
    assert done.stderr.strip() == b"triage: no-such-command-h8: command not found"


def test_log_files_are_read_too_and_github_annotations_point_at_the_test(tmp_path: Path) -> None:
    junit = SAMPLES / "py-psycopg2-fk" / "junit.xml"
    done = triage_run(
        "--log",
        str(junit),
        "--format",
        "github",
        "--",
        PY,
        "-c",
        "raise SystemExit(1)",
        cwd=tmp_path,
    )
    assert done.returncode == 1
    lines = done.stdout.decode().splitlines()
    assert lines[0].startswith(f"::error file={junit},line=") and "users_org_id_fkey" in lines[0]
    assert any(line.startswith("::error file=tests/test_fk.py,title=triage S") for line in lines)


@pytest.mark.pg
def test_pytest_against_the_live_database(tmp_path: Path) -> None:
    require_pg()
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = 'triage_h8'").fetchone():
            conn.execute("CREATE DATABASE triage_h8")
    (tmp_path / "test_orders.py").write_text(
        "import psycopg\n\n"
        "def test_order_for_missing_customer():\n"
        "    with psycopg.connect('postgresql://postgres@127.0.0.1:5432/triage_h8') as conn:\n"
        "        conn.execute('CREATE TEMP TABLE customers (id int PRIMARY KEY)')\n"
        "        conn.execute('CREATE TEMP TABLE orders (id int, customer_id int'\n"
        "                     ' CONSTRAINT orders_customer_id_fkey REFERENCES customers)')\n"
        "        conn.execute('INSERT INTO orders VALUES (1, 7)')\n\n"
        "def test_passes():\n"
        "    assert True\n"
    )
    done = triage_run(
        "-o",
        "r.json",
        "--",
        PY,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "test_orders.py",
        cwd=tmp_path,
    )
    assert done.returncode == 1, done.stderr
    assert b"1 failed, 1 passed" in done.stdout
    report = json.loads((tmp_path / "r.json").read_text())
    (finding,) = [f for f in report["findings"] if f["sqlstate"] == "23503"]
    assert finding["constraint"] == "orders_customer_id_fkey" and finding["key"] == {
        "customer_id": "7"
    }
    tests = [f["test"] for f in report["failures"] if f["root"] == finding["id"]]
    assert tests and all(t.endswith("test_order_for_missing_customer") for t in tests)
