// The recorder's state, in one object (State, below): what lives across sessions, and what start() sets afresh for
// each. The per-session part exists once a session has started; nothing reads it before.
// Its fields start with _ so that the build may rename them (terser.json: mangle.properties ^_): they never reach the
// wire or the page, and some 230 reads and writes of full names would cost the shipped file about 1.5% gzipped.
import {round, pnow} from './env.js';

// Wire format version (harness/resources/schema.json).
export var V = 2;

// Settings from window.telltaleConfig and the script tag, set once at boot (defaults there).
export var config = /** @type {{flushInterval: number, maxEvents: number, timeout: number, maxPending: number, move: number, scroll: number, url: string, consent: boolean}} */ ({});

/**
 * @typedef {object} State
 * Across sessions (opt-out then opt-in starts a new one):
 * @property {number} _running
 * @property {number} _gen moves at every start and stop: callbacks of an older session then do nothing
 * @property {number} _ready booted, on http(s), not in a frame recorded by no one
 * @property {number} _consented
 * @property {number} _seq the last batch sequence number, for when sessionStorage is unavailable
 * The session, set by start():
 * @property {string} _sid
 * @property {string} _page
 * @property {number} _t0 epoch ms of the start
 * @property {number} _p0 performance.now() at the start
 * @property {object|null} _meta the meta event, until the viewport is measured
 * @property {Array<function(): void>} _stops teardowns of every observer
 * @property {Array<function(): void>} _samplers take pending scroll and resize samples (at a flush)
 * @property {number} _flushTimer
 * @property {number} _left the page was left (hidden, pagehide): fields abandoned once
 * DOM: node ids; roots watched; shadow roots and frames to attach after the current serialisation
 * @property {MutationObserver} _mo
 * @property {WeakMap<Node, number>} _ids
 * @property {number} _nextId
 * @property {WeakSet<Node>} _watched
 * @property {Array<Node>} _later
 * The buffer: events waiting for a flush; how many were dropped; how many cheap ones (moves, scrolls) it holds
 * @property {Array<object>} _buf
 * @property {number} _dropped
 * @property {{move: number, scroll: number}} cheap
 * Pointer: the move event being filled; the last move kept and the one waiting (pend*), per document view
 * @property {object|null} _move
 * @property {number} _lastTs
 * @property {Window|null} _lastV
 * @property {number} _pendTs -1: none waits
 * @property {number} _pendX
 * @property {number} _pendY
 * @property {Window|null} _pendV
 * Mutations: record lists waiting for the drain; the time of the first; the frame asked for; the last drain
 * @property {Array<Array<MutationRecord>>} _mq
 * @property {number} _mT
 * @property {number} _mFrame
 * @property {number} _mLast
 * @property {number} _draining
 * @property {object|0} _snap while the first snapshot is taken in slices: the changes held for after it (snapshot.js)
 * Stylesheets changed by script since the last drain: something to compare (restyled) since sT
 * @property {number} _restyled
 * @property {number} _sT
 * @property {Set<CSSStyleSheet>} _dirtySheets
 * @property {Array<Document|ShadowRoot>} _adopters roots that can adopt sheets
 * @property {WeakMap<Document|ShadowRoot, Array<CSSStyleSheet>>} _adoptedSeen the adopted sheets last sent
 * Forms: the fields typed into, per form; focus time and corrections, per field
 * @property {Map<HTMLFormElement, Set<Element>>} _dirty
 * @property {WeakMap<Element, {t: number, fixes: number}>} fst
 * Transport: batches not yet taken by the collector, in sequence order (each with its retry timer, tm)
 * @property {Set<object>} _inflight
 */
/** @type {State} */
export var st = /** @type {any} */ ({_running: 0, _gen: 0, _ready: 0, _consented: 0, _seq: 0});

export function now() { return round(pnow() - st._p0) }
export function idOf(n) { return st._ids.get(n) }
