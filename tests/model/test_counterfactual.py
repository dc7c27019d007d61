"""One import-only counterfactual: the KPIs' comparison case and assumptions/scenarios/import_only.yaml are the same."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import tem

ROOT = Path(__file__).parents[2]


def test_import_only_file_is_the_counterfactual_of_the_kpis() -> None:
    base = tem.run(tem.load(ROOT / "assumptions" / "base.yaml"))
    alone = tem.run(tem.load(ROOT / "assumptions" / "scenarios" / "import_only.yaml"))
    assert alone.kpis["npv_inr_cr"] == base.kpis["npv_import_only_inr_cr"]
    assert alone.kpis["levelized_pack_cost_inr_per_kwh"] == base.kpis["levelized_pack_cost_import_only_inr_per_kwh"]
    # the whole statement, not just the headline: the counterfactual outcome the base carries
    cf = base.counterfactual
    np.testing.assert_array_equal(alone.outcome.cash.free_cash_flow, cf.cash.free_cash_flow)
    np.testing.assert_array_equal(alone.outcome.operations.forex_outflow_usd_m, cf.operations.forex_outflow_usd_m)
    # an import-only run is its own counterfactual: nothing added by localizing
    assert alone.kpis["incremental_npv_vs_import_inr_cr"] == 0.0
    assert alone.kpis["local_cells_gwh"] == 0.0


def test_the_counterfactual_drops_the_listed_phase_kinds() -> None:
    a = tem.load(ROOT / "assumptions" / "base.yaml", overrides={"counterfactual.import_only": True})
    r = tem.run(a)
    spend = r.outcome.capex.spend_by_phase
    for ph in r.outcome.inputs.structure.phases:
        dropped = ph.kind in ("cell_plant", "recycling", "module_line")
        assert (float(np.sum(spend[ph.name])) == 0.0) == dropped, ph.name
    assert float(np.sum(r.outcome.operations.technology_fee)) == 0.0
