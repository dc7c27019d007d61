"""Whether the inputs of a workbook are still the ones tem exported: a live flag on the Summary sheet.

The breakevens are goal seeks by tem (values of the run); no formula can redo them. So the Summary sheet says
"as exported" beside them and shows a live check: the sum and the sum of squares of every number on the Inputs
sheet (columns E:Z, the blue inputs and the fixed definitions below them) against their values at export, and
every text input against its text. A director who edits any input sees "inputs changed since export: the
breakevens are stale (re-run tem)".
"""

from __future__ import annotations

from openpyxl.worksheet.worksheet import Worksheet

FIRST, LAST = 5, 26  # columns E:Z of Inputs
CURRENT = "inputs as exported: breakevens current"
STALE = "inputs changed since export: breakevens stale (re-run tem)"


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def input_checksums(ws_in: Worksheet) -> tuple[str, float, float, list[tuple[str, str]]]:
    """The Inputs range, the sum and sum of squares of its numbers as written, and its text cells (ref, text)."""
    total, squares, texts = 0.0, 0.0, []
    last_row = ws_in.max_row
    for row in ws_in.iter_rows(min_row=1, max_row=last_row, min_col=FIRST, max_col=LAST):
        for c in row:
            v = c.value
            if isinstance(v, bool) or v is None:
                continue
            if isinstance(v, (int, float)):
                total += float(v)
                squares += float(v) ** 2
            elif isinstance(v, str) and not v.startswith("="):
                texts.append((c.coordinate, v))
    return f"Inputs!$E$1:$Z${last_row}", total, squares, texts


def stale_flag_formula(ws_in: Worksheet) -> str:
    """``=IF(<numbers and texts as exported>, CURRENT, STALE)``; relative tolerance 1e-12 on the sums (the order of
    summation may differ between spreadsheet programs)."""
    rng, total, squares, texts = input_checksums(ws_in)
    same = [
        f"ABS(SUM({rng})-({total!r}))<=1E-12*MAX(1,ABS({total!r}))",
        f"ABS(SUMSQ({rng})-({squares!r}))<=1E-12*MAX(1,{squares!r})",
        *(f"Inputs!{ref}={_quote(text)}" for ref, text in texts),
    ]
    return f"=IF(AND({','.join(same)}),{_quote(CURRENT)},{_quote(STALE)})"
