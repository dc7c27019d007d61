"""Workbook styles (FAST conventions: inputs blue on light yellow, calculations black) and number formats."""

from __future__ import annotations

from openpyxl.styles import Font, PatternFill

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
