"""README "Funding", reimplemented in plain Python from its words alone (loops over years and phases, no numpy
engine code), against the engine on the base case, a facility with annuity repayment and the higher-leverage
scenario. Project lines (EBITDA, FCF, tax depreciation, working capital) are taken from the statement."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import tem

ROOT = Path(__file__).parents[2]
CASES = {
    "base": (ROOT / "assumptions" / "base.yaml", {}),
    "facility_annuity": (
        ROOT / "assumptions" / "base.yaml",
        {
            "funding.term_debt.structure": "facility",
            "funding.term_debt.repayment": "annuity",
            "funding.term_debt.interest_rate": {"start": 0.09, "growth": 0.02},
            "funding.term_debt.moratorium_years": 2,
            "valuation.terminal_value_method": "ebitda_multiple",
            "valuation.terminal_ebitda_multiple": 6.0,
            "timeline.mid_year_discounting": True,
        },
    ),
    "higher_leverage": (ROOT / "assumptions" / "scenarios" / "higher_leverage.yaml", {}),
    "within_parent_half_rate": (
        ROOT / "assumptions" / "base.yaml",
        {
            "tax.structure": "within_parent",
            "capex.phases.cell_plant_1.tax_half_rate_first_year": True,
            "funding.term_debt.debt_share": 0.8,
        },
    ),
    "standalone_half_rate_facility": (
        ROOT / "assumptions" / "base.yaml",
        {
            "capex.phases.cell_plant_1.tax_half_rate_first_year": True,
            "capex.phases.pack_line_2.tax_half_rate_first_year": True,
            "funding.term_debt.structure": "facility",
            "tax.loss_carry_forward_years": 3,
        },
    ),
}


def readme_tax(pbd: list[float], dep: list[float], rate: float, carry: int, within_parent: bool) -> list[float]:
    """README "Tax": two pools of a loss; business losses (oldest first, usable for `carry` years) set off before
    unabsorbed depreciation (no limit); never negative standalone; `rate x taxable` within the parent."""
    if within_parent:
        return [rate * (pbd[t] - dep[t]) for t in range(len(pbd))]
    business: list[list[float]] = []  # [year, amount left]
    unabsorbed = 0.0
    out = []
    for t in range(len(pbd)):
        taxable = pbd[t] - dep[t]
        business = [v for v in business if t - v[0] <= carry and v[1] > 0]
        left = max(taxable, 0.0)
        for v in business:
            take = min(v[1], left)
            v[1] -= take
            left -= take
        take = min(unabsorbed, left)
        unabsorbed -= take
        left -= take
        out.append(rate * left)
        if pbd[t] < 0:
            business.append([t, -pbd[t]])
        unabsorbed += dep[t] - min(max(pbd[t], 0.0), dep[t])
    return out


def reimplement(a: tem.Assumptions, r: tem.Result) -> dict[str, object]:
    st, fys = r.statement, r.fiscal_years
    n = len(fys)

    def row(key: str) -> list[float]:
        return [float(st.loc[key, fy]) for fy in fys]

    td = a.funding.term_debt
    first_fy = a.timeline.first_fy
    rates = [float(x) for x in r.outcome.inputs["funding.term_debt.interest_rate"][0]]
    phases = [p for p in a.capex.phases]

    index = row("capital_cost_index")  # README "Capex": base-FY prices escalated to the year spent

    def spend(p) -> list[float]:  # the README's capex rule: the profile ends in the commissioning year
        out = [0.0] * n
        for j, share in enumerate(p.spend_profile):
            t = p.commissioning_fy - first_fy - len(p.spend_profile) + 1 + j
            out[t] += share * p.capex_inr_cr * index[t]
        return out

    if td.structure == "by_phase":
        loans = {p.name: ([td.debt_share * x for x in spend(p)], p.commissioning_fy - first_fy) for p in phases}
    else:
        total = [sum(spend(p)[t] for p in phases) for t in range(n)]
        end = min(p.commissioning_fy - first_fy for p in phases if p.capex_inr_cr > 0)
        loans = {"facility": ([td.debt_share * x for x in total], end)}
    sums = {k: [0.0] * n for k in ("draw", "idc", "paid", "rep", "balloon", "close", "fee")}
    capitalised: dict[str, list[float]] = {}
    for name, (draw, end) in loans.items():
        first, closing = end + td.moratorium_years, 0.0
        last = first + td.tenor_years - 1
        cost = [0.0] * n
        for t in range(n):
            opening = closing
            interest = rates[t] * opening
            idc = interest if t < end else 0.0
            b = opening + draw[t] + idc
            left = max(last - t + 1, 1)
            if t < first:
                p = 0.0
            elif left == 1:
                p = b
            elif td.repayment == "annuity" and rates[t] > 0:
                p = b * rates[t] / ((1 + rates[t]) ** left - 1)
            else:
                p = b / left
            balloon = b - p if t == n - 1 else 0.0
            closing = b - p - balloon
            fee = td.upfront_fee_rate * draw[t]
            cost[t] = idc + fee
            for k, v in (("draw", draw[t]), ("idc", idc), ("paid", interest - idc), ("rep", p), ("balloon", balloon)):
                sums[k][t] += v
            sums["close"][t] += closing
            sums["fee"][t] += fee

        def put_in_service(cost: list[float], end: int) -> list[float]:
            return [sum(cost[: end + 1]) if t == end else (cost[t] if t > end else 0.0) for t in range(n)]

        if name == "facility":
            total_capex = sum(p.capex_inr_cr for p in phases)
            for p in phases:
                share = [p.capex_inr_cr / total_capex * x for x in cost]
                capitalised[p.name] = put_in_service(share, p.commissioning_fy - first_fy)
        else:
            capitalised[name] = put_in_service(cost, end)
    book, taxdep = [0.0] * n, [0.0] * n
    for p in phases:
        put = capitalised[p.name]
        block = 0.0
        comm = p.commissioning_fy - first_fy
        for t in range(n):
            book[t] += (
                sum(put[u] for u in range(t + 1) if t - u < p.book_life_years) * (1 - p.residual_share) / p.book_life_years
            )
            block += put[t]
            half = put[t] if (t == comm and p.tax_half_rate_first_year) else 0.0
            dep = p.tax_depreciation_rate * block - p.tax_depreciation_rate / 2 * half
            taxdep[t] += dep
            block -= dep
    wl = a.funding.working_capital_loan
    wc_rates = [float(x) for x in r.outcome.inputs["funding.working_capital_loan.interest_rate"][0]]
    target = [wl.funded_share * max(w, 0.0) for w in row("working_capital")]
    wcl = [0.0 if t == n - 1 else target[t] for t in range(n)]
    wcl_open = [0.0, *wcl[:-1]]
    wcl_int = [wc_rates[t] * wcl_open[t] for t in range(n)]
    ebitda = row("ebitda")
    interest = [sums["paid"][t] + wcl_int[t] for t in range(n)]
    subsidy_taxed = row("state_subsidy_taxable")
    # README: profit before depreciation = EBITDA + the subsidy taxed when received - interest
    pbd = [ebitda[t] + subsidy_taxed[t] - interest[t] for t in range(n)]
    dep = [-row("tax_depreciation")[t] + taxdep[t] for t in range(n)]
    within = a.tax.structure == "within_parent"
    tax = readme_tax(pbd, dep, a.tax.corporate_rate, a.tax.loss_carry_forward_years, within)
    pbt = [ebitda[t] + row("book_depreciation")[t] - book[t] - interest[t] for t in range(n)]
    tv = row("terminal_value")
    fcf = row("free_cash_flow")
    unlev_tax = [-x for x in row("tax")]
    equity = [
        fcf[t]
        + (unlev_tax[t] - tax[t])
        + sums["draw"][t]
        - sums["fee"][t]
        - sums["paid"][t]
        - sums["rep"][t]
        - sums["balloon"][t]
        + (wcl[t] - wcl_open[t])
        - wcl_int[t]
        for t in range(n)
    ]
    d_wc = [-x for x in row("change_in_working_capital")]
    maint = [-x for x in row("maintenance_capex")]
    cfads = [ebitda[t] - tax[t] - maint[t] - d_wc[t] + (target[t] - wcl_open[t]) - wcl_int[t] for t in range(n)]
    service = [sums["paid"][t] + sums["rep"][t] for t in range(n)]
    dscr = {t: cfads[t] / service[t] for t in range(n) if service[t] > 0}
    years = sorted(dscr)
    disc, d = [], 1.0
    for t in range(n):
        d /= 1 + rates[t]
        disc.append(d)
    llcr = sum(cfads[t] * disc[t] for t in range(years[0], years[-1] + 1)) / sum(service[t] * disc[t] for t in range(n))
    ke = a.funding.cost_of_equity
    shift = 0.5 if a.timeline.mid_year_discounting else 1.0
    tv_shift = 0.5 if a.timeline.mid_year_discounting and a.valuation.terminal_value_method == "perpetuity" else 1.0
    npv = sum((equity[t] - tv[t]) * (1 + ke) ** -(t + shift) + tv[t] * (1 + ke) ** -(t + tv_shift) for t in range(n))
    cum, running = [], 0.0
    for t in range(n):
        running += equity[t] - tv[t]
        cum.append(running)
    min_t = min(years, key=lambda t: (dscr[t], t))
    return {
        "term_debt_closing": sums["close"],
        "interest_during_construction": sums["idc"],
        "term_debt_repaid": sums["rep"],
        "upfront_fees": sums["fee"],
        "pl_tax": [-x for x in tax],
        "pbt": pbt,
        "pat": [pbt[t] - tax[t] for t in range(n)],
        "equity_cash_flow": equity,
        "cfads": cfads,
        "kpis": {
            "min_dscr": dscr[min_t],
            "min_dscr_fy": first_fy + min_t,
            "avg_dscr": sum(dscr.values()) / len(dscr),
            "llcr": llcr,
            "equity_npv_inr_cr": npv,
            "peak_equity_inr_cr": -min(0.0, min(cum)),
        },
    }


@pytest.mark.parametrize("case", list(CASES))
def test_readme_funding_definitions_reproduce_the_engine(case: str) -> None:
    path, overrides = CASES[case]
    a = tem.load(path, overrides=overrides)
    r = tem.run(a)
    mine = reimplement(a, r)
    for key, values in mine.items():
        if key == "kpis":
            continue
        got = [float(r.statement.loc[key, fy]) for fy in r.fiscal_years]
        assert got == pytest.approx(values, rel=1e-9, abs=1e-7), key
    for key, value in mine["kpis"].items():  # type: ignore[union-attr]
        assert r.kpis[key] == pytest.approx(value, rel=1e-9), key
    assert not math.isnan(r.kpis["min_dscr"])
