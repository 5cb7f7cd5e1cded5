"""Decoding our snippet's batches and validating them against its wire format (``harness/resources/schema.json``).

A batch is the body of one request to the collector: JSON, gzip-compressed when the URL carries ``z=gzip``
(the snippet cannot set ``Content-Encoding`` on a beacon). Decoding is lenient and keeps the raw object;
:func:`validate` is where the schema is enforced.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from harness.errors import TelltaleError
from harness.resources import SCHEMA

GZIP_MAGIC = b"\x1f\x8b"


class BatchError(TelltaleError, ValueError):
    """A captured body is not a valid snippet batch."""


class BatchDecodeError(BatchError):
    """The body could not be turned into a JSON object (bad gzip, bad UTF-8, bad JSON, not an object)."""


class BatchSchemaError(BatchError):
    """The batch decoded but breaks harness/resources/schema.json; ``problems`` lists every violation."""

    def __init__(self, problems: Iterable[str], seq: object = None) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        head = f"batch seq={seq!r} breaks harness/resources/schema.json ({len(self.problems)} problem(s))"
        super().__init__(head + "".join(f"\n  {p}" for p in self.problems))


@dataclass(frozen=True)
class Event:
    """One recorded event; ``data`` is the event exactly as sent (``type`` and ``t`` included)."""

    type: str
    t: int
    data: Mapping[str, Any] = field(compare=False, hash=False)

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def get(self, key: str, default: Any = None) -> Any:
        """The field ``key`` of the event, or ``default``."""
        return self.data.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self.data

    def __repr__(self) -> str:
        extra = "".join(f" {k}={self.data[k]!r}" for k in ("id", "host", "state", "how") if k in self.data)
        return f"<Event {self.type} t={self.t}{extra}>"


@dataclass(frozen=True)
class Batch:
    """One decoded request body: the envelope's fields, its events, and the raw object for validation."""

    v: int
    sid: str
    seq: int
    page: str
    t0: int
    dropped: int
    events: tuple[Event, ...]
    compressed: bool
    raw: Mapping[str, Any] = field(compare=False, hash=False, repr=False)

    def of_type(self, *types: str) -> tuple[Event, ...]:
        """The events of the given types, in order."""
        return tuple(e for e in self.events if e.type in types)

    def __repr__(self) -> str:
        gz = " gzip" if self.compressed else ""
        return f"<Batch seq={self.seq} page={self.page!r} events={len(self.events)} dropped={self.dropped}{gz}>"


def _int(value: object, default: int = -1) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def is_gzip_url(url: str) -> bool:
    """Whether the collector URL says its body is gzip (``?z=gzip``)."""
    return "gzip" in parse_qs(urlsplit(url).query).get("z", [])


def decode_batch(body: bytes, url: str) -> Batch:
    """Decode one collector request body sent to ``url`` (gunzipped when ``?z=gzip`` or the gzip magic says so)."""
    compressed = is_gzip_url(url) or body[:2] == GZIP_MAGIC
    data = body
    if compressed:
        try:
            data = gzip.decompress(body)
        except (OSError, EOFError, zlib.error) as exc:
            raise BatchDecodeError(f"body of {url} should be gzip (z=gzip or magic 1f8b) but is not: {exc}") from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BatchDecodeError(f"body of {url} is not UTF-8: {exc}") from exc
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BatchDecodeError(f"body of {url} is not JSON: {exc} (starts {text[:40]!r})") from exc
    if not isinstance(obj, dict):
        raise BatchDecodeError(f"body of {url} should be a JSON object, got {type(obj).__name__}")
    raw_events = obj.get("events")
    events = tuple(
        Event(_str(e.get("type")), _int(e.get("t")), MappingProxyType(e)) if isinstance(e, dict) else Event("", -1, {})
        for e in (raw_events if isinstance(raw_events, list) else [])
    )
    return Batch(
        v=_int(obj.get("v")),
        sid=_str(obj.get("sid")),
        seq=_int(obj.get("seq")),
        page=_str(obj.get("page")),
        t0=_int(obj.get("t0")),
        dropped=_int(obj.get("dropped")),
        events=events,
        compressed=compressed,
        raw=MappingProxyType(obj),
    )


@dataclass(frozen=True)
class _Validators:
    envelope: Draft202012Validator
    per_type: Mapping[str, Draft202012Validator]


@lru_cache(maxsize=4)
def _validators(path: Path) -> _Validators:
    schema = json.loads(path.read_text(encoding="utf-8"))
    base = schema["$id"]
    registry: Registry[Any] = Registry().with_resource(base, Resource.from_contents(schema, DRAFT202012))

    def at(ref: str) -> Draft202012Validator:
        return Draft202012Validator({"$ref": f"{base}#/$defs/{ref}"}, registry=registry)

    # The envelope is checked with events left out; each event against its own type's definition, so that an
    # error names the field that is wrong rather than "not valid under any of the given schemas".
    envelope = dict(schema, properties=dict(schema["properties"], events={"type": "array"}))
    types = schema["$defs"]["event"]["properties"]["type"]["enum"]
    return _Validators(Draft202012Validator(envelope, registry=registry), {name: at(name) for name in types})


def _where(prefix: str, error: ValidationError) -> str:
    path = "/".join(str(p) for p in error.absolute_path)
    return f"{prefix}{'/' if prefix and path else ''}{path}" or "(batch)"


def problems(batch: Batch | Mapping[str, Any], schema_path: Path = SCHEMA) -> list[str]:
    """Every schema violation of a batch (decoded, or its raw object), as ``where: message`` lines."""
    raw = batch.raw if isinstance(batch, Batch) else batch
    checks = _validators(schema_path)
    found = [f"{_where('', e)}: {e.message}" for e in checks.envelope.iter_errors(dict(raw))]
    events = raw.get("events")
    for i, event in enumerate(events if isinstance(events, list) else []):
        kind = event.get("type") if isinstance(event, dict) else None
        check = checks.per_type.get(kind) if isinstance(kind, str) else None
        if check is None:
            found.append(f"events/{i}: unknown event type {kind!r}; expected one of {sorted(checks.per_type)}")
            continue
        found.extend(f"{_where(f'events/{i} ({kind})', e)}: {e.message}" for e in check.iter_errors(event))
    return found


def validate(batch: Batch | Mapping[str, Any], schema_path: Path = SCHEMA) -> None:
    """Raise :class:`BatchSchemaError` listing every violation when the batch breaks harness/resources/schema.json."""
    found = problems(batch, schema_path)
    if found:
        seq = batch.seq if isinstance(batch, Batch) else batch.get("seq")
        raise BatchSchemaError(found, seq)


def decode_and_validate(body: bytes, url: str) -> Batch:
    """:func:`decode_batch` then :func:`validate`."""
    batch = decode_batch(body, url)
    validate(batch)
    return batch
