"""The comparison's Assumption diff in words (review D7): each changed input's label, and each scenario's value in
the input's unit (a rate in %, a price in USD/kWh; a yearly path as its points), not the YAML as written."""

from __future__ import annotations

from typing import Any

from tem import catalogue
from tem.analysis.scenarios.compare import compact
from tem.assumptions.input_kinds import input_kind

INTERPOLATION_WORDS = {"linear": "linear between the years", "hold": "each value held to the next"}


def shown_value(path: str, value: Any) -> str:
    """``value`` of the input at ``path`` as a reader sees it: ``15.0%``; ``FY26 5.0%, FY29 20.0%`` for a yearly
    path (with its interpolation in words); other values (words, lists, ``absent``) as written."""
    kind = input_kind(path)
    if isinstance(value, bool) or kind is None:
        return str(value) if isinstance(value, str) else compact(value)
    if isinstance(value, (int, float)):
        return catalogue.format_kind(kind, float(value), with_unit=True)
    if isinstance(value, dict):
        points, how = [], ""
        for key, v in value.items():
            if key == "interpolation":
                how = f" ({INTERPOLATION_WORDS.get(str(v), str(v))})"
            elif key == "growth" and isinstance(v, (int, float)):
                points.append(f"growth {catalogue.format_kind('rate', float(v))} a year")
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                points.append(f"{key} {catalogue.format_kind(kind, float(v), with_unit=True)}")
            else:
                points.append(f"{key} {compact(v)}")
        return ", ".join(points) + how
    return str(value) if isinstance(value, str) else compact(value)
