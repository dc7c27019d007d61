"""Workbook styles (FAST conventions: inputs blue on light yellow, calculations black) and number formats."""

from __future__ import annotations

from typing import Any

from openpyxl.styles import Font, PatternFill
from openpyxl.styles.cell_style import StyleArray

from tem.exports.safe_text import put_text as put_text  # the one text-safe cell writer, re-exported

HEADER = Font(bold=True)
SECTION = Font(bold=True, size=12, color="1F3864")
TITLE = Font(bold=True, size=16, color="1F3864")
INPUT_FONT = Font(color="0000FF")
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
CHECK_FILL = PatternFill("solid", fgColor="E2EFDA")
KPI_FONT = Font(bold=True)

FORMATS = {
    "INR crore": '#,##0.0;[Red]-#,##0.0;"-"',
    "USD million": '#,##0.0;[Red]-#,##0.0;"-"',
    "INR/kWh": '#,##0;[Red]-#,##0;"-"',
    "USD/kWh": '#,##0.00;[Red]-#,##0.00;"-"',
    "GWh": '#,##0.000;[Red]-#,##0.000;"-"',
    "fraction": "0.0%",
    "FY": '"FY"0',  # a fiscal year reads FY2030, never a bare 2030 (nor "2,030")
    "years": "0.0",
    "factor": "0.0000",
    "INR per USD": "0.00",
    "x": '0.00"x"',
}

# A difference of two values (a rate's in percentage points, a fiscal year's in years) has its format in the
# catalogue (tem.catalogue.difference_excel), with its words (format_difference): one place for both.


def number_format(unit: str) -> str:
    return FORMATS.get(unit, "General")


def restyle(cell: Any, font: Font | None = None, fill: PatternFill | None = None) -> Any:
    """``cell.font = font`` and ``cell.fill = fill`` (those given), as openpyxl sets them, and the cell. openpyxl
    hashes the whole style object at every assignment to find its index; here each object's index is found once
    per workbook (the objects are this module's constants, never changed) and kept beside the workbook."""
    style = cell._style
    if style is None:
        style = cell._style = StyleArray()
    wb = cell.parent.parent
    if font is not None:
        style.fontId = _index(wb, "_fonts", font)
    if fill is not None:
        style.fillId = _index(wb, "_fills", fill)
    return cell


def _index(wb: Any, collection: str, value: object) -> int:
    known: dict[tuple[str, int], tuple[object, int]] | None = getattr(wb, "_tem_style_index", None)
    if known is None:
        known = wb._tem_style_index = {}
    hit = known.get((collection, id(value)))
    if hit is None or hit[0] is not value:
        hit = known[(collection, id(value))] = (value, getattr(wb, collection).add(value))
    return hit[1]
