// Injected by the harness before any page script (and before the snippet under test).
// It never sends anything: it reports form submissions to the harness through an exposed binding, offers the
// harness's own classification of fields, independent of whichever snippet is being tested, and records the page's
// timers (forwarded untouched) so the harness knows how long a page needs before it goes.
(() => {
  if (window.__telltaleProbe) return;

  // harness/resources/markers.json, put in by harness.resources.page_probe_js(); matched without regard to case.
  const MARKERS = __MARKERS__;
  const SENSITIVE_AUTOCOMPLETE = /^(current-password|new-password|one-time-code|cc-number|cc-csc|cc-exp(-month|-year)?)$/;
  const SENSITIVE_NAME = /(^|[^a-z])(pin|otp|cvv|cvc|csc|ssn|password|passwd|pwd)([^a-z]|$)/i;
  // Fields that turned sensitive stay so: a show-password toggle must not make a password plain text.
  const sticky = new WeakMap();

  const parentOf = (node) => {
    if (node.parentNode && node.parentNode.nodeType === 11) return node.parentNode.host; // out of a shadow root
    if (node.parentElement) return node.parentElement;
    try {
      return node.ownerDocument.defaultView.frameElement; // out of a same-origin iframe
    } catch (e) {
      return null;
    }
  };

  const markerOf = (el) => {
    for (let node = el; node; node = parentOf(node)) {
      if (node.nodeType !== 1) continue;
      const classes = Array.from(node.classList || [], (c) => c.toLowerCase());
      for (const marker of MARKERS) {
        const name = marker.toLowerCase();
        if (node.hasAttribute(name) || classes.includes(name)) {
          return node === el ? `marked ${marker}` : `inside [${marker}]`;
        }
      }
    }
    return null;
  };

  const luhn = (text) => {
    const digits = String(text).replace(/[\s-]/g, "");
    if (!/^\d{13,19}$/.test(digits)) return false;
    let sum = 0;
    for (let i = 0; i < digits.length; i++) {
      let d = +digits[digits.length - 1 - i];
      if (i % 2 === 1) d = d > 4 ? d * 2 - 9 : d * 2;
      sum += d;
    }
    return sum % 10 === 0;
  };

  // Why a field is sensitive, or null; pure (classify() below keeps the answer).
  const reasonOf = (el, typed) => {
    const type = (el.getAttribute("type") || "").toLowerCase();
    const autocomplete = (el.getAttribute("autocomplete") || "").toLowerCase().trim();
    const names = [el.id, el.getAttribute("name")].filter(Boolean);
    let reason = null;
    if (type === "password") reason = "password: type=password";
    else if (type === "hidden") reason = "hidden: type=hidden";
    else if (SENSITIVE_AUTOCOMPLETE.test(autocomplete)) reason = `sensitive: autocomplete=${autocomplete}`;
    else {
      const hit = names.find((n) => SENSITIVE_NAME.test(n));
      if (hit) reason = `sensitive: name ${hit}`;
    }
    if (!reason) {
      const marker = markerOf(el);
      if (marker) reason = `sensitive: ${marker}`;
    }
    if (!reason && typed && luhn(typed)) reason = "card: Luhn-valid card number";
    return reason;
  };

  const classify = (el, typed) => {
    const known = sticky.get(el);
    if (known) return known;
    const reason = reasonOf(el, typed);
    const result = { sensitive: !!reason, reason: reason || "plain: typed text" };
    if (reason) sticky.set(el, result);
    return result;
  };

  const formKey = (form) => {
    if (!form) return "";
    if (form.id) return `#${form.id}`;
    if (form.getAttribute("name")) return `form[name=${form.getAttribute("name")}]`;
    const forms = Array.from(form.ownerDocument.forms);
    return `form:nth-of-type(${forms.indexOf(form) + 1})`;
  };

  const describe = (el, typed) => {
    const field = classify(el, typed);
    let form = el.form || null;
    if (!form && el.closest) form = el.closest("form");
    return {
      sensitive: field.sensitive,
      reason: field.reason,
      form: formKey(form),
      tag: el.tagName.toLowerCase(),
      type: (el.getAttribute("type") || "").toLowerCase(),
      id: el.id || "",
      name: el.getAttribute("name") || "",
      frame: window.top === window ? "" : location.pathname,
    };
  };

  // Timers, recorded and never changed: each wrapper notes the id, kind and due time, then calls the browser's own
  // function with the same this, arguments and return value (callbacks are not wrapped). The harness asks which are
  // pending before a page goes, and waits for those due within its observation window (harness/run/window.py).
  // The wrappers look native (name, length, toString): a recorder that finds patched timers (Sentry's
  // isNativeFunction) takes pristine ones from a fresh iframe instead, and they would escape the record.
  const timers = new Map(); // id -> {kind, delay, at, due}; a timeout's entry goes once due or cleared
  const epochNow = Date.now; // the page may replace Date.now; its timers still run on the real clock
  const toSource = Function.prototype.toString;
  const looksNative = (wrapper, original) => {
    for (const key of ["name", "length"]) {
      Object.defineProperty(wrapper, key, { value: original[key], configurable: true });
    }
    Object.defineProperty(wrapper, "toString", {
      value: toSource.bind(original), writable: true, configurable: true, enumerable: false,
    });
    return wrapper;
  };
  const forget = (now) => {
    for (const [id, timer] of timers) if (timer.kind === "timeout" && timer.due < now) timers.delete(id);
  };
  // A frame a script creates (about:blank, of its creator's origin) may be removed while its timer functions are
  // still in use: rrweb and Sentry take pristine timers from such a sandbox frame, remove it, and call them bound to
  // the page's window. Chromium runs a timer only while the realm of the script that set it lives: called from our
  // wrapper, of the removed frame's realm, it would never run (called directly, the native one does). So once this
  // frame is gone its wrappers hand each call to the creator's probe, whose realm lives and whose record the
  // harness reads. A call on the removed frame's own window is left as it is (the browser runs none of its timers).
  const creator = (() => {
    try {
      return window.parent !== window && window.parent.__telltaleProbe ? window.parent.__telltaleProbe.forward : null;
    } catch (e) {
      return null; // a cross-origin parent: not this frame's creator
    }
  })();
  const handOver = (self) => creator !== null && self !== window && window.parent === null;
  const recordSet = (kind, original) => looksNative({
    wrapper(handler, timeout) {
      if (handOver(this)) return creator(original.name, this, arguments);
      const id = Reflect.apply(original, this, arguments);
      try {
        const at = epochNow();
        const delay = Math.max(0, Number(timeout) || 0);
        if (timers.size > 500) forget(at);
        timers.set(id, { kind, delay, at, due: at + delay });
      } catch (e) {
        /* the page must never notice the probe */
      }
      return id;
    },
  }.wrapper, original);
  const recordClear = (original) => looksNative({
    wrapper(id) {
      if (handOver(this)) return creator(original.name, this, arguments);
      timers.delete(id); // the HTML spec: either clear function clears a timer of either kind
      return Reflect.apply(original, this, arguments);
    },
  }.wrapper, original);
  const originals = {
    setTimeout: window.setTimeout, setInterval: window.setInterval,
    clearTimeout: window.clearTimeout, clearInterval: window.clearInterval,
  };
  const wrappers = {
    setTimeout: recordSet("timeout", originals.setTimeout),
    setInterval: recordSet("interval", originals.setInterval),
    clearTimeout: recordClear(originals.clearTimeout),
    clearInterval: recordClear(originals.clearInterval),
  };
  Object.assign(window, wrappers);
  // What a removed child frame's wrappers call instead of their own (see ``creator``): this frame's wrapper.
  const forward = (name, self, args) => Reflect.apply(wrappers[name], self, args);

  // The timers not cleared whose next run may come at or after ``since`` (epoch ms): timeouts not yet due then,
  // every interval. ``now`` is this frame's clock at the answer.
  const pendingTimers = (since) => {
    const now = epochNow();
    forget(Math.min(since, now));
    const pending = [];
    for (const [id, t] of timers) {
      if (t.kind === "interval" || t.due >= since) pending.push({ id, kind: t.kind, delay: t.delay, at: t.at, due: t.due });
    }
    return { now, timers: pending };
  };


  // --- what a live screenshot must not show (read-only: nothing here changes the page) ---------------------

  // Values are compared with case, spaces, dashes and dots ignored, so "4111-1111…" and "GB29 NWBK…" still match.
  const folded = (text) => String(text).toLowerCase().replace(/[\s\-.]+/g, "");
  const SKIPPED = new Set(["SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE"]);
  const FIELDS = new Set(["INPUT", "TEXTAREA", "SELECT"]);

  const shownValue = (el) => {
    if (el.tagName !== "SELECT") return el.value || "";
    return Array.from(el.selectedOptions || [], (o) => o.text).join(" ");
  };

  const rectsOf = (node, why, out) => {
    const range = node.ownerDocument.createRange(); // a detached Range: no mutation, nothing a page can observe
    range.selectNodeContents(node);
    const rects = node.nodeType === 1 && FIELDS.has(node.tagName) ? [node.getBoundingClientRect()] : range.getClientRects();
    for (const r of rects) {
      if (r.width > 0 && r.height > 0) out.push({ x: r.left, y: r.top, w: r.width, h: r.height, why });
    }
  };

  // Values of ``wanted`` found in the subtree; each node that holds one where none of its children does is boxed.
  const walk = (parent, wanted, out) => {
    const found = new Set();
    for (const child of parent.childNodes) {
      if (child.nodeType === 3) {
        if (!wanted.length) continue;
        const text = folded(child.data);
        const hits = wanted.filter((v) => text.includes(v));
        if (hits.length) rectsOf(child, "shows a protected value", out);
        hits.forEach((v) => found.add(v));
      } else if (child.nodeType === 1 && !SKIPPED.has(child.tagName)) {
        if (child.shadowRoot) walk(child.shadowRoot, wanted, out); // open shadow roots only: closed ones are not ours
        if (FIELDS.has(child.tagName)) {
          const reason = (sticky.get(child) || {}).reason || reasonOf(child, child.value);
          const value = folded(shownValue(child));
          if (reason) rectsOf(child, reason, out);
          else if (wanted.some((v) => value.includes(v))) rectsOf(child, "holds a protected value", out);
          continue;
        }
        const inner = walk(child, wanted, out);
        const left = wanted.filter((v) => !inner.has(v));
        const text = left.length ? folded(child.textContent) : "";
        const split = left.filter((v) => text.includes(v)); // a value split over its children
        if (split.length) rectsOf(child, "shows a protected value", out);
        inner.forEach((v) => found.add(v));
        split.forEach((v) => found.add(v));
      }
    }
    return found;
  };

  // The boxes, in this frame's viewport pixels, of every sensitive field and every node that holds one of
  // ``values``; frames are not entered (the harness asks each frame's own probe).
  const hidden = (values) => {
    const wanted = Array.from(new Set((values || []).map(folded).filter((v) => v.length > 0)));
    const out = [];
    if (document.documentElement) walk(document, wanted, out);
    return { width: window.innerWidth, height: window.innerHeight, boxes: out };
  };

  window.__telltaleProbe = { classify: describe, timers: pendingTimers, hidden, forward };

  window.addEventListener(
    "submit",
    (event) => {
      try {
        const report = window.__telltaleSubmitted;
        if (typeof report !== "function") return;
        const form = event.target;
        const submitter = event.submitter || null;
        // What the browser submits: the submitter's formaction/formmethod/formtarget override the form's own.
        const pick = (attribute, property, fallback) =>
          submitter && submitter.hasAttribute(attribute) ? submitter[property] : fallback;
        // The prototype's getters: a field named "action" or "method" shadows the form's own properties.
        const own = (name) => Object.getOwnPropertyDescriptor(HTMLFormElement.prototype, name).get.call(form);
        report({
          form: formKey(form),
          at: Date.now(),
          url: location.href,
          action: String(pick("formaction", "formAction", own("action")) || location.href),
          method: String(pick("formmethod", "formMethod", own("method")) || "get").toUpperCase(),
          target: String(pick("formtarget", "formTarget", own("target")) || ""),
        });
      } catch (e) {
        /* the page must never notice the probe */
      }
    },
    { capture: true }
  );

  // A click on a link is the user's navigation: the harness tells the page loads it causes from a script's.
  window.addEventListener(
    "click",
    (event) => {
      try {
        const report = window.__telltaleLinkClicked;
        if (typeof report !== "function") return;
        const link = event.composedPath().find((node) => node.nodeType === 1 && node.matches("a[href], area[href]"));
        if (link) report({ url: link.href, at: Date.now() });
      } catch (e) {
        /* the page must never notice the probe */
      }
    },
    { capture: true }
  );
})();
