"""Comparison exports: a workbook (KPIs, statement deltas, assumption diff, bridges with a native bar chart),
plotly figures (bridge waterfall, KPI bars) and the files of a comparison folder with its manifest.

``render_comparison_files`` renders everything in memory; the caller writes the files atomically with
:func:`tem.exports.writer.write_files` (``write_comparison`` does both). The folder is
``compare_<a>_vs_<b>`` for two scenarios and ``compare`` for more.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.series import SeriesLabel
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

import tem
from tem import catalogue
from tem.analysis.scenarios.bridge import Bridge
from tem.analysis.scenarios.charts import METHOD_LABELS, bridge_waterfall, comparison_folder, kpi_bars, kpi_label, safe_name
from tem.analysis.scenarios.compare import Comparison, kpi_unit
from tem.analysis.scenarios.diff_words import shown_value
from tem.analysis.scenarios.summary_sheet import write_scenario_summary
from tem.assumptions.input_kinds import input_label
from tem.exports.charts.files import PLOTLY_JS, figure_html
from tem.exports.charts.png import PngUnavailableError, figure_png, png_available
from tem.exports.manifest import jsonable, runtime_provenance, with_outputs
from tem.exports.safe_text import csv_text
from tem.exports.workbook.printing import board_print
from tem.exports.workbook.style import HEADER, SECTION, TITLE, number_format, put_text
from tem.exports.writer import write_files
from tem.finance import IRR_STATUS_SHORT

PNG_WIDTH, PNG_HEIGHT, PNG_SCALE = 1200, 700, 1
WRAP = Alignment(wrap_text=True, vertical="top")
SCENARIO_WIDTH, DIFF_WIDTH, PATHS_WIDTH = 24, 40, 70  # column widths [characters]


def _header(ws: Worksheet, row: int, labels: Sequence[str], col: int = 1) -> None:
    for j, label in enumerate(labels):
        put_text(ws, row, col + j, label).font = HEADER


def _wrapped(ws: Worksheet, row: int, col: int, text: str, width: float) -> None:
    """Text wrapped in a cell of ``width`` characters; the row is made tall enough (spreadsheets do not always
    fit row heights to wrapped text when opening a file)."""
    put_text(ws, row, col, text).alignment = WRAP
    lines = sum(len(textwrap.wrap(part, max(int(width) - 2, 1))) or 1 for part in str(text).split("\n"))
    current = ws.row_dimensions[row].height or 15.0
    ws.row_dimensions[row].height = max(current, 15.0 * lines)


def _number(ws: Worksheet, row: int, col: int, value: Any, unit: str) -> None:
    x = float(value)
    cell = ws.cell(row, col, x if math.isfinite(x) else None)
    cell.number_format = number_format(unit)


def _kpi_cell(ws: Worksheet, row: int, col: int, key: str, value: Any, difference: bool, signed: bool = True) -> None:
    """A KPI's value in the catalogue's format (a fiscal year as the text FY36), or a difference of two: rates in
    percentage points (the value x 100), years in years, others signed (``signed=False``: a size, such as a
    standard error); never ``-0``."""
    x = float(value)
    if not math.isfinite(x):
        ws.cell(row, col, None)
    elif not difference:
        if catalogue.kpi(key).kind == "fy":
            put_text(ws, row, col, catalogue.format_value(key, x)).alignment = Alignment(horizontal="right")
        else:
            ws.cell(row, col, x).number_format = catalogue.excel_format(key)
    else:
        shown, fmt = catalogue.difference_cell(key, x, signed=signed)
        ws.cell(row, col, shown).number_format = fmt


def _kpi_sheet(ws: Worksheet, c: Comparison) -> None:
    put_text(ws, 1, 1, f"Scenario comparison: {', '.join(c.names)}").font = TITLE
    put_text(ws, 2, 1, f"Differences: each scenario minus {c.first}. Empty cells: not defined (e.g. no payback).")
    value_cols = [col for col in c.kpis.columns if col != "unit"]
    _header(ws, 4, ["KPI", "key", "unit", *value_cols])
    for i, (key, row) in enumerate(c.kpis.iterrows()):
        r = 5 + i
        put_text(ws, r, 1, kpi_label(str(key)))
        put_text(ws, r, 2, str(key))
        unit = str(row["unit"])
        shown_unit = "" if unit in ("FY", "%", "x") else catalogue.unit_text(unit)  # the number format shows these
        put_text(ws, r, 3, shown_unit)
        for j, col in enumerate(value_cols):
            if catalogue.kpi(str(key)).kind == "status":  # a code: its words; no difference of two codes (D7)
                if str(col) in c.names and math.isfinite(float(row[col])):
                    put_text(ws, r, 4 + j, IRR_STATUS_SHORT.get(int(row[col]), str(row[col])))
                continue
            _kpi_cell(ws, r, 4 + j, str(key), row[col], difference=str(col) not in c.names)
    r = 5 + len(c.kpis) + 1
    put_text(ws, r, 1, "Scenarios").font = SECTION
    about = {
        "description": [a.description for a in c.assumptions],
        "assumption files": ["\n".join(f"{p} (sha256 {h[:12]})" for p, h in a.sources) for a in c.assumptions],
        "overrides": [json.dumps(jsonable(a.overrides)) if a.overrides else "" for a in c.assumptions],
    }
    for i, (label, texts) in enumerate(about.items()):
        cell = put_text(ws, r + 1 + i, 1, label)
        cell.font, cell.alignment = HEADER, WRAP
        for j, text in enumerate(texts):
            _wrapped(ws, r + 1 + i, 4 + j, text, SCENARIO_WIDTH)
    ws.column_dimensions["A"].width = 40
    ws.column_dimensions["B"].width = 30
    for j in range(len(value_cols)):
        ws.column_dimensions[get_column_letter(4 + j)].width = SCENARIO_WIDTH
    ws.freeze_panes = "D5"


def _lines_block(ws: Worksheet, top: int, title: str, frame: pd.DataFrame, differences: bool = False) -> int:
    """Statement lines by FY; ``differences``: each is a difference of two scenarios, a rate's (DVA share) in
    percentage points (its unit then shown by the number format), never in %."""
    put_text(ws, top, 1, title).font = SECTION
    fys = [col for col in frame.columns if col not in ("label", "unit")]
    _header(ws, top + 1, ["line", "unit", *map(str, fys)])
    for i, (key, row) in enumerate(frame.iterrows()):
        r = top + 2 + i
        rate = differences and catalogue.kpi(str(key)).kind == "rate"
        put_text(ws, r, 1, str(row["label"]))
        put_text(ws, r, 2, "" if rate else catalogue.unit_text(str(row["unit"])))
        for j, fy in enumerate(fys):
            if rate:
                _kpi_cell(ws, r, 3 + j, str(key), row[fy], difference=True)
            else:
                _number(ws, r, 3 + j, row[fy], str(row["unit"]))
    return top + 2 + len(frame) + 1


def _statement_sheet(ws: Worksheet, c: Comparison) -> None:
    put_text(ws, 1, 1, f"Main statement lines: each scenario minus {c.first}").font = TITLE
    put_text(ws, 2, 1, "Outflows negative (capex), so a negative capex difference is more capex. INR crore unless stated.")
    row = _lines_block(ws, 4, f"{c.first}: values", cast(pd.DataFrame, c.main_lines.loc[c.first]))
    for name in c.names[1:]:
        deltas = cast(pd.DataFrame, c.statement_deltas.loc[name])
        row = _lines_block(ws, row + 1, f"{name} - {c.first}", deltas, differences=True)
    ws.column_dimensions["A"].width = 32
    ws.freeze_panes = "C4"


def _diff_sheet(ws: Worksheet, c: Comparison) -> None:
    put_text(ws, 1, 1, "Assumptions that differ between the scenarios").font = TITLE
    put_text(
        ws, 2, 1, "Values in the input's unit (a yearly path as its points); absent: the scenario has no such path."
    )
    _header(ws, 4, ["input", "path", "bridge group", *c.names])
    for i, (path, row) in enumerate(c.assumption_diff.iterrows()):
        put_text(ws, 5 + i, 1, input_label(str(path))).alignment = WRAP
        put_text(ws, 5 + i, 2, str(path)).alignment = WRAP
        _wrapped(ws, 5 + i, 3, catalogue.group_label(str(row["group"])), 16)
        for j, name in enumerate(c.names):  # in the input's unit (review D7), not the YAML as written
            _wrapped(ws, 5 + i, 4 + j, shown_value(str(path), c.assumption_values[str(path)][name]), DIFF_WIDTH)
    if c.assumption_diff.empty:
        put_text(ws, 5, 1, "(no differences)")
    ws.column_dimensions["A"].width = 40
    ws.column_dimensions["B"].width = 40
    ws.column_dimensions["C"].width = 16
    for j in range(len(c.names)):
        ws.column_dimensions[get_column_letter(4 + j)].width = DIFF_WIDTH
    ws.freeze_panes = "D5"


def _bridge_cell(ws: Worksheet, row: int, col: int, kpi: str, value: float, difference: bool, signed: bool = True) -> None:
    """A cell of a bridge: the KPI of A or B, or a ``difference`` (a group's contribution, its standard error, the
    sum, B - A). A rate's and a year's differences in percentage points and years (:func:`_kpi_cell`), never in %
    or as a year; other KPIs in their unit's format."""
    if catalogue.kpi(kpi).kind in ("rate", "fy"):
        _kpi_cell(ws, row, col, kpi, value, difference, signed)
    else:
        _number(ws, row, col, value, kpi_unit(kpi))


def _bridge_sheet(ws: Worksheet, bridges: Sequence[Bridge], skipped: Mapping[str, str]) -> None:
    put_text(ws, 1, 1, "Bridges: the KPI difference attributed to each changed group of assumptions").font = TITLE
    put_text(
        ws,
        2,
        1,
        "Sequential: groups switched from A to B one after the other in the order shown. Shapley: average over all "
        "orders. Both sum to B - A.",
    )
    pairs: dict[tuple[str, str, str], list[Bridge]] = {}
    for b in bridges:
        pairs.setdefault((b.a_name, b.b_name, b.kpi), []).append(b)
    row = 4
    for (a_name, b_name, kpi), group in pairs.items():
        put_text(ws, row, 1, f"{kpi_label(kpi)}: {a_name} (A) to {b_name} (B)").font = SECTION
        groups = list(dict.fromkeys(g for b in group for g in b.groups))
        headers = ["group"]
        for b in group:
            headers.append(METHOD_LABELS.get(b.method, b.method) + ("" if b.exact else " (sampled)"))
            if b.standard_errors is not None:
                headers.append("std. error")
        headers.append("changed inputs")
        _header(ws, row + 1, headers)
        first_data = row + 3
        put_text(ws, row + 2, 1, f"{a_name} (A)")
        for i, g in enumerate(groups):
            put_text(ws, first_data + i, 1, catalogue.group_label(g))
        end = first_data + len(groups)
        put_text(ws, end, 1, f"{b_name} (B)")
        put_text(ws, end + 1, 1, "sum of groups")
        put_text(ws, end + 2, 1, "B - A")
        col = 2
        for b in group:
            contrib = dict(zip(b.groups, b.contributions, strict=True))
            ses = dict(zip(b.groups, b.standard_errors, strict=True)) if b.standard_errors is not None else None
            _bridge_cell(ws, row + 2, col, kpi, b.kpi_a, False)
            for i, g in enumerate(groups):
                _bridge_cell(ws, first_data + i, col, kpi, contrib.get(g, 0.0), True)
                if ses is not None:
                    _bridge_cell(ws, first_data + i, col + 1, kpi, ses.get(g, 0.0), True, signed=False)
            _bridge_cell(ws, end, col, kpi, b.kpi_b, False)
            _bridge_cell(ws, end + 1, col, kpi, sum(b.contributions), True)
            _bridge_cell(ws, end + 2, col, kpi, b.difference, True)
            col += 2 if ses is not None else 1
        paths = {g: p for b in group for g, p in b.paths.items()}
        for i, g in enumerate(groups):
            _wrapped(ws, first_data + i, col, "; ".join(input_label(p) for p in paths.get(g, ())), PATHS_WIDTH)
        ws.column_dimensions[get_column_letter(col)].width = PATHS_WIDTH
        row = end + 4
        if groups:
            chart = BarChart()
            chart.type = "col"
            chart.grouping = "clustered"
            chart.title = f"{kpi_label(kpi)}: {a_name} to {b_name}, by group"
            chart.y_axis.title = catalogue.difference_unit(kpi) or kpi  # the bars are contributions: differences
            chart.x_axis.tickLblPos = "low"  # group names below the bars, also where the bars are negative
            data_col = 2
            for b in group:
                chart.add_data(Reference(ws, min_col=data_col, min_row=first_data, max_row=end - 1))
                chart.series[-1].tx = SeriesLabel(v=METHOD_LABELS.get(b.method, b.method))
                data_col += 2 if b.standard_errors is not None else 1
            chart.set_categories(Reference(ws, min_col=1, min_row=first_data, max_row=end - 1))
            chart.height, chart.width = 8, 18
            ws.add_chart(chart, f"A{row}")
            row += 18
    for name, reason in skipped.items():
        put_text(ws, row, 1, f"no bridge to {name}: {reason}")
        row += 1
    if not bridges and not skipped:
        put_text(ws, 4, 1, "(no bridge computed)")
    ws.column_dimensions["A"].width = 30
    for j in range(2, 6):
        ws.column_dimensions[get_column_letter(j)].width = max(16, ws.column_dimensions[get_column_letter(j)].width or 0)


def render_comparison_workbook(
    comparison: Comparison, bridges: Sequence[Bridge] = (), skipped: Mapping[str, str] | None = None
) -> bytes:
    """The comparison as an .xlsx: sheets Summary (one page), KPIs, Statement deltas, Assumption diff and Bridge
    (sequential and Shapley tables side by side, with a native bar chart per pair of scenarios)."""
    wb = Workbook()
    first = wb.active
    assert first is not None
    first.title = "Summary"  # one page: every scenario's verdict and headline KPIs
    write_scenario_summary(first, comparison)
    _kpi_sheet(wb.create_sheet("KPIs"), comparison)
    _statement_sheet(wb.create_sheet("Statement deltas"), comparison)
    _diff_sheet(wb.create_sheet("Assumption diff"), comparison)
    _bridge_sheet(wb.create_sheet("Bridge"), bridges, skipped or {})
    names = comparison.names
    # the footer holds one line: all the names for a few scenarios, else their number
    caption = "comparison of " + (", ".join(names) if len(names) <= 4 else f"{len(names)} scenarios, {names[0]} first")
    for ws in wb.worksheets:
        board_print(ws, caption, title_cols="A:A")
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# --- files ------------------------------------------------------------------------------------------------------


def bridge_frame(bridges: Sequence[Bridge]) -> pd.DataFrame:
    """Tidy table of bridges: a, b, kpi, method, exact, step, group, contribution, standard_error, paths."""
    rows = []
    for b in bridges:
        for i, (g, x) in enumerate(zip(b.groups, b.contributions, strict=True)):
            se = b.standard_errors[i] if b.standard_errors is not None else math.nan
            rows.append((b.a_name, b.b_name, b.kpi, b.method, b.exact, i + 1, g, x, se, " ".join(b.paths[g])))
    columns = ["a", "b", "kpi", "method", "exact", "step", "group", "contribution", "standard_error", "paths"]
    return pd.DataFrame(rows, columns=columns)


def comparison_document(
    comparison: Comparison, bridges: Sequence[Bridge] = (), skipped: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """What ``comparison.json`` and ``tem compare --json`` hold: the comparison, the bridges and any skipped."""
    return jsonable(
        {
            "tem_version": tem.__version__,
            "comparison": comparison.to_dict(),
            "bridges": [b.to_dict() for b in bridges],
            "skipped_bridges": [{"b": name, "reason": why} for name, why in (skipped or {}).items()],
        }
    )


def comparison_manifest(
    comparison: Comparison, bridges: Sequence[Bridge], kpi: str, *, created: dt.datetime | None = None
) -> dict[str, Any]:
    """Provenance of a comparison: scenarios with their files and SHA-256, KPI, bridge settings, versions."""
    when = (created or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    seeds = sorted({b.seed for b in bridges if b.seed is not None})
    return {
        "kind": "comparison",
        "scenarios": [
            {
                "name": n,
                "assumption_files": [{"path": p, "sha256": h} for p, h in a.sources],
                "overrides": jsonable(a.overrides),
            }
            for n, a in zip(comparison.names, comparison.assumptions, strict=True)
        ],
        "kpi": kpi,
        "bridges": [
            {"a": b.a_name, "b": b.b_name, "method": b.method, "exact": b.exact, "n_permutations": b.n_permutations}
            for b in bridges
        ],
        **runtime_provenance(when),
        "seed": seeds[0] if len(seeds) == 1 else (seeds or None),
    }


def render_comparison_files(
    comparison: Comparison,
    bridges: Sequence[Bridge] = (),
    kpi: str = "npv_inr_cr",
    *,
    png: bool = False,
    skipped: Mapping[str, str] | None = None,
) -> dict[str, bytes | str]:
    """Every file of a comparison folder, in memory (relative name -> content); ``manifest.json`` last.

    ``comparison.xlsx``, ``kpis.csv``, ``statement_deltas.csv``, ``assumption_diff.csv``, ``bridges.csv``,
    ``comparison.json``, ``charts/kpi_<kpi>.html``, ``charts/bridge_<b>_<method>.html`` (and ``.png`` when
    ``png``; raises :class:`PngUnavailableError` first when PNGs cannot be made), ``charts/plotly.min.js``.
    """
    if png:
        ok, why = png_available()
        if not ok:
            raise PngUnavailableError(why)
    from plotly.offline import get_plotlyjs

    figures = {f"kpi_{safe_name(kpi)}": kpi_bars(comparison, kpi)}
    for b in bridges:
        figures[f"bridge_{safe_name(b.b_name)}_{b.method}"] = bridge_waterfall(b)
    files: dict[str, bytes | str] = {
        "comparison.xlsx": render_comparison_workbook(comparison, bridges, skipped),
        "kpis.csv": csv_text(comparison.kpis, float_format="%.10g"),
        "statement_deltas.csv": csv_text(comparison.statement_deltas, float_format="%.10g"),
        "assumption_diff.csv": csv_text(comparison.assumption_diff),
        "bridges.csv": csv_text(bridge_frame(bridges), index=False, float_format="%.10g"),
        "comparison.json": json.dumps(comparison_document(comparison, bridges, skipped), indent=2, allow_nan=False) + "\n",
        f"charts/{PLOTLY_JS}": get_plotlyjs().encode("utf-8"),
    }
    for name, fig in figures.items():
        files[f"charts/{name}.html"] = figure_html(fig)
        if png:
            files[f"charts/{name}.png"] = figure_png(fig, PNG_WIDTH, PNG_HEIGHT, PNG_SCALE)
    manifest = with_outputs(comparison_manifest(comparison, bridges, kpi), files)
    files["manifest.json"] = json.dumps(jsonable(manifest), indent=2, allow_nan=False) + "\n"
    return files


def write_comparison(
    comparison: Comparison,
    bridges: Sequence[Bridge],
    out_dir: Path,
    kpi: str = "npv_inr_cr",
    *,
    png: bool = False,
    skipped: Mapping[str, str] | None = None,
) -> Path:
    """Render every file in memory, then write them atomically to ``out_dir/<comparison_folder>/``."""
    files = render_comparison_files(comparison, bridges, kpi, png=png, skipped=skipped)
    folder = out_dir / comparison_folder(comparison)
    write_files(folder, files)
    return folder
