"""Capex phases: spend, maintenance, fixed opex, book and tax depreciation [INR crore/yr], ``(S, T)``.

* Spend: ``capex_inr_cr x spend_profile[j] x I_t`` in the years ending with the commissioning year, where ``I_t``
  (:func:`capex_price_index`) turns base-FY prices into the prices of the year spent; the phase's nominal cost is
  the sum. With ``replace_at_end_of_life`` the phase is bought again at ``capex_inr_cr x I_t`` every
  ``book_life_years`` after commissioning (within the horizon).
* The phase enters service (book and tax) at its nominal cost in its commissioning year; maintenance capex
  (``rate x nominal cost``, escalated by inflation from commissioning) is spent and enters service every year
  after commissioning.
* Book depreciation: straight line over ``book_life_years`` from the year in service, down to
  ``residual_share`` of cost. Tax depreciation: written-down value, ``rate x (opening block + additions)``; half
  the rate on a phase's capex in its commissioning year when ``tax_half_rate_first_year`` (under 180 days' use).
* Fixed opex: ``fixed_opex_inr_cr`` (first-FY prices) x ``(1 + inflation) ** t`` from commissioning.
* State capital subsidy (:mod:`tem.model.subsidy`): received in instalments; with ``reduces_block`` each eligible
  phase keeps its own tax block, lowered by the instalments received (the excess over the block is taxable).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tem.arrays import cumsum_years, is_exact_zero
from tem.model.inputs import Inputs
from tem.model.subsidy import subsidy_schedule


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
    life_arr = np.asarray(life_years, dtype=float)
    if life_arr.size > 1 and additions.shape[0] == 1:
        additions = np.broadcast_to(additions, (life_arr.size, additions.shape[1]))
    n_s, n_t = additions.shape
    cum = cumsum_years(additions)
    if life_arr.size == 1:  # one life for every scenario: a plain shift
        life = int(life_arr.reshape(-1)[0])
        cum_lagged = np.zeros(np.shape(cum))
        if life < n_t:
            cum_lagged[:, life:] = cum[:, : n_t - life]
        return (cum - cum_lagged) * ((1.0 - residual_share) / life)
    life_rows = np.broadcast_to(life_arr.reshape(-1, 1), (n_s, 1)).astype(np.intp)
    lag = np.arange(n_t)[None, :] - life_rows
    rows = np.arange(n_s)[:, None]
    cum_lagged = np.where(lag >= 0, cum[rows, np.clip(lag, 0, n_t - 1)], 0.0)
    return (cum - cum_lagged) * (1.0 - residual_share) / life_rows


def written_down_value(additions: np.ndarray, rate: np.ndarray, half_rate: np.ndarray | None = None) -> np.ndarray:
    """Tax depreciation on a block: ``rate x (opening block + additions) - rate / 2 x half_rate`` each year, where
    ``half_rate`` ``(S|1, T)`` is the part of the year's additions put to use for under 180 days (depreciated at
    half the rate in that year; Income-tax Act s.32(1), second proviso)."""
    r_flat = np.asarray(rate, dtype=float).reshape(-1)
    n_s = max(additions.shape[0], r_flat.size, 1 if half_rate is None else half_rate.shape[0])
    additions = np.broadcast_to(additions, (n_s, additions.shape[1]))
    half = None if half_rate is None else np.broadcast_to(half_rate, additions.shape)
    dep = np.empty(additions.shape)
    block = np.zeros(n_s)
    r = np.broadcast_to(r_flat, block.shape)
    # in-place updates of the block; a year's column of an (S, T) array is read once (strided reads cost the most)
    half_r = 0.5 * r
    d = np.empty(n_s)
    h = np.empty(n_s)
    for t in range(additions.shape[1]):
        np.add(block, additions[:, t], out=block)
        np.multiply(r, block, out=d)
        if half is not None:
            np.subtract(d, np.multiply(half_r, half[:, t], out=h), out=d)
        dep[:, t] = d
        np.subtract(block, d, out=block)
    return dep


def written_down_value_reduced(
    additions: np.ndarray, rate: np.ndarray, half_rate: np.ndarray | None, reductions: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """As :func:`written_down_value`, with ``reductions`` ``(S|1, T)`` taken off the block in their year after the
    additions (a capital subsidy received: Income-tax Act s.43(1) Explanation 10), never below zero: returns the
    depreciation and the part of each reduction the block could not absorb (taxable when received)."""
    r_flat = np.asarray(rate, dtype=float).reshape(-1)
    n_s = max(additions.shape[0], r_flat.size, reductions.shape[0], 1 if half_rate is None else half_rate.shape[0])
    shape = (n_s, max(additions.shape[1], reductions.shape[1]))
    additions = np.broadcast_to(additions, shape)
    reductions = np.broadcast_to(reductions, shape)
    half = np.broadcast_to(np.zeros((1, 1)) if half_rate is None else half_rate, shape)
    dep = np.empty(shape)
    excess = np.empty(shape)
    block = np.zeros(n_s)
    r = np.broadcast_to(r_flat, block.shape)
    # in-place updates of the block; a year's column of an (S, T) array is read once (strided reads cost the most)
    half_r = 0.5 * r
    applied = np.empty(n_s)
    d = np.empty(n_s)
    h = np.empty(n_s)
    reduction = np.empty(n_s)
    for t in range(shape[1]):
        np.add(block, additions[:, t], out=block)
        np.copyto(reduction, reductions[:, t])
        np.maximum(block, 0.0, out=applied)
        np.minimum(reduction, applied, out=applied)
        np.subtract(reduction, applied, out=excess[:, t])
        np.subtract(block, applied, out=block)
        np.multiply(r, block, out=d)
        np.subtract(d, np.multiply(half_r, half[:, t], out=h), out=d)
        dep[:, t] = d
        np.subtract(block, d, out=block)
    return dep, excess


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
    subsidy_by_phase: dict[str, np.ndarray]  # state capital subsidy received, by phase (eligible phases only)
    subsidy: np.ndarray  # state capital subsidy received [INR crore/yr]
    subsidy_taxable: np.ndarray  # the part of it taxed when received
    net_book_value: np.ndarray  # assets put in service less book depreciation, at year end
    additions_by_phase: dict[str, np.ndarray]  # put in service by phase (commissioning, maintenance, replacement)
    replacement: np.ndarray  # phases spent again at the end of their book life (replace_at_end_of_life)
    replacement_annual: np.ndarray  # its yearly equivalent, capex x index / life (for the normalised FCF)
    price_index: np.ndarray  # capex prices relative to the base FY


CELL_KINDS = ("cell_plant", "recycling")


def _key(x: np.ndarray) -> tuple:
    """Phases whose parameter is the same single number share a key; a per-scenario array is its own key."""
    return ("value", float(x.reshape(-1)[0])) if x.size == 1 else ("array", id(x))


def capex_price_index(inp: Inputs) -> np.ndarray:
    """Capex prices of each year relative to ``capex.price_base_fy`` [factor], ``(S|1, T)``: ``I_t = P_t / P_b`` with
    ``P_t = prod_{u <= t} (1 + escalation_u)`` (so ``I_b = 1`` and ``I_t = I_(t-1) x (1 + e_t)``)."""
    e = inp["capex.escalation_rate"]
    growth = np.cumprod(1.0 + e, axis=1)
    base = (inp["capex.price_base_fy"] - inp.structure.first_fy).astype(np.intp)
    base = np.broadcast_to(base, (max(growth.shape[0], base.shape[0]), 1))
    growth = np.broadcast_to(growth, (base.shape[0], growth.shape[1]))
    return growth / np.take_along_axis(growth, base, axis=1)


def compute_capex(inp: Inputs, n_scenarios: int) -> CapexSchedule:
    """Schedules of every phase, summed. Each phase is computed at its natural shape (one row when none of
    its inputs varies across scenarios) and only the totals are broadcast to ``(n_scenarios, T)``."""
    n_t = inp.structure.n_years
    shape = (n_scenarios, n_t)
    fy = inp.fiscal_years[None, :].astype(float)
    t = np.arange(n_t, dtype=float)[None, :]
    infl = inp["timeline.inflation_rate"]
    escalation = (1.0 + infl) ** t
    zero = np.zeros((1, n_t))
    spend_by_phase: dict[str, np.ndarray] = {}
    additions_by_phase: dict[str, np.ndarray] = {}
    fixed_by_kind: dict[str, np.ndarray] = {}
    maint_total = additions_total = import_spend = cell_capex = cell_fixed = replacement = replacement_annual = zero
    index = capex_price_index(inp)
    replace_flag = inp["capex.replace_at_end_of_life"]
    # depreciation is linear in the additions: phases that share their rates are depreciated together
    tax_groups: dict[tuple, tuple[np.ndarray, np.ndarray, np.ndarray | None]] = {}  # key -> (additions, rate, half)
    tax_phases: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray | None]] = {}
    book_groups: dict[tuple, tuple[np.ndarray, np.ndarray, np.ndarray, bool]] = {}  # (additions, life, residual, cell)
    for ph in inp.structure.phases:
        p = f"capex.phases.{ph.name}."
        capex = inp[p + "capex_inr_cr"]
        fixed_opex = inp[p + "fixed_opex_inr_cr"]
        if is_exact_zero(capex) and is_exact_zero(fixed_opex):  # e.g. a phase the counterfactual does not build
            spend_by_phase[ph.name] = np.broadcast_to(zero, shape)
            fixed_by_kind.setdefault(ph.kind, zero)
            continue
        comm = inp[p + "commissioning_fy"]
        comm_idx = (comm - inp.structure.first_fy).astype(np.intp)
        spend = spend_schedule(capex, inp[p + "spend_profile"], comm_idx, n_t)
        # the phase's cost at the prices of the years it is spent (capex_inr_cr is in base-FY prices); the same
        # operations whether or not prices escalate, so a scenario's bits do not depend on its batch
        spend = spend * index
        nominal = spend.sum(axis=1, keepdims=True)
        age = fy - comm
        maint = np.where(age >= 1, nominal * inp[p + "maintenance_capex_rate"] * (1.0 + infl) ** age, 0.0)
        in_service = np.where(age == 0, nominal, 0.0) + maint
        life = inp[p + "book_life_years"]
        if not is_exact_zero(replace_flag):  # spent again at that year's prices every book life
            again = replace_flag * np.where((age >= life) & (np.mod(age, life) == 0), capex * index, 0.0)
            replacement = replacement + again
            replacement_annual = replacement_annual + replace_flag * capex * index / life
            in_service = in_service + again
            spend_plus = spend + again
        else:
            spend_plus = spend
        fixed = np.where(age >= 0, fixed_opex * escalation, 0.0)
        spend_by_phase[ph.name] = np.broadcast_to(spend, shape)
        maint_total = maint_total + maint
        fixed_by_kind[ph.kind] = fixed_by_kind.get(ph.kind, zero) + fixed
        is_cell = ph.kind in CELL_KINDS
        rate = inp[p + "tax_depreciation_rate"]
        residual = inp[p + "residual_share"]
        half_flag = inp.get(p + "tax_half_rate_first_year", 0.0)
        half = None if is_exact_zero(half_flag) else np.where(age == 0, nominal, 0.0) * half_flag
        tax_phases[ph.name] = (in_service, rate, half)
        additions_by_phase[ph.name] = in_service
        key = (_key(life), _key(residual), is_cell)
        book_groups[key] = (book_groups[key][0] + in_service if key in book_groups else in_service, life, residual, is_cell)
        additions_total = additions_total + in_service
        import_spend = import_spend + spend_plus * inp[p + "import_share"]
        if is_cell:
            cell_capex = cell_capex + spend_plus + maint
            cell_fixed = cell_fixed + fixed
    subsidy_by_phase = subsidy_schedule(inp, spend_by_phase, fy)
    subsidy = sum(subsidy_by_phase.values(), start=zero)
    reduces = inp["incentives.state_capital_subsidy.reduces_block"]  # 1: lowers the tax block; 0: taxed on receipt
    tax = book = cell_book = zero
    subsidy_taxable = (1.0 - reduces) * subsidy
    for name, (additions, rate, half) in tax_phases.items():
        if name in subsidy_by_phase and not is_exact_zero(reduces):  # its own block: the subsidy is relatable to it
            dep, excess = written_down_value_reduced(additions, rate, half, reduces * subsidy_by_phase[name])
            tax = tax + dep
            subsidy_taxable = subsidy_taxable + excess
            continue
        key = _key(rate)  # depreciation is linear in the additions: phases sharing a rate are pooled
        if key in tax_groups:
            old_add, _, old_half = tax_groups[key]
            half = old_half if half is None else (half if old_half is None else old_half + half)
            tax_groups[key] = (old_add + additions, rate, half)
        else:
            tax_groups[key] = (additions, rate, half)
    for additions, rate, half in tax_groups.values():
        tax = tax + written_down_value(additions, rate, half)
    for additions, life, residual, is_cell in book_groups.values():
        group_book = straight_line(additions, life, residual)
        book = book + group_book
        if is_cell:
            cell_book = cell_book + group_book

    def full(x: np.ndarray) -> np.ndarray:
        return np.broadcast_to(x, shape)

    return CapexSchedule(
        spend_by_phase=spend_by_phase,
        spend_total=full(sum(spend_by_phase.values(), start=zero)),
        maintenance=full(maint_total),
        fixed_opex_by_kind={k: full(v) for k, v in fixed_by_kind.items()},
        fixed_opex=full(sum(fixed_by_kind.values(), start=zero)),
        book_depreciation=full(book),
        tax_depreciation=full(tax),
        additions=full(additions_total),
        import_spend=full(import_spend),
        cell_capex=full(cell_capex),
        cell_fixed_opex=full(cell_fixed),
        cell_book_depreciation=full(cell_book),
        subsidy_by_phase={k: full(v) for k, v in subsidy_by_phase.items()},
        subsidy=full(subsidy),
        subsidy_taxable=full(subsidy_taxable),
        net_book_value=full(cumsum_years(additions_total) - cumsum_years(book)),
        additions_by_phase=additions_by_phase,
        replacement=full(replacement),
        replacement_annual=full(replacement_annual),
        price_index=full(index),
    )
