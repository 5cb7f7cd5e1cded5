"""The scan's closing table: per page its forms, per form its fields and each strategy's verdict."""

from __future__ import annotations

from collections.abc import Mapping

from harness.scan.crawl import PageFound
from harness.scan.plan import Target, Untested


def summary_lines(pages: list[PageFound], targets: list[Target], untested: list[Untested],
                  statuses: Mapping[str, str]) -> list[str]:
    """One line per page, one per form under it (fields, sensitive ones, each strategy's status by scenario slug),
    one per field that cannot be filled, with why, one per choice made (or that cannot be, with why); a page without
    forms says so."""
    lines: list[str] = []
    for page in pages:
        lines.append(f"{page.url}: {len(page.forms)} form(s)" if page.forms else f"{page.url}: no forms")
        lines += [f"  {problem}" for problem in page.problems]
        for form in page.forms:
            runs = [t for t in targets if t.page == page.url and t.form == form]
            sensitive = sum(f.sensitive for f in form.fields)
            outcome = ", ".join(f"{t.strategy} {statuses.get(t.slug, 'not run')}" for t in runs)
            if not runs:
                skipped = next((u.why for u in untested if u.page == page.url and u.form == form),
                               "tested on an earlier page")
                outcome = f"not tested: {skipped}"
            lines.append(f"  {form.title}: {len(form.fields)} field(s), {sensitive} sensitive: {outcome}")
            lines += [f"    {f.selector}: cannot be filled: {f.unfillable}" for f in form.fields if f.unfillable]
            lines += [f"    {c.selector}: " + (f"cannot {c.shown}: {c.unfillable}" if c.unfillable else c.shown)
                      for c in form.choices]
    return lines


__all__ = ["summary_lines"]
