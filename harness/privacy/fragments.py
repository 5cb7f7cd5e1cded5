"""Protected values sent a piece at a time: what a single-payload search (`harness.privacy.leaks`) cannot see.

Two ways a tracker spreads a value over what it sends, both found by `find_fragments`:

- **Keystrokes.** A keylogger sends each key as it is typed, one or a few per request or WebSocket frame: as
  text or key names ("a", "Shift", "Backspace"), as `code` values ("KeyA"), as numeric key codes (72) or char
  codes (104) (`harness.privacy.keys`). The keys of one place (a JSON key path, a form key, whole tiny payloads)
  are typed into one stream per reading, across requests, channels and hosts in the order they left, and each
  stream is searched for the values and their prefixes. Backspace removes the key before it.
- **Pieces.** A value cut anywhere into pieces sent apart: a prefix here and a suffix there, to two hosts, in
  the labels of a hostname (``abc.def.tracker.example``), in path segments. Each piece must be a whole string
  of its own (a JSON string, a form value, a host label or a run of labels, a path segment, a tiny payload),
  and the pieces together must cover the value exactly, end to end: a lone short piece is not a finding.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Final, Literal
from urllib.parse import unquote, urlsplit

import ahocorasick_rs
import numpy as np
import numpy.typing as npt

from harness.privacy.decode import TRANSPARENT, decode_layers, json_child, parse_form, parse_query
from harness.privacy.keys import BACKSPACE, KEY_STREAMS, LOSSY_STREAMS, KeyStream, keystrokes, physical
from harness.privacy.leaks import Protected, chain_label, fingerprint
from harness.privacy.variants import FRAGMENT_CHARS, MIN_PREFIX, SHORT, reported_prefix, texts

__all__ = ["MIN_PIECE", "PIECES_WINDOW_MS", "REORDER_MS", "FragmentHit", "FragmentSource", "find_fragments"]

MIN_PIECE: Final = 3
"""Shortest piece of a value counted towards covering it, chosen by false alarms: ``benchmarks/
piece_false_alarms.py`` judged the honest captures of every bundled scenario (our snippet and the well-behaved
tracker of ``tests/test_rules.py``, Chromium and Firefox: 56 runs) at each length. None gave a false alarm even at
1: a cover needs whole strings that lay the value end to end. 3 keeps a margin of two over that and is the
longest that still catches a 6-digit code sent as 3 + 3; `PIECES_WINDOW_MS` guards the short pieces further."""

REORDER_MS: Final = 300.0
"""Keys sent this close together may reach the proxy out of order: a key to a host the browser has no
connection to yet waits for one (the proxy puts it back by when the tunnel was asked for, see
`harness.capture.proxy.sent_at`), and a loaded browser's network thread adds its own delays (Firefox under load:
three keys a handshake apart came as "mi-" for "-mi"). A value whose keys are all there, with no other key among
them, and out of order only between keys sent within this of each other, is spelled. A person types a key every
100 ms or more; 300 ms covers a handshake on a loaded machine."""

PIECES_WINDOW_MS: Final = 5000.0
"""Longest time between the first and the last piece of a value: a tracker that cuts a value sends its pieces
together, while the same short strings scattered over a session (numbers in an honest pixel's query) are not."""

_MAX_PAYLOAD_TOKEN: Final = 64
"""Longest whole payload (in bytes) taken as a string of its own: a key, or a piece of a value."""

FragmentSource = Literal["json", "form", "payload", "host", "path", "pieces"]
"""Where the strings came from: JSON strings or numbers, form or query values, whole tiny payloads, the labels
of a URL's host, the segments of its path; ``pieces`` for a value covered by pieces from any of them."""


@dataclass(frozen=True)
class FragmentHit:
    """A protected value (or its prefix) spelled out by strings spread over several payloads or places."""

    name: str
    kind: str
    variant: str
    """The form spelled (``exact``, ``lowercase``, ``prefix:n/m``, ...), then how: ``as keyCode, case-insensitive``
    (what physical keys spell: case and shift lost), ``as code, case-insensitive``, ``as charCode``, or
    ``in 2 pieces``; a key name or typed text adds nothing."""
    group: str
    """Keystrokes: the JSON key path (``k``, ``events[].key``) or form key they sat at, ``""`` for tiny payloads.
    Pieces: where each sat, joined by ``+`` (``host+host``, ``json:a+form:b``)."""
    source: FragmentSource
    payloads: tuple[int, ...]
    """Indices, in the sequence given, of the payloads whose strings spell the match."""
    chain: tuple[str, ...]
    fingerprint: str
    prefix: int = 0
    """How many leading characters of the value the keys spell, for a prefix; 0 when the whole value."""
    reported: bool = True
    """False for a prefix that proves nothing alone (`reported_prefix`): found only to mask it in evidence."""

    def __repr__(self) -> str:
        return (
            f"<FragmentHit name={self.name!r} kind={self.kind!r} variant={self.variant!r} group={self.group!r} "
            f"source={self.source!r} payloads={list(self.payloads)} chain={chain_label(self.chain)!r} "
            f"{self.fingerprint}>"
        )


# --- the strings a payload carries --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    """One string (or JSON number) of one layer of one payload, and where it sat."""

    payload: int
    source: FragmentSource
    group: str
    chain: tuple[str, ...]
    value: str | int

    @property
    def place(self) -> str:
        return f"{self.source}:{self.group}" if self.group else self.source


def _json_tokens(node: object, path: str) -> Iterator[tuple[str, str | int]]:
    """(key path, string or integer) for each string and integer in a parsed JSON document, in document order."""
    if isinstance(node, dict):
        for key, child in node.items():
            yield from _json_tokens(child, json_child(path, key))
    elif isinstance(node, list):
        for child in node:
            yield from _json_tokens(child, json_child(path))
    elif isinstance(node, str):
        yield path, _well_formed(node)
    elif isinstance(node, int) and not isinstance(node, bool):
        yield path, node


def _well_formed(text: str) -> str:
    """`text` with any lone surrogate (a JSON ``\\ud83d`` escape without its pair) replaced by ``?``: it has
    no UTF-8, and the searches read UTF-8."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text


def _url_tokens(data: bytes) -> Iterator[tuple[FragmentSource, str, str]]:
    """The host's labels (and every run of them) and the path's segments of a URL."""
    try:
        parts = urlsplit(data.decode("utf-8"))
    except ValueError:
        return
    labels = (parts.hostname or "").split(".")
    for first in range(len(labels)):
        for last in range(first + 1, len(labels) + 1):
            yield "host", "", ".".join(labels[first:last])
    for segment in parts.path.split("/"):
        if segment:
            yield "path", "", unquote(segment)


def _tokens(data: bytes, whole: bool) -> Iterator[tuple[FragmentSource, str, str | int]]:
    """(source, group, string) for the strings one layer carries; `whole` when the layer is a whole payload
    (as sent, or decompressed), not strings pulled out of one."""
    stripped = data.strip()
    if stripped[:1] in (b"{", b"[", b'"'):
        try:
            document = json.loads(stripped)
        except ValueError:
            pass
        else:
            for path, token in _json_tokens(document, ""):
                yield "json", path, token
            return
    if whole and data[:8].lower().startswith((b"https://", b"http://")):
        yield from _url_tokens(data)
    pairs = parse_form(data)
    if pairs is None:
        pairs = parse_query(data)
    if pairs is not None:
        for key, value in pairs:
            yield "form", key.decode("utf-8", "replace"), value.decode("utf-8", "replace")
    elif whole and len(data) <= _MAX_PAYLOAD_TOKEN:
        text = data.decode("utf-8", "replace")
        if text and "\ufffd" not in text:  # a key or a piece, not a byte of something binary
            yield "payload", "", text


def _payload_tokens(payloads: Sequence[bytes]) -> Iterator[_Token]:
    for index, payload in enumerate(payloads):
        for layer in decode_layers(payload):
            whole = not layer.chain or layer.chain[-1] not in TRANSPARENT
            for source, group, value in _tokens(layer.data, whole):
                yield _Token(index, source, group, layer.chain, value)


def find_fragments(
    payloads: Sequence[bytes],
    values: Sequence[Protected],
    key: bytes,
    min_prefix: int = MIN_PREFIX,
    min_piece: int = MIN_PIECE,
    times: Sequence[float] | None = None,
    pieces_window_ms: float = PIECES_WINDOW_MS,
) -> list[FragmentHit]:
    """Protected values typed out a key or a few per payload, or cut into pieces sent apart, over `payloads`
    (in the order they were sent, at `times` in milliseconds when known): keystroke hits per place and reading
    (whole values, or else the longest prefix of at least `min_prefix` characters of a value of `SHORT` or
    more, marked `reported` as `reported_prefix` says; with `times`, payloads of keys sent within `REORDER_MS`
    of each other may be out of order), then values covered end to end by pieces of at least `min_piece`
    characters, all sent within `pieces_window_ms`, that the keystrokes did not already spell."""
    tokens = list(_payload_tokens(payloads))
    markers = {protected.name: fingerprint(protected.value, key) for protected in values}
    known = None if times is None else list(times)
    hits = _keystroke_hits(tokens, values, markers, min_prefix, known)
    pieces = _piece_hits(tokens, values, markers, min_piece, known or [0.0] * len(payloads), pieces_window_ms)
    return hits + [hit for hit in pieces if not _typed_out(hit, hits)]


def _typed_out(pieces: FragmentHit, keystrokes: list[FragmentHit]) -> bool:
    """Whether keys of a few characters each, already reported whole, are all the pieces of `pieces`."""
    return any(
        hit.name == pieces.name and not hit.prefix and set(pieces.payloads) <= set(hit.payloads)
        and all(place == f"{hit.source}:{hit.group}" for place in pieces.group.split("+"))
        for hit in keystrokes
    )


# --- keystrokes ---------------------------------------------------------------------------------------------


_StreamKey = tuple[FragmentSource, tuple[str, ...], str, KeyStream]


def _typed(tokens: list[_Token]) -> dict[_StreamKey, list[tuple[int, str]]]:
    """Each place's keys typed into one stream per reading: (payload, character) per character left standing."""
    streams: defaultdict[_StreamKey, list[tuple[int, str]]] = defaultdict(list)
    numbers = Counter((token.payload, token.source, token.chain, token.group) for token in tokens
                      if isinstance(token.value, int))
    for token in tokens:
        if token.source in ("host", "path"):
            continue
        if isinstance(token.value, int) and numbers[(token.payload, token.source, token.chain, token.group)] > (
            FRAGMENT_CHARS
        ):
            continue  # a key or a few per payload: many numbers at one place (node ids, a path's points) are data
        for stream, text in keystrokes(token.value, FRAGMENT_CHARS):
            typed = streams[(token.source, token.chain, token.group, stream)]
            if text == BACKSPACE:
                if typed:
                    typed.pop()
            else:
                typed.extend((token.payload, char) for char in text)
    return streams


_READING: Final = {stream: order for order, stream in enumerate(KEY_STREAMS)}
"""Readings in order of preference, where two spell the same value (a digit's keyCode is its charCode)."""


def _how(stream: KeyStream) -> str:
    if stream in LOSSY_STREAMS:
        return f" as {stream}, case-insensitive"
    return " as charCode" if stream == "charCode" else ""


def _keystroke_hits(
    tokens: list[_Token], values: Sequence[Protected], markers: dict[str, str], min_prefix: int,
    times: list[float] | None,
) -> list[FragmentHit]:
    """Keystroke hits per place and reading; keys put back in order within `REORDER_MS` when `times` are known."""
    streams = _typed(tokens)
    if not streams or not values:
        return []
    # Keys are typed as they stand: the texts a value turns into, not their digests or escapes. Streams that
    # name physical keys only are searched for the keys that type each text.
    automata = {}
    wholes: dict[bool, list[tuple[int, str, int, str]]] = {}  # (value, form, rank, text) of each whole form
    for lossy in (False, True):
        patterns: dict[str, list[tuple[int, str, int, bool]]] = {}  # text -> (value, form, rank, partial)
        wholes[lossy] = []
        for index, protected in enumerate(values):
            forms = [
                form for form in texts(protected.value, protected.kind, min_prefix)
                if form.role == "whole" or (form.role == "prefix" and len(protected.value) >= SHORT)
            ]
            for rank, form in enumerate(forms):
                text = physical(form.text) if lossy else form.text
                bucket = patterns.setdefault(text, [])
                if not any(entry[0] == index for entry in bucket):
                    bucket.append((index, form.name, rank, form.role == "prefix"))
                if form.role == "whole":
                    wholes[lossy].append((index, form.name, rank, text))
        automata[lossy] = (list(patterns), list(patterns.values()), ahocorasick_rs.AhoCorasick(list(patterns)))

    # Per place and value, the hits of each reading: one reading's whole matches, or else the longest prefix.
    readings: defaultdict[tuple[FragmentSource, tuple[str, ...], str, int], list[FragmentHit]] = defaultdict(list)
    for (source, chain, group, stream), typed in sorted(streams.items(), key=lambda item: _READING[item[0][3]]):
        _, entries, automaton = automata[stream in LOSSY_STREAMS]
        joined = "".join(char for _, char in typed)
        found: defaultdict[int, list[tuple[int, str, bool, int, int]]] = defaultdict(list)
        for pattern, start, end in automaton.find_matches_as_indexes(joined, overlapping=True):
            for value, label, rank, partial in entries[pattern]:
                found[value].append((rank, label, partial, start, end))
        if times is not None:
            spelled_whole = {value for value, matches in found.items() if any(not match[2] for match in matches)}
            unspelled = [entry for entry in wholes[stream in LOSSY_STREAMS] if entry[0] not in spelled_whole]
            for (value, label, rank, text), start in _reordered(joined, typed, times, unspelled):
                found[value].append((rank, label, False, start, start + len(text)))
        for value, matches in found.items():
            earlier = readings[(source, chain, group, value)]
            whole = sorted(match for match in matches if not match[2])
            if earlier and not earlier[0].prefix:
                continue  # an earlier reading spelled the whole value: the most natural one names it
            if earlier and not whole and max(match[4] - match[3] for match in matches) <= earlier[0].prefix:
                continue
            best = whole or sorted(matches, key=lambda match: match[3] - match[4])[:1]
            taken: list[tuple[int, int]] = []
            spelled: list[FragmentHit] = []
            for _rank, label, partial, start, end in best:
                if any(start < other_end and end > other_start for other_start, other_end in taken):
                    continue
                taken.append((start, end))
                carriers = tuple(sorted({payload for payload, _ in typed[start:end]}))
                protected = values[value]
                spelled.append(FragmentHit(
                    protected.name, protected.kind, label + _how(stream), group, source, carriers, chain,
                    markers[protected.name], end - start if partial else 0,
                    not partial or reported_prefix(protected.value, end - start),
                ))
            earlier[:] = spelled
    return [hit for spelled in readings.values() for hit in spelled]


def _reordered(
    joined: str, typed: list[tuple[int, str]], times: list[float], wholes: list[tuple[int, str, int, str]]
) -> Iterator[tuple[tuple[int, str, int, str], int]]:
    """(whole form, start) where `len(text)` keys in a row of `joined` (the characters of `typed`, each with the
    payload it came in, sent at `times`) spell a form's text once payloads sent within `REORDER_MS` of each
    other are put in order: the same keys, no other among them.

    Windows holding the same characters are found by their sums of character codes and of their squares (two
    array steps per form over the whole stream), then checked exactly (`_in_order_within`): a Python step per
    position and form took seconds on a long session's stream of coordinates."""
    wholes = [entry for entry in wholes if len(entry[3]) <= len(joined)]
    if not wholes:
        return
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    sums = np.concatenate(([0], np.cumsum(codes)))
    squares = np.concatenate(([0], np.cumsum(codes * codes)))
    windows: dict[int, tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]] = {}
    carriers = [payload for payload, _ in typed]
    for entry in wholes:
        text = entry[3]
        length = len(text)
        if length not in windows:
            windows[length] = (sums[length:] - sums[:-length], squares[length:] - squares[:-length])
        window_sums, window_squares = windows[length]
        wanted = [ord(char) for char in text]
        same = (window_sums == sum(wanted)) & (window_squares == sum(code * code for code in wanted))
        for start in np.flatnonzero(same).tolist():
            end = start + length
            if Counter(joined[start:end]) != Counter(text):
                continue
            cut = (start > 0 and carriers[start - 1] == carriers[start],
                   end < len(carriers) and carriers[end] == carriers[end - 1])
            if _in_order_within(joined[start:end], carriers[start:end], times, text, cut):
                yield entry, start


_MAX_ORDERINGS: Final = 10_000
"""Orderings `_in_order_within` tries at most for one window (equal payloads sent together can multiply them)."""


def _in_order_within(
    keys: str, carriers: list[int], times: list[float], text: str, cut: tuple[bool, bool]
) -> bool:
    """Whether `keys` (each from the payload `carriers` names, sent at `times`, in the order sent) spell `text`
    with whole payloads moved among payloads sent within `REORDER_MS` of each other. A payload's own keys stay
    together and in their order: what the wire reorders is requests and frames, not the keys inside one. A
    payload that the window cuts (`cut`: at its start, at its end) stays at that edge."""
    blocks: list[tuple[str, float]] = []  # each payload's keys in the window, and when it was sent
    first_key = 0
    for index in range(1, len(keys) + 1):
        if index == len(keys) or carriers[index] != carriers[first_key]:
            blocks.append((keys[first_key:index], times[carriers[first_key]]))
            first_key = index
    last = len(blocks) - 1
    tried = 0
    failed: set[int] = set()  # orderings (as sets of blocks taken) known not to lead to `text`

    def spell(at: int, taken: int) -> bool:
        nonlocal tried
        if at == len(text):
            return True
        if taken in failed or tried >= _MAX_ORDERINGS:
            return False
        tried += 1
        earliest = next(block for block in range(len(blocks)) if not taken >> block & 1)
        for block in range(earliest, len(blocks)):
            if blocks[block][1] - blocks[earliest][1] > REORDER_MS:
                break  # sent too long after a payload still waiting: it cannot have overtaken it
            if taken >> block & 1 or (cut[0] and block != 0 and not taken & 1):
                continue
            if cut[1] and block == last and taken | 1 << last != (1 << len(blocks)) - 1:
                continue
            piece = blocks[block][0]
            if text.startswith(piece, at) and spell(at + len(piece), taken | 1 << block):
                return True
        failed.add(taken)
        return False

    return spell(0, 0)


# --- pieces -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Piece:
    """Where a string sits in one form of one value: value[start:end]."""

    value: int
    form: int
    start: int
    end: int


def _piece_table(values: Sequence[Protected], min_piece: int) -> dict[str, list[_Piece]]:
    """Every part of every whole form of every value, at least `min_piece` long and shorter than the form."""
    table: defaultdict[str, list[_Piece]] = defaultdict(list)
    for index, protected in enumerate(values):
        seen: set[str] = set()
        for rank, form in enumerate(form for form in texts(protected.value, protected.kind) if form.role == "whole"):
            if form.text in seen:
                continue
            seen.add(form.text)
            text = form.text
            for start in range(len(text)):
                for end in range(start + min_piece, len(text) + 1):
                    if end - start < len(text):
                        table[text[start:end]].append(_Piece(index, rank, start, end))
    return table


def _cover(length: int, pieces: list[tuple[_Piece, int]]) -> list[int] | None:
    """Tokens whose pieces lay `length` characters end to end, from the start, each token used once; or None."""
    starting: defaultdict[int, list[tuple[int, int]]] = defaultdict(list)
    for piece, token in pieces:
        starting[piece.start].append((piece.end, token))
    paths: dict[int, list[int]] = {0: []}
    for at in range(length):
        path = paths.get(at)
        if path is None:
            continue
        for end, token in starting[at]:
            if end not in paths and token not in path:
                paths[end] = [*path, token]
    return paths.get(length)


def _piece_hits(
    tokens: list[_Token], values: Sequence[Protected], markers: dict[str, str], min_piece: int, times: list[float],
    window_ms: float,
) -> list[FragmentHit]:
    table = _piece_table(values, min_piece)
    if not table:
        return []
    # One token per string per payload: the same string seen again through a transparent layer is no new piece.
    unique: dict[tuple[int, str], _Token] = {}
    for token in tokens:
        if isinstance(token.value, str) and token.value in table:
            unique.setdefault((token.payload, token.value), token)
    carried = list(unique.values())
    found: defaultdict[tuple[int, int], list[tuple[_Piece, int]]] = defaultdict(list)
    for number, token in enumerate(carried):
        for piece in table[str(token.value)]:
            found[(piece.value, piece.form)].append((piece, number))
    hits: list[FragmentHit] = []
    for index, protected in enumerate(values):
        forms = [form for form in texts(protected.value, protected.kind) if form.role == "whole"]
        for rank, form in enumerate(forms):
            path = _cover_in_window(len(form.text), found.get((index, rank), []), carried, times, window_ms)
            if path is None:
                continue
            used = [carried[number] for number in path]
            last = max(used, key=lambda token: token.payload)
            hits.append(FragmentHit(
                protected.name, protected.kind, f"{form.name} in {len(used)} pieces",
                "+".join(token.place for token in used), "pieces",
                tuple(sorted({token.payload for token in used})), last.chain, markers[protected.name],
            ))
            break  # the most exact form covered names the leak
    return hits


def _cover_in_window(
    length: int, pieces: list[tuple[_Piece, int]], carried: list[_Token], times: list[float], window_ms: float
) -> list[int] | None:
    """A cover (`_cover`) by pieces all sent within `window_ms` of the first of them; or None."""
    sent = sorted(pieces, key=lambda match: times[carried[match[1]].payload])
    for first, (_, number) in enumerate(sent):
        start = times[carried[number].payload]
        window = [match for match in sent[first:] if times[carried[match[1]].payload] - start <= window_ms]
        path = _cover(length, window)
        if path is not None:
            return path
    return None
