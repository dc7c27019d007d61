"""A formula cell's saved (cached) value as the workbook stores it, and where the writer looks values up.

The engine's figures are saved beside each live formula, so a reader that does not recalculate (a viewer, pandas)
shows the same numbers as Excel or LibreOffice after recalculation (``tests/exports/workbook/test_cached_values.py``).
"""

from __future__ import annotations

import math
from typing import Protocol
from xml.sax.saxutils import escape

Cached = float | int | str | bool


def cached_value(value: Cached) -> tuple[str, str]:
    """A formula's saved value as the cell's type attribute and the text of its ``<v>``: booleans ``t="b"``,
    text ``t="str"``, numbers without a type (integers without a decimal point, others by ``repr``)."""
    if isinstance(value, bool):
        return ' t="b"', "1" if value else "0"
    if isinstance(value, str):
        return ' t="str"', escape(value)
    x = float(value)
    if not math.isfinite(x):
        raise ValueError(f"no finite cached value ({x})")
    return "", repr(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x)


Flat = dict[tuple[str, int, int], Cached]  # (sheet title, row, column) -> value


class Known(Protocol):
    """(row, column) -> a sheet's saved value, or None."""

    def get(self, key: tuple[int, int], /) -> Cached | None: ...


class SheetValues:
    """One sheet's view of flat values ((sheet title, row, column) -> value): ``get((row, column))``, no copy."""

    def __init__(self, flat: Flat, title: str):
        self._flat, self._title = flat, title

    def get(self, key: tuple[int, int], /) -> Cached | None:
        return self._flat.get((self._title, *key))
