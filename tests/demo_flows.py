"""Scenario texts on the demo site that several end-to-end tests run with their own trackers."""

from __future__ import annotations

from pathlib import Path

SITE = Path(__file__).resolve().parent.parent / "scenarios" / "site"


def login(delay_ms: int = 5, wait_ms: int = 400, submit: bool = True) -> str:
    """Type an e-mail and a password key by key on the login page, wait, then sign in (or leave without)."""
    ending = '  - submit: "#login-form"\n  - expect: {text: "Welcome back"}\n' if submit else ""
    return f"""
name: Login
start: https://shop.test/login.html
secrets:
  email: "{{canary:email}}"
  password: "{{canary:password}}"
steps:
  - type: {{selector: "#email", text: "{{email}}", delay: {delay_ms}}}
  - type: {{selector: "#password", text: "{{password}}", delay: {delay_ms}}}
  - wait: {wait_ms}
{ending}  - leave: close
"""
