"""How a run is named on every page a reader sees: the scenario, and what was changed on the command line.

A run with ``--set`` overrides is not the scenario file as written; its pages say so (workbook footers and
Cover, report title, chart subtitles)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def overrides_text(overrides: Mapping[str, Any]) -> str:
    """``timeline.discount_rate=0.13, cells.local.pli.enabled=True`` (empty without overrides)."""
    return ", ".join(f"{path}={value}" for path, value in overrides.items())


def run_caption(name: str, overrides: Mapping[str, Any] | None = None) -> str:
    """``base`` or ``base, modified: timeline.discount_rate=0.13`` (the overrides of ``--set``)."""
    text = overrides_text(overrides or {})
    return f"{name}, modified: {text}" if text else name
