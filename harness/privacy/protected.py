"""A run's protected values, worked out once: what the rules guard, what no evidence may hold in clear, and the
names a report may use for them.

Every consumer (the rules, the redactor of every stored file, the visual redaction proof, the report's value
table) takes them from :class:`ProtectedValues`, so a value can never be guarded by one and forgotten by another.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Final

from harness.privacy.leaks import Protected, fingerprint
from harness.privacy.redact import Redactor
from harness.run.result import RunResult
from harness.run.screenshot import MIN_HIDDEN_LENGTH, hidden_values
from harness.run.timeline import TypedValue

MIN_VALUE_LENGTH: Final = 4  # shorter typed text cannot be told apart from coincidence: no rule judges it
MIN_STORED_LENGTH: Final = MIN_HIDDEN_LENGTH  # from this length a value is still replaced in stored evidence
SHOWN_REASON: Final = "shown inside a sensitive element"


@dataclass(frozen=True)
class Guarded:
    """A value under a rule: typed into a field, or shown by the page."""

    value: str = field(repr=False)
    field: str
    reason: str
    kind: str
    sensitive: bool
    shown: bool
    form: str
    typed_ms: float


def guarded_values(
    typed: Iterable[TypedValue], secrets: Mapping[str, str], shown: Iterable[str], kinds: Mapping[str, str]
) -> list[Guarded]:
    """The values under a rule: what was typed (its first classification sticks) and what the page showed."""
    found: dict[str, Guarded] = {}
    for entry in typed:
        if len(entry.value) < MIN_VALUE_LENGTH or entry.value in found:
            continue
        kind = kinds.get(entry.secret, "text") if entry.secret else "text"
        found[entry.value] = Guarded(
            entry.value, entry.selector, entry.reason, kind, entry.sensitive, False, entry.form, entry.t_ms
        )
    for name in shown:
        value = secrets[name]
        if len(value) >= MIN_VALUE_LENGTH and value not in found:
            found[value] = Guarded(value, name, SHOWN_REASON, kinds.get(name, name), True, True, "", 0.0)
    return list(found.values())


@dataclass(frozen=True)
class ProtectedValues:
    """The protected values of one run: typed text and declared secrets, under the run's fingerprint key."""

    key: bytes = field(repr=False)
    guarded: tuple[Guarded, ...]  # under a rule (long enough to judge)
    stored: tuple[str, ...] = field(repr=False)  # never written in clear anywhere, longest first
    kinds: Mapping[str, str] = field(repr=False)  # value → kind (``card`` adds digit groupings)
    names: Mapping[str, str] = field(repr=False)  # value → the name a report may use for it
    hidden: tuple[str, ...] = field(default=(), repr=False)  # no picture may show these (secrets, sensitive typing)

    @classmethod
    def of(cls, result: RunResult) -> ProtectedValues:
        """Work out a run's protected values from its scenario's secrets and what its steps typed."""
        scenario, typed = result.scenario, result.timeline.typed
        secret_kinds = {secret.name: secret.kind for secret in scenario.secrets}
        shown = [secret.name for secret in scenario.secrets if secret.shown and secret.name in result.values]
        kinds = {value: secret_kinds.get(name, "text") for name, value in result.values.items()}
        names = {value: name for name, value in result.values.items()}
        for entry in typed:
            kinds.setdefault(entry.value, secret_kinds.get(entry.secret, "text"))
            names.setdefault(entry.value, entry.secret or f"text typed at step {entry.step}")
        everything = {entry.value for entry in typed} | set(result.values.values())
        stored = sorted((v for v in everything if len(v) >= MIN_STORED_LENGTH), key=len, reverse=True)
        guarded = guarded_values(typed, result.values, shown, secret_kinds)
        hidden = hidden_values(typed, result.values)  # what the checkpoint step painted over, the same call
        return cls(result.fingerprint_key, tuple(guarded), tuple(stored), kinds, names, hidden)

    @cached_property
    def redactor(self) -> Redactor:
        """Replaces every spelling of every stored value by its keyed fingerprint marker."""
        return Redactor(self.stored, self.key, self.kinds)

    def fingerprint(self, value: str) -> str:
        return fingerprint(value, self.key)

    def fingerprints(self) -> dict[str, str]:
        """Each stored value's fingerprint marker (for timelines that name values without holding them)."""
        return {value: self.fingerprint(value) for value in self.stored}

    def checked(self) -> list[Protected]:
        """The values long enough to judge, each with its report name (for the replay's redaction proof)."""
        return [Protected(name, value, self.kinds.get(value, "text")) for value, name in self.names.items()
                if len(value) >= MIN_VALUE_LENGTH]


__all__ = ["MIN_STORED_LENGTH", "MIN_VALUE_LENGTH", "Guarded", "ProtectedValues", "guarded_values"]
