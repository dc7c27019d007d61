"""Saving a workbook with openpyxl, its cells written as text: the same bytes, about three times faster.

openpyxl writes each cell by building an ``xml.etree`` element and serialising it through ``et_xmlfile`` (pure
Python, without lxml): for the 80,000-odd cells of the board workbook that is most of the export's time. Here
the worksheets' ``<sheetData>`` rows are written by :class:`_SheetWriter`, which formats the common cells
(numbers, booleans, formulas, plain text, styled blanks) directly as the text openpyxl would write, and hands
every other cell (dates, rich text, array and data-table formulas, hyperlinks) to openpyxl's own cell writer.
Everything else (styles, charts, drawings, print settings, the package) is openpyxl's unchanged.
tests/exports/workbook/test_fastwrite.py checks that every part of the file equals openpyxl's own output.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Callable
from typing import Any
from xml.sax.saxutils import escape
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

from openpyxl import Workbook
from openpyxl.cell._writer import write_cell
from openpyxl.cell.rich_text import CellRichText
from openpyxl.compat import safe_string
from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula
from openpyxl.writer.excel import ExcelWriter

_SIMPLE_TYPES = ("n", "s", "f", "b", "e")


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


RawRows = dict[int, list[tuple[int, str, Any]]]  # row -> (column, formula, StyleArray), columns increasing


def plain_formula(formula: str) -> bool:
    """A formula openpyxl stores as given (``=`` and printable text within Excel's 32,767 characters)."""
    return 1 < len(formula) <= 32767 and formula[0] == "=" and formula.isprintable()


def all_plain(formulas: list[str]) -> bool:
    """``all(plain_formula(f) for f in formulas)``, in a few C-speed passes over the whole list."""
    if not formulas:
        return True
    lengths = list(map(len, formulas))
    return (
        min(lengths) > 1 and max(lengths) <= 32767 and all(f[0] == "=" for f in formulas) and "".join(formulas).isprintable()
    )


def keep_raw_formulas(wb: Workbook) -> None:
    """From now on, the Calculations-style rows of ``wb`` keep their inner formula cells as (column, formula,
    style) entries beside each sheet (:func:`raw_rows`) instead of openpyxl cells: the saved file is the same
    (:func:`save_bytes` writes them in their places, as openpyxl would write the cells; :func:`materialize`
    makes them cells), built and saved without 50,000-odd cell objects. Only for a workbook that is saved
    by :func:`save_bytes` and not read back cell by cell before that."""
    wb._tem_raw = True


def raw_rows(ws: Any) -> RawRows | None:
    """The sheet's raw formula rows (None when the workbook keeps every cell as an openpyxl cell)."""
    if not getattr(ws.parent, "_tem_raw", False):
        return None
    rows: RawRows | None = getattr(ws, "_tem_raw_rows", None)
    if rows is None:
        rows = ws._tem_raw_rows = {}
    return rows


def materialize(wb: Workbook) -> None:
    """Turn every raw formula entry of ``wb`` into an openpyxl cell (what ``ws.cell(row, column, formula)`` with
    the style makes); the workbook then keeps cells again."""
    from openpyxl.cell.cell import Cell

    for ws in wb.worksheets:
        for row, entries in getattr(ws, "_tem_raw_rows", {}).items():
            for column, formula, style in entries:
                cell = Cell(ws, row=row, column=column, style_array=style)
                cell._value, cell.data_type = formula, "f"
                ws._cells[(row, column)] = cell
        ws._tem_raw_rows = {}
    wb._tem_raw = False


class RawConflict(ValueError):
    """A workbook's raw formulas cannot be written as openpyxl would write them as cells (see :func:`_merged`;
    or they lie outside the sheet's cells, which set its dimension and print area): build it with cells."""


def _merged(ws: Any, row_idx: int, cells: list[Any], entries: list[tuple[int, str, Any]]) -> list[Any]:
    """A row's cells and raw formula entries ``(column, formula, style)``, by column. An empty cell at a raw
    formula's place (made by a read, ``ws.cell(r, c)``) keeps the formula; a cell given a value or a style there
    is refused (:class:`RawConflict`): openpyxl would have changed the formula's cell, keeping the parts of its
    style not set again, which cannot be told apart here."""
    by_column: dict[int, Any] = {c.column: c for c in cells}
    for entry in entries:
        column = entry[0]
        cell = by_column.get(column)
        if cell is not None and (cell._value is not None or cell.has_style):
            raise RawConflict(f"{ws.title}!{get_column_letter(column)}{row_idx}: written after its raw formula was kept")
        by_column[column] = entry
    return [by_column[c] for c in sorted(by_column)]


class _SheetWriter(WorksheetWriter):
    """openpyxl's worksheet writer with :meth:`write_row` formatting common cells as text, and the formulas'
    saved values (``known``: (row, column) -> value) written beside them."""

    def __init__(self, ws: Any, known: dict[tuple[int, int], Cached]):
        super().__init__(ws)
        self._known = known
        self._raw: RawRows = getattr(ws, "_tem_raw_rows", {})
        if self._raw and (
            max(self._raw) > ws.max_row
            or min(self._raw) < ws.min_row
            or max(e[-1][0] for e in self._raw.values() if e) > ws.max_column
            or min(e[0][0] for e in self._raw.values() if e) < ws.min_column
        ):
            raise RawConflict(f"{ws.title}: raw formulas outside the sheet's cells")
        self.missing: list[tuple[int, int]] = []  # formula cells written here without a value, in file order
        self.handed_formula = False  # a formula cell was left to openpyxl's writer (an array formula ...)
        self._style_ids: dict[tuple[int, ...], int] = {}
        self._letters: dict[int, str] = {}

    def write_row(self, xf: Any, row: list[Any], row_idx: int) -> None:
        from openpyxl.comments.comment_sheet import CommentRecord

        attrs = {"r": f"{row_idx}"}
        attrs.update(self.ws.row_dimensions.get(row_idx, {}))
        entries = self._raw.get(row_idx)
        with xf.element("row", attrs):
            raw = xf._file  # the text sink et_xmlfile writes elements to
            if entries:
                row = _merged(self.ws, row_idx, row, entries)
            for cell in row:
                if type(cell) is tuple:  # a raw formula entry
                    raw(self._raw_text(cell, row_idx))
                    continue
                if cell._comment is not None:
                    self.ws._comments.append(CommentRecord.from_cell(cell))
                styled = cell.has_style
                if cell._value is None and not styled and not cell._comment:
                    continue
                text = self._cell_text(cell, styled, row_idx)
                if text is None:
                    self.handed_formula = self.handed_formula or cell.data_type == "f"
                    write_cell(xf, self.ws, cell, styled)
                else:
                    raw(text)

    def _raw_text(self, entry: tuple[int, str, Any], row_idx: int) -> str:
        """A raw formula entry ``(column, formula, style)`` as :meth:`_cell_text` writes the cell openpyxl would
        have made of it (a plain formula: see :func:`plain_formula`)."""
        col, formula, style = entry
        return self._formula_text(self._head(col, row_idx, style if any(style) else None), formula, row_idx, col)

    def _head(self, col: int, row_idx: int, style: Any | None) -> str:
        """``<c r="G12"`` and, for a cell with a ``style`` (a StyleArray), its ``s`` attribute: the style's index,
        registered by the first cell that has it, in openpyxl's order."""
        letter = self._letters.get(col)
        if letter is None:
            letter = self._letters[col] = get_column_letter(col)
        if style is None:
            return f'<c r="{letter}{row_idx}"'
        key = tuple(style)
        sid = self._style_ids.get(key)
        if sid is None:
            sid = self._style_ids[key] = int(self.ws.parent._cell_styles.add(style))
        return f'<c r="{letter}{row_idx}" s="{sid}"'

    def _formula_text(self, head: str, formula: str, row_idx: int, col: int) -> str:
        """A formula cell from its ``head``, with its saved value from ``known`` (none, as openpyxl, without one)."""
        known = self._known.get((row_idx, col))
        if known is None or (isinstance(known, float) and not math.isfinite(known)):
            self.missing.append((row_idx, col))
            return f"{head}><f>{escape(formula[1:])}</f><v /></c>"  # as openpyxl: no value saved
        kind_attr, shown = cached_value(known)
        return f"{head}{kind_attr}><f>{escape(formula[1:])}</f><v>{shown}</v></c>"

    def _cell_text(self, cell: Any, styled: bool, row_idx: int) -> str | None:
        """The cell as openpyxl's ``etree_write_cell`` writes it, or None for a cell left to it."""
        value, kind = cell._value, cell.data_type
        if kind not in _SIMPLE_TYPES or cell.hyperlink or isinstance(value, (ArrayFormula, DataTableFormula, CellRichText)):
            return None
        if isinstance(value, (dt.date, dt.time, dt.timedelta)):
            return None
        col = cell.column
        head = self._head(col, row_idx, cell._style if styled else None)
        if kind == "s":
            head += ' t="inlineStr"'
        elif kind != "f":
            head += f' t="{kind}"'
        if value is None or value == "":
            return head + " />"
        if kind == "f":
            return self._formula_text(head, value, row_idx, col)
        if kind == "s":
            if not isinstance(value, str):
                return None
            stripped = value.strip()
            space = ' xml:space="preserve"' if stripped and value != stripped else ""
            return f"{head}><is><t{space}>{escape(value)}</t></is></c>"
        shown = safe_string(value)
        return f"{head}><v>{escape(shown)}</v></c>" if shown else f"{head}><v /></c>"


Refill = Callable[[bytes, dict[tuple[int, int], Cached]], tuple[bytes, list[tuple[int, int]]]]


class _Writer(ExcelWriter):
    """openpyxl's package writer, its worksheets written by :class:`_SheetWriter`.

    ``refill(xml, known)``, when given, runs on the XML of each sheet where openpyxl's own writer wrote a formula
    cell (it saves those without a value): it returns the XML with the values of ``known`` filled in and the
    formula cells left without one, in file order. ``missing`` collects (sheet title, row, column) of every
    formula cell saved without a value."""

    def __init__(
        self,
        workbook: Workbook,
        archive: ZipFile,
        values: dict[str, dict[tuple[int, int], Cached]],
        refill: Refill | None = None,
    ):
        super().__init__(workbook, archive)
        self._values = values
        self._refill = refill
        self.missing: list[tuple[str, int, int]] = []

    def write_worksheet(self, ws: Any) -> None:
        ws._drawing = SpreadsheetDrawing()
        ws._drawing.charts = ws._charts
        ws._drawing.images = ws._images
        known = self._values.get(ws.title, {})
        writer = _SheetWriter(ws, known)
        writer.write()
        ws._rels = writer._rels
        if self._refill is not None and writer.handed_formula:
            with open(writer.out, "rb") as fh:
                xml, missing = self._refill(fh.read(), known)
            info = ZipInfo.from_file(writer.out, ws.path[1:])  # the entry archive.write would make
            info.compress_type = ZIP_DEFLATED
            self._archive.writestr(info, xml)
        else:
            self._archive.write(writer.out, ws.path[1:])
            missing = writer.missing
        self.missing.extend((ws.title, r, c) for r, c in missing)
        self.manifest.append(ws)
        writer.cleanup()


def sheet_writer(ws: Any) -> WorksheetWriter:
    """The worksheet writer of :class:`_SheetWriter` for a sheet (a write-only sheet's rows, as they come)."""
    return _SheetWriter(ws, {})


def save_bytes(wb: Workbook, values: dict[str, dict[tuple[int, int], Cached]] | None = None) -> bytes:
    """``wb.save`` into memory (a workbook not in write-only mode), cells written as text; with ``values``
    (sheet title -> (row, column) -> value), each formula cell listed there is saved with its value (a formula
    without one, or with a NaN, is saved as openpyxl saves it: an empty ``<v />``)."""
    return save_with_refill(wb, values or {})[0]


def save_with_refill(
    wb: Workbook, values: dict[str, dict[tuple[int, int], Cached]], refill: Refill | None = None
) -> tuple[bytes, list[tuple[str, int, int]]]:
    """:func:`save_bytes`, with ``refill`` run on the sheets where openpyxl wrote formula cells (see
    :class:`_Writer`); also the formula cells saved without a value (sheet title, row, column), in file order."""
    if wb.write_only:
        raise ValueError("save_bytes writes a normal workbook; write-only workbooks save themselves")
    buffer = io.BytesIO()
    archive = ZipFile(buffer, "w", ZIP_DEFLATED, allowZip64=True)
    wb.properties.modified = dt.datetime.now(tz=dt.UTC).replace(tzinfo=None)  # as openpyxl's save_workbook
    writer = _Writer(wb, archive, values, refill)
    writer.save()
    return buffer.getvalue(), writer.missing
