"""Writing a run's results: ``results.json``, ``junit.xml`` and, per run, its traffic, timeline and storage.

Nothing written here holds a protected value (a typed value or a declared secret) in clear. Every string passes
through a :class:`Redactor`, which replaces each value, in every spelling a tracker is known to use, by a keyed
fingerprint marker:

- ``⟦fp:3f0c…⟧``: the whole value as typed (the marker ``harness.leaks.fingerprint`` gives, the one the
  timeline and the findings use, so a reader can follow one value through every file);
- ``⟦fp:3f0c… url⟧``, ``… json``, ``… html``, ``… base64``, ``… hex``: the whole value, escaped or encoded;
- ``⟦fp:3f0c… lowercase⟧``, ``… trimmed``, ``… card-spaced``, ``… sha256``: a derived form;
- ``⟦fp:3f0c… prefix 5/12⟧`` (also ``… prefix 5/12 url`` and the like): the first 5 of its 12 characters,
  what a keylogger sends while the visitor types; prefixes of 4 characters and more are replaced;
- ``⟦fp:3f0c… keystroke⟧``: a key or two of the value, one of many requests that spell it out together.

Redaction keeps stored traffic in its shape; a last check (``harness.leaks.LeakScanner``, which peels every
encoding ``harness.decode`` knows) decides what cannot be kept. A request body is stored as

- ``{"text": …}``: UTF-8 text, redacted;
- ``{"text": …, "decoded": "gzip", "bytes": n}``: a compressed body, stored decompressed and redacted;
- ``{"base64": …}``: binary, checked to hold no protected value in any layer;
- ``{"withheld": …, "bytes": n}``: a body that still holds a value in an encoded layer: its bytes are not kept.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import platform
import shlex
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote, quote_plus, unquote_plus, urlsplit

import ahocorasick_rs

from . import __version__
from .decode import DECODERS, decode_layers
from .leaks import Hit, LeakScanner, Protected, find_fragments, fingerprint
from .rules import MIN_VALUE_LENGTH, RULES, guarded_values
from .runner import RunResult

# --- what is protected ----------------------------------------------------------------------------------------

MIN_PREFIX: Final = 4
"""Shortest prefix of a value that is redacted (a keylogger sends every prefix; 3 characters say little)."""

_SHORT: Final = 6
"""Spellings shorter than this are redacted only where they stand as a word of their own (not inside "redirect")."""

_COMPRESSED: Final = frozenset({"gzip", "zstd", "zlib", "brotli", "deflate"})

ENCODINGS_SEARCHED: Final = tuple(dict.fromkeys(decoder.name for decoder in DECODERS))
"""The layers the privacy rules peel off every payload (``harness.decode``), for the report."""


def protected_values(result: RunResult) -> list[str]:
    """Every value a run must never write in clear: typed text and declared secrets, longest first."""
    values = {t.value for t in result.timeline.typed} | set(result.values.values())
    return sorted((v for v in values if len(v) >= 3), key=len, reverse=True)


def _kinds(result: RunResult) -> dict[str, str]:
    """Each protected value's kind (``card`` adds digit groupings), from the secret it came from."""
    by_secret = {secret.name: secret.kind for secret in result.scenario.secrets}
    kinds = {value: by_secret.get(name, "text") for name, value in result.values.items()}
    for typed in result.timeline.typed:
        kinds.setdefault(typed.value, by_secret.get(typed.secret, "text"))
    return kinds


# --- redaction ------------------------------------------------------------------------------------------------


def _b64(text: str, urlsafe: bool = False) -> str:
    raw = text.encode("utf-8")
    return (base64.urlsafe_b64encode(raw) if urlsafe else base64.b64encode(raw)).decode("ascii").rstrip("=")


# How a text can be written into a stored string: (label, spelling, applies to prefixes too).
# Base64 is matched without its padding, so that base64 of the value inside a padded blob is found as well.
_SPELLINGS: Final[tuple[tuple[str, Callable[[str], str], bool], ...]] = (
    ("", lambda text: text, True),
    ("url", lambda text: quote(text, safe=""), True),
    ("url", quote, True),
    ("url", quote_plus, True),
    ("json", lambda text: json.dumps(text)[1:-1], True),
    ("json", lambda text: json.dumps(text, ensure_ascii=False)[1:-1], True),
    ("html", lambda text: html.escape(text, quote=True), True),
    ("base64", _b64, True),
    ("base64", lambda text: _b64(text, urlsafe=True), True),
    ("hex", lambda text: text.encode("utf-8").hex(), False),
    ("hex", lambda text: text.encode("utf-8").hex().upper(), False),
)


def _digits(value: str) -> str:
    return "".join(char for char in value if char not in " -")


def _grouped(separator: str) -> Callable[[str], str]:
    return lambda value: separator.join(_digits(value)[i : i + 4] for i in range(0, len(_digits(value)), 4))


# Forms of a whole value, most exact first; the card forms apply to values of at least 12 digits.
_FORMS: Final[tuple[tuple[str, Callable[[str], str]], ...]] = (
    ("", lambda value: value),
    ("trimmed", str.strip),
    ("lowercase", str.lower),
    ("lowercase", lambda value: value.strip().lower()),
)
_CARD_FORMS: Final[tuple[tuple[str, Callable[[str], str]], ...]] = (
    ("card-digits", _digits),
    ("card-spaced", _grouped(" ")),
    ("card-dashed", _grouped("-")),
)
_DIGEST_SPELLINGS: Final[tuple[Callable[[bytes], str], ...]] = (
    bytes.hex,
    lambda digest: digest.hex().upper(),
    lambda digest: base64.b64encode(digest).decode("ascii").rstrip("="),
    lambda digest: base64.urlsafe_b64encode(digest).decode("ascii").rstrip("="),
)
_DIGESTS: Final = ("md5", "sha1", "sha256", "sha512")


def _word(char: str) -> bool:
    return char.isascii() and (char.isalnum() or char == "_")


@dataclass(frozen=True)
class _Pattern:
    marker: str
    bounded: bool  # replaced only where no letter, digit or '_' touches it


def _marker(base: str, label: str) -> str:
    """``⟦fp:xxxx⟧`` with a label before its closing bracket (``⟦fp:xxxx prefix 5/12 url⟧``)."""
    return base if not label else f"{base[:-1]} {label}⟧"


def _patterns(value: str, kind: str, key: bytes) -> Iterator[tuple[str, _Pattern]]:
    """Every spelling of one value and of its prefixes, with its marker, most exact first."""
    base = fingerprint(value, key)
    forms = list(_FORMS) + (list(_CARD_FORMS) if kind == "card" or len(_digits(value)) >= 12 else [])
    for form_label, form in forms:
        text = form(value)
        if not text:
            continue
        for label, spell, _ in _SPELLINGS:
            yield spell(text), _Pattern(_marker(base, " ".join(filter(None, (form_label, label)))), len(text) < _SHORT)
        for algorithm in _DIGESTS:
            digest = hashlib.new(algorithm, text.encode("utf-8")).digest()
            for spell_digest in _DIGEST_SPELLINGS:
                yield spell_digest(digest), _Pattern(_marker(base, algorithm), False)
    for length in range(len(value) - 1, MIN_PREFIX - 1, -1):  # longest first
        prefix = value[:length]
        for label, spell, for_prefixes in _SPELLINGS:
            if for_prefixes:
                marker = _marker(base, " ".join(filter(None, (f"prefix {length}/{len(value)}", label))))
                yield spell(prefix), _Pattern(marker, length < _SHORT)


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
            if pattern.bounded and ((start > 0 and _word(text[start - 1])) or (end < len(text) and _word(text[end]))):
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

    def tree(self, node: Any) -> Any:
        """A JSON-able document with every string value redacted (keys are the harness's own)."""
        if isinstance(node, str):
            return self.text(node)
        if isinstance(node, dict):
            return {key: self.tree(value) for key, value in node.items()}
        if isinstance(node, (list, tuple)):
            return [self.tree(value) for value in node]
        return node


def _as_text(body: bytes) -> tuple[str | None, str]:
    """The body as text, and the compression it was decoded from ('' when it was text as sent)."""
    try:
        return body.decode("utf-8"), ""
    except UnicodeDecodeError:
        pass
    for layer in decode_layers(body, max_depth=1):
        if len(layer.chain) == 1 and layer.chain[0] in _COMPRESSED:
            try:
                return layer.data.decode("utf-8"), layer.chain[0]
            except UnicodeDecodeError:
                return None, ""
    return None, ""


# --- keystrokes spread over many payloads -----------------------------------------------------------------------

_PartKey = tuple[str, int, str]  # ("request" | "frame", index, "url" | "body" | "data")


@dataclass(frozen=True)
class _Keystrokes:
    """Where one payload carries a few keys of a protected value, as ``harness.leaks.find_fragments`` saw it."""

    source: str  # json, form or payload
    group: str  # the JSON key path or form key
    chain: tuple[str, ...]
    marker: str


def _keystroke_parts(result: RunResult, protected: Sequence[Protected]) -> dict[_PartKey, _Keystrokes]:
    """The URLs, bodies and frames that carry keystrokes of a value spelled out over many payloads."""
    parts: list[tuple[float, _PartKey, bytes]] = []
    for i, request in enumerate(result.recording.requests):
        parts.append((request.t_ms, ("request", i, "url"), request.url.encode("utf-8", "replace")))
        if request.body:
            parts.append((request.t_ms, ("request", i, "body"), request.body))
    for i, frame in enumerate(result.recording.frames):
        if frame.direction == "sent":
            parts.append((frame.t_ms, ("frame", i, "data"), frame.data))
    parts.sort(key=lambda part: part[0])
    found: dict[_PartKey, _Keystrokes] = {}
    if not protected or not parts:
        return found
    for hit in find_fragments([part[2] for part in parts], protected, result.fingerprint_key):
        marker = _marker(hit.fingerprint, "keystroke")
        for index in hit.payloads:
            found.setdefault(parts[index][1], _Keystrokes(hit.source, hit.group, hit.chain, marker))
    return found


def _mask_json(node: Any, path: str, group: str, marker: str) -> Any:
    """``node`` with the short strings at key path ``group`` (as ``find_fragments`` names paths) replaced."""
    if isinstance(node, dict):
        return {k: _mask_json(v, f"{path}.{k}" if path else str(k), group, marker) for k, v in node.items()}
    if isinstance(node, list):
        return [_mask_json(v, f"{path}[]", group, marker) for v in node]
    if isinstance(node, str) and path == group and 0 < len(node) <= 3:
        return marker
    return node


def _mask_form(fields: str, group: str, marker: str) -> str:
    out = []
    for field in fields.split("&"):
        key, sep, value = field.partition("=")
        if sep and unquote_plus(key) == group and 0 < len(unquote_plus(value)) <= 3:
            field = f"{key}={marker}"
        out.append(field)
    return "&".join(out)


def _mask_keystrokes(data: bytes, keys: _Keystrokes) -> bytes | None:
    """``data`` with the keystrokes it carries replaced by the value's marker; None when it must be withheld."""
    if keys.chain:
        return None  # the keys sit inside an encoded layer: no shape worth keeping
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
    return f"{head}?{_mask_form(query, keys.group, keys.marker)}{hash_sep}{fragment}".encode("utf-8")


# --- per-run files ----------------------------------------------------------------------------------------------


def redactor_for(result: RunResult) -> Redactor:
    """The redactor of one run: its typed values and secrets, under its fingerprint key."""
    return Redactor(protected_values(result), result.fingerprint_key, _kinds(result))


def fingerprints(result: RunResult) -> dict[str, str]:
    return {value: fingerprint(value, result.fingerprint_key) for value in protected_values(result)}


def run_slug(result: RunResult) -> str:
    return f"{result.scenario.slug}-{result.browser}"


def _traffic(result: RunResult, redact: Redactor) -> dict[str, Any]:
    """Stored traffic: every request and frame in its shape, every protected value replaced by its marker."""
    keystrokes = _keystroke_parts(result, redact.protected)

    def part(key: _PartKey, data: bytes) -> tuple[bytes | None, list[str]]:
        """The payload with its keystrokes masked, or None and what it held when it cannot be kept."""
        keys = keystrokes.get(key)
        masked = data if keys is None else _mask_keystrokes(data, keys)
        return masked, [] if keys is None else [f"{keys.marker} via {' → '.join(keys.chain) or 'plain text'}"]

    def url(key: _PartKey, url: str) -> str:
        masked, found = part(key, url.encode("utf-8", "replace"))
        return redact.notice(len(url), found) if masked is None else redact.text(masked.decode("utf-8", "replace"))

    def body(key: _PartKey, data: bytes) -> dict[str, Any]:
        masked, found = part(key, data)
        return redact.withheld(len(data), found) if masked is None else redact.body(masked)

    requests = [
        {
            "t_ms": round(request.t_ms, 1),
            "method": request.method,
            "url": url(("request", i, "url"), request.url),
            "channel": request.channel,
            "headers": [[k, redact.text(v)] for k, v in request.headers],
            "body": body(("request", i, "body"), request.body),
        }
        for i, request in enumerate(result.recording.requests)
    ]
    frames = [
        {
            "t_ms": round(frame.t_ms, 1),
            "url": redact.text(frame.url),
            "direction": frame.direction,
            "data": body(("frame", i, "data"), frame.data),
        }
        for i, frame in enumerate(result.recording.frames)
    ]
    return {"requests": requests, "websocket": frames, "background_requests_dropped": result.recording.background}


def write_run_files(result: RunResult, redact: Redactor | None = None) -> None:
    """Per run: ``traffic.json``, ``timeline.json`` and ``storage.json`` in the run's folder, all redacted."""
    redact = redact or redactor_for(result)
    result.run_dir.mkdir(parents=True, exist_ok=True)
    _dump(result.run_dir / "traffic.json", _traffic(result, redact))
    _dump(result.run_dir / "timeline.json", redact.tree(_timeline(result)))
    _dump(result.run_dir / "storage.json", redact.tree([s.to_json() for s in result.storage]))


# --- results.json -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Invocation:
    """How a run was started, for the report's environment section and to reproduce it."""

    argv: tuple[str, ...]
    cwd: str
    snippet: str | None  # the injected snippet's path; None with --no-snippet
    snippet_sha256: str | None
    started: str  # ISO 8601, UTC

    @property
    def command(self) -> str:
        return "telltale " + shlex.join(self.argv) if self.argv else ""

    @classmethod
    def now(cls, argv: Sequence[str], snippet: str | None, snippet_text: str | None) -> Invocation:
        digest = hashlib.sha256(snippet_text.encode("utf-8")).hexdigest() if snippet_text is not None else None
        return cls(tuple(argv), os.getcwd(), snippet, digest, _utc_now())

    def to_json(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "argv": list(self.argv),
            "cwd": self.cwd,
            "snippet": None if self.snippet is None else {"path": self.snippet, "sha256": self.snippet_sha256},
            "started": self.started,
        }


def _utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _step_text(result: RunResult, index: int) -> str:
    """A step as the scenario wrote it, secrets still as ``{name}`` (e.g. ``type #email "{email}"``)."""
    steps = result.scenario.steps
    if not 0 < index <= len(steps):
        return ""
    args = dict(steps[index - 1].args)
    head = [str(args.pop("selector"))] if "selector" in args else []
    head += [json.dumps(args.pop(k), ensure_ascii=False) for k in ("text", "value", "url", "name", "key") if k in args]
    return " ".join(head + [f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in args.items()])


def _timeline(result: RunResult) -> dict[str, Any]:
    document = result.timeline.to_json(fingerprints(result))
    for step in document["steps"]:
        step["what"] = _step_text(result, step["index"])
    return document


def value_verdicts(result: RunResult) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """Per typed or shown value, each rule's verdict; and per rule, its verdict over the whole run.

    A verdict is ``held``, ``broken`` (with its findings and how many requests repeated them) or ``n/a`` when
    the rule does not apply to the value (a plain field is not under never-sent).
    """
    scenario = result.scenario
    shown = {s.name for s in scenario.secrets if s.shown}
    kinds = {s.name: s.kind for s in scenario.secrets}
    guarded = {g.value: g for g in guarded_values(result.timeline.typed, result.values, shown, kinds)}
    findings = [f for f in result.findings if hasattr(f, "fingerprint")]

    def verdict(rule: str, applies: bool, mark: str | None) -> dict[str, Any]:
        if not applies:
            return {"verdict": "n/a", "findings": 0, "occurrences": 0}
        broken = [f for f in findings if f.rule == rule and (mark is None or f.fingerprint == mark)]
        count = sum(f.count for f in broken)
        return {"verdict": "broken" if broken else "held", "findings": len(broken), "occurrences": count}

    def rules_for(value: str) -> dict[str, dict[str, Any]]:
        g = guarded.get(value)
        mark = fingerprint(value, result.fingerprint_key)
        applies = {
            "never-sent": g is not None and g.sensitive and not g.shown,
            "not-before-submit": g is not None and not g.sensitive,
            "opt-out": False,  # about the whole run, not one value
            "at-rest": g is not None and g.sensitive,
            "shown-secret": g is not None and g.shown,
        }
        return {rule: verdict(rule, applies[rule], mark) for rule in RULES}

    rows: list[dict[str, Any]] = []
    for typed in result.timeline.typed:
        submit = result.timeline.submit_of(typed.form, typed.t_ms)
        rows.append({
            "source": "typed", "step": typed.step, "field": typed.selector, "secret": typed.secret,
            "fingerprint": fingerprint(typed.value, result.fingerprint_key), "length": len(typed.value),
            "sensitive": typed.sensitive, "reason": typed.reason, "form": typed.form,
            "t_ms": round(typed.t_ms, 1), "submitted_ms": None if submit is None else round(submit.t_ms, 1),
            "checked": typed.value in guarded,
            "why_unchecked": "" if typed.value in guarded else f"shorter than {MIN_VALUE_LENGTH} characters",
            "rules": rules_for(typed.value),
        })
    for secret in scenario.secrets:
        value = result.values.get(secret.name)
        if secret.shown and value is not None:
            rows.append({
                "source": "shown", "step": None, "field": secret.name, "secret": secret.name,
                "fingerprint": fingerprint(value, result.fingerprint_key), "length": len(value),
                "sensitive": True, "reason": "shown inside a sensitive element", "form": "",
                "t_ms": None, "submitted_ms": None, "checked": value in guarded,
                "why_unchecked": "" if value in guarded else f"shorter than {MIN_VALUE_LENGTH} characters",
                "rules": rules_for(value),
            })
    overall: dict[str, dict[str, Any]] = {}
    for rule in RULES:
        applies = bool(result.timeline.optouts) if rule == "opt-out" else any(
            row["rules"][rule]["verdict"] != "n/a" for row in rows
        )
        overall[rule] = verdict(rule, applies, None)
    return rows, overall


def _destinations(result: RunResult) -> list[dict[str, Any]]:
    """Where the page sent things: per origin, requests (and WebSocket frames sent), bytes and channels."""
    table: dict[str, dict[str, Any]] = {}

    def add(url: str, channel: str, size: int) -> None:
        parts = urlsplit(url)
        entry = table.setdefault(f"{parts.scheme}://{parts.netloc}", {"requests": 0, "bytes": 0, "channels": set()})
        entry["requests"] += 1
        entry["bytes"] += size
        entry["channels"].add(channel)

    for request in result.recording.requests:
        add(request.url, request.channel, len(request.url) + len(request.body))
    for frame in result.recording.frames:
        if frame.direction == "sent":
            add(frame.url, "websocket", len(frame.data))
    return [
        {"origin": origin, "requests": e["requests"], "bytes": e["bytes"], "channels": sorted(e["channels"])}
        for origin, e in sorted(table.items(), key=lambda item: -item[1]["requests"])
    ]


def run_summary(result: RunResult, report_dir: Path) -> dict[str, Any]:
    """One entry of ``results.json``'s ``runs`` (not yet redacted)."""
    base = Path(run_slug_dir(result, report_dir))
    values, rules = value_verdicts(result)
    channels = {r.channel for r in result.recording.requests} | ({"websocket"} if result.recording.frames else set())
    return {
        "scenario": result.scenario.name,
        "slug": result.scenario.slug,
        "file": result.scenario.file,
        "browser": result.browser,
        "browser_version": result.browser_version,
        "status": result.status,
        "error": result.error,
        "findings": [{**finding_json(f), "line": finding_line(f)} for f in result.findings],
        "requests": len(result.recording.requests),
        "websocket_frames": len(result.recording.frames),
        "bytes": result.bytes_sent,
        "duration_ms": round(result.duration_ms, 1),
        "dir": base.as_posix(),
        "values": values,
        "rules": rules,
        "inspected": {
            "channels": sorted(channels),
            "requests": len(result.recording.requests),
            "websocket_frames_sent": sum(f.direction == "sent" for f in result.recording.frames),
            "bytes": result.bytes_sent,
            "storage_snapshots": len(result.storage),
            "background_requests_dropped": result.recording.background,
            "encodings": list(ENCODINGS_SEARCHED),
            "destinations": _destinations(result),
        },
        "timeline": _timeline(result),
        # The replay work adds "replay", "diff" and "heatmap" image paths (relative to the report) to these.
        "checkpoints": [
            {"name": c.name, "t_ms": round(c.t_ms, 1), "live": (base / c.live).as_posix(), "status": "captured"}
            for c in result.timeline.checkpoints
        ],
    }


def run_slug_dir(result: RunResult, report_dir: Path) -> str:
    run_dir = result.run_dir
    return str(run_dir.relative_to(report_dir)) if run_dir.is_relative_to(report_dir) else str(run_dir)


def finding_json(finding: Any) -> dict[str, Any]:
    """A finding as JSON: findings offer ``to_json()``; plain mappings pass through."""
    if hasattr(finding, "to_json"):
        return dict(finding.to_json())
    return dict(finding)


def finding_line(finding: Any) -> str:
    """A finding in one line, for JUnit and the terminal."""
    if hasattr(finding, "line"):
        return str(finding.line())
    data = finding_json(finding)
    return (
        f"{data.get('rule')}: {data.get('field')} ({data.get('value_kind')}) left the page via "
        f"{data.get('channel')} [{data.get('encoding') or 'plain'}] to {data.get('url')} at {data.get('t_ms')} ms"
    )


def write_results(
    results: list[RunResult],
    report_dir: Path,
    invalid: Iterable[str] = (),
    invocation: Invocation | None = None,
    environment_errors: Iterable[str] = (),
) -> dict[str, Any]:
    """Write ``results.json`` and ``junit.xml`` for every run, and each run's own files; return the document."""
    report_dir.mkdir(parents=True, exist_ok=True)
    runs = []
    for result in results:
        redact = redactor_for(result)
        write_run_files(result, redact)
        runs.append(redact.tree(run_summary(result, report_dir)))
    document = {
        "harness_version": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        **(invocation or Invocation((), "", None, None, "")).to_json(),
        "finished": _utc_now(),
        "browsers": {r.browser: r.browser_version for r in results},
        "encodings_searched": list(ENCODINGS_SEARCHED),
        "runs": runs,
        "invalid": list(invalid),
        "environment_errors": list(environment_errors),
    }
    _dump(report_dir / "results.json", document)
    write_junit(document, report_dir / "junit.xml")
    return document


def write_junit(document: Mapping[str, Any], path: Path) -> None:
    """One testcase per scenario × browser (from ``results.json``); a failure states its first finding in one line."""
    runs = list(document["runs"])
    invalid = list(document.get("invalid", ()))
    suite = ET.Element(
        "testsuite",
        name="telltale",
        tests=str(len(runs) + len(invalid)),
        failures=str(sum(r["status"] == "failed" for r in runs)),
        errors=str(sum(r["status"] == "error" for r in runs) + len(invalid)),
        time=f"{sum(r['duration_ms'] for r in runs) / 1000:.3f}",
    )
    for run in runs:
        case = ET.SubElement(
            suite, "testcase", classname=f"telltale.{run['browser']}", name=run["scenario"],
            file=run["file"], time=f"{run['duration_ms'] / 1000:.3f}",
        )
        if run["status"] == "failed":
            lines = [f["line"] for f in run["findings"]]
            more = f" (+{len(lines) - 1} more)" if len(lines) > 1 else ""
            failure = ET.SubElement(case, "failure", message=lines[0] + more)
            failure.text = "\n".join(lines)
        elif run["status"] == "error":
            ET.SubElement(case, "error", message=run["error"].splitlines()[0] if run["error"] else "error")
    for message in invalid:
        case = ET.SubElement(suite, "testcase", classname="telltale.invalid", name=message.split(":")[0])
        ET.SubElement(case, "error", message=message)
    ET.indent(suite)
    path.write_bytes(ET.tostring(suite, encoding="utf-8", xml_declaration=True))


def _dump(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
