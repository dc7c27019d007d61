"""Saving a workbook with openpyxl, its cells written as text: the same bytes, about three times faster.

openpyxl writes each cell by building an ``xml.etree`` element and serialising it through ``et_xmlfile`` (pure
Python, without lxml): for the 80,000-odd cells of the board workbook that is most of the export's time. Here
the worksheets' ``<sheetData>`` rows are written by :class:`_SheetWriter`, which formats the common cells
(numbers, booleans, formulas, plain text, styled blanks) directly as the text openpyxl would write, and hands
every other cell (dates, rich text, array and data-table formulas, hyperlinks) to openpyxl's own cell writer;
a sheet's rows are joined into one text, written at once.
Everything else (styles, charts, drawings, print settings, the package) is openpyxl's unchanged.
tests/exports/workbook/test_fastwrite.py checks that every part of the file equals openpyxl's own output.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Callable
from itertools import repeat
from typing import Any
from xml.etree.ElementTree import _escape_attrib  # type: ignore[attr-defined]  # as et_xmlfile
from xml.sax.saxutils import escape
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

from openpyxl import Workbook
from openpyxl.cell._writer import write_cell
from openpyxl.cell.cell import Cell
from openpyxl.cell.rich_text import CellRichText
from openpyxl.compat import safe_string
from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula
from openpyxl.writer.excel import ExcelWriter

from tem.exports.workbook.saved_values import Cached, Flat, Known, SheetValues, cached_value

_SIMPLE_TYPES = ("n", "s", "f", "b", "e")


RawRows = dict[int, list[tuple[int, str, Any]]]  # row -> (column, formula, StyleArray), columns increasing


def plain_formula(formula: str) -> bool:
    """A formula openpyxl stores as given (``=`` and printable text within Excel's 32,767 characters)."""
    return 1 < len(formula) <= 32767 and formula[0] == "=" and formula.isprintable()


def all_plain(formulas: list[str]) -> bool:
    """``all(plain_formula(f) for f in formulas)``, in a few C-speed passes over the whole list."""
    if not formulas:
        return True
    lengths = list(map(len, formulas))
    if min(lengths) <= 1 or max(lengths) > 32767:
        return False
    return all(map(str.startswith, formulas, repeat("="))) and "".join(formulas).isprintable()


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
    saved values written beside them: ``known`` ((row, column) -> value), or ``flat`` ((sheet title, row, column) ->
    value: the values of every sheet, as the workbook's builders record them, read without a copy per sheet)."""

    def __init__(self, ws: Any, known: dict[tuple[int, int], Cached], flat: Flat | None = None):
        super().__init__(ws)
        self._title = ws.title
        if flat is not None:
            self._get: Callable[[tuple[str, int, int]], Cached | None] = flat.get
        elif known:
            self._get = lambda key: known.get((key[1], key[2]))
        else:
            none: Flat = {}
            self._get = none.get
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
        self._dim_text: dict[tuple[Any, ...], str] = {}

    def write_rows(self) -> None:
        """openpyxl's ``write_rows`` (``<sheetData>``, its rows in order), the text of the rows joined and written
        at once; a cell left to openpyxl's writer is written in its place after the text before it."""
        xf = self.xf.send(True)
        with xf.element("sheetData"):
            parts: list[str] = []
            dims = self.ws.row_dimensions
            for row_idx, row in self.rows():
                dim = dims.get(row_idx)
                parts.append(f'<row r="{row_idx}"{self._row_attrs(dim)}>' if dim is not None else f'<row r="{row_idx}">')
                self._cells(xf, parts, row, row_idx)
                parts.append("</row>")
            xf._file("".join(parts))  # the text sink et_xmlfile writes elements to
        self.xf.send(None)

    def write_row(self, xf: Any, row: list[Any], row_idx: int) -> None:
        """One row (a write-only sheet's, as it comes): as :meth:`write_rows` writes it."""
        attrs = {"r": f"{row_idx}"}
        attrs.update(self.ws.row_dimensions.get(row_idx, {}))
        with xf.element("row", attrs):
            parts: list[str] = []
            self._cells(xf, parts, row, row_idx)
            xf._file("".join(parts))

    def _cells(self, xf: Any, parts: list[str], row: list[Any], row_idx: int) -> None:
        """The text of a row's cells and raw formula entries onto ``parts``; a cell left to openpyxl's writer is
        written by it after ``parts`` so far (written and cleared). A raw entry ``(column, formula, style)`` is
        written as :meth:`_cell_text` writes the cell openpyxl would have made of it (a finite value inline)."""
        entries = self._raw.get(row_idx)
        if entries:
            row = _merged(self.ws, row_idx, row, entries)
        append, letters, known_get, title = parts.append, self._letters, self._get, self._title
        last_style: Any = None
        s_attr = ""
        for cell in row:
            if type(cell) is tuple:
                col, formula, style = cell
                if style is not last_style:
                    last_style, s_attr = style, self._style_attr(style)
                letter = letters.get(col) or self._letter(col)
                value = known_get((title, row_idx, col))
                if type(value) is float and value - value == 0.0:  # a finite float
                    f = formula[1:]
                    if "&" in f or "<" in f or ">" in f:
                        f = escape(f)
                    v = repr(int(value)) if value.is_integer() and -1e15 < value < 1e15 else repr(value)
                    append(f'<c r="{letter}{row_idx}"{s_attr}><f>{f}</f><v>{v}</v></c>')
                else:
                    append(self._formula_text(f'<c r="{letter}{row_idx}"{s_attr}', formula, row_idx, col))
                continue
            if cell._comment is not None:
                from openpyxl.comments.comment_sheet import CommentRecord

                self.ws._comments.append(CommentRecord.from_cell(cell))
            value, st = cell._value, cell._style
            kind = cell.data_type
            if (kind == "s" or kind == "n") and type(cell) is Cell and cell._hyperlink is None:  # as _cell_text
                if kind == "s" and type(value) is str and value:
                    head = f'<c r="{letters.get(cell.column) or self._letter(cell.column)}{row_idx}"'
                    head += self._style_attr(st) if st is not None else ""
                    shown = escape(value) if "&" in value or "<" in value or ">" in value else value
                    space = ' xml:space="preserve"' if value != value.strip() != "" else ""
                    append(f'{head} t="inlineStr"><is><t{space}>{shown}</t></is></c>')
                    continue
                if kind == "n" and type(value) is float and value - value == 0.0:
                    head = f'<c r="{letters.get(cell.column) or self._letter(cell.column)}{row_idx}"'
                    head += self._style_attr(st) if st is not None else ""
                    append(f'{head} t="n"><v>{"%.16g" % value}</v></c>')  # noqa: UP031 (openpyxl's safe_string)
                    continue
            styled = st is not None and any(st)
            if value is None and not styled and not cell._comment:
                continue
            text = self._cell_text(cell, styled, row_idx)
            if text is not None:
                append(text)
            else:  # left to openpyxl's writer, after the text so far
                xf._file("".join(parts))
                parts.clear()
                self.handed_formula = self.handed_formula or cell.data_type == "f"
                write_cell(xf, self.ws, cell, styled)

    def _row_attrs(self, dim: Any) -> str:
        """A row's attributes after ``r`` as openpyxl writes them (its dimension's fields that are set, in order);
        rows without a style of their own share the text of equal fields."""
        if dim.has_style:  # its style index registers the style: openpyxl's way, every time
            return "".join([f' {k}="{_escape_attrib(v)}"' for k, v in dim])
        key = (dim.hidden, dim.outlineLevel, dim.collapsed, dim.ht, dim.thickBot, dim.thickTop)
        text = self._dim_text.get(key)
        if text is None:
            text = self._dim_text[key] = "".join([f' {k}="{_escape_attrib(v)}"' for k, v in dim])
        return text

    def _head(self, col: int, row_idx: int, style: Any | None) -> str:
        """``<c r="G12"`` and, for a cell with a ``style`` (a StyleArray), its ``s`` attribute: the style's index,
        registered by the first cell that has it, in openpyxl's order."""
        letter = self._letters.get(col) or self._letter(col)
        return f'<c r="{letter}{row_idx}"' if style is None else f'<c r="{letter}{row_idx}"{self._style_attr(style)}'

    def _letter(self, col: int) -> str:
        letter = self._letters[col] = get_column_letter(col)
        return letter

    def _style_attr(self, style: Any) -> str:
        """`` s="3"``: the index of ``style`` (a StyleArray; "" when it sets nothing), registered by the first
        cell that has it, in openpyxl's order."""
        if not any(style):
            return ""
        key = tuple(style)
        sid = self._style_ids.get(key)
        if sid is None:
            sid = self._style_ids[key] = int(self.ws.parent._cell_styles.add(style))
        return f' s="{sid}"'

    def _formula_text(self, head: str, formula: str, row_idx: int, col: int) -> str:
        """A formula cell from its ``head``, with its saved value from ``known`` (none, as openpyxl, without one)."""
        known = self._get((self._title, row_idx, col))
        if type(known) is float and known - known == 0.0:  # a finite float (most values), as cached_value writes it
            f = formula[1:]
            if "&" in f or "<" in f or ">" in f:
                f = escape(f)
            v = repr(int(known)) if known.is_integer() and -1e15 < known < 1e15 else repr(known)
            return f"{head}><f>{f}</f><v>{v}</v></c>"
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


Refill = Callable[[bytes, Known], tuple[bytes, list[tuple[int, int]]]]


class _Writer(ExcelWriter):
    """openpyxl's package writer, its worksheets written by :class:`_SheetWriter`.

    ``refill(xml, known)``, when given, runs on the XML of each sheet where openpyxl's own writer wrote a formula
    cell (it saves those without a value): it returns the XML with the values of ``known`` filled in and the
    formula cells left without one, in file order. ``missing`` collects (sheet title, row, column) of every
    formula cell saved without a value. ``flat``, when given, holds the values instead of ``values`` (see
    :class:`_SheetWriter`)."""

    def __init__(
        self,
        workbook: Workbook,
        archive: ZipFile,
        values: dict[str, dict[tuple[int, int], Cached]],
        refill: Refill | None = None,
        flat: Flat | None = None,
    ):
        super().__init__(workbook, archive)
        self._values = values
        self._flat = flat
        self._refill = refill
        self.missing: list[tuple[str, int, int]] = []

    def write_worksheet(self, ws: Any) -> None:
        ws._drawing = SpreadsheetDrawing()
        ws._drawing.charts = ws._charts
        ws._drawing.images = ws._images
        known: Known = self._values.get(ws.title, {})
        writer = _SheetWriter(ws, self._values.get(ws.title, {}), self._flat)
        writer.write()
        ws._rels = writer._rels
        if self._refill is not None and writer.handed_formula:
            if self._flat is not None:  # this sheet's values, read from the flat ones
                known = SheetValues(self._flat, ws.title)
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
    wb: Workbook, values: dict[str, dict[tuple[int, int], Cached]], refill: Refill | None = None, flat: Flat | None = None
) -> tuple[bytes, list[tuple[str, int, int]]]:
    """:func:`save_bytes`, with ``refill`` run on the sheets where openpyxl wrote formula cells (see
    :class:`_Writer`); also the formula cells saved without a value (sheet title, row, column), in file order.
    ``flat`` ((sheet title, row, column) -> value), when given, replaces ``values``."""
    if wb.write_only:
        raise ValueError("save_bytes writes a normal workbook; write-only workbooks save themselves")
    buffer = io.BytesIO()
    archive = ZipFile(buffer, "w", ZIP_DEFLATED, allowZip64=True)
    wb.properties.modified = dt.datetime.now(tz=dt.UTC).replace(tzinfo=None)  # as openpyxl's save_workbook
    writer = _Writer(wb, archive, values, refill, flat)
    writer.save()
    return buffer.getvalue(), writer.missing
