"""harness/replay/events.py: decoding snippet batches (gzip or plain JSON) and validating them against harness/resources/schema.json."""

from __future__ import annotations

import gzip
import json
from typing import Any

import jsonschema
import pytest

from harness.replay.events import (
    Batch,
    BatchDecodeError,
    BatchSchemaError,
    decode_and_validate,
    decode_batch,
    problems,
    validate,
)
from harness.resources import SCHEMA

URL = "https://shop.test/telltale/collect"


def envelope(*events: dict[str, Any], **over: Any) -> dict[str, Any]:
    batch = {"v": 2, "sid": "0" * 32, "seq": 3, "page": "a" * 16, "t0": 1_700_000_000_000, "dropped": 0, "events": list(events)}
    return {**batch, **over}


GOOD_EVENTS: list[dict[str, Any]] = [
    {"type": "meta", "t": 0, "url": "https://shop.test/?q=*", "title": "T", "w": 1280, "h": 720, "dpr": 2},
    {"type": "snapshot", "t": 1, "node": {"id": 1, "root": "doc", "doctype": {"name": "html", "publicId": "", "systemId": ""},
                                          "kids": [{"id": 2, "tag": "html", "kids": [{"id": 3, "text": "hi"}]}]}},
    {"type": "mutation", "t": 5, "removes": [3], "adds": [{"parent": 2, "node": {"id": 4, "tag": "p", "attrs": {"class": "x"}}}],
     "attrs": [{"id": 2, "name": "lang", "value": None}], "texts": [{"id": 4, "text": "\u2022\u2022\u2022"}]},
    {"type": "mutation", "t": 5, "css": [{"id": 4, "text": "p { color: red; }"}], "adopted": [{"id": 1, "sheets": ["b {}"]}]},
    {"type": "attach", "t": 6, "host": 4, "node": {"id": 5, "root": "shadow", "sheets": ["p{}"]}},
    {"type": "move", "t": 7, "path": [[0, 1, 2], [50, 3, 4]]},
    {"type": "click", "t": 8, "id": 4, "x": 1, "y": 2},
    {"type": "scroll", "t": 9, "id": 1, "x": 0, "y": 300.53},
    {"type": "resize", "t": 10, "w": 800, "h": 600},
    {"type": "visibility", "t": 11, "state": "hidden"},
    {"type": "nav", "t": 12, "url": "https://shop.test/a", "how": "push"},
    {"type": "focus", "t": 13, "id": 4},
    {"type": "blur", "t": 14, "id": 4, "ms": 800, "fixes": 2},
    {"type": "blur", "t": 15, "id": 4},
    {"type": "submit", "t": 16, "id": 4, "fields": [{"id": 5, "name": "email", "value": "a@b.c"}]},
    {"type": "abandon", "t": 17, "id": 4, "fields": [5]},
]


def test_schema_is_valid_draft_2020_12() -> None:
    jsonschema.Draft202012Validator.check_schema(json.loads(SCHEMA.read_text()))


def test_every_event_type_has_an_example_that_validates() -> None:
    schema = json.loads(SCHEMA.read_text())
    assert {e["type"] for e in GOOD_EVENTS} == set(schema["$defs"]["event"]["properties"]["type"]["enum"])
    assert problems(envelope(*GOOD_EVENTS)) == []


@pytest.mark.parametrize(
    ("url", "body"),
    [
        (URL + "?z=gzip", gzip.compress(json.dumps(envelope(*GOOD_EVENTS)).encode())),
        (URL, gzip.compress(json.dumps(envelope(*GOOD_EVENTS)).encode())),  # recognised by its magic bytes
        (URL, json.dumps(envelope(*GOOD_EVENTS)).encode()),
    ],
    ids=["gzip-by-url", "gzip-by-magic", "plain"],
)
def test_decode(url: str, body: bytes) -> None:
    batch = decode_and_validate(body, url)
    assert isinstance(batch, Batch)
    assert (batch.v, batch.seq, batch.dropped, len(batch.events)) == (2, 3, 0, len(GOOD_EVENTS))
    assert batch.compressed == (body[:2] == b"\x1f\x8b")
    assert [e.type for e in batch.of_type("blur")] == ["blur", "blur"]
    assert batch.events[6]["id"] == 4 and batch.events[6].get("nope", 7) == 7
    assert repr(batch.events[6]) == "<Event click t=8 id=4>"
    assert repr(batch).startswith("<Batch seq=3 ")


@pytest.mark.parametrize(
    ("url", "body", "message"),
    [
        (URL + "?z=gzip", b'{"v": 1}', "should be gzip"),
        (URL, b"\xff\xfe{", "not UTF-8"),
        (URL, b"{nope", "not JSON"),
        (URL, b"[1, 2]", "should be a JSON object, got list"),
    ],
)
def test_decode_errors_say_what_is_wrong(url: str, body: bytes, message: str) -> None:
    with pytest.raises(BatchDecodeError, match=message):
        decode_batch(body, url)


@pytest.mark.parametrize(
    ("batch", "expected"),
    [
        (envelope(seq=0), "seq: 0 is less than the minimum of 1"),
        (envelope(sid="Ada"), "sid: 'Ada' does not match"),
        ({k: v for k, v in envelope().items() if k != "dropped"}, "(batch): 'dropped' is a required property"),
        (envelope({"type": "keys", "t": 1}), "events/0: unknown event type 'keys'"),
        (envelope({"type": "move", "t": 1, "path": [[0, 1]]}), "events/0 (move)/path/0: [0, 1] is too short"),
        (envelope({"type": "blur", "t": 1, "id": 2, "ms": 3}), "events/0 (blur): 'fixes' is a dependency of 'ms'"),
        (envelope({"type": "submit", "t": 1, "id": 2, "fields": [], "extra": 1}), "events/0 (submit): Additional properties"),
        (envelope({"type": "snapshot", "t": 1, "node": {"id": 1, "root": "doc", "kids": [{"id": 2, "tag": "script"}]}}), "events/0 (snapshot)/node/kids/0"),
        (envelope({"type": "snapshot", "t": 1, "node": {"id": 1, "root": "doc", "kids": [{"id": 2, "tag": "a", "attrs": {"onclick": "x"}}]}}), "events/0 (snapshot)/node/kids/0"),
        (envelope({"type": "snapshot", "t": 1, "node": {"id": 1, "root": "doc", "kids": [{"id": 2, "tag": "input", "attrs": {"value": "typed"}}]}}), "events/0 (snapshot)/node/kids/0"),
        (envelope({"type": "snapshot", "t": 1, "node": {"id": 1, "root": "doc", "kids": [{"id": 2, "tag": "a", "attrs": {"href": " javascript:x"}}]}}), "events/0 (snapshot)/node/kids/0"),
    ],
    ids=["seq", "sid", "missing-dropped", "unknown-type", "move-point", "blur-ms-without-fixes", "extra-field",
         "script-node", "handler-attr", "input-value", "javascript-url"],
)
def test_schema_errors_name_the_field(batch: dict[str, Any], expected: str) -> None:
    with pytest.raises(BatchSchemaError) as caught:
        validate(decode_batch(json.dumps(batch).encode(), URL))
    assert any(expected in p for p in caught.value.problems), caught.value.problems
    assert "breaks harness/resources/schema.json" in str(caught.value)


def test_open_is_an_attribute_not_a_handler() -> None:
    node = {"id": 1, "root": "doc", "kids": [{"id": 2, "tag": "details", "attrs": {"open": ""}}]}
    assert problems(envelope({"type": "snapshot", "t": 1, "node": node})) == []
