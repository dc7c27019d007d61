"""A director who types a wrong word into a choice input or a percent into a bounded rate is told so (review 17,
defect 2): a drop-down list or a range on every such cell of Inputs, found from the assumption schema's types and
bounds; a live Checks row "Inputs within their allowed values" that turns the integrity flag (Checks E3) to
"invalid input: <dotted path>"; the Summary's verdict and stale flag say the same instead of quoting figures
computed from it. Recalculated by LibreOffice; a valid edit keeps everything OK.

Sixth wave (review 17 item 2, what was left): yearly rows and lists are checked too, in each year, against the
loader's own bounds (a BCD rate typed 20 in one year, a negative volume, a ramp entry typed as a percent); while an
input is invalid the Summary and the Cover show no figure ("invalid input"), valid inputs show them as before."""

from __future__ import annotations

import re
import typing
from pathlib import Path

import openpyxl
import pytest

import tem
from tem.analysis.summary import board_summary
from tem.assumptions.walk import iter_leaves
from tem.exports.workbook.allowed import Allowed, choice_words
from tem.exports.workbook.build import build_workbook
from tem.exports.workbook.checks import HIDDEN
from tem.exports.workbook.grid import FIRST_COL
from tem.exports.workbook.inputs_sheet import UNREAD_NOTE
from tem.exports.workbook.staleness import CURRENT
from tests.exports.workbook.test_what_if import edited_copy
from tests.exports.workbook.test_workbook import compare
from tests.support.libreoffice import recalculate, require_soffice

ROOT = Path(__file__).parents[3]
BASE = ROOT / "assumptions" / "base.yaml"
VALID_START = "At these assumptions the program "
FY30 = 4  # the column of FY30 on the timeline, from FY26
# (file stem, edits, the first invalid path named or None when valid, how many invalid); an edit of a yearly row or
# a list names its position along the timeline ("path@4"), else every year is set
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
    # yearly rows and lists: the loader's bounds in each year (share [0, 1], nonneg >= 0, positive > 0)
    ("bcd_percent", [(f"cells.imported.bcd_rate_vehicle@{FY30}", 20.0)], "cells.imported.bcd_rate_vehicle", 1),
    ("volume_negative", [("demand.captive.volume_gwh", -5.0)], "demand.captive.volume_gwh", 1),
    ("fx_text", [(f"timeline.inr_per_usd@{FY30}", "88")], "timeline.inr_per_usd", 1),  # text, not a number
    ("fx_blank", [(f"timeline.inr_per_usd@{FY30}", "")], "timeline.inr_per_usd", 1),  # a year deleted
    # a word in a number cell: the model's formulas give error values, the Cover's parity flag read #VALUE!
    ("bcd_text", [(f"cells.imported.bcd_rate_ess@{FY30}", "abc")], "cells.imported.bcd_rate_ess", 1),
    (
        "ramp_percent",
        [("capex.phases.cell_plant_1.utilization_ramp@1", 80.0)],
        "capex.phases.cell_plant_1.utilization_ramp",
        1,
    ),
    ("rows_valid", [(f"cells.imported.bcd_rate_vehicle@{FY30}", 0.25), ("demand.captive.volume_gwh", 0.0)], None, 0),
]


def edit(source: Path, path: str, value: float | str, target: Path) -> None:
    """``edited_copy``, or with ``path@t`` only the cell ``t`` along the row (a year of a path, an entry of a list)."""
    if "@" not in path:
        edited_copy(source, path, value, target)
        return
    path, _, t = path.partition("@")
    wb = openpyxl.load_workbook(source)
    ws = wb["Inputs"]
    (row,) = [r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == path]
    assert ws.cell(row, FIRST_COL + int(t)).value is not None, path
    ws.cell(row, FIRST_COL + int(t)).value = None if value == "" else value
    wb.save(target)


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
    # generic: every text input whose schema type is a Literal (found by walking the schema) has its list, read or
    # not (review 17 item 2, left last time: a grey choice had none), and a Checks row; a grey one (no formula reads
    # it: the workbook follows the policy, kind or gate as exported, the engine would follow another word) only the
    # word written
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
        assert dv is not None, path
        assert dv.type == "list", path
        words = choice_words(next(leaf.field.annotation for leaf in iter_leaves(a) if leaf.path == path))
        assert set(dv.formula1.strip('"').split(",")) <= set(words), path
        if path not in editable:  # fixed here: the word as exported
            assert dv.formula1.strip('"').split(",") == [ws.cell(rows[path], 5).value], path
        assert ws.cell(rows[path], 5).value in dv.formula1.strip('"').split(","), path
    # Excel refuses a file whose literal list is over 255 characters (the gate lines' list is the longest)
    assert all(len(dv.formula1.strip('"')) <= 255 for dv in by_cell.values() if dv.type == "list")
    checked = {wb["Checks"].cell(r, 1).value for r in range(1, wb["Checks"].max_row + 1)}
    assert set(literal_paths) <= checked
    assert "valuation.hurdle_rate" in checked  # no Summary: nothing reads it (grey), still within (0, 1)
    assert UNREAD_NOTE in str(ws.cell(rows["valuation.hurdle_rate"], 4).value)
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
        edit(source, *edits[0], target)
        for path, value in edits[1:]:
            edit(target, path, value, target)
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
    assert sorted(p for p, s in statuses.items() if s == "INVALID") == sorted(p.partition("@")[0] for p, _ in edits)


def figures(values: openpyxl.Workbook) -> list[tuple[str, str, object]]:
    """What the Summary shows in its figure columns (C..H below the decisions' header) and the Cover beside its
    headline KPIs."""
    summary, cover = values["Summary"], values["Cover"]
    head = next(r for r in range(1, summary.max_row + 1) if summary.cell(r, 1).value == "decision")
    out: list[tuple[str, str, object]] = [
        ("Summary", c.coordinate, c.value) for row in summary.iter_rows(min_row=head + 1, min_col=3, max_col=8) for c in row
    ]
    start = next(r for r in range(1, cover.max_row + 1) if str(cover.cell(r, 1).value).startswith("Headline KPIs"))
    out += [("Cover", f"B{r}", cover.cell(r, 2).value) for r in range(start + 1, start + 12)]
    return out


@pytest.mark.parametrize(("stem", "edits", "first", "count"), CASES, ids=[c[0] for c in CASES])
def test_no_figure_beside_an_invalid_input(
    recalculated: tuple, stem: str, edits: list, first: str | None, count: int
) -> None:
    """Invalid: every figure of the Summary and the Cover's headline KPIs reads "invalid input" (no number, no text
    holding one: a director copies none); valid: the same cells hold figures (the file as exported equals the
    engine cell by cell: test_the_workbook_as_exported_is_valid_and_equals_the_engine)."""
    shown = figures(recalculated[1][stem])
    numbers = [(s, c, v) for s, c, v in shown if isinstance(v, (int, float)) or (isinstance(v, str) and re.search(r"\d", v))]
    if first is None:
        assert len([v for _, _, v in shown if isinstance(v, (int, float))]) >= 30, shown  # the figures are there
        assert not [x for x in shown if x[2] == HIDDEN]
        return
    assert not numbers, numbers[:10]
    hidden = [x for x in shown if x[2] == HIDDEN]
    assert len(hidden) >= 40, shown  # every figure, not a blank page: the cells say why
    assert {c for s, c, _ in hidden if s == "Cover"} == {c for s, c, _ in shown if s == "Cover"}
    cover = recalculated[1][stem]["Cover"]  # no error value on the Cover either (its parity flag read #VALUE!)
    errors = [c.coordinate for row in cover.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("#")]
    assert not errors, errors


def test_every_yearly_row_and_list_read_is_checked_with_the_loaders_bounds() -> None:
    """Every yearly row and numeric list some formula reads has a range validation over its cells and a Checks row;
    its bounds are the loader's: a value passes the workbook's check exactly when the loader accepts it."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from tem.assumptions.fields import YEARLY_LIMITS, bound_problem

    a = tem.load(BASE)
    wb, _ = build_workbook(tem.run(a), a)
    ws, checks = wb["Inputs"], wb["Checks"]
    checked = {checks.cell(r, 1).value: r for r in range(1, checks.max_row + 1)}
    by_range = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    rows = 0
    for r in range(2, ws.max_row + 1):
        path, first_year = ws.cell(r, 1).value, ws.cell(r, FIRST_COL)
        blue = first_year.fill.fill_type == "solid" and ws.cell(r, 5).value is None
        if not (blue and isinstance(first_year.value, float)):
            continue
        rows += 1
        last = max(c for c in range(FIRST_COL, ws.max_column + 1) if ws.cell(r, c).value is not None)
        dv = by_range[f"{first_year.coordinate}:{ws.cell(r, last).coordinate}"]
        assert dv.type == "custom", path
        assert dv.showErrorMessage, path
        assert path in dv.error, path
        assert path in checked, path
        assert checks.cell(checked[path], 6).value.startswith("=IF(AND(IFERROR(SUMPRODUCT(ISNUMBER(Inputs!$G$"), path
    assert rows >= 60  # the base reads some 70 yearly rows and lists

    # by hand: a BCD rate is a share over the 20 years FY26-FY45 (G:Z); a ramp over its entries only
    bcd = checked["cells.imported.bcd_rate_vehicle"]
    assert checks.cell(bcd, 2).value.startswith("in each cell a number >= 0 and <= 1; a fraction, not a percent")
    r = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "cells.imported.bcd_rate_vehicle")
    span = f"Inputs!$G${r}:$Z${r}"
    within = f"AND(IFERROR(SUMPRODUCT(ISNUMBER({span})*({span}>=0)*({span}<=1))=20,FALSE),COUNTA(Inputs!$AA${r}:$BD${r})=0)"
    assert checks.cell(bcd, 6).value == f'=IF({within},"OK","INVALID")'
    ramp = a.capex.phases[[p.name for p in a.capex.phases].index("cell_plant_1")].utilization_ramp
    ramp_path = "capex.phases.cell_plant_1.utilization_ramp"
    ramp_row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == ramp_path)
    assert f"G{ramp_row}:{ws.cell(ramp_row, FIRST_COL + len(ramp) - 1).column_letter}{ramp_row}" in by_range

    @settings(max_examples=300, deadline=None)
    @given(st.sampled_from(sorted(YEARLY_LIMITS)), st.floats(-3, 3) | st.sampled_from([-1.0, 0.0, 1.0, 20.0, -5.0]))
    def same_as_the_loader(bound: str, x: float) -> None:
        from tem.exports.workbook.allowed import Allowed

        lo, lo_open, hi, hi_open = YEARLY_LIMITS[bound]
        item = Allowed("p", "Inputs!$G$2", lo=lo, lo_open=lo_open, hi=hi, hi_open=hi_open, span=2)
        assert item.holds_all([x, 0.5]) == (bound_problem(x, bound) is None)

    same_as_the_loader()


def test_a_rate_grown_past_one_by_its_growth_path_stays_allowed_as_exported() -> None:
    """The loader allows a rate above 1 only where a growth path carries it there (a value as written is at most 1):
    such a row keeps only its lower bound (> -1), so the workbook as exported is valid; a share never relaxes."""
    a = tem.load(BASE, {"capex.escalation_rate": {"start": 0.5, "growth": 1.0}})  # 0.5, 1, 2, 4 ... by FY
    wb, expect = build_workbook(tem.run(a), a)
    checks = wb["Checks"]
    rows = {checks.cell(r, 1).value: r for r in range(1, checks.max_row + 1)}
    r = rows["capex.escalation_rate"]
    assert checks.cell(r, 2).value == "in each cell a number > -1; nothing typed after FY45, the last year (not read)"
    assert expect[("Checks", r, 6)] == "OK"
    assert expect[("Checks", r, 5)] == 0.5 * 2.0**19  # the highest, FY45
    assert expect[("Checks", 6, 5)] == "OK"
    share = rows["cells.imported.bcd_rate_vehicle"]
    assert checks.cell(share, 2).value.startswith("in each cell a number >= 0 and <= 1")
