"""Telltale harness: drive real browsers through scenarios and prove trackers keep their privacy promises."""

from __future__ import annotations

__version__ = "0.1.0"
