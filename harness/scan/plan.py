"""What to test per form: the strategies that matter, and the forms that cannot be tested (with why).

``abandon``: fill every field key by key, then leave without submitting (nothing typed may leave the page).
``submit``: fill and submit; only with ``--submit`` or for forms the config lists as safe, since on a real site a
submission creates data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Literal
from urllib.parse import urlsplit

from harness.scan.crawl import PageFound
from harness.scan.fields import Form

Strategy = Literal["abandon", "submit"]
STRATEGIES: Final[tuple[Strategy, ...]] = ("abandon", "submit")


@dataclass(frozen=True)
class Target:
    """One run to generate: a form of a page under one strategy."""

    page: str
    form: Form
    strategy: Strategy

    @property
    def slug(self) -> str:
        """The scenario file's stem: page, form and strategy, in characters every file system takes."""
        path = urlsplit(self.page).path.strip("/") or "index"
        what = self.form.key or "fields"
        where = self.form.frame.split(" >> ")[0] if self.form.frame else ""
        raw = "-".join(part for part in ("scan", path, where, what, self.strategy) if part)
        return re.sub(r"[^A-Za-z0-9]+", "-", raw.replace(".html", "")).strip("-").lower()


@dataclass(frozen=True)
class Untested:
    """A form found but not tested, and why."""

    page: str
    form: Form
    why: str


def strategies_for(form: Form, submit: bool, safe: Iterable[str]) -> list[Strategy]:
    """``abandon`` always; ``submit`` for a real form when asked (``--submit``) or listed safe by its key."""
    chosen: list[Strategy] = ["abandon"]
    if form.key and (submit or form.key in set(safe)):
        chosen.append("submit")
    return chosen


def plan(pages: Iterable[PageFound], submit: bool = False, safe: Iterable[str] = ()) -> tuple[list[Target],
                                                                                             list[Untested]]:
    """Every run to generate, and every form that cannot be tested; a form seen on several pages is tested on the
    first (site-wide search boxes would otherwise be tested once per page)."""
    targets: list[Target] = []
    untested: list[Untested] = []
    done: set[tuple[str, str]] = set()
    safe = tuple(safe)
    for page in pages:
        for form in page.forms:
            if not form.fillable:
                why = "; ".join(f"{f.selector}: {f.unfillable}" for f in form.fields) or "no field to type into"
                untested.append(Untested(page.url, form, f"no field can be filled ({why})"))
                continue
            identity = (form.frame + form.key, ",".join(f.selector for f in form.fields))
            if form.key and identity in done:
                continue
            done.add(identity)
            targets += [Target(page.url, form, strategy) for strategy in strategies_for(form, submit, safe)]
    return targets, untested


__all__ = ["STRATEGIES", "Strategy", "Target", "Untested", "plan", "strategies_for"]
