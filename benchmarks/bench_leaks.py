"""Throughput of the leak detector over a synthetic capture.

Builds a capture of about --mb megabytes (tracker JSON batches, gzip'd batches, form posts, base64 blobs, random
binary), plants 20 protected values in it, twice in every variant and in a score of encodings (deep nesting,
raw deflate in unpadded base64, a Sentry envelope's zlib'd item, streams at an offset, length-prefixed and
NDJSON framings among them), then times `LeakScanner.scan` over all of it on one core (CPU time) and reports MB/s and how
many plants were found. In the same run it times the scanner of an earlier commit (--baseline, loaded from git
under another package name, not copied) on the same capture, the two interleaved over --rounds rounds (median),
and prints the ratio and its plants found. For
comparison, it times the naive approach on a sample of the same capture: the same decoded layers, each variant
searched with `in`, one after the other.

    .venv/bin/python benchmarks/bench_leaks.py            # 100 MB
    .venv/bin/python benchmarks/bench_leaks.py --mb 5     # quick
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import html
import importlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import quote

import brotli
import zstandard

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness.privacy import decode
from harness.privacy.decode import decode_layers

# The scanner's own list of variants: every one of them gets planted, and the naive search looks for each.
from harness.privacy.leaks import LeakScanner, Protected, _needles
from harness.privacy.variants import reported_prefix

ROOT = Path(__file__).resolve().parent.parent
KEY = os.urandom(32)
MB = 1_000_000


def _protected(rng: random.Random) -> list[Protected]:
    """20 canaries of the kinds scenarios plant."""
    values: list[Protected] = []
    for index in range(20):
        kind = ("email", "password", "card", "pin", "text", "name", "phone", "otp", "ssn", "iban")[index % 10]
        token = "".join(rng.choice("abcdefghjkmnpqrstuvwxyz23456789") for _ in range(8))
        value = {
            "email": f"canary.{token}@example.org",
            "password": f"Pw-{token}-{rng.randrange(10**6):06d}!",
            "card": "4" + "".join(str(rng.randrange(10)) for _ in range(15)),
            "pin": f"{rng.randrange(10**6):06d}",
            "otp": f"{rng.randrange(10**6):06d}",
            "text": f"Canary note {token}",
            "name": f"Ada {token.title()}",
            "phone": f"+44 7{rng.randrange(10**9):09d}",
            "ssn": f"{rng.randrange(100, 900)}-{rng.randrange(10, 99)}-{rng.randrange(1000, 9999)}",
            "iban": f"GB{rng.randrange(10, 99)}CANA{rng.randrange(10**14):014d}",
        }[kind]
        values.append(Protected(f"{kind}{index}", value, kind))
    return values


_WORDS = ("blue", "widget", "sale", "home", "cart", "account", "search", "shoe", "lamp", "gift", "news", "help")


def _word(rng: random.Random) -> str:
    return rng.choice(_WORDS) + rng.choice(("", "-", "_")) + rng.choice(_WORDS)


def _event(rng: random.Random, index: int) -> dict[str, object]:
    """One tracker event, varied enough to compress about as well as real batches (4-6x)."""
    return {
        "t": rng.choice(("click", "scroll", "input", "view", "mousemove")),
        "ts": 1_700_000_000_000 + index * rng.randrange(5, 900),
        "url": f"https://shop.test/{_word(rng)}/{rng.randrange(10**6)}?ref={_word(rng)}&utm_source={_word(rng)}",
        "sel": f"main > div.{_word(rng)}:nth-child({rng.randrange(40)}) > a#{_word(rng)}{rng.randrange(999)}",
        "xy": [rng.randrange(1280), rng.randrange(720)],
        "text": " ".join(rng.choice(_WORDS) for _ in range(rng.randrange(1, 8))),
        "props": {
            "sid": f"{rng.getrandbits(64):016x}",
            "trace": f"{rng.getrandbits(128):032x}",
            "price": rng.randrange(10000) / 100,
            "tags": [rng.choice(_WORDS) for _ in range(rng.randrange(4))],
        },
    }


def _batch(rng: random.Random, size: int) -> bytes:
    events: list[dict[str, object]] = []
    body = b""
    while len(body) < size:
        events += [_event(rng, len(events) + index) for index in range(16)]
        ua = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
        body = json.dumps({"v": 1, "ua": ua, "events": events}).encode()
    return body


def _form(rng: random.Random, size: int) -> bytes:
    fields: list[str] = []
    while sum(map(len, fields)) < size:
        value = rng.choice((" ".join(_word(rng) for _ in range(3)), "a&b=c", "50%", str(rng.randrange(10**6))))
        fields.append(f"f{len(fields)}={quote(value)}")
    return "&".join(fields).encode()


def _blob(rng: random.Random, size: int) -> bytes:
    inner = rng.randbytes(size * 3 // 4)
    return json.dumps({"kind": "snapshot", "data": base64.b64encode(inner).decode()}).encode()


def _gzip_batch(rng: random.Random, size: int) -> bytes:
    return gzip.compress(_batch(rng, size * 5), 6)  # the wire size is about `size`


# (share of the capture's bytes, maker of one payload of about the given size)
MIX: tuple[tuple[float, Callable[[random.Random, int], bytes]], ...] = (
    (0.35, _batch),
    (0.15, _gzip_batch),
    (0.10, _form),
    (0.15, _blob),
    (0.25, lambda rng, size: rng.randbytes(size * 2)),  # protobuf, uploads, wasm: the large binary bodies
)


def _plants(protected: Protected) -> list[tuple[str, str, bytes]]:
    """(what, host, bytes) for each way one value is planted: every variant, in several encodings.

    `host` says where the bytes go: ``json`` (a string field added to a JSON or gzip'd JSON batch, given
    already quoted), ``form`` (a field added to a form post) or ``alone`` (a payload of its own).
    """
    variants = {
        needle.variant: pattern.decode()
        for pattern, needle in _needles(0, protected, 4)
        if needle.reported and not needle.via and needle.width == 1
    }
    value = protected.value
    # A keylogger's prefix, three characters short, or longer where the scanner reports no shorter one (digits).
    length = max(4, len(value) - 3)
    while length < len(value) and not reported_prefix(value, length):
        length += 1
    prefix = value[:length] if len(value) >= 6 else value

    def quoted(text: str) -> bytes:
        return json.dumps(text, ensure_ascii=False).encode()

    plants = [(f"variant {label}", "json", quoted(text)) for label, text in variants.items()]
    plants += [
        ("utf16", "alone", b"\xff\xfe" + value.encode("utf-16-le")),
        ("prefix", "json", quoted(prefix)),
        ("gzip>base64", "json", quoted(base64.b64encode(gzip.compress(json.dumps({"d": value}).encode())).decode())),
        ("base64", "json", quoted(base64.b64encode(value.encode()).decode())),
        ("url twice", "form", b"q=" + quote(quote(value, safe=""), safe="").encode()),
        ("hex", "json", quoted(value.encode().hex())),
        ("html", "json", quoted(f"<input value='{html.escape(value)}'>".replace("@", "&#64;"))),
        ("json \\u", "json", b'"' + "".join(f"\\u{ord(char):04x}" for char in value).encode() + b'"'),
        ("base64 at offset", "json", quoted("id=x" + base64.b64encode(f"user={value};".encode()).decode())),
        ("sha256 in gzip", "alone", gzip.compress(hashlib.sha256(value.encode()).hexdigest().encode())),
    ]
    return plants + _deep_plants(value)


def _raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def _b64(data: bytes, alphabet: bytes = b"+/") -> str:
    return base64.b64encode(data, alphabet).decode().rstrip("=")


def _deep_plants(value: str) -> list[tuple[str, str, bytes]]:
    """The layers, depths and offsets the scanner of commit 0fc8c49 did not reach (issue 14)."""
    event = json.dumps([{"type": 3, "data": {"source": 5, "text": value, "id": 7}, "timestamp": 1}]).encode()
    rng = random.Random(value)
    deep = base64.b64encode(gzip.compress(json.dumps({"d": _b64(_raw_deflate(_b64(event).encode()))}).encode()))
    header = json.dumps({"event_id": "e" * 32, "sdk": {"name": "sentry.javascript.browser"}}).encode()
    recording = zlib.compress(b'{"segment_id":1}\n' + event)
    item = json.dumps({"type": "replay_recording", "length": len(recording)}).encode()
    envelope = b"\n".join([header, b'{"type":"replay_event"}', b'{"replay_id":"abc"}', item, recording])
    record = brotli.compress(event)
    framed = len(record).to_bytes(4, "big") + record + (5).to_bytes(4, "big") + b"\x00\x01end"
    line = next(stream for pad in range(64) if b"\n" not in (stream := brotli.compress(event + b" " * pad)))
    blob = base64.b64encode(rng.randbytes(4000)).decode()[:5001]  # glued on at an odd offset of the blob
    return [
        ("base64>gzip>json>base64>deflate>base64", "alone", deep),
        ("deflate in unpadded base64, glued", "json", json.dumps("ab" + _b64(_raw_deflate(event), b"-_")).encode()),
        ("sentry envelope, zlib item", "alone", envelope),
        ("zstd at an offset", "alone", rng.randbytes(333) + zstandard.ZstdCompressor().compress(event) + b"\0end"),
        ("brotli, length-prefixed", "alone", framed),
        ("brotli NDJSON line", "alone", b'{"batch":1}\n' + line + b'\n{"end":true}'),
        ("gzip in base64 glued to a blob", "json", json.dumps(blob + _b64(gzip.compress(event))).encode()),
    ]


@dataclass
class Capture:
    payloads: list[bytes]
    planted: list[tuple[int, str, str]]  # (payload index, value name, what)

    @property
    def size(self) -> int:
        return sum(map(len, self.payloads))


def _plant_in(host: bytes, field: bytes, kind: str) -> bytes:
    if kind == "form":
        return host + b"&" + field
    if host[:2] == b"\x1f\x8b":
        return gzip.compress(_plant_in(gzip.decompress(host), field, kind), 6)
    return host[:-1] + b', "planted": ' + field + b"}"


def build(total: int, values: list[Protected], rng: random.Random) -> Capture:
    payloads: list[bytes] = []
    kinds: list[str] = []
    for share, make in MIX:
        made = 0
        while made < share * total:
            payload = make(rng, rng.choice((2_000, 8_000, 30_000, 60_000)))
            payloads.append(payload)
            kinds.append("form" if make is _form else "json" if make in (_batch, _gzip_batch) else "other")
            made += len(payload)
    hosts = {kind: [index for index, k in enumerate(kinds) if k == kind] for kind in ("json", "form")}
    planted: list[tuple[int, str, str]] = []
    used: set[tuple[int, str]] = set()
    for protected in values:
        for what, kind, plant in _plants(protected):
            for _ in range(2):  # a few places each
                if kind == "alone":
                    payloads.append(plant)
                    index = len(payloads) - 1
                else:  # one plant per value and host, so that a hit on the host tells which plant it found
                    free = [i for i in hosts[kind] if (i, protected.name) not in used]
                    if not free:  # a small capture: add a small host
                        payloads.append((_batch if kind == "json" else _form)(rng, 2_000))
                        hosts[kind].append(len(payloads) - 1)
                        free = [len(payloads) - 1]
                    index = rng.choice(free)
                    payloads[index] = _plant_in(payloads[index], plant, kind)
                used.add((index, protected.name))
                planted.append((index, protected.name, what))
    return Capture(payloads, planted)


def _naive(payloads: list[bytes], variants: list[bytes]) -> int:
    found = 0
    for payload in payloads:
        for layer in decode_layers(payload):
            for variant in variants:
                if variant in layer.data:
                    found += 1
    return found


def _baseline_privacy(commit: str) -> ModuleType:
    """`harness.privacy.leaks` as it was at `commit`: its privacy modules read from git into a temporary package
    (``harness_<commit>``), imported under that name beside today's."""
    package = f"harness_{commit}"
    root = Path(tempfile.mkdtemp(prefix="bench-leaks-"))
    (root / package / "privacy").mkdir(parents=True)
    (root / package / "__init__.py").write_text("")
    listed = subprocess.run(
        ["git", "-C", str(ROOT), "ls-tree", "--name-only", f"{commit}:harness/privacy"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for name in listed:
        if not name.endswith(".py"):
            continue  # a C backend is not built for the copy: its Python fallback stands in, as where no compiler is
        source = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{commit}:harness/privacy/{name}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        (root / package / "privacy" / name).write_text(source.replace("harness.privacy", f"{package}.privacy"))
    sys.path.insert(0, str(root))
    return importlib.import_module(f"{package}.privacy.leaks")


@dataclass
class Timing:
    """One scanner's rounds over the whole capture: CPU seconds each (one core, whatever else the machine runs)."""

    label: str
    cpu: list[float]
    wall: list[float]
    hits: int = 0
    found: set[tuple[int, str]] | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.cpu)


def _round(timing: Timing, scan: Callable[[bytes], list[Any]], capture: Capture, decoder: ModuleType) -> None:
    """Scan the whole capture once with `scan` (a fresh scanner: nothing remembered from an earlier round)."""
    if hasattr(decoder, "forget_decoded"):  # its layers decoded in an earlier round too (older ones kept none)
        decoder.forget_decoded()
    started, wall = time.process_time(), time.perf_counter()
    found: set[tuple[int, str]] = set()
    hits = 0
    for index, payload in enumerate(capture.payloads):
        for hit in scan(payload):
            found.add((index, hit.name))
            hits += 1
    timing.cpu.append(time.process_time() - started)
    timing.wall.append(time.perf_counter() - wall)
    timing.hits, timing.found = hits, found


def _report(timing: Timing, capture: Capture) -> float:
    """Print a scanner's median speed over its rounds and the plants it found; return the speed in MB/s."""
    speed = capture.size / MB / timing.median
    found = timing.found or set()
    missed = [(name, what) for index, name, what in capture.planted if (index, name) not in found]
    rounds = ", ".join(f"{cpu:.2f}" for cpu in timing.cpu)
    print(
        f"{timing.label}: {timing.median:.2f}s CPU median of {len(timing.cpu)} rounds ({rounds}; "
        f"{statistics.median(timing.wall):.2f}s wall), {speed:.0f} MB/s on one core, {timing.hits} hits, "
        f"{len(capture.planted) - len(missed)}/{len(capture.planted)} plants found"
    )
    for what in sorted({what for _, what in missed}):
        print(f"  missed: {what} ({sum(1 for _, other in missed if other == what)} plants)")
    return speed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=100, help="size of the synthetic capture (default 100)")
    parser.add_argument("--naive-mb", type=float, default=2, help="sample the naive search runs over (default 2)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--baseline", default="0fc8c49", help="commit whose scanner to compare with (0fc8c49)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each scanner, interleaved (default 3)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    values = _protected(rng)

    started = time.perf_counter()
    capture = build(int(args.mb * MB), values, rng)
    print(
        f"capture: {len(capture.payloads)} payloads, {capture.size / MB:.1f} MB, {len(capture.planted)} plants "
        f"(built in {time.perf_counter() - started:.1f}s)"
    )

    started = time.perf_counter()
    scanner = LeakScanner(values, KEY)
    print(
        f"scanner: {scanner!r}, built in {(time.perf_counter() - started) * 1000:.0f} ms; "
        f"gzip inflates with {decode._GZIP_INFLATE.__name__}; search on {scanner._matcher.backend}"
    )
    baseline = _baseline_privacy(args.baseline)
    old_values = [baseline.Protected(protected.name, protected.value, protected.kind) for protected in values]
    new, old = Timing("LeakScanner", [], []), Timing(f"LeakScanner of {args.baseline}", [], [])
    # Interleaved (new, old, old, new, ...) and a fresh scanner each round, so that the load of a shared machine
    # falls on both alike and no round reuses what the scanner remembered of an earlier one.
    for round_ in range(args.rounds):
        old_decode = sys.modules[baseline.__name__.replace(".leaks", ".decode")]
        order = ((new, LeakScanner, values, decode), (old, baseline.LeakScanner, old_values, old_decode))
        for timing, make, protected, decoder in order if round_ % 2 == 0 else order[::-1]:
            _round(timing, make(protected, KEY).scan, capture, decoder)
    speed, old_speed = _report(new, capture), _report(old, capture)
    print(f"ratio: {speed / old_speed:.2f}x the speed of {args.baseline}'s scanner on the same capture")

    variants = sorted({pattern for protected in values for pattern, needle in _needles(0, protected, 4) if needle.reported})
    sample: list[bytes] = []
    for payload in capture.payloads:
        if sum(map(len, sample)) >= args.naive_mb * MB:
            break
        sample.append(payload)
    sample_size = sum(map(len, sample))
    started = time.process_time()
    _naive(sample, variants)
    naive_elapsed = time.process_time() - started
    naive_speed = sample_size / MB / naive_elapsed
    print(
        f"naive ({len(variants)} variants x `in`, {sample_size / MB:.1f} MB sample): {naive_speed:.1f} MB/s; "
        f"LeakScanner is {speed / naive_speed:.0f}x faster"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
