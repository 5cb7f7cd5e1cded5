"""A scenario as the harness runs it: its steps, its secrets and the values a run types.

Files are read and validated by :mod:`harness.run.loader`; what each step does is :mod:`harness.run.steps`.
"""

from __future__ import annotations

import re
import secrets as _random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from harness.errors import ScenarioError

REFERENCE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
CANARY = re.compile(r"\{canary:([A-Za-z_]+)\}")


@dataclass(frozen=True)
class Location:
    """Where a node stands in its file (1-based line and column)."""

    file: str
    line: int
    column: int

    def error(self, message: str) -> ScenarioError:
        return ScenarioError(self.file, self.line, self.column, message)


# -- canaries ------------------------------------------------------------------------------------------------------


def _luhn_complete(digits: str) -> str:
    """Append the Luhn check digit to ``digits``."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:  # doubled positions, counted from the check digit's left neighbour
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return digits + str((10 - total % 10) % 10)


def _digits(n: int) -> str:
    return "".join(str(_random.randbelow(10)) for _ in range(n))


# Each canary carries enough randomness that finding it in captured traffic cannot be a coincidence, and starts
# with it: a keylogger's partial values (prefixes) must not match another canary's fixed part.
CANARY_KINDS: dict[str, Callable[[str], str]] = {
    "email": lambda token: f"tt{token}@canary-mail.test",
    "password": lambda token: f"{token}-Pw!",
    "card": lambda token: _luhn_complete("4" + _digits(14)),
    "text": lambda token: f"{token} canary note",
    "name": lambda token: f"Kit{token[:6]} Canary",
    "phone": lambda token: f"+44 7700 9{_digits(5)}",
    "pin": lambda token: _digits(6),
    "otp": lambda token: _digits(6),
    "ssn": lambda token: f"9{_digits(2)}-{_digits(2)}-{_digits(4)}",
    "iban": lambda token: f"GB{_digits(2)}TTLE{_digits(14)}",
}


def expand_canaries(template: str) -> str:
    """Replace each ``{canary:KIND}`` in ``template`` by a fresh value of that kind."""
    return CANARY.sub(lambda m: CANARY_KINDS[m.group(1)](_random.token_hex(4)), template)


# -- the model -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Secret:
    """A value declared under ``secrets:``: typed in steps, or shown by the page (``shown: true``)."""

    name: str
    template: str
    shown: bool
    location: Location

    @property
    def kind(self) -> str:
        """The canary kind when the value is one canary, else the secret's name."""
        m = CANARY.fullmatch(self.template)
        return m.group(1) if m else self.name


@dataclass(frozen=True)
class Step:
    """One step: its kind (``type``, ``click``, ...), its normalised arguments and where it was written."""

    kind: str
    args: dict[str, Any]
    location: Location
    index: int  # 1-based, as a person counts steps

    def describe(self) -> str:
        return f"step {self.index} '{self.kind}'"

    def __repr__(self) -> str:
        return f"<Step {self.index} {self.kind} {self.args!r} at {self.location.line}:{self.location.column}>"


@dataclass(frozen=True)
class Scenario:
    """A validated scenario file."""

    name: str
    file: str
    start: str
    viewport: tuple[int, int]
    secrets: tuple[Secret, ...]
    site_api: tuple[tuple[str, str], ...]
    steps: tuple[Step, ...]
    start_at: Location | None = None  # where ``start`` was written
    silent: bool = False  # the tracker is expected to send nothing: a run in which it sent nothing may pass

    def urls(self) -> list[tuple[str, Location]]:
        """Every URL the scenario navigates to (``start``, ``goto``, ``leave``), as written, with where."""
        found = [(self.start, self.start_at or Location(self.file, 1, 1))]
        found += [(str(step.args["url"]), step.location) for step in self.steps if "url" in step.args]
        return found

    def resolve_secrets(self) -> dict[str, str]:
        """Values for one run: canaries are drawn afresh each time."""
        return {secret.name: expand_canaries(secret.template) for secret in self.secrets}

    @property
    def slug(self) -> str:
        return Path(self.file).stem

    def __repr__(self) -> str:
        return f"<Scenario {self.name!r} file={self.file!r} steps={len(self.steps)}>"


def is_absolute(url: str) -> bool:
    """An http(s) URL with a host."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def is_path(url: str) -> bool:
    """A path on the base URL's origin (``/login``), not a protocol-relative ``//host/``."""
    return url.startswith("/") and not url.startswith("//")


def substitute(text: str, values: dict[str, str]) -> str:
    """Replace ``{name}`` references by their values (references were checked at load time)."""
    return REFERENCE.sub(lambda m: values.get(m.group(1), m.group(0)), text)
