"""Funding (tem.model.funding): debt schedules, IDC, DSCR, LLCR and the equity view worked by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy_financial as npf
import pytest

import tem
from tem.model.funding import amortise

TOY = Path(__file__).parents[1] / "data" / "toy.yaml"
FYS = ["FY26", "FY27", "FY28", "FY29"]


def schedule(draws: list[float], rate: float, end: int, first: int, tenor: int, annuity: bool):
    d = np.array([draws], dtype=float)
    return amortise(d, np.full((1, d.shape[1]), rate), np.array([[end]]), np.array([[first]]), np.array([[tenor]]), annuity)


def test_equal_principal_with_moratorium_and_idc() -> None:
    # draws 60 (year 0) and 40 (year 1), commissioning in year 2, 10%, first repayment year 3, tenor 2, 6 years
    s = schedule([60, 40, 0, 0, 0, 0], 0.10, end=2, first=3, tenor=2, annuity=False)
    # y0: nothing owed before the year-end draw -> 60
    # y1: interest 10% x 60 = 6, capitalised (before commissioning): 60 + 40 + 6 = 106
    # y2: interest 10.6 paid (commissioning year), nothing repaid (moratorium) -> 106
    # y3: interest 10.6; two payments left: 106 / 2 = 53 -> 53;  y4: interest 5.3, the last 53 -> 0
    assert s.opening[0] == pytest.approx([0, 60, 106, 106, 53, 0])
    assert s.capitalised_interest[0] == pytest.approx([0, 6, 0, 0, 0, 0])
    assert s.interest_paid[0] == pytest.approx([0, 0, 10.6, 10.6, 5.3, 0])
    assert s.repaid[0] == pytest.approx([0, 0, 0, 53, 53, 0])
    assert s.closing[0] == pytest.approx([60, 106, 106, 53, 0, 0])
    assert s.balloon[0] == pytest.approx([0] * 6)


def test_annuity_payments_are_level() -> None:
    s = schedule([60, 40, 0, 0, 0, 0], 0.10, end=2, first=3, tenor=2, annuity=True)
    # 106 over 2 years at 10%: payment 106 x 0.1 / (1 - 1.1^-2) = 61.07619...; principal y3 = 61.076 - 10.6
    payment = 106 * 0.1 / (1 - 1.1**-2)
    assert s.repaid[0, 3] == pytest.approx(payment - 10.6)
    assert s.interest_paid[0, 4] + s.repaid[0, 4] == pytest.approx(payment)
    assert s.closing[0, 4] == 0.0


def test_annuity_at_zero_rate_is_equal_principal() -> None:
    s = schedule([90, 0, 0, 0], 0.0, end=0, first=1, tenor=3, annuity=True)
    assert s.repaid[0] == pytest.approx([0, 30, 30, 30])


def test_debt_left_at_the_horizon_end_is_repaid_then() -> None:
    s = schedule([100, 0, 0], 0.10, end=0, first=1, tenor=5, annuity=False)
    # y1: 100 / 5 = 20 -> 80; y2: 80 / 4 = 20 -> 60 left, repaid in the last year
    assert s.repaid[0] == pytest.approx([0, 20, 20])
    assert s.balloon[0] == pytest.approx([0, 0, 60])
    assert s.closing[0, -1] == 0.0


FUNDED = {
    "capex.phases.pack_line.capex_inr_cr": 400.0,
    "demand.captive.price_inr_per_kwh": 8000.0,
    "capex.phases.pack_line.commissioning_fy": 2028,
    "capex.phases.pack_line.spend_profile": [0.5, 0.3, 0.2],
    "funding.term_debt.debt_share": 0.5,
    "funding.term_debt.interest_rate": 0.10,
    "funding.term_debt.tenor_years": 2,
    "funding.term_debt.moratorium_years": 0,
    "funding.term_debt.upfront_fee_rate": 0.01,
    "funding.working_capital_loan.funded_share": 0.5,
    "funding.working_capital_loan.interest_rate": 0.08,
    "funding.cost_of_equity": 0.15,
}


@pytest.fixture(scope="module")
def funded() -> tem.Result:
    return tem.run(tem.load(TOY, overrides=FUNDED))


@pytest.fixture(scope="module")
def unfunded() -> tem.Result:
    return tem.run(tem.load(TOY, overrides={k: v for k, v in FUNDED.items() if not k.startswith("funding.")}))


def line(result: tem.Result, key: str) -> np.ndarray:
    return np.array([float(x) for x in result.statement.loc[key, FYS]])


def test_toy_debt_schedule(funded: tem.Result) -> None:
    # capex 400 spent 200 / 120 / 80 over FY26-28, commissioned FY28; half debt-funded: draws 100, 60, 40
    # FY27: interest 10% x 100 = 10, capitalised (construction) -> 100 + 60 + 10 = 170
    # FY28: interest 17 paid; 170 + 40 = 210; moratorium 0, tenor 2: repay 210 / 2 = 105
    # FY29: interest 10.5; repay the last 105
    assert line(funded, "term_debt_drawn") == pytest.approx([100, 60, 40, 0])
    assert line(funded, "interest_during_construction") == pytest.approx([0, 10, 0, 0])
    assert line(funded, "term_debt_interest_paid") == pytest.approx([0, 0, 17, 10.5])
    assert line(funded, "term_debt_repaid") == pytest.approx([0, 0, 105, 105])
    assert line(funded, "term_debt_closing") == pytest.approx([100, 170, 105, 0])
    assert line(funded, "upfront_fees") == pytest.approx([1.0, 0.6, 0.4, 0])
    # working capital 36.5 / 365 x revenue 800 = 80 a year; half funded (40), repaid in the last year
    assert line(funded, "wc_loan_closing") == pytest.approx([40, 40, 40, 0])
    assert line(funded, "wc_loan_interest") == pytest.approx([0, 3.2, 3.2, 3.2])
    k = funded.kpis
    assert k["term_debt_drawn_inr_cr"] == pytest.approx(200.0)
    assert k["interest_during_construction_inr_cr"] == pytest.approx(10.0)


def test_toy_pnl_to_pat(funded: tem.Result, unfunded: tem.Result) -> None:
    # capitalised borrowing costs: IDC 10 + fees 2 = 12 in service FY28, the phase's rates:
    # book 12 / 4 years = 3 a year; tax WDV 25%: 3, 2.25
    book = line(unfunded, "book_depreciation")
    assert line(funded, "pl_depreciation") == pytest.approx(book - np.array([0, 0, 3, 3]))
    interest = np.array([0, 3.2, 20.2, 13.7])  # term interest paid + working-capital interest
    ebitda = line(funded, "ebitda")
    assert line(funded, "interest_expense") == pytest.approx(-interest)
    assert line(funded, "pl_ebit") == pytest.approx(ebitda + line(funded, "pl_depreciation"))
    assert line(funded, "pbt") == pytest.approx(line(funded, "pl_ebit") - interest)
    taxable = line(unfunded, "taxable_income_before_losses") - np.array([0, 0, 3, 2.25]) - interest
    assert (taxable > 0).all()  # every year profitable: tax = 25% of it
    assert line(funded, "pl_tax") == pytest.approx(-0.25 * taxable)
    assert line(funded, "pat") == pytest.approx(line(funded, "pbt") - 0.25 * taxable)
    # the project (unlevered) view does not move
    assert line(funded, "tax") == pytest.approx(line(unfunded, "tax"))
    assert funded.kpis["npv_inr_cr"] == unfunded.kpis["npv_inr_cr"]


def test_toy_equity_flow_dscr_and_llcr(funded: tem.Result) -> None:
    fcf = line(funded, "free_cash_flow")
    tax_saved = line(funded, "tax") - line(funded, "pl_tax")  # both negative in the statement: unlevered - levered
    debt = np.array([100, 60, 40, 0]) - np.array([1.0, 0.6, 0.4, 0]) - np.array([0, 0, 17, 10.5])
    debt -= np.array([0, 0, 105, 105])
    wc = np.array([40, 0, 0, -40]) - np.array([0, 3.2, 3.2, 3.2])
    equity = fcf - tax_saved + debt + wc
    assert line(funded, "equity_cash_flow") == pytest.approx(equity)
    # CFADS = EBITDA - tax - maintenance (0) - WC build (80, 0, 0, 0) + its loan (40, 0, 0, 0) - WC interest
    cfads = line(funded, "ebitda") + line(funded, "pl_tax") - np.array([80, 0, 0, 0]) + np.array([40, 0, 0, 0])
    cfads -= np.array([0, 3.2, 3.2, 3.2])
    assert line(funded, "cfads") == pytest.approx(cfads)
    service = np.array([0, 0, 17 + 105, 10.5 + 105])
    dscr = cfads[2:] / service[2:]
    k = funded.kpis
    assert k["min_dscr"] == pytest.approx(dscr.min())
    assert k["min_dscr_fy"] == 2028 + int(np.argmin(dscr))
    assert k["avg_dscr"] == pytest.approx(dscr.mean())
    df = np.array([1 / 1.1**3, 1 / 1.1**4])  # at the loan rate; the common factor cancels in the ratio
    assert k["llcr"] == pytest.approx((cfads[2:] @ df) / (service[2:] @ df))
    # equity IRR: the rate where the NPV of the equity flows is zero (numpy-financial, a textbook reference)
    assert k["equity_irr"] == pytest.approx(npf.irr(equity), rel=1e-9)
    assert k["equity_npv_inr_cr"] == pytest.approx(sum(e / 1.15 ** (t + 1) for t, e in enumerate(equity)))
    cum = np.cumsum(equity)
    assert k["peak_equity_inr_cr"] == pytest.approx(max(0.0, -cum.min()))


def test_equity_irr_on_a_toy_flow() -> None:
    # -100 now, +121 two years later: 10%
    from tem.finance import irr

    assert irr(np.array([[-100.0, 0.0, 121.0]])).rate[0] == pytest.approx(0.10, abs=1e-12)


def test_facility_is_one_loan_from_the_first_commissioning(funded: tem.Result) -> None:
    r = tem.run(tem.load(TOY, overrides={**FUNDED, "funding.term_debt.structure": "facility"}))
    # one phase: the facility is the same loan
    for key in ("term_debt_closing", "interest_during_construction", "pl_tax", "equity_cash_flow"):
        assert line(r, key) == pytest.approx(line(funded, key))
