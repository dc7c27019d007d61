"""Working capital, terminal value, free cash flow and its present value [INR crore/yr], ``(S, T)``.

* ``WC = receivable_days/365 x revenue + inventory_days/365 x cost of goods - payable_days/365 x purchases``;
  its increase is a cash outflow; the closing WC is released in the last year unless a terminal value is used.
* Terminal value at the end of the last year: perpetuity ``FCF_last x (1 + g) / (r - g)`` (FCF before the WC
  release) or ``EBITDA_last x multiple``.
* ``FCF = EBITDA - tax - capex - maintenance capex - increase in WC + WC release + terminal value``.
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
    method = inp.structure.terminal_value_method
    release = wc * last if method == "none" else np.zeros(shape)
    fcf_pre = ops.ebitda - tax - cap.spend_total - cap.maintenance - d_wc
    rate = inp["timeline.discount_rate"]
    if method == "perpetuity":
        g = inp["valuation.terminal_growth_rate"]
        tv = fcf_pre[:, -1:] * (1.0 + g) / (rate - g) * last
    elif method == "ebitda_multiple":
        tv = ops.ebitda[:, -1:] * inp["valuation.terminal_ebitda_multiple"] * last
    else:
        tv = np.zeros(shape)
    tv = np.broadcast_to(tv, shape)
    fcf_before_tv = fcf_pre + release
    fcf = fcf_before_tv + tv
    mid_year = inp["timeline.mid_year_discounting"].reshape(-1) > 0.5
    df = discount_factors(rate.reshape(-1), n_t, mid_year)
    df_tv = discount_factors(rate.reshape(-1), n_t, mid_year & (method == "perpetuity")) if mid_year.any() else df
    pv_before = fcf_before_tv * df
    pv = pv_before + tv * df_tv
    return CashFlow(
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
