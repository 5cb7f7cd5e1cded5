// Evaluated by `telltale scan` in every frame (harness/scan/fields.py): every field a person could type into, in
// this document and its open shadow roots, with what the page probe's classify() says of it (the rules' own
// classification, one source) and what a canary needs (type, autocomplete, names, label). Frames are not entered:
// the harness asks each frame itself.
() => {
  const probe = window.__telltaleProbe;
  const FIELDS = "input, textarea, select, [contenteditable]:not([contenteditable='false'])";
  const css = (text) => (window.CSS && CSS.escape ? CSS.escape(text) : text);
  const selectorOf = (el) => {
    const tag = el.tagName.toLowerCase();
    if (el.id) return `#${css(el.id)}`;
    if (el.getAttribute("name")) return `${tag}[name="${el.getAttribute("name").replace(/"/g, '\\"')}"]`;
    return "";
  };
  const labelOf = (el, root) => {
    const named = el.getAttribute("aria-label");
    if (named) return named.trim();
    const by = el.getAttribute("aria-labelledby");
    if (by) {
      const node = root.getElementById ? root.getElementById(by.split(/\s+/)[0]) : null;
      if (node) return node.textContent.trim();
    }
    if (el.labels && el.labels.length) return el.labels[0].textContent.trim();
    return (el.getAttribute("placeholder") || "").trim();
  };
  const whyNot = (el) => {
    if (el.disabled) return "disabled";
    if (el.readOnly) return "read-only";
    if (el.tagName === "SELECT") return "a select: a choice, not typed text";
    const type = (el.getAttribute("type") || "").toLowerCase();
    if (type === "file") return "a file input: nothing to type";
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (!box.width || !box.height || style.visibility === "hidden" || style.display === "none") return "not visible";
    return "";
  };
  const SKIPPED = /^(hidden|submit|button|reset|image|checkbox|radio|range|color)$/;
  const out = [];
  const walk = (root, host) => {
    for (const el of root.querySelectorAll(FIELDS)) {
      const type = (el.getAttribute("type") || "").toLowerCase();
      if (el.tagName === "INPUT" && SKIPPED.test(type)) continue;
      if (el.isContentEditable && el.parentElement && el.parentElement.isContentEditable) continue; // its editor's
      const info = probe ? probe.classify(el, "") : { sensitive: false, reason: "unknown: probe missing", form: "" };
      const form = el.form || (el.closest && el.closest("form")) || null;
      out.push({
        selector: selectorOf(el),
        host: host,
        tag: el.tagName.toLowerCase(),
        type: type,
        editable: !!el.isContentEditable,
        autocomplete: (el.getAttribute("autocomplete") || "").toLowerCase().trim(),
        id: el.id || "",
        name: el.getAttribute("name") || "",
        label: labelOf(el, root).slice(0, 80),
        form: info.form || "",
        form_action: form ? String(form.action || "") : "",
        sensitive: !!info.sensitive,
        reason: String(info.reason || ""),
        unfillable: whyNot(el),
      });
    }
    for (const el of root.querySelectorAll("*")) {
      if (el.shadowRoot) walk(el.shadowRoot, el.id ? `#${css(el.id)}` : el.tagName.toLowerCase());
    }
  };
  walk(document, "");
  // Show-password toggles: a button that controls a password field, or says show/reveal beside one.
  const toggles = [];
  for (const button of document.querySelectorAll("button, [role=button]")) {
    const controls = button.getAttribute("aria-controls") || "";
    const target = controls ? document.getElementById(controls) : null;
    const near = button.parentElement && button.parentElement.querySelector("input[type=password]");
    const says = /show|reveal/i.test(button.textContent + " " + (button.getAttribute("aria-label") || ""));
    const field = target && target.getAttribute("type") === "password" ? target : says ? near : null;
    if (field && selectorOf(button) && selectorOf(field)) toggles.push({ button: selectorOf(button), field: selectorOf(field) });
  }
  return { fields: out, toggles: toggles };
}
