"""The fast paths of harness/privacy/decode.py give exactly what the plain ones give: runs by regex in small
layers, magic numbers by regex, hex runs looked for inside base64-class runs, misaligned base64 by bit shifts."""

from __future__ import annotations

import base64
import gzip
import random

import numpy as np
import pytest

from harness.privacy import decode
from harness.privacy.decode import (
    _BASE64,
    _HEX,
    _PRINTABLE,
    _SHIFT_FROM,
    _SMALL,
    _classes,
    _decoded_alignments,
    _decoded_from,
    _long_runs,
    _magic_positions,
    _runs,
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


@pytest.mark.parametrize(("flag", "length"), [(_BASE64, 16), (_HEX, 40), (_PRINTABLE, 16)])
def test_small_layers_find_the_same_runs(flag: int, length: int) -> None:
    for data in samples():
        fast = _runs(data, lambda data=data: _classes(data), flag, length)  # type: ignore[misc]
        plain = _long_runs(_classes(data), flag, length)
        assert [run.tolist() for run in fast] == [run.tolist() for run in plain], len(data)


def test_magic_numbers_found_the_same_in_small_data(monkeypatch: pytest.MonkeyPatch) -> None:
    for data in samples():
        fast = _magic_positions(data, _classes(data))
        monkeypatch.setattr(decode, "_SMALL", 0)
        assert fast == _magic_positions(data, _classes(data)), len(data)
        monkeypatch.setattr(decode, "_SMALL", _SMALL)


def test_hex_runs_inside_base64_runs_are_every_hex_run() -> None:
    rng = random.Random(3)
    for data in samples() + [rng.randbytes(40).hex().encode() * 30 + b"-" + rng.randbytes(700).hex().encode()]:
        starts, ends = _long_runs(_classes(data), _HEX, decode.MIN_HEX_RUN)
        expected = []
        for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
            expected += [bytes.fromhex(data[start + offset : end - (end - start - offset) % 2].decode())
                         for offset in (0, 1)]
        found = decode._hex(_View(data, set()))
        assert found == decode._with_compressed(decode._text_and_binary(expected), expected[::2])


def test_base64_alignments_by_shifting_equal_decoding_each() -> None:
    rng = random.Random(5)
    alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    for size in [*range(_SHIFT_FROM, _SHIFT_FROM + 9), 4096, 4099, 30001]:
        core = bytes(rng.choice(alphabet) for _ in range(size))
        assert _decoded_alignments(core) == [_decoded_from(core, offset) for offset in range(4)], size
    shifted = _decoded_alignments(b"xy" + base64.b64encode(b"hello " * 400).rstrip(b"="))
    assert b"hello hello" in shifted[2]
    assert np.frombuffer(shifted[0], dtype=np.uint8).size == (2 + 3200) * 6 // 8
