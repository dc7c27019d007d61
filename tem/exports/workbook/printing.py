"""Print layout for board packs, shared by every workbook tem writes (run, sweep, compare, Monte Carlo).

A4 landscape, one page wide (as many pages tall as needed), narrow margins, the header rows and label columns
repeated on every page, and a footer with the scenario (and what was overridden), the sheet name and
"Page n of N". Works on normal and write-only worksheets.
"""

from __future__ import annotations

from typing import Any

A4 = 9  # paperSize code of A4 in SpreadsheetML


def footer_text(text: str) -> str:
    """Text for a header/footer field: '&' starts a code there, so a literal one is doubled."""
    return text.replace("&", "&&")


def board_print(
    ws: Any,
    scenario: str,
    *,
    title_rows: str | None = None,
    title_cols: str | None = None,
    print_area: str | None = None,
) -> None:
    """A4 landscape, fit to one page wide, repeated titles (e.g. ``"1:3"``, ``"A:C"``), footer
    ``scenario | sheet | Page n of N``, and the print area when given (``"A1:Z40"``)."""
    ws.page_setup.paperSize = A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top, ws.page_margins.bottom = 0.5, 0.6
    ws.page_margins.header, ws.page_margins.footer = 0.25, 0.3
    if title_rows:
        ws.print_title_rows = title_rows
    if title_cols:
        ws.print_title_cols = title_cols
    if print_area:
        ws.print_area = print_area
    ws.oddFooter.left.text = footer_text(scenario)
    ws.oddFooter.left.size = 8
    ws.oddFooter.center.text = "&A"  # the sheet's name
    ws.oddFooter.center.size = 8
    ws.oddFooter.right.text = "Page &P of &N"
    ws.oddFooter.right.size = 8
