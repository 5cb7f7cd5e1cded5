"""The fast paths of harness/privacy/decode.py give exactly what the plain ones give: magic numbers in one pass,
runs from `byteruns` in binary layers, base64 on SIMD, escaped JSON strings from their backslashes, percent
tokens from their escapes, and the checks that rule input out before a decoder runs (a raw deflate block's
header, lz-string's first character). (Both backends of `byteruns` against a regex: tests/test_byteruns.py.)"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import random
import re
import zlib

import brotli
import pytest

from harness.privacy import decode
from harness.privacy.decode import (
    _SIMD_FROM,
    _decoded_from,
    _magic_positions,
    _View,
)


def samples() -> list[bytes]:
    rng = random.Random(14)
    text = b'{"id":"%s","h":"%s","b":"%s","t":"plain words here and there"}' % (
        rng.randbytes(20).hex().encode(), rng.randbytes(32).hex().upper().encode(),
        base64.b64encode(rng.randbytes(40)))
    every_magic = b"".join(b"\x78" + magic + rng.randbytes(5) for magic in decode._STREAM_MAGIC)
    binary = every_magic + rng.randbytes(3000) + gzip.compress(b"x" * 100) + b"\x78\x9c" + rng.randbytes(50)
    return [text[:size] for size in range(0, len(text), 7)] + [binary[:size] for size in range(0, 3000, 97)]


def test_magic_numbers_are_found_at_every_position_they_start() -> None:
    for data in samples():
        every = [start for start in range(len(data)) if data.startswith(decode._STREAM_MAGIC, start)]
        assert _magic_positions(data) == every, len(data)
    assert _magic_positions(b"\x78\x9c\x78\x9c") == [0, 2]


def test_every_hex_run_is_decoded_at_both_alignments() -> None:
    rng = random.Random(3)
    for data in samples() + [rng.randbytes(40).hex().encode() * 30 + b"-" + rng.randbytes(700).hex().encode()]:
        expected = []
        for match in re.finditer(rb"[0-9a-fA-F]{%d,}" % decode.MIN_HEX_RUN, data):
            start, end = match.span()
            expected += [bytes.fromhex(data[start + offset : end - (end - start - offset) % 2].decode())
                         for offset in (0, 1)]
        view = _View(data, set())
        found = decode._hex(view)
        assert found == decode._with_compressed(decode._text_and_binary(view, expected), expected[::2])


def test_base64_decodes_alike_on_simd_and_binascii_at_every_alignment() -> None:
    rng = random.Random(5)
    alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    for size in [*range(_SIMD_FROM - 6, _SIMD_FROM + 9), 4096, 4099, 30001]:
        core = bytes(rng.choice(alphabet) for _ in range(size))  # stray bits in the last character included
        for offset in range(4):
            piece = core[offset : len(core) - ((len(core) - offset) % 4 == 1)]
            assert _decoded_from(core, offset) == binascii.a2b_base64(piece + b"=" * (-len(piece) % 4)), (size, offset)
    glued = b"xy" + base64.b64encode(b"hello " * 400).rstrip(b"=")
    assert _decoded_from(glued, 2) == b"hello " * 400


def test_escaped_json_strings_found_from_backslashes_are_the_ones_a_regex_finds_at_every_quote() -> None:
    rng = random.Random(6)

    def value(depth: int) -> object:
        roll = rng.random()
        if depth > 3 or roll < 0.3:
            return "".join(rng.choice('ab"\\\n/é\u2028x ') for _ in range(rng.randrange(8)))
        if roll < 0.5:
            return json.dumps(value(depth + 1))  # JSON inside a JSON string: escapes within escapes
        if roll < 0.7:
            return [value(depth + 1) for _ in range(rng.randrange(3))]
        if roll < 0.85:
            return {f"k{index}": value(depth + 1) for index in range(rng.randrange(3))}
        return rng.randrange(100)

    for _ in range(3000):
        data = json.dumps(value(0), ensure_ascii=rng.random() < 0.5).encode()
        if rng.random() < 0.3:  # JSON amid other text, as in an NDJSON line or a log
            data = b"prefix " + data + b"\nnext " + json.dumps(value(0)).encode()
        assert decode._escaped_literals(data) == decode._ESCAPED_STRING.findall(data), data


def test_a_payload_is_decoded_once_however_often_its_layers_are_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    decoded: list[bytes] = []
    real = decode._decoded
    monkeypatch.setattr(decode, "_decoded", lambda data, budget: decoded.append(data) or real(data, budget))
    payload = base64.b64encode(gzip.compress(b'{"email": "ada@example.org"}')) + b"&x=1"
    first = decode.decode_layers(payload)
    again = decode.decode_layers(bytes(bytearray(payload)))  # equal bytes, another object: the same payload
    assert again == first and len(first) > 2 and decoded == [payload]
    again.clear()  # the caller's list is its own: the cache keeps its answer
    assert decode.decode_layers(payload) == first and decoded == [payload]
    decode.decode_layers(payload, work_budget=1 << 20)  # a budget of its own: decoded anew, never cached
    assert decoded == [payload, payload]


def test_the_layer_cache_drops_the_least_recently_used_past_its_limit() -> None:
    cache = decode._LayerCache(limit=100)
    layers = {name: (decode.Layer((), name * 40),) for name in (b"a", b"b", b"c")}
    cache.put(b"a", layers[b"a"])
    cache.put(b"b", layers[b"b"])
    assert cache.get(b"a") is layers[b"a"]  # "a" is now the most recently used
    cache.put(b"c", layers[b"c"])  # 120 bytes: "b" goes
    assert cache.get(b"b") is None and cache.get(b"a") is layers[b"a"] and cache.get(b"c") is layers[b"c"]
    cache.put(b"huge", (decode.Layer((), b"x" * 101),))  # larger than the whole cache: not kept
    assert cache.get(b"huge") is None and cache.get(b"a") is not None


def test_binary_layers_give_their_base64_runs_and_text() -> None:
    rng = random.Random(8)
    binary = [rng.randbytes(size) for size in (600, 5000, 40000)]
    binary += [rng.randbytes(900) + base64.b64encode(rng.randbytes(30)) + rng.randbytes(900),  # a run
               rng.randbytes(700) + b"plain words, long enough" + rng.randbytes(700),
               rng.randbytes(800) + rng.randbytes(30).hex().encode() + b"\x00" + rng.randbytes(10)]
    for data in binary:
        runs = [match.group() for match in re.finditer(rb"[A-Za-z0-9+/_-]{16,}", data)
                if re.search(rb"[A-Z]", match.group()) and re.search(rb"[a-z]", match.group())]
        assert [run.rstrip(b"=") for run in _View(data, set()).base64_runs] == runs, len(data)
        text = [match.group() for match in re.finditer(rb"[\x20-\x7e\t\n\r]{16,}", data)]
        assert decode._text_within(data) == ([b"\n".join(text)] if text else []), len(data)
    assert decode._text_within(binary[4]) and _View(binary[3], set()).base64_runs


def test_percent_tokens_found_from_escapes_are_the_ones_a_regex_finds_at_every_position() -> None:
    rng = random.Random(9)
    token = re.compile(rb"""(?<![^\s"'<>\\])[^\s"'<>\\]*%[0-9A-Fa-f]{2}[^\s"'<>\\]*""")  # the definition
    alphabet = b'%%%4a1fG=&+ \t\n\r\f\v"\'<>\\x'
    for _ in range(3000):
        data = bytes(rng.choice(alphabet) for _ in range(rng.randrange(0, 60)))
        assert decode._percent_tokens(data) == token.findall(data), data


def test_the_deflate_header_check_rules_out_only_what_zlib_rejects() -> None:
    rng = random.Random(9)
    text = b"the quick brown fox, canary.ada@example.org, " * 40
    streams = []
    for level in range(10):  # 0: stored blocks, 1..9: fixed and dynamic Huffman codes
        for data in (text, rng.randbytes(300), b"", text[:7]):
            compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
            streams.append(compressor.compress(data) + compressor.flush())
    assert all(decode._may_start_deflate(stream) for stream in streams if len(stream) > 1)
    noise = [rng.randbytes(size) for size in (2, 3, 4, 5, 6, 40, 300) for _ in range(300)]
    for data in noise + streams:
        if decode._inflate(data, -15) is not None:
            assert decode._may_start_deflate(data), data.hex()
    assert sum(map(decode._may_start_deflate, noise)) < 0.6 * len(noise)  # type 3 and stored blocks' lengths


def test_lz_string_can_only_start_with_the_characters_the_gate_lets_through() -> None:
    alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    starts = {char for char in alphabet
              if decode._lz_decompress(decode._six_bit_stream(bytes([char]) + b"AAA"), 24, 6, partial=True) is not None}
    assert starts == decode._LZ_FIRST


def test_no_brotli_stream_starts_with_a_first_byte_the_check_rules_out() -> None:
    rng = random.Random(12)
    for quality in (0, 1, 5, 11):
        for window in (10, 16, 22, 24):
            for data in (b"", b"a", rng.randbytes(200), b"the quick brown fox " * 50):
                stream = brotli.compress(data, quality=quality, lgwin=window)
                assert stream[0] not in decode._NOT_BROTLI
                assert decode._unbrotli(stream) == data or not data  # (an empty stream holds nothing to find)
    for first in decode._NOT_BROTLI:  # what brotli rejects from its first byte, it rejects whatever follows
        for _ in range(20):
            with pytest.raises(brotli.error):
                brotli.Decompressor().process(bytes((first,)) + rng.randbytes(rng.randrange(1, 64)))
    assert 0 < len(decode._NOT_BROTLI) < 128
