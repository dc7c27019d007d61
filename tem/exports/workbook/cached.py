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

import io
import math
import re
import zipfile

from openpyxl import Workbook
from openpyxl.utils import column_index_from_string

from tem.exports.workbook.fastwrite import Cached, cached_value, save_bytes

Values = dict[tuple[str, int, int], Cached]

# a formula cell as openpyxl writes it (an array formula's first cell carries t="array" ref=".." on <f>)
_ATTRS = rb'((?: [a-zA-Z]+="[^"]*")*)'
_FORMULA_CELL = re.compile(rb'<c r="([A-Z]+)([0-9]+)"' + _ATTRS + rb"><f" + _ATTRS + rb">([^<]*)</f><v ?/></c>")
_SHEET = re.compile(rb'<sheet [^>]*?name="([^"]*)"[^>]*?r:id="([^"]*)"')
_REL = re.compile(
    rb'<Relationship [^>]*?Id="([^"]*)"[^>]*?Target="([^"]*)"|<Relationship [^>]*?Target="([^"]*)"[^>]*?Id="([^"]*)"'
)


def _unescape(name: bytes) -> str:
    return name.decode().replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')


def _sheet_parts(z: zipfile.ZipFile) -> dict[str, str]:
    """Sheet title -> part name inside the zip (``xl/worksheets/sheet3.xml``)."""
    rels: dict[bytes, bytes] = {}
    for m in _REL.finditer(z.read("xl/_rels/workbook.xml.rels")):
        rid, target = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        rels[rid] = target
    parts = {}
    for m in _SHEET.finditer(z.read("xl/workbook.xml")):
        target = rels[m.group(2)].decode()
        parts[_unescape(m.group(1))] = target.lstrip("/") if target.startswith("/") else "xl/" + target
    return parts


def _cell_xml(col: bytes, row: bytes, attrs: bytes, f_attrs: bytes, formula: bytes, value: Cached) -> bytes:
    head = b'<c r="' + col + row + b'"' + re.sub(rb' t="[^"]*"', b"", attrs)
    try:
        kind, shown = cached_value(value)
    except ValueError as exc:
        raise ValueError(f"cell {col.decode()}{row.decode()}: {exc}") from None
    return head + kind.encode() + b"><f" + f_attrs + b">" + formula + b"</f><v>" + shown.encode() + b"</v></c>"


def save_with_values(wb: Workbook, values: Values) -> tuple[bytes, list[tuple[str, int, int]]]:
    """The workbook as .xlsx bytes with each formula's cached value; also the formula cells that had no value
    in ``values``, or a NaN (left without one: they show after recalculation)."""
    by_sheet: dict[str, dict[tuple[int, int], Cached]] = {}
    for (sheet, r, c), v in values.items():
        by_sheet.setdefault(sheet, {})[(r, c)] = v
    # openpyxl's file, its cells written faster and most formulas with their values already (fastwrite.py);
    # the pass below fills any other formula cell and lists those without a value
    raw = io.BytesIO(save_bytes(wb, by_sheet))
    missing: list[tuple[str, int, int]] = []
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        parts = {part: title for title, part in _sheet_parts(zin).items()}
        for info in zin.infolist():
            data = zin.read(info.filename)
            title = parts.get(info.filename)
            if title is not None:
                known = by_sheet.get(title, {})

                def fill(m: re.Match[bytes], known: dict[tuple[int, int], Cached] = known, title: str = title) -> bytes:
                    col, row, attrs, f_attrs, formula = m.groups()
                    key = (int(row), column_index_from_string(col.decode()))
                    value = known.get(key)
                    if value is None or (isinstance(value, float) and not math.isfinite(value)):
                        missing.append((title, *key))  # no value recorded (or none that a cell can hold)
                        return m.group(0)
                    return _cell_xml(col, row, attrs, f_attrs, formula, value)

                data = _FORMULA_CELL.sub(fill, data)
            zout.writestr(info, data)
    return out.getvalue(), missing
