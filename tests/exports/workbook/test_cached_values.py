"""Cached values (issue 14 item 3): every formula cell is saved with its value, equal to what LibreOffice computes.

A reader that does not recalculate (pandas, previewers, openpyxl ``data_only=True``) sees the numbers; Excel and
LibreOffice still recalculate on load (fullCalcOnLoad).
"""

from __future__ import annotations

import io
import math
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils import get_column_letter

import tem
from tem.analysis.summary import board_summary
from tem.exports.manifest import build_manifest
from tem.exports.workbook import irr
from tem.exports.workbook.build import build_workbook, render_with_report
from tem.exports.workbook.cached import save_with_values
from tests.support.libreoffice import recalculate

ROOT = Path(__file__).parents[3]
CASES = ["base", "import_only", "cell_price_war", "fast_localization"]
# intermediate rows of the funding and capital work that the engine does not return (construction end, interest
# and fees by loan, borrowing costs put in service and their depreciation, the funded view's profit before
# depreciation, the working-capital loan target, replacement capex by phase, subsidy due and its tax-block
# reductions, tax blocks, the terminal value before its floor): saved without a cached value (they show after
# recalculation); every other formula cell, and every cell of the board-facing sheets, is cached
NOT_RETURNED = re.compile(
    r"^(td_(end|int|before|n|fee|cap)_\w+|cb_(book|tax)_\w+|lev_pbd|wcl_target|repl_\w+|sub_due(_\w+)?|sub_factor"
    r"|subred_\w+|wdv_(pre_)?\w+|tv_raw)$"
)


STEPS = tuple(f"Step {j}" for j in range(1, 9))  # the Summary's nested programs as live sheets
CALC_SHEETS = ("Calculations", "Import-only", *STEPS)
IRR_SHEETS = ("KPIs", *STEPS)


def load(name: str) -> tem.Assumptions:
    path = ROOT / "assumptions" / ("base.yaml" if name == "base" else f"scenarios/{name}.yaml")
    return tem.load(path)


def same(cached: object, recalculated: object) -> bool:
    if isinstance(cached, (int, float)) and not isinstance(cached, bool):
        return isinstance(recalculated, (int, float)) and math.isclose(cached, recalculated, rel_tol=1e-9, abs_tol=1e-9)
    if cached in ("", None):
        return recalculated in ("", None)
    return cached == recalculated


def test_every_formula_cached_and_equal_to_libreoffice(tmp_path: Path) -> None:
    files = []
    skipped: dict[str, set[tuple[str, int, int]]] = {}
    for name in CASES:
        a, result = load(name), tem.run(load(name))
        summary = board_summary(a, result) if name == "base" else None  # the Summary sheet's links cached too
        data, missing = render_with_report(result, a, None, summary)
        built = build_workbook(result, a, None, summary)[0]
        unexplained = [
            m
            for m in missing
            # the IRR search's tie-sensitive columns (KPIs; the decision steps' IRR blocks)
            if not (m[0] in IRR_SHEETS and get_column_letter(m[2]) in irr.UNCACHED)
            and (m[0] not in CALC_SHEETS or not NOT_RETURNED.match(str(built[m[0]].cell(m[1], 1).value)))
        ]
        assert unexplained == [], f"{name}: formula cells without a cached value: {unexplained[:10]}"
        skipped[f"{name}.xlsx"] = {(m[0], m[1], m[2]) for m in missing}
        path = tmp_path / f"{name}.xlsx"
        path.write_bytes(data)
        files.append(path)
    outs = recalculate(files, tmp_path / "recalculated", tmp_path / "profile")
    for path, out in zip(files, outs, strict=True):
        formulas = openpyxl.load_workbook(path)
        cached = openpyxl.load_workbook(path, data_only=True)
        recalculated = openpyxl.load_workbook(out, data_only=True)
        assert formulas.calculation.fullCalcOnLoad  # Excel and LibreOffice still recalculate on load
        n, bad = 0, []
        for ws in formulas:
            for row in ws.iter_rows():
                for c in row:
                    if c.data_type != "f" or (ws.title, c.row, c.column) in skipped[path.name]:
                        continue
                    n += 1
                    mine, theirs = cached[ws.title][c.coordinate].value, recalculated[ws.title][c.coordinate].value
                    if not same(mine, theirs):  # "" reads back as None; render_with_report listed missing ones
                        bad.append((ws.title, c.coordinate, mine, theirs))
        assert n > 5000
        assert not bad, (path.name, len(bad), bad[:10])


def test_pandas_reads_the_kpi_numbers() -> None:
    a = load("base")
    result = tem.run(a)
    data, _ = render_with_report(result, a)
    kpis = pd.read_excel(io.BytesIO(data), sheet_name="KPIs", header=2).dropna(subset=["key"]).set_index("key")
    for key in (
        "npv_inr_cr",
        "irr",
        "peak_funding_inr_cr",
        "levelized_pack_cost_inr_per_kwh",
        "incremental_npv_vs_import_inr_cr",
    ):
        assert kpis.loc[key, "value"] == pytest.approx(result.kpis[key], rel=1e-12)
    # a KPI that does not exist reads as "none", not as an error or a blank
    a2 = tem.load(ROOT / "assumptions" / "scenarios" / "import_only.yaml")
    data2, _ = render_with_report(tem.run(a2), a2)
    kpis2 = pd.read_excel(io.BytesIO(data2), sheet_name="KPIs", header=2).dropna(subset=["key"]).set_index("key")
    assert kpis2.loc["crossover_fy", "value"] == "none"


def test_values_are_written_as_their_types() -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws["A1"], ws["B1"], ws["C1"], ws["D1"], ws["E1"] = "=1+1", '="a"&"<b>"', "=TRUE()", "=1/3", "=1+1"
    values = {(ws.title, 1, 1): 2.0, (ws.title, 1, 2): "a<b>", (ws.title, 1, 3): True, (ws.title, 1, 4): 1 / 3}
    data, missing = save_with_values(wb, values)
    assert missing == [(ws.title, 1, 5)]
    back = openpyxl.load_workbook(io.BytesIO(data), data_only=True).active
    assert back is not None
    assert [back[c].value for c in ("A1", "B1", "C1", "D1", "E1")] == [2, "a<b>", True, 1 / 3, None]
    formulas = openpyxl.load_workbook(io.BytesIO(data)).active
    assert formulas is not None
    assert formulas["B1"].value == '="a"&"<b>"'
    _, missing = save_with_values(wb, {**values, (ws.title, 1, 5): math.nan})
    assert missing == [(ws.title, 1, 5)]  # NaN is no value a cell can hold: left for recalculation


def _two_pass_reference(wb: openpyxl.Workbook, values: dict) -> tuple[bytes, list[tuple[str, int, int]]]:
    """The way save_with_values worked before it became one pass: save (fastwrite, values where it knows them),
    then re-read every sheet of the zip, fill each formula cell saved without a value, list the rest."""
    import zipfile

    from tem.exports.workbook.cached import refill
    from tem.exports.workbook.fastwrite import save_bytes

    by_sheet: dict[str, dict] = {}
    for (sheet, r, c), v in values.items():
        by_sheet.setdefault(sheet, {})[(r, c)] = v
    raw = zipfile.ZipFile(io.BytesIO(save_bytes(wb, by_sheet)))
    found = re.findall(rb'Target="([^"]*)" Id="([^"]*)"', raw.read("xl/_rels/workbook.xml.rels"))
    rels = {rid: target for target, rid in found}
    part = {
        "xl/" + rels[rid].decode().removeprefix("/xl/"): name.decode().replace("&amp;", "&")
        for name, rid in re.findall(rb'<sheet [^>]*?name="([^"]*)"[^>]*?r:id="([^"]*)"', raw.read("xl/workbook.xml"))
    }
    missing: list[tuple[str, int, int]] = []
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in raw.infolist():
            data = raw.read(info.filename)
            if info.filename in part:
                data, gaps = refill(data, by_sheet.get(part[info.filename], {}))
                missing += [(part[info.filename], r, c) for r, c in gaps]
            zout.writestr(info, data)
    return out.getvalue(), missing


def test_one_pass_save_equals_the_two_pass_save() -> None:
    """The board workbook (array formulas on KPIs and the step sheets, uncached rows on Calculations): every part
    of the file and the list of cells without a value are those of the former two-pass save."""
    a = load("base")
    result = tem.run(a)
    summary = board_summary(a, result)
    manifest = build_manifest(a, result)  # one run date on both Covers
    wb, values = build_workbook(result, a, manifest, summary)
    data, missing = save_with_values(wb, values)
    wb2, values2 = build_workbook(result, a, manifest, summary)
    ref, ref_missing = _two_pass_reference(wb2, values2)
    assert missing == ref_missing
    assert {sheet for sheet, _, _ in missing} >= {"Calculations", "KPIs"}  # both paths exercised
    import zipfile

    mine, theirs = zipfile.ZipFile(io.BytesIO(data)), zipfile.ZipFile(io.BytesIO(ref))
    assert mine.namelist() == theirs.namelist()
    for name in mine.namelist():
        a_bytes, b_bytes = mine.read(name), theirs.read(name)
        if name == "docProps/core.xml":  # the times the two workbooks were built and saved
            a_bytes, b_bytes = (re.sub(rb"<dcterms:(created|modified)[^<]*<", b"", x) for x in (a_bytes, b_bytes))
        assert a_bytes == b_bytes, name
