"""Vendor session formats found in captured traffic. For now: rrweb's events, as JSON arrays in request bodies.

(A placeholder of the vendor-format decoder: it keeps only the interface the vendor replay needs.)
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import TypedDict, TypeGuard

from harness.privacy.decode import decode_layers


class RrwebEvent(TypedDict):
    """One rrweb event as its recorder emits it (``type``: rrweb's EventType; ``timestamp``: epoch ms, page clock)."""

    type: int
    data: dict[str, object]
    timestamp: int


def _is_event(value: object) -> TypeGuard[RrwebEvent]:
    return (isinstance(value, dict) and type(value.get("type")) is int and isinstance(value.get("data"), dict)
            and type(value.get("timestamp")) is int)


def _arrays(value: object) -> Iterator[list[object]]:
    """Every JSON array inside ``value``, outermost first."""
    if isinstance(value, list):
        yield value
        for item in value:
            yield from _arrays(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _arrays(item)


def rrweb_events(payloads: Iterable[bytes]) -> list[RrwebEvent]:
    """The rrweb events carried by ``payloads`` (any decoding layer), each once, in time order."""
    seen: set[str] = set()
    events: list[RrwebEvent] = []
    for payload in payloads:
        for layer in decode_layers(payload):
            try:
                parsed = json.loads(layer.data)
            except ValueError:
                continue
            for array in _arrays(parsed):
                for item in array:
                    if _is_event(item):
                        key = json.dumps(item, sort_keys=True)
                        if key not in seen:  # a retried batch carries the same events again
                            seen.add(key)
                            events.append(item)
    events.sort(key=lambda e: e["timestamp"])
    return events


__all__ = ["RrwebEvent", "rrweb_events"]
