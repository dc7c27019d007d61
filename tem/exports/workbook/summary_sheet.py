"""The workbook's first sheet, Summary: the board summary on one printed page.

Figures that are KPIs of this workbook are formulas linking to the KPIs sheet (they follow any edit of the inputs);
the rest (the verdict, the pack business's and the increment's IRR and peak funding, the funding split and the
breakevens found by goal seek) are tem's values for the inputs as exported, and the sheet says so.
"""

from __future__ import annotations

from openpyxl.styles import Alignment
from openpyxl.worksheet.worksheet import Worksheet

from tem import catalogue
from tem.exports.board import BoardSummary
from tem.exports.workbook.style import HEADER, KPI_FONT, SECTION, TITLE, put_text

Expect = dict[tuple[str, int, int], float | str]
AS_EXPORTED = "as exported"


def write_summary(ws: Worksheet, s: BoardSummary, kpi_rows: dict[str, int], expect: Expect, caption: str) -> None:
    put_text(ws, 1, 1, f"Battery localization program: {caption}").font = TITLE
    verdict = put_text(ws, 2, 1, s.verdict)
    verdict.font, verdict.alignment = KPI_FONT, Alignment(wrap_text=True, vertical="top")
    ws.merge_cells("A2:F2")  # the sentence wraps within the page instead of widening it
    ws.row_dimensions[2].height = 48
    put_text(ws, 3, 1, f"(verdict {AS_EXPORTED}; figures marked 'live' follow any edit of the inputs)")
    r = 5
    ws.cell(r, 1, "Decisions").font = SECTION
    r += 1
    for j, h in enumerate(["decision", "NPV (INR crore)", f"IRR (hurdle {s.hurdle_rate:.1%})", "Peak funding (INR crore)"]):
        ws.cell(r, 1 + j, h).font = HEADER
    ws.cell(r, 5, f"DVA {s.dva_fy}").font = HEADER
    ws.cell(r, 6, "").font = HEADER
    live = {
        "Whole program": ("npv_inr_cr", "irr", "peak_funding_inr_cr"),
        "Pack business": ("npv_import_only_inr_cr", None, None),
        "Cell localization": ("incremental_npv_vs_import_inr_cr", None, None),
    }
    for d in s.decisions:
        r += 1
        put_text(ws, r, 1, f"{d.name}: {d.what}")
        keys = live.get(d.name, (None, None, None))
        for col, key, value, kind in (
            (2, keys[0], d.npv_inr_cr, "npv_inr_cr"),
            (3, keys[1], d.irr, "irr"),
            (4, keys[2], d.peak_funding_inr_cr, "peak_funding_inr_cr"),
            (5, None, d.dva_share, "dva_share"),
        ):
            _put(ws, r, col, key, value, kind, kpi_rows, expect)
        put_text(
            ws, r, 6, "live: NPV" + (", IRR, peak funding" if d.name == "Whole program" else "") + f"; rest {AS_EXPORTED}"
        )
    r += 2
    ws.cell(r, 1, "Price against cost (INR/kWh)").font = SECTION
    for label, key, value in (
        ("Levelized selling price", None, s.levelized_price_inr_per_kwh),
        ("Levelized pack cost", "levelized_pack_cost_inr_per_kwh", s.levelized_cost_inr_per_kwh),
        (
            "Levelized pack cost, import-only",
            "levelized_pack_cost_import_only_inr_per_kwh",
            s.levelized_cost_import_only_inr_per_kwh,
        ),
    ):
        r += 1
        put_text(ws, r, 1, label)
        _put(ws, r, 2, key, value, "levelized_pack_cost_inr_per_kwh", kpi_rows, expect)
        put_text(ws, r, 6, "live" if key else AS_EXPORTED)
    r += 2
    fy = "" if s.peak_funding_fy is None else f" in FY{s.peak_funding_fy % 100:02d}"
    ws.cell(r, 1, f"Peak funding{fy} (INR crore, {AS_EXPORTED})").font = SECTION
    r += 1
    put_text(ws, r, 1, "Peak funding")
    _put(ws, r, 2, None, s.peak_funding_inr_cr, "peak_funding_inr_cr", kpi_rows, expect)
    for name, value in s.funding_split_inr_cr:
        r += 1
        put_text(ws, r, 1, f"  of which {name}")
        _put(ws, r, 2, None, value, "peak_funding_inr_cr", kpi_rows, expect)
    r += 2
    ws.cell(r, 1, f"Breakevens (goal seek by tem, {AS_EXPORTED})").font = SECTION
    r += 1
    for j, h in enumerate(["question", "value", "unit", "base value"]):
        ws.cell(r, 1 + j, h).font = HEADER
    for b in s.breakevens:
        r += 1
        put_text(ws, r, 1, b.question)
        if b.value is None:
            put_text(ws, r, 2, f"none in {b.searched[0]:,.4g}-{b.searched[1]:,.4g}")
        else:
            ws.cell(r, 2, b.value).number_format = "#,##0.0"
        put_text(ws, r, 3, b.unit)
        ws.cell(r, 4, b.base_value).number_format = "#,##0.0"
    ws.column_dimensions["A"].width = 70
    for letter in "BCDE":
        ws.column_dimensions[letter].width = 24
    ws.column_dimensions["F"].width = 36


def _put(
    ws: Worksheet,
    r: int,
    col: int,
    key: str | None,
    value: float | None,
    kind: str,
    kpi_rows: dict[str, int],
    expect: Expect,
) -> None:
    """A live link to the KPIs sheet when ``key`` is one of its KPIs (cached with the KPI's value), else the value."""
    cell = ws.cell(r, col)
    cell.number_format = catalogue.excel_format(kind)
    if key is not None and key in kpi_rows:
        cell.value = f"=KPIs!B{kpi_rows[key]}"
        expect[(ws.title, r, col)] = expect[("KPIs", kpi_rows[key], 2)]
    elif value is None:
        put_text(ws, r, col, "none")
    else:
        cell.value = value
