"""tem/exports/workbook/fastwrite.py writes the same file as openpyxl: every part of the package equal byte for
byte (the save time in docProps/core.xml aside), for the board workbook and for cells of every kind."""

from __future__ import annotations

import datetime as dt
import io
import math
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.formula import ArrayFormula

import tem
from tem.analysis.summary import board_summary
from tem.exports.workbook.build import build_workbook
from tem.exports.workbook.fastwrite import cached_value, save_bytes

ROOT = Path(__file__).parents[3]
FIXED = dt.datetime(2026, 1, 1, 12, 0, 0)


def parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}


def openpyxl_bytes(wb: openpyxl.Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def every_kind() -> openpyxl.Workbook:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    rows = [
        [1.5, 2, -0.0, 1e300, float("nan"), True, False, "#DIV/0!", None, ""],
        ["text", " lead", "trail ", "   ", "a&<b>\"'", "é ₹ 中", "=A1*2", '=IF(A1<2,"x&y","z")', "=", "x" * 300],
        [dt.date(2026, 3, 31), dt.datetime(2026, 3, 31, 8, 30), dt.time(9, 15), dt.timedelta(days=2), 10**16],
    ]
    for r, values in enumerate(rows, start=1):
        for c, v in enumerate(values, start=1):
            ws.cell(r, c, v)
    ws["A4"] = CellRichText(["plain ", TextBlock(InlineFont(b=True), "bold")])
    ws["B4"] = ArrayFormula("B4:B5", "=SUM(A1:A2*2)")
    ws["C4"] = "link"
    ws["C4"].hyperlink = "https://example.com/?a=1&b=2"
    ws["D4"] = 3
    ws["D4"].comment = Comment("a note", "tem")
    ws["E4"].fill = PatternFill("solid", fgColor="FFFF00")  # a styled blank
    ws["F4"] = 0.1
    ws["F4"].number_format = "0.0%"
    ws["G4"] = "bold"
    ws["G4"].font = Font(bold=True)
    ws.row_dimensions[6].height = 30  # a row with dimensions and no cells
    ws.row_dimensions[2].height = 18
    ws2 = wb.create_sheet("Second & <sheet>")
    ws2["A1"] = "=Sheet!A1"
    for wb_ in (wb,):
        wb_.properties.created = FIXED
    return wb


def test_cells_of_every_kind_as_openpyxl_writes_them() -> None:
    assert parts(save_bytes(every_kind())) == parts(openpyxl_bytes(every_kind()))


@pytest.mark.parametrize("name", ["base", "committed_cells"])
def test_board_workbook_as_openpyxl_writes_it(name: str) -> None:
    path = ROOT / "assumptions" / ("base.yaml" if name == "base" else f"scenarios/{name}.yaml")
    a = tem.load(path)
    result = tem.run(a)
    summary = board_summary(a, result)
    manifest = {"timestamp": "2026-01-01T00:00:00+00:00"}
    mine, theirs = build_workbook(result, a, manifest, summary)[0], build_workbook(result, a, manifest, summary)[0]
    for wb in (mine, theirs):
        wb.properties.created = FIXED
    assert parts(save_bytes(mine)) == parts(openpyxl_bytes(theirs))


def test_formulas_saved_with_their_values() -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for c, formula in enumerate(["=1+1", "=1/3", "=A1>0", '="a"&"<b>"', "=NA()", "=2^60"], start=1):
        ws.cell(1, c, formula)
    values = {"Sheet": {(1, 1): 2.0, (1, 2): 1 / 3, (1, 3): True, (1, 4): "a<b>", (1, 5): math.nan, (1, 6): 2.0**60}}
    with zipfile.ZipFile(io.BytesIO(save_bytes(wb, values))) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert '<c r="A1"><f>1+1</f><v>2</v></c>' in xml  # an integer value without a decimal point
    assert f'<c r="B1"><f>1/3</f><v>{1 / 3!r}</v></c>' in xml
    assert '<c r="C1" t="b"><f>A1&gt;0</f><v>1</v></c>' in xml
    assert '<c r="D1" t="str"><f>"a"&amp;"&lt;b&gt;"</f><v>a&lt;b&gt;</v></c>' in xml
    assert '<c r="E1"><f>NA()</f><v /></c>' in xml  # NaN: no value saved, as openpyxl
    assert f'<c r="F1"><f>2^60</f><v>{float(2**60)!r}</v></c>' in xml  # beyond 1e15: repr of the float
    assert cached_value(7) == ("", "7")
    with pytest.raises(ValueError, match="no finite"):
        cached_value(math.inf)


def test_write_only_workbook_as_openpyxl_writes_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Monte Carlo workbook (write-only sheets, a long Samples sheet): the same bytes with openpyxl's writer."""
    from tem.analysis.montecarlo.export import render_montecarlo_workbook
    from tem.analysis.montecarlo.run import montecarlo
    from tem.exports.workbook import stream

    result = montecarlo(tem.load(ROOT / "assumptions" / "base.yaml"), ROOT / "assumptions" / "montecarlo.yaml", n=600)
    mine = parts(render_montecarlo_workbook(result))
    monkeypatch.setattr(stream, "install_writer", lambda ws: None)  # openpyxl makes its own writer
    assert mine == parts(render_montecarlo_workbook(result))
