"""Every breakeven the summary page cannot give says why (review: the PLI-rate breakevens read a bare "none in range"
in every scenario file; a gate deciding otherwise at the root was not said; an error of the goal seek showed
"none computed" with no reason). The reasons are checked against independent engine runs at the points named."""

from __future__ import annotations

import glob
import html
import io
from pathlib import Path

import numpy as np
import openpyxl
import pytest

import tem
import tem.analysis.summary as summary_module
from tem.analysis.breakevens import FOB, PLI, breakevens
from tem.analysis.summary import board_summary
from tem.errors import BatchInputError
from tem.exports.board import breakeven_text
from tem.exports.report.page import render_report
from tem.exports.workbook.build import render_with_report
from tem.model.batch_inputs import with_values
from tem.model.engine import run_batch_inputs, run_inputs
from tem.model.inputs import build_inputs

ROOT = Path(__file__).parents[2]
SCENARIOS = ROOT / "assumptions" / "scenarios"


def pli_paid_inr_cr(a: tem.Assumptions, rates: list[float], **extra: float) -> np.ndarray:
    """The PLI paid over its term at each rate (switched on), from the engine's yearly PLI line."""
    n = len(rates)
    values = {PLI + "rate_inr_per_kwh": np.array(rates), PLI + "enabled": np.ones(n)}
    values |= {PLI + k: np.full(n, v) for k, v in extra.items()}
    outcome, _ = run_inputs(with_values(build_inputs(a), values), full_counterfactual=False)
    return np.asarray(outcome.operations.pli_incentive).sum(axis=1)


def test_the_pli_breakevens_say_which_cap_binds_and_from_where() -> None:
    """base: the yearly cap (20% of the local cells' market value) binds between grid points 1,750 and 2,000
    INR/kWh: the support grows in proportion to the rate up to 1,750 and no longer at 2,000 (the total cap, 2,896
    crore, is not reached); fast_localization: the total cap binds between 1,500 and 1,750."""
    a = tem.load(ROOT / "assumptions" / "base.yaml")
    pli = [b for b in breakevens(a, 0.145) if b.input_label.startswith("Production support")]
    assert [b.value for b in pli] == [None, None]
    paid = pli_paid_inr_cr(a, [250.0, 1750.0, 2000.0, 10_000.0])
    assert paid[1] == pytest.approx(7 * paid[0], rel=1e-9)  # in proportion: no cap yet
    assert paid[2] < 8 * paid[0] * (1 - 1e-6)  # capped
    assert paid[3] < 2896.0  # the total cap is not what binds
    grid = np.linspace(0, 10_000, 41)
    on = {PLI + "rate_inr_per_kwh": grid, PLI + "enabled": np.ones(41)}
    best = run_batch_inputs(build_inputs(a), on, workers=1, funded=False)["npv_inr_cr"].max()
    assert breakeven_text(pli[0]) == (
        f"none in range (0 to 10,000 INR/kWh): NPV stays below 0 INR crore over the range (at most {best:,.0f} INR "
        "crore); the PLI's yearly cap (20% of the local cells' market value) binds from a rate between 1,750 and "
        f"2,000 INR/kWh upward (the search grid's step): at most {pli_paid_inr_cr(a, list(grid)).max():,.0f} INR "
        "crore paid over its term"
    )
    assert pli[1].why.startswith("IRR stays below 14.5% over the range (at most ")
    fast = tem.load(SCENARIOS / "fast_localization.yaml")
    (npv,) = [b for b in breakevens(fast, 0.145) if b.input_label.startswith("Production") and b.kpi == "npv_inr_cr"]
    assert "the PLI's total cap of INR 2,896 crore binds from a rate between 1,500 and 1,750 INR/kWh upward" in npv.why
    paid = pli_paid_inr_cr(fast, [1500.0, 1750.0])
    assert paid[0] < 2896.0
    assert paid[1] == pytest.approx(2896.0, rel=1e-12)


def test_every_breakeven_not_found_says_why_in_every_scenario_file() -> None:
    files = [ROOT / "assumptions" / "base.yaml", *map(Path, sorted(glob.glob(str(SCENARIOS / "*.yaml"))))]
    assert len(files) == 26
    pli_reasons = 0
    for path in files:
        a = tem.load(path)
        for b in breakevens(a, float(a.valuation.hurdle_rate)):
            if b.value is None:
                assert b.why, (path.name, b.input_label, b.target_label)
                assert breakeven_text(b).startswith("none in range (")
                assert b.why in breakeven_text(b)
                pli_reasons += "the PLI's" in b.why
    assert pli_reasons >= 40  # two targets in most files: a cap binds


def test_a_root_only_where_a_gate_decides_otherwise_is_said_with_where_the_gate_flips() -> None:
    """cell_price_war: cell plant 1's FY28 gate says no go at the base price; every target is reached only at
    prices where it says go. The page says so and where the gate opens, between two grid points that the engine
    confirms (closed at the lower, open at the upper)."""
    a = tem.load(SCENARIOS / "cell_price_war.yaml")
    found = [b for b in breakevens(a, float(a.valuation.hurdle_rate)) if b.kind == "usd_kwh"]
    assert [b.value for b in found] == [None, None, None]
    inp = build_inputs(a)
    fob = np.asarray(inp.arrays[FOB], dtype=float).reshape(1, -1)
    for b in found:
        assert b.why.startswith("none with the gates as run; cell plant 1's gate opens above an FY26 price between ")
        lo, hi = (float(x) for x in b.why.split("between ")[1].split(" USD/kWh")[0].split(" and "))
        assert 0 < hi - lo <= (b.searched[1] - b.searched[0]) / 40 + 0.05  # one step of the 41-point grid
        k = run_batch_inputs(inp, {FOB: fob * (np.array([lo, hi]) / fob[0, 0])[:, None]}, workers=1)
        assert k["gate_passed_cell_plant_1"].tolist() == [0.0, 1.0]
    # the committed-at-a-dear-price root exists: NPV = 0 is crossed where the plant is built
    xs = np.linspace(*found[1].searched, 41)
    k = run_batch_inputs(inp, {FOB: fob * (xs / fob[0, 0])[:, None]}, workers=1)
    built = k["gate_passed_cell_plant_1"] == 1
    assert np.any(k["npv_inr_cr"][built] > 0)


def test_a_failed_goal_seek_is_said_on_the_summary_page(monkeypatch: pytest.MonkeyPatch) -> None:
    def fails(*_: object) -> None:
        raise BatchInputError("unknown input path 'cells.local.pli.rate_inr_per_kwh'")

    monkeypatch.setattr(summary_module, "breakevens", fails)
    a = tem.load(ROOT / "assumptions" / "base.yaml")
    r = tem.run(a)
    s = board_summary(a, r)
    said = "none computed: the goal seek failed: unknown input path 'cells.local.pli.rate_inr_per_kwh'"
    assert s.breakevens == ()
    assert said in html.unescape(render_report(r, {}, summary=s).decode())
    data, _ = render_with_report(r, a, None, s)
    ws = openpyxl.load_workbook(io.BytesIO(data))["Summary"]
    assert said in [c.value for row in ws.iter_rows() for c in row]


def test_the_pli_text_names_the_plant_a_closed_gate_leaves_unbuilt() -> None:
    """cell_price_war: cell plant 1's gate closes in the run, so only the pilot line's cells earn the PLI; the
    text said only that the yearly cap binds (at most 27 crore paid), as if the cap were the reason."""
    a = tem.load(SCENARIOS / "cell_price_war.yaml")
    pli = [b for b in breakevens(a, 0.145) if b.input_label.startswith("Production")]
    assert [b.value for b in pli] == [None, None]
    for b in pli:
        assert b.why.endswith("paid over its term (cell plant 1 not built in this run: its gate closes)")
    base = [b for b in breakevens(tem.load(ROOT / "assumptions" / "base.yaml"), 0.145) if b.kind == "inr_kwh"]
    assert all("not built" not in b.why for b in base)  # every gate opens in the base
