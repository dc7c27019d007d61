"""The Monte Carlo workbook (``montecarlo.xlsx``): Summary, Decisions (with gates), Inputs, Correlations,
Convergence, Contributions (with native bar charts), Sobol and Samples.

Presentation only: everything here reads a :class:`~tem.analysis.montecarlo.run.MonteCarloResult` and never runs
the model; the files of the output folder (CSV, JSON, charts, manifest) are in :mod:`tem.analysis.montecarlo.export`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.utils import get_column_letter

import tem
from tem import catalogue
from tem.analysis.montecarlo.flex_export import flexibility_sheet
from tem.analysis.montecarlo.input_words import mode_words, number_kind
from tem.analysis.montecarlo.run import MonteCarloResult
from tem.exports.manifest import jsonable
from tem.exports.workbook.printing import board_print
from tem.exports.workbook.stream import BufferedSheet, save_write_only
from tem.exports.workbook.style import HEADER, SECTION, TITLE, put_text

SAMPLE_ROWS = 2_000  # the Samples sheet's cap (stated on the sheet); samples.parquet has every scenario
SHEETS = ("Summary", "Inputs", "Correlations", "Convergence", "Contributions", "Sobol", "Samples")
# ---------------------------------------------------------------------------------------------------------------
# workbook


def _header(ws: BufferedSheet, row: int, names: list[str]) -> None:
    for j, name in enumerate(names, start=1):
        put_text(ws, row, j, name).font = HEADER


def _widths(ws: BufferedSheet, widths: Mapping[int, float]) -> None:
    for col, w in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = w


def _value(x: Any) -> Any:
    if isinstance(x, (float, np.floating)):
        return float(x) if np.isfinite(x) else None
    if isinstance(x, np.integer):
        return int(x)
    return x


def _summary_sheet(ws: BufferedSheet, r: MonteCarloResult) -> None:
    ws.title = "Summary"
    put_text(ws, 1, 1, f"Monte Carlo: {r.scenario}").font = TITLE
    prov = r.provenance
    spec_file = prov.get("spec_file") or {}
    lines: list[tuple[str, Any]] = [
        ("Scenarios (N)", r.n),
        ("Sampling", "Latin hypercube" if r.sampling == "lhs" else "random"),
        ("Seed", r.seed),
        ("Spec file", f"{spec_file.get('path')} (sha256 {spec_file.get('sha256')})"),
    ]
    lines += [("Assumption file", f"{f['path']} (sha256 {f['sha256']})") for f in prov.get("assumption_files", [])]
    if prov.get("overrides"):
        lines.append(("Overrides", json.dumps(jsonable(prov["overrides"]))))
    lines.append(("tem version", tem.__version__))
    row = 3
    for label, value in lines:
        put_text(ws, row, 1, label).font = HEADER
        if isinstance(value, str):
            put_text(ws, row, 2, value)
        else:
            ws.cell(row, 2, value).number_format = "#,##0" if label == "Scenarios (N)" else "0"
        row += 1
    row += 1
    put_text(ws, row, 1, "Headline").font = SECTION
    row += 1
    h = r.headline
    facts: list[tuple[str, Any, str]] = [
        ("P(NPV < 0)", h["p_npv_negative"], "0.00%"),
        ("P(NPV vs import-only < 0)", h["p_incremental_npv_negative"], "0.00%"),
        ("Hurdle rate", h["hurdle_rate"], "0.0%"),
        ("P(IRR < hurdle), among scenarios with an IRR", h["p_irr_below_hurdle"], "0.00%"),
        ("Scenarios with an IRR", h["n_with_irr"], "#,##0"),
        ("Scenarios without an IRR", h["n_without_irr"], "#,##0"),
    ]
    facts += [(f"  of which: {reason}", count, "#,##0") for reason, count in h["without_irr_by_reason"].items()]
    for label, value, fmt in facts:
        put_text(ws, row, 1, label)
        cell = ws.cell(row, 2, _value(value) if not isinstance(value, str) else None)
        if isinstance(value, str):
            put_text(ws, row, 2, value)
        cell.number_format = fmt
        row += 1
    put_text(ws, row, 1, "Correlations")
    put_text(ws, row, 2, r.correlation_note)
    row += 2
    put_text(
        ws, row, 1, "Percentiles (P10 = the value 10% of scenarios fall below; statistics over scenarios with a value)"
    ).font = SECTION
    row += 1
    cols = [
        "KPI",
        "unit",
        "mean",
        "std",
        "P5",
        "P10",
        "P50",
        "P90",
        "P95",
        "min",
        "max",
        "with a value",
        "without",
        "P(< 0)",
    ]
    _header(ws, row, cols)
    ws.freeze_panes = None
    for kpi, s in r.summary.iterrows():
        row += 1
        key = str(kpi)
        put_text(ws, row, 1, catalogue.label(key))
        put_text(ws, row, 2, catalogue.unit_column(key))  # "" where the format shows the unit (4.6%, FY36)
        fy = catalogue.kpi(key).kind == "fy"
        fmt = catalogue.excel_format(key)
        for j, stat in enumerate(["mean", "std", "p5", "p10", "p50", "p90", "p95", "min", "max"], start=3):
            if fy and stat == "mean":
                continue  # a mean of years is no year: left blank
            if fy and stat != "std":  # a year reads FY36 (text), as on every page
                x = _value(s[stat])
                put_text(ws, row, j, catalogue.format_value(key, x) if x is not None else "")
                continue
            value = _value(s[stat])
            if stat == "std":  # a spread: of years in years, of a rate in percentage points (pts), never "%"
                _spread_cell(ws, row, j, key, value)
                continue
            ws.cell(row, j, value).number_format = fmt
        ws.cell(row, 12, int(s["n_valid"])).number_format = "#,##0"
        ws.cell(row, 13, int(s["n_missing"])).number_format = "#,##0"
        if not fy:  # P(year < 0) means nothing
            ws.cell(row, 14, _value(s["p_below_zero"])).number_format = "0.00%"
    _widths(ws, {1: 46, 2: 16, **{j: 13 for j in range(3, 15)}})


def _spread_cell(ws: BufferedSheet, row: int, col: int, key: str, value: float | None) -> None:
    """A standard deviation or standard error of KPI ``key``: a difference of its values in size (of a rate in
    points, :func:`tem.catalogue.difference_cell`; of years in years, to one decimal)."""
    if value is None:
        ws.cell(row, col, None)
    elif catalogue.kpi(key).kind == "fy":
        ws.cell(row, col, value).number_format = '0.0" years"'
    else:
        shown, fmt = catalogue.difference_cell(key, value, signed=False)
        ws.cell(row, col, shown).number_format = fmt


CONVERGENCE_COLUMNS = {
    "kpi": "KPI",
    "n": "first N scenarios",
    "n_valid": "with a value",
    "mean": "mean",
    "mean_standard_error": "standard error of the mean",
    "p10": "P10",
    "p50": "P50",
    "p90": "P90",
}


def _convergence_sheet(ws: BufferedSheet, r: MonteCarloResult) -> None:
    """Mean, its standard error and P10/P50/P90 of each KPI over the first N scenarios, each in the KPI's format
    (the standard error as a spread: a rate's in points); a year's statistics as FY36 (its mean left blank)."""
    _header(ws, 1, [CONVERGENCE_COLUMNS.get(str(c), str(c)) for c in r.convergence.columns])
    for i, rec in enumerate(r.convergence.to_dict("records"), start=2):
        key = str(rec["kpi"])
        fy = catalogue.kpi(key).kind == "fy"
        for j, col in enumerate(r.convergence.columns, start=1):
            value = _value(rec[col])
            if col == "kpi":
                put_text(ws, i, j, catalogue.row_title(key))  # "IRR", not "IRR (%)" beside 4.6%
            elif col in ("n", "n_valid"):
                ws.cell(i, j, value).number_format = "#,##0"
            elif col == "mean_standard_error":
                _spread_cell(ws, i, j, key, value)
            elif fy and col == "mean":
                ws.cell(i, j, None)  # a mean of years is no year
            elif fy:
                put_text(ws, i, j, catalogue.format_value(key, value) if value is not None else "")
            else:
                ws.cell(i, j, value).number_format = catalogue.excel_format(key)
    ws.freeze_panes = ws.cell(2, 1)


INPUT_COLUMNS = {
    "path": "path",
    "label": "input",
    "unit": "unit",
    "mode": "mode",
    "distribution": "distribution",
    "parameters": "parameters",
    "sample_column": "the number drawn is",
    "base": "base",
    "sample_mean": "sample mean",
    "sample_p5": "sample P5",
    "sample_p95": "sample P95",
    "source": "source",
}
DRAWN = ("base", "sample_mean", "sample_p5", "sample_p95")


def _inputs_sheet(ws: BufferedSheet, r: MonteCarloResult) -> None:
    """Each uncertain input, headed in words; its base and sample statistics in the input's unit and format when
    the number drawn is the input's value (a customs duty in %, a price in USD/kWh), a multiplier as 0.000, a
    drift (growth a year) in %."""
    frame = r.inputs
    _header(ws, 1, [INPUT_COLUMNS.get(str(c), str(c)) for c in frame.columns])
    for i, rec in enumerate(frame.to_dict("records"), start=2):
        mode = str(rec["mode"])
        kind = number_kind(str(rec["path"]), mode)
        for j, col in enumerate(frame.columns, start=1):
            v = rec[col]
            if col == "mode":
                put_text(ws, i, j, mode_words(mode))  # in words, not the spec's key (review D6)
            elif isinstance(v, str):
                put_text(ws, i, j, v)
            elif col in DRAWN and kind == "fy":
                put_text(ws, i, j, catalogue.format_kind(kind, _value(v)) if _value(v) is not None else "")
            else:
                ws.cell(i, j, _value(v)).number_format = catalogue.kind_excel(kind) if col in DRAWN else "General"
    ws.freeze_panes = ws.cell(2, 1)


def _table_sheet(
    ws: BufferedSheet, frame: pd.DataFrame, formats: Mapping[str, str] | None = None, start_row: int = 1
) -> int:
    _header(ws, start_row, [str(c) for c in frame.columns])
    formats = formats or {}
    for i, rec in enumerate(frame.itertuples(index=False), start=start_row + 1):
        for j, (col, v) in enumerate(zip(frame.columns, rec, strict=True), start=1):
            if isinstance(v, str):
                put_text(ws, i, j, v)
            else:
                c = ws.cell(i, j, _value(v))
                if col in formats:
                    c.number_format = formats[col]
    ws.freeze_panes = ws.cell(start_row + 1, 1)
    return start_row + len(frame)


def _correlation_sheet(ws: BufferedSheet, r: MonteCarloResult) -> None:
    put_text(ws, 1, 1, "Rank (Spearman) correlations between inputs").font = TITLE
    put_text(ws, 2, 1, r.correlation_note)
    row = 4
    labels = dict(zip(r.inputs["path"], r.inputs["label"], strict=True))
    for title, m in (
        ("Target (as given; 0 where none)", r.correlation_target),
        ("Used (after any repair)", r.correlation_used),
        ("Achieved in the samples", r.correlation_achieved),
    ):
        put_text(ws, row, 1, title).font = SECTION
        row += 1
        for j, p in enumerate(m.columns, start=2):
            put_text(ws, row, j, labels.get(p, p)).font = HEADER
        for i, p in enumerate(m.index, start=1):
            put_text(ws, row + i, 1, labels.get(p, p)).font = HEADER
            for j, v in enumerate(m.loc[p], start=2):
                ws.cell(row + i, j, float(v)).number_format = "0.00"
        row += len(m) + 2
    _widths(ws, {1: 40, **{j: 12 for j in range(2, len(r.correlation_used) + 2)}})


def _contributions_sheet(ws: BufferedSheet, r: MonteCarloResult) -> None:
    put_text(ws, 1, 1, "Contribution to variance: Spearman rank correlation of each input with each KPI").font = TITLE
    put_text(
        ws,
        2,
        1,
        "share = rho^2 / sum of rho^2 over the inputs. With correlated inputs, an input also picks up the effect of "
        "the inputs it moves with: the shares are indicative, not a variance decomposition (see Sobol for that).",
    )
    row = 4
    for kpi in r.summary.index:
        block = r.rank_contributions[r.rank_contributions["kpi"] == kpi]
        put_text(ws, row, 1, catalogue.row_title(str(kpi))).font = SECTION  # "IRR", not "IRR (%)"
        _header(ws, row + 1, ["input", "path", "Spearman rho", "share"])
        first = row + 2
        for i, rec in enumerate(block.itertuples(index=False), start=first):
            put_text(ws, i, 1, rec.label)
            put_text(ws, i, 2, rec.path)
            ws.cell(i, 3, float(rec.spearman)).number_format = "0.000"
            ws.cell(i, 4, float(rec.share)).number_format = "0.0%"
        last = first + len(block) - 1
        if len(block):
            chart = BarChart()
            chart.type = "bar"
            chart.title = f"{catalogue.row_title(str(kpi))}: rank correlation with inputs"
            chart.y_axis.title = "Spearman rho"
            chart.legend = None
            chart.add_data(Reference(ws, min_col=3, min_row=first - 1, max_row=last), titles_from_data=True)
            chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
            chart.x_axis.scaling.orientation = "maxMin"  # largest first, top down
            chart.height = max(7.5, 0.55 * len(block))
            chart.width = 18
            ws.add_chart(chart, f"F{row}")
        row = max(last + 3, row + int(max(7.5, 0.55 * len(block)) / 0.5) + 2)
    _widths(ws, {1: 40, 2: 52, 3: 13, 4: 10})


def _sobol_sheet(ws: BufferedSheet, r: MonteCarloResult) -> None:
    put_text(ws, 1, 1, "Sobol indices (variance-based global sensitivity, SALib)").font = TITLE
    if r.sobol is None:
        put_text(ws, 2, 1, "Not run. Use `tem montecarlo ... --sobol 1024` or tem.analysis.montecarlo.sobol.sobol(...).")
        return
    s = r.sobol
    put_text(ws, 2, 1, f"Base N = {s.n_base:,}; {s.n_evaluations:,} model runs; seed {s.seed}. {s.note}")
    row = 3
    for kpi, why in s.skipped.items():
        put_text(ws, row, 1, f"{kpi}: no indices ({why})")
        row += 1
    fmt = dict.fromkeys(["S1", "S1_conf", "ST", "ST_conf"], "0.000")
    _table_sheet(ws, s.indices, fmt, start_row=row + 1)
    _widths(ws, {1: 34, 2: 52, 3: 40, 4: 10, 5: 10, 6: 10, 7: 10})


def _samples_sheet(ws: BufferedSheet, r: MonteCarloResult) -> None:
    m = min(SAMPLE_ROWS, r.n)
    inputs = r.samples.iloc[:m]
    kpis = r.kpis.iloc[:m]
    names = ["scenario", *inputs.columns, *kpis.columns]
    _header(ws, 1, [str(n) for n in names])
    # the cap, stated beside the header (the rows below are data only)
    cap = f"This sheet shows at most the first {SAMPLE_ROWS:,} scenarios: here {m:,} of {r.n:,}. "
    put_text(ws, 1, len(names) + 2, cap + "samples.parquet (and samples.csv with --samples-csv) has every scenario.")
    ws.freeze_panes = "B2"
    data = np.column_stack([np.arange(m), inputs.to_numpy(dtype=float), kpis.to_numpy(dtype=float)])
    ws.append_rows([v if v == v else None for v in rec] for rec in data.tolist())  # NaN (no IRR, never) stays empty
    if r.n > m:
        ws.append_rows([[], [f"First {m:,} of {r.n:,} scenarios; samples.parquet has them all."]])


def render_montecarlo_workbook(result: MonteCarloResult) -> bytes:
    """The Monte Carlo workbook (.xlsx bytes): Summary, Inputs, Correlations, Convergence, Contributions (with
    native bar charts), Sobol, Samples (the first :data:`SAMPLE_ROWS` = 2,000 scenarios, the cap stated on the
    sheet). Values, not formulas: the simulation runs in Python. Written in openpyxl's write-only mode
    (:mod:`tem.exports.workbook.stream`)."""
    wb = Workbook(write_only=True)
    names = [*SHEETS[:1], "Decisions", *SHEETS[1:]] if result.flexibility is not None else list(SHEETS)
    sheets = {name: BufferedSheet(wb, name) for name in names}
    _summary_sheet(sheets["Summary"], result)
    if result.flexibility is not None:
        flexibility_sheet(sheets["Decisions"], result)
    ws = sheets["Inputs"]
    _inputs_sheet(ws, result)
    _widths(ws, {1: 46, 2: 36, 3: 8, 4: 16, 5: 48, 6: 40, 7: 11, 8: 11, 9: 11, 10: 11, 11: 80})
    _correlation_sheet(sheets["Correlations"], result)
    ws = sheets["Convergence"]
    _convergence_sheet(ws, result)
    _widths(ws, {1: 40, **{j: 14 for j in range(2, 9)}})
    _contributions_sheet(sheets["Contributions"], result)
    _sobol_sheet(sheets["Sobol"], result)
    _samples_sheet(sheets["Samples"], result)
    caption = f"{result.scenario}: Monte Carlo, N = {result.n:,}, seed {result.seed}"
    for name, sheet in sheets.items():
        board_print(sheet.ws, caption, title_cols="A:A" if name != "Samples" else None)
    # the samples are data for analysis, not a board page: only their header and the note about the cap print
    n_cols = 1 + result.samples.shape[1] + result.kpis.shape[1] + 2
    sheets["Samples"].ws.print_area = f"A1:{get_column_letter(n_cols)}1"
    return save_write_only(wb, sheets.values())
