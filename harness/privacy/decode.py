"""Peel encodings off captured bytes, so that a value hidden in them can be searched for.

`decode_layers` turns one captured body (or URL, or frame) into a list of `Layer`s: the raw bytes first, then
every distinct result of applying the decoders in `DECODERS` to it, and to those results, until no decoder
finds anything new: there is no depth limit, only a limit on work. Each layer's `chain` names the steps that
produced it, outermost first: a gzip'd JSON body whose strings carry base64 is peeled into ``("gzip",)`` and
then ``("gzip", "base64")``.

A compressed stream need not start its layer: one with a magic number (gzip, zstd, zlib) is found anywhere in
a binary body (``embedded``); one without (raw deflate, brotli) where a framing says a payload starts: a line
or an item of binary NDJSON and Sentry envelopes (``lines``), a length-prefixed or protobuf record
(``length-prefixed``), a multipart part, a base64 run at any of its four alignments.

Decoders that find things inside larger text (base64, hex, lz-string, JSON escapes, percent-escapes, entities)
emit one layer for all they found, the pieces joined by newlines, rather than one layer per piece: a tracker
batch holds hundreds of candidate runs, and a layer each would cost more than the search itself. (Base64 and
hex emit two: the pieces that decoded to text apart from the binary ones, so that JSON, URL and HTML decoding,
which read text only, still apply.) Text that needs no decoding is not copied into a new layer: it is searched
where it stands.

Every decoder is cheap to reject input it does not apply to (a magic number, a byte class, one regex search),
and the work is bounded: each decoder's output is capped at `MAX_OUTPUT`, all layers of one call at a work
budget, a layer identical to one already produced is dropped, and a base64 or lz-string run is decoded once per
call even when several layers contain it. Runs of base64, hex and printable bytes come from `byteruns` (a C scan
that looks at one byte in sixteen where it can, or array work without a compiler), so their cost does not depend
on how many short words the text has, and magic numbers are found in one pass of the `Matcher`. A payload is
decoded once: `decode_layers` keeps its answers for the other readers of the same payload (`_LayerCache`).
"""

from __future__ import annotations

import binascii
import codecs
import html
import importlib
import json
import re
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Final, Literal
from urllib.parse import unquote_to_bytes

import brotli
import pybase64
import zstandard

from harness.privacy.byteruns import BASE64, HEX, LOWER, PRINTABLE, UPPER, is_text, runs
from harness.privacy.matcher import Matcher

__all__ = [
    "ALIGN_ALL_BELOW",
    "DECODERS",
    "DECOMPRESSORS",
    "LAYER_CACHE_BYTES",
    "MAX_OUTPUT",
    "MIN_HEX_RUN",
    "MIN_RUN",
    "TRANSPARENT",
    "Decoder",
    "Layer",
    "decode_layers",
    "decompressed",
    "forget_decoded",
    "json_child",
    "parse_form",
    "parse_query",
]

MIN_RUN: Final = 16
"""Shortest run of base64 characters worth decoding; shorter ones are mostly words and identifiers."""

MIN_HEX_RUN: Final = 40
"""Shortest run of hex digits worth decoding. Shorter runs are nearly all IDs (span, trace, session): the leak
scanner finds a value hex-encoded in them by searching for its hex form instead, at any length."""

ALIGN_ALL_BELOW: Final = 4096
"""Unpadded base64 runs are decoded at all four alignments (text glued to the front shifts them). Of a run this
long or longer (a blob) the three misaligned decodings keep only their text and compressed streams, what base64
glued to the end of the blob can hold: whole, they would triple the bytes to search."""

MAX_OUTPUT: Final = 64 << 20
"""Most bytes one decoder may produce from one layer: a decompression bomb stops here."""

_MAX_LAYERS: Final = 512
_MAX_JSON_NESTING: Final = 4  # JSON stringified inside JSON, unescaped within one "json" step



@dataclass(frozen=True)
class Layer:
    """One view of a captured payload: the raw bytes (``chain == ()``) or what a chain of decoders made of them."""

    chain: tuple[str, ...]
    data: bytes = field(repr=False)
    parent: int = field(default=-1, compare=False)
    """Index, in the list `decode_layers` returned, of the layer this one was decoded from (-1 for the raw input)."""

    def __repr__(self) -> str:
        # The bytes may hold the very secrets the caller is looking for: show their size only.
        return f"<Layer chain={'>'.join(self.chain) or 'raw'!r} {len(self.data)} bytes>"


# --- text and binary ------------------------------------------------------------------------------------------


def _as_text(data: bytes) -> str | None:
    """`data` as UTF-8 text, or None for binary: invalid UTF-8, or a NUL byte."""
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


_is_text: Final = is_text  # by `_as_text`'s measure, without decoding the text


def _text_and_binary(view: _View, pieces: list[bytes]) -> list[bytes]:
    """Decoded pieces joined into at most two layers, the text ones apart from the binary ones (noise among
    them): the decoders that read text (JSON, URL, HTML) skip a layer with anything binary in it."""
    text: list[bytes] = []
    binary: list[bytes] = []
    for piece in pieces:
        (text if _is_text(piece) else binary).append(piece)
    return [view.joined(group) for group in (text, binary) if group]


class _View:
    """One layer's bytes, with the facts several decoders ask about computed once."""

    def __init__(self, data: bytes, decoded_runs: set[tuple[str, bytes]]) -> None:
        self.data = data
        self.is_text = _is_text(data)
        """Whether the bytes are UTF-8 text (no NUL): the decoders to try depend on it."""
        self._decoded_runs = decoded_runs
        self._joins: list[bytes] = []  # the outputs `joined` made of several pieces
        # Computed when first asked (not by functools.cached_property, whose lock costs more than most decoders).
        self._base64_runs: list[bytes] | None = None

    def joined(self, pieces: list[bytes]) -> bytes:
        """Decoded pieces joined by newlines into one layer (`made_of_pieces` knows it by its bytes)."""
        out = b"\n".join(pieces)
        if len(pieces) > 1:
            self._joins.append(out)
        return out

    def made_of_pieces(self, out: bytes) -> bool:
        """Whether `out`, an output of a decoder of this layer, joins several decoded pieces: then no stream or
        framing that must fill its layer exactly can be found in it (the pieces were decoded apart)."""
        return out in self._joins  # (bytes equal to a join are that join, wherever they came from)

    @property
    def base64_runs(self) -> list[bytes]:
        """The runs of base64 characters (either alphabet) at least `MIN_RUN` long that mix upper and lower
        case, with their ``=`` padding.

        Base64 of almost anything mixes cases, while the long runs of ordinary text (URL paths, hex IDs,
        snake_case names) do not.
        """
        if self._base64_runs is None:
            data = self.data
            found = []
            for start, end in runs(data, BASE64, MIN_RUN, need=UPPER | LOWER):
                padding = data[end : end + 2]  # base64 padding belongs to its run: it fixes the alignment
                found.append(data[start:end] + (b"==" if padding == b"==" else b"=" if padding[:1] == b"=" else b""))
            self._base64_runs = found
        return self._base64_runs

    def fresh(self, decoder: str, pieces: list[bytes]) -> list[bytes]:
        """The runs (or literals) this decoder has not decoded yet in this `decode_layers` call: an outer layer
        holding the same ones has had them decoded already."""
        new = []
        for piece in pieces:
            if (decoder, piece) not in self._decoded_runs:
                self._decoded_runs.add((decoder, piece))
                new.append(piece)
        return new


# --- whole-payload decoders: compression formats ---------------------------------------------------------------


_MIN_TRUNCATED: Final = 64
"""Fewest bytes a stream cut short by the end of the data must have taken and produced to count: noise after a
header often inflates a few bytes before the data runs out, never this many."""


def _inflate(data: bytes | memoryview, wbits: int) -> tuple[bytes, int] | None:
    """zlib's inflate of the stream that starts `data`: (what it produced, how many bytes of `data` it took),
    or None when no stream starts there. A stream cut short by the end of the data (a truncated capture, a
    base64 run decoded without its last bytes) gives what it held."""
    inflater = zlib.decompressobj(wbits)
    try:
        out = inflater.decompress(data, MAX_OUTPUT)
    except zlib.error:
        return None
    if inflater.eof:
        return (out, len(data) - len(inflater.unused_data)) if out else None
    if len(out) >= MAX_OUTPUT:  # (a stream that fills the cap is a stream: noise never decodes that far)
        return out, len(data) - len(inflater.unconsumed_tail)
    return (out, len(data)) if len(data) >= _MIN_TRUNCATED and len(out) >= _MIN_TRUNCATED else None


def _whole_stream(data: bytes, wbits: int) -> list[bytes]:
    """What the stream that fills `data` (to its end, or cut short by it) inflates to: nothing if it stops
    early, since with no magic number to rely on only a stream that takes every byte is evidence enough."""
    inflated = _inflate(data, wbits)
    return [inflated[0]] if inflated and (inflated[1] == len(data) or len(inflated[0]) >= MAX_OUTPUT) else []


def _fastest_inflate() -> ModuleType:
    """ISA-L's zlib-compatible module when installed (it inflates about three times as fast), else zlib."""
    try:
        return importlib.import_module("isal.isal_zlib")
    except ImportError:
        return zlib


# gzip'd batches are where a scan spends most of its time. Only gzip uses ISA-L: its magic number is strong
# evidence, while raw deflate and zlib need zlib's strictness to tell a stream from noise.
_GZIP_INFLATE: Final = _fastest_inflate()


def _gzip(view: _View) -> list[bytes]:
    data = view.data
    parts: list[bytes] = []
    size = 0
    while data[:3] == b"\x1f\x8b\x08" and size < MAX_OUTPUT:  # a gzip file may hold several members
        inflater = _GZIP_INFLATE.decompressobj(31)
        try:
            out = inflater.decompress(data, MAX_OUTPUT - size)
        except _GZIP_INFLATE.error:
            break
        parts.append(out)
        size += len(out)
        if not inflater.eof:
            break  # a truncated capture: keep what was there
        data = inflater.unused_data
    return [b"".join(parts)]


def _zlib(view: _View) -> list[bytes]:
    header = view.data[:2]
    if len(header) < 2 or header[0] & 0x0F != 8 or header[0] >> 4 > 7 or int.from_bytes(header, "big") % 31:
        return []
    return _whole_stream(view.data, 15)  # a 2-byte header is weak evidence (and a stream mid-body: `_embedded`)


def _may_start_deflate(data: bytes) -> bool:
    """Whether raw deflate can start `data`, by what its first block's header says without inflating: block
    type 3 does not exist, and a stored block's length is followed by its ones' complement."""
    block_type = data[0] >> 1 & 0b11 if len(data) > 1 else 3
    return block_type in (1, 2) or (block_type == 0 and len(data) >= 5 and data[1] ^ data[3] == data[2] ^ data[4] == 0xFF)


def _deflate(view: _View) -> list[bytes]:
    # Raw deflate (CompressionStream("deflate-raw")) has no header at all; only a stream that decodes cleanly
    # to its very last byte counts. Most other input fails within a few bytes ("invalid distance too far back").
    return _whole_stream(view.data, -15) if _may_start_deflate(view.data) else []


def _zstd(view: _View) -> list[bytes]:
    if view.data[:4] != b"\x28\xb5\x2f\xfd":
        return []
    parts: list[bytes] = []
    for across_frames in (True, False):  # bytes after the last frame spoil reading across frames: then read one
        reader = zstandard.ZstdDecompressor().stream_reader(view.data, read_across_frames=across_frames)
        size = 0
        try:
            while size < MAX_OUTPUT and (chunk := reader.read(min(1 << 20, MAX_OUTPUT - size))):
                parts.append(chunk)
                size += len(chunk)
        except zstandard.ZstdError:
            pass  # keep what decoded before the damage
        if parts:
            break
    return [b"".join(parts)]


# Brotli expands runs up to about 660,000 times and its binding cannot cap one call's output, so the input goes
# in slices small enough that one slice of a bomb stays under the cap's order of magnitude.
_BROTLI_SLICE: Final = 64


def _brotli_rejects(first: int) -> bool:
    try:
        brotli.Decompressor().process(bytes((first,)))
    except brotli.error:
        return True
    return False


# First bytes no brotli stream starts with (a window size or meta-block header brotli rejects): about a third.
_NOT_BROTLI: Final = frozenset(first for first in range(256) if _brotli_rejects(first))


def _unbrotli(data: bytes) -> bytes | None:
    """The brotli stream that fills `data`, decoded; None if it is not one. No magic number: the stream must
    decode without error and finish exactly at the end of the data."""
    if len(data) < 2 or data[0] in _NOT_BROTLI:
        return None
    decompressor = brotli.Decompressor()
    parts: list[bytes] = []
    size = 0
    try:
        for start in range(0, len(data), _BROTLI_SLICE):
            chunk = decompressor.process(data[start : start + _BROTLI_SLICE])
            parts.append(chunk)
            size += len(chunk)
            if size >= MAX_OUTPUT:
                return b"".join(parts)[:MAX_OUTPUT]
    except brotli.error:
        return None
    return b"".join(parts) if decompressor.is_finished() else None


def _brotli(view: _View) -> list[bytes]:
    out = _unbrotli(view.data)
    return [out] if out else []


# Where a stream may start anywhere in a body: gzip, zstd, and zlib with a 32 KiB window, no preset dictionary
# and a valid header check (the four second bytes zlib writes).
_STREAM_MAGIC: Final = (b"\x1f\x8b\x08", b"\x28\xb5\x2f\xfd", b"\x78\x01", b"\x78\x5e", b"\x78\x9c", b"\x78\xda")
_MAX_STREAMS: Final = 16


# Every magic number in one pass of Hyperscan's vector search (Aho-Corasick without it): binary bodies are where
# chance first bytes abound, and a pass over them costs a tenth of array work on their byte classes.
_MAGIC_MATCHER: Final = Matcher(_STREAM_MAGIC)


def _magic_positions(data: bytes) -> list[int]:
    """Every position in `data` where a magic number of `_STREAM_MAGIC` starts, in order."""
    if len(data) >= 1024:
        return sorted(start for _, start, _ in _MAGIC_MATCHER.find(data))
    found = []  # a few finds cost less than a call into the matcher on a decoded field or a framed item
    for magic in _STREAM_MAGIC:
        start = data.find(magic)
        while start >= 0:
            found.append(start)
            start = data.find(magic, start + 1)
    return sorted(found)


def _streams(data: bytes) -> list[bytes]:
    """The compressed streams with a magic number anywhere in `data`, each cut out from its first byte to its
    last, for the decoder of its format to decode at the start of a layer of its own.

    A zlib or gzip stream is inflated here to find where it ends (so that the next stream after it is found
    too, as in a Sentry envelope with several compressed items) and to drop the two-byte zlib magic's many
    chance matches in binary data; a zstd stream's four-byte magic is evidence enough and runs to the end.
    """
    found: list[bytes] = []
    covered = 0
    whole = memoryview(data)
    for start in _magic_positions(data):
        if start < covered:
            continue
        if data[start] == 0x28:
            end = len(data)
        else:
            if data[start] == 0x1F and data[start + 3 : start + 4] not in _GZIP_FLAGS:
                continue
            inflated = _inflate(whole[start:], 15 if data[start] == 0x78 else 31)
            if inflated is None:
                continue
            end = start + inflated[1]
        found.append(data[start:end])
        covered = end
        if len(found) >= _MAX_STREAMS:
            break
    return found


_GZIP_FLAGS: Final = frozenset(bytes((flags,)) for flags in range(32))  # the top three bits are reserved


def _embedded(view: _View) -> list[bytes]:
    """Compressed streams inside a larger body (a Sentry envelope's item after its JSON header lines)."""
    return _streams(view.data)


def _with_compressed(joined: list[bytes], pieces: list[bytes]) -> list[bytes]:
    """The joined layers plus each piece that starts like a compressed stream (joined, it would not decode)."""
    return joined + [piece for piece in pieces if piece.startswith(_STREAM_MAGIC)][:16]


# --- framings: lines, length-prefixed records -------------------------------------------------------------------

_MAX_PARTS: Final = 32
_MAX_RECORDS: Final = 4096


def _parts(parts: list[bytes]) -> list[bytes]:
    """Framed payloads as layers: the text ones joined into one (the text decoders read it), each binary one on
    its own, so that a compressed stream starts its layer (raw deflate and brotli have no magic number to be
    found by anywhere else); binary ones past `_MAX_PARTS` joined."""
    text = [part for part in parts if _is_text(part)]
    binary = [part for part in parts if len(part) > 1 and not _is_text(part)]
    layers = [b"\n".join(text)] if text else []
    layers += binary[:_MAX_PARTS]
    if len(binary) > _MAX_PARTS:
        layers.append(b"\n".join(binary[_MAX_PARTS:]))
    return layers


def _json_line(line: bytes) -> object:
    """A line's JSON object or array, or None."""
    if line[:1] not in (b"{", b"[") or len(line) > 1 << 16:
        return None
    try:
        return json.loads(line)
    except ValueError:
        return None


def _lines(view: _View) -> list[bytes]:
    """Binary NDJSON: lines that start with a JSON header, some followed by a binary payload.

    A line whose JSON object has an integer ``length`` is an item header of a Sentry envelope when exactly that
    many bytes, then a newline or the end, follow it: those bytes are its payload, newlines and all.
    """
    data = view.data
    first = data.find(b"\n")
    if first < 0 or _json_line(data[:first].rstrip(b"\r")) is None:
        return []
    parts = [data[:first]]
    position = first + 1
    while position < len(data) and len(parts) < _MAX_RECORDS:
        end = data.find(b"\n", position)
        end = len(data) if end < 0 else end
        line = data[position:end]
        parts.append(line)
        header = _json_line(line)
        length = header.get("length") if isinstance(header, dict) else None
        position = end + 1
        if type(length) is int and 0 <= length <= len(data) - position and data[position + length :][:1] in (b"", b"\n"):
            parts.append(data[position : position + length])  # an item's payload: binary, newlines and all
            position += length + 1
    return _parts(parts)


def _varint(data: bytes, position: int) -> tuple[int, int] | None:
    """The base-128 varint at `position` (protobuf's): (its value, the position after it), or None."""
    value = shift = 0
    while position < len(data) and shift < 64:
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, position
        shift += 7
    return None


def _fixed_length(size: int, order: Literal["big", "little"]) -> Callable[[bytes, int], tuple[int, int] | None]:
    def header(data: bytes, position: int) -> tuple[int, int] | None:
        end = position + size
        return (int.from_bytes(data[position:end], order), end) if end <= len(data) else None

    return header


def _records(data: bytes, header: Callable[[bytes, int], tuple[int, int] | None]) -> list[bytes]:
    """The payloads of `data` read as length + payload records that fill it exactly; [] if they do not."""
    payloads: list[bytes] = []
    position = 0
    while position < len(data):
        read = header(data, position)
        if read is None or len(payloads) >= _MAX_RECORDS:
            return []
        length, position = read
        if position + length > len(data):
            return []
        payloads.append(data[position : position + length])
        position += length
    return payloads


def _protobuf(data: bytes) -> list[bytes]:
    """The length-delimited fields (strings, bytes, nested messages) of `data` read as a protobuf message that
    fills it exactly; [] if it is not one. Fields of the other wire types are stepped over."""
    payloads: list[bytes] = []
    position = fields = 0
    while position < len(data):
        tag = _varint(data, position)
        fields += 1
        if tag is None or tag[0] >> 3 == 0 or fields > _MAX_RECORDS:
            return []
        key, position = tag
        wire = key & 7
        if wire == 0:
            value = _varint(data, position)
            if value is None:
                return []
            position = value[1]
        elif wire in (1, 5):
            position += 8 if wire == 1 else 4
        elif wire == 2 and (length := _varint(data, position)) is not None:
            size, position = length
            payloads.append(data[position : position + size])
            position += size
        else:
            return []
    return payloads if position == len(data) else []


_LENGTH_HEADERS: Final = (_fixed_length(4, "big"), _fixed_length(4, "little"), _varint)


def _length_prefixed(view: _View) -> list[bytes]:
    """Binary records, each a length (4 bytes either way round, or a varint) then its payload, or protobuf
    fields: each framing that reads the whole layer gives its payloads."""
    data = view.data
    if len(data) < 3 or (view.is_text and data[0] >= 0x20):  # a length's first byte is no letter
        return []
    payloads = [payload for header in _LENGTH_HEADERS for payload in _records(data, header)]
    payloads += _protobuf(data)
    return _parts([payload for payload in payloads if payload != data])


# --- percent-encoding, forms and multipart ----------------------------------------------------------------------


def _percent_decode(data: bytes) -> bytes:
    """``%XX`` escapes decoded, at C speed: rewritten as ``\\xXX`` for the codec that reads Python escapes."""
    escapes = data.replace(b"\\", b"\\\\") if b"\\" in data else data
    try:
        return codecs.escape_decode(escapes.replace(b"%", b"\\x"))[0]
    except ValueError:  # a '%' not followed by two hex digits ("50%"): the slow, lenient way
        return unquote_to_bytes(data)


_URL_START: Final = re.compile(rb"\A(?:[a-zA-Z][a-zA-Z0-9+.-]{0,15}://|/)[^\s?]*\?")  # up to the query
_FORM_CHARS: Final = bytes(range(0x21, 0x7F))  # a form body is printable ASCII without spaces
_FORM_FIELD: Final = re.compile(rb"=[^=&]")  # an '=' that is not base64 padding


def _is_form(data: bytes) -> bool:
    """Printable ASCII without spaces, not starting like JSON or markup, with a ``key=value`` that is not padding."""
    return (
        bool(data)
        and data[:1] not in (b"{", b"[", b"<", b'"')
        and not _URL_START.match(data)
        and not data[:64].translate(None, _FORM_CHARS)
        and bool(_FORM_FIELD.search(data))
        and not data.translate(None, _FORM_CHARS)
    )


def parse_form(data: bytes) -> list[tuple[bytes, bytes]] | None:
    """The ``(key, value)`` pairs of an ``application/x-www-form-urlencoded`` body, decoded; None if it is not one."""
    if not _is_form(data):
        return None
    pairs = []
    for field_ in data.split(b"&"):
        if field_:
            key, _, value = field_.partition(b"=")
            pairs.append((_percent_decode(key.replace(b"+", b" ")), _percent_decode(value.replace(b"+", b" "))))
    return pairs


_FORM_LINES: Final = bytes.maketrans(b"&=+", b"\n\n ")
_FORM_LINES_KEEP_PLUS: Final = bytes.maketrans(b"&=", b"\n\n")


def parse_query(url: bytes) -> list[tuple[bytes, bytes]] | None:
    """The decoded ``(key, value)`` pairs of a URL's query string; None if `url` has none that is a form."""
    start = _URL_START.match(url)
    return parse_form(_query(url, start.end())) if start else None


def _query(url: bytes, start: int) -> bytes:
    return url[start:].partition(b"#")[0]


def _form_layers(fields: bytes) -> list[bytes]:
    if not _is_form(fields):
        return []
    # Every key and value on a line of its own, in a few passes over the bytes rather than a call per field.
    outputs = [_percent_decode(fields.translate(_FORM_LINES))]
    if b"+" in fields:  # '+' is a space in a form, but trackers paste base64 into URLs unescaped: both ways
        outputs.append(_percent_decode(fields.translate(_FORM_LINES_KEEP_PLUS)))
    if not outputs[0].isascii():  # perhaps a compressed value: split by fields to keep it whole
        outputs += _with_compressed([], [value for _, value in parse_form(fields) or ()])
    return outputs


def _form_body(view: _View) -> list[bytes]:
    return _form_layers(view.data)


def _form_query(view: _View) -> list[bytes]:
    """The query string of a URL, decoded like a form (``+`` as a space)."""
    start = _URL_START.match(view.data)
    return _form_layers(_query(view.data, start.end())) if start else []


_PERCENT: Final = re.compile(rb"%[0-9A-Fa-f]{2}")
_TOKEN_DELIMITERS: Final = tuple(bytes((byte,)) for byte in b" \t\n\r\f\v\"'<>\\")
_TOKEN_REST: Final = re.compile(rb"""[^\s"'<>\\]*""")


def _percent_tokens(data: bytes) -> list[bytes]:
    """The tokens (from one delimiter to the next: whitespace, quotes, angle brackets, backslash) that hold a
    percent-escape. Found from the escapes, not by a regex trying every position: a form's decoded fields are
    long text with a few escapes left."""
    tokens: list[bytes] = []
    covered = 0
    for escape in _PERCENT.finditer(data):
        if escape.start() < covered:
            continue  # in the token just taken
        start = max(data.rfind(delimiter, covered, escape.start()) for delimiter in _TOKEN_DELIMITERS) + 1
        start = max(start, covered)
        rest = _TOKEN_REST.match(data, escape.end())
        covered = rest.end() if rest else escape.end()
        tokens.append(data[start:covered])
    return tokens


def _url(view: _View) -> list[bytes]:
    """Percent-escaped tokens (a URL, a query, a cookie value) decoded; the rest of the text is left where it is."""
    if b"%" not in view.data:
        return []
    tokens = _percent_tokens(view.data)
    return [_percent_decode(b"\n".join(tokens))] if tokens else []


_MULTIPART_START: Final = re.compile(rb"\A--([0-9A-Za-z'()+_,./:=? -]{1,70})\r?\n")


def _multipart(view: _View) -> list[bytes]:
    start = _MULTIPART_START.match(view.data)
    if not start:
        return []
    delimiter = b"--" + start.group(1)
    headers: list[bytes] = []
    bodies: list[bytes] = []
    for part in view.data.split(delimiter)[1:]:
        if part.startswith(b"--"):
            break  # the closing delimiter
        head, sep, body = part.partition(b"\r\n\r\n")
        if not sep:
            head, sep, body = part.partition(b"\n\n")
        headers.append(head.strip())
        bodies.append(body[:-2] if body.endswith(b"\r\n") else body.removesuffix(b"\n"))
    return [b"\n".join(headers), *bodies] if bodies else []


def json_child(path: str, key: str | None = None) -> str:
    """The key path of a child of the JSON node at `path`: of its member `key`, or (no key) of an array element.

    The one naming of JSON places (``events[].key``) that the keystroke search groups by and redaction masks by.
    """
    if key is None:
        return f"{path}[]"
    return f"{path}.{key}" if path else key


# --- JSON escapes and HTML entities -----------------------------------------------------------------------------

# Possessive loops: a string that never closes is scanned once, not once per way to split it.
_ESCAPED_STRING: Final = re.compile(rb'"[^"\\]*+(?:\\.[^"\\]*+)++"', re.DOTALL)


def _escaped_literals(data: bytes) -> list[bytes]:
    """The JSON string literals in `data` that contain an escape, found from the backslashes: a tracker batch has
    thousands of strings and a few with escapes, and a regex trying every quote would read them all twice.
    (In JSON the quote nearest before a string's first backslash opens that string: an escaped quote would be a
    backslash before it.)"""
    found: list[bytes] = []
    done = 0  # the end of the last literal found: its own backslashes are in it
    backslash = data.find(b"\\")
    while backslash >= 0:
        quote = data.rfind(b'"', done, backslash)
        literal = _ESCAPED_STRING.match(data, quote) if quote >= 0 else None
        if literal and literal.end() > backslash:
            found.append(literal.group())
            done = literal.end()
        else:
            done = backslash + 2  # outside any string: not JSON here
        backslash = data.find(b"\\", done)
    return found


def _json_strings(view: _View, data: bytes, depth: int) -> Iterator[bytes]:
    """The JSON string literals in `data` that contain escapes, decoded (and, inside them, nested JSON's)."""
    for literal in view.fresh("json", _escaped_literals(data)):
        try:
            decoded = json.loads(literal, strict=False).encode("utf-8", "surrogatepass")
        except ValueError:
            continue  # not JSON after all (a quote in some other language)
        yield decoded
        if depth < _MAX_JSON_NESTING and b"\\" in decoded:
            yield from _json_strings(view, decoded, depth + 1)


def _json(view: _View) -> list[bytes]:
    # Strings without escapes are already verbatim in this layer, where every other decoder and the search see
    # them; only strings with escapes (\uXXXX, \", \/, JSON stringified inside JSON) hold something new.
    # Nested JSON is unescaped here, level after level, so that it costs one step of the depth, not one a level.
    if b"\\" not in view.data or b'"' not in view.data:
        return []
    strings = list(_json_strings(view, view.data, 1))
    return _with_compressed([b"\n".join(strings)], strings) if strings else []


_ENTITY: Final = re.compile(rb"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


_ENTITY_CONTEXT: Final = 128  # bytes kept on each side of an entity: the value it sits in, whole


def _may_hold_entity(data: bytes) -> bool:
    """Cheap rejection: some ';' has an '&' shortly before it. JSON often has both (a user agent's "X11;",
    URLs' "&"), but few ';', and checking those is cheaper than a regex pass over all the text."""
    if b"&" not in data:
        return False
    position = data.find(b";")
    for _ in range(64):
        if position < 0:
            return False
        if data.rfind(b"&", max(0, position - 40), position) >= 0:
            return True
        position = data.find(b";", position + 1)
    return True  # too many to look at one by one: the regex decides


def _html(view: _View) -> list[bytes]:
    """HTML entities decoded, with the text around them; the rest of the layer is left where it is."""
    data = view.data
    if not _may_hold_entity(data):
        return []
    spans: list[list[int]] = []
    for match in _ENTITY.finditer(data):
        start, end = max(0, match.start() - _ENTITY_CONTEXT), match.end() + _ENTITY_CONTEXT
        if spans and start <= spans[-1][1]:
            spans[-1][1] = end
        else:
            spans.append([start, end])
    if not spans:
        return []
    # surrogateescape: a span may cut a multi-byte character in two; its bytes come back unchanged.
    text = b"\n".join(data[start:end] for start, end in spans).decode("utf-8", "surrogateescape")
    return [html.unescape(text).encode("utf-8", "surrogateescape")]


# --- base64 and hex ---------------------------------------------------------------------------------------------

_TO_STANDARD_B64: Final = bytes.maketrans(b"-_", b"+/")


def _base64(view: _View) -> list[bytes]:
    """Each base64 run decoded at the four alignments (the run may start before the encoded text does).

    Padding fixes the alignment; an unpadded run is decoded at all four. Of a long run (a blob, where three
    misaligned copies would triple the search) the misaligned decodings keep only what can be there when
    base64 is glued to the end of other base64: text and compressed streams.
    """
    text: list[bytes] = []
    binary: list[bytes] = []
    alone: list[bytes] = []
    shifted: list[bytes] = []
    for run in view.fresh("base64", view.base64_runs):
        core = run.rstrip(b"=")
        if b"-" in core or b"_" in core:  # a scan for either is a tenth of a translation's cost on a blob
            core = core.translate(_TO_STANDARD_B64)
        aligned = len(run) % 4 if len(core) != len(run) else 0
        if len(core) != len(run):
            decodings = [(aligned, _decoded_from(core, aligned))]
        else:
            decodings = [(offset, _decoded_from(core, offset)) for offset in range(4)]
        for offset, decoded in decodings:
            if _is_text(decoded):
                text.append(decoded)
            elif len(alone) < _MAX_PARTS and _starts_stream(decoded, brotli_too=offset == aligned):
                alone.append(decoded)
            elif offset == aligned or len(run) < ALIGN_ALL_BELOW:
                binary.append(decoded)
            else:
                shifted.append(decoded)
    # All alignments together, text apart from binary (the text decoders skip a layer with anything binary in
    # it): three of every four pieces are noise, but a layer each would cost more. A piece that is a compressed
    # stream, at whichever alignment (text glued to the front of unpadded base64), stands alone instead: joined,
    # it would not decode.
    found = [view.joined(group) for group in (text, binary) if group] + alone
    for piece in shifted:
        found += _text_within(piece) + _streams(piece)
    return found


def _decoded_from(core: bytes, offset: int) -> bytes:
    """Unpadded standard base64 decoded from its character `offset` on."""
    piece = core[offset : len(core) - ((len(core) - offset) % 4 == 1)]  # a lone last char: 6 bits, no byte
    padded = piece + b"=" * (-len(piece) % 4)
    # A blob on SIMD (pybase64: tens of times as fast, the same bytes for any valid input, stray bits included);
    # a short run on binascii, whose call costs a third as much.
    return pybase64.b64decode(padded, validate=True) if len(padded) >= _SIMD_FROM else binascii.a2b_base64(padded)


_SIMD_FROM: Final = 256
"""Characters from which base64 is decoded by pybase64 rather than binascii."""


def _starts_stream(piece: bytes, *, brotli_too: bool) -> bool:
    """Whether a compressed stream starts `piece`: a magic number, or raw deflate (or brotli, which is slower to
    rule out: asked at a run's natural alignment only) that fills it."""
    return (
        piece.startswith(_STREAM_MAGIC)
        or (_may_start_deflate(piece) and bool(_whole_stream(piece, -15)))
        or (brotli_too and _unbrotli(piece) is not None)
    )


def _text_within(data: bytes) -> list[bytes]:
    """The runs of printable text in binary data, joined, if any is `MIN_RUN` long."""
    found = runs(data, PRINTABLE, MIN_RUN)
    return [b"\n".join(data[start:end] for start, end in found)] if found else []


def _hex(view: _View) -> list[bytes]:
    """Long runs of hex digits decoded at both alignments."""
    spans = runs(view.data, HEX, MIN_HEX_RUN)
    if not spans:
        return []
    pieces: list[bytes] = []
    for start, end in spans:
        for offset in (0, 1):
            pieces.append(bytes.fromhex(view.data[start + offset : end - (end - start - offset) % 2].decode("ascii")))
    return _with_compressed(_text_and_binary(view, pieces), pieces[::2])


# --- lz-string ------------------------------------------------------------------------------------------------
# lz-string (pieroxy/lz-string) writes an LZW code stream into characters, most significant bit of each
# character first, and assembles each code least significant bit first. We rebuild the stream as bytes whose
# bits are in reading order from the least significant end, so that reading n bits is one slice and a shift.

_BIT_REVERSED: Final = bytes(int(f"{byte:08b}"[::-1], 2) for byte in range(256))
_LZ_URI_TO_STANDARD: Final = bytes.maketrans(b"-", b"/")
# Code units 32..32799 (quote and backslash aside: a JSON string around the run ends it there).
_LZ_UTF16_RUN: Final = re.compile(r"[\u0020\u0021\u0023-\u005b\u005d-\u801f]{8,}")


def _lz_decompress(stream: bytes, total_bits: int, char_bits: int, *, partial: bool = False) -> str | None:
    """LZ-string's decompression of a prepared bit stream; None unless it ends cleanly at the end marker.

    With `partial`, the stream is the start of a longer one: running out of bits returns "" (nothing wrong so far).
    """
    position = 0
    truncated = "" if partial else None

    def read(count: int) -> int:
        nonlocal position
        end = position + count
        if end > total_bits:
            return -1
        chunk = int.from_bytes(stream[position >> 3 : (end + 7) >> 3], "little")
        value = (chunk >> (position & 7)) & ((1 << count) - 1)
        position = end
        return value

    first = read(2)
    if first not in (0, 1):
        return None  # 2 is the end marker (an empty string): nothing to report either way
    if (code := read(8 << first)) < 0:
        return truncated
    entries = ["", "", "", chr(code)]  # codes 0, 1 and 2 are reserved: 8-bit char, 16-bit char, end
    word = entries[3]
    out = [word]
    produced = 1
    enlarge_in, code_bits = 4, 3
    while True:
        code = read(code_bits)
        if code < 0:
            return truncated
        if code == 2:
            rest = total_bits - position
            # The compressor pads the last character with 1..char_bits zero bits after the end marker.
            return "".join(out) if 0 < rest <= char_bits and read(rest) == 0 else None
        if code < 2:
            if (char := read(8 << code)) < 0:
                return truncated
            entries.append(chr(char))
            code = len(entries) - 1
            enlarge_in -= 1
            if enlarge_in == 0:
                enlarge_in, code_bits = 1 << code_bits, code_bits + 1
        if code < len(entries):
            entry = entries[code]
        elif code == len(entries):
            entry = word + word[0]
        else:
            return None
        out.append(entry)
        produced += len(entry)
        if produced > MAX_OUTPUT:  # each code can repeat a longer entry: n codes can spell n * n / 2 chars
            return None
        entries.append(word + entry[0])
        word = entry
        enlarge_in -= 1
        if enlarge_in == 0:
            enlarge_in, code_bits = 1 << code_bits, code_bits + 1


def _js_string_bytes(text: str) -> bytes:
    """A JavaScript string (UTF-16 code units as chars, surrogate halves included) as UTF-8."""
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace").encode("utf-8")


def _six_bit_stream(core: bytes) -> bytes:
    """Standard-alphabet base64 characters as an lz-string bit stream (zero bits complete the last byte)."""
    return binascii.a2b_base64(core + b"A" * (-len(core) % 4)).translate(_BIT_REVERSED)


# lz-string's stream opens with a 2-bit code, 0 or 1 (an 8- or 16-bit first character), read from the top bits of
# the first six-bit character: 0..15 or 32..47, "A".."P" or "g".."v" in both alphabets.
_LZ_FIRST: Final = frozenset(b"ABCDEFGHIJKLMNOPghijklmnopqrstuv")


def _lz_six_bit(view: _View, decoder: str, runs: list[bytes], to_standard: bytes | None) -> list[bytes]:
    found: list[bytes] = []
    for run in view.fresh(decoder, runs):
        if run[0] not in _LZ_FIRST:
            continue
        if (
            len(run) > 66
            and _lz_decompress(_six_bit_stream(run[:64].translate(to_standard)), 384, 6, partial=True) is None
        ):
            continue  # a long run that is not lz-string fails within its first characters: don't copy it all
        core = run.rstrip(b"=").translate(to_standard)
        text = _lz_decompress(_six_bit_stream(core), 6 * len(core), 6)
        if text:
            found.append(_js_string_bytes(text))
    return [b"\n".join(found)] if found else []


def _lz_base64(view: _View) -> list[bytes]:
    """lz-string's compressToBase64: the standard alphabet, padded to a multiple of four."""
    runs = [run for run in view.base64_runs if len(run) % 4 == 0 and not (b"-" in run or b"_" in run)]
    return _lz_six_bit(view, "lz-base64", runs, None)


def _lz_uri(view: _View) -> list[bytes]:
    """lz-string's compressToEncodedURIComponent: ``+`` and ``-`` for 62 and 63, no padding."""
    runs = [run for run in view.base64_runs if not (b"/" in run or b"_" in run or b"=" in run)]
    return _lz_six_bit(view, "lz-uri", runs, _LZ_URI_TO_STANDARD)


def _lz_utf16(view: _View) -> list[bytes]:
    """lz-string's compressToUTF16: 15 bits per character, offset by 32, and a trailing space."""
    text = None if view.data.isascii() else _as_text(view.data)
    if text is None:  # ASCII holds no code unit above 0x7f (and the registry gives it text)
        return []
    runs = []
    for match in _LZ_UTF16_RUN.finditer(text):
        candidate = match.group().removesuffix(" ")  # the one space compressToUTF16 appends
        if sum(char > "\u00ff" for char in candidate) * 2 >= len(candidate):  # mostly CJK-range code units
            runs.append(candidate.encode("utf-8"))
    found: list[bytes] = []
    for run in view.fresh("lz-utf16", runs):
        bits = "".join(f"{ord(char) - 32:015b}" for char in run.decode("utf-8"))
        bits += "0" * (-len(bits) % 8)
        stream = int(bits, 2).to_bytes(len(bits) // 8, "big").translate(_BIT_REVERSED)
        decoded = _lz_decompress(stream, len(bits) // 15 * 15, 15)
        if decoded:
            found.append(_js_string_bytes(decoded))
    return [b"\n".join(found)] if found else []


# --- the registry -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decoder:
    """One way to decode a layer. `decode` returns what it found: nothing when it does not apply."""

    name: str
    decode: Callable[[_View], list[bytes]] = field(repr=False)
    reads: Literal["text", "binary", "any"] = "any"
    """What input it can apply to: a compressed stream is never valid UTF-8, a form or JSON always is."""
    claims: bool = False
    """When it finds something, the layer holds nothing else worth decoding: later decoders skip the layer."""
    fills: bool = False
    """What it reads must fill the layer exactly (a stream with no magic number, a framing): it never applies to
    pieces decoded apart and joined by newlines."""


DECODERS: Final[tuple[Decoder, ...]] = (
    # Magic-number formats first: a layer that is gzip is nothing else.
    Decoder("gzip", _gzip, "binary", claims=True),
    Decoder("zstd", _zstd, "binary", claims=True),
    Decoder("zlib", _zlib, claims=True, fills=True),  # "x^" is text: the header may start a text-like layer
    Decoder("brotli", _brotli, "binary", fills=True),
    Decoder("deflate", _deflate, "binary", fills=True),
    # Containers: their output holds every field, decoded, so the inline decoders run there instead.
    Decoder("multipart", _multipart, claims=True),  # its parts may be binary files
    # Framings of binary bodies: each payload a layer of its own, where a compressed stream starts.
    Decoder("lines", _lines, "binary"),
    Decoder("length-prefixed", _length_prefixed, fills=True),
    Decoder("embedded", _embedded, "binary"),
    Decoder("form", _form_body, "text", claims=True),
    Decoder("query", _form_query, "text"),
    Decoder("url", _url, "text"),
    Decoder("json", _json, "text"),
    Decoder("html", _html, "text"),
    Decoder("base64", _base64),
    Decoder("hex", _hex),
    Decoder("lz-base64", _lz_base64),
    Decoder("lz-uri", _lz_uri),
    Decoder("lz-utf16", _lz_utf16, "text"),
)

# The decoders to try on a layer, by whether it is text and whether it joins pieces decoded apart.
_TO_TRY: Final = {
    (text, joined): tuple(
        decoder for decoder in DECODERS if decoder.reads != ("binary" if text else "text") and not (joined and decoder.fills)
    )
    for text in (True, False)
    for joined in (True, False)
}

TRANSPARENT: Final = frozenset(
    {"multipart", "lines", "length-prefixed", "embedded", "form", "query", "url", "json", "html"}
)
"""Steps that leave plain text as it was: a value seen after one of them was usually already seen before it."""

DECOMPRESSORS: Final = frozenset({"gzip", "zstd", "zlib", "brotli", "deflate"})
"""Steps whose input is a compressed stream: bytes of the compressor's making, not worth searching."""


LAYER_CACHE_BYTES: Final = 128 << 20
"""Most bytes of decoded layers `decode_layers` keeps for payloads it may be asked about again."""


class _LayerCache:
    """`decode_layers`' answers by payload, least recently used dropped first past `LAYER_CACHE_BYTES`.

    A run's rules read each payload several times (the leak scanner, the keystroke search, the recorder formats'
    reader, the redaction of the evidence), and decoding is most of what each read costs: the bytes are decoded
    once. Keyed by the bytes themselves (hashed once by Python, compared in full on a hit): equal keys are equal
    payloads, never a digest collision. Rules of several runs may be judged on threads at once: a lock guards it.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._entries: OrderedDict[bytes, tuple[Layer, ...]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def get(self, data: bytes) -> tuple[Layer, ...] | None:
        with self._lock:
            layers = self._entries.get(data)
            if layers is not None:
                self._entries.move_to_end(data)
            return layers

    def put(self, data: bytes, layers: tuple[Layer, ...]) -> None:
        size = sum(len(layer.data) for layer in layers)
        if size > self.limit:
            return
        with self._lock:
            if data in self._entries:
                return
            self._entries[data] = layers
            self._bytes += size
            while self._bytes > self.limit:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= sum(len(layer.data) for layer in dropped)


_CACHE: Final = _LayerCache(LAYER_CACHE_BYTES)


def forget_decoded() -> None:
    """Empty `decode_layers`' cache (a benchmark's rounds must each decode everything)."""
    _CACHE.clear()


def decode_layers(data: bytes, work_budget: int | None = None) -> list[Layer]:
    """Every distinct decoding of `data`, at any depth, the raw bytes first, shallowest first.

    Peeling goes on until no decoder finds anything new. The work is bounded instead of the depth:
    `work_budget` caps the bytes of all decoded layers together (default: eight times the input plus 64 MiB),
    and the layers at `_MAX_LAYERS`; past either, decoding stops and the layers found so far are returned.
    With the default budget, a payload decoded before is answered from a cache (`_LayerCache`).
    """
    budget = 8 * len(data) + (64 << 20) if work_budget is None else work_budget
    if work_budget is not None or type(data) is not bytes:
        return _decoded(data, budget)
    cached = _CACHE.get(data)
    if cached is None:
        cached = tuple(_decoded(data, budget))
        _CACHE.put(data, cached)
    return list(cached)


def _decoded(data: bytes, budget: int) -> list[Layer]:
    layers = [Layer((), data)]
    joined = [False]  # by layer: whether it joins pieces decoded apart
    # The layers so far by size, to drop a repeat: compared in full, never hashed (hashing every decoded layer
    # cost as much as a decoder; two layers of one size are rare, and unequal ones differ early).
    by_size: dict[int, list[bytes]] = {len(data): [data]}
    decoded_runs: set[tuple[str, bytes]] = set()
    index = 0
    while index < len(layers):
        layer = layers[index]
        if layer.data:
            view = _View(layer.data, decoded_runs)
            for decoder in _TO_TRY[view.is_text, joined[index]]:
                found = decoder.decode(view)
                if not found:
                    continue
                outputs = [out for out in found if out and out not in by_size.get(len(out), ())]
                for out in outputs:
                    if budget < len(out) or len(layers) >= _MAX_LAYERS:
                        return layers
                    budget -= len(out)
                    by_size.setdefault(len(out), []).append(out)
                    layers.append(Layer((*layer.chain, decoder.name), out, index))
                    joined.append(view.made_of_pieces(out))
                if outputs and decoder.claims:
                    break
        index += 1
    return layers


def decompressed(data: bytes) -> Layer | None:
    """`data` with the compression it was sent in undone (one step, from its first byte), or None."""
    view = _View(data, set())
    for decoder in DECODERS:
        if decoder.name in DECOMPRESSORS and (found := decoder.decode(view)) and found[0]:
            return Layer((decoder.name,), found[0], 0)
    return None
