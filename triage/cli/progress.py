"""A progress bar on stderr for inputs that take more than a moment (rich, only on a TTY)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def progress_reporter(
    enabled: bool, delay: float = 0.5
) -> Iterator[Callable[[str, int], None] | None]:
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TransferSpeedColumn

    started = time.monotonic()
    bar: Progress | None = None
    task = None

    def update(path: str, done: int) -> None:
        nonlocal bar, task
        if bar is None:
            if time.monotonic() - started < delay:
                return
            bar = Progress(
                TextColumn("reading {task.description}"),
                BarColumn(),
                TransferSpeedColumn(),
                transient=True,
            )
            bar.start()
            task = bar.add_task(path, total=_size(path))
        assert task is not None
        if bar.tasks[0].description != path:
            bar.update(task, total=_size(path))
        bar.update(task, description=path, completed=done)

    try:
        yield update
    finally:
        if bar is not None:
            bar.stop()


def _size(path: str) -> int | None:
    """The total for the bar: a file's size (gzip and stdin have none known in advance)."""
    try:
        return None if path.endswith(".gz") else os.path.getsize(path)
    except OSError:
        return None
