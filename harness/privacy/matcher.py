"""Every occurrence of many byte strings in a buffer, in one pass: the scanner's search engine.

`Matcher` reports every match of every pattern, overlapping ones included, as (pattern index, start, end). It
runs on Hyperscan (Intel's SIMD multi-literal matcher, the `hyperscan` package) when that is installed: on a
tracker's JSON it is about four times as fast as an Aho-Corasick DFA over the scanner's few thousand variants,
and ten times on binary bodies, where nearly every window can be ruled out by a vector step. Without it the
same matches come from `ahocorasick_rs`'s DFA. Both report the same set of matches (tests/test_matcher.py).

`Presence` answers a smaller question, whether a regular expression matches at all: the decoder's gate before
costlier work on a layer, on Hyperscan's single-match mode or Python's `re`.
"""

from __future__ import annotations

import importlib
import re
import threading
from collections.abc import Sequence
from types import ModuleType
from typing import Final, Literal

import ahocorasick_rs

__all__ = ["Backend", "Match", "Matcher", "Presence", "available_backends"]

Backend = Literal["hyperscan", "ahocorasick"]
Match = tuple[int, int, int]
"""(pattern index, start, end) of one occurrence."""


def _hyperscan() -> ModuleType | None:
    try:
        return importlib.import_module("hyperscan")
    except ImportError:
        return None


_HYPERSCAN: Final = _hyperscan()


def available_backends() -> tuple[Backend, ...]:
    """The backends this installation can run, fastest first."""
    return ("hyperscan", "ahocorasick") if _HYPERSCAN is not None else ("ahocorasick",)


def _expression(pattern: bytes) -> bytes:
    """`pattern` as a Hyperscan expression matching exactly those bytes. (Its literal mode would be simpler, but
    the binding measures literals with strlen: a UTF-16 variant would be cut at its first NUL byte.)"""
    return b"".join(bytes((byte,)) if 0x30 <= byte <= 0x39 or 0x41 <= byte <= 0x5A or 0x61 <= byte <= 0x7A
                    else b"\\x%02x" % byte for byte in pattern)


class Matcher:
    """Finds every occurrence of `patterns` (non-empty byte strings) in a buffer."""

    def __init__(self, patterns: Sequence[bytes], backend: Backend | None = None) -> None:
        if any(not pattern for pattern in patterns):
            raise ValueError("a Matcher's patterns must be non-empty byte strings")
        self.backend: Backend = backend or available_backends()[0]
        if self.backend not in available_backends():
            raise ValueError(f"matcher backend {self.backend!r} is not installed (have: {available_backends()})")
        self._lengths = [len(pattern) for pattern in patterns]
        self._scratch = threading.local()  # Hyperscan scans without the GIL: one scratch space per thread
        if not patterns:
            self._database = self._automaton = None
        elif self.backend == "hyperscan":
            assert _HYPERSCAN is not None
            self._database = _HYPERSCAN.Database(mode=_HYPERSCAN.HS_MODE_BLOCK)
            self._database.compile(
                expressions=[_expression(pattern) for pattern in patterns],
                ids=list(range(len(patterns))),
                elements=len(patterns),
                flags=[0] * len(patterns),
            )
            self._automaton = None
        else:
            self._database = None
            self._automaton = ahocorasick_rs.BytesAhoCorasick(
                list(patterns), implementation=ahocorasick_rs.Implementation.DFA
            )

    def __repr__(self) -> str:
        return f"<Matcher backend={self.backend!r} patterns={len(self._lengths)}>"

    def find(self, data: bytes) -> list[Match]:
        """Every (pattern index, start, end) where a pattern occurs in `data`, overlapping matches included, in
        no particular order."""
        if self._automaton is not None:
            matches: list[Match] = self._automaton.find_matches_as_indexes(data, overlapping=True)
            return matches
        if self._database is None or not data:
            return []
        found: list[Match] = []
        lengths = self._lengths

        def on_match(pattern: int, _start: int, end: int, _flags: int, _context: object) -> None:
            found.append((pattern, end - lengths[pattern], end))

        self._database.scan(data, match_event_handler=on_match, scratch=_thread_scratch(self._scratch, self._database))
        return found


def _thread_scratch(spaces: threading.local, database: object) -> object:
    """This thread's Hyperscan scratch space for `database` (Hyperscan scans without the GIL: one per thread)."""
    scratch = getattr(spaces, "space", None)
    if scratch is None:
        assert _HYPERSCAN is not None
        scratch = spaces.space = _HYPERSCAN.Scratch(database)
    return scratch


class Presence:
    """Whether a regular expression matches anywhere in a buffer: a gate, asked before costlier work.

    On Hyperscan the scan stops at the first match (single-match mode) and runs a vector step where nothing can
    match: a binary body is ruled out at several hundred MB/s. Without it, Python's `re` answers the same.
    The expression must mean the same in both engines (byte classes and bounded repeats do).
    """

    def __init__(self, expression: bytes, backend: Backend | None = None) -> None:
        self.backend: Backend = backend or available_backends()[0]
        self._regex = re.compile(expression, re.DOTALL)
        self._scratch = threading.local()
        self._database = None
        if self.backend == "hyperscan":
            assert _HYPERSCAN is not None
            self._database = _HYPERSCAN.Database(mode=_HYPERSCAN.HS_MODE_BLOCK)
            self._database.compile(expressions=[expression], ids=[0], elements=1,
                                   flags=[_HYPERSCAN.HS_FLAG_SINGLEMATCH | _HYPERSCAN.HS_FLAG_DOTALL])

    def __repr__(self) -> str:
        return f"<Presence {self._regex.pattern!r} backend={self.backend!r}>"

    def found_in(self, data: bytes) -> bool:
        """Whether the expression matches somewhere in `data`."""
        if self._database is None:
            return self._regex.search(data) is not None
        if not data:
            return False
        found: list[bool] = []
        self._database.scan(data, match_event_handler=lambda *_: found.append(True),
                            scratch=_thread_scratch(self._scratch, self._database))
        return bool(found)
