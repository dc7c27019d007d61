"""The first page of the report and of the workbook: the decision stated with its breakevens (issue 14 item 1).

The figures are tested in tests/analysis/test_summary.py; here, that both pages show them: the title with the
program and scenario names, the verdict first, every decision, the breakevens (or "none in range"), the gates,
and on the workbook's Summary live formulas where the workbook computes the figure."""

from __future__ import annotations

import html
import io
from pathlib import Path

import openpyxl
import pytest

import tem
from tem import catalogue
from tem.analysis.summary import board_summary
from tem.exports.board import BoardSummary, breakeven_text
from tem.exports.report.page import render_report
from tem.exports.workbook.build import render_with_report
from tem.exports.workbook.checks import hidden_if_invalid

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def gated() -> tuple[tem.Assumptions, tem.Result, BoardSummary]:
    a = tem.load(ROOT / "assumptions" / "base.yaml")  # cell plant 1 behind its FY28 gate
    r = tem.run(a)
    return a, r, board_summary(a, r)


def test_report_opens_with_the_decision(gated: tuple) -> None:
    _, r, s = gated
    page = render_report(r, {}, summary=s).decode()
    text = html.unescape(page)
    assert "<title>Battery localization program: base</title>" in page
    assert text.index(s.verdict) < text.index("Key results")  # the verdict comes before everything else
    for d in (*s.decisions, s.as_run):
        assert d.name in text
        assert catalogue.format_value("npv_inr_cr", d.npv_inr_cr) in text
    for b in s.breakevens:
        assert b.input_label in text
        assert breakeven_text(b) in text
    assert any(b.value is None for b in s.breakevens)
    assert "none in range" in text
    assert "cell plant 1, decided at the end of FY28" in text  # the phase in words (issue 14)
    assert "GO" in text


def shown_if_valid(formula: str) -> str:
    """The formula of a Summary figure inside its :func:`hidden_if_invalid` wrapper (sixth wave: every figure reads
    "invalid input" while an input is not allowed), which must be there."""
    head, tail = hidden_if_invalid("=X").split("X")
    assert formula.startswith(head), formula
    assert formula.endswith(tail), formula
    return "=" + formula.removeprefix(head).removesuffix(tail)


def test_workbook_summary_sheet(gated: tuple) -> None:
    a, r, s = gated
    data, missing = render_with_report(r, a, None, s)
    assert not [m for m in missing if m[0] == "Summary"]
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb.worksheets[0]
    assert ws.title == "Summary"
    assert ws["A1"].value == s.title
    assert str(ws["A2"].value).startswith("=")  # the verdict is a live formula (issue 14, item 5) ...
    cached = openpyxl.load_workbook(io.BytesIO(data), data_only=True).worksheets[0]
    assert cached["A2"].value == s.verdict  # ... whose value as exported is the sentence
    cells = {c.value: c for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    as_run = next(c for v, c in cells.items() if v == "Program as run")
    npv = ws.cell(as_run.row, 5).value
    assert isinstance(npv, str)
    assert shown_if_valid(npv).startswith("=KPIs!B")  # live (and "invalid input" while an input is not allowed)
    assert str(ws.cell(as_run.row, 10).value).startswith("live formula")  # "; steps add up to it"
    values = openpyxl.load_workbook(io.BytesIO(data), data_only=True).worksheets[0]
    assert values.cell(as_run.row, 5).value == pytest.approx(r.kpis["npv_inr_cr"], rel=1e-12)
    text = [str(c.value) for row in values.iter_rows() for c in row if c.value is not None]  # as shown (cached)
    assert "GO" in text
    assert sum(1 for t in text if t.startswith("none in range")) == sum(1 for b in s.breakevens if b.value is None)


def test_workbook_summary_decisions_are_live_step_sheets(gated: tuple) -> None:
    """Each nested program is a sheet of live formulas (Step 1 ...); the Summary links to it. Its cached values
    (the step's own engine run, equal to LibreOffice's recalculation: test_cached_values) equal the figures of
    tem decisions (a separate batch run of the same programs)."""
    a, r, s = gated
    data, _ = render_with_report(r, a, None, s)
    formulas = openpyxl.load_workbook(io.BytesIO(data))
    values = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    assert [f"Step {j + 1}" for j in range(len(s.decisions))] == [n for n in formulas.sheetnames if n.startswith("Step")]
    ws, vs = formulas["Summary"], values["Summary"]
    rows = {ws.cell(i, 1).value: i for i in range(1, ws.max_row + 1)}
    for j, d in enumerate(s.decisions):
        i = rows[d.name]
        assert shown_if_valid(str(ws.cell(i, 5).value)).startswith(f"=SUM('Step {j + 1}'!")
        wanted = ((3, d.npv_increment_inr_cr), (5, d.npv_inr_cr), (6, d.irr), (7, d.peak_funding_inr_cr), (8, d.dva_share))
        for col, want in wanted:
            got = vs.cell(i, col).value
            if want is None:
                assert isinstance(got, str), (d.name, col, got)
            else:
                assert got == pytest.approx(want, rel=1e-9, abs=1e-9), (d.name, col)
        if d.irr_increment is not None:
            assert vs.cell(i, 4).value == pytest.approx(d.irr_increment, rel=1e-9)
