"""The workbook accepts what tem's loader accepts, beyond each field's own bounds (review: gaps left by the last
wave): a grey input (no formula reads it) is checked too, the loader's rules between inputs (a commissioning year
inside the horizon, spending after a gate's decision, a spend profile summing to 1, the PLI's first year, the
perpetuity growth below the discount rate) are Checks rows, and a value typed after a yearly row's last year or a
list's last entry (not read) is named. An edit the loader refuses reads "invalid input" on the Summary and the
Cover; a valid one gives the numbers of ``tem.load(base, {path: value})`` (parity). Recalculated by LibreOffice."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import openpyxl
import pytest

import tem
from tem import catalogue
from tem.analysis.summary import board_summary
from tem.assumptions.walk import iter_leaves
from tem.errors import AssumptionError
from tem.exports.workbook.allowed import Allowed
from tem.exports.workbook.build import build_workbook
from tem.exports.workbook.checks import HIDDEN
from tem.exports.workbook.grid import FIRST_COL
from tem.exports.workbook.inputs_sheet import UNREAD_NOTE
from tem.exports.workbook.rules import year_limits
from tem.finance import IRR_STATUS_SHORT
from tem.model.inputs import NEVER_FY
from tests.exports.workbook.test_allowed_inputs import VALID_START, figures
from tests.support.libreoffice import recalculate, require_soffice

ROOT = Path(__file__).parents[3]
BASE = ROOT / "assumptions" / "base.yaml"
SPEND_1 = "Pack line 1: spend profile sums to 1 (all of its capex)"
PLI = "ACC PLI: the incentive's first year within FY26-FY45 while the PLI is received"
PERPETUITY = "Terminal value: perpetuity growth below the discount rate"
# (file stem, edits as (path, position along the row or None for column E, value), the Checks rows that must read
# INVALID (none: a valid edit, compared with the engine)); a position past a row's last value is a cell after it
PH = "capex.phases."
CASES: list[tuple[str, list[tuple[str, int | None, float | str]], list[str]]] = [
    # 1. grey inputs (no formula reads them): out of the loader's bounds, or a structure the workbook cannot follow
    ("grey_capacity", [(PH + "rnd_centre.capacity_gwh", None, 1.0)], [PH + "rnd_centre.capacity_gwh"]),
    ("grey_ramp", [(PH + "module_line.utilization_ramp", 0, 80.0)], [PH + "module_line.utilization_ramp"]),
    ("grey_row", [("transition.bought_in_pack_fob_usd_per_kwh", 4, -5.0)], ["transition.bought_in_pack_fob_usd_per_kwh"]),
    ("horizon", [("timeline.horizon_years", None, 25.0)], ["timeline.horizon_years"]),
    ("first_fy", [("timeline.first_fy", None, 2027.0)], ["timeline.first_fy"]),
    ("grey_choice", [("transition.local_cell_allocation", None, "max_margin")], ["transition.local_cell_allocation"]),
    ("gate_op", [(PH + "cell_plant_1.gate.when.0.op", None, "<=")], [PH + "cell_plant_1.gate.when.0.op"]),
    ("grey_valid", [("transition.bought_in_pack_fob_usd_per_kwh", 4, 80.0)], []),
    # 2. the loader's rules beyond one field's bounds
    (
        "commissioning_late",
        [(PH + "pack_line_3.commissioning_fy", None, 2046.0)],
        [PH + "pack_line_3.commissioning_fy"],
    ),
    (
        "spend_early",
        [(PH + "pack_line_1.commissioning_fy", None, 2027.0)],
        [PH + "pack_line_1.commissioning_fy"],
    ),
    (
        "unspend",
        [(PH + "cell_plant_1.commissioning_fy", None, 2030.0)],
        [PH + "cell_plant_1.commissioning_fy"],
    ),
    ("spend_sum", [(PH + "pack_line_1.spend_profile", 0, 0.5)], [SPEND_1]),
    ("sells_never", [("demand.ess.start_fy", None, 2046.0)], ["demand.ess.start_fy"]),
    ("local_start", [("transition.local_cells_start_fy", None, 2050.0)], ["transition.local_cells_start_fy"]),
    ("price_base", [("capex.price_base_fy", None, 2047.0)], ["capex.price_base_fy"]),
    ("pli_start", [("cells.local.pli.enabled", None, 1.0), ("cells.local.pli.start_fy", None, 2050.0)], [PLI]),
    (
        "perpetuity",
        [("valuation.terminal_value_method", None, "perpetuity"), ("valuation.terminal_growth_rate", None, 0.2)],
        [PERPETUITY],
    ),
    (
        "threshold_text",
        [(PH + "cell_plant_1.gate.when.0.threshold", None, "abc")],
        [PH + "cell_plant_1.gate.when.0.threshold"],
    ),
    (
        "rules_valid",  # each rule met at a new value: the engine's numbers
        [
            (PH + "pack_line_3.commissioning_fy", None, 2035.0),
            ("valuation.terminal_value_method", None, "perpetuity"),
            ("valuation.terminal_growth_rate", None, 0.03),
            (PH + "pack_line_1.spend_profile", 0, 0.3),
            (PH + "pack_line_1.spend_profile", 1, 0.4),
            (PH + "pack_line_1.spend_profile", 2, 0.3),
        ],
        [],
    ),
    ("pli_off", [("cells.local.pli.start_fy", None, 2050.0)], []),  # not received: its year is not checked
    ("never", [("transition.local_cells_start_fy", None, 1e6)], []),  # null in the assumptions: never
    # 3. values typed after the last value read
    ("past_horizon", [("timeline.inr_per_usd", 20, 95.0)], ["timeline.inr_per_usd"]),
    ("past_ramp", [(PH + "cell_plant_1.utilization_ramp", 4, 0.9)], [PH + "cell_plant_1.utilization_ramp"]),
]


def _row(ws: Any, path: str) -> int:
    (row,) = [r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == path]
    return row


def edit(source: Path, edits: list[tuple[str, int | None, float | str]], target: Path) -> None:
    wb = openpyxl.load_workbook(source)
    ws = wb["Inputs"]
    for path, t, value in edits:
        ws.cell(_row(ws, path), 5 if t is None else FIRST_COL + t).value = value
    wb.save(target)


def overrides(source: Path, edits: list[tuple[str, int | None, float | str]]) -> dict[str, Any]:
    """The same edits as ``tem.load`` overrides: a scalar as typed, a row or list as its values with the edit."""
    ws = openpyxl.load_workbook(source)["Inputs"]
    out: dict[str, Any] = {}
    for path, t, value in edits:
        if path == "transition.local_cells_start_fy" and value == NEVER_FY:
            out[path] = None  # never: null in the assumptions
            continue
        if t is None:  # a whole number where the schema wants one (a spreadsheet cell holds 2035.0 for 2035)
            whole = isinstance(value, float) and value.is_integer() and path.endswith(("_fy", "_years"))
            out[path] = int(value) if whole else value
            continue
        r = _row(ws, path)
        row = out.get(path) or [ws.cell(r, c).value for c in range(FIRST_COL, ws.max_column + 1)]
        row = [x for x in row if x is not None]
        row[t] = value
        out[path] = row
    return out


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, openpyxl.Workbook]]:
    require_soffice()
    tmp = tmp_path_factory.mktemp("rules")
    a = tem.load(BASE)
    result = tem.run(a)
    wb, _ = build_workbook(result, a, None, board_summary(a, result))
    source = tmp / "base.xlsx"
    wb.save(source)
    files = []
    for stem, edits, _ in CASES:
        edit(source, edits, tmp / f"{stem}.xlsx")
        files.append(tmp / f"{stem}.xlsx")
    outs = recalculate(files, tmp / "out", tmp / "profile")
    return source, {out.stem: openpyxl.load_workbook(out, data_only=True) for out in outs}


@pytest.mark.parametrize(("stem", "edits", "invalid"), CASES, ids=[c[0] for c in CASES])
def test_the_loader_refuses_exactly_what_the_workbook_flags(
    recalculated: tuple, stem: str, edits: list, invalid: list[str]
) -> None:
    """The loader's verdict on the same edit: refused where the workbook names an invalid input or rule."""
    source, books = recalculated
    values = books[stem]
    checks = values["Checks"]
    statuses = {checks.cell(r, 1).value: checks.cell(r, 6).value for r in range(1, checks.max_row + 1)}
    flagged = sorted(k for k, s in statuses.items() if s == "INVALID")
    assert flagged == sorted(invalid), flagged
    shown = figures(values)
    if invalid:
        first = next(k for k, s in statuses.items() if s == "INVALID")
        more = f" and {len(invalid) - 1} more" if len(invalid) > 1 else ""
        assert checks["E6"].value == f"invalid input: {first}{more} (not an allowed value: see Checks)"
        assert values["Summary"]["A2"].value.startswith(checks["E6"].value + ": no verdict")
        assert not [x for x in shown if isinstance(x[2], (int, float))], shown[:5]
        assert len([x for x in shown if x[2] == HIDDEN]) >= 40
        if stem in ("horizon", "first_fy", "grey_choice", "gate_op", "past_horizon", "past_ramp"):
            return  # the loader accepts these: the workbook cannot follow them (fixed here, or not read)
        with pytest.raises(AssumptionError):
            tem.load(BASE, overrides(source, edits))
        return
    assert checks["E6"].value == "OK"
    assert checks["E3"].value == "OK"
    assert values["Summary"]["A2"].value.startswith(VALID_START)
    assert not [x for x in shown if x[2] == HIDDEN]
    want = tem.run(tem.load(BASE, overrides(source, edits))).kpis
    kpis = values["KPIs"]
    got = {kpis.cell(r, 4).value: kpis.cell(r, 2).value for r in range(4, kpis.max_row + 1) if kpis.cell(r, 4).value}
    compared = 0
    for key, x in got.items():
        if key not in want:
            continue
        w = want[key]
        if w is None and key in ("irr", "equity_irr"):
            assert x == IRR_STATUS_SHORT[int(want[f"{key}_status"])], (key, x)
        elif w is None:
            assert x == "none", (key, x)
        elif catalogue.kpi(key).kind == "fy":
            assert x == catalogue.format_value(key, int(w)), (key, x, w)
        else:
            assert math.isclose(x, float(w), rel_tol=1e-9, abs_tol=1e-9), (key, x, w)
        compared += 1
    assert compared >= 15


def test_year_bounds_are_the_loaders() -> None:
    """Each fiscal-year input the horizon or a gate narrows: the workbook's allowed years are exactly those the
    loader accepts (by hand: pack line 1 spends 3 years, so FY28-FY45; cell plant 1 and cell plant 2, which
    requires it, spend 3 years after the FY28 gate, so FY31-FY45; ESS sales start by FY45)."""
    a = tem.load(BASE)
    by_hand = {
        "capex.phases.pack_line_1.commissioning_fy": (2028, 2045),
        "capex.phases.cell_plant_1.commissioning_fy": (2031, 2045),
        "capex.phases.cell_plant_2.commissioning_fy": (2031, 2045),
        "demand.ess.start_fy": (2000, 2045),
        "transition.local_cells_start_fy": (2026, 2045),
        "capex.price_base_fy": (2026, 2045),
    }
    for path, (lo, hi) in by_hand.items():
        limits = year_limits(a, path)
        assert limits is not None, path
        item = Allowed(path, "Inputs!$E$2", lo=max(2000.0, limits[0]), hi=min(2100.0, limits[1]), whole=True)
        assert [y for y in range(1995, 2105) if item.holds(float(y))] == list(range(lo, hi + 1)), path
        for y in (lo - 1, lo, hi, hi + 1):  # the loader at each edge
            try:
                tem.load(BASE, {path: y})
                accepted = True
            except AssumptionError:
                accepted = False
            assert accepted == item.holds(float(y)), (path, y)
    assert year_limits(a, "cells.local.pli.start_fy") is None  # a rule with its switch (a Checks row)


def test_grey_numbers_change_nothing_in_the_engine() -> None:
    """A grey number (no formula of the workbook reads it) may take any value the loader allows: the engine does
    not read it either, so the workbook's figures stay equal to tem's. Each is moved within its bounds here."""
    a = tem.load(BASE)
    result = tem.run(a)
    wb, _ = build_workbook(result, a, None, board_summary(a, result))
    ws = wb["Inputs"]
    grey = {str(ws.cell(r, 1).value) for r in range(1, ws.max_row + 1) if UNREAD_NOTE in str(ws.cell(r, 4).value)}
    leaves = {leaf.path: leaf.value for leaf in iter_leaves(a)}
    moved = 0
    for path in sorted(grey):
        value = leaves.get(path)
        if path == "transition.bought_in_pack_fob_usd_per_kwh":  # a yearly path, in any form: a new level
            value = 70.0
        if isinstance(value, bool) or not isinstance(value, (int, float, list)) or path.startswith("timeline."):
            continue  # a choice (fixed), the horizon (fixed)
        if path.endswith("capacity_gwh"):
            continue  # must stay 0 (checked by its Checks row)
        if isinstance(value, list):
            new: Any = [min(1.0, 0.5 * x + 0.25) for x in value] + [0.7]  # a ramp: other shares, one longer
        elif isinstance(value, float) and value < 1:
            new = value * 0.5 + 0.01
        else:
            new = value + 5
        kpis = tem.run(tem.load(BASE, {path: new})).kpis
        assert kpis == result.kpis, path
        moved += 1
    assert moved >= 3, sorted(grey)


def test_rule_rows_read_as_words() -> None:
    """The rules' rows name phases and inputs in words (the catalogue's), never a raw key."""
    a = tem.load(BASE)
    wb, _ = build_workbook(tem.run(a), a)
    checks = wb["Checks"]
    labels = [str(checks.cell(r, 1).value) for r in range(1, checks.max_row + 1)]
    rules = [x for x in labels if "spend profile sums to 1" in x or x in (PLI, PERPETUITY)]
    assert len(rules) == len(a.capex.phases) + 2
    assert SPEND_1 in rules
    assert not [x for x in rules if "_" in x or "capex." in x]


def test_allowed_past_the_end_by_hand() -> None:
    item = Allowed("x", "Inputs!$G$14", lo=0.0, span=20, past=30, after="FY45, the last year (not read)")
    assert item.past_cells == "Inputs!$AA$14:$BD$14"
    assert item.valid().startswith("AND(IFERROR(SUMPRODUCT(ISNUMBER(Inputs!$G$14:$Z$14)")
    assert item.valid().endswith(",COUNTA(Inputs!$AA$14:$BD$14)=0)")
    assert item.text.endswith("; nothing typed after FY45, the last year (not read)")
