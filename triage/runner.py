"""Running a test command for `triage run`: live pass-through, a spool on disk, signals forwarded.

The child writes to a pseudo-terminal when our stdout is one (colours and line buffering survive),
to pipes otherwise. Every byte goes to our stdout/stderr at once and to the spool file, so memory
stays flat however much the command prints. The child gets its own process group: SIGINT, SIGTERM
and SIGHUP sent to triage are passed on to the whole group (pnpm -> node -> workers), and on a
terminal the child's group is made the foreground one, so Ctrl-C reaches the tests directly while
triage keeps running to read what they printed; a resized terminal resizes the child's pty.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

from triage import runner_tty as tty
from triage.errors import TriageError

FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
CHUNK = 65536
DRAIN_S = 0.5  # after the child exits, how long to wait for output still held by its children


@dataclass(frozen=True)
class RunResult:
    command: tuple[str, ...]
    exit_code: int | None  # None when a signal ended the child
    signal: str | None  # "SIGKILL" ... when a signal ended it
    duration_s: float
    spool: str
    bytes: int

    @property
    def status(self) -> int:
        """The exit status a shell would give: the code, or 128 + the signal number."""
        if self.exit_code is not None:
            return self.exit_code
        return 128 + int(getattr(signal.Signals, self.signal or "SIGKILL", signal.SIGKILL))

    def as_dict(self) -> dict[str, Any]:
        return {
            "command": list(self.command),
            "exit_code": self.exit_code,
            "signal": self.signal,
            "duration_s": round(self.duration_s, 3),
        }


def run_command(
    argv: Sequence[str],
    spool: str,
    use_pty: bool | None = None,
    out: BinaryIO | None = None,
    err: BinaryIO | None = None,
) -> RunResult:
    """Run ``argv`` to completion, passing its output through and copying it to ``spool``."""
    out = out or sys.stdout.buffer
    err = err or sys.stderr.buffer
    if use_pty is None:
        use_pty = tty.isatty(out)
    started = time.monotonic()
    targets = {0: out} if use_pty else {0: out, 1: err}
    with open(spool, "wb") as sink, _spawn(argv, use_pty, out) as (proc, fds), _forwarding(proc):
        resizer = tty.Resizer(out, fds[0], proc.pid) if use_pty else None
        with tty.resizing(resizer):
            total = _pump(proc, fds, {fds[i]: t for i, t in targets.items()}, sink, resizer)
        code = proc.wait()
    ended = time.monotonic() - started
    if code < 0:
        return RunResult(tuple(argv), None, signal.Signals(-code).name, ended, spool, total)
    return RunResult(tuple(argv), code, None, ended, spool, total)


@contextlib.contextmanager
def _spawn(
    argv: Sequence[str], use_pty: bool, out: BinaryIO
) -> Iterator[tuple[subprocess.Popen[bytes], list[int]]]:
    tty_in = tty.foreground_tty()
    kwargs: dict[str, Any] = {"process_group": 0}
    if tty_in:
        # The child must own the terminal before it can read it; set it there as well as here,
        # as shells do, so neither side races the other.
        kwargs["preexec_fn"] = tty.take_terminal
    close_after: list[int] = []
    try:
        if use_pty:
            import pty

            master, slave = pty.openpty()
            tty.prepare_pty(out, slave)
            close_after.append(master)
            try:
                proc = subprocess.Popen(list(argv), stdout=slave, stderr=slave, **kwargs)
            finally:
                os.close(slave)  # only the child holds it now, so its exit gives us EOF
            fds = [master]
        else:
            proc = subprocess.Popen(
                list(argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs
            )
            assert proc.stdout is not None and proc.stderr is not None
            fds = [proc.stdout.fileno(), proc.stderr.fileno()]
    except FileNotFoundError as exc:
        for fd in close_after:
            os.close(fd)
        raise TriageError(f"{argv[0]}: command not found") from exc
    except PermissionError as exc:
        for fd in close_after:
            os.close(fd)
        raise TriageError(f"{argv[0]}: permission denied") from exc
    if tty_in:
        tty.give_terminal(proc.pid)
    try:
        yield proc, fds
    finally:
        if tty_in:
            tty.give_terminal(os.getpgrp())
        for fd in close_after:
            os.close(fd)
        for stream in (proc.stdout, proc.stderr):
            if stream:
                stream.close()


def _pump(
    proc: subprocess.Popen[bytes],
    fds: list[int],
    targets: dict[int, BinaryIO],
    sink: BinaryIO,
    tick: Callable[[], None] | None = None,
) -> int:
    """Copy until every fd is at EOF (or the child is gone and its output has gone quiet);
    ``tick`` is called on every turn."""
    sel = selectors.DefaultSelector()
    for fd in fds:
        sel.register(fd, selectors.EVENT_READ)
    total = 0
    quiet_since: float | None = None
    while sel.get_map():
        ready = sel.select(timeout=0.1)
        if tick is not None:
            tick()
        if not ready:
            if proc.poll() is not None:
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since > DRAIN_S:
                    break  # a daemon the child left behind still holds the pipe: stop waiting
            continue
        quiet_since = None
        for key, _ in ready:
            fd = int(key.fd)
            try:
                data = os.read(fd, CHUNK)
            except OSError:  # EIO: Linux's way of saying the pty slave was closed
                data = b""
            if not data:
                sel.unregister(fd)
                continue
            total += len(data)
            target = targets[fd]
            target.write(data)
            target.flush()
            sink.write(data)
    sel.close()
    return total


@contextlib.contextmanager
def _forwarding(proc: subprocess.Popen[bytes]) -> Iterator[None]:
    def forward(signum: int, _frame: object) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signum)

    previous = {}
    for sig in FORWARDED:
        with contextlib.suppress(ValueError):  # not the main thread: leave handlers alone
            previous[sig] = signal.signal(sig, forward)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def attach_run(data: dict[str, Any], result: RunResult, label: str | None = None) -> dict[str, Any]:
    """The report dict with a "run" block, the spool shown as ``label``, and the exit as a Failure.

    A child killed by a signal is always a Failure (kind "exit", unexplained: no database error
    kills a process). A non-zero exit is one only when no other failure was seen, and then the top
    root cause, if any, is taken to explain it.
    """
    data["run"] = result.as_dict()
    failures = data.setdefault("failures", [])
    if not result.signal and (not result.exit_code or failures):
        return data
    ids = {f["id"] for f in failures}
    n = len(failures) + 1
    while f"S{n}" in ids:
        n += 1
    shown = " ".join(result.command)
    message = (
        f"{shown} was killed by {result.signal}"
        if result.signal
        else f"{shown} exited with code {result.exit_code}"
    )
    lines = next(
        (
            i.get("lines", 0)
            for i in data.get("inputs", [])
            if i.get("path") in (label, result.spool)
        ),
        0,
    )
    findings = data.setdefault("findings", [])
    root = findings[0]["id"] if findings and not result.signal else None
    failures.append(
        {
            "id": f"S{n}",
            "kind": "exit",
            "test": None,
            "phase": None,
            "message": message,
            "location": {"path": label or result.spool, "line": lines},
            "time": None,
            "root": root,
            "scope": "run" if root else None,
        }
    )
    if root:
        findings[0].setdefault("explains", []).append(f"S{n}")
    else:
        data.setdefault("unexplained", []).append(f"S{n}")
    summary = data.get("summary")
    if isinstance(summary, dict):
        summary["failures"] = summary.get("failures", 0) + 1
        summary["explained" if root else "unexplained"] = (
            summary.get("explained" if root else "unexplained", 0) + 1
        )
    return data
