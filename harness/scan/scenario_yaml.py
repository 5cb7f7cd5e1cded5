"""A scenario YAML per tested form and strategy, the format ``telltale run`` reads (``docs/scenarios.md``).

Each field gets a secret drawn as a canary of its kind and is typed key by key as a person types; a show-password
toggle beside a password is clicked once the password is typed; then the form's choices are made (an option per
select, its required checkboxes, a radio per group: ``select`` and ``check`` steps, no canaries) so that a submit
passes the form's own validation; then the page is left (``abandon``) or the form is submitted (``submit``).
Selectors are the field's id or name, chained into its frame or shadow host.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

import yaml

from harness.scan.plan import Target

# Between keys (a person is slower still). A keylogger beaconing each key to hosts in turn then sends its keys 60 ms
# apart: at 20 ms, a new connection's handshake sometimes reordered them at the proxy and the keys were not found.
TYPING_DELAY_MS: Final = 60
SCAN_SCENARIOS: Final = "scenarios"  # the report's folder of generated scenarios
SCAN_PREFIX: Final = "scan-"  # every generated file's name starts so: a new scan replaces only its own files


def _secret_name(label: str, taken: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9]+", "_", label).strip("_").lower() or "field"
    if base[0].isdigit():
        base = f"f_{base}"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return name


def scenario_document(target: Target) -> dict[str, object]:
    """The scenario as YAML data: start on the page, type every fillable field, make the choices, then abandon or
    submit."""
    form = target.form
    secrets: dict[str, str] = {}
    steps: list[dict[str, object]] = []
    taken: set[str] = set()
    toggles = dict((field, button) for button, field in form.toggles)
    for field in form.fillable:
        name = _secret_name(field.selector.split(" >> ")[-1].lstrip("#") or field.label, taken)
        secrets[name] = f"{{canary:{field.kind}}}"
        steps.append({"type": {"selector": field.selector, "text": f"{{{name}}}", "delay": TYPING_DELAY_MS}})
        if field.selector in toggles:
            steps.append({"click": toggles[field.selector]})
    for choice in form.chosen:
        steps.append({"select": {"selector": choice.selector, "value": choice.value}} if choice.step == "select"
                     else {"check": choice.selector})
    steps.append({"checkpoint": "filled"})
    if target.strategy == "submit":
        steps.append({"submit": form.selector})
    steps.append({"leave": "close"})
    return {"name": f"scan: {form.title} on {target.page}, {target.strategy}", "start": target.page,
            "secrets": secrets, "steps": steps}


def write_scenario(target: Target, folder: Path) -> Path:
    """Write the target's scenario as ``folder/<slug>.yaml`` with a comment saying where it came from."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{target.slug}.yaml"
    header = (f"# Written by `telltale scan`: {target.form.title} on {target.page}, strategy {target.strategy}.\n"
              "# Keep it as a regression test: `telltale run` replays it.\n")
    body = yaml.safe_dump(scenario_document(target), sort_keys=False, allow_unicode=True, width=120)
    path.write_text(header + body, encoding="utf-8")
    return path


def clear_scenarios(folder: Path) -> None:
    """Remove the scenarios an earlier scan wrote there (only ours: a user's own files stay)."""
    for old in folder.glob(f"{SCAN_PREFIX}*.yaml"):
        old.unlink()


__all__ = ["SCAN_PREFIX", "SCAN_SCENARIOS", "TYPING_DELAY_MS", "clear_scenarios", "scenario_document", "write_scenario"]
