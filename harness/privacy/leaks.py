"""Search captured bytes for protected values in every form a tracker might send them.

A `LeakScanner` expands each `Protected` value into its variants (`harness.privacy.variants`, the list the
redactor replaces too: as typed, trimmed, lowercased, card groupings, digests, prefixes a keylogger would send,
each as it stands, in UTF-16-LE, hex, base64 and the escapes) and puts them all in one multi-pattern matcher
(`harness.privacy.matcher`: Hyperscan, or an Aho-Corasick DFA). `scan` peels a payload into layers
(`harness.privacy.decode`) and runs the matcher once over each layer: the cost does not grow with the number of
variants.

Nothing this module returns or prints holds a protected value: `Protected`'s repr shows a keyed fingerprint,
and a `Hit`'s excerpt has every occurrence of every variant replaced by ``⟦fp:…⟧`` markers.

What a single-payload search cannot see (a value sent a key at a time, or cut into pieces sent apart) is
`harness.privacy.fragments`'s.
"""

from __future__ import annotations

import bisect
import hashlib
import hmac
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Final

from harness.privacy.decode import DECOMPRESSORS, TRANSPARENT, decode_layers
from harness.privacy.matcher import Matcher
from harness.privacy.variants import (
    MIN_PREFIX,
    NEIGHBOURS,
    Variant,
    reported_prefix,
    standalone,
    variants,
)

__all__ = ["EXCERPT_RADIUS", "Hit", "LeakScanner", "Protected", "fingerprint"]

EXCERPT_RADIUS: Final = 40
"""Bytes of context kept on each side of a hit."""

SCAN_CACHE_BYTES: Final = 64 << 20
"""Most payload bytes a scanner remembers the hits of: a tracker re-sends the same body (a heartbeat, a retried
batch, a snapshot), and the rules and then the redactor scan every body of a run."""

# Reprs of `Protected` have no run key at hand. A key drawn per process still keeps a PIN's fingerprint from
# being looked up in a table; markers in hits use the run's key instead.
_PROCESS_KEY: Final = os.urandom(32)


def fingerprint(value: str, key: bytes) -> str:
    """A short keyed digest of `value` (HMAC-SHA256, first 12 hex digits) as the marker ``⟦fp:xxxxxxxxxxxx⟧``.

    The key is drawn per run, so a low-entropy value (a 6-digit PIN) cannot be recovered from its marker by
    hashing all candidates.
    """
    if not key:
        raise ValueError("fingerprint key must be non-empty bytes, got an empty key")
    return f"⟦fp:{hmac.new(key, value.encode('utf-8'), hashlib.sha256).hexdigest()[:12]}⟧"


@dataclass(frozen=True)
class Protected:
    """A value that must never leave the page: a secret typed into a form, or a canary planted by a scenario."""

    name: str
    value: str = field(repr=False)
    kind: str = "text"
    """password, email, card, text, name, phone, pin, otp, ssn, iban, ...: `card` adds digit-grouping variants
    (as does any value long enough: `harness.privacy.variants.GROUPED_FROM`)."""

    def __post_init__(self) -> None:
        if not self.value:
            raise ValueError(f"protected value {self.name!r} must be a non-empty string")

    def __repr__(self) -> str:
        return f"<Protected name={self.name!r} kind={self.kind!r} {fingerprint(self.value, _PROCESS_KEY)}>"


def chain_label(chain: tuple[str, ...]) -> str:
    return ">".join(chain) or "raw"


@dataclass(frozen=True)
class Hit:
    """One protected value found in one layer of one payload."""

    name: str
    kind: str
    variant: str
    """How it was sent: ``exact``, ``lowercase``, ``card-spaced``, ``sha256-hex``, ``prefix:5/12``, ``exact/utf16``."""
    chain: tuple[str, ...]
    """Encodings peeled to find it, outermost first; ``()`` for the bytes as captured."""
    offset: int
    """Where the match starts, in the layer that holds it: the one `chain` leads to, or for a value found by
    its hex or base64 form (chain ending in that step), the layer that holds the encoded form."""
    excerpt: bytes = field(repr=False)
    """Up to `EXCERPT_RADIUS` bytes each side, every occurrence of any protected value masked by its marker."""
    prefix: int = 0
    """How many leading characters of the value were sent, for a prefix; 0 when the whole value (in some form)."""

    def __repr__(self) -> str:
        return (
            f"<Hit name={self.name!r} kind={self.kind!r} variant={self.variant!r} "
            f"chain={chain_label(self.chain)!r} offset={self.offset}>"
        )


# --- needles: the variants of `harness.privacy.variants`, as the scanner searches for them ----------------------------


# Byte classes that must not touch a match (a non-ASCII neighbour counts as byte 0x80).
_STANDALONE: Final = {
    name: bytes(1 if chr(byte) in chars else 0 for byte in range(256)) for name, chars in NEIGHBOURS.items()
}
# A prefix must stand as a whole field value: between quotes, after '=' and before '&', on a line of its own.
_VALUE_EDGES: Final = b"\"'`&=:;,<>()[]{}| \t\r\n\0"
_NOT_EDGE: Final = bytes(0 if byte in _VALUE_EDGES else 1 for byte in range(256))


_HitKey = tuple[int, str, tuple[str, ...], bool]


@dataclass(frozen=True)
class _Needle:
    """One byte string in the automaton and what a match of it means."""

    value: int
    """Index of the protected value."""
    variant: str
    rank: int
    """Preference when needles of one value overlap: lower wins (searched before fallback, more exact, longer)."""
    partial: bool
    """A prefix: superseded by any whole-value hit of the same value in the same payload."""
    boundary: bytes | None
    """Byte class that must not touch the match on either side, or None; a short string inside a longer word
    or a PIN inside a longer number is a coincidence, not a leak."""
    width: int
    reported: bool
    """False for prefixes that prove nothing alone (`reported_prefix`): searched only to mask them in excerpts."""
    via: tuple[str, ...] = ()
    """Encoding steps already applied to the searched bytes (``("hex",)``), appended to the layer's chain."""
    fallback: bool = False
    """An escape a decoder reveals (URL, JSON, HTML): reported only where nothing else found the value."""
    prefix: int = 0
    """The length of the prefix it spells, for a prefix; 0 for the whole value."""
    key: _HitKey = field(init=False, repr=False, compare=False)
    """What its hits are counted by, per layer: which value, how spelled, through which steps, found how."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", (self.value, self.variant, self.via, self.fallback))

    @property
    def standing(self) -> tuple[bool, bool]:
        """How a hit of this needle ranks against the value's other hits in one payload (lower wins): a whole
        value before a prefix, and what decoding or searching found before what only a fallback did."""
        return self.partial, self.fallback


def _needles(index: int, protected: Protected, min_prefix: int) -> Iterator[tuple[bytes, _Needle]]:
    """Every variant of one value as (searched bytes, needle): first the ones only searching finds, then the
    fallbacks, each most exact first."""
    found = sorted(
        variants(protected.value, protected.kind, min_prefix), key=lambda variant: not variant.spelling.searched
    )
    seen: set[bytes] = set()
    for rank, variant in enumerate(found, 1):
        data = variant.data
        if data in seen:
            continue  # the first, most exact, names these bytes
        seen.add(data)
        reported = not variant.partial or reported_prefix(protected.value, len(variant.text.text))
        yield data, _Needle(
            index,
            variant.name,
            rank,
            variant.partial,
            _boundary(variant) if reported else None,
            variant.width,
            reported,
            variant.spelling.via,
            fallback=not variant.spelling.searched,
            prefix=len(variant.text.text) if variant.partial else 0,
        )


def _boundary(variant: Variant) -> bytes | None:
    """The byte class that must not touch a match of `variant` for it to count (None: it counts anywhere)."""
    if variant.partial:
        return _NOT_EDGE  # what a keylogger sends is the whole field so far, not the start of other text
    byte_class = standalone(variant.written)
    return None if byte_class is None else _STANDALONE[byte_class]


# --- the scanner --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Masks:
    """The disjoint spans of one layer that hold some protected value in some form, sorted, and what replaces
    each in an excerpt: the markers of the values it holds."""

    starts: list[int]
    ends: list[int]
    markers: list[bytes]

    @classmethod
    def merged(cls, matches: list[tuple[int, int, int]], markers: Sequence[bytes]) -> _Masks:
        """From (start, end, value) matches, overlapping or touching ones merged into one span; `markers` by value."""
        starts: list[int] = []
        ends: list[int] = []
        values: list[set[int]] = []
        last_end = -1
        for start, end, value in sorted(matches):
            if start <= last_end:
                if end > last_end:
                    ends[-1] = last_end = end
                values[-1].add(value)
            else:
                starts.append(start)
                ends.append(end)
                values.append({value})
                last_end = end
        return cls(starts, ends, [
            markers[next(iter(found))] if len(found) == 1 else b"".join(markers[value] for value in sorted(found))
            for found in values
        ])


_NO_MASKS: Final = _Masks([], [], [])


# A byte order mark opens a payload; it is not text the match runs into.
_BOMS: Final = {1: b"\xef\xbb\xbf", 2: b"\xff\xfe"}
_UTF8_BOM_SIZE: Final = len(_BOMS[1])


def _touches(data: bytes, start: int, end: int, width: int, byte_class: bytes) -> bool:
    """Whether a character of `byte_class` sits right before or after data[start:end] (`width` bytes a char)."""
    for at in (start - width, end):
        if at + width == len(_BOMS[width]) and data.startswith(_BOMS[width]):
            continue
        if at >= 0 and at + width <= len(data):
            byte = data[at] if width == 1 or data[at + 1] == 0 else 0x80  # UTF-16: a non-ASCII character
            if byte_class[byte]:
                return True
    return False


_NO_COUNTS: Final[dict[_HitKey, int]] = {}  # read only, never added to


class LeakScanner:
    """Finds protected values in captured payloads, through every layer of encoding `decode_layers` peels."""

    def __init__(
        self, values: Sequence[Protected], key: bytes, min_prefix: int = MIN_PREFIX
    ) -> None:
        if min_prefix < 2:
            raise ValueError(f"min_prefix must be 2 or more, got {min_prefix}")
        self.values = tuple(values)
        self._markers = [fingerprint(protected.value, key).encode("utf-8") for protected in self.values]
        by_bytes: dict[bytes, list[_Needle]] = {}
        for index, protected in enumerate(self.values):
            for encoded, needle in _needles(index, protected, min_prefix):
                bucket = by_bytes.setdefault(encoded, [])
                if not any(other.value == index for other in bucket):  # the first, most exact, names them
                    bucket.append(needle)
        self._patterns = list(by_bytes)
        self._needles = list(by_bytes.values())
        # By pattern, what `_search` asks of a match, read once here rather than at each of thousands of matches:
        # the values it masks, and the needles that may be reported with the class that must not touch them.
        self._masked = [tuple(needle.value for needle in bucket) for bucket in self._needles]
        self._reported = [
            tuple((needle, needle.boundary, needle.width) for needle in bucket if needle.reported)
            for bucket in self._needles
        ]
        self._matcher = Matcher(self._patterns)
        # Hits by payload: scanning is a pure function of the bytes. Keyed by the bytes themselves (hashed once
        # by Python, compared in full on a hit), so that equal keys are equal payloads, never a digest collision.
        self._scanned: dict[bytes, tuple[Hit, ...]] = {}
        self._scanned_bytes = 0

    def __repr__(self) -> str:
        return f"<LeakScanner values={len(self.values)} patterns={len(self._patterns)}>"

    def scan(self, data: bytes) -> list[Hit]:
        """Every protected value in `data`, in any layer, as hits ordered by layer then offset.

        Within a layer, overlapping matches of one value keep the most exact and longest variant. A whole-value
        hit anywhere in the payload drops that value's prefix hits: the keystrokes before it are the same leak.
        Likewise an escape matched as it stands (a fallback: ``+`` for a space outside a form, a URL escape one
        layer deeper than decoding goes) is reported only when no decoded layer showed the value.
        A hit seen again through a step that keeps plain text as it was (JSON, URL, form, HTML, multipart) is
        reported only when that step revealed more occurrences, and one seen again with the same surroundings
        in a sibling layer is reported once.
        """
        data = data if type(data) is bytes else bytes(data)  # a memoryview or bytearray is no dict key
        cached = self._scanned.get(data)
        if cached is None:
            cached = tuple(self._scan(data))
            if self._scanned_bytes + len(data) > SCAN_CACHE_BYTES:
                self._scanned.clear()
                self._scanned_bytes = 0
            self._scanned[data] = cached
            self._scanned_bytes += len(data)
        return list(cached)

    def _scan(self, data: bytes) -> list[Hit]:
        hits: list[tuple[_Needle, Hit]] = []
        counts: list[dict[_HitKey, int]] = []  # by layer: its chosen matches by needle key
        excerpts_seen: dict[tuple[int, str, tuple[str, ...], bytes], int] = {}
        layers = decode_layers(data)
        compressed = {layer.parent for layer in layers if layer.chain[-1:] and layer.chain[-1] in DECOMPRESSORS}
        for index, layer in enumerate(layers):
            chosen, masks = self._search(b"" if index in compressed else layer.data)
            count = _NO_COUNTS  # most layers: nothing found, and nothing to compare a child's hits with
            if chosen:
                count = {}
                for needle, _, _ in chosen:
                    count[needle.key] = count.get(needle.key, 0) + 1
            counts.append(count)
            step = layer.chain[-1:]
            for needle, start, end in chosen:
                # The parent already showed these: through a step that keeps text as it was (JSON, URL, ...),
                # or through a needle already encoded the way this layer was decoded (hex).
                if step:
                    earlier = (() if step[0] in TRANSPARENT else step) + needle.via
                    shown = counts[layer.parent].get((needle.value, needle.variant, earlier, needle.fallback), 0)
                    if shown >= count[needle.key]:
                        continue
                chain = layer.chain + needle.via
                excerpt = self._excerpt(layer.data, start, end, masks)
                if excerpts_seen.setdefault((needle.value, needle.variant, chain, excerpt), index) != index:
                    continue
                protected = self.values[needle.value]
                hit = Hit(protected.name, protected.kind, needle.variant, chain, start, excerpt, needle.prefix)
                hits.append((needle, hit))
        best: dict[int, tuple[bool, bool]] = {}
        for needle, _ in hits:
            best[needle.value] = min(best.get(needle.value, needle.standing), needle.standing)
        return [hit for needle, hit in hits if needle.standing == best[needle.value]]

    def _search(self, data: bytes) -> tuple[list[tuple[_Needle, int, int]], _Masks]:
        """The matches chosen for hits in one layer, and where every match of any needle lies (to mask it)."""
        matches = self._matcher.find(data) if data else []
        if not matches:
            return [], _NO_MASKS
        # By value: (rank, minus length, start, end, needle), so that sorting puts the most exact and longest first.
        candidates: dict[int, list[tuple[int, int, int, int, _Needle]]] = {}
        reported = self._reported
        size = len(data)
        for pattern, start, end in matches:
            for needle, boundary, width in reported[pattern]:
                if boundary is not None:
                    if width == 1 and start > _UTF8_BOM_SIZE:  # most matches: no byte order mark to step over
                        if boundary[data[start - 1]] or (end < size and boundary[data[end]]):
                            continue
                    elif _touches(data, start, end, width, boundary):
                        continue
                candidates.setdefault(needle.value, []).append((needle.rank, start - end, start, end, needle))
        chosen: list[tuple[_Needle, int, int]] = []
        for found in candidates.values():
            found = [match for match in found if not match[4].partial] or found  # prefixes only if nothing else
            found.sort()  # (rank, start) names one match of a value: the needles are never compared
            taken: list[tuple[int, int]] = []
            for _, _, start, end, needle in found:
                if all(end <= other_start or start >= other_end for other_start, other_end in taken):
                    taken.append((start, end))
                    chosen.append((needle, start, end))
        if not chosen:  # the masks only serve the excerpts of hits
            return [], _NO_MASKS
        chosen.sort(key=lambda match: (match[1], match[0].value))  # the matcher reports in no particular order
        masked = self._masked
        spans = [(start, end, value) for pattern, start, end in matches for value in masked[pattern]]
        return chosen, _Masks.merged(spans, self._markers)

    @staticmethod
    def _excerpt(data: bytes, start: int, end: int, masks: _Masks) -> bytes:
        """data around [start, end) with every masked span inside the window replaced by its values' markers."""
        low, high = max(0, start - EXCERPT_RADIUS), min(len(data), end + EXCERPT_RADIUS)
        starts, ends, markers = masks.starts, masks.ends, masks.markers
        first = bisect.bisect_right(ends, low)  # the first span that ends inside the window
        stop = bisect.bisect_left(starts, high, first)  # past the last that starts inside it
        if first == stop:
            return data[low:high]
        # Spans are disjoint and apart: only the first may start before the window, only the last end after it.
        pieces = [data[low : max(starts[first], low)], markers[first]]
        for index in range(first + 1, stop):
            pieces += (data[ends[index - 1] : starts[index]], markers[index])
        pieces.append(data[min(ends[stop - 1], high) : high])
        return b"".join(pieces)
