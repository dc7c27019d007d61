"""A director who types a wrong word into a choice input or a percent into a bounded rate is told so (review 17,
defect 2): a drop-down list or a range on every such cell of Inputs, found from the assumption schema's types and
bounds; a live Checks row "Inputs within their allowed values" that turns the integrity flag (Checks E3) to
"invalid input: <dotted path>"; the Summary's verdict and stale flag say the same instead of quoting figures
computed from it. Recalculated by LibreOffice; a valid edit keeps everything OK."""

from __future__ import annotations

import typing
from pathlib import Path

import openpyxl
import pytest

import tem
from tem.analysis.summary import board_summary
from tem.assumptions.walk import iter_leaves
from tem.exports.workbook.allowed import Allowed, choice_words
from tem.exports.workbook.build import build_workbook
from tem.exports.workbook.inputs_sheet import UNREAD_NOTE
from tem.exports.workbook.staleness import CURRENT
from tests.exports.workbook.test_what_if import edited_copy
from tests.exports.workbook.test_workbook import compare
from tests.support.libreoffice import recalculate, require_soffice

ROOT = Path(__file__).parents[3]
BASE = ROOT / "assumptions" / "base.yaml"
VALID_START = "At these assumptions the program "
# (file stem, edits, the first invalid path named or None when valid, how many invalid)
CASES: list[tuple[str, list[tuple[str, float | str]], str | None, int]] = [
    ("tax_foo", [("tax.structure", "foo")], "tax.structure", 1),
    ("tax_case", [("tax.structure", "Within_Parent")], "tax.structure", 1),  # formulas compare case-blind
    ("rate_percent", [("timeline.discount_rate", 12.5)], "timeline.discount_rate", 1),
    ("rate_one", [("timeline.discount_rate", 1.0)], "timeline.discount_rate", 1),  # 0 < r < 1: 1 is refused
    ("both", [("tax.structure", "foo"), ("timeline.discount_rate", 12.5)], "timeline.discount_rate", 2),
    (
        "words",  # the review's other cells: each read by a formula that picks one branch for any other word
        [
            ("valuation.terminal_value_method", "foo"),
            ("transition.overflow_policy", "foo"),
            ("capex.replacement", "foo"),
            ("funding.term_debt.repayment", "foo"),
            ("demand.captive.price_rule", "path"),  # the schema allows it; the workbook cannot switch to a path
        ],
        "demand.captive.price_rule",
        5,
    ),
    ("valid", [("tax.structure", "standalone"), ("timeline.discount_rate", 0.13)], None, 0),
]


def test_every_choice_and_bounded_number_has_its_validation() -> None:
    """Words by hand from the schema file; the number range of the discount rate by hand (0 < r < 1)."""
    a = tem.load(BASE)
    wb, _ = build_workbook(tem.run(a), a)
    ws = wb["Inputs"]
    rows = {ws.cell(r, 1).value: r for r in range(1, ws.max_row + 1)}
    by_cell = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    by_hand = {
        "tax.structure": '"standalone,within_parent"',
        "valuation.terminal_value_method": '"none,perpetuity,ebitda_multiple"',
        "transition.overflow_policy": '"import_packs,unmet"',
        "capex.replacement": '"maintenance_extends_life,replace_at_end_of_life"',
        "funding.term_debt.repayment": '"equal_principal,annuity"',
        "demand.captive.cost_basis": '"variable,full"',
    }
    for path, words in by_hand.items():
        dv = by_cell[f"E{rows[path]}"]
        assert (dv.type, dv.formula1, dv.showErrorMessage) == ("list", words, True), path
        assert all(w in dv.error for w in words.strip('"').split(",")), dv.error
    rate = by_cell[f"E{rows['timeline.discount_rate']}"]
    assert rate.type == "custom"
    assert rate.showErrorMessage
    assert "> 0" in rate.error
    assert "< 1" in rate.error
    assert "timeline.discount_rate" in rate.error
    # generic: every text input whose schema type is a Literal (found by walking the schema) that a formula reads
    # (blue on yellow at the end: see test_inputs_sheet) has its list; the fixed (grey) ones none and no Checks row
    literal_paths = [
        leaf.path
        for leaf in iter_leaves(a)
        if isinstance(leaf.value, str) and typing.get_origin(leaf.field.annotation) is typing.Literal
    ]
    editable = [p for p in literal_paths if UNREAD_NOTE not in str(ws.cell(rows[p], 4).value)]
    assert len(editable) >= 8
    assert "transition.local_cell_allocation" not in editable
    for path in literal_paths:
        dv = by_cell.get(f"E{rows[path]}")
        if path not in editable:
            assert dv is None, path
            continue
        assert dv is not None, path
        assert dv.type == "list", path
        words = choice_words(next(leaf.field.annotation for leaf in iter_leaves(a) if leaf.path == path))
        assert set(dv.formula1.strip('"').split(",")) <= set(words), path
    checked = {wb["Checks"].cell(r, 1).value for r in range(1, wb["Checks"].max_row + 1)}
    assert set(editable) <= checked
    assert not (set(literal_paths) - set(editable)) & checked
    assert "valuation.hurdle_rate" not in checked  # no Summary: nothing reads it
    wb2, _ = build_workbook(tem.run(a), a, None, board_summary(a, tem.run(a)))
    assert "valuation.hurdle_rate" in {wb2["Checks"].cell(r, 1).value for r in range(1, wb2["Checks"].max_row + 1)}


def test_allowed_numbers_by_hand() -> None:
    rate = Allowed("timeline.discount_rate", "Inputs!$E$12", lo=0.0, lo_open=True, hi=1.0, hi_open=True)
    assert [rate.holds(x) for x in (0.0, 0.125, 0.999, 1.0, 12.5, "0.1", True)] == [False, True, True] + [False] * 4
    years = Allowed("x", "Inputs!$E$2", lo=1.0, hi=30.0, whole=True)
    assert [years.holds(x) for x in (1, 30, 2.5, 0, 31)] == [True, True, False, False, False]
    never = Allowed("x", "Inputs!$E$2", lo=2000.0, hi=2100.0, whole=True, also=(9999.0,))
    assert never.holds(9999.0)
    assert never.holds(2030)
    assert not never.holds(2101)
    assert choice_words(typing.Literal["a", "b"] | None) == ("a", "b")


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict[str, openpyxl.Workbook]]:
    require_soffice()
    tmp = tmp_path_factory.mktemp("allowed")
    a = tem.load(BASE)
    result = tem.run(a)
    wb, expect = build_workbook(result, a, None, board_summary(a, result))
    source = tmp / "base.xlsx"
    wb.save(source)
    files = [source]
    for stem, edits, _, _ in CASES:
        target = tmp / f"{stem}.xlsx"
        edited_copy(source, *edits[0], target)
        for path, value in edits[1:]:
            edited_copy(target, path, value, target)
        files.append(target)
    outs = recalculate(files, tmp / "out", tmp / "profile")
    return expect, {out.stem: openpyxl.load_workbook(out, data_only=True) for out in outs}


def test_the_workbook_as_exported_is_valid_and_equals_the_engine(recalculated: tuple) -> None:
    expect, books = recalculated
    values = books["base"]
    assert not compare(expect, values)[:5]
    assert values["Checks"]["E6"].value == "OK"
    assert values["Checks"]["E3"].value == "OK"


@pytest.mark.parametrize(("stem", "edits", "first", "count"), CASES, ids=[c[0] for c in CASES])
def test_an_invalid_input_is_named_by_the_checks_and_the_verdict(
    recalculated: tuple, stem: str, edits: list, first: str | None, count: int
) -> None:
    values = recalculated[1][stem]
    checks, summary = values["Checks"], values["Summary"]
    verdict = summary["A2"].value
    flags = [summary.cell(r, 1).value for r in range(1, summary.max_row + 1)]
    statuses = {checks.cell(r, 1).value: checks.cell(r, 6).value for r in range(1, checks.max_row + 1)}
    if first is None:
        assert checks["E6"].value == "OK"
        assert checks["E3"].value == "OK"
        assert verdict.startswith(VALID_START)
        assert CURRENT not in flags  # the valid edit still makes the breakevens stale, not invalid
        assert not any(str(f).startswith("invalid input") for f in flags)
        return
    more = f" and {count - 1} more" if count > 1 else ""
    want = f"invalid input: {first}{more} (not an allowed value: see Checks)"
    assert checks["E6"].value == want
    assert checks["E3"].value == want  # the integrity flag (and the Cover's link to it) is not OK
    cover = values["Cover"]
    integrity = next(r for r in range(1, cover.max_row + 1) if str(cover.cell(r, 1).value).startswith("Integrity"))
    assert cover.cell(integrity, 2).value == want
    assert verdict.startswith(want + ": no verdict")
    assert any(str(f).startswith(want) and "stale" in str(f) for f in flags)
    assert sorted(p for p, s in statuses.items() if s == "INVALID") == sorted(p for p, _ in edits)
