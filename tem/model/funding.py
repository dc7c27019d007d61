"""Funding: term debt, working-capital loan, a P&L to PAT and the equity view [INR crore/yr], ``(S, T)``.

Order (no circularity): capex -> drawdowns -> debt schedule (interest on the opening balance only) ->
capitalised borrowing costs and their depreciation -> interest expense -> tax with interest deducted -> equity
cash flow. Tax depends on interest, interest on the debt, the debt on capex only; nothing flows back.

* **Tranches.** ``by_phase``: one loan per phase, drawn ``debt_share x`` the phase's capex spend; its
  construction years are those before the phase's commissioning FY. ``facility``: one loan drawn ``debt_share x``
  the spend of every phase; its construction years are those before the first commissioning FY of a phase with
  capex. First repayment in ``construction end + moratorium_years``; last in ``first + tenor_years - 1``.
* **Each year** (flows at year end): ``interest = rate_t x opening``; in construction years it is capitalised
  (added to the loan: interest during construction, IDC), otherwise paid. ``before = opening + drawdown + IDC``.
  From the first repayment year, with ``n = max(last repayment year - t + 1, 1)`` payments left: equal principal
  repays ``before / n``; annuity repays ``before x r / ((1 + r)^n - 1)`` (the principal part of the level
  payment on the balance, re-struck each year on the rate of the year; ``before / n`` when r = 0). Debt left at
  the end of the horizon is repaid in its last year (``balloon``). ``closing = before - repaid - balloon``.
* **Upfront fee** ``= fee rate x drawdown``, paid by equity. IDC and fees are capitalised borrowing costs
  (Income-tax Act s.36(1)(iii) proviso and Explanation 8 to s.43(1); Ind AS 23): they enter service in the
  construction end year (or when incurred, if later) and are depreciated with the phase's rates, half the tax
  rate on what enters in the phase's commissioning year if the phase has ``tax_half_rate_first_year``. A
  facility's are split over the phases in proportion to their ``capex_inr_cr``, each share entering service in
  its phase's commissioning year (or when incurred, if later).
* **Working-capital loan** ``= funded_share x max(WC, 0)`` at year end, repaid in the horizon's last year;
  interest ``= its rate x the opening balance``.
* **P&L.** Depreciation = book depreciation + that of capitalised borrowing costs; EBIT = EBITDA - depreciation;
  interest = term interest paid + working-capital interest; PBT = EBIT - interest; tax by the tax stage's rule
  with profit before depreciation less interest, and tax depreciation plus that of capitalised costs; PAT = PBT
  - tax.
* **Equity cash flow** = FCF + (unlevered tax - levered tax) + drawdowns - fees - interest paid - repayments -
  balloon + net working-capital loan drawn - working-capital interest. With no debt it is the FCF, bit for bit.
* **CFADS** = EBITDA - levered tax - maintenance capex - increase in WC + working-capital loan drawn before the
  horizon-end repayment - working-capital interest. Debt service = term interest paid + scheduled repayment.
  DSCR = CFADS / debt service in years with debt service. LLCR = PV(CFADS) / PV(debt service) over the years
  from the first to the last with debt service, both discounted at the term-loan rate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tem.arrays import cumsum_years, is_exact_zero
from tem.finance import discount_factors
from tem.model.capex import CapexSchedule, straight_line, written_down_value
from tem.model.cashflow import CashFlow
from tem.model.inputs import Inputs
from tem.model.operations import Operations
from tem.model.tax import TaxResult

NEVER_INDEX = 10_000  # a year index that never comes (a facility without any phase capex)
TD = "funding.term_debt."


@dataclass(frozen=True)
class DebtSchedule:
    """One loan (or several summed), each ``(S, T)``."""

    opening: np.ndarray
    drawdown: np.ndarray
    interest: np.ndarray  # accrued on the opening balance
    capitalised_interest: np.ndarray  # IDC: construction years, added to the loan
    interest_paid: np.ndarray
    repaid: np.ndarray  # scheduled principal
    balloon: np.ndarray  # repaid at the end of the horizon
    closing: np.ndarray


def amortise(
    drawdown: np.ndarray,
    rate: np.ndarray,
    construction_end: np.ndarray,
    first_repayment: np.ndarray,
    tenor_years: np.ndarray,
    annuity: bool,
) -> DebtSchedule:
    """The schedule of one loan per scenario (module docstring).

    ``drawdown`` ``(S|1, T)`` [INR crore]; ``rate`` ``(S|1, T)`` [fraction/yr]; ``construction_end`` (the year
    index from which interest is paid), ``first_repayment`` (year index) and ``tenor_years``: ``(S|1, 1)``. The
    schedule has as many rows as the largest of them (one row when nothing varies across scenarios).
    """
    n_t = drawdown.shape[1]
    n_s = max(a.shape[0] for a in (drawdown, rate, construction_end, first_repayment, tenor_years))
    drawdown = np.broadcast_to(drawdown, (n_s, n_t))
    rate = np.broadcast_to(rate, (n_s, n_t))
    s_end = np.broadcast_to(construction_end, (n_s, 1))[:, 0]
    first = np.broadcast_to(first_repayment, (n_s, 1))[:, 0]
    last = first + np.broadcast_to(tenor_years, (n_s, 1))[:, 0] - 1
    out = {k: np.empty((n_s, n_t)) for k in DebtSchedule.__dataclass_fields__}
    # the loop writes the columns that need it (strided writes are what costs); the drawdown, the opening balance
    # (last year's closing), the interest paid and the balloon are whole-array steps after it (the same numbers)
    balance = np.zeros(n_s)
    after = balance
    for t in range(n_t):
        r = rate[:, t]
        interest = r * balance
        idc = np.where(t < s_end, interest, 0.0)
        before = balance + drawdown[:, t] + idc
        n = np.maximum(last - t + 1, 1.0)
        if annuity:
            with np.errstate(divide="ignore", invalid="ignore"):
                # (1 + r)^n - 1 as expm1(n log1p(r)): exact even for rates near 0
                level = np.where(r > 0, before * r / np.expm1(n * np.log1p(r)), before / n)
        else:
            level = before / n
        repaid = np.where(t >= first, np.where(n == 1, before, level), 0.0)
        after = before - repaid
        out["interest"][:, t] = interest
        out["capitalised_interest"][:, t] = idc
        out["repaid"][:, t] = repaid
        if t < n_t - 1:  # no balloon before the last year: closing = after - 0
            out["closing"][:, t] = after
            balance = after
    out["balloon"][:, :-1] = 0.0
    out["balloon"][:, -1] = after  # what is left at the end of the horizon
    out["closing"][:, -1] = after - after
    out["opening"][:, 0] = 0.0
    out["opening"][:, 1:] = out["closing"][:, :-1]
    out["drawdown"][...] = drawdown
    np.subtract(out["interest"], out["capitalised_interest"], out=out["interest_paid"])
    return DebtSchedule(**out)


@dataclass(frozen=True)
class Funding:
    """The funded view of S scenarios (module docstring); every array ``(S, T)`` [INR crore] unless noted."""

    term: DebtSchedule
    tranches: dict[str, DebtSchedule]  # by phase name, or {"facility": ...}
    upfront_fees: np.ndarray
    capitalised_in_service: dict[str, np.ndarray]  # borrowing costs put in service, by phase
    capitalised_book_depreciation: np.ndarray
    capitalised_tax_depreciation: np.ndarray
    wc_loan_opening: np.ndarray
    wc_loan_closing: np.ndarray
    wc_loan_interest: np.ndarray
    wc_loan_horizon_repayment: np.ndarray
    depreciation: np.ndarray
    ebit: np.ndarray
    interest_expense: np.ndarray
    pbt: np.ndarray
    tax: TaxResult  # with interest and capitalised costs deducted
    pat: np.ndarray
    cfads: np.ndarray
    debt_service: np.ndarray
    dscr: np.ndarray  # [ratio], NaN in years without debt service
    debt_discount_factor: np.ndarray  # prod over years up to t of 1 / (1 + term rate) [factor]
    equity_flow_before_terminal: np.ndarray
    equity_flow: np.ndarray
    equity_discount_factor: np.ndarray  # at the cost of equity [factor]
    equity_present_value: np.ndarray
    # project lines the sources and uses need (views of the project arrays)
    ebitda: np.ndarray
    capex: np.ndarray
    maintenance_capex: np.ndarray
    replacement_capex: np.ndarray
    state_subsidy: np.ndarray
    increase_in_working_capital: np.ndarray
    working_capital_release: np.ndarray
    terminal_value: np.ndarray

    @property
    def sources(self) -> dict[str, np.ndarray]:
        """Sources of funds each year (computed on demand: batches keep only KPIs)."""
        wc_flow = self.wc_loan_closing - self.wc_loan_opening
        return {
            "ebitda": self.ebitda,
            "state_capital_subsidy": self.state_subsidy,
            "term_debt_drawn": self.term.drawdown,
            "interest_capitalised_into_debt": self.term.capitalised_interest,
            "wc_loan_drawn": np.maximum(wc_flow, 0.0),
            "working_capital_release": self.working_capital_release,
            "terminal_value": self.terminal_value,
            "equity_injected": np.maximum(-self.equity_flow, 0.0),
        }

    @property
    def uses(self) -> dict[str, np.ndarray]:
        """Uses of funds each year; they sum to the sources (README "Funding")."""
        return {
            "tax": self.tax.tax,
            "capex": self.capex,
            "maintenance_capex": self.maintenance_capex,
            "replacement_capex": self.replacement_capex,
            "increase_in_working_capital": self.increase_in_working_capital,
            "interest_during_construction": self.term.capitalised_interest,
            "upfront_fees": self.upfront_fees,
            "interest_paid": self.interest_expense,
            "term_debt_repaid": self.term.repaid + self.term.balloon,
            "wc_loan_repaid": np.maximum(self.wc_loan_opening - self.wc_loan_closing, 0.0),
            "equity_distributed": np.maximum(self.equity_flow, 0.0),
        }


def _phase_index(inp: Inputs, name: str) -> np.ndarray:
    return inp[f"capex.phases.{name}.commissioning_fy"] - inp.structure.first_fy


def natural(a: np.ndarray) -> np.ndarray:
    """The one row of an array broadcast along the scenario axis (``np.broadcast_to`` of one row), else itself."""
    return a[:1] if a.ndim == 2 and a.shape[0] > 1 and a.strides[0] == 0 else a


def tranche_terms(inp: Inputs, cap: CapexSchedule) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Drawdown ``(S|1, T)`` (debt share x the capex stage's spend) and construction end (year index,
    ``(S|1, 1)``) of each loan, at their natural shapes (one row where nothing varies across scenarios)."""
    share = inp[TD + "debt_share"]
    terms: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    starts: list[np.ndarray] = []
    for ph in inp.structure.phases:
        comm = _phase_index(inp, ph.name)
        terms[ph.name] = (share * natural(cap.spend_by_phase[ph.name]), comm)
        starts.append(np.where(inp[f"capex.phases.{ph.name}.capex_inr_cr"] > 0, comm, float(NEVER_INDEX)))
    if inp.structure.debt_structure == "by_phase":
        return terms
    first = np.minimum.reduce(starts) if starts else np.array([[float(NEVER_INDEX)]])
    total = sum((natural(cap.spend_by_phase[ph.name]) for ph in inp.structure.phases), start=np.zeros((1, 1)))
    return {"facility": (share * total, first)}


def _sum(schedules: list[DebtSchedule], shape: tuple[int, int]) -> DebtSchedule:
    """Field by field, in loan order; loans that vary across scenarios widen the sum only when they come."""
    fields = DebtSchedule.__dataclass_fields__
    out = {}
    for k in fields:
        acc = np.zeros((1, shape[1]))
        for sched in schedules:
            acc = acc + natural(getattr(sched, k))
        out[k] = np.broadcast_to(acc, shape)
    return DebtSchedule(**out)


def in_service(capitalised: np.ndarray, construction_end: np.ndarray) -> np.ndarray:
    """Capitalised costs put in service: all incurred up to the construction end enter then; later ones when
    incurred. ``capitalised`` ``(S, T)``, ``construction_end`` year index ``(S|1, 1)``."""
    t = np.arange(capitalised.shape[1])[None, :]
    cum = cumsum_years(capitalised)
    return np.where(t == construction_end, cum, np.where(t > construction_end, capitalised, 0.0))


def compute_funding(
    inp: Inputs,
    ops: Operations,
    cap: CapexSchedule,
    unlevered_tax: TaxResult,
    cash: CashFlow,
    tax_with: Callable[[np.ndarray, np.ndarray], TaxResult],
) -> Funding:
    """The funded view (module docstring). ``tax_with(extra_depreciation, interest)`` is the tax stage with
    those extra deductions (the engine passes its own tax function, so both views share one tax rule)."""
    n_s, n_t = cash.free_cash_flow.shape
    shape = (n_s, n_t)
    rate = inp[TD + "interest_rate"]
    tenor = inp[TD + "tenor_years"]
    moratorium = inp[TD + "moratorium_years"]
    annuity = inp.structure.repayment == "annuity"
    fee_rate = inp[TD + "upfront_fee_rate"]
    tranches: dict[str, DebtSchedule] = {}
    small = np.zeros((1, n_t))
    fees = small
    capitalised: dict[str, np.ndarray] = {}  # at natural shapes: one row where nothing varies
    fields = DebtSchedule.__dataclass_fields__
    for name, (draw, end) in tranche_terms(inp, cap).items():
        if not np.any(draw):  # no debt on this loan: nothing to schedule
            tranches[name] = DebtSchedule(*(np.broadcast_to(small, shape) for _ in fields))
            capitalised[name] = small
            continue
        natural = amortise(draw, rate, end, end + moratorium, tenor, annuity)
        tranches[name] = DebtSchedule(*(np.broadcast_to(getattr(natural, k), shape) for k in fields))
        fee = fee_rate * draw
        fees = fees + fee
        if name == "facility":  # each phase's share (by capex) enters service with the phase
            weights = {ph.name: inp[f"capex.phases.{ph.name}.capex_inr_cr"] for ph in inp.structure.phases}
            total = sum(weights.values(), start=np.zeros((1, 1)))
            cost = natural.capitalised_interest + fee
            with np.errstate(divide="ignore", invalid="ignore"):
                for k, w in weights.items():
                    capitalised[k] = in_service(np.where(total > 0, w / total, 0.0) * cost, _phase_index(inp, k))
        else:
            capitalised[name] = in_service(natural.capitalised_interest + fee, end)
    if "facility" in tranches and "facility" in capitalised:  # no facility debt: nothing capitalised
        del capitalised["facility"]
        capitalised |= {ph.name: small for ph in inp.structure.phases if ph.name not in capitalised}
    term = _sum(list(tranches.values()), shape)
    book_dep = tax_dep = small
    t_index = np.arange(n_t)[None, :]
    for ph in inp.structure.phases:
        p = f"capex.phases.{ph.name}."
        put = capitalised[ph.name]
        if not np.any(put):
            continue
        book_dep = book_dep + straight_line(put, inp[p + "book_life_years"], inp[p + "residual_share"])
        # half the rate on what is put in service in the phase's commissioning year, as for its capex
        half_flag = inp.get(p + "tax_half_rate_first_year", 0.0)
        half = None if is_exact_zero(half_flag) else np.where(t_index == _phase_index(inp, ph.name), put, 0.0) * half_flag
        tax_dep = tax_dep + written_down_value(put, inp[p + "tax_depreciation_rate"], half)
    fees = np.broadcast_to(fees, shape)
    capitalised = {k: np.broadcast_to(v, shape) for k, v in capitalised.items()}
    book_dep, tax_dep = np.broadcast_to(book_dep, shape), np.broadcast_to(tax_dep, shape)

    wc_share = inp["funding.working_capital_loan.funded_share"]
    wc_target = np.broadcast_to(wc_share * np.maximum(cash.working_capital, 0.0), shape)
    last = np.arange(n_t)[None, :] == n_t - 1
    wc_closing = np.where(last, 0.0, wc_target)
    wc_opening = np.zeros(shape)
    wc_opening[:, 1:] = wc_closing[:, :-1]
    wc_interest = np.broadcast_to(inp["funding.working_capital_loan.interest_rate"] * wc_opening, shape)
    wc_horizon = np.where(last, wc_target, 0.0)

    interest = term.interest_paid + wc_interest
    depreciation = cap.book_depreciation + book_dep
    ebit = ops.ebitda - depreciation
    pbt = ebit - interest
    no_debt = not (np.any(term.closing + term.drawdown + term.balloon) or np.any(wc_target))
    tax = unlevered_tax if no_debt else tax_with(tax_dep, interest)
    pat = pbt - tax.tax
    cfads = ops.ebitda - tax.tax - cap.maintenance - cash.change_in_working_capital + (wc_target - wc_opening) - wc_interest
    service = term.interest_paid + term.repaid
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # tiny debt: DSCR may be inf
        dscr = np.where(service > 0, cfads / np.where(service > 0, service, 1.0), np.nan)
    debt_df = np.empty(rate.shape)  # at the rate's own shape: one row unless the rate varies
    running = np.ones(rate.shape[0])
    for t in range(n_t):
        running = running / (1.0 + rate[:, t])
        debt_df[:, t] = running
    debt_df = np.broadcast_to(debt_df, shape)
    debt_flows = (
        term.drawdown - fees - term.interest_paid - term.repaid - term.balloon + (wc_closing - wc_opening) - wc_interest
    )
    equity_before = cash.free_cash_flow_before_terminal + ((unlevered_tax.tax - tax.tax) + debt_flows)
    equity = equity_before + cash.terminal_value
    ke = inp["funding.cost_of_equity"].reshape(-1)
    mid_year = inp["timeline.mid_year_discounting"].reshape(-1) > 0.5
    df = np.broadcast_to(discount_factors(ke, n_t, mid_year), shape)
    # the terminal value's factor follows the project's rule (README): mid-year only for a perpetuity
    perpetuity = np.broadcast_to(inp["valuation.terminal_value_is_perpetuity"].reshape(-1) > 0.5, mid_year.shape)
    df_tv = discount_factors(ke, n_t, mid_year & perpetuity) if mid_year.any() else df
    pv = equity_before * df + cash.terminal_value * df_tv
    return Funding(
        term=term,
        tranches=tranches,
        upfront_fees=fees,
        capitalised_in_service=capitalised,
        capitalised_book_depreciation=book_dep,
        capitalised_tax_depreciation=tax_dep,
        wc_loan_opening=wc_opening,
        wc_loan_closing=wc_closing,
        wc_loan_interest=wc_interest,
        wc_loan_horizon_repayment=wc_horizon,
        depreciation=np.broadcast_to(depreciation, shape),
        ebit=np.broadcast_to(ebit, shape),
        interest_expense=interest,
        pbt=np.broadcast_to(pbt, shape),
        tax=tax,
        pat=np.broadcast_to(pat, shape),
        cfads=np.broadcast_to(cfads, shape),
        debt_service=service,
        dscr=dscr,
        debt_discount_factor=debt_df,
        equity_flow_before_terminal=equity_before,
        equity_flow=equity,
        equity_discount_factor=df,
        equity_present_value=pv,
        ebitda=np.broadcast_to(ops.ebitda, shape),
        capex=np.broadcast_to(cap.spend_total, shape),
        maintenance_capex=np.broadcast_to(cap.maintenance, shape),
        replacement_capex=np.broadcast_to(cap.replacement, shape),
        state_subsidy=np.broadcast_to(cap.subsidy, shape),
        increase_in_working_capital=np.broadcast_to(cash.change_in_working_capital, shape),
        working_capital_release=np.broadcast_to(cash.working_capital_release, shape),
        terminal_value=np.broadcast_to(cash.terminal_value, shape),
    )
