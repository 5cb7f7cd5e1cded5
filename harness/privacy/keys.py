"""What a keylogger's tokens type: key names, `code` values, numeric key codes and char codes, in one table each.

A keylogger reports a keystroke the way the event shows it: ``key`` ("a", "A", "!", "Shift", "Backspace"),
``code`` ("KeyA", "Digit1", "Minus": the physical key, case and shift lost), ``keyCode``/``which`` on keydown
(72 for both "h" and "H", 49 for both "1" and "!") or ``charCode`` on keypress (the character's own code).
`keystrokes` reads one token every way it could be meant; the reassembly (`harness.privacy.fragments`) keeps
one stream per reading and matches `physical` spellings of the values against the streams that lost case.

The physical keys are those of a US layout: what ``code`` and ``keyCode`` are defined by.
"""

from __future__ import annotations

import string
from collections.abc import Iterator
from typing import Final, Literal

__all__ = ["BACKSPACE", "KEY_STREAMS", "LOSSY_STREAMS", "KeyStream", "keystrokes", "physical"]

KeyStream = Literal["key", "code", "keyCode", "charCode"]
"""How a token was read: as a key name or typed text, a `code` value, a keydown key code, a keypress char code."""

KEY_STREAMS: Final[tuple[KeyStream, ...]] = ("key", "code", "keyCode", "charCode")

LOSSY_STREAMS: Final[frozenset[KeyStream]] = frozenset({"code", "keyCode"})
"""Streams that name the physical key only: a value is matched against them by its `physical` spelling."""

BACKSPACE: Final = "\b"
"""What a Backspace types into a stream: it removes the character before it."""

# The character a shifted key types, and the key's own (US layout).
_SHIFTED: Final = dict(zip('!@#$%^&*()_+{}|:"<>?~', "1234567890-=[]\\;',./`", strict=True))

# `code` values of the keys that type something, and what each types unshifted.
_CODES: Final[dict[str, str]] = {
    **{f"Key{letter.upper()}": letter for letter in string.ascii_lowercase},
    **{f"Digit{digit}": digit for digit in string.digits},
    **{f"Numpad{digit}": digit for digit in string.digits},
    "Minus": "-", "Equal": "=", "BracketLeft": "[", "BracketRight": "]", "Backslash": "\\", "Semicolon": ";",
    "Quote": "'", "Comma": ",", "Period": ".", "Slash": "/", "Backquote": "`", "Space": " ", "IntlBackslash": "\\",
    "NumpadAdd": "+", "NumpadSubtract": "-", "NumpadMultiply": "*", "NumpadDivide": "/", "NumpadDecimal": ".",
}

# keydown `keyCode` values of the keys that type something (Firefox's own codes for - ; = included).
_KEY_CODES: Final[dict[int, str]] = {
    **{ord(letter.upper()): letter for letter in string.ascii_lowercase},
    **{ord(digit): digit for digit in string.digits},
    **{96 + int(digit): digit for digit in string.digits},  # the numeric keypad
    32: " ", 106: "*", 107: "+", 109: "-", 110: ".", 111: "/", 186: ";", 187: "=", 188: ",", 189: "-", 190: ".",
    191: "/", 192: "`", 219: "[", 220: "\\", 221: "]", 222: "'", 173: "-", 59: ";", 61: "=",
}
_BACKSPACE_CODE: Final = 8

# Key names of at most three characters that type nothing (longer ones are never taken for typed text).
_SILENT_NAMES: Final = frozenset({"Alt", "Tab", "End", "Fn", *(f"F{n}" for n in range(1, 13))})

_LONGEST_NUMBER: Final = 7  # digits of the largest code point, 1114111


def physical(text: str) -> str:
    """`text` as the keys that type it name it: lowercase, a shifted symbol as its key's own ("!" is "1")."""
    return "".join(_SHIFTED.get(char, char) for char in text.lower())


def keystrokes(token: str | int, max_chars: int) -> Iterator[tuple[KeyStream, str]]:
    """What `token` types, once for each way a keylogger could mean it, as (stream, text); a text of
    `BACKSPACE` removes the character before it. A string of at most `max_chars` characters is typed text."""
    if isinstance(token, str):
        if token == "Backspace":
            yield "key", BACKSPACE
            yield "code", BACKSPACE
        elif token in _CODES:
            yield "code", physical(_CODES[token])
        elif 0 < len(token) <= max_chars and token not in _SILENT_NAMES:
            yield "key", token
        if not (token.isascii() and token.isdigit() and len(token) <= _LONGEST_NUMBER):
            return
        token = int(token)
    if token == _BACKSPACE_CODE:  # also where key codes are read as char codes: a digit's are the same
        yield "keyCode", BACKSPACE
        yield "charCode", BACKSPACE
    elif token in _KEY_CODES:
        yield "keyCode", physical(_KEY_CODES[token])
    if 0x20 <= token <= 0x10FFFF and not 0xD800 <= token <= 0xDFFF and token != 0x7F:
        yield "charCode", chr(token)
