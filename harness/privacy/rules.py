"""Privacy verdicts: the promises a privacy-first tracker makes, checked for every run with no configuration.

- **never-sent**: text typed into a sensitive field never leaves the page, submitted or not.
- **not-before-submit**: other typed text leaves only after its form was submitted; never if abandoned.
- **opt-out**: after the visitor opts out, nothing the tracker sends leaves the page.
- **at-rest**: sensitive values are never written to cookies or web storage.
- **shown-secret**: values the page shows inside a sensitive element never leave the page.

Informational findings break no promise and fail no run, but a reader should know of them:

- **length-leak**: a recorder masked a protected value character for character (``*****``): its length left.

Every request has a party: ``first`` when it goes to an origin under test (or the demo site), ``third`` otherwise.
The site's own traffic is exempt, and only first-party requests can be: a page load the harness or the user caused,
one of the demo site's files, a form's own submission (the navigation its submit caused, or a ``fetch``/XHR soon
after it whose body carries that form's values: a SPA's login), and the calls a scenario declares in
``site_api``; what caused a navigation is :mod:`harness.privacy.causes`'. Everything else is scanned, whatever
its method, channel, host, path or query: frames navigated by script and pages a script sent elsewhere included.
A first-party request that carries a value otherwise (a self-hosted tracker proxy such as ``/ingest``) is a
finding with ``party: first``.
"""

from __future__ import annotations

import dataclasses
import secrets as _random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Literal, TypedDict
from urllib.parse import urljoin, urlsplit

from harness.capture.proxy import CapturedRequest, WebSocketFrame
from harness.capture.routing import Party
from harness.capture.site import Site
from harness.privacy.causes import CAUSE_WINDOW_MS, captured_navigations, navigation_causes
from harness.privacy.fragments import FragmentHit, find_fragments
from harness.privacy.leaks import Hit, LeakScanner, Protected, fingerprint
from harness.privacy.protected import Guarded, ProtectedValues
from harness.privacy.redact import Redactor
from harness.privacy.vendors import EventNamer
from harness.run.result import RunResult
from harness.run.runner import SNIPPET_SOURCE
from harness.run.storage import StorageSnapshot
from harness.run.timeline import LinkClick, Navigation, Submit

Rule = Literal["never-sent", "not-before-submit", "opt-out", "at-rest", "shown-secret", "length-leak"]
RULES: tuple[Rule, ...] = ("never-sent", "not-before-submit", "opt-out", "at-rest", "shown-secret")
"""The promises: a finding under one of them fails its run."""
INFORMATIONAL: tuple[Rule, ...] = ("length-leak",)
"""Findings a reader is told of that fail no run."""
_FORM_CALLS: frozenset[str] = frozenset({"fetch", "xhr"})  # how a SPA posts its form


class FindingDocument(TypedDict):
    """A finding in ``results.json`` (see docs/results.schema.json)."""

    rule: Rule
    field: str
    reason: str
    value_kind: str
    channel: str
    encoding: str
    url: str
    where: str
    variant: str
    t_ms: float
    since_submit_ms: float | None
    when: str
    fingerprint: str
    excerpt: str
    count: int
    party: Party
    initiator: str
    event: str
    informational: bool


@dataclass(frozen=True)
class Finding:
    """One broken promise, with evidence that never holds the protected value itself."""

    rule: Rule
    field: str  # the field's selector (or the secret's name for shown values)
    reason: str  # why the value is protected, e.g. "password: type=password"
    value_kind: str
    channel: str  # document, fetch, xhr, beacon, image, websocket, cookie, storage, ...
    encoding: str  # e.g. "gzip → json → base64"; "plain" when sent as typed
    url: str  # the destination, without query or fragment (they may carry the value)
    where: str  # url, header:<name>, body, frame, fragments, <storage area>
    variant: str  # exact, prefix:5/12, sha256-hex, exact as keyCode, case-insensitive, exact in 2 pieces, ...
    t_ms: float  # when it left, from the start of the run
    since_submit_ms: float | None  # relative to the submit of the field's form; None when it was never submitted
    fingerprint: str
    excerpt: str  # bytes around the match, the value replaced by its fingerprint
    count: int = 1  # how many requests or frames repeated this exact finding
    spread: int = 0  # how many payloads a value typed out a few keys at a time was spread over (0: one payload)
    prefix: int = 0  # how many leading characters were sent, for a prefix (0: the whole value, in some form)
    party: Party = "third"  # who received it: first (an origin under test, the demo site) or third
    initiator: str = ""  # the script that sent it, where the browser says (CapturedRequest.initiator)
    event: str = ""  # the recorder's event that carried it ("rrweb incremental snapshot, input, on #email"), if any

    @property
    def informational(self) -> bool:
        """Shown to the reader, but no broken promise: it does not fail the run."""
        return self.rule in INFORMATIONAL

    @property
    def place(self) -> str:
        """Where in the request it was found, with the spread of a value sent in fragments."""
        return f"{self.where} over {self.spread} payloads" if self.spread else self.where

    @property
    def when(self) -> str:
        if self.since_submit_ms is None:
            return "form never submitted"
        side = "before" if self.since_submit_ms < 0 else "after"
        return f"{abs(self.since_submit_ms):.0f} ms {side} submit"

    def to_json(self) -> FindingDocument:
        return {
            "rule": self.rule,
            "field": self.field,
            "reason": self.reason,
            "value_kind": self.value_kind,
            "channel": self.channel,
            "encoding": self.encoding,
            "url": self.url,
            "where": self.place,
            "variant": self.variant,
            "t_ms": round(self.t_ms, 1),
            "since_submit_ms": None if self.since_submit_ms is None else round(self.since_submit_ms, 1),
            "when": self.when,
            "fingerprint": self.fingerprint,
            "excerpt": self.excerpt,
            "count": self.count,
            "party": self.party,
            "initiator": self.initiator,
            "event": self.event,
            "informational": self.informational,
        }

    def line(self) -> str:
        return (
            ("informational " if self.informational else "")
            + f"{self.rule}: {self.field} ({self.value_kind}; {self.reason}) left via {self.channel} "
            f"[{self.encoding}, {self.variant}] to {self.url} ({self.party} party) in {self.place}, {self.when}"
            + (f" (x{self.count})" if self.count > 1 else "")
            + (f", in {self.event}" if self.event else "")
            + (f", sent by {self.initiator}" if self.initiator else "")
        )

    def __repr__(self) -> str:
        return (
            f"<Finding rule={self.rule!r} field={self.field!r} channel={self.channel!r} "
            f"encoding={self.encoding!r} variant={self.variant!r}>"
        )


@dataclass
class Evidence:
    """Everything the rules look at for one run."""

    requests: Sequence[CapturedRequest]
    frames: Sequence[WebSocketFrame]
    storage: Sequence[StorageSnapshot]
    guarded: Sequence[Guarded]
    submits: Sequence[Submit]
    optouts: Sequence[float]
    site_api: Sequence[tuple[str, str]] = ()
    site: Site | None = None
    navigations: Sequence[Navigation] = ()  # the browser's navigation requests (the harness's marked as such)
    links: Sequence[LinkClick] = ()
    key: bytes = field(default_factory=lambda: _random.token_bytes(16), repr=False)


def _encoding(chain: tuple[str, ...]) -> str:
    return " → ".join(chain) if chain else "plain"


def _destination(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def declared(request: CapturedRequest, site_api: Sequence[tuple[str, str]]) -> bool:
    """Whether ``site_api`` declares the request: the same method, and the URL as written, or the URL without
    its query (``GET https://app/api/search`` covers every search), or a pattern with ``*``."""
    url = request.url.split("#", 1)[0]
    bare = url.split("?", 1)[0]
    for method, pattern in site_api:
        if method == request.method and (pattern in (url, bare) or ("*" in pattern and fnmatchcase(url, pattern))):
            return True
    return False


def _is_site_traffic(request: CapturedRequest, evidence: Evidence, own: set[int]) -> bool:
    """The site's own requests: page loads and forms' submissions (``own``), the demo site's files, its declared
    API calls. A navigation nothing of the site caused (a frame, a page a script navigated) is not among them."""
    if request.party != "first":
        return False
    if id(request) in own or declared(request, evidence.site_api):
        return True
    parts = urlsplit(request.url)
    if request.method != "GET" or parts.query or request.channel == "document":
        return False
    site = evidence.site
    return site is not None and request.host in site.hosts and site.file_for(parts.path) is not None


RequestHits = Callable[[CapturedRequest], list[tuple[str, Hit]]]


def _request_hits(scanner: LeakScanner | None) -> RequestHits:
    """Each request's hits, by the part they are in, scanned once however often they are asked for."""
    cache: dict[int, list[tuple[str, Hit]]] = {}

    def hits(request: CapturedRequest) -> list[tuple[str, Hit]]:
        if scanner is None:
            return []
        if id(request) not in cache:
            cache[id(request)] = [(where, hit) for where, data in _payloads(request) for hit in scanner.scan(data)]
        return cache[id(request)]

    return hits


def _site_requests(evidence: Evidence, hits_of: RequestHits, by_name: dict[str, Guarded]) -> set[int]:
    """The site's page loads and forms' submissions, by cause (:mod:`harness.privacy.causes`); and for each submit,
    a SPA's post of its form: a first-party ``fetch`` or XHR soon after it whose body carries a value typed into
    that form."""
    caused = navigation_causes(evidence.navigations, evidence.submits, evidence.links)
    chosen = set(captured_navigations(evidence.requests, caused))
    calls = [r for r in evidence.requests if r.party == "first" and r.channel in _FORM_CALLS]
    for submit in evidence.submits:
        if not submit.form:
            continue
        for request in calls:
            if not submit.t_ms - 5 <= request.t_ms <= submit.t_ms + CAUSE_WINDOW_MS:
                continue
            if SNIPPET_SOURCE in request.initiator:  # the tracker under test is never the site (where Chromium says)
                continue
            if any(where == "body" and by_name[hit.name].form == submit.form for where, hit in hits_of(request)):
                chosen.add(id(request))
    return chosen


class _Judge:
    """Applies the rules to hits, given each guarded value's form and submit time."""

    def __init__(self, evidence: Evidence) -> None:
        self.evidence = evidence
        self.by_name = {str(i): g for i, g in enumerate(evidence.guarded)}
        self.first_optout = min(evidence.optouts) if evidence.optouts else None

    def submit_ms(self, guarded: Guarded) -> float | None:
        for submit in self.evidence.submits:
            if guarded.form and submit.form == guarded.form and submit.t_ms >= guarded.typed_ms:
                return submit.t_ms
        return None

    def explained_by_allowed(self, guarded: Guarded, prefix: int, t_ms: float) -> bool:
        """A prefix that is also part of a value allowed to leave at ``t_ms`` proves nothing."""
        if not prefix:
            return False
        part = guarded.value[:prefix]
        for other in self.evidence.guarded:
            if other is not guarded and part in other.value and self.verdict(other, t_ms)[0] is None:
                return True
        return False

    def verdict(self, guarded: Guarded, t_ms: float) -> tuple[Rule | None, float | None]:
        submitted = self.submit_ms(guarded)
        since = None if submitted is None else t_ms - submitted
        if guarded.shown:
            return "shown-secret", since
        if guarded.sensitive:
            return "never-sent", since
        if since is None or since < 0:
            return "not-before-submit", since
        return None, since

    def finding(
        self, guarded: Guarded, rule: Rule, since: float | None, *, channel: str, chain: tuple[str, ...], url: str,
        where: str, variant: str, t_ms: float, excerpt: bytes, spread: int = 0, prefix: int = 0,
        party: Party = "third",
    ) -> Finding:
        return Finding(
            rule=rule, field=guarded.field, reason=guarded.reason, value_kind=guarded.kind, channel=channel,
            encoding=_encoding(chain), url=url, where=where, variant=variant, t_ms=t_ms, since_submit_ms=since,
            fingerprint=fingerprint(guarded.value, self.evidence.key),
            excerpt=excerpt.decode("utf-8", "replace"), spread=spread, prefix=prefix, party=party,
        )


def before_typing(guarded: Guarded, t_ms: float) -> bool:
    """Whether a request that reached the proxy at `t_ms` left before the visitor began typing `guarded`.

    Then what the typing makes is chance, not a keylogger: a prefix of the value, its keys, pieces of it (the
    page could not know them yet; a 6-digit code's first digits turn up among a batch's numbers). The whole value
    in one payload is still judged: the page may have had it from elsewhere.
    """
    return not guarded.shown and t_ms < guarded.typed_ms


def _payloads(request: CapturedRequest) -> list[tuple[str, bytes]]:
    """The parts of a request a value can hide in: its URL, each header, its body."""
    parts = [("url", request.url.encode("utf-8", "replace"))]
    parts += [(f"header:{k.lower()}", v.encode("utf-8", "replace")) for k, v in request.headers
              if k.lower() not in (":authority", "host", "content-length", "accept", "accept-encoding", "accept-language")]
    if request.body:
        parts.append(("body", request.body))
    return parts


@dataclass(frozen=True)
class Judgement:
    """What the rules made of one run: its findings, and how much the tracker sent at all.

    ``sent`` counts what was not the site's own traffic (page loads, the site's files, a form's own submission,
    declared calls) nor a load (a page navigation; a script, style or font fetched by GET, a tag's ``?id=`` or
    ``?v=`` included; a picture fetched by GET without a query): the requests and WebSocket frames a tracker sends
    its data in. Nothing sent means nothing was checked. (Loads are still scanned for leaks like any request.)
    """

    findings: list[Finding]
    sent: int


_CODE_LOADS: frozenset[str] = frozenset({"document", "script", "style", "font"})
_PLAIN_LOADS: frozenset[str] = frozenset({"image"})  # with a query, a pixel carries data


def _is_file_load(request: CapturedRequest) -> bool:
    if request.method != "GET":
        return False
    return request.channel in _CODE_LOADS or (request.channel in _PLAIN_LOADS and not urlsplit(request.url).query)


def evaluate_evidence(evidence: Evidence) -> list[Finding]:
    """Every finding for one run, merged where the same leak repeats."""
    return judge_evidence(evidence).findings


def judge_evidence(evidence: Evidence) -> Judgement:
    """Every finding for one run, merged where the same leak repeats, and how much the tracker sent."""
    judge = _Judge(evidence)
    protected = [Protected(str(i), g.value, g.kind) for i, g in enumerate(evidence.guarded)]
    scanner = LeakScanner(protected, evidence.key) if protected else None
    findings: list[Finding] = []
    hits_of = _request_hits(scanner)
    own = _site_requests(evidence, hits_of, judge.by_name)
    tracker_requests = [r for r in evidence.requests if not _is_site_traffic(r, evidence, own)]
    sent_frames = [f for f in evidence.frames if f.direction == "sent"]

    # opt-out: anything the tracker sends after the visitor opted out.
    if judge.first_optout is not None:
        for request in tracker_requests:
            if request.t_ms > judge.first_optout:
                finding = _opt_out_finding(request.channel, request.url, request.method, request.t_ms, request.party)
                findings.append(dataclasses.replace(finding, initiator=request.initiator))
        for frame in sent_frames:
            if frame.t_ms > judge.first_optout:
                findings.append(_opt_out_finding("websocket", frame.url, "frame", frame.t_ms, frame.party))

    if scanner is not None:
        namer = EventNamer(lambda: [item.data for item in _sent_payloads(tracker_requests, sent_frames)])
        for request in tracker_requests:
            parts, order = dict(_payloads(request)), Counter[tuple[str, str]]()
            for where, hit in hits_of(request):
                found = _judge_hit(judge, hit, request.channel, request.url, where, request.t_ms, request.party)
                order[where, hit.name] += 1
                event = _carrier(namer, scanner, judge, parts[where], hit, order[where, hit.name] - 1) if found else ""
                findings += [dataclasses.replace(f, initiator=request.initiator, event=event) for f in found]
        for frame in sent_frames:
            order = Counter()
            for hit in scanner.scan(frame.data):
                found = _judge_hit(judge, hit, "websocket", frame.url, "frame", frame.t_ms, frame.party)
                order["frame", hit.name] += 1
                event = _carrier(namer, scanner, judge, frame.data, hit, order["frame", hit.name] - 1) if found else ""
                findings += [dataclasses.replace(f, event=event) for f in found]
        findings += _fragment_findings(judge, protected, tracker_requests, sent_frames)
        payloads = _sent_payloads(tracker_requests, sent_frames)
        findings += _hidden_event_findings(judge, scanner, namer, payloads)
        findings += _length_leak_findings(judge, namer, payloads)
        findings += _at_rest_findings(judge, scanner, evidence.storage)
        # A destination's path, or the URL of the page that sent it, can carry the value: findings never hold it.
        redactor = Redactor([g.value for g in evidence.guarded], evidence.key)
        findings = [dataclasses.replace(f, url=redactor.text(f.url), initiator=redactor.text(f.initiator))
                    for f in findings]
    sent = sum(not _is_file_load(r) for r in tracker_requests) + len(sent_frames)
    return Judgement(_merge(findings), sent)


def _opt_out_finding(channel: str, url: str, where: str, t_ms: float, party: Party) -> Finding:
    """Anything the tracker sent after the visitor opted out: no value involved, the sending itself is the leak."""
    return Finding(
        rule="opt-out", field="-", reason="sent after the visitor opted out", value_kind="activity", channel=channel,
        encoding="plain", url=_destination(url), where=where, variant="any", t_ms=t_ms, since_submit_ms=None,
        fingerprint="", excerpt="", party=party,
    )


def _judge_hit(
    judge: _Judge, hit: Hit, channel: str, url: str, where: str, t_ms: float, party: Party
) -> list[Finding]:
    guarded = judge.by_name[hit.name]
    if hit.prefix and before_typing(guarded, t_ms):
        return []
    rule, since = judge.verdict(guarded, t_ms)
    if rule is None or judge.explained_by_allowed(guarded, hit.prefix, t_ms):
        return []
    return [judge.finding(guarded, rule, since, channel=channel, chain=hit.chain, url=_destination(url),
                          where=where, variant=hit.variant, t_ms=t_ms, excerpt=hit.excerpt, prefix=hit.prefix,
                          party=party)]


def _carrier(namer: EventNamer, scanner: LeakScanner, judge: _Judge, payload: bytes, hit: Hit, nth: int) -> str:
    """The recorder's event in `payload` that carried the hit (its `nth` of that value), in words ("" if none)."""
    return namer.carrier(payload, judge.by_name[hit.name].value,
                         lambda event: any(other.name == hit.name for other in scanner.scan(event)), nth)


@dataclass(frozen=True)
class _Sent:
    """One payload the tracker sent, with what a finding says about where it went."""

    t_ms: float
    channel: str
    url: str
    where: str
    data: bytes
    party: Party


def _sent_payloads(requests: Sequence[CapturedRequest], frames: Sequence[WebSocketFrame]) -> list[_Sent]:
    """The URLs, bodies and frames the tracker sent, in which a recorder's events may travel."""
    sent = [_Sent(r.t_ms, r.channel, _destination(r.url), where, data, r.party)
            for r in requests for where, data in _payloads(r) if where in ("url", "body")]
    return sent + [_Sent(f.t_ms, "websocket", _destination(f.url), "frame", f.data, f.party) for f in frames]


def _hidden_event_findings(judge: _Judge, scanner: LeakScanner, namer: EventNamer, sent: list[_Sent]) -> list[Finding]:
    """Values in recorders' events that only their format's reader reveals (PostHog's gzip'd event data): each
    value the payload did not already show the scanner."""
    found: list[Finding] = []
    for item in sent:
        hidden = namer.hidden(item.data)
        if not hidden:
            continue
        shown = {hit.name for hit in scanner.scan(item.data)}
        order = Counter[str]()
        for chain, data in hidden:
            for hit in scanner.scan(data):
                if hit.name in shown:
                    continue
                hit = dataclasses.replace(hit, chain=chain + hit.chain)
                order[hit.name] += 1
                event = _carrier(namer, scanner, judge, item.data, hit, order[hit.name] - 1)
                found += [dataclasses.replace(f, event=event)
                          for f in _judge_hit(judge, hit, item.channel, item.url, item.where, item.t_ms, item.party)]
    return found


def _length_leak_findings(judge: _Judge, namer: EventNamer, sent: list[_Sent]) -> list[Finding]:
    """A protected value masked character for character (``*****``): the mask hides it, but not its length."""
    found: list[Finding] = []
    for item in sent:
        for masked in namer.masked(item.data):
            for guarded in judge.evidence.guarded:
                if guarded.field not in masked.selectors or len(guarded.value) != masked.length:
                    continue
                rule, since = judge.verdict(guarded, item.t_ms)
                if rule is None:
                    continue  # the value itself may leave by now: its length may too
                finding = judge.finding(
                    guarded, "length-leak", since, channel=item.channel, chain=(), url=item.url, where=item.where,
                    variant=f"length:{masked.length}", t_ms=item.t_ms, excerpt=masked.text.encode(), party=item.party,
                )
                found.append(dataclasses.replace(finding, event=masked.event, encoding="rrweb mask"))
    return found


def _fragment_findings(
    judge: _Judge, protected: list[Protected], requests: list[CapturedRequest], frames: list[WebSocketFrame]
) -> list[Finding]:
    """Values spelled a key or two per request or frame, or cut into pieces sent apart, from the ordered stream."""
    stream: list[tuple[float, str, str, bytes, Party, tuple[float, float]]] = []
    for request in requests:
        for where, data in _payloads(request):
            if where in ("url", "body"):
                stream.append(
                    (request.t_ms, request.channel, _destination(request.url), data, request.party, request.sent_order)
                )
    stream += [(f.t_ms, "websocket", _destination(f.url), f.data, f.party, f.sent_order) for f in frames]
    stream.sort(key=lambda item: item[5])
    found: list[Finding] = []
    payloads, times = [item[3] for item in stream], [item[5][0] for item in stream]
    for hit in find_fragments(payloads, protected, judge.evidence.key, times=times):
        if not hit.reported:
            continue  # a few digits: found to be masked in the stored traffic, too common to prove a leak
        last = stream[hit.payloads[-1]]
        guarded = judge.by_name[hit.name]
        if before_typing(guarded, max(stream[index][0] for index in hit.payloads)):
            continue  # even the last of them to arrive left before the typing began
        rule, since = judge.verdict(guarded, last[0])
        if rule is None:
            continue
        found.append(judge.finding(
            guarded, rule, since, channel=last[1], chain=hit.chain, url=_without_pieces(last[2], hit),
            where=f"pieces:{hit.group}" if hit.source == "pieces" else f"fragments:{hit.group or hit.source}",
            variant=hit.variant,
            t_ms=last[0], excerpt=hit.fingerprint.encode(), spread=len(hit.payloads), prefix=hit.prefix,
            party=last[4],
        ))
    return found


def _without_pieces(url: str, hit: FragmentHit) -> str:
    """The destination with its host or path shown as the value's fingerprint where pieces of the value sat
    there: the redactor knows whole values only, and a piece of a 6-digit code is no word it would replace."""
    places = hit.group.split("+") if hit.source == "pieces" else []
    parts = urlsplit(url)
    host = hit.fingerprint if "host" in places else parts.netloc
    path = f"/{hit.fingerprint}" if "path" in places else parts.path
    return f"{parts.scheme}://{host}{path}"


def _at_rest_findings(judge: _Judge, scanner: LeakScanner, storage: Sequence[StorageSnapshot]) -> list[Finding]:
    found: list[Finding] = []
    for shot in storage:
        for area, key, value in shot.items():
            for hit in scanner.scan(f"{key}={value}".encode()):
                guarded = judge.by_name[hit.name]
                if not guarded.sensitive:
                    continue
                found.append(judge.finding(
                    guarded, "at-rest", None, channel="cookie" if area == "cookie" else "storage", chain=hit.chain,
                    url=_destination(shot.url) if shot.url else "-", where=area, variant=hit.variant,
                    t_ms=shot.t_ms, excerpt=hit.excerpt, party="first",  # kept by the browser for the site
                ))
    return found


def _merge(findings: list[Finding]) -> list[Finding]:
    """One finding per (rule, field, channel, encoding, destination, place, variant family, party, carrying
    event), counting repeats."""
    merged: dict[tuple[str, ...], Finding] = {}
    for finding in sorted(findings, key=lambda f: f.t_ms):
        family = "prefix" if finding.prefix else finding.variant  # prefixes of any length are one leak
        key = (finding.rule, finding.field, finding.channel, finding.encoding, finding.url, finding.where, family,
               finding.party, finding.event)
        if key in merged:
            first = merged[key]
            merged[key] = dataclasses.replace(first, count=first.count + 1)
        else:
            merged[key] = finding
    return list(merged.values())


def evaluate(result: RunResult, protected: ProtectedValues) -> list[Finding]:
    """Findings for one scenario run, over its protected values."""
    return judge(result, protected).findings


def judge(result: RunResult, protected: ProtectedValues) -> Judgement:
    """Findings for one scenario run, over its protected values, and how much its tracker sent."""
    evidence = Evidence(
        requests=result.recording.requests,
        frames=result.recording.frames,
        storage=result.storage,
        guarded=protected.guarded,
        submits=result.timeline.submits,
        optouts=result.timeline.optouts,
        site_api=[(method, urljoin(result.base_url, url)) for method, url in result.scenario.site_api]
        + list(result.site_api),
        site=result.site,
        navigations=result.timeline.navigations,
        links=result.timeline.links,
        key=protected.key,
    )
    return judge_evidence(evidence)
