"""Equity and lender KPIs of the funded view, each ``(S,)`` (README "Funding"): equity NPV and IRR, peak equity,
minimum and average DSCR over the years with debt service, LLCR over the loan life, debt drawn and interest
capitalised during construction. The schedules they read are :class:`tem.model.funding.Funding`."""

from __future__ import annotations

import numpy as np

from tem.arrays import cumsum_years
from tem.finance import irr, peak_funding
from tem.model.funding import Funding
from tem.model.inputs import Inputs

# the names :func:`funding_kpis` returns (a batch that keeps none of them can skip the funded view)
FUNDED_KPIS = (
    "equity_npv_inr_cr",
    "equity_irr",
    "equity_irr_status",
    "peak_equity_inr_cr",
    "peak_equity_fy",
    "min_dscr",
    "min_dscr_fy",
    "avg_dscr",
    "llcr",
    "term_debt_drawn_inr_cr",
    "interest_during_construction_inr_cr",
)


def funding_kpis(inp: Inputs, f: Funding) -> dict[str, np.ndarray]:
    """Equity and lender KPIs, each ``(S,)`` (README "Funding")."""
    fys = inp.fiscal_years.astype(float)
    has_service = f.debt_service > 0
    any_service = has_service.any(axis=1)
    with np.errstate(invalid="ignore", over="ignore"):
        dscr_for_min = np.where(has_service, f.dscr, np.inf)
        min_idx = np.argmin(dscr_for_min, axis=1)
        rows = np.arange(f.dscr.shape[0])
        min_dscr = np.where(any_service, f.dscr[rows, min_idx], np.nan)
        n_service = has_service.sum(axis=1)
        avg_dscr = np.where(any_service, np.where(has_service, f.dscr, 0.0).sum(axis=1) / np.maximum(n_service, 1), np.nan)
    t = np.arange(f.dscr.shape[1])[None, :]
    first = np.where(any_service, np.argmax(has_service, axis=1), 0)[:, None]
    last = np.where(any_service, f.dscr.shape[1] - 1 - np.argmax(has_service[:, ::-1], axis=1), -1)[:, None]
    life = (t >= first) & (t <= last)
    pv_service = np.einsum("ij,ij->i", f.debt_service, f.debt_discount_factor)
    pv_cfads = np.einsum("ij,ij->i", np.where(life, f.cfads, 0.0), f.debt_discount_factor)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        llcr = np.where(any_service, pv_cfads / np.where(any_service, pv_service, 1.0), np.nan)
    cum = cumsum_years(f.equity_flow_before_terminal)
    equity_irr = irr(f.equity_flow)
    return {
        "equity_npv_inr_cr": f.equity_present_value.sum(axis=1),
        "equity_irr": equity_irr.rate,
        "equity_irr_status": equity_irr.status.astype(float),
        "peak_equity_inr_cr": peak_funding(f.equity_flow_before_terminal),
        "peak_equity_fy": np.where(cum.min(axis=1) < 0, fys[np.argmin(cum, axis=1)], np.nan),
        "min_dscr": min_dscr,
        "min_dscr_fy": np.where(any_service, fys[min_idx], np.nan),
        "avg_dscr": avg_dscr,
        "llcr": llcr,
        "term_debt_drawn_inr_cr": f.term.drawdown.sum(axis=1),
        "interest_during_construction_inr_cr": f.term.capitalised_interest.sum(axis=1),
    }
