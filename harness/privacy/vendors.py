"""The session formats of the recorders sites deploy, read out of captured payloads: which event carried a value.

rrweb's events (``{"type", "data", "timestamp"}``) travel in many carriers: rrweb's own arrays and batches,
PostHog's ``$snapshot`` events (``$snapshot_data``; the body gzip'd, base64'd or lz-string'd, which the generic
decoder peels; an event's own data gzip'd into a Latin-1 string, ``"cv"``, which is peeled here), Sentry's replay
envelopes (a ``replay_recording`` item: a JSON header line, then the events, zlib'd or not: the generic decoder
finds the stream in the envelope) and Highlight's ``{"events": [...]}``. `rrweb_events` finds them all in the
decoded layers of a payload, wherever they sit.

`NodeIndex` maps rrweb's node ids to selectors (``#email``, ``input[name="q"]``, ``p.note``) from the full
snapshots and mutation adds; `describe` names an event in words a reader can check against the page ("rrweb
incremental snapshot, input, on #email"). `masked_texts` finds the texts a recorder masked character for
character (``*****``): the mask hides the value but not its length.

Clarity (clarity-js) uploads ``{"e": envelope, "a": analytics events, "p": playback events}``, each event an array
``[time, type, ...]``, gzip'd or plain (both peeled by the decoder); `clarity_events` reads them and
`clarity_name` names their type.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Final, NotRequired, TypedDict, TypeGuard

from harness.privacy.decode import MAX_OUTPUT, decode_layers

__all__ = [
    "CLARITY_EVENTS",
    "INCREMENTAL_SOURCES",
    "MASK_CHARACTERS",
    "EVENT_TYPES",
    "ClarityEvent",
    "EventNamer",
    "MaskedText",
    "NodeIndex",
    "RrwebEvent",
    "clarity_events",
    "clarity_name",
    "describe",
    "masked_texts",
    "payload_events",
    "rrweb_events",
]


class RrwebEvent(TypedDict):
    """One rrweb event as recorders send it (rrweb's ``eventWithTime``)."""

    type: int
    data: dict[str, object]
    timestamp: int
    delay: NotRequired[int]


EVENT_TYPES: Final = {
    0: "DOM content loaded", 1: "load", 2: "full snapshot", 3: "incremental snapshot", 4: "meta",
    5: "custom event", 6: "plugin event",
}
"""rrweb's ``EventType``, in words."""

INCREMENTAL_SOURCES: Final = (
    "mutation", "mouse move", "mouse interaction", "scroll", "viewport resize", "input", "touch move",
    "media interaction", "style sheet rule", "canvas mutation", "font", "log", "drag", "style declaration",
    "selection", "adopted style sheet", "custom element",
)
"""rrweb's ``IncrementalSource``, in words, by number."""

MASK_CHARACTERS: Final = frozenset("*•●")
"""Characters recorders mask text with, one per character masked: rrweb's and Sentry's ``*``, Clarity's ``•``."""

_FULL_SNAPSHOT: Final = 2
_INCREMENTAL: Final = 3
_MUTATION: Final = 0
_INPUT: Final = 5
_ELEMENT_NODE: Final = 2  # rrweb-snapshot's NodeType
_TEXT_NODE: Final = 3


def _is_event(node: object) -> TypeGuard[RrwebEvent]:
    return (
        isinstance(node, dict)
        and type(node.get("type")) is int
        and node["type"] in EVENT_TYPES
        and type(node.get("timestamp")) in (int, float)
        and isinstance(node.get("data"), dict)
    )


# --- carriers -----------------------------------------------------------------------------------------------------


def _json_documents(data: bytes) -> Iterator[object]:
    """The JSON documents a decoded layer holds: the whole layer, or else each line (NDJSON, joined pieces)."""
    try:
        yield json.loads(data)
        return
    except (ValueError, RecursionError):
        pass
    for line in data.split(b"\n"):
        line = line.strip()
        if line[:1] in (b"{", b"[") and b"timestamp" in line:
            try:
                yield json.loads(line)
            except (ValueError, RecursionError):
                continue


def _gunzip_latin1(text: str) -> object | None:
    """PostHog's compressed event data: gzip bytes written one per character (fflate's ``strFromU8(…, true)``)."""
    try:
        packed = text.encode("latin-1")
        inflater = zlib.decompressobj(31)
        return json.loads(inflater.decompress(packed, MAX_OUTPUT))
    except (UnicodeEncodeError, zlib.error, ValueError, RecursionError):
        return None


def _expanded(event: RrwebEvent) -> RrwebEvent:
    """The event with PostHog's gzip'd data (``"cv"``: the whole data, or a mutation's lists) inflated in place."""
    data: object = event["data"]
    if isinstance(data, str) and data.startswith("\x1f\x8b"):
        inflated = _gunzip_latin1(data)
        if isinstance(inflated, dict):
            return {**event, "data": inflated}
    if isinstance(data, dict) and any(isinstance(v, str) and v.startswith("\x1f\x8b") for v in data.values()):
        fields = {k: (_gunzip_latin1(v) if isinstance(v, str) and v.startswith("\x1f\x8b") else v)
                  for k, v in data.items()}
        return {**event, "data": fields}
    return event


def _posthog_compressed(node: object) -> bool:
    """An rrweb event whose data PostHog gzip'd into a string (its ``cv`` marker)."""
    return (
        isinstance(node, dict) and "cv" in node and isinstance(node.get("data"), str)
        and type(node.get("type")) is int and type(node.get("timestamp")) in (int, float)
    )


def _walk(node: object, found: list[tuple[bool, RrwebEvent]], depth: int = 0) -> None:
    """Every rrweb event inside a parsed JSON document, wherever the carrier put it, and whether it was inflated."""
    if depth > 64:
        return
    if _is_event(node) or _posthog_compressed(node):
        expanded = _expanded(node)  # type: ignore[arg-type]  # a compressed event's data is a str until expanded
        found.append((expanded is not node, expanded))
        return
    if isinstance(node, dict):
        for child in node.values():
            _walk(child, found, depth + 1)
    elif isinstance(node, list):
        for child in node:
            _walk(child, found, depth + 1)
    elif isinstance(node, str) and node[:1] in ("{", "[") and "timestamp" in node:
        try:  # JSON stringified inside JSON (PostHog's older $snapshot_data, Highlight's payload strings)
            _walk(json.loads(node), found, depth + 1)
        except (ValueError, RecursionError):
            pass


def payload_events(payload: bytes) -> list[tuple[tuple[str, ...], RrwebEvent]]:
    """The rrweb events in one captured payload, each with the decoding chain of the layer it was read from."""
    found: list[tuple[tuple[str, ...], RrwebEvent]] = []
    for layer in decode_layers(payload):  # a Sentry envelope's zlib'd recording is one of them
        chain, data = layer.chain, layer.data
        if b"timestamp" not in data:
            continue
        for document in _json_documents(data):
            events: list[tuple[bool, RrwebEvent]] = []
            _walk(document, events)
            found += [((*chain, "posthog-cv", "gzip") if inflated else chain, event) for inflated, event in events]
    return found


def _peeled_here(chain: tuple[str, ...]) -> bool:
    """Read by a step only this module takes (PostHog's gzip'd event data, latin-1 text inside JSON): the generic
    decoder shows the scanner nothing of what it reveals."""
    return "posthog-cv" in chain


def _identity(event: RrwebEvent) -> str:
    return json.dumps(event, sort_keys=True, ensure_ascii=False)


def rrweb_events(payloads: Iterable[bytes]) -> list[RrwebEvent]:
    """Every rrweb event in the decoded layers of the payloads (bodies, URLs, frames), by timestamp, once each."""
    seen: set[str] = set()
    events: list[RrwebEvent] = []
    for payload in payloads:
        for _, event in payload_events(payload):
            identity = _identity(event)
            if identity not in seen:
                seen.add(identity)
                events.append(event)
    events.sort(key=lambda event: event["timestamp"])
    return events


# --- nodes ----------------------------------------------------------------------------------------------------------


@dataclass
class NodeIndex:
    """rrweb node ids and what they are: each element's selectors (most telling first), each node's parent."""

    selectors: dict[int, tuple[str, ...]] = field(default_factory=dict)
    parents: dict[int, int] = field(default_factory=dict)
    texts: set[int] = field(default_factory=set)

    @classmethod
    def of(cls, events: Iterable[RrwebEvent]) -> NodeIndex:
        """The nodes of every full snapshot and mutation add among `events`."""
        index = cls()
        for event in events:
            data = event["data"]
            if event["type"] == _FULL_SNAPSHOT:
                index.add(data.get("node"), None)
            elif event["type"] == _INCREMENTAL and data.get("source") == _MUTATION:
                for added in _dicts(data.get("adds")):
                    parent = added.get("parentId")
                    index.add(added.get("node"), parent if type(parent) is int else None)
        return index

    def add(self, node: object, parent: int | None) -> None:
        """A serialised node (rrweb-snapshot's ``serializedNodeWithId``) and its subtree."""
        if not isinstance(node, dict) or type(node.get("id")) is not int:
            return
        node_id: int = node["id"]
        if parent is not None:
            self.parents[node_id] = parent
        if node.get("type") == _ELEMENT_NODE:
            self.selectors[node_id] = _selectors(node)
        elif node.get("type") == _TEXT_NODE:
            self.texts.add(node_id)
        for child in _dicts(node.get("childNodes")):
            self.add(child, node_id)

    def element(self, node_id: object) -> int | None:
        """The element a node is or is in (a text node's parent)."""
        if type(node_id) is not int:
            return None
        return self.parents.get(node_id) if node_id in self.texts else node_id

    def selector(self, node_id: object) -> str:
        """The most telling selector of a node's element, or ``node <id>`` when no snapshot showed it."""
        element = self.element(node_id)
        names = self.selectors.get(element) if element is not None else None
        return names[0] if names else f"node {node_id}"

    def names(self, node_id: object) -> tuple[str, ...]:
        """Every selector a scenario may have used for a node's element."""
        element = self.element(node_id)
        return self.selectors.get(element, ()) if element is not None else ()


def _dicts(items: object) -> Iterator[dict[str, object]]:
    if isinstance(items, list):
        yield from (item for item in items if isinstance(item, dict))


def _selectors(node: dict[str, object]) -> tuple[str, ...]:
    tag = str(node.get("tagName") or "").lower() or "*"
    attributes = node.get("attributes")
    attributes = attributes if isinstance(attributes, dict) else {}
    names: list[str] = []
    if isinstance(attributes.get("id"), str) and attributes["id"]:
        names += [f"#{attributes['id']}", f"{tag}#{attributes['id']}"]
    if isinstance(attributes.get("name"), str) and attributes["name"]:
        names += [f'{tag}[name="{attributes["name"]}"]', f'[name="{attributes["name"]}"]']
    classes = str(attributes.get("class") or "").split()
    names.append(tag + "".join(f".{name}" for name in classes))
    if classes:
        names.append(tag)
    return tuple(names)


# --- naming ---------------------------------------------------------------------------------------------------------


def _holds(text: object, value: str) -> bool:
    return bool(value) and isinstance(text, str) and value.casefold() in text.casefold()


def _in_tree(node: object, value: str, nodes: NodeIndex, parent: object = None) -> str:
    """Where in a serialised subtree the value is: ``text of <parent>`` or ``attribute <name> of <element>``."""
    if not isinstance(node, dict):
        return ""
    if node.get("type") == _TEXT_NODE and _holds(node.get("textContent"), value):
        return f"text of {nodes.selector(parent)}" if parent is not None else "text"
    attributes = node.get("attributes")
    if isinstance(attributes, dict):
        for name, text in attributes.items():
            if _holds(text, value):
                return f"{'value' if name == 'value' else f'attribute {name}'} of {nodes.selector(node.get('id'))}"
    for child in _dicts(node.get("childNodes")):
        if where := _in_tree(child, value, nodes, node.get("id")):
            return where
    return ""


def _in_mutation(data: dict[str, object], value: str, nodes: NodeIndex) -> str:
    for text in _dicts(data.get("texts")):
        if _holds(text.get("value"), value):
            return f"text of {nodes.selector(text.get('id'))}"
    for change in _dicts(data.get("attributes")):
        attributes = change.get("attributes")
        for name, text in attributes.items() if isinstance(attributes, dict) else ():
            if _holds(text, value):
                return f"attribute {name} of {nodes.selector(change.get('id'))}"
    for added in _dicts(data.get("adds")):
        if where := _in_tree(added.get("node"), value, nodes, added.get("parentId")):
            return f"added {where}"
    return ""


def describe(event: RrwebEvent, nodes: NodeIndex, value: str = "") -> str:
    """The event in words: its type, its source, and the node it is about (where `value` sits in it, if given).

    "rrweb incremental snapshot, input, on #email"; "rrweb full snapshot, text of p.note";
    "rrweb incremental snapshot, mutation, text of #note"; "rrweb custom event, breadcrumb".
    """
    kind = EVENT_TYPES.get(event["type"], f"event type {event['type']}")
    data = event["data"]
    parts = [f"rrweb {kind}"]
    if event["type"] == _FULL_SNAPSHOT:
        parts.append(_in_tree(data.get("node"), value, nodes))
    elif event["type"] == _INCREMENTAL:
        source = data.get("source")
        parts.append(INCREMENTAL_SOURCES[source] if type(source) is int and 0 <= source < len(INCREMENTAL_SOURCES)
                     else f"source {source}")
        if source == _MUTATION:
            parts.append(_in_mutation(data, value, nodes))
        elif "id" in data:
            parts.append(f"on {nodes.selector(data['id'])}")
    elif event["type"] == 5:
        parts.append(str(data.get("tag", "")))
    elif event["type"] == 6:
        parts.append(str(data.get("plugin", "")))
    return ", ".join(part for part in parts if part)


# --- masks ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MaskedText:
    """A text a recorder masked character for character: it hides the value, not its length."""

    selectors: tuple[str, ...]
    """The ways to name the field or element it belongs to (its id, name, tag and classes)."""
    text: str
    """The mask as sent: one mask character, as many times as the value has characters."""
    event: str
    """The event that carried it, in words (`describe`)."""

    @property
    def length(self) -> int:
        return len(self.text)


def _is_mask(text: object) -> bool:
    return isinstance(text, str) and bool(text) and len(set(text)) == 1 and text[0] in MASK_CHARACTERS


def masked_texts(events: Iterable[RrwebEvent], nodes: NodeIndex) -> list[MaskedText]:
    """The masked texts among `events`: input events and text mutations whose text is one mask character repeated."""
    found: list[MaskedText] = []
    for event in events:
        data = event["data"]
        if event["type"] != _INCREMENTAL:
            continue
        if data.get("source") == _INPUT and _is_mask(data.get("text")):
            found.append(MaskedText(nodes.names(data.get("id")), str(data["text"]), describe(event, nodes)))
        elif data.get("source") == _MUTATION:
            for change in _dicts(data.get("texts")):
                if _is_mask(change.get("value")):
                    text = str(change["value"])
                    found.append(MaskedText(nodes.names(change.get("id")), text, describe(event, nodes, text)))
    return found


# --- Clarity --------------------------------------------------------------------------------------------------------

CLARITY_EVENTS: Final = (
    "Metric", "Dimension", "Upload", "Upgrade", "Baseline", "Discover", "Mutation", "Region", "Document", "Click",
    "Scroll", "Resize", "MouseMove", "MouseDown", "MouseUp", "MouseWheel", "DoubleClick", "TouchStart", "TouchEnd",
    "TouchMove", "TouchCancel", "Selection", "Timeline", "Page", "Custom", "Ping", "Unload", "Input", "Visibility",
    "Navigation", "Connection", "ScriptError", "ImageError", "Log", "Variable", "Limit", "Summary", "Box",
    "Clipboard", "Submit", "Extract", "Fraud", "Change", "Snapshot", "Animation", "StyleSheetAdoption",
    "StyleSheetUpdate",
)
"""clarity-js's ``Event`` enum (types/data.d.ts), by number."""


ClarityEvent = list[object]
"""``[time, type, ...data]``, as clarity-js encodes every event."""


def _clarity_payload(node: object) -> TypeGuard[dict[str, list[object]]]:
    return (
        isinstance(node, dict) and isinstance(node.get("e"), list)
        and (isinstance(node.get("a"), list) or isinstance(node.get("p"), list))
    )


def clarity_events(payload: bytes) -> list[ClarityEvent]:
    """The events of a Clarity upload (``{"e": envelope, "a": [...], "p": [...]}``, gzip'd or plain)."""
    found: list[ClarityEvent] = []
    for layer in decode_layers(payload):
        if b'"e"' not in layer.data:
            continue
        for document in _json_documents(layer.data):
            if _clarity_payload(document):
                for group in ("a", "p"):
                    found += [event for event in document.get(group, []) if isinstance(event, list)
                              and len(event) >= 2 and type(event[1]) is int]
    return found


def clarity_name(event: ClarityEvent) -> str:
    """A Clarity event in words: "clarity Input event"."""
    kind = event[1]
    name = CLARITY_EVENTS[kind] if type(kind) is int and 0 <= kind < len(CLARITY_EVENTS) else f"type {kind}"
    return f"clarity {name} event"


# --- the event that carried a value ---------------------------------------------------------------------------------


def _searchable(event: RrwebEvent | ClarityEvent) -> bytes:
    """An event serialised for searching."""
    text = _identity(event) if isinstance(event, dict) else json.dumps(event, ensure_ascii=False)
    return text.encode("utf-8", "surrogatepass")


@dataclass(frozen=True)
class _Read:
    """One event of a payload: how it was read, the event, and its text to search."""

    chain: tuple[str, ...]
    event: RrwebEvent | ClarityEvent
    data: bytes


@dataclass
class EventNamer:
    """Names the event that carried a value in a payload, against a run's nodes (read once, when first needed)."""

    payloads: Callable[[], Sequence[bytes]]
    """Every payload of the run whose events may describe its nodes (full snapshots may come in another request)."""
    _nodes: NodeIndex | None = None
    _events: dict[bytes, list[_Read]] = field(default_factory=dict)
    _holding: dict[tuple[bytes, str], list[RrwebEvent | ClarityEvent]] = field(default_factory=dict)

    @property
    def nodes(self) -> NodeIndex:
        if self._nodes is None:
            # The events each payload was read into already (the first to mention a node names it).
            events = {read.data: read.event for payload in self.payloads() for read in self._events_of(payload)
                      if isinstance(read.event, dict)}
            self._nodes = NodeIndex.of(sorted(events.values(), key=lambda event: event["timestamp"]))
        return self._nodes

    def _events_of(self, payload: bytes) -> list[_Read]:
        """The payload's rrweb events, else its Clarity events."""
        if payload not in self._events:
            found: list[tuple[tuple[str, ...], RrwebEvent | ClarityEvent]] = list(payload_events(payload))
            if not found:
                found = [(("clarity",), event) for event in clarity_events(payload)]
            self._events[payload] = [_Read(chain, event, _searchable(event)) for chain, event in found]
        return self._events[payload]

    def carrier(self, payload: bytes, value: str, holds: Callable[[bytes], bool], nth: int = 0) -> str:
        """The `nth` event of `payload` that holds the value, in words; "" when no event does (or none is there).

        The scanner reports a payload's hits in the order of the text, as the events stand in it: its nth hit of a
        value is in the nth event holding it. Events holding the value as typed are looked for first; else those
        that `holds` it in another form (an encoding, a digest: the scanner's question, asked of one event).
        """
        if (payload, value) not in self._holding:  # a keystroke batch has a hit per event: search its events once
            events = self._events_of(payload)
            plain = value.encode("utf-8")
            holding = [read.event for read in events if plain in read.data or plain.lower() in read.data.lower()]
            self._holding[payload, value] = holding or [read.event for read in events if holds(read.data)]
        holding = self._holding[payload, value]
        if not holding:
            return ""
        chosen = holding[min(nth, len(holding) - 1)]
        return clarity_name(chosen) if isinstance(chosen, list) else describe(chosen, self.nodes, value)

    def hidden(self, payload: bytes) -> list[tuple[tuple[str, ...], bytes]]:
        """The events of `payload` only this module could read (`_peeled_here`), as (chain, text) to search."""
        return [(read.chain, read.data) for read in self._events_of(payload) if _peeled_here(read.chain)]

    def masked(self, payload: bytes) -> list[MaskedText]:
        """The texts masked character for character in the payload's rrweb events."""
        events = [read.event for read in self._events_of(payload) if isinstance(read.event, dict)]
        if not any(event["type"] == _INCREMENTAL for event in events):
            return []
        return masked_texts(events, self.nodes)
