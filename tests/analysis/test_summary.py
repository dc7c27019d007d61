"""The board summary (issue 14 item 1): each figure against a value worked out independently (separate engine runs
of the programs and of the inputs found, the statement's own lines)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import tem
from tem import catalogue
from tem.analysis.breakevens import FOB
from tem.analysis.summary import board_summary
from tem.exports.board import BoardSummary, Breakeven
from tem.model.engine import run_inputs
from tem.model.inputs import build_inputs

ROOT = Path(__file__).parents[2]
BASE = ROOT / "assumptions" / "base.yaml"
PHASE_FIELDS = ("capex_inr_cr", "capacity_gwh", "fixed_opex_inr_cr")
PLI_RATE = "cells.local.pli.rate_inr_per_kwh"


@pytest.fixture(scope="module")
def base() -> tuple[tem.Assumptions, tem.Result, BoardSummary]:
    a = tem.load(BASE)
    r = tem.run(a)
    return a, r, board_summary(a, r)


def _without(phases: list[str], **extra: Any) -> tem.Result:
    """The base case with ``phases`` not built (their capex, capacity and fixed opex at zero), run on its own."""
    overrides: dict[str, Any] = {f"capex.phases.{p}.{f}": 0.0 for p in phases for f in PHASE_FIELDS}
    return tem.run(tem.load(BASE, overrides={**overrides, **extra}))


def _fcf(r: tem.Result) -> np.ndarray:
    return r.statement.loc["free_cash_flow", r.fiscal_years].to_numpy(dtype=float)


def test_decisions_are_nested_programs(base: tuple) -> None:
    _, r, s = base
    k = r.kpis
    names = [d.name for d in s.decisions]
    assert names == ["Pack business on imported cells", "+ module line and pilot cells", "+ cell plants", "+ recycling"]
    last = s.decisions[-1]
    # the whole program (no gates in the base): the last step is the run itself
    assert last.npv_inr_cr == pytest.approx(k["npv_inr_cr"], rel=1e-12)
    assert last.irr == pytest.approx(k["irr"], rel=1e-12)
    assert last.peak_funding_inr_cr == pytest.approx(k["peak_funding_inr_cr"], rel=1e-12)
    assert s.as_run.npv_inr_cr == k["npv_inr_cr"]
    # the pack business is the import-only counterfactual here (same phases dropped, no technology fee)
    assert s.decisions[0].npv_inr_cr == pytest.approx(k["npv_import_only_inr_cr"], rel=1e-9)
    # increments add up to the program
    assert sum(d.npv_increment_inr_cr for d in s.decisions) == pytest.approx(k["npv_inr_cr"], rel=1e-12)
    # "+ recycling" on its own: the program without the recycling line, run separately
    without = _without(["recycling_line"])
    assert s.decisions[2].npv_inr_cr == pytest.approx(without.kpis["npv_inr_cr"], rel=1e-9)
    diff = _fcf(r) - _fcf(without)
    t = np.arange(diff.size)
    rate = s.decisions[3].irr_increment
    assert rate is not None
    assert abs(np.sum(diff * (1 + rate) ** -(t + 1.0))) < 1e-9 * np.abs(diff).sum()
    # DVA of the last DVA year, from the statement
    fy = s.dva_fy
    assert s.as_run.dva_share == pytest.approx(float(r.statement.loc["dva_share", fy]), rel=1e-12)


def test_funding_split_adds_up_and_price_against_cost(base: tuple) -> None:
    _, r, s = base
    st, fys = r.statement, r.fiscal_years
    assert s.peak_funding_inr_cr == r.kpis["peak_funding_inr_cr"]
    split = dict(s.funding_split_inr_cr)
    assert sum(split.values()) == pytest.approx(s.peak_funding_inr_cr, rel=1e-12)
    upto = [f for f in fys if 2000 + int(f[2:]) <= s.peak_funding_fy]
    spend = [i for i in st.index if i.startswith("capex_") and i != "capex_total"]
    spend += ["maintenance_capex", "replacement_capex"]
    capex = -float(st.loc[spend, upto].to_numpy(dtype=float).sum()) - float(st.loc["state_capital_subsidy", upto].sum())
    assert split["capex net of the state subsidy"] == pytest.approx(capex, rel=1e-12)
    df = st.loc["discount_factor", fys].to_numpy(dtype=float)
    revenue = st.loc["revenue_total", fys].to_numpy(dtype=float)
    kwh = (st.loc["pack_output_gwh", fys] + st.loc["bought_in_packs_gwh", fys]).to_numpy(dtype=float)
    assert s.levelized_price_inr_per_kwh == pytest.approx(np.sum(revenue * df) / np.sum(kwh * df) * 10.0, rel=1e-12)


def _at(a: tem.Assumptions, b: Breakeven) -> dict[str, Any]:
    """Overrides that set the breakeven's input to the value found, written independently of the search."""
    assert b.value is not None
    if b.input_label.startswith("Imported cell price"):
        path = dict(tem.load(BASE).cells.imported.fob_price_usd_per_kwh)
        scale = b.value / b.base_value
        return {FOB: {k: (v * scale if k.startswith("FY") else v) for k, v in path.items()}}
    if b.input_label.startswith("Local-supply price premium"):
        return {f"demand.{s}.price_premium": b.value for s in ("external_oem", "ess")}  # flat -3% in the base
    return {"cells.local.pli.enabled": True, "cells.local.pli.rate_inr_per_kwh": b.value}


def test_breakevens_hit_their_targets_when_re_run(base: tuple) -> None:
    a, _r, s = base
    found = {(b.input_label.split(" (")[0], b.kpi): b for b in s.breakevens}
    assert len(s.breakevens) == 7
    for b in s.breakevens:
        if b.value is None:
            continue
        at = tem.run(tem.load(BASE, overrides=_at(a, b))).kpis[b.kpi]
        assert at == pytest.approx(b.target, abs=1e-4 if b.kpi != "irr" else 1e-9), (b.input_label, b.target_label)
    # dearer imports make local cells pay; a local-supply premium is needed for the program to break even
    local = found[("Imported cell price", "incremental_npv_vs_import_inr_cr")]
    assert local.value is not None
    assert local.value > local.base_value
    premium = found[("Local-supply price premium over the landed imported pack", "npv_inr_cr")]
    assert premium.value is not None
    assert premium.value > premium.base_value == -0.03
    # production support: none in range (the PLI's caps bind): the NPV stays below zero at the top of the range
    pli = found[("Production support per kWh of local cells", "npv_inr_cr")]
    assert pli.value is None
    top = tem.run(tem.load(BASE, overrides={"cells.local.pli.enabled": True, PLI_RATE: pli.searched[1]}))
    assert top.kpis["npv_inr_cr"] < 0


def test_no_breakeven_where_the_input_does_not_matter() -> None:
    a = tem.load(ROOT / "assumptions" / "scenarios" / "pack_plant_only.yaml")
    s = board_summary(a, tem.run(a))
    local = [b for b in s.breakevens if b.kpi == "incremental_npv_vs_import_inr_cr"]
    assert [b.value for b in local] == [None]  # no cells: localizing never adds anything
    assert [d.name for d in s.decisions] == ["Pack business on imported cells"]


def test_verdict_and_title_built_from_the_numbers(base: tuple) -> None:
    _, r, s = base
    k = r.kpis
    assert s.title == "Battery localization program: base"
    assert s.verdict.startswith(f"At these assumptions the program destroys value (NPV {k['npv_inr_cr']:,.0f} INR crore)")
    assert f"its IRR of {k['irr']:.1%} is below the 14.5% hurdle" in s.verdict
    assert f"recycling +{s.decisions[-1].npv_increment_inr_cr:,.0f} INR crore" in s.verdict
    fob = next(b for b in s.breakevens if b.kpi == "npv_inr_cr" and b.input_label.startswith("Imported"))
    assert f"imported cells at USD {fob.value:,.1f}/kWh or more" in s.verdict


def test_gates_are_listed() -> None:
    a = tem.load(ROOT / "assumptions" / "base.yaml")  # cell plant 1 behind its FY28 gate
    r = tem.run(a)
    s = board_summary(a, r)
    assert [g.phase for g in s.gates] == list(dict.fromkeys(r.gates["phase"]))
    assert all(g.go == bool(r.built[g.phase]) for g in s.gates if g.phase in r.built)
    assert s.as_run.what == "with its gates decided"


@pytest.mark.parametrize("scenario", ["base.yaml", "scenarios/cell_price_war.yaml"])
def test_the_steps_add_up_to_the_run_and_the_gates_value_is_stated(scenario: str) -> None:
    """Each step is a program with its gates decided, so the increments add up to the NPV of the run; with a gate
    that says no go (cell_price_war), the gates' value is the run's NPV minus the committed program's, worked out
    from a separate engine run with every gate forced open."""
    a = tem.load(ROOT / "assumptions" / scenario)
    r = tem.run(a)
    s = board_summary(a, r)
    increments = [d.npv_increment_inr_cr for d in s.decisions]
    assert all(x is not None for x in increments)
    assert sum(x for x in increments if x is not None) == pytest.approx(r.kpis["npv_inr_cr"], rel=1e-9)
    no_go = [g for g in s.gates if not g.go]
    if not no_go:
        assert s.gates_clause is None
        assert "its gates stop" not in s.verdict
        return
    committed = float(run_inputs(build_inputs(a), gates="open")[0].kpis["npv_inr_cr"][0])
    assert s.gates_value_inr_cr == pytest.approx(r.kpis["npv_inr_cr"] - committed, rel=1e-9)
    value = catalogue.format_value("npv_inr_cr", s.gates_value_inr_cr)
    assert f"are worth {'+' if s.gates_value_inr_cr > 0 else ''}{value} INR crore" in s.verdict
