"""The fields of a page, in every frame and open shadow root, classified as the rules classify them; and the
choices a person makes before submitting (an option per select, required checkboxes, a radio per group).

The page probe's ``classify`` (``harness/resources/page_probe.js``) says whether a field is sensitive and why, the
same answer the ``type`` step records for the rules; ``scan_fields.js`` asks it for every field. The canary typed
into a field is of the kind its type, autocomplete, names and label suggest, one of the scenario canaries
(:data:`harness.run.scenario.CANARY_KINDS`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal, TypedDict

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Frame, Page

from harness.resources import resource_text

FRAME_ENTER: Final = " >> internal:control=enter-frame >> "  # Playwright's chain into an iframe's document


class _RawField(TypedDict):
    """One field as ``scan_fields.js`` reports it."""

    selector: str
    host: str
    tag: str
    type: str
    editable: bool
    autocomplete: str
    id: str
    name: str
    label: str
    form: str
    form_action: str
    sensitive: bool
    reason: str
    unfillable: str


ChoiceStep = Literal["select", "check"]  # the scenario step that makes the choice (harness/run/steps.py)


class _RawChoice(TypedDict):
    """One choice as ``scan_fields.js`` reports it."""

    selector: str
    host: str
    form: str
    step: ChoiceStep
    value: str
    label: str
    unfillable: str


class _RawToggle(TypedDict):
    button: str
    field: str


class _RawPage(TypedDict):
    fields: list[_RawField]
    choices: list[_RawChoice]
    toggles: list[_RawToggle]


@dataclass(frozen=True)
class Field:
    """A field a person could type into, with the selector a scenario reaches it by from the top page."""

    selector: str  # frame and shadow host chained in (``#frame >> internal:control=enter-frame >> #email``)
    label: str
    kind: str  # the canary kind typed into it (a key of CANARY_KINDS)
    sensitive: bool
    reason: str  # the probe's classification
    unfillable: str = ""  # why it cannot be filled ("" when it can)

    def __repr__(self) -> str:
        return f"<Field {self.selector} kind={self.kind!r} sensitive={self.sensitive}>"


@dataclass(frozen=True)
class Choice:
    """A choice a person makes before submitting: an option of a select, a required checkbox, a radio of a group.
    Not typed, so no canary: it only lets a submit pass the form's own validation."""

    selector: str  # chained into its frame and shadow host, as a field's
    label: str
    step: ChoiceStep
    value: str = ""  # the option a ``select`` step chooses ("" for ``check``)
    unfillable: str = ""  # why it cannot be made ("" when it can)

    @property
    def shown(self) -> str:
        """What the scan does, as the summary says it."""
        return f"choose {self.value!r}" if self.step == "select" else "check"


@dataclass(frozen=True)
class Form:
    """A form, or the stand-alone fields of one frame (``key`` empty), as found on a page."""

    key: str  # the probe's form key (``#login-form``), "" for fields outside any form
    frame: str  # the selector chain into its frame ("" for the top document)
    fields: tuple[Field, ...]
    toggles: tuple[tuple[str, str], ...] = ()  # show-password toggles: (button selector, field selector)
    choices: tuple[Choice, ...] = ()

    @property
    def selector(self) -> str:
        """How a ``submit`` step names it; "" for stand-alone fields (nothing to submit)."""
        return f"{self.frame}{self.key}" if self.key else ""

    @property
    def title(self) -> str:
        where = f" in frame {self.frame.split(FRAME_ENTER)[0]}" if self.frame else ""
        return (f"form {self.key}" if self.key else "stand-alone fields") + where

    @property
    def fillable(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if not f.unfillable)

    @property
    def chosen(self) -> tuple[Choice, ...]:
        return tuple(c for c in self.choices if not c.unfillable)


# The kind of canary a field gets, first match wins: what the autocomplete token, the type, then the names and the
# label say. Every kind is a key of CANARY_KINDS (tests/test_scan.py holds them to it).
_AUTOCOMPLETE_KINDS: Final[tuple[tuple[re.Pattern[str], str], ...]] = (
    (re.compile(r"\bcc-number\b"), "card"),
    (re.compile(r"\b(cc-csc|cc-exp(-month|-year)?)\b"), "pin"),
    (re.compile(r"\bone-time-code\b"), "otp"),
    (re.compile(r"\b(current|new)-password\b"), "password"),
    (re.compile(r"\bemail\b"), "email"),
    (re.compile(r"\btel(-national)?\b"), "phone"),
    (re.compile(r"\b(name|given-name|family-name)\b"), "name"),
)
_TYPE_KINDS: Final[dict[str, str]] = {"password": "password", "email": "email", "tel": "phone"}
_NAME_KINDS: Final[tuple[tuple[re.Pattern[str], str], ...]] = (
    (re.compile(r"e-?mail", re.I), "email"),
    (re.compile(r"pass(word)?|pwd", re.I), "password"),
    (re.compile(r"card|cc-?num|pan\b", re.I), "card"),
    (re.compile(r"cvv|cvc|csc|pin\b", re.I), "pin"),
    (re.compile(r"otp|one-?time|verification|\bcode\b", re.I), "otp"),
    (re.compile(r"phone|mobile|\btel\b", re.I), "phone"),
    (re.compile(r"iban", re.I), "iban"),
    (re.compile(r"ssn|social-?security", re.I), "ssn"),
    (re.compile(r"name|nick", re.I), "name"),
)
# A label is prose: "card" there may be a greeting card, so only these words in it choose a kind.
_LABEL_KINDS: Final[tuple[tuple[re.Pattern[str], str], ...]] = (
    (re.compile(r"e-?mail", re.I), "email"),
    (re.compile(r"password|passcode", re.I), "password"),
    (re.compile(r"(credit|debit|bank)\s*card|card\s*(number|no\b)", re.I), "card"),
    (re.compile(r"security code|\bcvv|\bcvc|\bpin\b", re.I), "pin"),
    (re.compile(r"one-?time|verification code", re.I), "otp"),
    (re.compile(r"phone|mobile", re.I), "phone"),
    (re.compile(r"\bname\b", re.I), "name"),
)
DEFAULT_KIND: Final = "text"  # free text: addresses, messages, searches


def canary_kind(raw: _RawField) -> str:
    """The canary kind for a field, from its autocomplete token, type, id/name, then label."""
    for pattern, kind in _AUTOCOMPLETE_KINDS:
        if pattern.search(raw["autocomplete"]):
            return kind
    if raw["type"] in _TYPE_KINDS:
        return _TYPE_KINDS[raw["type"]]
    for words, table in ((f"{raw['id']} {raw['name']}", _NAME_KINDS), (raw["label"], _LABEL_KINDS)):
        for pattern, kind in table:
            if pattern.search(words):
                return kind
    return DEFAULT_KIND


def _frame_chain(frame: Frame) -> str:
    """The selector chain from the top page into ``frame`` ("" for the top); raises when an iframe has no id,
    name or src a scenario could name it by."""
    chain = ""
    while frame.parent_frame is not None:
        element = frame.frame_element()
        named = element.evaluate(
            "(f) => f.id ? '#' + CSS.escape(f.id) : f.getAttribute('name') ? `iframe[name=\"${f.getAttribute('name')}\"]`"
            " : f.getAttribute('src') ? `iframe[src=\"${f.getAttribute('src')}\"]` : ''"
        )
        if not named:
            raise ValueError("an iframe with neither id, name nor src")
        chain = f"{named}{FRAME_ENTER}{chain}"
        frame = frame.parent_frame
    return chain


def _reach(raw: _RawField | _RawChoice, frame: str) -> tuple[str, str]:
    """The selector from the top page, and why it cannot be filled ("" when it can)."""
    selector = raw["selector"]
    unfillable = raw["unfillable"] if selector else "no id or name to reach it by"
    inner = f"{raw['host']} >> {selector}" if raw["host"] else selector
    return f"{frame}{inner}", unfillable


def _field(raw: _RawField, frame: str) -> Field:
    selector, unfillable = _reach(raw, frame)
    return Field(selector, raw["label"] or raw["name"] or raw["id"], canary_kind(raw), raw["sensitive"],
                 raw["reason"], unfillable)


def _choice(raw: _RawChoice, frame: str) -> Choice:
    selector, unfillable = _reach(raw, frame)
    return Choice(selector, raw["label"], raw["step"], raw["value"], unfillable)


def forms_of(page: Page) -> tuple[list[Form], list[str]]:
    """Every form and group of stand-alone fields on ``page``, frame by frame; and why a frame could not be read."""
    script = resource_text("scan_fields.js")
    forms: list[Form] = []
    problems: list[str] = []
    for frame in page.frames:
        try:
            chain = _frame_chain(frame)
            found: _RawPage = frame.evaluate(script)
        except (PlaywrightError, ValueError) as error:
            problems.append(f"frame {frame.url}: cannot be read: {str(error).splitlines()[0]}")
            continue
        groups: dict[str, list[Field]] = {}
        for raw in found["fields"]:
            groups.setdefault(raw["form"], []).append(_field(raw, chain))
        choices: dict[str, list[Choice]] = {}
        for raw_choice in found["choices"]:
            choices.setdefault(raw_choice["form"], []).append(_choice(raw_choice, chain))
        for key in choices:  # a form of choices alone is still a form found (stand-alone toggles are not)
            if key:
                groups.setdefault(key, [])
        toggles = tuple((f"{chain}{t['button']}", f"{chain}{t['field']}") for t in found["toggles"])
        for key, fields in groups.items():
            selectors = {f.selector for f in fields}
            mine = tuple(t for t in toggles if t[1] in selectors)
            forms.append(Form(key, chain, tuple(fields), mine, tuple(choices.get(key, ()))))
    return forms, problems


__all__ = ["DEFAULT_KIND", "Choice", "ChoiceStep", "Field", "Form", "canary_kind", "forms_of"]
