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
from tem.exports.workbook.fastwrite import (
    RawConflict,
    cached_value,
    keep_raw_formulas,
    materialize,
    raw_rows,
    save_bytes,
)

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


@pytest.mark.parametrize("name", ["base", "committed_cells"])
def test_raw_formula_rows_give_the_same_file(name: str) -> None:
    """render_workbook keeps the model rows' inner formulas as text (build_workbook(raw=True)): the file equals
    openpyxl's own save of the workbook built with every formula a cell, part by part."""
    path = ROOT / "assumptions" / ("base.yaml" if name == "base" else f"scenarios/{name}.yaml")
    a = tem.load(path)
    result = tem.run(a)
    summary = board_summary(a, result)
    manifest = {"timestamp": "2026-01-01T00:00:00+00:00"}
    raw, _ = build_workbook(result, a, manifest, summary, raw=True)
    cells, _ = build_workbook(result, a, manifest, summary)
    for wb in (raw, cells):
        wb.properties.created = FIXED
    kept = sum(len(e) for ws in raw.worksheets for e in getattr(ws, "_tem_raw_rows", {}).values())
    assert kept > 30_000  # the model sheets' inner years: most of the workbook's formulas
    assert parts(save_bytes(raw)) == parts(openpyxl_bytes(cells))
    materialize(raw)  # raw entries made cells: openpyxl itself then writes the same file
    assert parts(openpyxl_bytes(raw)) == parts(openpyxl_bytes(cells))


def test_raw_formulas_yield_to_later_writes() -> None:
    """A cell only read at a raw formula's place keeps the formula, as when the formula had been a cell; a cell
    written or styled there, or raw formulas beyond the sheet's cells, are refused (RawConflict), not guessed;
    render_workbook then builds the workbook with cells."""
    from openpyxl.styles.cell_style import StyleArray

    def book(raw: bool) -> openpyxl.Workbook:
        wb = openpyxl.Workbook()
        if raw:
            keep_raw_formulas(wb)
        ws = wb.active
        assert ws is not None
        style = StyleArray()
        style.numFmtId = 10
        rows = raw_rows(ws)
        ws.cell(1, 1, "key")
        for c, f in enumerate(["=1", "=2", "=3", "=4"], start=2):
            if rows is not None and c in (3, 4):  # the inner columns kept as text, as CalcSheet.row does
                rows.setdefault(1, []).append((c, f, style))
            else:
                ws.cell(1, c, f)._style = StyleArray(style)
        _ = ws.cell(1, 3).value  # read only
        return wb

    raw, cells = book(True), book(False)
    for wb in (raw, cells):
        wb.properties.created = FIXED
    assert raw_rows(raw.active)
    assert parts(save_bytes(raw)) == parts(openpyxl_bytes(cells))
    written, styled, beyond = book(True), book(True), book(True)
    written.active.cell(1, 4, "=20")
    styled.active.cell(1, 3).font = Font(b=True)
    beyond.active.delete_cols(4, 2)
    for wb, where in ((written, "Sheet!D1"), (styled, "Sheet!C1"), (beyond, "Sheet: raw formulas outside")):
        with pytest.raises(RawConflict, match=where):
            save_bytes(wb)


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
    from tem.analysis.montecarlo.run import montecarlo
    from tem.analysis.montecarlo.workbook import render_montecarlo_workbook
    from tem.exports.workbook import stream

    result = montecarlo(tem.load(ROOT / "assumptions" / "base.yaml"), ROOT / "assumptions" / "montecarlo.yaml", n=600)
    mine = parts(render_montecarlo_workbook(result))
    monkeypatch.setattr(stream, "install_writer", lambda ws: None)  # openpyxl makes its own writer
    assert mine == parts(render_montecarlo_workbook(result))


def test_render_falls_back_to_cells_on_a_conflict(monkeypatch: pytest.MonkeyPatch) -> None:
    """Should a builder ever write over a kept formula, render_with_report builds the workbook with cells: the
    file a user gets is then the one with the later write, as openpyxl would save it."""
    from tem.exports.workbook import build

    real = build.build_workbook
    calls: list[bool] = []
    where: list[tuple[int, int]] = []

    def overwriting(*args: object, raw: bool = False, **kwargs: object) -> object:
        calls.append(raw)
        wb, expect = real(*args, raw=raw, **kwargs)  # type: ignore[arg-type]
        ws = wb["Calculations"]
        if not where:  # the raw build: the first kept formula
            row, entries = next(iter(ws._tem_raw_rows.items()))
            where.append((row, entries[0][0]))
        ws.cell(*where[0], "=1+1")  # over a kept formula (raw build), over the same cell (the build with cells)
        expect[("Calculations", *where[0])] = 2.0
        return wb, expect

    monkeypatch.setattr(build, "build_workbook", overwriting)
    a = tem.load(ROOT / "assumptions" / "scenarios" / "committed_cells.yaml")
    result = tem.run(a)
    manifest = {"timestamp": "2026-01-01T00:00:00+00:00"}
    data, _ = build.render_with_report(result, a, manifest)
    assert calls == [True, False]
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheets = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
    assert any("<f>1+1</f><v>2</v>" in x for x in sheets)


def test_group_rows_equals_openpyxls_group() -> None:
    """The IRR blocks' fast row grouping gives the dimensions and the saved sheet openpyxl's ``group`` gives,
    rows with a height or a style set before included."""
    from openpyxl.styles import Font

    from tem.exports.workbook.irr import group_rows

    def sheet(fast: bool) -> openpyxl.Workbook:
        wb = openpyxl.Workbook()
        ws = wb.active
        for r in range(1, 40):
            ws.cell(r, 1, r)
        ws.row_dimensions[12].height = 30
        ws.row_dimensions[14].font = Font(bold=True)
        if fast:
            group_rows(ws, 10, 30)
        else:
            ws.row_dimensions.group(10, 30, outline_level=1, hidden=True)
        ws.row_dimensions[20].height = 18  # a later edit of a grouped row
        return wb

    fast, slow = sheet(True), sheet(False)
    for r in range(1, 40):
        a, b = fast.active.row_dimensions.get(r), slow.active.row_dimensions.get(r)
        assert (a is None) == (b is None), r
        if a is not None:
            assert vars(a) == vars(b), r
            assert dict(a) == dict(b), r
            assert a._style == b._style, r
            assert a.parent is fast.active, r
    for wb in (fast, slow):
        wb.properties.modified = wb.properties.created = FIXED
    assert parts(save_bytes(fast)) == parts(save_bytes(slow))
    assert b'outlineLevel="1"' in parts(save_bytes(fast))["xl/worksheets/sheet1.xml"]
