"""The Inputs sheet: an input that looks editable (blue on yellow) is read by some formula; the rest say they are
fixed for the workbook (a director who edits a policy such as the local-cell allocation rule otherwise sees no
change and no warning)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from openpyxl.utils import column_index_from_string

import tem
from tem.exports.workbook.build import build_workbook
from tem.exports.workbook.inputs_sheet import UNREAD_NOTE
from tem.exports.workbook.style import INPUT_FILL

ROOT = Path(__file__).parents[3]
REF = re.compile(r"Inputs!\$?([A-Z]{1,3})\$?(\d+)(?::\$?([A-Z]{1,3})\$?(\d+))?")


def _read_rows(wb) -> set[int]:  # type: ignore[no-untyped-def]
    """Rows of Inputs any formula of any sheet refers to, read from the formulas' text (not from the builder); the
    Checks sheet's tests of what an input may hold (grey ones too) read no input into the model."""
    rows: set[int] = set()
    for ws in wb.worksheets:
        if ws.title == "Checks":
            continue
        for cell in ws._cells.values():
            v = cell.value
            if isinstance(v, str) and v.startswith("="):
                for m in REF.finditer(v):
                    first = int(m.group(2))
                    rows.update(range(first, int(m.group(4) or first) + 1))
    return rows


def _looks_editable(cell) -> bool:  # type: ignore[no-untyped-def]
    return cell.fill.fill_type == "solid" and cell.fill.fgColor.rgb == INPUT_FILL.fgColor.rgb


@pytest.mark.parametrize(
    "path",
    ["assumptions/base.yaml", "assumptions/scenarios/local_cells_for_margin.yaml", "assumptions/scenarios/import_only.yaml"],
)
def test_every_editable_looking_input_is_read_and_the_rest_say_so(path: str) -> None:
    a = tem.load(ROOT / path)
    wb, _ = build_workbook(tem.run(a), a)
    ws = wb["Inputs"]
    read = _read_rows(wb)
    editable = {r for (r, c), cell in ws._cells.items() if c >= column_index_from_string("E") and _looks_editable(cell)}
    assert editable, "the sheet has editable inputs"
    assert editable <= read, sorted(str(ws.cell(r, 1).value) for r in editable - read)
    paths = {str(ws.cell(r, 1).value): r for r in range(1, ws.max_row + 1)}
    fixed = {p for p, r in paths.items() if UNREAD_NOTE in str(ws.cell(r, 4).value)}
    # the allocation rule is a policy no formula switches: shown as fixed, with the note
    assert "transition.local_cell_allocation" in fixed
    assert paths["transition.local_cell_allocation"] not in read
    for p in fixed:
        assert paths[p] not in read, p
