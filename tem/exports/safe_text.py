"""One text-safe writer for everything a spreadsheet program opens: workbook cells and CSV files.

User text (scenario names and descriptions, file paths, labels from spec files) reaches outputs in many places;
every one goes through this module:

* :func:`put_text` writes a workbook cell as a *text* cell: a value starting with ``=`` (or ``+``, ``-``, ``@``)
  is never stored as a formula, and characters that an .xlsx file cannot hold (control characters, lone
  surrogates, U+FFFE/U+FFFF) are replaced by a visible escape such as ``\\x01`` instead of crashing the export;
* :func:`csv_text` renders a table as CSV with every text field passed through :func:`csv_field`: a field that
  Excel or LibreOffice would run as a formula when opening the file (it starts with ``=``, ``@``, a tab or a
  carriage return, or with ``+``/``-`` without being a plain number such as ``-30%``) gets a leading apostrophe,
  the usual defence against CSV formula injection (OWASP). Numbers are written as numbers.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:  # openpyxl is imported by the workbook's modules, not by a run that writes only CSV files
    from openpyxl.cell.cell import Cell
    from openpyxl.worksheet.worksheet import Worksheet

_UNHOLDABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_NUMBER = re.compile(r"^[+-]?(\d[\d,]*(\.\d*)?|\.\d+)([eE][+-]?\d+)?%?$")
_FORMULA_START = ("=", "@", "+", "-", "\t", "\r")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean_text(value: object) -> str:
    """``value`` as text that any output file can hold: unholdable characters become visible escapes."""
    text = "" if value is None else str(value)
    return _UNHOLDABLE.sub(_escape, text)


def put_text(ws: Worksheet, row: int, col: int, text: object) -> Cell:
    """Write user text as text: a value starting with '=' (or '+', '-', '@') is never a formula.

    An openpyxl cell takes the text directly, as its ``value`` setter stores it (cut at 32,767 characters; the
    characters it refuses are escaped by :func:`clean_text` already), without that setter's checks."""
    cell = ws.cell(row, col)
    if type(cell) is (_CELL or _cell_type()):
        cell._value = clean_text(text)[:32767]
    else:
        cell.value = clean_text(text)
    cell.data_type = "s"
    return cell


_CELL: type[Cell] | None = None  # openpyxl's Cell, imported on the first put_text


def _cell_type() -> type[Cell]:
    global _CELL
    from openpyxl.cell.cell import Cell

    _CELL = Cell
    return Cell


def csv_field(text: str) -> str:
    """A text field that a spreadsheet program opening the CSV shows as that text, never runs as a formula."""
    text = clean_text(text)
    if text.startswith(_FORMULA_START) and not _NUMBER.match(text):
        return "'" + text
    return text


def _safe(value: Any) -> Any:
    return csv_field(value) if isinstance(value, str) else value


def _safe_labels(labels: pd.Index) -> pd.Index:
    names = [_safe(n) for n in labels.names]
    if isinstance(labels, pd.MultiIndex):
        return pd.MultiIndex.from_tuples([tuple(_safe(v) for v in t) for t in labels], names=names)
    out = labels.map(_safe)  # numbers and other non-text labels map to themselves
    out.names = names
    return out


def csv_text(frame: pd.DataFrame, **to_csv: Any) -> str:
    """``frame.to_csv(**to_csv)`` with every text field, index label and column label made safe by
    :func:`csv_field` (numbers, dates and missing values are unchanged)."""
    safe = frame.copy(deep=False)  # columns replaced below are new; the caller's frame is never changed
    for col in safe.columns:
        if safe[col].dtype == object or pd.api.types.is_string_dtype(safe[col].dtype):
            safe[col] = safe[col].map(_safe)
    safe.index = _safe_labels(safe.index)
    safe.columns = _safe_labels(safe.columns)
    text: str = safe.to_csv(**to_csv)
    return text
