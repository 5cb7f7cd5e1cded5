"""harness/privacy/byteruns.py: both backends find exactly the runs a regex finds, wherever they lie."""

from __future__ import annotations

import base64
import gzip
import json
import random
import re
import shutil
import sys
import sysconfig
from pathlib import Path

import pytest

from harness.privacy import byteruns, decode
from harness.privacy.byteruns import BASE64, HEX, LOWER, PRINTABLE, UPPER, available_backends, runs

CLASS_EXPRESSIONS = {
    BASE64: rb"[A-Za-z0-9+/_-]",
    HEX: rb"[0-9a-fA-F]",
    PRINTABLE: rb"[\x20-\x7e\t\n\r]",
}
CASES = {UPPER: rb"[A-Z]", LOWER: rb"[a-z]"}


def expected(data: bytes, flag: int, min_length: int, need: int = 0) -> list[tuple[int, int]]:
    """The runs by their definition: a greedy regex match is a maximal run; `need` checked by regex too."""
    found = [match.span() for match in re.finditer(CLASS_EXPRESSIONS[flag] + b"{%d,}" % min_length, data)]
    for case, expression in CASES.items():
        if need & case:
            found = [(start, end) for start, end in found if re.search(expression, data[start:end])]
    return found


def samples(seed: int) -> list[bytes]:
    rng = random.Random(seed)
    alphabet = b'ABCXYZabcxyz0189+/-_ .,"=\n\t\xff\x00'
    made = [bytes(rng.choice(alphabet) for _ in range(rng.randrange(0, 3000))) for _ in range(40)]
    made += [rng.randbytes(size) for size in (100, 600, 5000, 40000)]  # binary: the gate's case
    made += [rng.randbytes(900) + rng.randbytes(30).hex().encode() + rng.randbytes(900),
             b"x" * 16, b"x" * 15, b"A" * 40 + b"b", b"", b"0123456789abcdef" * 300 + b"G"]  # whole, short, at the ends
    # Text with few capitals, as a tracker's JSON is (the native scan looks for the capitals), then with base64
    # in it, then turning into binary part way (where it goes back to sampling).
    words = b" ".join(rng.choice((b"cart", b"home", b"x86_64", b"id", b"Gecko", b"abcdefghijklmnopqrst")) for _ in range(900))
    blob = base64.b64encode(rng.randbytes(3000))
    made += [words, words[:2000] + blob + words[2000:], words[:3000] + rng.randbytes(4000) + words[:500] + b"Qq" * 9]
    return made


@pytest.mark.parametrize("backend", available_backends())
@pytest.mark.parametrize("seed", range(3))
def test_runs_are_the_maximal_runs_a_regex_finds(backend: byteruns.Backend, seed: int) -> None:
    for data in samples(seed):
        for flag in CLASS_EXPRESSIONS:
            for min_length in (1, 2, 15, 16, 17, 40, 64, 65, 100):
                for need in (0, UPPER, UPPER | LOWER):
                    assert runs(data, flag, min_length, need, backend) == expected(data, flag, min_length, need), (
                        len(data), flag, min_length, need)


@pytest.mark.parametrize("backend", available_backends())
def test_runs_among_many_capitals_are_found_from_wherever_they_start(backend: byteruns.Backend) -> None:
    # Where capitals come thick (camelCase keys, binary), the native scan stops walking out from each: a run that
    # starts before the capital it stops at must still be found whole.
    assert runs(b"A!" * 14 + b"abcdefghijklmnoPqrst!", BASE64, 20, UPPER | LOWER, backend) == [(28, 48)]
    assert runs(b"aB" + b"a" * 298, BASE64, 300, UPPER | LOWER, backend) == [(0, 300)]
    rng = random.Random(21)
    for _ in range(300):
        pieces = [rng.choice((b"Q!", b"kN,", b"\xff", rng.randbytes(3))) for _ in range(rng.randrange(0, 80))]
        pieces.insert(rng.randrange(len(pieces) + 1), b"x" * rng.randrange(0, 40) + b"Z" + b"y" * rng.randrange(0, 40))
        data = b"".join(pieces)
        for min_length in (16, 20, 40):
            assert runs(data, BASE64, min_length, UPPER | LOWER, backend) == expected(data, BASE64, min_length,
                                                                                    UPPER | LOWER), data


@pytest.mark.parametrize("backend", available_backends())
def test_a_minimum_longer_than_the_data_finds_nothing(backend: byteruns.Backend) -> None:
    for flag in CLASS_EXPRESSIONS:
        for need in (0, UPPER | LOWER):
            assert runs(b"ab" + b"C" * 40, flag, sys.maxsize, need, backend) == []
    if "native" in available_backends():
        assert byteruns._NATIVE is not None
        # The capitals' run starts two bytes in: a scan handed over there would start past the end of memory.
        assert byteruns._NATIVE.runs(b"!!" + b"C" * 40, byteruns.CLASSES, BASE64, sys.maxsize, UPPER, UPPER) == []


@pytest.mark.parametrize("backend", available_backends())
def test_a_run_needs_every_class_asked_for_anywhere_in_it(backend: byteruns.Backend) -> None:
    mixed = b"x" * 5000 + b"Q" + b"y" * 10  # the one capital far from the start
    assert runs(b" " + mixed + b" ", BASE64, 16, UPPER | LOWER, backend) == [(1, len(mixed) + 1)]
    assert runs(b"abcdefghijklmnopqrstuvwxyz", BASE64, 16, UPPER | LOWER, backend) == []


@pytest.mark.parametrize("backend", available_backends())
def test_a_minimum_below_one_or_an_unknown_class_is_refused_by_either_backend(backend: byteruns.Backend) -> None:
    with pytest.raises(ValueError, match="min_length"):
        runs(b"abc", BASE64, 0, 0, backend)
    for flag, need in ((0, 0), (32, 0), (BASE64 | HEX, 0), (BASE64, 256)):
        with pytest.raises(ValueError, match="flag must be"):
            runs(b"abc" * 300, flag, 16, need, backend)


def test_the_native_backend_is_built_wherever_a_c_compiler_is() -> None:
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(compiler) is None:
        pytest.skip(f"no C compiler ({compiler}): the package installs with the array backend only")
    if not (Path(sysconfig.get_paths()["include"]) / "Python.h").is_file():
        pytest.skip("no Python headers (python3-dev): the package installs with the array backend only")
    assert available_backends() == ("native", "array"), "the C backend was not built at install"
    assert runs(b" " + b"aB" * 8, BASE64, 16) == [(1, 17)]  # and it is the default


def test_the_native_backend_refuses_a_table_of_the_wrong_size() -> None:
    if "native" not in available_backends():
        pytest.skip("the C backend is not built here")
    assert byteruns._NATIVE is not None
    with pytest.raises(ValueError, match="256"):
        byteruns._NATIVE.runs(b"abc", b"\x01" * 255, BASE64, 1, 0)


def test_the_native_scan_finds_the_same_runs_from_any_anchor_or_none() -> None:
    if "native" not in available_backends():
        pytest.skip("the C backend is not built here")
    assert byteruns._NATIVE is not None
    native = byteruns._NATIVE.runs
    for data in samples(7):
        for need in (UPPER, LOWER, UPPER | LOWER):
            plain = native(data, byteruns.CLASSES, BASE64, 16, need)
            assert plain == expected(data, BASE64, 16, need)
            for anchor in (UPPER, LOWER):  # each a range of byte values; as a class of need, the anchor
                if anchor & need:
                    assert native(data, byteruns.CLASSES, BASE64, 16, need, anchor) == plain, (len(data), need)
    # Hex digits are three ranges: no vector search for them, the sampling scan answers alike.
    hexed = b"zz" + b"0123456789abcdefABCDEF" * 4 + b"zz"
    assert native(hexed, byteruns.CLASSES, BASE64, 16, HEX, HEX) == [(0, len(hexed))]
    with pytest.raises(ValueError, match="anchor"):
        native(b"abc", byteruns.CLASSES, BASE64, 1, UPPER, LOWER)


def test_decoding_gives_the_same_layers_on_either_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    if "native" not in available_backends():
        pytest.skip("one backend here")
    rng = random.Random(2)
    secret = b'{"email": "ada@example.org", "card": "4111111111111111"}'
    payloads = [
        json.dumps({"events": [{"id": rng.randbytes(16).hex(), "u": f"/shop/item-{index}?ref=home_page"}
                               for index in range(200)], "d": base64.b64encode(gzip.compress(secret)).decode()}).encode(),
        b"id=x" + base64.b64encode(b"user=" + secret).rstrip(b"="),
        rng.randbytes(3000) + secret.hex().encode() + rng.randbytes(100),
        base64.b64encode(rng.randbytes(6000)) + base64.b64encode(secret),
    ]
    decode.forget_decoded()
    native = [decode.decode_layers(payload, work_budget=1 << 24) for payload in payloads]
    monkeypatch.setattr(byteruns, "_NATIVE", None)
    assert available_backends() == ("array",)
    assert [decode.decode_layers(payload, work_budget=1 << 24) for payload in payloads] == native
    assert all(any(secret in layer.data for layer in layers) for layers in native)


def test_text_is_utf8_without_a_nul_on_either_backend() -> None:
    if "native" not in available_backends():
        pytest.skip("the C backend is not built here")
    assert byteruns._NATIVE is not None
    native, python = byteruns._NATIVE.is_text, byteruns._decodes_as_text
    rng = random.Random(11)
    cases = [b"", b"\0", b"plain ascii" * 20, b"x" * 7 + b"\0", b"x" * 8 + b"\0", "é👋 Grüße".encode() * 30]
    cases += [rng.randbytes(size) for size in range(0, 40) for _ in range(20)]
    text = "".join(chr(rng.choice((rng.randrange(32, 127), rng.randrange(0x80, 0x800), rng.randrange(0xE000, 0x10000),
                                   rng.randrange(0x10000, 0x110000)))) for _ in range(3000)).encode()
    cases += [text, text[:-1], text + b"\0", text[:1500] + b"\xc0\x80" + text[1500:]]
    # Every lead byte with every second byte, whole or cut short, after ASCII (the eight-byte steps) or not.
    for lead in range(256):
        for second in range(256):
            for tail in (b"", b"\x80", b"\x80\x80"):
                sequence = bytes((lead, second)) + tail
                cases += [sequence, b"abcdefgh" + sequence + b"ij"]
    for data in cases:
        assert native(data) == python(data), data[:20].hex()
    assert byteruns.is_text is native
