"""Cached values: every formula cell of the workbook is saved with its computed value beside the formula.

Why: a reader that does not recalculate (``pandas.read_excel``, file previewers, phone mail apps, openpyxl with
``data_only=True``) sees the value stored in the file, and openpyxl stores none (an empty ``<v/>``). The workbook
still asks for a full recalculation on load, so Excel and LibreOffice recompute every formula from the inputs.

Where the values come from: the Python engine's value of each cell (the same numbers the parity tests prove a
spreadsheet engine computes from the formulas, rel 1e-9), recorded by the sheet builders beside each formula.
We do not rewrite the workbook with XlsxWriter (the builders, charts and styles are openpyxl), and we do not
require LibreOffice at export time (it is a test-time reference engine, slow to start, and may be missing).
``tests/exports/workbook/test_cached_values.py`` checks that every formula cell has a cached value and that
it equals LibreOffice's recalculation.

The values are written into openpyxl's output: openpyxl writes a formula cell as ``<c r="G15" s="3"><f>..</f>
<v /></c>``; we fill ``<v>`` (numbers), or set ``t="str"`` (text results) or ``t="b"`` (booleans).
"""

from __future__ import annotations

import math
import re

from openpyxl import Workbook
from openpyxl.utils import column_index_from_string

from tem.exports.workbook.fastwrite import save_with_refill
from tem.exports.workbook.saved_values import Cached, Known, cached_value

Values = dict[tuple[str, int, int], Cached]

# a formula cell as openpyxl writes it (an array formula's first cell carries t="array" ref=".." on <f>)
_ATTRS = rb'((?: [a-zA-Z]+="[^"]*")*)'
_FORMULA_CELL = re.compile(rb'<c r="([A-Z]+)([0-9]+)"' + _ATTRS + rb"><f" + _ATTRS + rb">([^<]*)</f><v ?/></c>")


def _cell_xml(col: bytes, row: bytes, attrs: bytes, f_attrs: bytes, formula: bytes, value: Cached) -> bytes:
    head = b'<c r="' + col + row + b'"' + re.sub(rb' t="[^"]*"', b"", attrs)
    try:
        kind, shown = cached_value(value)
    except ValueError as exc:
        raise ValueError(f"cell {col.decode()}{row.decode()}: {exc}") from None
    return head + kind.encode() + b"><f" + f_attrs + b">" + formula + b"</f><v>" + shown.encode() + b"</v></c>"


def refill(xml: bytes, known: Known) -> tuple[bytes, list[tuple[int, int]]]:
    """A sheet's XML with each formula cell saved without a value (``<v />``) given its value from ``known``
    ((row, column) -> value); also the cells left without one (none in ``known``, or a NaN), in file order."""
    missing: list[tuple[int, int]] = []

    def fill(m: re.Match[bytes]) -> bytes:
        col, row, attrs, f_attrs, formula = m.groups()
        key = (int(row), column_index_from_string(col.decode()))
        value = known.get(key)
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            missing.append(key)  # no value recorded (or none that a cell can hold)
            return m.group(0)
        return _cell_xml(col, row, attrs, f_attrs, formula, value)

    return _FORMULA_CELL.sub(fill, xml), missing


def save_with_values(wb: Workbook, values: Values) -> tuple[bytes, list[tuple[str, int, int]]]:
    """The workbook as .xlsx bytes with each formula's cached value; also the formula cells that had no value
    in ``values``, or a NaN (left without one: they show after recalculation), in sheet and file order.

    One pass: the fast cell writer (fastwrite.py) saves most formulas with their values as it writes them;
    :func:`refill` fills the formula cells openpyxl's own writer wrote (array formulas) in those sheets only.
    ``values`` is read as it is (no copy per sheet)."""
    return save_with_refill(wb, {}, refill, flat=values)
