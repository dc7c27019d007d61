"""Working capital, terminal value, free cash flow and its present value [INR crore/yr], ``(S, T)``.

* ``WC = receivable_days/365 x revenue + inventory_days/365 x cost of goods - payable_days/365 x purchases``;
  its increase is a cash outflow; the closing WC is released in the last year unless a terminal value is used.
* Terminal value at the end of the last year (none: the WC is released instead): perpetuity ``normalised FCF_last
  x (1 + g) / (r - g)`` (:func:`normalised_fcf`) or ``EBITDA_last x multiple``; floored (``terminal_value_floor``)
  at zero or at salvage (net book value of fixed assets + working capital), or not at all. The business keeps
  its working capital: no release with a terminal value.
* ``FCF = EBITDA - tax - capex - maintenance capex - replacement capex + state capital subsidy - increase in WC
  + WC release + terminal value``.
* The terminal value has its own discount factor ``DF_TV_t = (1 + r) ** -(t + 1)``, except a perpetuity under
  mid-year discounting: ``(1 + r) ** -(t + 0.5)``, the factor of the last year's flows, since the perpetuity's
  flows also fall mid-year (a sale at an EBITDA multiple happens at the end of the year).
  ``PV_t = (FCF_t - TV_t) x DF_t + TV_t x DF_TV_t``; NPV is their sum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tem.finance import discount_factors
from tem.model.capex import CapexSchedule
from tem.model.inputs import Inputs
from tem.model.operations import Operations

DAYS_PER_YEAR = 365.0


@dataclass(frozen=True)
class CashFlow:
    normalised_free_cash_flow: np.ndarray  # the perpetuity's base, each year (README "Terminal value")
    salvage_value: np.ndarray  # net book value of fixed assets + working capital
    working_capital: np.ndarray
    change_in_working_capital: np.ndarray  # increase (an outflow, shown negative in the statement)
    working_capital_release: np.ndarray
    terminal_value: np.ndarray
    free_cash_flow: np.ndarray
    free_cash_flow_before_terminal: np.ndarray
    discount_factor: np.ndarray
    terminal_value_discount_factor: np.ndarray
    present_value: np.ndarray
    present_value_before_terminal: np.ndarray


def normalised_fcf(inp: Inputs, ops: Operations, cap: CapexSchedule, wc: np.ndarray) -> np.ndarray:
    """The free cash flow a perpetuity grows from, each year: ``EBITDA - tax at the statutory rate on EBITDA - tax
    depreciation (no loss set-off; not below zero standalone) - maintenance capex - replacement capex a year
    (``capex x I / book life`` when phases are replaced) - g / (1 + g) x WC`` (the
    working capital a business growing at g adds each year); no growth capex, subsidy or loss set-off, which do
    not recur. ``(S, T)`` [INR crore]."""
    g = inp["valuation.terminal_growth_rate"]
    taxable = ops.ebitda - cap.tax_depreciation
    parent = inp["tax.within_parent"]
    tax = inp["tax.corporate_rate"] * (parent * taxable + (1.0 - parent) * np.maximum(taxable, 0.0))
    return ops.ebitda - tax - cap.maintenance - cap.replacement_annual - g / (1.0 + g) * wc


def compute_cash_flow(inp: Inputs, ops: Operations, cap: CapexSchedule, tax: np.ndarray) -> CashFlow:
    shape = ops.revenue.shape
    n_t = shape[1]
    wc = (
        inp["working_capital.receivable_days"] / DAYS_PER_YEAR * ops.revenue
        + inp["working_capital.inventory_days"] / DAYS_PER_YEAR * ops.cogs
        - inp["working_capital.payable_days"] / DAYS_PER_YEAR * ops.purchases
    )
    d_wc = np.diff(wc, axis=1, prepend=0.0)
    last = np.zeros((1, n_t))
    last[0, -1] = 1.0
    # the method and floor as numbers (1/0 per scenario), so that a batch or a bridge can switch them
    perpetuity = inp["valuation.terminal_value_is_perpetuity"]
    multiple = inp["valuation.terminal_value_is_multiple"]
    has_tv = perpetuity + multiple
    release = wc * last * (1.0 - has_tv)
    fcf_pre = ops.ebitda - tax - cap.spend_total - cap.maintenance - cap.replacement + cap.subsidy - d_wc
    rate = inp["timeline.discount_rate"]
    g = inp["valuation.terminal_growth_rate"]
    normalised = normalised_fcf(inp, ops, cap, wc)
    salvage = cap.net_book_value + wc

    def at_end(x: np.ndarray) -> np.ndarray:
        """The last year of a yearly array (the terminal value is taken at the end: the same numbers there)."""
        return x[:, -1:] if x.ndim == 2 and x.shape[1] == n_t else x

    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # r - g only matters for a perpetuity
        tv_raw = np.where(at_end(perpetuity) > 0.5, at_end(normalised) * (1.0 + at_end(g)) / (at_end(rate) - at_end(g)), 0.0)
    tv_raw = tv_raw + at_end(multiple) * at_end(ops.ebitda) * at_end(inp["valuation.terminal_ebitda_multiple"])
    floor_zero, floor_salvage = inp["valuation.terminal_value_floor_zero"], inp["valuation.terminal_value_floor_salvage"]
    tv_raw = np.where(at_end(floor_zero) > 0.5, np.maximum(tv_raw, 0.0), tv_raw)
    tv_raw = np.where(at_end(floor_salvage) > 0.5, np.maximum(tv_raw, at_end(salvage)), tv_raw)
    tv = np.broadcast_to(tv_raw[:, -1:] * last * has_tv, shape)
    fcf_before_tv = fcf_pre + release
    fcf = fcf_before_tv + tv
    mid_year = inp["timeline.mid_year_discounting"].reshape(-1) > 0.5
    df = discount_factors(rate.reshape(-1), n_t, mid_year)
    if mid_year.any():
        mid_perpetuity = mid_year & np.broadcast_to(perpetuity.reshape(-1) > 0.5, mid_year.shape)
        df_tv = discount_factors(rate.reshape(-1), n_t, mid_perpetuity)
    else:
        df_tv = df
    pv_before = fcf_before_tv * df
    pv = pv_before + tv * df_tv
    return CashFlow(
        np.broadcast_to(normalised, shape),
        np.broadcast_to(salvage, shape),
        np.broadcast_to(wc, shape),
        np.broadcast_to(d_wc, shape),
        np.broadcast_to(release, shape),
        tv,
        fcf,
        fcf_before_tv,
        np.broadcast_to(df, shape),
        np.broadcast_to(df_tv, shape),
        pv,
        pv_before,
    )
