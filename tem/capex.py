"""Capex phases: spend, maintenance, fixed opex, book and tax depreciation [INR crore/yr], ``(S, T)``.

* Spend: ``capex_inr_cr x spend_profile[j]`` in the years ending with the commissioning year.
* The phase enters service (book and tax) in its commissioning year; maintenance capex
  (``rate x capex``, escalated by inflation) is spent and enters service every year after commissioning.
* Book depreciation: straight line over ``book_life_years`` from the year in service, down to
  ``residual_share`` of cost. Tax depreciation: written-down value, ``rate x (opening block + additions)``.
* Fixed opex: ``fixed_opex_inr_cr`` (first-FY prices) x ``(1 + inflation) ** t`` from commissioning.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tem.inputs import Inputs


def spend_schedule(
    capex_inr_cr: np.ndarray, profile: np.ndarray, commissioning_index: np.ndarray, n_years: int
) -> np.ndarray:
    """Spend by year: profile ``(S|1, L)`` laid on the L years ending at the commissioning index ``(S|1, 1)``."""
    t = np.arange(n_years)[None, :]
    n_l = profile.shape[1]
    out = np.zeros(np.broadcast_shapes(capex_inr_cr.shape, commissioning_index.shape, (1, n_years)))
    for j in range(n_l):
        out = out + profile[:, j : j + 1] * (t == commissioning_index - n_l + 1 + j)
    return out * capex_inr_cr


def straight_line(additions: np.ndarray, life_years: np.ndarray, residual_share: np.ndarray) -> np.ndarray:
    """Book depreciation of yearly additions ``(S, T)``: each addition loses ``(1 - residual) / life`` of its
    cost per year for ``life`` years, starting in its own year."""
    n_s, n_t = additions.shape
    cum = np.cumsum(additions, axis=1)
    life_arr = np.asarray(life_years, dtype=float)
    if life_arr.size == 1:  # one life for every scenario: a plain shift
        life = int(life_arr.reshape(-1)[0])
        cum_lagged = np.zeros_like(cum)
        if life < n_t:
            cum_lagged[:, life:] = cum[:, : n_t - life]
        return (cum - cum_lagged) * ((1.0 - residual_share) / life)
    life_rows = np.broadcast_to(life_arr.reshape(-1, 1), (n_s, 1)).astype(np.intp)
    lag = np.arange(n_t)[None, :] - life_rows
    rows = np.arange(n_s)[:, None]
    cum_lagged = np.where(lag >= 0, cum[rows, np.clip(lag, 0, n_t - 1)], 0.0)
    return (cum - cum_lagged) * (1.0 - residual_share) / life_rows


def written_down_value(additions: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """Tax depreciation on a block: ``rate x (opening block + additions)`` each year."""
    dep = np.empty_like(additions)
    block = np.zeros(additions.shape[0])
    r = np.broadcast_to(np.asarray(rate, dtype=float).reshape(-1), block.shape)
    for t in range(additions.shape[1]):
        block = block + additions[:, t]
        dep[:, t] = r * block
        block = block - dep[:, t]
    return dep


@dataclass(frozen=True)
class CapexSchedule:
    spend_by_phase: dict[str, np.ndarray]  # growth capex by phase name
    spend_total: np.ndarray
    maintenance: np.ndarray
    fixed_opex_by_kind: dict[str, np.ndarray]
    fixed_opex: np.ndarray
    book_depreciation: np.ndarray
    tax_depreciation: np.ndarray
    additions: np.ndarray  # assets put in service (growth + maintenance)
    import_spend: np.ndarray  # capex paid abroad [INR crore]
    cell_capex: np.ndarray  # spend + maintenance of cell plants and recycling (for the levelized cell cost)
    cell_fixed_opex: np.ndarray
    cell_book_depreciation: np.ndarray


CELL_KINDS = ("cell_plant", "recycling")


def compute_capex(inp: Inputs, n_scenarios: int) -> CapexSchedule:
    n_t = inp.structure.n_years
    shape = (n_scenarios, n_t)
    fy = inp.fiscal_years[None, :].astype(float)
    t = np.arange(n_t, dtype=float)[None, :]
    infl = inp["timeline.inflation_rate"]
    escalation = (1.0 + infl) ** t
    spend_by_phase: dict[str, np.ndarray] = {}
    maint_total = np.zeros(shape)
    fixed_by_kind: dict[str, np.ndarray] = {}
    book = np.zeros(shape)
    tax = np.zeros(shape)
    additions_total = np.zeros(shape)
    import_spend = np.zeros(shape)
    cell_capex = np.zeros(shape)
    cell_fixed = np.zeros(shape)
    cell_book = np.zeros(shape)
    for ph in inp.structure.phases:
        p = f"capex.phases.{ph.name}."
        capex = inp[p + "capex_inr_cr"]
        comm = inp[p + "commissioning_fy"]
        comm_idx = (comm - inp.structure.first_fy).astype(np.intp)
        spend = np.broadcast_to(spend_schedule(capex, inp[p + "spend_profile"], comm_idx, n_t), shape)
        age = fy - comm
        maint = np.where(age >= 1, capex * inp[p + "maintenance_capex_rate"] * (1.0 + infl) ** age, 0.0)
        maint = np.broadcast_to(maint, shape)
        in_service = np.where(age == 0, capex, 0.0) + maint
        in_service = np.broadcast_to(in_service, shape)
        fixed = np.broadcast_to(np.where(age >= 0, inp[p + "fixed_opex_inr_cr"] * escalation, 0.0), shape)
        spend_by_phase[ph.name] = spend
        maint_total = maint_total + maint
        fixed_by_kind[ph.kind] = fixed_by_kind.get(ph.kind, np.zeros(shape)) + fixed
        phase_book = straight_line(in_service, inp[p + "book_life_years"], inp[p + "residual_share"])
        book = book + phase_book
        tax = tax + written_down_value(in_service, inp[p + "tax_depreciation_rate"])
        additions_total = additions_total + in_service
        import_spend = import_spend + spend * inp[p + "import_share"]
        if ph.kind in CELL_KINDS:
            cell_capex = cell_capex + spend + maint
            cell_fixed = cell_fixed + fixed
            cell_book = cell_book + phase_book
    spend_total = sum(spend_by_phase.values(), start=np.zeros(shape))
    return CapexSchedule(
        spend_by_phase=spend_by_phase,
        spend_total=spend_total,
        maintenance=maint_total,
        fixed_opex_by_kind=fixed_by_kind,
        fixed_opex=sum(fixed_by_kind.values(), start=np.zeros(shape)),
        book_depreciation=book,
        tax_depreciation=tax,
        additions=additions_total,
        import_spend=import_spend,
        cell_capex=cell_capex,
        cell_fixed_opex=cell_fixed,
        cell_book_depreciation=cell_book,
    )
