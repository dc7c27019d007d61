"""The Summary sheet follows a director's edit (issue 14, fourth wave, items 4 and 5): the verdict sentence is a live
formula over the step and KPI cells (NPV, IRR against the hurdle, what each step adds, the gates' value); the steps
are the programs with their gates decided, so they add up to the run's NPV, also with a gate that says no go; the
breakevens are as exported and a live flag says when the inputs changed since."""

from __future__ import annotations

import math
from pathlib import Path

import openpyxl
import pytest

import tem
from tem import catalogue
from tem.analysis.summary import board_summary
from tem.exports.workbook.build import build_workbook
from tem.exports.workbook.staleness import CURRENT, STALE
from tests.exports.workbook.test_what_if import edited_copy, tem_run_set
from tests.exports.workbook.test_workbook import compare
from tests.support.libreoffice import recalculate, require_soffice

ROOT = Path(__file__).parents[3]
CASES = {"base": ROOT / "assumptions" / "base.yaml", "war": ROOT / "assumptions" / "scenarios" / "cell_price_war.yaml"}


def row_of(ws: openpyxl.worksheet.worksheet.Worksheet, text: str) -> int:
    return next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == text)


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, dict, openpyxl.Workbook]]:
    require_soffice()
    tmp = tmp_path_factory.mktemp("live")
    files, expects = [], {}
    for name, path in CASES.items():
        a = tem.load(path)
        result = tem.run(a)
        wb, expect = build_workbook(result, a, None, board_summary(a, result))
        target = tmp / f"{name}.xlsx"
        wb.save(target)
        files.append(target)
        expects[name] = expect
    edited = tmp / "edited.xlsx"
    edited_copy(files[0], "timeline.discount_rate", 0.13, edited)
    outs = recalculate([*files, edited], tmp / "out", tmp / "profile")
    return {
        out.stem: (src, expects.get(out.stem, {}), openpyxl.load_workbook(out, data_only=True))
        for src, out in zip([*files, edited], outs, strict=True)
    }


@pytest.mark.parametrize("name", list(CASES))
def test_summary_and_step_sheets_match_the_engine_in_libreoffice(recalculated: dict, name: str) -> None:
    _, expect, values = recalculated[name]
    assert not compare(expect, values)[:5]
    ws = values["Summary"]
    a = tem.load(CASES[name])
    result = tem.run(a)
    s = board_summary(a, result)
    assert ws["A2"].value == s.verdict  # the live sentence, as tem writes it
    run = row_of(ws, "Program as run")
    steps = [ws.cell(run - len(s.decisions) + i, 3).value for i in range(len(s.decisions))]
    assert math.isclose(sum(steps), result.kpis["npv_inr_cr"], rel_tol=1e-9)  # the steps add up to the run
    assert math.isclose(ws.cell(run, 3).value, result.kpis["npv_inr_cr"], rel_tol=1e-9)
    assert any(ws.cell(r, 1).value == CURRENT for r in range(1, ws.max_row + 1))


def test_a_failed_gate_is_reconciled_on_the_page(recalculated: dict) -> None:
    """cell_price_war: the gate stops the cell plant; run NPV = sum of the gated steps; the gates' value = run NPV
    minus the committed program's NPV, in the table and in the sentence."""
    _, _, values = recalculated["war"]
    ws = values["Summary"]
    result = tem.run(tem.load(CASES["war"]))
    k = result.kpis
    gates_row = row_of(ws, "Value of the gates")
    value = k["npv_inr_cr"] - k["committed_npv_inr_cr"]
    assert value > 0
    assert math.isclose(ws.cell(gates_row, 5).value, value, rel_tol=1e-9)
    assert math.isclose(ws.cell(row_of(ws, "Committed program"), 5).value, k["committed_npv_inr_cr"], rel_tol=1e-12)
    sentence = ws["A2"].value
    assert f"worth +{catalogue.format_value('npv_inr_cr', value)} INR crore" in sentence
    assert "cell plant 1" in sentence


def test_an_edited_input_moves_the_verdict_and_flags_the_breakevens(recalculated: dict, tmp_path: Path) -> None:
    _, _, values = recalculated["edited"]
    ws = values["Summary"]
    want = tem_run_set("timeline.discount_rate", 0.13, tmp_path / "run")
    run = row_of(ws, "Program as run")
    assert math.isclose(ws.cell(run, 5).value, float(want["npv_inr_cr"]), rel_tol=1e-9)  # type: ignore[arg-type]
    npv_text = catalogue.format_value("npv_inr_cr", float(want["npv_inr_cr"]), with_unit=True)  # type: ignore[arg-type]
    assert f"(NPV {npv_text})" in ws["A2"].value
    assert f"its IRR of {catalogue.format_value('irr', float(want['irr']))}" in ws["A2"].value  # type: ignore[arg-type]
    assert math.isclose(ws.cell(run, 3).value, ws.cell(run, 5).value, rel_tol=1e-9)  # the steps still add up
    flags = [ws.cell(r, 1).value for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value in (CURRENT, STALE)]
    assert flags == [STALE]
