"""The failures one analysis found, and what links each to its root, without a Python object each.

A suite of 100,000 tests failing one by one is 100,000 Failures the report lists. Held as
objects they are half a kilobyte each, plus their ids in the links to their roots; so past SPILL
a ``FailureList`` keeps each Failure as a marshalled field tuple in an anonymous temporary file
(removed by the system when it is let go) with its offset in an array, and ``Links`` keeps each
failure's root and scope as small integers in arrays indexed by failure number. Both read like
the tuple and dicts they replace (``Sequence``, ``Mapping``): a failure's id is ``S{n}``, its
index ``n - 1``.
"""

from __future__ import annotations

import marshal
import os
import tempfile
from array import array
from collections.abc import Iterator, Mapping, Sequence
from typing import IO, Any, overload

from triage.model import Failure, Location

SPILL = 20_000  # failures held as objects before the list moves to its file
BUFFER = 1 << 20  # bytes of marshalled failures gathered before a write


def index(fid: str) -> int:
    """The place of failure ``S{n}`` in its list (``-1`` for an id of another form)."""
    return int(fid[1:]) - 1 if fid[:1] == "S" and fid[1:].isdigit() else -1


def _dump(f: Failure) -> bytes:
    loc = f.location
    return marshal.dumps(
        (f.id, f.kind, f.message, loc.path, loc.line, f.test, f.phase, f.time, f.level,
         f.wrapper, f.ids)
    )  # fmt: skip


def _load(blob: bytes) -> Failure:
    fid, kind, message, path, line, test, phase, time, level, wrapper, ids = marshal.loads(blob)
    return Failure(fid, kind, message, Location(path, line), test, phase, time, level, wrapper, ids)


class ReadSequence(Sequence[Any]):
    """Equal to any sequence of the same items, as the tuple it stands for is."""

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self)} items)"


class FailureList(ReadSequence):
    """Failures in the order they were made, appended one at a time."""

    def __init__(self) -> None:
        self._held: list[Failure] = []
        self._file: IO[bytes] | None = None
        self._offsets = array("q")  # in the file: where each failure starts (and one past the end)
        self._pending: list[bytes] = []
        self._pending_size = 0
        self._nowhere = False

    @property
    def spilled(self) -> bool:
        return self._file is not None

    def append(self, f: Failure) -> None:
        if self._file is None:
            self._held.append(f)
            if len(self._held) >= SPILL and not self._nowhere:
                self._spill()
            return
        blob = _dump(f)
        self._pending.append(blob)
        self._pending_size += len(blob)
        self._offsets.append(self._offsets[-1] + len(blob))
        if self._pending_size >= BUFFER:
            self._flush()

    def _spill(self) -> None:
        try:
            # lives as long as the list (the report is rendered from it): closed when let go
            self._file = tempfile.TemporaryFile(prefix="triage-failures-")  # noqa: SIM115
        except OSError:
            self._nowhere = True  # nowhere to write: held as objects
            return
        self._offsets.append(0)
        held, self._held = self._held, []
        for f in held:
            self.append(f)

    def _flush(self) -> None:
        assert self._file is not None
        if not self._pending:
            return
        self._file.seek(0, os.SEEK_END)
        self._file.write(b"".join(self._pending))
        self._file.flush()  # read back with os.pread: past Python's buffer
        self._pending, self._pending_size = [], 0

    def __len__(self) -> int:
        return len(self._held) if self._file is None else len(self._offsets) - 1

    @overload
    def __getitem__(self, i: int) -> Failure: ...
    @overload
    def __getitem__(self, i: slice) -> list[Failure]: ...
    def __getitem__(self, i: int | slice) -> Failure | list[Failure]:
        if self._file is None:
            return self._held[i]
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("failure index out of range")
        self._flush()
        lo, hi = self._offsets[i], self._offsets[i + 1]
        return _load(os.pread(self._file.fileno(), hi - lo, lo))

    def __iter__(self) -> Iterator[Failure]:
        if self._file is None:
            yield from self._held
            return
        self._flush()
        fd = self._file.fileno()
        offsets = self._offsets
        n = len(offsets) - 1
        start = 0
        while start < n:
            # a run of failures at once (a few MB), each read back in turn
            end = start + 1
            while end < n and offsets[end + 1] - offsets[start] <= BUFFER * 4:
                end += 1
            base = offsets[start]
            chunk = os.pread(fd, offsets[end] - base, base)
            for k in range(start, end):
                yield _load(chunk[offsets[k] - base : offsets[k + 1] - base])
            start = end


class Links:
    """Each failure's root (a fingerprint) and the scope that linked it, by failure number."""

    SCOPES = ("chain", "test", "id", "symptom", "pid", "previous", "window")

    def __init__(self) -> None:
        self._root = array("i")  # per failure: index into _fps, or -1 when it has none
        self._scope = bytearray()  # per failure: index into SCOPES (meaningless without a root)
        self._fps: list[str] = []
        self._fp_index: dict[str, int] = {}

    def link(self, fid: str, fp: str, scope: str) -> None:
        i = index(fid)
        while len(self._root) <= i:
            self._root.append(-1)
            self._scope.append(0)
        k = self._fp_index.get(fp)
        if k is None:
            k = self._fp_index[fp] = len(self._fps)
            self._fps.append(fp)
        self._root[i] = k
        self._scope[i] = self.SCOPES.index(scope)

    def root(self, fid: str) -> str | None:
        """The fingerprint of the failure's root, or None."""
        i = index(fid)
        if not 0 <= i < len(self._root) or self._root[i] < 0:
            return None
        return self._fps[self._root[i]]

    def scope(self, fid: str) -> str | None:
        i = index(fid)
        if not 0 <= i < len(self._root) or self._root[i] < 0:
            return None
        return self.SCOPES[self._scope[i]]

    def __contains__(self, fid: object) -> bool:
        return isinstance(fid, str) and self.root(fid) is not None

    def linked(self) -> Iterator[tuple[str, str]]:
        """(failure id, fingerprint) of every linked failure, in failure order."""
        fps = self._fps
        for i, k in enumerate(self._root):
            if k >= 0:
                yield f"S{i + 1}", fps[k]


class RootIds(Mapping[str, str]):
    """failure id -> the id of the finding that explains it (Correlation.roots)."""

    def __init__(self, links: Links, finding_of: dict[str, str]) -> None:
        self._links = links
        self._finding_of = finding_of  # fingerprint -> finding id

    def __getitem__(self, fid: str) -> str:
        fp = self._links.root(fid)
        if fp is None or fp not in self._finding_of:
            raise KeyError(fid)
        return self._finding_of[fp]

    def __iter__(self) -> Iterator[str]:
        return (fid for fid, fp in self._links.linked() if fp in self._finding_of)

    def __len__(self) -> int:
        return sum(1 for _ in self)


class Scopes(Mapping[str, str]):
    """failure id -> the scope that linked it to its root (Correlation.scopes)."""

    def __init__(self, links: Links) -> None:
        self._links = links

    def __getitem__(self, fid: str) -> str:
        scope = self._links.scope(fid)
        if scope is None:
            raise KeyError(fid)
        return scope

    def __iter__(self) -> Iterator[str]:
        return (fid for fid, _ in self._links.linked())

    def __len__(self) -> int:
        return sum(1 for _ in self)


class Unexplained(ReadSequence):
    """The ids of the failures no finding explains, in failure order (Correlation.unexplained)."""

    def __init__(self, count: int, roots: RootIds) -> None:
        self._count = count
        self._roots = roots
        self._n = sum(1 for _ in self)

    def __iter__(self) -> Iterator[str]:
        roots = self._roots
        for i in range(self._count):
            fid = f"S{i + 1}"
            if fid not in roots:
                yield fid

    def __len__(self) -> int:
        return self._n

    def __contains__(self, fid: object) -> bool:
        if not isinstance(fid, str):
            return False
        return 0 <= index(fid) < self._count and fid not in self._roots

    @overload
    def __getitem__(self, i: int) -> str: ...
    @overload
    def __getitem__(self, i: slice) -> list[str]: ...
    def __getitem__(self, i: int | slice) -> str | list[str]:
        return list(self)[i]
