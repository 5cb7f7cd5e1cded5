"""pytest plugin: placeholder until the runner lands."""
from __future__ import annotations
