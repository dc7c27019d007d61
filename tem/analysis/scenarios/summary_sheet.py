"""The comparison workbook's first sheet, Summary: one row per scenario on one printed page (issue 14 item 1).

Per scenario: the verdict in words (value created or destroyed, IRR against the hurdle), NPV, IRR, what localizing
cells adds against the import-only counterfactual, peak funding, levelized pack cost, crossover year and DVA in
the last DVA year; labels, units and formats from the KPI catalogue; the values are each scenario's KPIs as run.
"""

from __future__ import annotations

import math
from typing import Any

from openpyxl.styles import Alignment
from openpyxl.worksheet.worksheet import Worksheet

from tem import catalogue
from tem.analysis.scenarios.compare import Comparison
from tem.exports.workbook.style import HEADER, TITLE, put_text

COLUMNS = (
    "npv_inr_cr",
    "irr",
    "incremental_npv_vs_import_inr_cr",
    "peak_funding_inr_cr",
    "levelized_pack_cost_inr_per_kwh",
    "crossover_fy",
)


def _finite(x: Any) -> float | None:
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def verdict_words(npv: float | None, irr: float | None, hurdle: float) -> str:
    """``creates value; IRR above the 14.5% hurdle`` (or destroys / below / no IRR)."""
    value = "creates value" if (npv or 0.0) >= 0 else "destroys value"
    if irr is None:
        return f"{value}; no IRR"
    return f"{value}; IRR {'above' if irr >= hurdle else 'below'} the {hurdle:.1%} hurdle"


def write_scenario_summary(ws: Worksheet, c: Comparison) -> list[list[Any]]:
    """The table; returns its rows as written (scenario, verdict, then the values of COLUMNS and DVA)."""
    put_text(ws, 1, 1, "Battery localization program: scenarios compared").font = TITLE
    put_text(ws, 2, 1, "Each scenario as run (its gates decided); differences and bridges on the sheets that follow.")
    dva_fys = sorted(str(k) for k in c.kpis.index if str(k).startswith("dva_share_fy"))
    dva = dva_fys[-1] if dva_fys else None
    keys = [*COLUMNS, *([dva] if dva else [])]
    heads = ["scenario", "verdict"]
    for key in keys:
        unit = catalogue.unit(key)
        heads.append(catalogue.label(key) + (f" ({unit})" if unit and unit not in ("%", "FY") else ""))
    for j, h in enumerate(heads):
        cell = put_text(ws, 4, 1 + j, h)
        cell.font, cell.alignment = HEADER, Alignment(wrap_text=True, vertical="bottom")
    ws.row_dimensions[4].height = 45
    rows = []
    for i, (name, a, result) in enumerate(zip(c.names, c.assumptions, c.results, strict=True)):
        r = 5 + i
        k = result.kpis
        words = verdict_words(_finite(k["npv_inr_cr"]), _finite(k["irr"]), float(a.valuation.hurdle_rate))
        put_text(ws, r, 1, name)
        put_text(ws, r, 2, words)
        row: list[Any] = [name, words]
        for j, key in enumerate(keys):
            x = _finite(c.kpis.loc[key, name] if key in c.kpis.index else k.get(key))
            cell = ws.cell(r, 3 + j)
            if x is None or catalogue.kpi(key).kind == "fy":  # a fiscal year reads FY36 (text), as on every page
                text = catalogue.format_value(key, x)
                put_text(ws, r, 3 + j, text).alignment = Alignment(horizontal="right")
            else:
                cell.value = x
                cell.number_format = catalogue.excel_format(key)
            row.append(x)
        rows.append(row)
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 40
    for j in range(len(keys)):
        ws.column_dimensions[chr(ord("C") + j)].width = 14
    ws.freeze_panes = "B5"
    return rows
