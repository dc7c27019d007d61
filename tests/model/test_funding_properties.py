"""Funding invariants on the base case: sources = uses, debt never negative and repaid by the end of its tenor,
no debt = the project's cash flow bit for bit, batches = single runs, the project view untouched."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import tem
from tem.model.engine import run_batch_inputs, run_inputs
from tem.model.inputs import build_inputs

BASE = Path(__file__).parents[2] / "assumptions" / "base.yaml"
PROJECT_KPIS = ("npv_inr_cr", "irr", "mirr", "payback_years", "peak_funding_inr_cr", "levelized_pack_cost_inr_per_kwh")

funding = st.fixed_dictionaries(
    {
        "funding.term_debt.debt_share": st.floats(0.0, 1.0),
        "funding.term_debt.interest_rate": st.floats(0.0, 0.2),
        "funding.term_debt.tenor_years": st.integers(1, 15),
        "funding.term_debt.moratorium_years": st.integers(0, 4),
        "funding.term_debt.repayment": st.sampled_from(["equal_principal", "annuity"]),
        "funding.term_debt.structure": st.sampled_from(["by_phase", "facility"]),
        "funding.term_debt.upfront_fee_rate": st.floats(0.0, 0.02),
        "funding.working_capital_loan.funded_share": st.floats(0.0, 1.0),
        "funding.working_capital_loan.interest_rate": st.floats(0.0, 0.2),
        "funding.cost_of_equity": st.floats(0.05, 0.3),
    }
)


def no_funding() -> tem.Result:
    return tem.run(
        tem.load(BASE, overrides={"funding.term_debt.debt_share": 0.0, "funding.working_capital_loan.funded_share": 0.0})
    )


@settings(deadline=None, max_examples=30)
@given(funding)
def test_sources_equal_uses_and_debt_is_repaid(p: dict) -> None:
    r = tem.run(tem.load(BASE, overrides=p))
    o = r.outcome
    f = o.funding
    assert f is not None
    sources = sum(f.sources.values())
    uses = sum(f.uses.values())
    scale = np.maximum(1.0, np.abs(sources))
    assert np.all(np.abs(sources - uses) <= 1e-9 * scale)
    assert all(v.min() >= 0 for v in f.sources.values() if v is not f.sources["ebitda"])
    assert f.term.closing.min() >= 0.0
    assert f.term.closing[:, -1].max() == 0.0
    assert f.wc_loan_closing[:, -1].max() == 0.0
    t = np.arange(o.inputs.structure.n_years)
    tenor = p["funding.term_debt.tenor_years"]
    moratorium = p["funding.term_debt.moratorium_years"]
    if p["funding.term_debt.structure"] == "by_phase":
        for ph in o.inputs.structure.phases:
            end = o.inputs[f"capex.phases.{ph.name}.commissioning_fy"][0, 0] - o.inputs.structure.first_fy
            after = t > end + moratorium + tenor - 1
            assert np.all(f.tranches[ph.name].closing[:, after] == 0.0), ph.name
    # the project (unlevered) view does not depend on the funding
    plain = no_funding()
    for key in PROJECT_KPIS:
        assert r.kpis[key] == plain.kpis[key], key


def test_without_debt_equity_is_the_free_cash_flow_bit_for_bit() -> None:
    r = no_funding()
    f = r.outcome.funding
    assert f is not None
    assert np.array_equal(f.equity_flow, r.outcome.cash.free_cash_flow)
    assert np.array_equal(f.tax.tax, r.outcome.tax.tax)
    assert r.kpis["equity_irr"] == r.kpis["irr"]
    assert r.kpis["peak_equity_inr_cr"] == r.kpis["peak_funding_inr_cr"]
    assert r.kpis["min_dscr"] is None
    assert r.kpis["llcr"] is None


def test_funding_leaves_every_project_number_bit_identical() -> None:
    """A funded run and an unfunded run differ only in the funding lines and KPIs."""
    funded = tem.run(tem.load(BASE, overrides={"funding.term_debt.debt_share": 0.7}))
    plain = no_funding()
    funding_keys = set(tem.catalogue.KPIS) - set(plain.kpis) | {
        k for k in plain.kpis if k.startswith(("equity_", "peak_equity", "min_dscr", "avg_dscr", "llcr", "term_debt"))
    }
    funding_keys |= {"interest_during_construction_inr_cr"}
    for k, v in plain.kpis.items():
        if k not in funding_keys:
            assert funded.kpis[k] == v, k
    lines = [
        k for k in plain.statement.index if k in tem.catalogue.STATEMENT_LINES and not k.startswith(("pl_", "pbt", "pat"))
    ]
    for k in lines[: lines.index("inr_per_usd") + 1]:
        assert plain.statement.loc[k].equals(funded.statement.loc[k]), k


@settings(deadline=None, max_examples=10)
@given(st.lists(st.floats(0.0, 1.0), min_size=2, max_size=5), st.sampled_from(["by_phase", "facility"]))
def test_batch_equals_single_runs(shares: list[float], structure: str) -> None:
    a = tem.load(
        BASE, overrides={"funding.term_debt.structure": structure, "funding.working_capital_loan.funded_share": 0.5}
    )
    inp = build_inputs(a)
    batch = run_batch_inputs(inp, values={"funding.term_debt.debt_share": np.array(shares)}, workers=1)
    for i, share in enumerate(shares):
        single, _ = run_inputs(
            build_inputs(
                tem.load(
                    BASE,
                    overrides={
                        "funding.term_debt.structure": structure,
                        "funding.working_capital_loan.funded_share": 0.5,
                        "funding.term_debt.debt_share": share,
                    },
                )
            )
        )
        for key in ("equity_irr", "equity_npv_inr_cr", "min_dscr", "llcr", "peak_equity_inr_cr", "npv_inr_cr"):
            np.testing.assert_array_equal(batch[key][i], single.kpis[key][0], err_msg=key)
