"""The failing observations one analysis holds, on disk past SPILL: memory stays flat however
many distinct failures a log holds (a suite of 100,000 tests failing one by one).

Correlation reads them a group at a time (``groups.failure_groups``: one Failure and every copy
of it read from other inputs), in the order each failure was first read, then reads back the
few whose evidence a finding quotes (``group``). While few, they are held as they are and
grouped in memory; past SPILL each is written (``encode``) to a temporary SQLite file (removed on close)
with its group key, and the file groups them with the same rules:

  f       one row per observation: seq, its failure key, the key of the failing test whose
          captured log it may be (an error record read inside a test's output is part of that
          test's failure, when the test failed) and the observation itself;
  g       each row's group: its own key, or that failing test's;
  numbered  the groups in the order their own first copy was read: failure S{n} is group n.
"""

from __future__ import annotations

import itertools
import marshal
import pickle
from collections.abc import Iterable, Iterator
from dataclasses import fields
from operator import attrgetter, itemgetter

from triage.correlate.groups import FailureGroup, failure_groups, group_of, real_errors
from triage.correlate.store import Scratch, as_tuple, from_tuple
from triage.inputs import testid
from triage.model import Event, Link
from triage.observe import Observation, failure_key

SPILL = 20_000  # failing observations held before the spool moves to its file
BATCH = 4096  # rows written at once, after

_SCHEMA = """
CREATE TABLE f (seq INTEGER PRIMARY KEY, key TEXT, owner TEXT, ob BLOB);
"""
_GROUPS = """
CREATE INDEX f_key ON f (key);
CREATE TABLE g AS SELECT f.seq, f.key, COALESCE(
    (SELECT o.key FROM f AS o WHERE o.key = f.owner LIMIT 1), f.key) AS grp FROM f;
CREATE INDEX g_grp ON g (grp, seq);
CREATE TABLE groups AS SELECT grp, MIN(seq) AS first FROM g WHERE key = grp GROUP BY grp;
CREATE TABLE numbered AS SELECT ROW_NUMBER() OVER (ORDER BY first) AS n, grp FROM groups;
CREATE INDEX numbered_n ON numbered (n);
"""
# each group's rows: whether the row was taken in (not the group's own key), the observation
_ROWS = "FROM numbered JOIN g ON g.grp = numbered.grp JOIN f ON f.seq = g.seq"


class FailureSpool(Scratch):
    """``add`` every failing observation held, in reading order; ``groups`` then yields the
    FailureGroups (``S1``, ``S2``…) and ``group`` reads one back by its failure's number."""

    WHAT = "failures"
    SEALING = _GROUPS

    def __init__(self) -> None:
        super().__init__()
        self._held: list[Observation] = []
        self._rows: list[tuple[int, str, str | None, bytes]] = []
        self._groups: list[FailureGroup] | None = None
        self._nowhere = False  # a temporary file could not be made: all held
        # fingerprints of the errors raised in a failure's own chain (correlate's claimed set)
        self.claimed: set[str] = set()

    def add(self, ob: Observation) -> None:
        from triage.correlate.fingerprint import fingerprint

        real = real_errors(ob.errors)
        if real:
            self.claimed.add(fingerprint(real[-1]))
        self._put(ob)

    def _put(self, ob: Observation) -> None:
        if self._db is None:
            self._held.append(ob)
            if len(self._held) >= SPILL and not self._nowhere:
                self._spill()
            return
        key = failure_key(ob)
        ev = ob.event
        owner = ("test", testid.key(ev.test), "call") if key[0] == "event" and ev.test else None
        self._rows.append(
            (
                ob.seq,
                "\x1f".join(key),
                "\x1f".join(owner) if owner else None,
                encode(ob),
            )
        )
        if len(self._rows) >= BATCH:
            self._flush()

    def _spill(self) -> None:
        if not self._start("triage-failures-", _SCHEMA, in_memory=False):
            self._nowhere = True  # nowhere to write: held in memory
            return
        held, self._held = self._held, []
        for ob in held:
            self._put(ob)
        self._flush()

    def _flush(self) -> None:
        assert self._db is not None
        with self._writing():
            self._db.executemany("INSERT INTO f VALUES (?, ?, ?, ?)", self._rows)
        self._rows = []

    def groups(self) -> Iterator[FailureGroup]:
        """Every failure's group, ``S1`` first (in the order each was first read)."""
        self.seal()
        if self._db is None:
            if self._groups is None:
                self._groups = failure_groups(self._held)
            yield from self._groups
            return
        # one scan, every group's rows together (a query per group cost ~15 us a failure)
        rows = self._db.execute(
            f"SELECT numbered.n, g.key != g.grp, f.ob {_ROWS} ORDER BY numbered.n, g.seq"
        )
        for n, copies in itertools.groupby(rows, key=itemgetter(0)):
            yield group_of(n, _ordered((foreign, blob) for _, foreign, blob in copies))

    def group(self, n: int) -> FailureGroup:
        """The group of failure ``S{n}`` (read back: a finding quotes a few)."""
        self.seal()
        if self._db is None:
            if self._groups is None:
                self._groups = failure_groups(self._held)
            return self._groups[n - 1]
        rows = self._db.execute(
            f"SELECT g.key != g.grp, f.ob {_ROWS} WHERE numbered.n = ? ORDER BY g.seq", (n,)
        )
        return group_of(n, _ordered(rows))


def _ordered(rows: Iterable[tuple[int, bytes]]) -> list[Observation]:
    """A group's observations from its rows ((taken in, observation), in reading order): its
    own copies, then those it took in (an error record captured in the failing test's output)."""
    own: list[Observation] = []
    taken: list[Observation] = []
    for foreign, blob in rows:
        (taken if foreign else own).append(decode(blob))
    return own + taken


def encode(ob: Observation) -> bytes:
    """The observation as marshal writes its field tuples (pickle, when its event's parsed
    record holds what marshal cannot write); ``decode`` reads it back equal."""
    event = list(_event(ob.event))
    event[_CHAIN] = tuple((link.exc, link.message, link.line) for link in ob.event.chain)
    errors = tuple(as_tuple(e) for e in ob.errors)
    values = (
        ob.seq,
        tuple(event),
        errors,
        ob.wrapper,
        ob.http_status,
        ob.near_time,
        ob.near_pid,
        ob.at,
    )
    try:
        return b"m" + marshal.dumps(values)
    except ValueError:
        return b"p" + pickle.dumps(ob, pickle.HIGHEST_PROTOCOL)


def decode(blob: bytes) -> Observation:
    if blob[:1] == b"p":
        ob: Observation = pickle.loads(blob[1:])
        return ob
    seq, stored, errors, wrapper, http_status, near_time, near_pid, at = marshal.loads(blob[1:])
    event = list(stored)
    event[_CHAIN] = tuple(Link(*link) for link in event[_CHAIN])
    ev = Event(*event)
    return Observation(
        seq, ev, tuple(from_tuple(e) for e in errors), wrapper, http_status, near_time, near_pid, at
    )


_EVENT = tuple(f.name for f in fields(Event))
_CHAIN = _EVENT.index("chain")
_event = attrgetter(*_EVENT)
