"""Lists of the report data that are read, not held: a report of 100,000 failures is rendered
from the failures as the correlation keeps them (``FailureList``: on disk past a few thousand),
each row made when it is read. They read like the lists they stand for (``Sequence``, equal to
a list of the same items), ``append`` as a list does (``triage run`` adds its exit), and are
written into the JSON report a batch at a time (``render.json_chunks``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from itertools import islice
from typing import Any, overload

from triage.correlate.failures import ReadSequence, index


def _same(item: Any) -> Any:
    return item


class Rows(ReadSequence):
    """``make`` applied to each item of ``base`` as it is read, then the items appended."""

    def __init__(self, base: Sequence[Any], make: Callable[[Any], Any] = _same) -> None:
        self._base = base
        self._make = make
        self._extra: list[Any] = []

    def append(self, item: Any) -> None:
        self._extra.append(item)

    def __len__(self) -> int:
        return len(self._base) + len(self._extra)

    def __iter__(self) -> Iterator[Any]:
        make = self._make
        for item in self._base:
            yield make(item)
        yield from self._extra

    @overload
    def __getitem__(self, i: int) -> Any: ...
    @overload
    def __getitem__(self, i: slice) -> list[Any]: ...
    def __getitem__(self, i: int | slice) -> Any:
        if isinstance(i, slice):
            start, stop, step = i.indices(len(self))
            if step > 0:
                return list(islice(self, start, stop, step))
            return [self[k] for k in range(start, stop, step)]
        n = len(self._base)
        if i < 0:
            i += len(self)
        if 0 <= i < n:
            return self._make(self._base[i])
        if i < 0:
            raise IndexError("index out of range")
        return self._extra[i - n]

    def __contains__(self, item: object) -> bool:
        if self._make is _same:
            return item in self._base or item in self._extra
        return any(x == item for x in self)


class ById(Mapping[str, Any]):
    """The failure rows by id, read by index (failure ``S{n}`` is row n) without a dict of all."""

    def __init__(self, rows: Sequence[Any]) -> None:
        self._rows = rows

    def __getitem__(self, fid: str) -> Any:
        i = index(fid)
        if 0 <= i < len(self._rows):
            row = self._rows[i]
            if row["id"] == fid:
                return row
        for row in self._rows:  # data not made by report_data (ids of another form): looked for
            if row["id"] == fid:
                return row
        raise KeyError(fid)

    def __iter__(self) -> Iterator[str]:
        return (row["id"] for row in self._rows)

    def __len__(self) -> int:
        return len(self._rows)


def by_id(failures: Sequence[Any]) -> Mapping[str, Any]:
    """The report's failure rows by id (``fmap`` in the templates)."""
    return ById(failures)
