"""Workbooks in openpyxl's write-only mode, for sheets that are long (thousands of rows of values).

Write-only mode streams each row to the file as it is appended, instead of keeping a Python object per cell
until the workbook is saved, which makes long sheets several times faster to write and keeps memory flat. It
only appends rows in order; :class:`BufferedSheet` lets the short sheets be written as usual (``cell(row, col)``
in any order, fonts, number formats, frozen panes, column widths, charts) and appends their rows when
flushed; long tables then go through :meth:`BufferedSheet.append_rows`. Rows are written by the cell writer of
:mod:`.fastwrite` (openpyxl's bytes, faster).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell, WriteOnlyCell

from tem.exports.workbook.fastwrite import sheet_writer


class BufferedSheet:
    """A write-only worksheet with a buffer for the cells written before :meth:`flush` (see the module doc)."""

    def __init__(self, wb: Workbook, title: str) -> None:
        self.ws = wb.create_sheet(title)
        self._cells: dict[tuple[int, int], Cell] = {}
        self._flushed = False

    @property
    def title(self) -> str:
        return str(self.ws.title)

    @title.setter
    def title(self, value: str) -> None:
        self.ws.title = value

    @property
    def column_dimensions(self) -> Any:
        return self.ws.column_dimensions

    @property
    def freeze_panes(self) -> str | None:
        return self.ws.freeze_panes

    @freeze_panes.setter
    def freeze_panes(self, top_left: str | Cell | None) -> None:
        if isinstance(top_left, Cell):
            top_left = top_left.coordinate
        self.ws.freeze_panes = top_left

    def cell(self, row: int, column: int, value: Any = None) -> Cell:
        """The cell at (row, column), 1-based, created on first use; ``value`` set when given (as openpyxl)."""
        if self._flushed:
            raise RuntimeError("sheet already flushed: only append_rows from here on")
        key = (row, column)
        cell = self._cells.get(key)
        if cell is None:
            cell = self._cells[key] = WriteOnlyCell(self.ws)
            cell.row, cell.column = row, column  # so that .coordinate (e.g. for freeze_panes) is right
        if value is not None:
            cell.value = value
        return cell

    def add_chart(self, chart: Any, anchor: str) -> None:
        self.ws.add_chart(chart, anchor)

    def flush(self) -> int:
        """Append the buffered rows (empty rows where nothing was written); returns the last row written."""
        if self._flushed:
            return int(self.ws._max_row)
        self._flushed = True
        install_writer(self.ws)
        last = max((r for r, _ in self._cells), default=0)
        by_row: dict[int, dict[int, Cell]] = {}
        for (r, c), cell in self._cells.items():
            by_row.setdefault(r, {})[c] = cell
        for r in range(1, last + 1):
            cells = by_row.get(r, {})
            width = max(cells, default=0)
            self.ws.append([cells.get(c) for c in range(1, width + 1)])
        return last

    def append_rows(self, rows: Iterable[list[Any]]) -> None:
        """Append rows of plain values after the buffered ones (None leaves a cell empty)."""
        self.flush()
        for row in rows:
            self.ws.append(row)


def install_writer(ws: Any) -> None:
    """Give a write-only sheet the faster cell writer of :mod:`.fastwrite` (the same bytes), at the moment
    openpyxl would create its own: before the first row, after the sheet's settings (widths, panes)."""
    if ws._writer is None:
        ws._writer = sheet_writer(ws)
        ws._writer.write_top()


def save_write_only(wb: Workbook, sheets: Iterable[BufferedSheet]) -> bytes:
    """Flush every sheet (in the order given, which must be the order they were created) and save to bytes."""
    for sheet in sheets:
        sheet.flush()
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
