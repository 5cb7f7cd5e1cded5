"""Tests for harness/decode.py: every encoding alone and nested, the bounds on work, and the fast run finder."""

from __future__ import annotations

import base64
import gzip
import json
import random
import zlib
from collections.abc import Callable
from urllib.parse import quote

import brotli
import pytest
import zstandard

from harness.privacy import decode
from harness.privacy.decode import Layer, decode_layers, parse_form

SECRET = "ada.lovelace@example.org"
SECRET_BYTES = SECRET.encode()


def chains_holding(data: bytes, needle: bytes = SECRET_BYTES) -> list[tuple[str, ...]]:
    """The chains of the layers of `data` that contain `needle` verbatim."""
    return [layer.chain for layer in decode_layers(data) if needle in layer.data]


def raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def b64(data: bytes | str, alphabet: bytes = b"+/", pad: bool = True) -> str:
    raw = data.encode() if isinstance(data, str) else data
    encoded = base64.b64encode(raw, alphabet).decode()
    return encoded if pad else encoded.rstrip("=")


def multipart(*parts: tuple[str, bytes]) -> bytes:
    body = b""
    for name, content in parts:
        body += b'--XyZ\r\nContent-Disposition: form-data; name="' + name.encode() + b'"\r\n\r\n' + content + b"\r\n"
    return body + b"--XyZ--\r\n"


def escaped(text: str) -> str:
    """Every character as a JSON \\uXXXX escape."""
    return "".join(f"\\u{ord(char):04x}" for char in text)


# A sentence long enough to give runs of the lengths the decoders look for, with the secret in the middle.
SENTENCE = f"user {SECRET} signed in from the checkout page".encode()
# Compressors store short text as it is; with more text around it, they code the secret too.
PAGE = SENTENCE + b" and then some more words about the checkout page, the cart and the account" * 20

# (id, payload, the chain of a layer that shows SECRET verbatim): each encoding alone.
ALONE: list[tuple[str, bytes, tuple[str, ...]]] = [
    ("gzip", gzip.compress(PAGE), ("gzip",)),
    ("zlib", zlib.compress(PAGE), ("zlib",)),
    ("raw deflate", raw_deflate(PAGE), ("deflate",)),
    ("brotli", brotli.compress(PAGE), ("brotli",)),
    ("zstd", zstandard.ZstdCompressor().compress(PAGE), ("zstd",)),
    ("base64", b64(SENTENCE).encode(), ("base64",)),
    ("base64 url-safe", b64(b"\xfb\xff" + SENTENCE, b"-_").encode(), ("base64",)),
    ("base64 unpadded", b64(SENTENCE + b"!", pad=False).encode(), ("base64",)),
    ("base64 in JSON", json.dumps({"d": b64(SENTENCE)}).encode(), ("base64",)),
    ("percent-encoding", quote(SECRET, safe="").encode(), ("url",)),
    ("percent-encoding in a URL path", b"https://t.test/u/" + quote(SECRET, safe="").encode() + b"/x", ("url",)),
    ("form body", b"a=1&email=" + quote(SECRET, safe="").encode() + b"&b=2", ("form",)),
    ("URL query", b"https://t.test/c?e=" + quote(SECRET, safe="").encode() + b"&n=Ada+L", ("query",)),
    ("multipart", multipart(("f", gzip.compress(SENTENCE))), ("multipart", "gzip")),
    ("JSON \\u escape", b'{"e":"ada.lovelace\\u0040example.org"}', ("json",)),
    ("JSON \\u escapes, all", b'{"e":"' + escaped(SECRET).encode() + b'"}', ("json",)),
    ("HTML entities", b"<b>ada.lovelace&#64;example&period;org</b>", ("html",)),
    ("HTML hex entity", b"<i>ada.lovelace&#x40;example.org</i>", ("html",)),
    ("hex", b'{"h":"' + SENTENCE.hex().encode() + b'"}', ("hex",)),
    ("HEX", b"h=" + SENTENCE.hex().upper().encode(), ("form", "hex")),
    ("hex at odd offset", b"id:f" + SENTENCE.hex().encode(), ("hex",)),
]


@pytest.mark.parametrize(("payload", "chain"), [case[1:] for case in ALONE], ids=[case[0] for case in ALONE])
def test_each_encoding_alone_is_peeled(payload: bytes, chain: tuple[str, ...]) -> None:
    assert SECRET_BYTES not in payload
    assert chain in chains_holding(payload)


def php_json(value: object) -> bytes:
    """JSON as PHP writes it, '/' escaped: base64 inside is cut into pieces until the escapes are decoded."""
    return json.dumps(value).replace("/", "\\/").encode()


SLASHED = f"{SECRET} ???"  # its base64 has a '/', so that PHP's escaping splits the run
assert "/" in b64(SLASHED)

NESTED: list[tuple[str, bytes, tuple[str, ...]]] = [
    ("gzip > json > base64", gzip.compress(php_json({"d": b64(SLASHED)})), ("gzip", "json", "base64")),
    ("gzip > base64", gzip.compress(json.dumps({"d": b64(SENTENCE)}).encode()), ("gzip", "base64")),
    ("url > url", quote(quote(SECRET, safe=""), safe="").encode(), ("url", "url")),
    ("form > url", b"q=" + quote(quote(SECRET, safe=""), safe="").encode(), ("form", "url")),
    ("base64 > gzip", json.dumps({"z": b64(gzip.compress(SENTENCE))}).encode(), ("base64", "gzip")),
    ("base64 > base64", b64(b64(SENTENCE)).encode(), ("base64", "base64")),
    (
        "zstd > form > base64",
        zstandard.ZstdCompressor().compress(b"a=1&d=" + b64(SENTENCE).encode()),
        ("zstd", "form", "base64"),
    ),
    ("brotli > json", brotli.compress(b'{"e":"ada.lovelace\\u0040example.org"}'), ("brotli", "json")),
    (
        "JSON in JSON in JSON, one step",
        json.dumps({"p": json.dumps({"q": '{"e": "' + SECRET.replace("@", "\\u0040") + '"}'})}).encode(),
        ("json",),
    ),
    (
        "multipart > base64 > gzip",
        multipart(("f", b64(gzip.compress(SENTENCE)).encode())),
        ("multipart", "base64", "gzip"),
    ),
    (
        # Unpadded: decoded at all four alignments, three of them noise; the text decoders still see the text.
        "base64 > json, unpadded",
        json.dumps({"d": b64(b'{"e":"ada.lovelace\\u0040example.org","n":1}', pad=False)}).encode(),
        ("base64", "json"),
    ),
    ("hex > url", b"h=" + b"https://t.test/?e=ada.lovelace%40example.org".hex().encode(), ("form", "hex", "url")),
    ("html > url", b"<a href='/x?e=" + quote(SECRET, safe="").replace("%", "&#37;").encode() + b"'>", ("html", "url")),
]


@pytest.mark.parametrize(("payload", "chain"), [case[1:] for case in NESTED], ids=[case[0] for case in NESTED])
def test_nested_encodings_are_peeled_in_order(payload: bytes, chain: tuple[str, ...]) -> None:
    assert SECRET_BYTES not in payload
    assert chain in chains_holding(payload)


@pytest.mark.parametrize("glued", ["", "x", "xy", "xyz", "wxyz", "vwxyz"])
@pytest.mark.parametrize("alphabet", [b"+/", b"-_"])
@pytest.mark.parametrize("extra", [b"", b"!", b"!!"], ids=["no padding", "==", "="])
def test_base64_is_found_at_any_alignment_inside_text(glued: str, alphabet: bytes, extra: bytes) -> None:
    # Text glued to the front of the base64, with no delimiter, shifts it by 0 to 3 within the run.
    for pad in (True, False):
        payload = f"<p>token {glued}{b64(SENTENCE + extra, alphabet, pad)} end</p>".encode()
        assert chains_holding(payload) == [("base64",)]


@pytest.mark.parametrize("extra", [0, 1, 2])
def test_base64_of_every_length_keeps_its_last_bytes(extra: int) -> None:
    plain = SENTENCE + b"!" * extra  # 0, 1 or 2 bytes in the last group
    for encoded in (b64(plain), b64(plain, pad=False)):
        assert chains_holding(encoded.encode(), plain) == [("base64",)]


def test_short_base64_runs_are_left_alone() -> None:
    # Sixteen characters are the least worth decoding; shorter runs are mostly words and IDs.
    payload = b"x " + b64(b"ada@x.co").encode()
    assert decode_layers(payload) == [Layer((), payload)]


# lz-string vectors, made with the npm package lz-string 1.5.0:
#   [input, compressToBase64, compressToEncodedURIComponent, compressToUTF16]
# The third input, "LONG", is built by `long_input` below exactly as the generating script built it.
LZ_VECTORS: list[tuple[str, str, str, str]] = [
    (
        "ada.lovelace@example.org",
        "IYE2DoBsHsDcFNLAMbwALwB7ALYAdJ5xoAnAcyA=",
        "IYE2DoBsHsDcFNLAMbwALwB7ALYAdJ5xoAnAcyA",
        "\u10e0\u4da3\u502d\u420c\u0700\u536b\u0083\u3c20\u17a0\u1ee0\u16e0\u0769\u73adG\u0106\u2020 ",
    ),
    (
        '{"email":"ada.lovelace@example.org","password":"hunter2-Secret!"}',
        "N4IgpgtghglgNiAXCKATKA6OB7AbmOKAYzAAEwAPKCABzjA2wCcBzEAGhBqgGceB3ZqiQgAFgFcAdgBcwTAEwBaAMpgiTMNICEIAL5A=",
        "N4IgpgtghglgNiAXCKATKA6OB7AbmOKAYzAAEwAPKCABzjA2wCcBzEAGhBqgGceB3ZqiQgAFgFcAdgBcwTAEwBaAMpgiTMNICEIAL5A",
        "\u1be1\u0849\u418c\u0880\u4b21\u58a0\u2e31\u2033\u1427\u23a1\u7623\u39ae\u1423\u0ce0F/\u1430\u0093"
        "\u4626\u6c22\u382e\u3120\u0d28\u1ac0\u0d03\u6097\u3374\u2440L\u017c\u010c|\u60b8\u0150\u02f0\u0349"
        "\u4132\u332d\u1030\u4220\u17e8  ",
    ),
    (
        "LONG",
        "MYQwdiBOCeBQDeAiA1ogXAAgM4EvzAFMMBHAVwEthkMlVNd8DYzLqALUsAFwMgCZseMIRIUqGDt159YAGwD2ANwKyQIluMk9+G"
        "BctUiubJlum6lKtUSNFAvBuBpHfP6rsGxgcYQAExAY3D2G9fREVEAF93RyCMEPDYAHFIAB+AfaJo2IjE1KJQCBhYTIxstIw8qG"
        "gaFHRi5LTYcpgqukFGMvAK5vRYBmEiDWpaGt71MWRYUx0R/rGJTm0BPUtCZlnJxYsDa2M5qX45Tas/HY8lreOmD2j/KJ9C0Iir"
        "nxiH2pzA56KS3I6mzIS6j98pUhphvu1gQhqvQhCJGiDoa0+qtWF0YW0BrsFj1YTNUesnMs8VQJvMzGcjm4CRSVjdCecbh9fHSM"
        "g9YE9gq9wUF7uE3qV4S8+d8Gr8ES1wYLQTi2lLEdNRKwoS0FZiCdMUZoyToacT2NqZLqLljyYdDMZ2Y4jSy7jbOXyAqzhYDPJ8"
        "2ZKxUKsi74cqah7gWikSs5SrcYrxNLVWsDcG9aS9htnKN8bHda4dtSzds7PYDsmc5FXcyLRyvUWeV8XU7ve9BVWchDOtKA835e"
        "HfaC4xHBu3GJr9Ynu2qDfmiT2TTrsxcEwt6ZSTlbsxnc8XjY63Q7bvawgDGzX+UQgA==",
        "MYQwdiBOCeBQDeAiA1ogXAAgM4EvzAFMMBHAVwEthkMlVNd8DYzLqALUsAFwMgCZseMIRIUqGDt159YAGwD2ANwKyQIluMk9+G"
        "BctUiubJlum6lKtUSNFAvBuBpHfP6rsGxgcYQAExAY3D2G9fREVEAF93RyCMEPDYAHFIAB+AfaJo2IjE1KJQCBhYTIxstIw8qG"
        "gaFHRi5LTYcpgqukFGMvAK5vRYBmEiDWpaGt71MWRYUx0R-rGJTm0BPUtCZlnJxYsDa2M5qX45Tas-HY8lreOmD2j-KJ9C0Iir"
        "nxiH2pzA56KS3I6mzIS6j98pUhphvu1gQhqvQhCJGiDoa0+qtWF0YW0BrsFj1YTNUesnMs8VQJvMzGcjm4CRSVjdCecbh9fHSM"
        "g9YE9gq9wUF7uE3qV4S8+d8Gr8ES1wYLQTi2lLEdNRKwoS0FZiCdMUZoyToacT2NqZLqLljyYdDMZ2Y4jSy7jbOXyAqzhYDPJ8"
        "2ZKxUKsi74cqah7gWikSs5SrcYrxNLVWsDcG9aS9htnKN8bHda4dtSzds7PYDsmc5FXcyLRyvUWeV8XU7ve9BVWchDOtKA835e"
        "HfaC4xHBu3GJr9Ynu2qDfmiT2TTrsxcEwt6ZSTlbsxnc8XjY63Q7bvawgDGzX+UQgA",
        "\u18e2\u0c3d\u4429\u60be\u02a0\u37a0\u4426\u5a40\u2e20\u082c\u7045\u7ce0\u0a81\u4067\u00ce\u014d"
        "\u4341\u4975\u1b0f\u40f8\u667d\u202b\u2980\u0190\u1920\u268c\u3c81\u0468\u2970\u610d\u6bef\u5620"
        "\u0da0\u3da0\u1ba1\u2cb0\u114d\u6344\u7c10\u607c\u5ac4\u2bbb\u134d\u69da\u4a75\u5532\u1a48\u0be1"
        "\u5c2d\u11ff\u1ff5\u3b26\u6323\u4630F\u1038\u6e3e\u61dd\u3ea8\u4564O\u5df1\u6431\u412f\u06e0\u01e5"
        "\u1020\u1fa0\u3ef1\u1a56\u1138\u4d6a\u12a0\u2081\u30b9\u0c8c\u5a66\u0f4a\u0d23\u2167\u2337\u12f3"
        "\u3105\u184a\u5d40\u51ac\u5e21\u2e8f\u22e0\u19a4\u443a\u6a7a\u0d8f\u3d6c\u2cab\u0551\u68af\u7ae6"
        "\u12bc\u6d21\u1ec5\u50b9\u4b59\u1c78\u583b\u2dac\u7372\u7e59\u26f5\u4fe7\u3204\u5afe\u1d50\u3dc3"
        "\u7e71\u1f62\u6864\u2b07\u6330\u7dc9\u6627\u1eaa\u25d9\u0ec6\u6662\u2ec3\u7c05\u1541\u532d\u7bd5"
        "\u40a4\u1acf\u2128\u2266\u443d\u06d4\u7d75\u55a5\u68e2\u6d21\u5780\u5915\u30b9\u553e\u5959\u4b5c"
        "\u2aa1\u1bec\u6653\u4906\u7032\u14b5\u4708\u27bc\u372f\u57e7\u2484\u0f78\u0a0c\u0add\u60c0\u5f0e"
        "\u09dd\u2598\u2607\u679c\u0d7f\u4132\u6ba3\u02f0\u2736\u696b\u0909\u546a\u6162\u2d25\u3330\u276c"
        "\u28ed\u0cb3\u50f3\u4516\u1b73\u130a\u174c\u3cb8\u3a39\u4696\u31e4\u34d2\u773b\u33b7\u6425\u2d01"
        "\u3039\u729c\u6ce9\u2c74\u1584\u2f18\u3973\u289b\u40d4\u2932\u59ea\u2afc\u317e\u136b\u2ad5\u40fc"
        "\u0e0b\u24dd\u438c\u72ad\u78f8\u777a\u710d\u54d3\u3b87\u33f8\u0784\u6759\u0adb\u4cab\u23b5\u7536"
        "\u3ccf\u45f4\u779b\u6f61\u2ad3\u4863\u1d89\u205c\u6feb\u61ff\u3437\u0c67\u0396\u71a9\u580b\u0a0e"
        "\u6d70\u3806\u44be\u64f3\u5786\u1724\u618f\u2672\u274b\u3b51\u4f07\u4603\u31f6\u745b\u379b\u2c40"
        "\u0656\u361e\u28a4  ",
    ),
]


def long_input() -> str:
    """About 1500 UTF-16 code units of repetitive text with non-ASCII and astral characters."""
    words = ["canary", "ada", "lovelace", "séance", "Grüße", "👋", "hunter2", '{"k":', '"v"}', "the", "quick"]
    text, index = "", 0
    while len(text.encode("utf-16-le")) // 2 < 1500:
        text += words[(index * 7 + (index >> 2)) % len(words)] + (" " if index % 5 else "\n")
        index += 1
    return text


LZ_CASES = [
    (form, long_input() if row[0] == "LONG" else row[0], row[position])
    for row in LZ_VECTORS
    for position, form in enumerate(("lz-base64", "lz-uri", "lz-utf16"), start=1)
]


@pytest.mark.parametrize(("form", "plain", "compressed"), LZ_CASES, ids=[f"{c[0]}-{len(c[1])}" for c in LZ_CASES])
def test_lz_string_is_decompressed_in_all_three_forms(form: str, plain: str, compressed: str) -> None:
    payload = json.dumps({"state": compressed}, ensure_ascii=False).encode()
    layers = [layer for layer in decode_layers(payload) if layer.chain == (form,)]
    assert [layer.data for layer in layers] == [plain.encode()]


def test_lz_string_rejects_a_truncated_stream_and_random_base64() -> None:
    # A stream must end at its end marker, padded with zero bits: cut short, it is not lz-string.
    compressed = LZ_VECTORS[1][1].rstrip("=")
    rng = random.Random(3)
    candidates = [compressed[:-4], compressed[:-1]]
    candidates += [b64(rng.randbytes(rng.randrange(12, 150)), pad=False) for _ in range(300)]
    for candidate in candidates:
        payload = json.dumps({"state": candidate}).encode()
        assert not [layer for layer in decode_layers(payload) if layer.chain[:1] in (("lz-base64",), ("lz-uri",))]


def test_json_escapes_decode_to_utf8_including_astral_characters() -> None:
    payload = b'{"n":"Gr\\u00fc\\u00dfe \\ud83d\\udc4b \\"quoted\\""}'
    (layer,) = [layer for layer in decode_layers(payload) if layer.chain == ("json",)]
    assert layer.data == 'Grüße 👋 "quoted"'.encode()


def test_form_keeps_plus_both_ways() -> None:
    # '+' is a space in a form, but base64 pasted into a URL unescaped keeps its '+'.
    plain = b"\xfb\xef" + SENTENCE
    encoded = b64(plain)
    assert "+" in encoded
    escaped = encoded.replace("c", "%63", 1)  # so that only the decoded query holds the run whole
    assert ("query", "base64") in chains_holding(f"https://t.test/p?d={escaped}&n=Ada+Lovelace".encode(), plain)
    assert ("query",) in chains_holding(b"https://t.test/p?d=1&n=Ada+Lovelace", b"Ada Lovelace")


PARSE_FORM: list[tuple[bytes, list[tuple[bytes, bytes]] | None]] = [
    (b"a=1&b=two+words&c=%40", [(b"a", b"1"), (b"b", b"two words"), (b"c", b"@")]),
    (b"k=a", [(b"k", b"a")]),
    (b"flag&k=v", [(b"flag", b""), (b"k", b"v")]),
    (b'{"a":"b=c"}', None),  # JSON
    (b"YWRhQGV4YW1wbGUub3Jn==", None),  # base64: its '=' are padding
    (b"a=1 b=2", None),  # text with spaces
    (b"<p a=1>", None),  # markup
    (b"", None),
]


@pytest.mark.parametrize(("body", "pairs"), PARSE_FORM, ids=[repr(case[0]) for case in PARSE_FORM])
def test_parse_form(body: bytes, pairs: list[tuple[bytes, bytes]] | None) -> None:
    assert parse_form(body) == pairs


# --- what is not decoded --------------------------------------------------------------------------------------

NOTHING_TO_DECODE = [
    b"",
    b"hello world, nothing to see here",
    b'{"event":"click","url":"https://shop.test/products/blue-widget-1234?ref=home","ts":1700000000000}',
    b"GET /index.html HTTP/1.1",
    b"z" * 5000,
    b"session_identifier_abcdef0123456789",  # a long run, but one case only, and too short for hex
]


@pytest.mark.parametrize("payload", NOTHING_TO_DECODE, ids=[str(index) for index in range(len(NOTHING_TO_DECODE))])
def test_a_decoder_that_finds_nothing_adds_nothing(payload: bytes) -> None:
    assert decode_layers(payload) == [Layer((), payload)]


def test_random_bytes_give_no_false_decodings() -> None:
    rng = random.Random(7)
    for _ in range(50):
        payload = rng.randbytes(rng.randrange(1, 4000))
        assert [layer.chain for layer in decode_layers(payload)] == [()]


def test_layers_are_distinct_and_a_run_is_decoded_once() -> None:
    # The same base64 in the raw text and again inside an escaped JSON string: decoded once, from the raw text.
    inner = b64(SENTENCE)
    payload = json.dumps({"a": inner, "b": json.dumps({"c": inner})}).encode()
    layers = decode_layers(payload)
    assert len({layer.data for layer in layers}) == len(layers)
    assert chains_holding(payload) == [("base64",)]


def test_every_layer_records_its_parent() -> None:
    layers = decode_layers(gzip.compress(json.dumps({"d": b64(SENTENCE)}).encode()))
    assert layers[0].parent == -1
    assert len(layers) > 2
    for layer in layers[1:]:
        assert layer.chain[:-1] == layers[layer.parent].chain


# --- bounds ---------------------------------------------------------------------------------------------------


def test_the_work_budget_bounds_the_peeling_not_the_depth() -> None:
    payload = gzip.compress(json.dumps({"d": b64(gzip.compress(SENTENCE))}).encode())
    assert chains_holding(payload) == [("gzip", "base64", "gzip")]
    inflated = len(gzip.decompress(payload))
    assert [layer.chain for layer in decode_layers(payload, work_budget=inflated)] == [(), ("gzip",)]
    assert decode_layers(payload, work_budget=0) == [Layer((), payload)]


BOMBS = [
    ("gzip", gzip.compress(b"\0" * (8 << 20))),
    ("zlib", zlib.compress(b"\0" * (8 << 20))),
    ("zstd", zstandard.ZstdCompressor().compress(b"\0" * (8 << 20))),
    ("brotli", brotli.compress(b"\0" * (8 << 20))),
]


@pytest.mark.parametrize(("step", "bomb"), BOMBS, ids=[case[0] for case in BOMBS])
def test_a_decompression_bomb_stops_at_the_output_cap(monkeypatch: pytest.MonkeyPatch, step: str, bomb: bytes) -> None:
    monkeypatch.setattr(decode, "MAX_OUTPUT", 1 << 20)
    layers = decode_layers(bomb)
    sizes = [len(layer.data) for layer in layers if layer.chain == (step,)]
    assert sizes and max(sizes) <= 1 << 20


def test_the_work_budget_stops_decoding() -> None:
    payload = gzip.compress(SENTENCE * 100)
    assert [layer.chain for layer in decode_layers(payload, work_budget=100)] == [()]
    assert [layer.chain for layer in decode_layers(payload)] == [(), ("gzip",)]


def test_a_truncated_gzip_capture_still_yields_what_it_holds() -> None:
    whole = gzip.compress(SENTENCE + bytes(range(256)) * 64)
    assert ("gzip",) in chains_holding(whole[: len(whole) // 2])


def test_layer_repr_shows_the_chain_and_size_not_the_bytes() -> None:
    layer = decode_layers(gzip.compress(SENTENCE))[1]
    assert repr(layer) == f"<Layer chain='gzip' {len(SENTENCE)} bytes>"
    assert SECRET not in repr(decode_layers(SENTENCE))


# --- any depth, any alignment, any offset, framings (issue 14) ----------------------------------------------------


def deepest_holding(data: bytes, needle: bytes = SECRET_BYTES) -> tuple[str, ...]:
    """The longest chain of a layer of `data` that shows `needle` (fails when none does)."""
    chains = chains_holding(data, needle)
    assert chains, "no layer shows the secret"
    return max(chains, key=len)


def test_six_layers_deep_are_peeled() -> None:
    # base64(gzip(json(base64(deflate(base64(value)))))): a depth the old fixed limit of three never reached.
    inner = b64(raw_deflate(b64(PAGE).encode()), pad=False)
    payload = b64(gzip.compress(json.dumps({"d": inner}).encode()))
    assert deepest_holding(payload.encode()) == ("base64", "gzip", "base64", "deflate", "base64")


def test_json_stringified_many_times_is_unescaped_to_the_bottom() -> None:
    document: object = {"note": SENTENCE.decode()}
    for _ in range(9):
        document = {"payload": json.dumps(document)}
    assert chains_holding(json.dumps(document).encode())


def long_base64(size: int = 6000, seed: int = 7) -> bytes:
    """Base64 of random bytes, longer than ALIGN_ALL_BELOW: a blob anything may be glued to the end of."""
    assert size > decode.ALIGN_ALL_BELOW
    return b64(random.Random(seed).randbytes(size * 3 // 4)).encode()[:size]


@pytest.mark.parametrize("alphabet", [b"+/", b"-_"], ids=["standard", "url-safe"])
@pytest.mark.parametrize("pad", [True, False], ids=["padded", "unpadded"])
@pytest.mark.parametrize("shift", [0, 1, 2, 3])
@pytest.mark.parametrize(
    "wrapped",
    [SENTENCE, gzip.compress(PAGE), zlib.compress(PAGE)],
    ids=["text", "gzip", "zlib"],
)
def test_base64_at_any_offset_of_a_long_blob(wrapped: bytes, shift: int, pad: bool, alphabet: bytes) -> None:
    # The old decoder took a long run's alignment from its start only: what was glued on at another offset
    # was lost. (Raw deflate has no magic number to be found by after other bytes: it must start its run.)
    blob = long_base64(6000 + shift)
    payload = b'{"blob":"' + blob + b64(wrapped, alphabet, pad).encode() + b'"}'
    assert chains_holding(payload)


@pytest.mark.parametrize("alphabet", [b"+/", b"-_"], ids=["standard", "url-safe"])
@pytest.mark.parametrize("glued", ["", "a", "ab", "abc"])
def test_raw_deflate_in_unpadded_base64_at_every_offset(glued: str, alphabet: bytes) -> None:
    # Padding used to be what fixed the alignment, and only then did the deflate stream start a layer.
    for body in (SENTENCE, PAGE, json.dumps({"t": "input", "v": SENTENCE.decode()}).encode()):
        encoded = b64(raw_deflate(body), alphabet, pad=False)
        payload = json.dumps({"d": glued + encoded, "n": 1}).encode()
        assert ("base64", "deflate") in chains_holding(payload), (glued, len(encoded) % 4)


def test_a_truncated_deflate_stream_gives_what_it_held() -> None:
    encoded = b64(raw_deflate(PAGE + random.Random(3).randbytes(2000)), pad=False)
    payload = json.dumps({"d": encoded[: len(encoded) * 2 // 3]}).encode()
    assert ("base64", "deflate") in chains_holding(payload)


def sentry_envelope(recording: bytes, *, length: bool = True) -> bytes:
    """A Sentry replay envelope: its header, a replay_event item, then the recording item (often zlib'd)."""
    event = json.dumps({"type": "replay_event", "replay_id": "f" * 32, "segment_id": 3}).encode()
    item = {"type": "replay_recording", "length": len(recording) + 17} if length else {"type": "replay_recording"}
    return b"\n".join(
        [
            json.dumps({"event_id": "e" * 32, "sent_at": "2026-01-01T00:00:00Z", "sdk": {"name": "sentry.javascript"}}).encode(),
            json.dumps({"type": "replay_event"}).encode(),
            event,
            json.dumps(item).encode(),
            b'{"segment_id":3}\n' + recording,
        ]
    )


@pytest.mark.parametrize("length", [True, False], ids=["item length", "no length"])
def test_zlib_in_the_middle_of_a_sentry_envelope(length: bool) -> None:
    rrweb = json.dumps([{"type": 3, "data": {"source": 5, "text": SENTENCE.decode(), "id": 12}}]).encode()
    chains = chains_holding(sentry_envelope(zlib.compress(rrweb), length=length))
    assert any(chain[-1] == "zlib" for chain in chains), chains


def test_an_envelope_item_of_raw_deflate_or_brotli_starts_a_layer() -> None:
    for compress, step in ((raw_deflate, "deflate"), (brotli.compress, "brotli")):
        payload = sentry_envelope(b"\xff" + compress(PAGE))  # the item's first byte is not the stream's
        header = json.dumps({"type": "replay_recording", "length": len(compress(PAGE))}).encode()
        payload += b"\n" + header + b"\n" + compress(PAGE)
        assert ("lines", step) in chains_holding(payload), step


@pytest.mark.parametrize(
    ("step", "compress"),
    [("gzip", gzip.compress), ("zlib", zlib.compress), ("zstd", zstandard.ZstdCompressor().compress)],
)
@pytest.mark.parametrize("offset", [1, 5, 1000])
def test_a_stream_with_a_magic_number_is_found_at_any_offset(step: str, compress: Callable[[bytes], bytes], offset: int) -> None:
    junk = random.Random(offset).randbytes(offset)
    payload = junk + compress(PAGE) + b"\x00trailer" + random.Random(9).randbytes(300)
    assert ("embedded", step) in chains_holding(payload)


def test_two_streams_in_one_body_are_both_found() -> None:
    first, second = b"first " + PAGE, b"second " + PAGE
    payload = b"\x01\x02" + zlib.compress(first) + b"\n\x03" + gzip.compress(second) + b"\x00"
    layers = decode_layers(payload)
    assert any(first in layer.data for layer in layers) and any(second in layer.data for layer in layers)


def varint(number: int) -> bytes:
    out = bytearray()
    while True:
        out.append(number & 0x7F | (0x80 if number > 0x7F else 0))
        number >>= 7
        if not number:
            return bytes(out)


def protobuf_field(number: int, payload: bytes) -> bytes:
    return varint(number << 3 | 2) + varint(len(payload)) + payload


@pytest.mark.parametrize(
    "frame",
    [
        lambda payload: len(payload).to_bytes(4, "big") + payload,
        lambda payload: len(payload).to_bytes(4, "little") + payload,
        lambda payload: varint(len(payload)) + payload,
        lambda payload: b"\x08\x96\x01" + protobuf_field(2, b"\x10\x01" + protobuf_field(5, payload)),
    ],
    ids=["u32 big-endian", "u32 little-endian", "varint", "protobuf"],
)
@pytest.mark.parametrize(("step", "compress"), [("deflate", raw_deflate), ("brotli", brotli.compress)])
def test_length_prefixed_records_start_layers(
    frame: Callable[[bytes], bytes], step: str, compress: Callable[[bytes], bytes]
) -> None:
    other = frame(b"\x00\x01\x02 another record")
    payload = other + frame(compress(PAGE)) + other
    assert any(chain[-2:] == ("length-prefixed", step) for chain in chains_holding(payload))


def test_binary_ndjson_lines_are_layers_of_their_own() -> None:
    # A compressed line must hold no newline byte of its own: pick a text whose brotli stream has none.
    compressed = next(stream for n in range(50) if b"\n" not in (stream := brotli.compress(PAGE + b" " * n)))
    lines = [
        json.dumps({"batch": 1}).encode(),
        compressed,
        ("{\"t\": \"x\", \"v\": \"" + escaped(SECRET) + "\"}").encode(),
    ]
    chains = chains_holding(b"\n".join(lines))
    assert ("lines", "brotli") in chains and ("lines", "json") in chains, chains


def test_random_binary_gives_no_framed_layers() -> None:
    for seed in range(20):
        data = random.Random(seed).randbytes(random.Random(seed).choice((20, 300, 5000, 60000)))
        assert [layer.chain for layer in decode_layers(data)] == [()], seed


def test_base64_among_camel_case_keys_is_decoded() -> None:
    # Capitals thick in the keys around it: the token must still be found whole, and its form field read.
    keys = {f"kN{index}": index for index in range(38)}
    payload = json.dumps({"": 0, **keys, "sessionToken": b64(b"u=ada%40x.co")}, separators=(",", ":")).encode()
    assert any(b"ada@x.co" in layer.data for layer in decode_layers(payload) if layer.chain == ("base64", "form"))


def test_pieces_decoded_apart_are_never_read_as_one_stream_or_framing() -> None:
    # A hex run decoded at both alignments gives two binary pieces, joined into one layer. Here the join happens
    # to read as one varint-framed record (its first byte counts the bytes after it): chance, not something a
    # tracker sent, so no framing is read there. The same bytes as one piece still are.
    rng = random.Random(4)
    while True:
        aligned = bytes([39]) + rng.randbytes(19)
        run = aligned.hex().encode()
        misaligned = bytes.fromhex(run[1:-1].decode())
        joined = aligned + b"\n" + misaligned
        if not decode._is_text(aligned) and not decode._is_text(misaligned) and not decode._is_text(joined[1:]):
            break
    assert len(joined) == 40 and decode._length_prefixed(decode._View(joined, set())) == [joined[1:]]
    layers = decode_layers(b'{"h": "' + run + b'"}')
    assert [layer.data for layer in layers if layer.chain == ("hex",)] == [joined]
    assert [layer.chain for layer in layers] == [(), ("hex",)]
    assert ("length-prefixed",) in [layer.chain for layer in decode_layers(joined)]


def test_there_is_no_depth_limit_only_a_work_budget() -> None:
    payload = PAGE
    for _ in range(6):  # twelve layers: gzip and base64, in turn
        payload = b64(gzip.compress(payload)).encode()
    assert len(deepest_holding(payload)) == 12
    # The budget, not a depth, is what stops it: too small a budget for twelve layers, and the value stays hidden.
    assert not any(SECRET_BYTES in layer.data for layer in decode_layers(payload, work_budget=2 * len(payload)))
