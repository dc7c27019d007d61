"""The Excel workbook: structure, text safety, and parity with the engine proven by LibreOffice.

Every formula cell with an engine counterpart is compared after a real spreadsheet engine recalculates the
file (rel 1e-9, abs 1e-9). LibreOffice-dependent tests skip without soffice, and fail instead when
TEM_REQUIRE_LIBREOFFICE=1 (CI sets it).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import openpyxl

import tem
from tem.exports.workbook.build import build_workbook, render_workbook
from tem.finance import IRR_STATUS_SHORT
from tests.support.libreoffice import recalculate

ROOT = Path(__file__).parents[3]
SCENARIOS = sorted((ROOT / "assumptions" / "scenarios").glob("*.yaml"))
IRR_TEXTS = set(IRR_STATUS_SHORT.values()) - {IRR_STATUS_SHORT[0]}
GATED = sorted((ROOT / "tests" / "data" / "gates").glob("*.yaml"))  # gates passing and failing, every gate line


def compare(expect: dict, values: openpyxl.Workbook) -> list[tuple]:
    """Mismatches between the engine's values and the recalculated cells; where the engine has none, the cell
    must be empty, an error (#N/A) or, for the IRR, the text of its status."""
    bad = []
    for (sheet, row, col), want in expect.items():
        got = values[sheet].cell(row, col).value
        if isinstance(want, str):  # text results: "none", "OK", labels; "" comes back as an empty cell
            if not (got == want or (want == "" and got is None)):
                bad.append((sheet, row, col, want, got, values[sheet].cell(row, 2).value))
        elif not isinstance(got, (int, float)) or not math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-9):
            bad.append((sheet, row, col, want, got, values[sheet].cell(row, 2).value))
    return bad


def _gate_before_spend(overrides: dict) -> dict:
    """The base decides cell plant 1 at the end of FY28; a perturbation that commissions it in FY30 (spending from
    FY28) takes that gate a year earlier, so the gate's decision year varies too."""
    if overrides["capex.phases.cell_plant_1.commissioning_fy"] < 2031:
        overrides["capex.phases.cell_plant_1.gate.decide_fy"] = 2027
    return overrides


def perturbed(seed: int) -> tem.Assumptions:
    rng = np.random.default_rng(seed)
    overrides = {
        "cells.imported.fob_price_usd_per_kwh": {
            "start": float(rng.uniform(38, 65)),
            "growth": float(rng.uniform(-0.05, 0.0)),
        },
        "timeline.discount_rate": float(rng.uniform(0.08, 0.16)),
        "timeline.inr_per_usd": {"start": float(rng.uniform(80, 95)), "growth": float(rng.uniform(0.0, 0.04))},
        "transition.local_cells_start_fy": int(rng.integers(2029, 2033)),
        "transition.ramp_years": int(rng.integers(1, 6)),
        "capex.phases.cell_plant_1.capex_inr_cr": float(rng.uniform(2000, 3500)),
        "capex.phases.cell_plant_1.commissioning_fy": int(rng.integers(2030, 2034)),
        "cells.local.conversion_learning_rate": float(rng.uniform(0.0, 0.25)),
        "pack.pack_yield": float(rng.uniform(0.95, 1.0)),
        "demand.ess.price_usd_per_kwh": {"start": float(rng.uniform(70, 100)), "growth": -0.02},
        "demand.captive.price_usd_per_kwh": {"start": float(rng.uniform(80, 110)), "growth": -0.02},
        "tax.loss_carry_forward_years": int(rng.integers(2, 9)),
        "timeline.mid_year_discounting": bool(rng.integers(0, 2)),
        "cells.local.pli.enabled": bool(rng.integers(0, 2)),
        "transition.overflow_policy": str(rng.choice(["import_packs", "unmet"])),
        "valuation.terminal_value_method": str(rng.choice(["none", "perpetuity", "ebitda_multiple"])),
        "valuation.terminal_growth_rate": float(rng.uniform(0.0, 0.04)),
        "valuation.terminal_ebitda_multiple": float(rng.uniform(3, 8)),
        # issue 12: tax structure, half-rate first-year depreciation, and prices high enough that profits come
        # after losses (business losses and unabsorbed depreciation set off)
        "tax.structure": str(rng.choice(["standalone", "within_parent"])),
        "capex.phases.cell_plant_1.tax_half_rate_first_year": bool(rng.integers(0, 2)),
        "capex.phases.pack_line_2.tax_half_rate_first_year": bool(rng.integers(0, 2)),
        "demand.external_oem.price_usd_per_kwh": {"start": float(rng.uniform(75, 130)), "growth": -0.02},
        # the state capital subsidy: share, instalments, lag, cap, tax treatment, eligibility
        "incentives.state_capital_subsidy.enabled": bool(rng.integers(0, 4) > 0),
        "incentives.state_capital_subsidy.share_of_eligible_capex": float(rng.uniform(0.05, 0.9)),
        "incentives.state_capital_subsidy.instalments": int(rng.integers(1, 16)),
        "incentives.state_capital_subsidy.first_instalment_after_years": int(rng.integers(0, 3)),
        "incentives.state_capital_subsidy.cap_inr_cr": None if rng.integers(0, 2) else float(rng.uniform(50, 1500)),
        "incentives.state_capital_subsidy.tax_treatment": str(rng.choice(["reduces_block", "taxable"])),
        "capex.phases.recycling_line.subsidy_eligible_share": float(rng.uniform(0, 1)),
        "capex.phases.pack_line_1.tax_depreciation_rate": float(rng.uniform(0.15, 0.6)),
        "valuation.terminal_value_floor": str(rng.choice(["none", "zero", "salvage"])),
        # capex in real terms: escalation path, base FY, replacement at the end of the book life
        "capex.escalation_rate": {"start": float(rng.uniform(-0.03, 0.08)), "growth": float(rng.uniform(-0.2, 0.2))},
        "capex.price_base_fy": int(rng.integers(2026, 2036)),
        "capex.replacement": str(rng.choice(["maintenance_extends_life", "replace_at_end_of_life"])),
        "capex.phases.pack_line_2.book_life_years": int(rng.integers(4, 16)),
    }
    # per-plant yield ramps: an own ramp for the 5 GWh plant, the second phase restarting or continuing
    overrides["capex.phases.cell_plant_1.yield_ramp"] = sorted(float(x) for x in rng.uniform(0.5, 0.97, 4))
    overrides["capex.phases.cell_plant_2.yield_learning"] = str(rng.choice(["restart", "continue"]))
    # allocation when pack capacity binds and of local cells
    segments = ["captive", "external_oem", "ess"]
    overrides["transition.pack_allocation"] = str(rng.choice(["priority", "pro_rata"]))
    overrides["transition.pack_priority"] = [str(x) for x in rng.permutation(segments)]
    overrides["transition.local_cell_allocation"] = str(rng.choice(["max_margin", "max_saving", "order", "pro_rata"]))
    overrides["transition.local_cell_priority"] = [str(x) for x in rng.permutation(segments)]
    overrides["capex.phases.pack_line_2.capacity_gwh"] = float(rng.uniform(1.0, 6.0))
    for seg in ("captive", "external_oem", "ess"):  # price rules and segment products vary too
        rule = str(rng.choice(["path", "import_parity", "cost_plus"]))
        overrides[f"demand.{seg}.price_rule"] = rule
        if rule != "path":
            overrides[f"demand.{seg}.price_usd_per_kwh"] = None
        overrides[f"demand.{seg}.price_premium"] = {"start": float(rng.uniform(-0.1, 0.1)), "growth": 0.0}
        overrides[f"demand.{seg}.markup"] = float(rng.uniform(0.0, 0.25))
        overrides[f"demand.{seg}.cost_basis"] = str(rng.choice(["variable", "full"]))
        if rng.integers(0, 2):
            overrides[f"demand.{seg}.product.pack_premium_usd_per_kwh"] = float(rng.uniform(10, 25))
        if rng.integers(0, 2):
            overrides[f"demand.{seg}.product.cell_fob_factor"] = float(rng.uniform(0.8, 1.1))
        if rng.integers(0, 2):
            overrides[f"demand.{seg}.product.cell_bcd_rate"] = float(rng.uniform(0.0, 0.25))
            overrides[f"demand.{seg}.product.non_cell_bom_usd_per_kwh"] = float(rng.uniform(8, 20))
    return tem.load(ROOT / "assumptions" / "base.yaml", overrides=_gate_before_spend(overrides))


def renamed_materials() -> tem.Assumptions:
    """The base case with its material groups under unusual but allowed names (issue 10: a name that is not an
    identifier, such as copper-foil, left placeholders in 40 formulas; names are now identifiers)."""
    base = tem.load(ROOT / "assumptions" / "base.yaml")
    names = ["9_cathode", "Anode", "cu__foil_", "X", "electrolyte_2", "separator_9", "can_and_tabs", "other_"]
    groups = {n: g.model_dump() for n, (_, g) in zip(names, base.cells.local.materials.items(), strict=False)}
    return tem.load(ROOT / "assumptions" / "base.yaml", overrides={"cells.local.materials": groups})


def test_material_group_names_fill_every_formula() -> None:
    a = renamed_materials()
    wb, _ = build_workbook(tem.run(a), a)
    formulas = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert formulas
    assert not [f for f in formulas if "{" in str(f)]
    keys = [str(c.value) for row in wb["Calculations"].iter_rows(max_col=1) for c in row if c.value]
    assert any("9_cathode" in k for k in keys)


def funding_perturbed(seed: int) -> tem.Assumptions:
    """The new funding inputs varied together, with the project inputs they interact with (tax, timing, TV)."""
    rng = np.random.default_rng(1000 + seed)
    overrides = {
        "funding.term_debt.debt_share": float(rng.uniform(0.0, 0.9)),
        "funding.term_debt.structure": str(rng.choice(["by_phase", "facility"])),
        "funding.term_debt.interest_rate": {
            "start": float(rng.uniform(0.0, 0.14)),
            "growth": float(rng.uniform(-0.03, 0.03)),
        },
        "funding.term_debt.tenor_years": int(rng.integers(1, 13)),
        "funding.term_debt.moratorium_years": int(rng.integers(0, 4)),
        "funding.term_debt.repayment": str(rng.choice(["equal_principal", "annuity"])),
        "funding.term_debt.upfront_fee_rate": float(rng.uniform(0.0, 0.02)),
        "funding.working_capital_loan.funded_share": float(rng.uniform(0.0, 1.0)),
        "funding.working_capital_loan.interest_rate": float(rng.uniform(0.05, 0.14)),
        "funding.cost_of_equity": float(rng.uniform(0.08, 0.25)),
        "tax.loss_carry_forward_years": int(rng.integers(2, 9)),
        "timeline.mid_year_discounting": bool(rng.integers(0, 2)),
        "valuation.terminal_value_method": str(rng.choice(["none", "perpetuity", "ebitda_multiple"])),
        "valuation.terminal_ebitda_multiple": float(rng.uniform(3, 8)),
        "capex.phases.cell_plant_1.commissioning_fy": int(rng.integers(2030, 2034)),
        "demand.captive.price_rule": "path",  # the base prices captive packs at cost plus; a path varies them here
        "demand.captive.price_usd_per_kwh": {"start": float(rng.uniform(90, 130)), "growth": -0.01},
        "tax.structure": str(rng.choice(["standalone", "within_parent"])),
        "capex.phases.cell_plant_1.tax_half_rate_first_year": bool(rng.integers(0, 2)),
    }
    return tem.load(ROOT / "assumptions" / "base.yaml", overrides=_gate_before_spend(overrides))


def test_libreoffice_parity_funding(tmp_path: Path) -> None:
    """20 perturbations of the funding inputs (debt share, structure, rate path, tenor, moratorium, repayment,
    fee, working-capital loan, cost of equity), recalculated by LibreOffice: P&L, debt schedule, DSCR, equity."""
    cases = [(f"funding_{seed}", funding_perturbed(seed)) for seed in range(20)]
    files, expects = [], {}
    for name, a in cases:
        wb, expect = build_workbook(tem.run(a), a)
        assert any(sheet == "Funding" for sheet, _, _ in expect)
        path = tmp_path / f"{name}.xlsx"
        wb.save(path)
        files.append(path)
        expects[path.name] = expect
    outs = recalculate(files, tmp_path / "recalculated", tmp_path / "profile")
    failures = {}
    for out in outs:
        values = openpyxl.load_workbook(out, data_only=True)
        bad = compare(expects[out.name], values)
        if bad:
            failures[out.name] = bad[:5]
        assert values["Checks"]["E3"].value == "OK" or out.name in failures, out.name
    assert not failures, failures


def test_structure_and_styles() -> None:
    a = tem.load(ROOT / "assumptions" / "base.yaml")
    wb, expect = build_workbook(tem.run(a), a)
    assert wb.sheetnames == [
        "Cover",
        "Inputs",
        "Calculations",
        "Import-only",
        "Statement",
        "Unit costs",
        "Funding",
        "KPIs",
        "Checks",
    ]
    calc = wb["Calculations"]
    # one formula per row, the same across the timeline (R1C1-equivalent: only the column letters move)
    for row in calc.iter_rows(min_row=4, min_col=7):
        formulas = [c.value for c in row if isinstance(c.value, str) and c.value.startswith("=")]
        if str(calc.cell(row[0].row, 1).value).startswith("kept_"):
            # a gated phase's kept_ row: 1 up to the decision (FY26-FY28: no circular reference), then its built flag
            assert [c.value for c in row[:3]] == [1, 1, 1]
            assert len(formulas) == 17
            assert len(set(formulas)) == 1
        elif formulas:
            assert len(formulas) == 20
    inputs = wb["Inputs"]
    styled = [
        c
        for row in inputs.iter_rows(min_col=5)
        for c in row
        if isinstance(c.value, float) and not str(inputs.cell(c.row, 1).value).startswith(("constant.", "import_only."))
    ]
    assert styled
    assert all(str(c.font.color.rgb).endswith("0000FF") for c in styled)
    assert wb.calculation.fullCalcOnLoad
    assert calc.freeze_panes == "G4"
    assert len(expect) > 5000


def test_user_text_is_never_a_formula() -> None:
    a = tem.load(ROOT / "assumptions" / "base.yaml", overrides={"name": '=HYPERLINK("x")', "description": "@SUM(A1)"})
    wb, _ = build_workbook(tem.run(a), a)
    cover = wb["Cover"]
    values = {c.value: c.data_type for row in cover.iter_rows() for c in row if c.value is not None}
    assert values['=HYPERLINK("x")'] == "s"
    assert values["@SUM(A1)"] == "s"


def test_render_returns_xlsx_bytes() -> None:
    a = tem.load(ROOT / "assumptions" / "base.yaml")
    data = render_workbook(tem.run(a), a)
    assert data[:2] == b"PK"


def test_libreoffice_parity(tmp_path: Path) -> None:
    """Base case, every scenario file, the gate cases and 20 random perturbations, recalculated in one
    LibreOffice call."""
    cases: list[tuple[str, tem.Assumptions]] = [("base", tem.load(ROOT / "assumptions" / "base.yaml"))]
    cases += [(p.stem, tem.load(p)) for p in SCENARIOS]
    cases += [(f"gates_{p.stem}", tem.load(p)) for p in GATED]
    cases += [(f"random_{seed}", perturbed(seed)) for seed in range(20)]
    cases += [("renamed_materials", renamed_materials())]
    files, expects = [], {}
    for name, a in cases:
        wb, expect = build_workbook(tem.run(a), a)
        path = tmp_path / f"{name}.xlsx"
        wb.save(path)
        files.append(path)
        expects[path.name] = expect
    outs = recalculate(files, tmp_path / "recalculated", tmp_path / "profile")
    failures = {}
    for out in outs:
        values = openpyxl.load_workbook(out, data_only=True)
        bad = compare(expects[out.name], values)
        if bad:
            failures[out.name] = bad[:5]
        assert values["Checks"]["E3"].value == "OK", out.name  # integrity
        assert values["Checks"]["E4"].value == "OK" or out.name in failures, out.name  # parity
    assert not failures, failures


def _prices_times(factor: float) -> tem.Assumptions:
    """The base case with every selling price multiplied by ``factor``: each segment priced by an explicit path
    (price_rule path, INR/kWh) equal to ``factor`` x the price the base's own rules give in that year."""
    path = ROOT / "assumptions" / "base.yaml"
    base = tem.run(tem.load(path))
    overrides: dict[str, object] = {}
    for segment in ("captive", "external_oem", "ess"):
        prices = base.statement.loc[f"price_{segment}_inr_per_kwh"]
        overrides[f"demand.{segment}.price_rule"] = "path"
        overrides[f"demand.{segment}.price_inr_per_kwh"] = {fy: float(prices[fy]) * factor for fy in base.fiscal_years}
    return tem.load(path, overrides=overrides)


def test_libreoffice_parity_at_the_irr_edges(tmp_path: Path) -> None:
    """IRRs far above 100% (beyond the old 100% search grid, where the old formula gave #N/A and the check read
    CHECK; about 150% and 370% on the base of this writing) and flows that never change sign (no IRR: the cell
    shows the reason)."""
    files, expects, statuses = [], {}, {}
    for factor in (2.0, 2.2, 2.5):
        a = _prices_times(factor)
        result = tem.run(a)
        statuses[f"x{factor}.xlsx"] = (result.kpis["irr_status"], result.kpis["irr"])
        wb, expect = build_workbook(result, a)
        path = tmp_path / f"x{factor}.xlsx"
        wb.save(path)
        files.append(path)
        expects[path.name] = expect
    assert [s for s, _ in statuses.values()] == [0, 0, 1]
    assert statuses["x2.0.xlsx"][1] > 1.0  # above 100%: beyond the old formula's search table
    assert statuses["x2.2.xlsx"][1] > statuses["x2.0.xlsx"][1]
    outs = recalculate(files, tmp_path / "recalculated", tmp_path / "profile")
    for out in outs:
        values = openpyxl.load_workbook(out, data_only=True)
        assert compare(expects[out.name], values) == [], out.name
        assert values["Checks"]["E3"].value == "OK", out.name
    kpis = openpyxl.load_workbook(outs[-1], data_only=True)["KPIs"]
    shown = {kpis.cell(r, 4).value: kpis.cell(r, 2).value for r in range(4, 30)}
    assert shown["irr"] == IRR_STATUS_SHORT[1]
    assert shown["irr_status"] == 1


def test_libreoffice_parity_cost_plus_on_full_cost(tmp_path: Path) -> None:
    """The captive transfer price at cost plus on full cost (fixed opex and book depreciation of the phases that
    serve the segment): the scenario and its import-only counterfactual (sheet Import-only, where the dropped
    plants carry no fixed cost) recalculated by LibreOffice equal the engine."""
    a = tem.load(
        ROOT / "assumptions" / "base.yaml",
        overrides={"demand.captive.cost_basis": "full", "demand.captive.markup": 0.12},
    )
    result = tem.run(a)
    assert result.kpis["npv_inr_cr"] != tem.run(tem.load(ROOT / "assumptions" / "base.yaml")).kpis["npv_inr_cr"]
    wb, expect = build_workbook(result, a)
    assert any(sheet == "Import-only" for sheet, _, _ in expect)
    path = tmp_path / "full_cost.xlsx"
    wb.save(path)
    [out] = recalculate([path], tmp_path / "recalculated", tmp_path / "profile")
    values = openpyxl.load_workbook(out, data_only=True)
    assert compare(expect, values) == []
    assert values["Checks"]["E3"].value == "OK"
    assert values["Checks"]["E4"].value == "OK"


def test_libreoffice_parity_max_margin_on_full_cost(tmp_path: Path) -> None:
    """Local cells where they add most to EBITDA, with captive at cost plus on full cost (the score adds the cell
    plants' fixed cost per local cell) and ESS at cost plus on variable cost: the workbook's score rows and
    allocation equal the engine, and the allocation differs from max_saving's."""
    over = {
        "transition.local_cell_allocation": "max_margin",
        "demand.captive.cost_basis": "full",
        "demand.ess.price_rule": "cost_plus",
        "demand.ess.markup": 0.08,
        "opex.rnd_revenue_share": 0.01,
    }
    a = tem.load(ROOT / "assumptions" / "base.yaml", overrides=over)
    result = tem.run(a)
    saving = tem.run(
        tem.load(ROOT / "assumptions" / "base.yaml", overrides={**over, "transition.local_cell_allocation": "max_saving"})
    )
    local = result.outcome.volumes.local_cells_by_segment
    assert any(not np.array_equal(local[s], saving.outcome.volumes.local_cells_by_segment[s]) for s in local)
    wb, expect = build_workbook(result, a)
    path = tmp_path / "max_margin.xlsx"
    wb.save(path)
    [out] = recalculate([path], tmp_path / "recalculated", tmp_path / "profile")
    values = openpyxl.load_workbook(out, data_only=True)
    assert compare(expect, values) == []
    assert values["Checks"]["E3"].value == "OK"
    assert values["Checks"]["E4"].value == "OK"
