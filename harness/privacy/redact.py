"""Redaction: every spelling of a protected value replaced by its keyed fingerprint marker.

Used for everything the harness writes or prints (stored traffic, timelines, results, the terminal). The
spellings replaced are the ones the leak scanner searches for, both taken from `harness.privacy.variants`.
Markers:

- ``⟦fp:3f0c…⟧``: the whole value as typed (the marker ``harness.leaks.fingerprint`` gives, the one the
  timeline and the findings use, so a reader can follow one value through every file);
- ``⟦fp:3f0c… url⟧``, ``… json``, ``… html``, ``… base64``, ``… hex``, ``… utf16``: the whole value,
  escaped or encoded;
- ``⟦fp:3f0c… lowercase⟧``, ``… trimmed``, ``… card-spaced``, ``… sha256``: a derived form;
- ``⟦fp:3f0c… prefix 5/12⟧`` (also ``… prefix 5/12 url`` and the like): the first 5 of its 12 characters,
  what a keylogger sends while the visitor types; prefixes of `MIN_PREFIX` characters and more are replaced;
- ``⟦fp:3f0c… keystroke⟧``: a key or two of the value, one of many requests that spell it out together.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeVar, cast
from urllib.parse import unquote_plus

import ahocorasick_rs

from harness.capture.proxy import CapturedRequest, WebSocketFrame
from harness.privacy.decode import DECODERS, decompressed, json_child
from harness.privacy.fragments import find_fragments
from harness.privacy.keys import keystrokes
from harness.privacy.leaks import Hit, LeakScanner, Protected, fingerprint
from harness.privacy.variants import FRAGMENT_CHARS, MIN_PREFIX, NEIGHBOURS, SHORT, standalone, variants

ENCODINGS_SEARCHED: Final = tuple(dict.fromkeys(decoder.name for decoder in DECODERS))
"""The layers the privacy rules peel off every payload (``harness.decode``), for the report."""


# --- redaction ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Pattern:
    marker: str
    apart_from: frozenset[str]
    """The characters that may not touch a short spelling for it to be replaced (none: it is replaced anywhere)."""


def _marker(base: str, label: str) -> str:
    """``⟦fp:xxxx⟧`` with a label before its closing bracket (``⟦fp:xxxx prefix 5/12 url⟧``)."""
    return base if not label else f"{base[:-1]} {label}⟧"


def _patterns(value: str, kind: str, key: bytes) -> Iterator[tuple[str, _Pattern]]:
    """Every spelling of one value (`harness.privacy.variants`) that text can hold, with its marker, most exact
    first. A UTF-16 spelling is text only for a value in ASCII; in any other it makes a body binary, and the
    scanner's check withholds it."""
    base = fingerprint(value, key)
    for variant in variants(value, kind, MIN_PREFIX):
        if variant.width == 1:
            spelled = variant.written
        else:
            try:
                spelled = variant.data.decode("utf-8")
            except UnicodeDecodeError:
                continue
        # Only short spellings must stand alone: a longer one is replaced even where the scanner would call the
        # match a coincidence (a PIN inside a longer number), since hiding too much costs nothing.
        alone = standalone(spelled) if len(spelled) < SHORT else None
        yield spelled, _Pattern(_marker(base, variant.label), frozenset() if alone is None else NEIGHBOURS[alone])


Document = TypeVar("Document")

class Redactor:
    """Replaces every spelling of each protected value by its fingerprint marker, and checks what is left.

    One Aho-Corasick automaton holds every spelling of every value; where matches overlap, the leftmost and
    then the longest wins. :meth:`leaks` then runs the privacy rules' own scanner over the result: what it
    still finds (a value inside base64 inside gzip, say) is withheld rather than stored.
    """

    def __init__(self, values: Iterable[str], key: bytes, kinds: Mapping[str, str] | None = None) -> None:
        kinds = kinds or {}
        values = [value for value in dict.fromkeys(values) if value]
        self._protected = [Protected(str(i), value, kinds.get(value, "text")) for i, value in enumerate(values)]
        self.markers = {value: fingerprint(value, key) for value in values}
        table: dict[str, _Pattern] = {}
        for protected in self._protected:
            for spelled, pattern in _patterns(protected.value, protected.kind, key):
                table.setdefault(spelled, pattern)  # the first, most exact, names it
        self._spellings = list(table)
        self._table = [table[spelled] for spelled in self._spellings]
        self._automaton = ahocorasick_rs.AhoCorasick(self._spellings) if self._spellings else None
        self._scanner = LeakScanner(self._protected, key) if self._protected else None

    def __repr__(self) -> str:
        return f"<Redactor values={len(self._protected)} spellings={len(self._spellings)}>"

    @property
    def protected(self) -> list[Protected]:
        """The values under redaction, as the leak scanner takes them."""
        return list(self._protected)

    def replace(self, text: str) -> str:
        """``text`` with every spelling of every value replaced by its marker (no check of what is left)."""
        if self._automaton is None or not text:
            return text
        matches = sorted(
            self._automaton.find_matches_as_indexes(text, overlapping=True), key=lambda m: (m[1], m[1] - m[2])
        )
        pieces: list[str] = []
        cursor = 0
        for index, start, end in matches:
            pattern = self._table[index]
            if start < cursor:
                continue
            apart = pattern.apart_from
            if (start > 0 and text[start - 1] in apart) or (end < len(text) and text[end] in apart):
                continue
            pieces += [text[cursor:start], pattern.marker]
            cursor = end
        pieces.append(text[cursor:])
        return "".join(pieces)

    def leaks(self, data: bytes) -> list[Hit]:
        """What the privacy rules' scanner still finds in ``data``, through every layer of encoding."""
        return self._scanner.scan(data) if self._scanner is not None and data else []

    def found(self, hits: Iterable[Hit]) -> list[str]:
        """What the hits are, by marker and encoding chain (``⟦fp:3f0c… exact⟧ via gzip → base64``)."""
        return sorted({
            f"{_marker(self.markers[self._protected[int(hit.name)].value], hit.variant)} via "
            f"{' → '.join(hit.chain) or 'plain text'}"
            for hit in hits
        })

    @staticmethod
    def notice(size: int, found: Iterable[str]) -> str:
        """What stands in for content that still holds a protected value: its size and what it held."""
        return f"⟦withheld: {size} bytes holding {', '.join(found)}⟧"

    def text(self, text: str) -> str:
        """``text`` redacted; replaced by a notice when it still holds a value in some encoded form."""
        redacted = self.replace(text)
        hits = self.leaks(redacted.encode("utf-8", "surrogatepass"))
        return self.notice(len(text.encode("utf-8", "surrogatepass")), self.found(hits)) if hits else redacted

    def body(self, body: bytes) -> dict[str, Any]:
        """A request body or WebSocket frame for stored traffic (see the module's docstring for the forms)."""
        if not body:
            return {"text": ""}
        text, decoded = _as_text(body)
        if text is not None:
            redacted = self.replace(text)
            hits = self.leaks(redacted.encode("utf-8", "surrogatepass"))
            if not hits:
                return {"text": redacted, "decoded": decoded, "bytes": len(body)} if decoded else {"text": redacted}
        else:
            hits = self.leaks(body)
            if not hits:
                return {"base64": base64.b64encode(body).decode("ascii")}
        return self.withheld(len(body), self.found(hits))

    def withheld(self, size: int, found: Iterable[str]) -> dict[str, Any]:
        """A stored body that is not kept, with what it held."""
        return {"withheld": self.notice(size, found), "bytes": size}

    def tree(self, node: Document) -> Document:
        """A JSON-able document, of the same shape and type, with every string value redacted (keys are the
        harness's own)."""
        return cast(Document, self._tree(node))

    def _tree(self, node: object) -> object:
        if isinstance(node, str):
            return self.text(node)
        if isinstance(node, dict):
            return {key: self._tree(value) for key, value in node.items()}
        if isinstance(node, (list, tuple)):
            return [self._tree(value) for value in node]
        return node


def _as_text(body: bytes) -> tuple[str | None, str]:
    """The body as text, and the compression it was decoded from ('' when it was text as sent)."""
    try:
        return body.decode("utf-8"), ""
    except UnicodeDecodeError:
        pass
    layer = decompressed(body)
    if layer is not None:
        try:
            return layer.data.decode("utf-8"), layer.chain[0]
        except UnicodeDecodeError:
            return None, ""
    return None, ""


# --- keystrokes spread over many payloads -----------------------------------------------------------------------

PartKey = tuple[str, int, str]  # ("request" | "frame", index, "url" | "body" | "data")


@dataclass(frozen=True)
class Keystrokes:
    """Where one payload carries a few keys or a piece of a protected value, as ``find_fragments`` saw it."""

    source: str  # json, form, payload; pieces (withheld: a piece may sit in a host label or a path)
    group: str  # the JSON key path or form key
    chain: tuple[str, ...]
    marker: str


def keystroke_parts(
    requests: Sequence[CapturedRequest], frames: Sequence[WebSocketFrame], protected: Sequence[Protected], key: bytes
) -> dict[PartKey, Keystrokes]:
    """The URLs, bodies and frames that carry keystrokes of a value spelled out over many payloads."""
    parts: list[tuple[tuple[float, float], PartKey, bytes]] = []
    for i, request in enumerate(requests):
        parts.append((request.sent_order, ("request", i, "url"), request.url.encode("utf-8", "replace")))
        if request.body:
            parts.append((request.sent_order, ("request", i, "body"), request.body))
    for i, frame in enumerate(frames):
        if frame.direction == "sent":
            parts.append((frame.sent_order, ("frame", i, "data"), frame.data))
    parts.sort(key=lambda part: part[0])  # in the order they left the browser, as the rules read them
    found: dict[PartKey, Keystrokes] = {}
    if not protected or not parts:
        return found
    # The rules' reading (keys put back in the order they left), but every cover by pieces however spread: a
    # piece the rules let pass as scattered is still withheld.
    times = [part[0][0] for part in parts]
    for hit in find_fragments([part[2] for part in parts], protected, key, times=times, pieces_window_ms=math.inf):
        marker = _marker(hit.fingerprint, "keystroke")
        for index in hit.payloads:
            found.setdefault(parts[index][1], Keystrokes(hit.source, hit.group, hit.chain, marker))
    return found


def _mask_json(node: Any, path: str, group: str, marker: str) -> Any:
    """``node`` with the short strings at key path ``group`` (as ``find_fragments`` names paths) replaced."""
    if isinstance(node, dict):
        return {k: _mask_json(v, json_child(path, k), group, marker) for k, v in node.items()}
    if isinstance(node, list):
        return [_mask_json(v, json_child(path), group, marker) for v in node]
    if isinstance(node, str | int) and path == group and _is_key(node):
        return marker
    return node


def _is_key(token: str | int) -> bool:
    """Whether a keylogger's token types something in any reading (a key, a `code`, a key or char code)."""
    return any(keystrokes(token, FRAGMENT_CHARS))


def _mask_form(fields: str, group: str, marker: str) -> str:
    out = []
    for field in fields.split("&"):
        key, sep, value = field.partition("=")
        if sep and unquote_plus(key) == group and _is_key(unquote_plus(value)):
            field = f"{key}={marker}"
        out.append(field)
    return "&".join(out)


def mask_keystrokes(data: bytes, keys: Keystrokes) -> bytes | None:
    """``data`` with the keystrokes it carries replaced by the value's marker; None when it must be withheld."""
    if keys.chain or keys.source == "pieces":
        return None  # the keys sit inside an encoded layer, or a piece anywhere: no shape worth keeping
    if keys.source == "payload":
        return keys.marker.encode("utf-8")
    text = data.decode("utf-8", "replace")
    if keys.source == "json":
        try:
            document = json.loads(text)
        except ValueError:
            return None
        return json.dumps(_mask_json(document, "", keys.group, keys.marker), ensure_ascii=False).encode("utf-8")
    head, sep, query = text.partition("?")
    if not sep:
        return _mask_form(text, keys.group, keys.marker).encode("utf-8")
    query, hash_sep, fragment = query.partition("#")
    return f"{head}?{_mask_form(query, keys.group, keys.marker)}{hash_sep}{fragment}".encode()
