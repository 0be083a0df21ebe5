"""A progress bar on stderr for inputs that take more than a moment (rich, only on a TTY)."""

from __future__ import annotations

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
            task = bar.add_task(path, total=None)
        assert task is not None
        bar.update(task, description=path, completed=done)

    try:
        yield update
    finally:
        if bar is not None:
            bar.stop()
