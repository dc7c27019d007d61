"""The funded view of an evaluation, and its KPIs of some rows (a gated batch needs the committed program's full
KPIs and funded view only where no gate removes a phase: elsewhere the gated run replaces them).

Every array of an evaluation is ``(S, T)`` (or broadcast to it); a scenario's funded view reads only its own row,
so the view of some rows has the same bits as those rows of the whole view (as a batch has those of single
runs)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, TypeVar, cast

import numpy as np

from tem.model.batch_inputs import select_scenarios
from tem.model.capex import CapexSchedule
from tem.model.cashflow import CashFlow
from tem.model.funding import Funding, compute_funding
from tem.model.funding_kpis import funding_kpis
from tem.model.inputs import Inputs
from tem.model.kpis import compute_kpis
from tem.model.operations import Operations
from tem.model.tax import TaxResult, compute_tax
from tem.model.unit_costs import UnitCosts
from tem.model.volumes import Volumes

X = TypeVar("X")


def funded_view(inp: Inputs, ops: Operations, cap: CapexSchedule, tax: TaxResult, cash: CashFlow) -> Funding:
    """:func:`~tem.model.funding.compute_funding` after tax and cash flow, with the engine's tax rule for the
    levered tax (tem.model.funding states the order)."""
    rate, carry = inp["tax.corporate_rate"], inp["tax.loss_carry_forward_years"]
    within_parent = inp["tax.within_parent"]  # 1 within the parent, 0 standalone, per scenario
    profit_before_depreciation = ops.ebitda + cap.subsidy_taxable

    def levered_tax(extra_depreciation: np.ndarray, interest: np.ndarray) -> TaxResult:
        # interest is a business expense, the capitalised borrowing costs' depreciation is depreciation
        return compute_tax(
            profit_before_depreciation - interest, cap.tax_depreciation + extra_depreciation, rate, carry, within_parent
        )

    return compute_funding(inp, ops, cap, tax, cash, levered_tax)


def take_rows(x: X, rows: np.ndarray, n_s: int) -> X:
    """``x`` (an array, a dict or a dataclass of them, nested) with only the scenarios ``rows`` of its ``(S, T)``
    arrays (``S = n_s``); rows broadcast from one stay broadcast, other arrays are kept as they are."""
    if isinstance(x, np.ndarray):
        if x.ndim != 2 or x.shape[0] != n_s or n_s == 1:
            return x
        if x.strides[0] == 0:
            return np.broadcast_to(x[:1], (rows.size, x.shape[1]))  # type: ignore[return-value]
        return x[rows]
    if isinstance(x, dict):
        return {k: take_rows(v, rows, n_s) for k, v in x.items()}  # type: ignore[return-value]
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        changes: dict[str, Any] = {f.name: take_rows(getattr(x, f.name), rows, n_s) for f in dataclasses.fields(x)}
        return dataclasses.replace(x, **changes)
    return x


class _RowsOf:
    """Attribute access to an evaluation's dataclass with only the scenarios ``rows`` of its arrays, each taken
    when first read (the KPIs and the funded view read some of the lines)."""

    def __init__(self, obj: object, rows: np.ndarray, n_s: int) -> None:
        self._of = (obj, rows, n_s)

    def __getattr__(self, name: str) -> Any:
        obj, rows, n_s = self._of
        value = take_rows(getattr(obj, name), rows, n_s)
        self.__dict__[name] = value
        return value


def kpis_of_rows(
    inp: Inputs,
    lines: tuple[Volumes, UnitCosts, CapexSchedule, Operations, TaxResult, CashFlow],
    base: Mapping[str, np.ndarray],
    rows: np.ndarray,
    funded: bool,
) -> dict[str, np.ndarray]:
    """Every KPI of an evaluation of ``inp`` with the lines ``(volumes, unit costs, capex, operations, tax, cash
    flow)`` (:func:`~tem.model.kpis.compute_kpis` with ``detail=False``, then the funded view's when ``funded``)
    for the scenarios ``rows`` ``(S,)``, NaN in the other rows; ``base``: KPIs already computed for every row
    (e.g. ``evaluate(full=False)``'s), kept as they are. The keys in the order of ``evaluate``'s."""
    vol, uc, cap, ops, tax, cash = lines
    n_s = inp.n_scenarios
    if rows.size == n_s:
        kpis = compute_kpis(inp, vol, uc, cap, ops, cash, full=True, detail=False)[0]
        if funded:
            kpis |= funding_kpis(inp, funded_view(inp, ops, cap, tax, cash))
        return {k: base.get(k, v) for k, v in kpis.items()}
    picked = rows if rows.size else np.arange(min(n_s, 1))  # with no row, one gives the names (every value NaN)
    sub = select_scenarios(inp, picked)
    vol, uc, cap, ops, tax, cash = (
        cast(Volumes, _RowsOf(vol, picked, n_s)),
        cast(UnitCosts, _RowsOf(uc, picked, n_s)),
        cast(CapexSchedule, _RowsOf(cap, picked, n_s)),
        cast(Operations, _RowsOf(ops, picked, n_s)),
        cast(TaxResult, _RowsOf(tax, picked, n_s)),
        cast(CashFlow, _RowsOf(cash, picked, n_s)),
    )
    kpis = compute_kpis(sub, vol, uc, cap, ops, cash, full=True, detail=False)[0]
    if funded:
        kpis |= funding_kpis(sub, funded_view(sub, ops, cap, tax, cash))
    out = {}
    for k, v in kpis.items():
        if k in base:
            out[k] = base[k]
            continue
        full = np.full(n_s, np.nan, dtype=v.dtype)
        if rows.size:
            full[rows] = v
        out[k] = full
    return out
