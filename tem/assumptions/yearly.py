"""Yearly inputs: the four ways a path over the horizon can be written, and how each becomes an array.

A yearly input is written in an assumption file in one of these forms (all values nominal, in the unit its
field name carries):

* a number: the same value every year (``0.05``);
* a growth path ``{start: 52, growth: -0.03}``: ``start * (1 + growth) ** t`` for year index ``t``;
* FY points ``{FY26: 52, FY30: 45, interpolation: linear}`` (``hold`` is the default): before the first
  point the first value holds; after the last point the last value holds; between points the value is
  held (step) or linearly interpolated on the year index;
* a full list with one value per year of the horizon.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any

from tem.errors import show_value

if TYPE_CHECKING:  # numpy is imported where a path is resolved: `tem validate` of most files never needs it
    import numpy as np

FY_KEY = re.compile(r"^FY(\d{2}|\d{4})\Z")
INTERPOLATIONS = ("hold", "linear")
MAX_GROWTH = 1.0  # a growth path grows at most 100% a year (a percent typed as 15 would be 1,500%)


def fy_label(fiscal_year: int) -> str:
    """Short label of an Indian fiscal year: 2026 -> 'FY26' (April 2025 to March 2026)."""
    return f"FY{fiscal_year % 100:02d}"


def parse_fy(key: str, first_fy: int | None = None) -> int:
    """Fiscal year of a key such as 'FY28' or 'FY2028' -> 2028.

    Two-digit years are read in the century of ``first_fy`` (2000s when it is not given).
    """
    match = FY_KEY.match(key.strip())
    if match is None:
        raise ValueError(f"{key!r} is not a fiscal-year key; write FY28 or FY2028")
    digits = match.group(1)
    if len(digits) == 4:
        return int(digits)
    century = (first_fy // 100) * 100 if first_fy is not None else 2000
    return century + int(digits)


def check_yearly_form(value: Any) -> list[str]:
    """Problems with the *form* of a yearly input (independent of the horizon); empty when fine."""
    if isinstance(value, bool):
        return ["expected a number or a yearly path, got a true/false value"]
    if isinstance(value, (int, float)):
        return []
    if isinstance(value, list):
        bad = [i for i, v in enumerate(value) if isinstance(v, bool) or not isinstance(v, (int, float))]
        if not value:
            return ["an empty list: give one value per year of the horizon"]
        if bad:
            return [f"list item {bad[0]} is {value[bad[0]]!r}, not a number"]
        return []
    if isinstance(value, dict):
        keys = set(value)
        if keys & {"start", "growth"}:
            problems = []
            if keys != {"start", "growth"}:
                problems.append(f"a growth path takes exactly the keys start and growth, got {sorted(keys)}")
            for k in ("start", "growth"):
                v = value.get(k)
                if k in value and (isinstance(v, bool) or not isinstance(v, (int, float))):
                    problems.append(f"{k} must be a number, got {v!r}")
                elif isinstance(v, (int, float)) and not math.isfinite(v):
                    problems.append(f"{k} is {v}, not a finite number")
            g = value.get("growth")
            if isinstance(g, (int, float)) and not isinstance(g, bool) and math.isfinite(g):
                if g <= -1:
                    problems.append(f"growth {g} would make the path zero or negative; use a value above -1")
                elif g > MAX_GROWTH:
                    hint = f"; use {g / 100:g} for {g:g}%" if 2.0 <= g <= 100.0 else ""
                    problems.append(
                        f"growth {g:g} is above {MAX_GROWTH:g} ({MAX_GROWTH:.0%} a year); a growth rate is a "
                        f"fraction a year{hint}"
                    )
            return problems
        problems = []
        points = 0
        for k, v in value.items():
            if k == "interpolation":
                if v not in INTERPOLATIONS:
                    problems.append(f"interpolation {v!r} is not one of {', '.join(INTERPOLATIONS)}")
                continue
            if not isinstance(k, str) or not FY_KEY.match(k):
                problems.append(
                    f"key {k!r} is neither a fiscal year (FY28) nor 'interpolation'; a yearly input is a "
                    "number, a list, {start: x, growth: g} or {FY28: x, FY31: y, interpolation: linear}"
                )
                continue
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                problems.append(f"{k} must be a number, got {v!r}")
            points += 1
        if points == 0 and not problems:
            problems.append("no FY points given: write e.g. {FY26: 52, FY30: 45}")
        return problems
    got = "null" if value is None else f"{type(value).__name__} {show_value(value)}"
    return [f"expected a number, a list, {{start: x, growth: g}} or {{FY28: x, FY31: y}}, got {got}"]


def yearly_numbers(value: Any) -> list[float]:
    """Every number written in a well-formed yearly input (for bound checks)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [float(value)]
    if isinstance(value, list):
        return [float(v) for v in value]
    if isinstance(value, dict):
        if "start" in value:
            return [float(value["start"])]
        return [float(v) for k, v in value.items() if k != "interpolation"]
    return []


def check_yearly_horizon(value: Any, first_fy: int, n_years: int) -> list[str]:
    """Problems that depend on the horizon: list length and FY points outside the horizon."""
    last_fy = first_fy + n_years - 1
    if isinstance(value, list) and len(value) != n_years:
        return [
            f"a list needs one value per year: {n_years} values ({fy_label(first_fy)}-{fy_label(last_fy)}), "
            f"got {len(value)}: {show_value(value)}"
        ]
    if isinstance(value, dict) and "start" not in value:
        outside = []
        seen: dict[int, str] = {}
        problems = []
        for k in value:
            if k == "interpolation":
                continue
            fy = parse_fy(k, first_fy)
            if fy in seen:
                problems.append(f"duplicate key: {seen[fy]} and {k} are the same fiscal year ({fy}); give each year once")
            seen.setdefault(fy, k)
            if not first_fy <= fy <= last_fy:
                outside.append(k)
        if outside:
            problems.append(f"FY points {outside} lie outside the horizon {fy_label(first_fy)}-{fy_label(last_fy)}")
        return problems
    return []


def resolve_yearly(value: Any, first_fy: int, n_years: int) -> np.ndarray:
    """Turn a (validated) yearly input into a float array of shape ``(n_years,)``.

    >>> resolve_yearly({"start": 100, "growth": 0.1}, 2026, 3).round(6).tolist()
    [100.0, 110.0, 121.0]
    >>> resolve_yearly({"FY26": 10, "FY28": 30, "interpolation": "linear"}, 2026, 4).tolist()
    [10.0, 20.0, 30.0, 30.0]
    >>> resolve_yearly({"FY27": 5}, 2026, 3).tolist()
    [5.0, 5.0, 5.0]
    """
    import numpy as np

    t = np.arange(n_years, dtype=float)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return np.full(n_years, float(value))
    if isinstance(value, list):
        return np.asarray(value, dtype=float).copy()
    if isinstance(value, dict) and "start" in value:
        return float(value["start"]) * (1.0 + float(value["growth"])) ** t
    if isinstance(value, dict):
        method = value.get("interpolation", "hold")
        pts = sorted((parse_fy(k, first_fy) - first_fy, float(v)) for k, v in value.items() if k != "interpolation")
        xs = np.array([p[0] for p in pts], dtype=float)
        ys = np.array([p[1] for p in pts], dtype=float)
        if method == "linear":
            return np.interp(t, xs, ys)
        idx = np.searchsorted(xs, t, side="right") - 1
        return ys[np.clip(idx, 0, len(ys) - 1)]
    raise TypeError(f"not a yearly input: {value!r}")


def path_floats(value: Any, first_fy: int, n_years: int) -> list[tuple[float, bool]] | None:
    """The values of a (validated, horizon-checked) yearly input as Python floats, without numpy: one
    ``(value, exact)`` per year, ``exact`` when it equals :func:`resolve_yearly`'s value bit for bit (an input
    number itself: a constant, a list item, a held point, a growth path's start, an interpolation at or outside
    a point or between equal points); otherwise the same formula in Python's arithmetic, within a few units in
    the last place of numpy's. None for a form it does not compute (a growth path that overflows).
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [(float(value), True)] * n_years
    if isinstance(value, list):
        return [(float(v), True) for v in value]
    if not isinstance(value, dict):
        return None
    if "start" in value:
        start, base = float(value["start"]), 1.0 + float(value["growth"])
        try:
            return [(start, True)] + [(start * base ** float(t), False) for t in range(1, n_years)]
        except (OverflowError, ZeroDivisionError, ValueError):
            return None
    pts = sorted((parse_fy(k, first_fy) - first_fy, float(v)) for k, v in value.items() if k != "interpolation")
    linear = value.get("interpolation", "hold") == "linear"
    out: list[tuple[float, bool]] = []
    for t in range(n_years):
        j = max(0, sum(1 for x, _ in pts if x <= t) - 1)  # the last point at or before t (the first before any)
        (x0, y0), (x1, y1) = pts[j], pts[min(j + 1, len(pts) - 1)]
        if linear and x0 < t < x1 and y0 != y1:  # np.interp's formula
            out.append(((y1 - y0) / (x1 - x0) * (t - x0) + y0, False))
        else:  # held, before the first point, after the last, at a point, or between equal points
            out.append((y0, True))
    return out


def is_finite_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
