"""What a text parser can let pass unseen: its triggers, and how the reader combines them.

A parser in a quiet state (idle, or inside a block that only waits for its end) answers
``quiet()`` with a ``Quiet``: for every line that matches none of its ``Triggers``, ``feed`` would
return no events and change no state (``tracks``: change only the block's last line number, which
``skipped(no)`` sets instead). ``claims`` says which of those lines ``feed`` claims, so that the
parsers after it do not see them. While every parser the lines reach is quiet, the reader
(gated.py) jumps to the next line matching the union of their triggers, found by
``linescan.select`` over a big block of bytes; the lines in between are only counted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from triage.inputs import linescan
from triage.inputs.jsonrec import FAST_NEEDLES, QUIET_PREFIXES

# Which non-trigger lines feed() claims in a quiet state.
# BLANK: the lines that str.strip() empties; SOME: some others (no parser behind it may track)
NONE, BLANK, ALL, SOME = 0, 1, 2, 3


@dataclass(frozen=True)
class Triggers:
    """Lines a quiet parser must see: starting / ending with, holding, or holding in any ASCII
    case (given lower-case) one of these byte strings (UTF-8; a lone lead byte such as b"\\xe2"
    stands for every character it starts)."""

    prefixes: tuple[bytes, ...] = ()
    suffixes: tuple[bytes, ...] = ()
    needles: tuple[bytes, ...] = ()
    folded: tuple[bytes, ...] = ()
    keep_unless: tuple[bytes, ...] = ()  # lines NOT starting with one of these

    def __or__(self, other: Triggers) -> Triggers:
        def both(a: tuple[bytes, ...], b: tuple[bytes, ...]) -> tuple[bytes, ...]:
            return tuple(dict.fromkeys(a + b))

        if self.keep_unless and other.keep_unless:
            raise ValueError("one keep_unless set per gate")
        return Triggers(
            both(self.prefixes, other.prefixes),
            both(self.suffixes, other.suffixes),
            both(self.needles, other.needles),
            both(self.folded, other.folded),
            self.keep_unless or other.keep_unless,
        )

    def matches(self, line: str) -> bool:
        """Whether the (cleaned) line is a trigger, as linescan.select decides on its bytes: the
        reference for the invariant tests."""
        data = line.encode("utf-8", "surrogatepass")
        low = data.lower()  # ASCII letters only, as linescan folds them
        return (
            (bool(self.keep_unless) and not data.startswith(self.keep_unless))
            or (bool(self.prefixes) and data.startswith(self.prefixes))
            or (bool(self.suffixes) and data.endswith(self.suffixes))
            or any(n in data for n in self.needles)
            or any(f in low for f in self.folded)
        )


@dataclass(frozen=True)
class Boundary:
    """A line after which the lines before it in a block no longer matter (a new section): it
    starts with ``prefix`` as read, and ``test`` accepts its cleaned text."""

    prefix: bytes
    test: Callable[[str], bool]


@dataclass(frozen=True, eq=False)
class Quiet:
    """A quiet state: see the module docstring."""

    triggers: Triggers
    claims: int = NONE
    empty: bool = False  # the empty line is a trigger too
    tracks: bool = False  # call skipped(last line number) instead of feeding the lines
    collects: bool = False  # the lines are its, as they are: call collected(numbers, texts)
    # with them instead of feeding them one by one (the first parser only)
    apart: bool = False  # scanned on its own: gates that differ only here share the rest
    # The lines passed over may matter after all, but only from the last boundary among them:
    # when a trigger comes (or the block read ends), the reader feeds the lines from there (all
    # of them when none is a boundary), so the parser reads that section whole. feed() may change
    # state on non-trigger lines, but only state the lines from a boundary on set anew. One
    # parser per gate, behind none that claims SOME lines (a boundary must reach it as read).
    rewinds: Boundary | None = None

    def wants(self, line: str) -> bool:
        """Whether the (cleaned) line must be fed: the reference for the invariant tests."""
        return (self.empty and not line) or self.triggers.matches(line)


class Quietable(Protocol):
    def quiet(self) -> Quiet | None: ...


DIGITS = tuple(str(d).encode() for d in range(10))
# Lines the reader itself must see: JSON records, bare or behind a docker-compose prefix (the
# quiet pino records among them are no one's trigger: see Part.of).
JSON = Triggers(prefixes=(b"{",), needles=(b"| {", *FAST_NEEDLES))
# What source._clean changes in a line, allowed for so that a raw-byte test misses no trigger: a
# GitHub timestamp in front (linescan compares prefixes after it: ``stamps``), a trailing "\r"
# (suffixes are also tried with it), escape and NUL bytes (such lines are always looked at).


@dataclass(frozen=True, eq=False)
class Part:
    """One linescan.select call's worth of triggers, with what raw bytes need (see above)."""

    keep_unless: tuple[bytes, ...]
    prefixes: tuple[bytes, ...]
    suffixes: tuple[bytes, ...]
    needles: tuple[bytes, ...]
    folded: tuple[bytes, ...]
    quiet: tuple[bytes, ...]
    empty: bool  # empty lines are triggers too

    @staticmethod
    def of(t: Triggers, first: bool, empty: bool) -> Part:
        needles = tuple(dict.fromkeys(t.needles + linescan.ALWAYS)) if first else t.needles
        suffixes = t.suffixes + tuple(s + b"\r" for s in t.suffixes)
        # quiet pino records never reach a text parser (read_stream skips them first): no
        # parser's trigger, whatever its keep_unless or prefixes say
        key = (t.keep_unless, t.prefixes, suffixes, needles, t.folded, QUIET_PREFIXES, empty)
        part = _PARTS.get(key)
        if part is None:  # one object per value: selections are cached by identity
            part = _PARTS[key] = Part(*key)
        return part


_PARTS: dict[tuple[object, ...], Part] = {}


@dataclass(frozen=True, eq=False)
class Gate:
    """The union of the quiet states of the parsers a line reaches, as linescan passes: one for
    the reader's own triggers and the shared ones, one for each ``apart`` set."""

    parts: tuple[Part, ...]
    tracking: tuple[int, ...]  # positions (in the parser list) of parsers to call skipped()
    blank_before: tuple[int, ...]  # those of them behind a parser that claims blank lines
    collects: bool = False  # the first parser collects the lines passed over (Quiet.collects)
    rewinds: Boundary | None = None  # the Quiet.rewinds of a parser it holds

    @staticmethod
    def build(quiets: Sequence[Quiet]) -> Gate | None:
        """The gate, or None when a parser that claims unknown lines precedes a tracking one."""
        shared = JSON
        apart: list[Triggers] = []
        tracking: list[int] = []
        blank_before: list[int] = []
        blank = False
        rewinds: Boundary | None = None
        for i, q in enumerate(quiets):
            if q.collects and (i or q.claims != ALL):
                return None  # only the first parser, owning every line, may collect
            if q.rewinds is not None:
                if rewinds is not None or any(p.claims == SOME for p in quiets[:i]):
                    return None
                rewinds = q.rewinds
            if q.apart:
                apart.append(q.triggers)
            else:
                shared = shared | q.triggers
            if q.tracks:
                if any(p.claims == SOME for p in quiets[:i]):
                    return None
                tracking.append(i)
                if blank:
                    blank_before.append(i)
            blank = blank or q.claims == BLANK
        empty = any(q.empty for q in quiets)
        parts = [Part.of(shared, True, empty)] + [Part.of(t, False, empty) for t in apart]
        collects = bool(quiets) and quiets[0].collects
        return Gate(tuple(parts), tuple(tracking), tuple(blank_before), collects, rewinds)


# While a parser must see every line, only the quiet pino records may pass unseen: read_stream
# drops them before any text parser (the rule fastscan applies to whole pino files).
EVERY = Gate(
    (Part.of(Triggers(keep_unless=QUIET_PREFIXES, needles=FAST_NEEDLES), True, False),), (), ()
)


class Gates:
    """The current gate of a list of parsers (None while one must see every line), cached."""

    def __init__(self, parsers: Sequence[Quietable]) -> None:
        self._quiets: list[Callable[[], Quiet | None]] = [p.quiet for p in parsers]
        self._cache: dict[tuple[Quiet, ...], tuple[Gate | None, tuple[Quiet, ...]]] = {}

    def current(self) -> Gate | None:
        quiets: list[Quiet] = []
        for quiet in self._quiets:
            q = quiet()
            if q is None:
                return None
            quiets.append(q)
            if q.claims == ALL:
                break
        key = tuple(quiets)  # Quiet objects hash by identity
        hit = self._cache.get(key)
        if hit is None:
            # the Quiet objects are kept with their gate so their ids stay theirs
            hit = self._cache[key] = (Gate.build(quiets), tuple(quiets))
        return hit[0]
