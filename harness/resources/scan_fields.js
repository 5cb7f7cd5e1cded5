// Evaluated by `telltale scan` in every frame (harness/scan/fields.py): every field a person could type into, in
// this document and its open shadow roots, with what the page probe's classify() says of it (the rules' own
// classification, one source) and what a canary needs (type, autocomplete, names, label); and the choices a person
// makes before submitting (an option per select, each required checkbox, a radio per group), which are not typed.
// Frames are not entered: the harness asks each frame itself.
() => {
  const probe = window.__telltaleProbe;
  const FIELDS = "input, textarea, [contenteditable]:not([contenteditable='false'])";
  const css = (text) => (window.CSS && CSS.escape ? CSS.escape(text) : text);
  const quoted = (text) => text.replace(/"/g, '\\"');
  const selectorOf = (el) => {
    const tag = el.tagName.toLowerCase();
    if (el.id) return `#${css(el.id)}`;
    const name = el.getAttribute("name");
    if (name && el.type === "radio") return `input[name="${quoted(name)}"][value="${quoted(el.value)}"]`;
    if (name) return `${tag}[name="${quoted(name)}"]`;
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
  const hidden = (el) => {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return !box.width || !box.height || style.visibility === "hidden" || style.display === "none";
  };
  const whyNot = (el) => {
    if (el.disabled) return "disabled";
    if (el.readOnly) return "read-only";
    const type = (el.getAttribute("type") || "").toLowerCase();
    if (type === "file") return "a file input: nothing to type";
    return hidden(el) ? "not visible" : "";
  };
  const SKIPPED = /^(hidden|submit|button|reset|image|checkbox|radio|range|color)$/;
  const out = [];
  const choices = [];
  // The choice a person makes in a select (its first real option: not empty, not disabled), a required checkbox
  // left unchecked, or a radio group nothing is picked in (its first radio); null when nothing needs choosing.
  const choiceOf = (el, root) => {
    if (el.tagName === "SELECT") {
      const option = Array.from(el.options).find((o) => o.value !== "" && !o.disabled);
      return { step: "select", value: option ? option.value : "", why: option ? "" : "no option to choose" };
    }
    if (el.type === "checkbox") return el.required && !el.checked ? { step: "check", value: "", why: "" } : null;
    if (el.type !== "radio" || !el.name) return null;
    const group = Array.from(root.querySelectorAll(`input[type=radio][name="${quoted(el.name)}"]`))
      .filter((r) => r.form === el.form);
    if (group.some((r) => r.checked)) return null;
    const first = group.find((r) => !r.disabled && !hidden(r)) || group[0];
    return first === el ? { step: "check", value: "", why: "" } : null;
  };
  const CHOSEN = "select, input[type=checkbox], input[type=radio]";
  const walk = (root, host) => {
    for (const el of root.querySelectorAll(CHOSEN)) {
      const choice = choiceOf(el, root);
      if (!choice) continue;
      const info = probe ? probe.classify(el, "") : { form: "" };
      const why = choice.why || (el.disabled ? "disabled" : hidden(el) ? "not visible" : "");
      choices.push({ selector: selectorOf(el), host: host, form: info.form || "", step: choice.step,
                     value: choice.value, label: labelOf(el, root).slice(0, 80), unfillable: why });
    }
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
  return { fields: out, choices: choices, toggles: toggles };
}
