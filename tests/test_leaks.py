"""Tests for harness/leaks.py: every variant and encoding found, nothing found where nothing is, and nothing
returned that could show a protected value."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import random
import re
import zlib
from collections.abc import Callable
from urllib.parse import quote

import pytest
import zstandard

from harness.privacy import leaks
from harness.privacy.decode import Layer
from harness.privacy.leaks import Hit, LeakScanner, Protected, fingerprint

KEY = b"per-run key for the tests, 32 b."

EMAIL = Protected("email", "Ada.Lovelace@Example.org", "email")
PASSWORD = Protected("password", "Hunter2-Secret!", "password")
CARD = Protected("card", "4111 1111 1111 1111", "card")
PIN = Protected("pin", "482913", "pin")
NAME = Protected("name", "  Ada Lovelace ", "name")  # typed with stray spaces
SHORT = Protected("code", "qz7k", "otp")  # shorter than six: no prefixes, and only as a word of its own
VALUES = [EMAIL, PASSWORD, CARD, PIN, NAME, SHORT]


@pytest.fixture(scope="module")
def scanner() -> LeakScanner:
    return LeakScanner(VALUES, KEY)


def found(hits: list[Hit]) -> set[tuple[str, str, tuple[str, ...]]]:
    return {(hit.name, hit.variant, hit.chain) for hit in hits}


def b64(data: str | bytes, alphabet: bytes = b"+/") -> str:
    return base64.b64encode(data.encode() if isinstance(data, str) else data, alphabet).decode()


def raw_values(protected: Protected, min_prefix: int = 4) -> list[str]:
    """The value and every prefix a reader could take for it: none of these may be shown."""
    value = protected.value
    return [value, value.strip(), value.lower()] + [value[:length] for length in range(min_prefix, len(value))]


def assert_safe(text: str | bytes, values: list[Protected] = VALUES) -> None:
    """`text` shows no protected value, whole or as a prefix of `min_prefix` or more characters."""
    shown = text if isinstance(text, str) else text.decode("utf-8", "surrogateescape")
    for protected in values:
        # A value shorter than six has no prefix variants: its own prefixes are too short to mean anything.
        forms = [protected.value] if len(protected.value.strip()) < 6 else raw_values(protected)
        for form in forms:
            assert form not in shown, f"{protected.name} shows in {text!r}"


# --- fingerprints and reprs -------------------------------------------------------------------------------------


def test_fingerprint_is_a_short_keyed_digest() -> None:
    marker = fingerprint("482913", KEY)
    assert re.fullmatch(r"⟦fp:[0-9a-f]{12}⟧", marker)
    assert marker == fingerprint("482913", KEY)
    assert marker != fingerprint("482913", b"another run's key")
    # Without the key, hashing all six-digit PINs finds nothing: the marker is not a plain digest.
    assert marker[4:16] not in (hashlib.sha256(b"482913").hexdigest(), hashlib.md5(b"482913").hexdigest())
    with pytest.raises(ValueError, match="non-empty"):
        fingerprint("482913", b"")


@pytest.mark.parametrize("protected", VALUES, ids=[protected.name for protected in VALUES])
def test_protected_never_shows_its_value(protected: Protected) -> None:
    shown = [repr(protected), str(protected), f"{protected}", repr([protected]), repr({"x": protected})]
    for text in shown:
        assert_safe(text, [protected])
        assert f"name={protected.name!r}" in text and f"kind={protected.kind!r}" in text
        assert re.search(r"⟦fp:[0-9a-f]{12}⟧", text)


def test_protected_needs_a_value() -> None:
    with pytest.raises(ValueError, match="'pin' must be a non-empty string"):
        Protected("pin", "", "pin")


def test_scanner_repr_shows_no_value(scanner: LeakScanner) -> None:
    assert_safe(repr(scanner))
    assert repr(scanner).startswith("<LeakScanner values=6 patterns=")


# --- what is found ----------------------------------------------------------------------------------------------


def json_body(value: str) -> bytes:
    return json.dumps({"event": "input", "v": value, "ts": 1700000000000}).encode()


TEXT_VARIANTS: list[tuple[str, bytes, str, str]] = [
    ("as typed", json_body("Ada.Lovelace@Example.org"), "email", "exact"),
    ("lowercased", json_body("ada.lovelace@example.org"), "email", "lowercase"),
    ("trimmed", json_body("Ada Lovelace"), "name", "trimmed"),
    ("trimmed and lowercased", json_body("ada lovelace"), "name", "lowercase"),
    ("card as typed", json_body("4111 1111 1111 1111"), "card", "exact"),
    ("card digits", json_body("4111111111111111"), "card", "card-digits"),
    ("card dashes", json_body("4111-1111-1111-1111"), "card", "card-dashed"),
    ("card in a number field", b'{"pan":4111111111111111}', "card", "card-digits"),
    ("pin", b"pin=482913&ok=1", "pin", "exact"),
    ("short value standing alone", json_body("qz7k"), "code", "exact"),
    ("utf16", b"\xff\xfe" + "Hunter2-Secret!".encode("utf-16-le"), "password", "exact/utf16"),
    ("utf16 prefix", '{"k":"Hunter2-Se"}'.encode("utf-16-le"), "password", "prefix:10/15/utf16"),
    ("utf16 prefix after a byte order mark", b"\xff\xfe" + "Hunter2-Se".encode("utf-16-le"), "password",
     "prefix:10/15/utf16"),
    ("prefix after a byte order mark", b"\xef\xbb\xbfHunter2-Se", "password", "prefix:10/15"),
    ("keylogger prefix", json_body("Hunter2-Se"), "password", "prefix:10/15"),
    ("shortest prefix", json_body("Hunt"), "password", "prefix:4/15"),
]


@pytest.mark.parametrize(
    ("payload", "name", "variant"), [case[1:] for case in TEXT_VARIANTS], ids=[case[0] for case in TEXT_VARIANTS]
)
def test_text_variants_are_found(scanner: LeakScanner, payload: bytes, name: str, variant: str) -> None:
    hits = scanner.scan(payload)
    assert [(hit.name, hit.variant) for hit in hits] == [(name, variant)]


DIGESTS: list[tuple[str, str, Callable[[bytes], str]]] = [
    (algorithm, form, encode)
    for algorithm in ("md5", "sha1", "sha256", "sha512")
    for form, encode in (
        ("hex", lambda digest: digest.hex()),
        ("HEX", lambda digest: digest.hex().upper()),
        ("base64", lambda digest: base64.b64encode(digest).decode()),
        ("base64-nopad", lambda digest: base64.b64encode(digest).decode().rstrip("=")),
        ("base64url", lambda digest: base64.urlsafe_b64encode(digest).decode()),
        ("base64url-nopad", lambda digest: base64.urlsafe_b64encode(digest).decode().rstrip("=")),
    )
]


@pytest.mark.parametrize(("algorithm", "form", "encode"), DIGESTS, ids=[f"{case[0]}-{case[1]}" for case in DIGESTS])
def test_every_digest_form_is_found(
    scanner: LeakScanner, algorithm: str, form: str, encode: Callable[[bytes], str]
) -> None:
    for source, text in (("", "Ada.Lovelace@Example.org"), ("(lowercase)", "ada.lovelace@example.org")):
        digest = hashlib.new(algorithm, text.encode()).digest()
        # Without '+' or '/', base64url is base64: the first form listed names the hit.
        label = next(name for case, name, other in DIGESTS if case == algorithm and other(digest) == encode(digest))
        hits = scanner.scan(json.dumps({"em": encode(digest)}).encode())
        # A base64 digest is also a base64 run, decoded to noise: only the digest itself is a hit.
        assert [(hit.name, hit.variant, hit.chain) for hit in hits] == [("email", f"{algorithm}-{label}{source}", ())]


def test_a_digest_of_the_trimmed_value_is_found(scanner: LeakScanner) -> None:
    digest = hashlib.sha256(b"Ada Lovelace").hexdigest()
    assert found(scanner.scan(digest.encode())) == {("name", "sha256-hex(trimmed)", ())}


def test_a_digest_of_the_card_digits_is_found(scanner: LeakScanner) -> None:
    digest = hashlib.sha256(b"4111111111111111").hexdigest()
    assert found(scanner.scan(digest.encode())) == {("card", "sha256-hex(card-digits)", ())}


SECRET = PASSWORD.value
# An rrweb input event as a recorder sends it, the typed password in it.
RRWEB_INPUT = json.dumps([{"type": 3, "data": {"source": 5, "text": SECRET, "isChecked": False, "id": 41}}]).encode()


def raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()

LZ_PASSWORD = Protected("password", "hunter2-Secret!", "password")  # the value inside the lz-string vector
SLASHY = Protected("password", "Secret???Hunter2", "password")
ENCODED: list[tuple[str, Protected, bytes, tuple[str, ...]]] = [
    ("base64", PASSWORD, json.dumps({"p": b64(SECRET)}).encode(), ("base64",)),
    ("base64 url-safe", PASSWORD, json.dumps({"p": b64(f"??>{SECRET}", b"-_")}).encode(), ("base64",)),
    ("base64 inside text", PASSWORD, json.dumps({"p": b64(f"user=ada;pw={SECRET};")}).encode(), ("base64",)),
    ("base64 of a PIN, shorter than a run", PIN, b'{"p":"' + b64("482913").encode() + b'"}', ("base64",)),
    ("hex", PASSWORD, json.dumps({"p": SECRET.encode().hex()}).encode(), ("hex",)),
    ("hex of a PIN", PIN, json.dumps({"p": b"482913".hex()}).encode(), ("hex",)),
    (
        "hex of a long text",
        PASSWORD,
        json.dumps({"p": f"session for {SECRET} at noon".encode().hex()}).encode(),
        ("hex",),
    ),
    ("url twice", PASSWORD, b"q=" + quote(quote(SECRET, safe=""), safe="").encode(), ("form", "url")),
    ("json escapes", PASSWORD, b'{"p":"Hunter2\\u002dSecret\\u0021"}', ("json",)),
    ("html entities", PASSWORD, b"<input value='Hunter2&#45;Secret&excl;'>", ("html",)),
    (
        # Its base64 is "U2VjcmV0Pz8/SHVudGVyMg==": PHP's JSON escapes the '/' and cuts it in two short runs.
        "gzip > json > base64",
        SLASHY,
        gzip.compress(json.dumps({"b": b64(SLASHY.value)}).replace("/", "\\/").encode()),
        ("gzip", "json", "base64"),
    ),
    (
        "zlib item of a Sentry envelope, after its header lines",
        PASSWORD,
        b'{"event_id":"e1"}\n{"type":"replay_event"}\n{"replay_id":"r1"}\n{"type":"replay_recording","length":%d}\n%s'
        % (len(zlib.compress(RRWEB_INPUT)), zlib.compress(RRWEB_INPUT)),
        ("lines", "zlib"),
    ),
    (
        "six layers deep",
        PASSWORD,
        b64(gzip.compress(json.dumps({"d": b64(raw_deflate(b64(RRWEB_INPUT).encode())).rstrip("=")}).encode())).encode(),
        ("base64", "gzip", "base64", "deflate", "base64"),
    ),
    (
        "raw deflate in unpadded url-safe base64 glued to an id",
        PASSWORD,
        b"https://t.test/p.gif?d=id" + b64(raw_deflate(RRWEB_INPUT), b"-_").rstrip("=").encode(),
        ("base64", "deflate"),
    ),
    (
        "a length-prefixed raw deflate record",
        PASSWORD,
        len(raw_deflate(RRWEB_INPUT)).to_bytes(4, "big") + raw_deflate(RRWEB_INPUT) + b"\0\0\0\1\7",
        ("length-prefixed", "deflate"),
    ),
    (
        "zstd at an offset of a binary body",
        PASSWORD,
        bytes(range(200)) + zstandard.ZstdCompressor().compress(RRWEB_INPUT + b"{\"type\":2}" * 40) + b"\0end",
        ("embedded", "zstd"),
    ),
    (
        "lz-string, from the npm package (see test_decode's vectors)",
        LZ_PASSWORD,
        b'{"s":"N4IgpgtghglgNiAXCKATKA6OB7AbmOKAYzAAEwAPKCABzjA2wCcBzEAGhBqgGceB3ZqiQgAFgFcAdgBcwTAEwBaAMpgiTMNICEIAL5A="}',
        ("lz-base64",),
    ),
]


@pytest.mark.parametrize(
    ("protected", "payload", "chain"), [case[1:] for case in ENCODED], ids=[case[0] for case in ENCODED]
)
def test_encoded_values_are_found_with_their_chain(
    protected: Protected, payload: bytes, chain: tuple[str, ...]
) -> None:
    assert protected.value.encode() not in payload
    hits = LeakScanner([protected], KEY).scan(payload)
    assert [(hit.variant, hit.chain) for hit in hits] == [("exact", chain)]


# --- what is not found ------------------------------------------------------------------------------------------


def test_random_bytes_hold_nothing(scanner: LeakScanner) -> None:
    rng = random.Random(11)
    for _ in range(20):
        assert scanner.scan(rng.randbytes(200_000)) == []


def test_unrelated_tracker_traffic_holds_nothing(scanner: LeakScanner) -> None:
    rng = random.Random(12)
    events = [
        {
            "t": "click",
            "ts": 1_700_000_000_000 + index * 37,
            "url": f"https://shop.test/products/item-{rng.randrange(10**6)}?ref=home&utm_source=mail",
            "sid": f"{rng.getrandbits(64):016x}",
            "trace": f"{rng.getrandbits(128):032x}",
            "xy": [rng.randrange(1280), rng.randrange(720)],
            "token": b64(rng.randbytes(24)),
        }
        for index in range(2000)
    ]
    body = json.dumps({"events": events}).encode()
    assert scanner.scan(body) == []
    assert scanner.scan(gzip.compress(body)) == []


COINCIDENCES: list[tuple[str, bytes]] = [
    ("a short value inside a word", b'{"w":"aqz7kb"}'),
    ("a short value's prefix", b'{"w":"qz7"}'),  # values under six characters have no prefix variants
    ("a PIN inside a longer number", b'{"ts":17004829131234}'),
    ("a PIN's prefix inside a number", b'{"ts":1700482900}'),
    ("a prefix inside a longer word", b'{"w":"Hunterland"}'),
    ("a prefix followed by more of a word", b'{"w":"Hunter2-Sex"}'),
    ("a card number inside a longer one", b'{"n":"41111111111111112"}'),
    ("a prefix shorter than min_prefix", b'{"w":"Hun"}'),
]


@pytest.mark.parametrize("payload", [case[1] for case in COINCIDENCES], ids=[case[0] for case in COINCIDENCES])
def test_coincidences_are_not_leaks(scanner: LeakScanner, payload: bytes) -> None:
    assert scanner.scan(payload) == []


def test_a_short_value_is_not_found_by_chance_in_random_bytes() -> None:
    # Random bytes hold "qz7k" about once in four gigabytes, but its own prefixes, or the value inside longer
    # words, often: neither may count.
    rng = random.Random(13)
    pieces = []
    for _ in range(2000):
        pieces.append(rng.randbytes(rng.randrange(0, 200)))
        pieces.append(rng.choice([b"qz7", b"qz7" + bytes([rng.choice(b'x"& ')]), b"aqz7k", b"qz7kb", b"9qz7k0"]))
    data = b"".join(pieces)
    assert data.count(b"qz7") >= 2000
    assert LeakScanner([SHORT], KEY).scan(data) == []
    assert [hit.variant for hit in LeakScanner([SHORT], KEY).scan(data + b' "qz7k"')] == ["exact"]


def test_min_prefix_sets_the_shortest_prefix(scanner: LeakScanner) -> None:
    payload = json_body("Hunter")
    assert [hit.variant for hit in scanner.scan(payload)] == ["prefix:6/15"]
    assert LeakScanner([PASSWORD], KEY, min_prefix=7).scan(payload) == []
    with pytest.raises(ValueError, match="min_prefix must be 2 or more, got 1"):
        LeakScanner([PASSWORD], KEY, min_prefix=1)


# --- choosing among matches -------------------------------------------------------------------------------------


def test_a_whole_value_supersedes_prefixes_in_the_same_layer(scanner: LeakScanner) -> None:
    # A keylogger sends each state of the field; the last one is the whole value.
    payload = json.dumps({"k": ["Hunt", "Hunter2", "Hunter2-Secr", SECRET]}).encode()
    assert found(scanner.scan(payload)) == {("password", "exact", ())}


def test_the_longest_prefix_wins_at_one_place(scanner: LeakScanner) -> None:
    assert [hit.variant for hit in scanner.scan(json_body("Hunter2-Secr"))] == ["prefix:12/15"]


def test_each_occurrence_is_a_hit_once(scanner: LeakScanner) -> None:
    payload = f'{{"a":"{SECRET}","b":"x","c":"{SECRET}"}}'.encode()
    hits = scanner.scan(payload)
    assert [(hit.variant, hit.chain) for hit in hits] == [("exact", ()), ("exact", ())]
    assert [hit.offset for hit in hits] == [payload.index(SECRET.encode()), payload.rindex(SECRET.encode())]


def test_a_value_seen_plainly_is_not_reported_again_through_json_or_url(scanner: LeakScanner) -> None:
    # The JSON has an escape elsewhere, and a percent-escape: both decoded layers hold the value again.
    payload = b'{"a":"' + SECRET.encode() + b'","b":"line\nbreak","u":"https://x.test/?q=%20"}'
    assert found(scanner.scan(payload)) == {("password", "exact", ())}


def test_a_value_shown_again_only_once_decoded_is_reported_again(scanner: LeakScanner) -> None:
    payload = f'{{"a":"{SECRET}","b":"{b64(SECRET)}"}}'.encode()
    assert found(scanner.scan(payload)) == {("password", "exact", ()), ("password", "exact", ("base64",))}


def test_offsets_point_into_the_layer_of_the_chain(scanner: LeakScanner) -> None:
    payload = gzip.compress(json_body(SECRET))
    (hit,) = scanner.scan(payload)
    assert hit.chain == ("gzip",)
    assert gzip.decompress(payload)[hit.offset : hit.offset + len(SECRET)] == SECRET.encode()


# --- nothing returned shows a value -----------------------------------------------------------------------------


def crowded_payload() -> bytes:
    """Every value, several prefixes and encodings, packed close together: excerpts overlap all of them."""
    parts = [protected.value for protected in VALUES] + ["Hunt", "Hunter2-Se", "Ada.Lov", "4111 1111"]
    parts += [
        b64(SECRET),
        SECRET.encode().hex(),
        quote(EMAIL.value, safe=""),
        hashlib.sha256(SECRET.encode()).hexdigest(),
    ]
    parts += [f"x{SECRET}y", f"{EMAIL.value.lower()}"]
    return json.dumps({"p": parts}).encode() + "Hunter2-Secret!".encode("utf-16-le")


def test_excerpts_mask_every_value_and_prefix(scanner: LeakScanner) -> None:
    hits = scanner.scan(crowded_payload()) + scanner.scan(gzip.compress(crowded_payload()))
    assert {hit.name for hit in hits} == {protected.name for protected in VALUES}
    for hit in hits:
        assert_safe(hit.excerpt)
        assert_safe(hit.excerpt.decode("utf-16-le", "ignore"))
        assert fingerprint(next(p.value for p in VALUES if p.name == hit.name), KEY).encode() in hit.excerpt


def test_an_excerpt_is_the_bytes_around_the_hit(scanner: LeakScanner) -> None:
    payload = b"." * 100 + b"<" + SECRET.encode() + b">" + b"," * 100
    (hit,) = scanner.scan(payload)
    marker = fingerprint(SECRET, KEY).encode()
    assert hit.excerpt == b"." * 39 + b"<" + marker + b">" + b"," * 39


def test_hits_print_safely(scanner: LeakScanner) -> None:
    hits = scanner.scan(crowded_payload())
    assert hits
    for hit in hits:
        assert_safe(repr(hit))
        assert_safe(str(hit))
        assert repr(hit).startswith(f"<Hit name={hit.name!r} kind={hit.kind!r} variant={hit.variant!r} chain=")
    assert_safe(repr(hits))


def test_one_automaton_searches_each_layer_once(scanner: LeakScanner, monkeypatch: pytest.MonkeyPatch) -> None:
    # One multi-pattern pass per layer, however many values and variants: not a loop of `in`.
    calls: list[int] = []
    search = scanner._matcher.find

    class Counting:
        def find(self, data: bytes) -> list[tuple[int, int, int]]:
            calls.append(len(data))
            return search(data)

    monkeypatch.setattr(scanner, "_matcher", Counting())
    payload = gzip.compress(json.dumps({"b": b64(SECRET), "h": "x" * 100}).encode())
    layers = leaks.decode_layers(payload)
    scanner.scan(payload)
    assert len(calls) == len(layers) - 1  # the compressed bytes themselves are not searched
    assert len(scanner._patterns) > 20 * len(VALUES)


def test_a_scanner_without_values_finds_nothing() -> None:
    assert LeakScanner([], KEY).scan(SECRET.encode()) == []


def test_a_payload_sent_again_is_not_decoded_again(monkeypatch: pytest.MonkeyPatch) -> None:
    scanner = LeakScanner(VALUES, KEY)
    payload = json.dumps({"e": EMAIL.value, "b": b64(SECRET)}).encode()
    expected = found(LeakScanner(VALUES, KEY).scan(payload))
    calls: list[int] = []
    decode_layers = leaks.decode_layers

    def counting(data: bytes) -> list[Layer]:
        calls.append(len(data))
        return decode_layers(data)

    monkeypatch.setattr(leaks, "decode_layers", counting)
    first = scanner.scan(payload)
    first.clear()  # the caller's list is its own
    again = scanner.scan(bytes(bytearray(payload)))  # equal bytes, another object
    assert found(again) == expected and len(expected) == 2
    assert found(scanner.scan(memoryview(payload))) == expected  # type: ignore[arg-type]
    assert calls == [len(payload)]
    assert scanner.scan(b"other") == [] and len(calls) == 2


def test_the_scan_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(leaks, "SCAN_CACHE_BYTES", 100)
    scanner = LeakScanner(VALUES, KEY)
    payloads = [json.dumps({"n": index, "p": PIN.value, "pad": "x" * 30}).encode() for index in range(10)]
    for payload in payloads:
        assert found(scanner.scan(payload)) == {("pin", "exact", ())}
    assert sum(map(len, scanner._scanned)) <= 100
    assert found(scanner.scan(payloads[0])) == {("pin", "exact", ())}
