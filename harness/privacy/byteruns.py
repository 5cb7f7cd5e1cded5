"""Runs of a byte class: where base64, hex or printable text lies inside a layer, for the decoders to decode;
and whether a layer is text at all (`is_text`), the first thing asked of every layer and of every decoded piece.

`runs(data, flag, min_length, need)` gives the maximal runs of bytes of one class (`BASE64`, `HEX`,
`PRINTABLE`), at least `min_length` long, in which every class of `need` occurs (`UPPER | LOWER`: base64 of
almost anything mixes cases, the long runs of ordinary text do not). Every layer of every payload asks, and on a
tracker's JSON batch it was the costliest question of a scan.

Two backends give the same runs (tests/test_byteruns.py):
- ``native``, a small C extension (`_byteruns.c`, built at install when a C compiler is there): it looks at
  every `min_length`-th byte only (any run that long holds one) and walks out from those of the class, so a batch
  of short words costs a fraction of its length, about ten times as fast as the array work; runs that must mix
  cases it finds from their capitals instead, sixteen bytes at a time (`_ANCHORS`);
- ``array``, numpy on a bit mask of the bytes (`_long_runs`), or a regex in small layers, where numpy's fixed
  cost per call outweighs the scan; before the array work on a larger binary layer, one vector scan asks whether
  a run long enough exists at all (a `Presence` gate).
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Callable
from types import ModuleType
from typing import Final, Literal

import numpy as np
import numpy.typing as npt

from harness.privacy.matcher import Presence

__all__ = [
    "BASE64", "CLASSES", "HEX", "LOWER", "PRINTABLE", "UPPER", "Backend", "Span", "available_backends", "is_text", "runs",
]

Backend = Literal["native", "array"]
Span = tuple[int, int]
"""(start, end) of one run."""

# Byte classes as bit flags, so that one table lookup classifies a byte for all of them.
BASE64: Final = 1  # either alphabet: the decoders tell them apart
HEX: Final = 2
UPPER: Final = 4
LOWER: Final = 8
PRINTABLE: Final = 16  # printable ASCII and line breaks: text inside bytes that are not text as a whole
CLASSES: Final = bytes(
    (BASE64 if chr(byte).isascii() and (chr(byte).isalnum() or chr(byte) in "+/-_") else 0)
    | (HEX if chr(byte) in "0123456789abcdefABCDEF" else 0)
    | (UPPER if chr(byte).isascii() and chr(byte).isupper() else 0)
    | (LOWER if chr(byte).isascii() and chr(byte).islower() else 0)
    | (PRINTABLE if 0x20 <= byte < 0x7F or chr(byte) in "\t\n\r" else 0)
    for byte in range(256)
)
"""The flags of each byte value: the one table both backends read."""
_FLAGS: Final = frozenset({BASE64, HEX, UPPER, LOWER, PRINTABLE})
_ALL_FLAGS: Final = sum(_FLAGS)  # the flags are distinct bits
_ANCHORS: Final = UPPER
"""Needed classes the native scan looks for first, when a run must hold one: capitals are the rarest bytes of a
tracker's text (most of its JSON has none) and one range of byte values, which a vector compare finds."""


def _native() -> ModuleType | None:
    try:
        return importlib.import_module("harness.privacy._byteruns")
    except ImportError:  # installed where no C compiler was: the array backend does the same work
        return None


_NATIVE: Final = _native()


def _decodes_as_text(data: bytes) -> bool:
    return b"\0" not in data and (data.isascii() or _valid_utf8(data))


def _valid_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


is_text: Final[Callable[[bytes], bool]] = _NATIVE.is_text if _NATIVE is not None else _decodes_as_text
"""Whether `data` is text: UTF-8 (as Python's strict codec reads it) without a NUL byte. In C where built: most
calls are on short binary pieces, where raising and catching Python's decoding error cost more than the check."""


def available_backends() -> tuple[Backend, ...]:
    """The backends this installation can run, fastest first."""
    return ("native", "array") if _NATIVE is not None else ("array",)


def runs(data: bytes, flag: int, min_length: int, need: int = 0, backend: Backend | None = None) -> list[Span]:
    """The maximal runs of bytes with `flag`, at least `min_length` (1 or more) long, holding a byte of each
    class in `need`, in order."""
    if min_length < 1:
        raise ValueError(f"min_length must be 1 or more, got {min_length}")
    if flag not in _FLAGS or need & ~_ALL_FLAGS:
        raise ValueError(f"flag must be one of {sorted(_FLAGS)} and need a combination of them, got {flag}, {need}")
    if min_length > len(data):
        return []  # no run that long fits
    if (backend or available_backends()[0]) == "native":
        if _NATIVE is None:
            raise ValueError(f"byte-run backend 'native' is not installed (have: {available_backends()})")
        found: list[Span] = _NATIVE.runs(data, CLASSES, flag, min_length, need, need & _ANCHORS)
        return found
    return _array_runs(data, flag, min_length, need)


# --- the array backend --------------------------------------------------------------------------------------

_Positions = npt.NDArray[np.int64]
_NO_RUNS: Final = (np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64))
_NO_BYTE: Final = np.zeros(1, dtype=np.uint8)

_SMALL: Final = 512
"""Below this many bytes a regex finds runs faster than the array work, whose fixed cost per numpy call (a few
microseconds, a dozen calls) outweighs scanning a few hundred bytes; most layers are this small."""


def _array_runs(data: bytes, flag: int, min_length: int, need: int) -> list[Span]:
    classes = None
    if len(data) < _SMALL or min_length < 15:
        spans = [match.span() for match in _run_pattern(flag, min_length).finditer(data)]
        if not spans or not need:
            return spans
        starts, ends = np.array(spans, dtype=np.int64).T
    else:
        if not data.isascii() and not _presence(flag, min_length).found_in(data):
            return []  # most binary bodies hold no run long enough: one vector scan says so
        classes = _classes(data)
        starts, ends = _long_runs(classes, flag, min_length)
    if need and len(starts):
        classes = _classes(data) if classes is None else classes
        bounds = np.empty(2 * len(starts), dtype=np.int64)
        bounds[0::2], bounds[1::2] = starts, ends
        # Every flag of each run at once: ORed from its start to its end (the runs are apart, so the bounds rise).
        seen = np.bitwise_or.reduceat(np.append(classes, np.uint8(0)), bounds)[0::2]
        keep = seen & np.uint8(need) == need
        starts, ends = starts[keep], ends[keep]
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def _classes(data: bytes) -> npt.NDArray[np.uint8]:
    return np.frombuffer(data.translate(CLASSES), dtype=np.uint8)


def _ones_from(byte: int, bits: range) -> int:
    """How many of `bits` of `byte`, taken in that order, are set before the first clear one."""
    count = 0
    for bit in bits:
        if not byte >> bit & 1:
            break
        count += 1
    return count


# For each mask byte (eight bytes of data): how many class bytes end it, and how many start it.
_TRAILING_RUN: Final = np.array([_ones_from(byte, range(7, -1, -1)) for byte in range(256)], dtype=np.int64)
_LEADING_RUN: Final = np.array([_ones_from(byte, range(8)) for byte in range(256)], dtype=np.int64)


def _long_runs(classes: npt.NDArray[np.uint8], flag: int, min_length: int) -> tuple[_Positions, _Positions]:
    """(starts, ends) of the maximal runs of bytes with `flag` at least `min_length` long.

    Any 15 consecutive bytes contain a whole aligned block of eight, so a run that long holds one or more full
    blocks: a mask byte of 0xFF (one bit per byte, byte i at bit i % 8 of mask byte i // 8). Each chain of full
    blocks, extended by the class bytes that end the block before it and start the block after it (two table
    lookups), is one run. All of it is array work on one byte per eight bytes of data.
    """
    if len(classes) < min_length:
        return _NO_RUNS
    packed = np.packbits(classes & np.uint8(flag), bitorder="little")
    full = np.flatnonzero(packed == 0xFF)
    if not len(full):
        return _NO_RUNS
    breaks = np.flatnonzero(np.diff(full) != 1)
    first = full[np.concatenate(([0], breaks + 1))]
    last = full[np.concatenate((breaks, [len(full) - 1]))]
    around = np.concatenate((_NO_BYTE, packed, _NO_BYTE))  # around[i + 1] is packed[i], zero off either end
    starts = first * 8 - _TRAILING_RUN[around[first]]
    ends = (last + 1) * 8 + _LEADING_RUN[around[last + 2]]
    keep = ends - starts >= min_length
    return starts[keep], ends[keep]


def _class_expression(flag: int) -> bytes:
    """A regex byte class of the bytes with `flag` (by `CLASSES`), as both regex engines read it."""
    return b"[" + b"".join(b"\\x%02x" % byte for byte in range(256) if CLASSES[byte] & flag) + b"]"


@functools.cache
def _run_pattern(flag: int, min_length: int) -> re.Pattern[bytes]:
    """A regex for the maximal runs of bytes with `flag` at least `min_length` long (a greedy match is one)."""
    return re.compile(_class_expression(flag) + b"{%d,}" % min_length)


@functools.cache
def _presence(flag: int, min_length: int) -> Presence:
    return Presence(_class_expression(flag) + b"{%d}" % min_length)
