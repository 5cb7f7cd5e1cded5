"""Tests for harness/privacy/variants.py: the leak scanner and the redactor agree on every spelling of a value.

The scanner searches for the spellings `variants` lists, the redactor replaces them; a spelling one side knows
and the other does not is either a leak nobody reports or a secret stored in clear in the evidence. Each test
below takes what one side actually built (its automaton's patterns) and asks the other side about it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest

from harness.capture.proxy import WebSocketFrame
from harness.privacy.decode import DECODERS
from harness.privacy.leaks import LeakScanner, Protected, fingerprint
from harness.privacy.redact import Redactor, keystroke_parts, mask_keystrokes
from harness.privacy.variants import SPELLINGS, Variant, reported_prefix, variants

KEY = b"per-run key for the tests, 32 b."

# One value of each kind the scenarios protect, with the characters every escaping treats differently.
KINDS: list[tuple[str, Protected]] = [
    ("text", Protected("note", "Canary note qz7k", "text")),
    ("email", Protected("email", "Ada.Lovelace+news@Example.org", "email")),
    ("card number", Protected("card", "4111 1111 1111 1111", "card")),
    ("card number in a plain field", Protected("pan", "4111-1111-1111-1111", "text")),
    ("PIN", Protected("pin", "482913", "pin")),
    ("one-time code shorter than SHORT", Protected("otp", "k7q2z", "otp")),
    ("password with symbols", Protected("password", 'P@ss "w0rd" <&> 100%+/=?\\', "password")),
    ("unicode with stray spaces", Protected("name", "  Zoë Ünïcødé 東京 ", "name")),
]
IDS = [name for name, _ in KINDS]


def named(protected: Protected) -> dict[bytes, Variant]:
    """Each spelling's bytes and the variant that names them (for messages that show no value, and to tell the
    UTF-16 ones)."""
    found: dict[bytes, Variant] = {}
    for variant in variants(protected.value, protected.kind):
        found.setdefault(variant.data, variant)
    return found


def describe(variant: Variant | None) -> str:
    if variant is None:
        return "(not in variants.py)"
    return f"{variant.name} as {variant.spelling.label or 'it stands'}{' in UTF-16' if variant.width == 2 else ''}"


def carrier(data: bytes, variant: Variant | None) -> bytes:
    """A spelling as a tracker sends it: a JSON string value, in a UTF-16 body for a UTF-16 spelling."""
    encoding = "utf-16-le" if variant is not None and variant.width == 2 else "utf-8"
    return '{"v":"'.encode(encoding) + data + '"}'.encode(encoding)


def sides(protected: Protected) -> tuple[LeakScanner, Redactor]:
    return LeakScanner([protected], KEY), Redactor([protected.value], KEY, {protected.value: protected.kind})


# --- scanner -> redactor ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("protected", [protected for _, protected in KINDS], ids=IDS)
def test_the_redactor_replaces_every_spelling_the_scanner_searches_for(protected: Protected) -> None:
    scanner, redactor = sides(protected)
    names = named(protected)
    marker = re.escape(fingerprint(protected.value, KEY)[:-1]) + "( [^⟧]*)?⟧"
    missed: list[str] = []
    stored: list[str] = []
    for pattern in scanner._patterns:
        variant = names.get(pattern)
        body = redactor.body(carrier(pattern, variant))
        try:
            spelled = pattern.decode("utf-8")
        except UnicodeDecodeError:
            # UTF-16 of a value outside ASCII: a body holding it is not text, and must be withheld.
            if set(body) != {"withheld", "bytes"}:
                stored.append(describe(variant))
            continue
        # One marker for the whole spelling, not a shorter spelling inside it with the rest left in clear ...
        if not re.fullmatch(marker, redactor.replace(spelled)):
            missed.append(describe(variant))
        # ... and in a body, stored redacted (not withheld: the redaction left nothing to find).
        if set(body) != {"text"} or spelled in body["text"]:
            stored.append(describe(variant))
    assert not missed, f"searched for by the scanner, not replaced by the redactor: {missed}"
    assert not stored, f"searched for by the scanner, not stored redacted: {stored}"
    assert len(scanner._patterns) > 50  # the table was walked, not skipped


# --- redactor -> scanner ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("protected", [protected for _, protected in KINDS], ids=IDS)
def test_the_scanner_finds_every_spelling_the_redactor_replaces(protected: Protected) -> None:
    scanner, redactor = sides(protected)
    names = named(protected)
    patterns = set(scanner._patterns)
    beside = json.dumps({"value": protected.value}).encode()
    unseen: list[str] = []
    unmasked: list[str] = []
    for spelled, pattern in zip(redactor._spellings, redactor._table, strict=True):
        data = spelled.encode("utf-8")
        variant = names.get(data)
        # A prefix that proves nothing alone (of a short value, a few digits) is not reported; it is searched
        # for, to be masked.
        prefix = re.search(r" prefix (\d+)/", pattern.marker)
        if prefix and not reported_prefix(protected.value, int(prefix.group(1))):
            found = data in patterns
        else:
            found = any(hit.name == protected.name for hit in scanner.scan(carrier(data, variant)))
        if not found:
            unseen.append(describe(variant))
        # Beside the value itself, it is masked in the hit's excerpt like every other spelling.
        if any(data in hit.excerpt for hit in scanner.scan(beside + carrier(data, variant))):
            unmasked.append(describe(variant))
    assert not unseen, f"replaced by the redactor, not found by the scanner: {unseen}"
    assert not unmasked, f"replaced by the redactor, shown in clear in a hit's excerpt: {unmasked}"
    assert len(redactor._spellings) > 50


# --- the keystroke search and its masking -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "frame",
    [
        lambda key: json.dumps({"events": [{"t": "key", "key": key}], "n": 1}),
        lambda key: json.dumps({"k": key, "ts": 1700000000000}),
        lambda key: f"c={key}&t=1",
    ],
    ids=["nested array", "one key", "form"],
)
def test_keystroke_masking_finds_the_places_the_keystroke_search_names(frame: Callable[[str], str]) -> None:
    password = "Hunter2-Secret!"
    frames = [
        WebSocketFrame(float(index), "wss://t.test/", "sent", frame(char).encode(), True)
        for index, char in enumerate(password)
    ]
    found = keystroke_parts([], frames, [Protected("pw", password, "password")], KEY)
    assert sorted(found) == [("frame", index, "data") for index in range(len(password))]
    marker = fingerprint(password, KEY)[:-1] + " keystroke⟧"
    for (_, index, _), keys in found.items():
        masked = mask_keystrokes(frames[index].data, keys)
        assert masked is not None and marker.encode() in masked, (keys.group, masked)


# --- the tables -------------------------------------------------------------------------------------------------


def test_every_escape_names_a_decoder_that_undoes_it() -> None:
    # A hit's chain names decoders; a spelling's `via` joins it, so it must be one of them.
    decoders = {decoder.name for decoder in DECODERS}
    assert {step for spelling in SPELLINGS for step in spelling.via} <= decoders


NAMES: list[tuple[str, str, str, str]] = [
    # (value, kind, scanner name, redactor label) of one variant each
    ("Hunter2-Secret!", "password", "exact", ""),
    ("Hunter2-Secret!", "password", "exact/utf16", "utf16"),
    ("Hunter2-Secret!", "password", "prefix:5/15", "prefix 5/15 url"),
    ("Hunter2-Secret!", "password", "prefix:5/15", "prefix 5/15 hex"),
    (" Ada ", "name", "sha256-hex(trimmed)", "sha256"),
    ("Ada", "name", "lowercase", "lowercase base64"),
    ("4111 1111 1111 1111", "card", "card-dashed", "card-dashed json"),
]


@pytest.mark.parametrize(("value", "kind", "name", "label"), NAMES)
def test_a_variant_has_a_scanner_name_and_a_marker_label(value: str, kind: str, name: str, label: str) -> None:
    assert any(variant.name == name and variant.label == label for variant in variants(value, kind))


@pytest.mark.parametrize(
    ("value", "kind", "grouped"),
    [
        ("4111 1111 1111 1111", "card", True),
        ("4111111111111111", "text", True),  # a card number typed into a field not marked as one
        ("GB82WEST12345698765432", "iban", True),
        ("123-45-6789", "ssn", False),
        ("4111", "card", True),
    ],
)
def test_card_forms_apply_to_cards_and_long_values(value: str, kind: str, grouped: bool) -> None:
    names = {variant.text.name for variant in variants(value, kind)}
    assert ("card-spaced" in names) is grouped


def test_variants_print_no_value() -> None:
    for variant in variants("Hunter2-Secret!", "password"):
        assert "Hunter" not in repr(variant) and "Hunter" not in repr(variant.text)
