/* Telltale replayer: rebuilds a recorded page (snippet/schema.json) inside an inert, sandboxed iframe.
 *
 * Runs in the harness's own replay page (harness/replay.py), never in a recorded one. The recorded DOM goes into
 * <iframe id="tt-replay" sandbox="allow-same-origin">: no allow-scripts, so nothing recorded can run (scripts,
 * on* handlers, javascript: URLs), and the page's CSP (default-src 'none') refuses every fetch. On top of that,
 * defence in depth, everything that could run or load is dropped before it reaches the DOM: script-like elements,
 * handler attributes, script URLs, refresh and CSP pragmas, <base>, srcdoc, and every URL that is not an asset the
 * harness resolved to inline data. What was dropped is counted, by what it was.
 */
(() => {
  'use strict';
  const HTML = 'http://www.w3.org/1999/xhtml';
  const MASK = '\u2022\u2022\u2022';
  // Elements that run code, or render only when scripts are off (which they are here but were not live).
  const DROP_TAGS = new Set(['script', 'noscript', 'template']);
  // Attributes that name something to fetch or navigate to. Only <a>/<area> href is kept (a link fetches nothing).
  const URL_ATTRS = new Set(['src', 'srcset', 'href', 'xlink:href', 'poster', 'data', 'action', 'formaction', 'ping',
    'background', 'lowsrc', 'dynsrc', 'longdesc', 'cite', 'codebase', 'archive', 'classid', 'manifest', 'icon',
    'profile', 'imagesrcset', 'itemtype', 'usemap', 'code', 'attributionsrc']);
  // Where a resolved asset may be shown: element -> attribute (images and their sources only).
  const ASSET_ATTRS = {img: ['src'], source: ['src'], input: ['src'], video: ['poster'], image: ['href', 'xlink:href']};
  // A URL that runs script, however spelled (browsers drop tabs and newlines inside a scheme).
  const SCRIPT_URL = /^[\u0000-\u0020]*(j\s*a\s*v\s*a\s*s\s*c\s*r\s*i\s*p\s*t\s*:|v\s*b\s*s\s*c\s*r\s*i\s*p\s*t\s*:|d\s*a\s*t\s*a\s*:\s*text\/html)/i;
  const SVG_ANIMATION = new Set(['set', 'animate', 'animatetransform', 'animatemotion', 'discard']);

  const R = {
    nodes: new Map(), // recorded id -> Node (elements, text nodes, documents, shadow roots)
    assets: {}, // absolute URL -> {css: text} | {data: data URL}
    base: 'about:blank',
    neutralised: {}, // what was dropped, e.g. {"element script": 2, "attribute onerror": 1}
    frame: null,
    inferred: 0, // window scrolls inferred from clicks (see APPLY.click)
  };
  function count(what) { R.neutralised[what] = (R.neutralised[what] || 0) + 1 }
  function absolute(url) { try { return new URL(url, R.base).href } catch (e) { return '' } }

  // CSS as recorded, with every url() that is not inline data or a resolved asset emptied and @import removed.
  function css(text) {
    return String(text)
      .replace(/@import[^;]*;?/gi, () => { count('css @import'); return '' })
      .replace(/url\(\s*(['"]?)(.*?)\1\s*\)/gi, (all, q, url) => {
        if (/^data:(?!text\/html)/i.test(url)) return all;
        const asset = R.assets[absolute(url)];
        if (asset && asset.data) return 'url("' + asset.data + '")';
        count('css url()');
        return 'none';
      });
  }

  // The attribute as it may appear in the replay, or null to drop it.
  function safeAttr(tag, name, value) {
    const n = name.toLowerCase();
    if (n.startsWith('on')) return count('attribute ' + n), null;
    if (n === 'srcdoc' || n === 'http-equiv' || tag === 'base' && (n === 'href' || n === 'target')) return count('attribute ' + n), null;
    if ((tag === 'iframe' || tag === 'frame') && n === 'sandbox') return null; // ours is set on every frame
    if (SCRIPT_URL.test(value)) return count('script url in ' + n), null;
    if (SVG_ANIMATION.has(tag) && n === 'attributename' && /href/i.test(value)) return count('animated href'), null;
    if (n === 'style') return css(value);
    if (!URL_ATTRS.has(n)) return value;
    if (n === 'href' && (tag === 'a' || tag === 'area')) return value;
    if ((ASSET_ATTRS[tag] || []).includes(n)) {
      const asset = R.assets[absolute(value)];
      if (asset && asset.data) return asset.data;
    }
    count('url ' + n);
    return null;
  }
  function setAttr(el, name, value) {
    const tag = el.localName, v = value === null ? null : safeAttr(tag, name, value);
    try {
      if (v === null) el.removeAttribute(name); else el.setAttribute(name, v);
    } catch (e) { count('invalid attribute') }
    if (el.__ttSheet && name.toLowerCase() === 'href') el.textContent = sheetText(value);
  }
  function sheetText(href) {
    const asset = href && R.assets[absolute(href)];
    return asset && asset.css !== undefined ? css(asset.css) : '';
  }
  function isSheet(node) {
    const rel = node.attrs && node.attrs.rel;
    return node.tag === 'link' && !!rel && /(^|\s)stylesheet(\s|$)/i.test(rel);
  }

  // ---- Building ------------------------------------------------------------------------------------------------
  function build(node, doc, parentNs, parentTag) {
    if (typeof node.text === 'string') {
      const t = doc.createTextNode(parentTag === 'style' ? css(node.text) : node.text);
      R.nodes.set(node.id, t);
      return t;
    }
    if (node.root) return null; // roots come only as snapshot, attach or shadow
    const tag = String(node.tag || '').toLowerCase();
    if (!tag || DROP_TAGS.has(tag)) { count('element ' + tag); return null }
    let el;
    const ns = node.ns || parentNs || HTML;
    try {
      // A stylesheet link becomes a <style> holding the sheet the harness resolved: the replay loads nothing.
      el = isSheet(node) ? doc.createElementNS(HTML, 'style') : doc.createElementNS(ns, node.tag);
    } catch (e) { count('invalid element'); return null }
    if (isSheet(node)) {
      el.__ttSheet = true;
      el.textContent = sheetText(node.attrs.href);
    } else {
      const names = Object.keys(node.attrs || {});
      // A pragma's content (a refresh URL, a policy) means nothing once its http-equiv is gone.
      const pragma = tag === 'meta' && names.some((name) => name.toLowerCase() === 'http-equiv');
      for (const name of names) if (!(pragma && name.toLowerCase() === 'content')) setAttr(el, name, node.attrs[name]);
      if (tag === 'iframe' || tag === 'frame') el.setAttribute('sandbox', 'allow-same-origin');
    }
    R.nodes.set(node.id, el);
    for (const kid of node.kids || []) {
      const k = build(kid, doc, ns === HTML ? null : ns, tag);
      if (k && !el.__ttSheet) el.appendChild(k);
    }
    if (typeof node.css === 'string') el.textContent = css(node.css);
    if (node.shadow) shadow(el, node.shadow);
    return el;
  }
  function fill(root, node, doc) {
    R.nodes.set(node.id, root);
    for (const kid of node.kids || []) { const k = build(kid, doc, null, ''); if (k) root.appendChild(k) }
    adopt(root, node.sheets, doc);
  }
  function adopt(root, sheets, doc) {
    if (sheets && (sheets.length || (root.adoptedStyleSheets || []).length)) {
      try {
        root.adoptedStyleSheets = sheets.map((text) => {
          const sheet = new doc.defaultView.CSSStyleSheet();
          sheet.replaceSync(css(text));
          return sheet;
        });
      } catch (e) { count('invalid adopted sheet') }
    }
  }
  function shadow(host, node) {
    let root = host.shadowRoot;
    try { if (!root) root = host.attachShadow({mode: 'open'}) } catch (e) { count('shadow on ' + host.localName); return }
    root.replaceChildren();
    fill(root, node, host.ownerDocument);
  }
  // An empty document in the recorded mode: its doctype written by the parser (standards, limited quirks), or none
  // (quirks). Only plain identifier text is written; anything else is replayed as <!DOCTYPE html>.
  function blank(doc, doctype) {
    const plain = (v) => typeof v === 'string' && /^[\w .:\/()+,;#-]*$/.test(v);
    let head = '<!DOCTYPE html>';
    if (doctype === undefined) head = '';
    else if (plain(doctype.name) && plain(doctype.publicId) && plain(doctype.systemId) && doctype.name) {
      head = '<!DOCTYPE ' + doctype.name + (doctype.publicId ? ' PUBLIC "' + doctype.publicId + '"' : doctype.systemId ? ' SYSTEM' : '') +
        (doctype.systemId ? ' "' + doctype.systemId + '"' : '') + '>';
    } else count('invalid doctype');
    doc.open();
    doc.write(head);
    doc.close();
    doc.replaceChildren();
    // Links keep their href (it styles them); following one, or submitting a form, is not for a replay.
    for (const type of ['click', 'auxclick', 'submit']) doc.addEventListener(type, stay, true);
    return doc;
  }
  function stay(e) { e.preventDefault(); count('navigation by ' + e.type) }
  function document_(host, node) {
    const doc = blank(host.contentDocument, node.doctype);
    fill(doc, node, doc);
    return doc;
  }

  // ---- Events ---------------------------------------------------------------------------------------------------
  const APPLY = {
    snapshot(e) { document_(R.frame, e.node) },
    attach(e) {
      const host = R.nodes.get(e.host);
      if (!host) return;
      if (host.localName === 'iframe' || host.localName === 'frame') { if (host.contentDocument) document_(host, e.node) }
      else shadow(host, e.node);
    },
    mutation(e) {
      for (const id of e.removes || []) { const n = R.nodes.get(id); if (n && n.parentNode) n.parentNode.removeChild(n) }
      for (const add of e.adds || []) {
        const parent = R.nodes.get(add.parent);
        if (!parent) continue;
        const doc = parent.nodeType === 9 ? parent : parent.ownerDocument;
        const ns = parent.nodeType === 1 && parent.namespaceURI !== HTML ? parent.namespaceURI : null;
        const n = build(add.node, doc, ns, parent.localName || '');
        if (!n) continue;
        const before = add.before ? R.nodes.get(add.before) : null;
        try { parent.insertBefore(n, before && before.parentNode === parent ? before : null) } catch (err) { count('invalid insert') }
      }
      for (const a of e.attrs || []) { const el = R.nodes.get(a.id); if (el && el.nodeType === 1) setAttr(el, a.name, a.value) }
      for (const t of e.texts || []) {
        const n = R.nodes.get(t.id);
        if (n && n.nodeType === 3) n.data = n.parentNode && n.parentNode.localName === 'style' ? css(t.text) : t.text;
      }
      // Rules script put in a <style>'s sheet (CSS-in-JS) and adopted sheets: each sent whole.
      for (const c of e.css || []) { const el = R.nodes.get(c.id); if (el && el.localName === 'style') el.textContent = css(c.text) }
      for (const a of e.adopted || []) {
        const root = R.nodes.get(a.id);
        if (root && (root.nodeType === 9 || root.nodeType === 11)) adopt(root, a.sheets || [], root.nodeType === 9 ? root : root.ownerDocument);
      }
    },
    scroll(e) {
      const n = R.nodes.get(e.id);
      if (!n) return;
      if (n.nodeType === 9) n.defaultView && n.defaultView.scrollTo(e.x, e.y);
      else if (n.nodeType === 1) { n.scrollLeft = e.x; n.scrollTop = e.y }
    },
    // A click says where its target was on screen. When the replay has it elsewhere, a scroll sample was lost (the
    // snippet drops a pending sample when the page is left): scroll the window so the click lands on its target.
    click(e) {
      const el = R.nodes.get(e.id), doc = R.frame.contentDocument;
      if (!el || el.nodeType !== 1 || el.ownerDocument !== doc) return;
      const r = el.getBoundingClientRect(), slack = 1;
      if (!r.width || !r.height) return;
      const dx = e.x < r.left - slack || e.x > r.right + slack ? r.left + r.width / 2 - e.x : 0;
      const dy = e.y < r.top - slack || e.y > r.bottom + slack ? r.top + r.height / 2 - e.y : 0;
      if (!dx && !dy) return;
      const w = doc.defaultView, x = w.scrollX, y = w.scrollY;
      // Engines paint a fractional scroll offset truncated (and report it rounded): land on the painted pixel.
      w.scrollTo(Math.floor(x + dx), Math.floor(y + dy));
      if (w.scrollX !== x || w.scrollY !== y) R.inferred++;
    },
    focus(e) { const n = R.nodes.get(e.id); if (n && n.focus) n.focus({preventScroll: true}) },
    blur(e) { const n = R.nodes.get(e.id); if (n && n.blur) n.blur() },
  };

  // ---- Reading the replay back ------------------------------------------------------------------------------------
  // Every root below the replay document: itself, open shadow roots and frame documents, with the frame's offset.
  function roots() {
    const out = [];
    (function visit(root, ox, oy) {
      out.push({root, ox, oy});
      for (const el of root.querySelectorAll('*')) {
        if (el.shadowRoot) visit(el.shadowRoot, ox, oy);
        if ((el.localName === 'iframe' || el.localName === 'frame') && el.contentDocument && el.contentDocument.documentElement) {
          const r = el.getBoundingClientRect();
          visit(el.contentDocument, ox + r.left + el.clientLeft, oy + r.top + el.clientTop);
        }
      }
    })(R.frame.contentDocument, 0, 0);
    return out;
  }
  function describe(el) {
    let s = el.localName;
    if (el.id) s += '#' + el.id;
    if (el.localName === 'input') s += '[type=' + (el.getAttribute('type') || 'text') + ']';
    return s;
  }
  function box(r, ox, oy) { return {x: r.left + ox, y: r.top + oy, w: r.width, h: r.height} }
  function isField(el) {
    return el.localName === 'input' || el.localName === 'textarea' || el.localName === 'select' ||
      el.hasAttribute('contenteditable') && el.getAttribute('contenteditable').toLowerCase() !== 'false';
  }
  // marks: harness/resources/markers.json, as attribute or class, without regard to case (as the snippet).
  function isMarked(el, marks) {
    for (const a of el.attributes) if (marks.has(a.name.toLowerCase())) return true;
    for (const c of el.classList) if (marks.has(c.toLowerCase())) return true;
    return false;
  }
  // Where the replay knows something is hidden: fields (values are never recorded), elements marked sensitive, and
  // the fixed mask the snippet puts in place of text.
  R.masks = (markers) => {
    const out = [], marks = new Set(markers.map((m) => m.toLowerCase()));
    for (const {root, ox, oy} of roots()) {
      for (const el of root.querySelectorAll('*')) {
        const kind = isMarked(el, marks) ? 'sensitive' : isField(el) ? 'field' : '';
        if (!kind) continue;
        const r = el.getBoundingClientRect();
        if (r.width > 0 && r.height > 0) out.push({kind, what: describe(el), ...box(r, ox, oy)});
      }
      const doc = root.nodeType === 9 ? root : root.ownerDocument, walk = doc.createTreeWalker(root, 4);
      for (let t = walk.nextNode(); t; t = walk.nextNode()) {
        if (t.data.indexOf(MASK) < 0) continue;
        const range = doc.createRange();
        range.selectNodeContents(t);
        for (const r of range.getClientRects()) {
          if (r.width > 0 && r.height > 0) out.push({kind: 'masked-text', what: describe(t.parentNode), ...box(r, ox, oy)});
        }
      }
    }
    return out;
  };
  // Everything the replay DOM holds as text: text nodes, attribute values and form values, in every root.
  R.text = () => {
    const parts = [];
    for (const {root} of roots()) {
      const doc = root.nodeType === 9 ? root : root.ownerDocument, walk = doc.createTreeWalker(root, 1 | 4);
      for (let n = walk.nextNode(); n; n = walk.nextNode()) {
        if (n.nodeType === 3) { parts.push(n.data); continue }
        for (const a of n.attributes) parts.push(a.value);
        if ('value' in n && typeof n.value === 'string') parts.push(n.value);
      }
    }
    return parts.join('\n');
  };
  // A Playwright-style selector (CSS parts joined by >>, open shadow roots pierced, internal:control=enter-frame).
  R.locate = (selector) => {
    let scope = R.frame.contentDocument, el = null, ox = 0, oy = 0;
    const deep = (root, sel) => {
      const found = root.querySelector(sel);
      if (found) return found;
      for (const e of root.querySelectorAll('*')) if (e.shadowRoot) { const f = deep(e.shadowRoot, sel); if (f) return f }
      return null;
    };
    for (const part of selector.split('>>').map((p) => p.trim())) {
      if (part === 'internal:control=enter-frame') {
        if (!el || !el.contentDocument) return null;
        const r = el.getBoundingClientRect();
        ox += r.left + el.clientLeft; oy += r.top + el.clientTop;
        scope = el.contentDocument; el = null;
        continue;
      }
      try {
        el = el ? (el.shadowRoot && deep(el.shadowRoot, part)) || deep(el, part) : deep(scope, part);
      } catch (e) { return null }
      if (!el) return null;
    }
    if (!el) return null;
    const value = 'value' in el && typeof el.value === 'string' ? el.value : '';
    return {what: describe(el), value, text: el.textContent || '', ...box(el.getBoundingClientRect(), ox, oy)};
  };
  R.size = () => {
    const doc = R.frame.contentDocument, e = doc.documentElement, b = doc.body;
    return {width: Math.max(e ? e.scrollWidth : 0, b ? b.scrollWidth : 0), height: Math.max(e ? e.scrollHeight : 0, b ? b.scrollHeight : 0)};
  };
  R.scroll = () => { const w = R.frame.contentWindow; return {x: w.scrollX, y: w.scrollY} };

  // ---- Driving ----------------------------------------------------------------------------------------------------
  R.reset = (base, assets) => {
    R.frame = document.getElementById('tt-replay');
    R.nodes = new Map();
    R.inferred = 0;
    R.base = base;
    R.assets = assets || {};
    R.frame.style.height = '';
    blank(R.frame.contentDocument);
  };
  // Applies events in order; an event that cannot be applied is counted, never fatal.
  R.apply = (events) => {
    let failed = 0;
    for (const e of events) {
      const fn = APPLY[e.type];
      if (!fn) continue;
      try { fn(e) } catch (err) { failed++ }
    }
    return failed;
  };
  // Applies events one by one; returns the window's scroll after each (page coordinates for heatmaps).
  R.applyTracked = (events) => events.map((e) => { R.apply([e]); return [R.frame.contentWindow.scrollX, R.frame.contentWindow.scrollY] });
  // The frame as tall as its page (for a full-page picture), or back to the viewport.
  R.fullHeight = (on) => {
    R.frame.style.height = on ? R.size().height + 'px' : '';
    document.documentElement.style.overflow = on ? 'visible' : '';
    document.body.style.overflow = on ? 'visible' : '';
    R.frame.style.position = on ? 'absolute' : '';
  };
  window.__ttReplay = R;
})();
