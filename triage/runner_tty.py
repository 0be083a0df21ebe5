"""The terminal side of `triage run`: the child's pty sized like ours, and who holds the terminal.

On a terminal the child writes to a pseudo-terminal of our size (``prepare_pty``); when our
terminal is resized, ``Resizer`` gives the pty the new size and the child a SIGWINCH. When our
stdin is a terminal we hold, the child's process group is made its foreground group for the run
(``take_terminal`` in the child, ``give_terminal`` here), so Ctrl-C reaches the tests directly.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import termios
from collections.abc import Iterator
from typing import Any, BinaryIO


class Resizer:
    """Keeps the child's pty the size of our terminal. When our terminal is resized, the kernel
    signals its foreground group, which is the child's when it holds the terminal (it then
    reads the old size from its pty) and ours otherwise: so the size is checked on every turn of
    the copy loop (at least every 0.1 s) and on SIGWINCH, and once the pty has the new size the
    child's group gets a SIGWINCH of its own."""

    def __init__(self, out: BinaryIO, master: int, pgid: int) -> None:
        self.out, self.master, self.pgid = out, master, pgid
        self.size = size_of(out)

    def __call__(self, *_args: object) -> None:
        size = size_of(self.out)
        if size is None or size == self.size:
            return
        self.size = size
        if set_size(self.master, size):
            with contextlib.suppress(OSError):
                os.killpg(self.pgid, signal.SIGWINCH)


@contextlib.contextmanager
def resizing(resizer: Resizer | None) -> Iterator[None]:
    previous = None
    if resizer is not None:
        with contextlib.suppress(ValueError):  # not the main thread: leave handlers alone
            previous = signal.signal(signal.SIGWINCH, resizer)
    try:
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGWINCH, previous)


def size_of(out: BinaryIO) -> bytes | None:
    """The window size of the terminal ``out`` writes to (packed struct winsize), or None."""
    try:
        return bytes(fcntl.ioctl(out.fileno(), termios.TIOCGWINSZ, b"\0" * 8))
    except (OSError, ValueError, AttributeError):
        return None


def set_size(tty: int, size: bytes) -> bool:
    try:
        fcntl.ioctl(tty, termios.TIOCSWINSZ, size)
    except OSError:
        return False
    return True


def take_terminal() -> None:
    with contextlib.suppress(OSError):
        signal.signal(signal.SIGTTOU, signal.SIG_IGN)
        os.tcsetpgrp(0, os.getpgrp())
        signal.signal(signal.SIGTTOU, signal.SIG_DFL)


def give_terminal(pgid: int) -> None:
    # From a background group tcsetpgrp raises SIGTTOU; ignoring it for the call is the usual dance.
    old = signal.signal(signal.SIGTTOU, signal.SIG_IGN)
    try:
        with contextlib.suppress(OSError):
            os.tcsetpgrp(0, pgid)
    finally:
        signal.signal(signal.SIGTTOU, old)


def prepare_pty(out: BinaryIO, slave: int) -> None:
    """Our terminal's size, and no LF -> CRLF on the inner pty: our own terminal adds the CR."""
    size = size_of(out)
    if size is not None:
        set_size(slave, size)
    with contextlib.suppress(OSError, termios.error):
        attrs = termios.tcgetattr(slave)
        attrs[1] &= ~termios.ONLCR
        termios.tcsetattr(slave, termios.TCSANOW, attrs)


def foreground_tty() -> bool:
    """Our stdin is a terminal whose foreground we hold (not `triage run ... &`)."""
    try:
        return os.isatty(0) and os.tcgetpgrp(0) == os.getpgrp()
    except OSError:
        return False


def isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False
