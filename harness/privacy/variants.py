"""Every spelling of a protected value, defined once: what the leak scanner searches for is what the redactor replaces.

A value turns into a *text* before a tracker writes it down: a form of the whole value (as typed, trimmed,
lowercased, a card number regrouped: `FORMS`), a digest of one of those (`DIGESTS` × `DIGEST_WRITINGS`), or a
prefix, what a keylogger sends while the visitor types. A `Spelling` then writes a text into the bytes a browser
sends: as it stands, hex, base64 (in both alphabets, and at the offsets a longer text shifts it to),
percent-escaped, JSON- or HTML-escaped, each also in UTF-16 where JavaScript strings are stored so.

`variants` walks these tables, one loop, and yields every result as a `Variant`. The scanner
(`harness.privacy.leaks`) searches for each variant's bytes; the redactor (`harness.privacy.redact`) replaces
each; neither spells a value on its own, so a spelling added here reaches both (``tests/test_variants.py``
fails when they drift). A variant carries both names it is shown by: the scanner's (`Variant.name`, a hit's
``variant``: ``sha256-hex(trimmed)``, ``prefix:5/12/utf16``) and the redactor's (`Variant.label`, in a
marker: ``sha256``, ``prefix 5/12 url``).

The lengths both sides agree on live here too: `MIN_PREFIX`, `SHORT` and `FRAGMENT_CHARS`.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Final, Literal
from urllib.parse import quote, quote_plus

__all__ = [
    "DIGESTS",
    "DIGEST_WRITINGS",
    "FORMS",
    "DIGITS_PREFIX",
    "FRAGMENT_CHARS",
    "GROUPED_FROM",
    "MIN_PREFIX",
    "NEIGHBOURS",
    "SHORT",
    "SPELLINGS",
    "Form",
    "Spelling",
    "Text",
    "Variant",
    "is_fragment",
    "reported_prefix",
    "standalone",
    "texts",
    "variants",
]

MIN_PREFIX: Final = 4
"""Shortest prefix of a value searched for and redacted (a keylogger sends every prefix; 3 characters say little)."""

SHORT: Final = 6
"""Spellings shorter than this count only where they stand as a word of their own (not "boots" in "bootstrap"),
and values shorter than this are not reported by their prefixes (they are still redacted)."""

DIGITS_PREFIX: Final = 6
"""Shortest prefix made of digits only that is reported as a leak (or all but the last digit of a shorter value):
tracker batches are full of numbers that stand alone (times, coordinates, sizes), and a 6-digit code's first
four digits turned up as one of them in our own snippet's batch; five digits are ten times rarer, six a thousand.
Shorter digit prefixes are still searched, to mask them in stored evidence."""

FRAGMENT_CHARS: Final = 3
"""Longest string taken for a keystroke fragment: a key or a few of a value, one payload each."""

GROUPED_FROM: Final = 12
"""Values of at least this many characters, once spaces and dashes are dropped, also get the card forms: a card
number, IBAN or phone number typed into a field not marked as one is sent regrouped as often as a marked one."""


def reported_prefix(value: str, length: int) -> bool:
    """Whether the first `length` characters of `value`, sent alone, are reported as a leak of it (shorter and
    chance-prone prefixes are searched only to mask them): none of a value shorter than `SHORT`, and a prefix of
    digits only from `DIGITS_PREFIX` digits or all but the value's last."""
    if len(value) < SHORT:
        return False
    head = value[:length]
    if head.isascii() and head.isdigit():
        return length >= min(DIGITS_PREFIX, len(value) - 1)
    return True


def is_fragment(text: str) -> bool:
    """Whether `text` is short enough to be a keystroke fragment (and not empty)."""
    return 0 < len(text) <= FRAGMENT_CHARS


NEIGHBOURS: Final[dict[str, frozenset[str]]] = {
    "digit": frozenset(string.digits),
    "word": frozenset(string.ascii_letters + string.digits + "_"),
}
"""The characters that may not touch a spelling that must stand alone, by what `standalone` says of it."""


def standalone(written: str) -> Literal["digit", "word"] | None:
    """What must not touch a spelling for a match to be the value (`NEIGHBOURS`): a PIN inside a longer number
    is another number ("digit"), a short text inside a longer word is a coincidence ("word"); None: it counts
    anywhere."""
    if written.isdigit():
        return "digit"
    return "word" if len(written) < SHORT else None


# --- what a value turns into: forms, digests, prefixes --------------------------------------------------------


def _unseparated(value: str) -> str:
    return "".join(char for char in value if char not in " -")


def _grouped(separator: str) -> Callable[[str], str]:
    def group(value: str) -> str:
        digits = _unseparated(value)
        return separator.join(digits[start : start + 4] for start in range(0, len(digits), 4))

    return group


def _always(value: str, kind: str) -> bool:
    return True


def _groupable(value: str, kind: str) -> bool:
    return kind == "card" or len(_unseparated(value)) >= GROUPED_FROM


@dataclass(frozen=True)
class Form:
    """One way a tracker alters a whole value before writing it."""

    name: str
    derive: Callable[[str], str] = field(repr=False)
    applies: Callable[[str, str], bool] = field(default=_always, repr=False)
    """Given (value, kind): whether this form is searched for that value."""


# Most exact first: when two forms give the same text, the first one names it.
FORMS: Final = (
    Form("exact", lambda value: value),
    Form("trimmed", str.strip),
    Form("lowercase", str.lower),
    Form("lowercase", lambda value: value.strip().lower()),
    Form("card-digits", _unseparated, _groupable),
    Form("card-spaced", _grouped(" "), _groupable),
    Form("card-dashed", _grouped("-"), _groupable),
)

DIGESTS: Final = ("md5", "sha1", "sha256", "sha512")


def _b64(raw: bytes, alphabet: bytes = b"+/") -> str:
    return base64.b64encode(raw, alphabet).decode("ascii")


DIGEST_WRITINGS: Final[tuple[tuple[str, Callable[[bytes], str]], ...]] = (
    ("hex", bytes.hex),
    ("HEX", lambda digest: digest.hex().upper()),
    ("base64", _b64),
    ("base64-nopad", lambda digest: _b64(digest).rstrip("=")),
    ("base64url", lambda digest: _b64(digest, b"-_")),
    ("base64url-nopad", lambda digest: _b64(digest, b"-_").rstrip("=")),
)
"""How a digest is written down (as text: a `Spelling` then writes it into bytes)."""

TextRole = Literal["whole", "digest", "prefix"]


@dataclass(frozen=True)
class Text:
    """What a value turns into before it is written: a form of it, a digest of a form, or a prefix."""

    text: str = field(repr=False)
    role: TextRole
    name: str
    """The scanner's name: ``exact``, ``card-spaced``, ``sha256-hex(trimmed)``, ``prefix:5/12``."""
    label: str
    """The redactor's marker label: ``""`` for the value as typed, ``card-spaced``, ``sha256``, ``prefix 5/12``."""


def texts(value: str, kind: str, min_prefix: int = MIN_PREFIX) -> Iterator[Text]:
    """What `value` (of `kind`) turns into, most exact first: its forms, their digests, its prefixes (longest first)."""
    wholes: list[Text] = []
    for form in FORMS:
        if form.applies(value, kind) and (text := form.derive(value)):
            wholes.append(Text(text, "whole", form.name, "" if form.name == "exact" else form.name))
    yield from wholes
    for whole in wholes:
        for algorithm in DIGESTS:
            digest = hashlib.new(algorithm, whole.text.encode("utf-8")).digest()
            for writing, write in DIGEST_WRITINGS:
                source = "" if whole.name == "exact" else f"({whole.name})"
                yield Text(write(digest), "digest", f"{algorithm}-{writing}{source}", algorithm)
    for length in range(len(value) - 1, max(min_prefix, 1) - 1, -1):
        yield Text(value[:length], "prefix", f"prefix:{length}/{len(value)}", f"prefix {length}/{len(value)}")


# --- how a text is written into bytes ---------------------------------------------------------------------------

_WHOLE: Final[frozenset[TextRole]] = frozenset({"whole"})
_TYPED: Final[frozenset[TextRole]] = frozenset({"whole", "prefix"})
_ANY: Final[frozenset[TextRole]] = frozenset({"whole", "prefix", "digest"})


def _base64_at(alignment: int, alphabet: bytes) -> Callable[[str], str]:
    """Base64 of a longer text holding `text` at byte offset `alignment` (mod 3): the characters that depend on
    `text` alone, or "" when fewer than eight do."""

    def write(text: str) -> str:
        encoded = _b64(b"\0" * alignment + text.encode("utf-8"), alphabet).rstrip("=")
        stable = encoded[4 : len(encoded) - (len(encoded) % 4 and 4)]
        return stable if len(stable) >= 8 else ""

    return write


@dataclass(frozen=True)
class Spelling:
    """One way a text is written into what a browser sends."""

    label: str
    """Named in the redactor's marker (``url``, ``base64``); ``""`` for the text as it stands."""
    write: Callable[[str], str] = field(repr=False)
    """The written text; ``""`` when the spelling does not apply to this text."""
    via: tuple[str, ...]
    """The decoding steps (`harness.privacy.decode`) that undo it, appended to a scanner hit's chain."""
    searched: bool
    """Whether only searching finds it. Hex and base64 runs are decoded only when long, so a short one is
    found by searching for it. The escapes a decoder reveals (URL, JSON, HTML, base64 inside a longer run) are
    searched too, to mask them in excerpts and to find them where decoding does not reach (too deep, or a
    ``+`` for a space outside a form), but the scanner reports them only where nothing else found the value."""
    applies: frozenset[TextRole]
    utf16: bool
    """Also written as UTF-16-LE, as JavaScript strings are stored (nothing decodes UTF-16)."""


SPELLINGS: Final = (
    Spelling("", lambda text: text, (), True, _ANY, utf16=True),
    Spelling("hex", lambda text: text.encode("utf-8").hex(), ("hex",), True, _TYPED, utf16=False),
    Spelling("hex", lambda text: text.encode("utf-8").hex().upper(), ("hex",), True, _TYPED, utf16=False),
    # Without padding, so that the value at the start of a longer text is found too.
    Spelling("base64", lambda text: _b64(text.encode("utf-8")).rstrip("="), ("base64",), True, _TYPED, utf16=False),
    Spelling(
        "base64", lambda text: _b64(text.encode("utf-8"), b"-_").rstrip("="), ("base64",), True, _TYPED, utf16=False
    ),
    Spelling("base64", _base64_at(1, b"+/"), ("base64",), False, _WHOLE, utf16=True),
    Spelling("base64", _base64_at(1, b"-_"), ("base64",), False, _WHOLE, utf16=True),
    Spelling("base64", _base64_at(2, b"+/"), ("base64",), False, _WHOLE, utf16=True),
    Spelling("base64", _base64_at(2, b"-_"), ("base64",), False, _WHOLE, utf16=True),
    Spelling("url", lambda text: quote(text, safe=""), ("url",), False, _TYPED, utf16=True),
    Spelling("url", quote, ("url",), False, _TYPED, utf16=True),  # keeps '/'
    Spelling("url", quote_plus, ("url",), False, _TYPED, utf16=True),
    Spelling("json", lambda text: json.dumps(text)[1:-1], ("json",), False, _TYPED, utf16=True),
    Spelling("json", lambda text: json.dumps(text, ensure_ascii=False)[1:-1], ("json",), False, _TYPED, utf16=True),
    Spelling("html", lambda text: html.escape(text, quote=True), ("html",), False, _TYPED, utf16=True),
)


@dataclass(frozen=True)
class Variant:
    """One spelling of one protected value: a `Text` written by a `Spelling`, in UTF-8 or UTF-16-LE."""

    text: Text
    spelling: Spelling
    written: str = field(repr=False)
    """The spelled text, before it becomes bytes."""
    width: int
    """Bytes per character: 1 for UTF-8, 2 for UTF-16-LE."""

    @property
    def data(self) -> bytes:
        """The bytes a browser sends."""
        return self.written.encode("utf-8" if self.width == 1 else "utf-16-le")

    @property
    def partial(self) -> bool:
        """A prefix of the value, not the whole of it."""
        return self.text.role == "prefix"

    @property
    def name(self) -> str:
        """The scanner's name for it (a hit's ``variant``); the spelling shows in the hit's chain instead."""
        return self.text.name + ("/utf16" if self.width == 2 else "")

    @property
    def label(self) -> str:
        """The redactor's label for it, put in the value's marker (``⟦fp:xxxx prefix 5/12 url⟧``)."""
        utf16 = "utf16" if self.width == 2 else ""
        return " ".join(part for part in (self.text.label, self.spelling.label, utf16) if part)


def variants(value: str, kind: str = "text", min_prefix: int = MIN_PREFIX) -> Iterator[Variant]:
    """Every spelling of `value`, most exact first: each text it turns into, written every way that applies.

    The same bytes may come more than once (``quote`` of plain letters is the letters): the first is the
    most exact, and names them.
    """
    for text in texts(value, kind, min_prefix):
        for spelling in SPELLINGS:
            if text.role in spelling.applies and (written := spelling.write(text.text)):
                yield Variant(text, spelling, written, 1)
                if spelling.utf16:
                    yield Variant(text, spelling, written, 2)
