"""The engine: the one place that knows the order of the steps (DESIGN.md section 7).

inputs -> volumes -> unit costs -> local cells by segment -> capex and depreciation -> prices (each segment's
rule) -> operations (revenue, costs, EBITDA, DVA) -> tax -> cash flow -> KPIs; then the same for the import-only
counterfactual, and the difference. Every step is a pure function over arrays shaped ``(n_scenarios, n_years)``.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from tem.model.allocation import allocate_local_cells
from tem.model.batch_inputs import batch_size, rows_of, select_scenarios, take_scenarios, with_values
from tem.model.batch_runtime import batch_runtime
from tem.model.capex import CapexSchedule, compute_capex
from tem.model.cashflow import CashFlow, compute_cash_flow
from tem.model.funded_rows import funded_view, kpis_of_rows
from tem.model.funding import Funding
from tem.model.funding_kpis import FUNDED_KPIS, funding_kpis
from tem.model.gates import GateDecision, Lines, apply_gates, decide, first_spend_fy, removable
from tem.model.inputs import Inputs, import_only_inputs
from tem.model.kpis import compute_kpis
from tem.model.operations import Operations, compute_operations
from tem.model.pricing import Prices, compute_prices, segment_variable_costs
from tem.model.read_log import paths_read
from tem.model.tax import TaxResult, compute_tax
from tem.model.unit_costs import UnitCosts, compute_unit_costs
from tem.model.volumes import Volumes, compute_volumes
from tem.model.year_lines import YEAR_LINES, parse_year_line

DEFAULT_CHUNK_SIZE = 10_000  # scenarios per engine call in a batch (benchmarks/RESULTS_engine.md)


@dataclass(frozen=True)
class Outcome:
    """Everything computed for S scenarios; presentation reads this and never recomputes the model."""

    inputs: Inputs
    volumes: Volumes
    unit_costs: UnitCosts
    capex: CapexSchedule
    prices: Prices
    operations: Operations
    tax: TaxResult
    cash: CashFlow
    kpis: dict[str, np.ndarray]
    levelized_pack_parts: dict[str, np.ndarray]
    levelized_cell_parts: dict[str, np.ndarray]
    funding: Funding | None = None  # the funded view (None where only the counterfactual's KPIs are computed)
    gates: GateDecision | None = None  # the gates' decisions, when the assumptions have gates


def evaluate(
    inp: Inputs, *, full: bool = True, unit_costs: UnitCosts | None = None, detail: bool = True, funded: bool = True
) -> Outcome:
    """One pass of the model over every scenario in ``inp`` (no counterfactual); ``full=False`` computes only
    the KPIs the counterfactual comparison needs; ``unit_costs``, when given, are used instead of computing
    them (see :func:`run_inputs`); ``detail=False`` skips the levelized cost split by component and the
    reporting lines by segment (:func:`~tem.model.pricing.compute_prices`, :func:`~tem.model.operations.compute_operations`);
    ``funded=False`` skips the funded view (no ``funding``, none of :data:`FUNDED_KPIS`; the other KPIs are
    the same bits: the funded view comes after them and changes nothing they read)."""
    n_s = inp.n_scenarios
    vol = compute_volumes(inp)
    uc = compute_unit_costs(inp, vol, detail) if unit_costs is None else unit_costs
    cap = compute_capex(inp, n_s)
    vol = allocate_local_cells(inp, vol, uc, cap)
    # each segment's own variable cost: read by the prices (cost plus) and the operations (detail)
    priced_on_cost = [s for s, rule in inp.structure.price_rules.items() if detail or rule == "cost_plus"]
    own_cost = segment_variable_costs(priced_on_cost, vol, uc)
    prices = compute_prices(inp, vol, uc, cap, own_cost, detail)
    ops = _broadcast_ops(compute_operations(inp, vol, uc, cap, prices, own_cost, detail), n_s)
    rate, carry = inp["tax.corporate_rate"], inp["tax.loss_carry_forward_years"]
    within_parent = inp["tax.within_parent"]  # 1 within the parent, 0 standalone, per scenario
    profit_before_depreciation = ops.ebitda + cap.subsidy_taxable
    tax = compute_tax(profit_before_depreciation, cap.tax_depreciation, rate, carry, within_parent)
    cash = compute_cash_flow(inp, ops, cap, tax.tax)
    kpis, pack_parts, cell_parts = compute_kpis(inp, vol, uc, cap, ops, cash, full=full, detail=detail)
    funding = None
    if full and funded:  # the funded view: after tax and cash flow (tem.model.funding states the order)
        funding = funded_view(inp, ops, cap, tax, cash)
        kpis |= funding_kpis(inp, funding)
    return Outcome(inp, vol, uc, cap, prices, ops, tax, cash, kpis, pack_parts, cell_parts, funding)


def _broadcast_ops(ops: Operations, n_s: int) -> Operations:
    shape = (n_s, ops.revenue.shape[1])
    if ops.revenue.shape == shape:
        return ops
    changes: dict[str, Any] = {}
    for name in ops.__dataclass_fields__:
        v = getattr(ops, name)
        if isinstance(v, dict):
            changes[name] = {k: np.broadcast_to(a, shape) for k, a in v.items()}
        else:
            changes[name] = np.broadcast_to(v, shape)
    return replace(ops, **changes)


def add_incremental(kpis: dict[str, np.ndarray], cf: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    out = dict(kpis)
    out["npv_import_only_inr_cr"] = cf["npv_inr_cr"]
    out["incremental_npv_vs_import_inr_cr"] = kpis["npv_inr_cr"] - cf["npv_inr_cr"]
    out["levelized_pack_cost_import_only_inr_per_kwh"] = cf["levelized_pack_cost_inr_per_kwh"]
    out["incremental_levelized_pack_cost_inr_per_kwh"] = (
        kpis["levelized_pack_cost_inr_per_kwh"] - cf["levelized_pack_cost_inr_per_kwh"]
    )
    out["cumulative_forex_saved_usd_m"] = cf["forex_outflow_usd_m"] - kpis["forex_outflow_usd_m"]
    return out


def _lines(inp: Inputs) -> Lines:
    """The yearly lines gates read (volumes, unit costs, operations) of other inputs."""
    vol = compute_volumes(inp)
    uc = compute_unit_costs(inp, vol)
    cap = compute_capex(inp, inp.n_scenarios)
    vol = allocate_local_cells(inp, vol, uc, cap)
    return vol, uc, compute_operations(inp, vol, uc, cap, compute_prices(inp, vol, uc, cap))


def gate_kpis(decision: GateDecision, committed: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``committed_npv_inr_cr`` (every gate open) and, per gated phase, ``gate_passed_<phase>`` (1 or 0)."""
    out = {"committed_npv_inr_cr": committed["npv_inr_cr"]}
    for phase, ok in decision.passed.items():
        out[f"gate_passed_{phase}"] = ok.astype(float)
    return out


def run_inputs(inp: Inputs, *, full_counterfactual: bool = True, gates: str = "decide") -> tuple[Outcome, Outcome]:
    """The scenarios and their counterfactuals; the scenario outcome's KPIs include the increments.

    With gates in the assumptions (``gates="decide"``) the committed run (every gate open) gives the values the
    gates read and its NPV (``committed_npv_inr_cr``); each scenario is then run with the phases its gates
    removed (:mod:`tem.model.gates`). ``gates="open"`` runs the committed program.

    With ``full_counterfactual=False`` (batches, where only KPIs are kept) the levelized costs are not split by
    component, and the counterfactual reuses the scenario's unit costs: the two differ only in the local cell's
    cost (its learning and yield follow local output), and the counterfactual makes no local cells, so every use
    of that cost is multiplied by zero. The KPIs are the same to the bit (tests/model/test_engine_properties.py:
    batches equal single runs)."""
    if inp.structure.gates and gates == "decide":
        committed = evaluate(inp, full=False, detail=False)
        decision = decide(inp, (committed.volumes, committed.unit_costs, committed.operations), _lines)
        main, cf = run_inputs(apply_gates(inp, decision.built), full_counterfactual=full_counterfactual, gates="open")
        return replace(main, kpis=main.kpis | gate_kpis(decision, committed.kpis), gates=decision), cf
    main = evaluate(inp, detail=full_counterfactual)
    cf = evaluate(
        import_only_inputs(inp),
        full=full_counterfactual,
        unit_costs=None if full_counterfactual else main.unit_costs,
        detail=full_counterfactual,
    )
    return replace(main, kpis=add_incremental(main.kpis, cf.kpis)), cf


def run_batch_inputs(
    inp: Inputs,
    values: Mapping[str, Any] | None = None,
    scales: Mapping[str, Any] | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    workers: int | None = None,
    year_lines: Sequence[str] = (),
    gates: str = "decide",
    executor: Any | None = None,
    funded: bool = True,
) -> dict[str, np.ndarray]:
    """KPIs ``(S,)`` of a batch built from per-scenario values.

    ``year_lines`` adds one year of a yearly line as an extra KPI, written ``"<line>@FY30"`` with a line from
    :data:`YEAR_LINES` (e.g. ``"local_cell_full_minus_imported_inr_per_kwh@FY30"``, for goal seeks on one year).

    ``gates="open"`` runs the committed program (every gate forced open); see :func:`run_inputs`.

    Evaluated in chunks of ``chunk_size`` scenarios (bounded memory: about 0.1 GB per 1,000 scenarios in flight;
    larger chunks spread numpy's per-call overhead over more scenarios), on ``workers``
    threads (default: the CPU count; numpy releases the GIL inside array operations), with freed memory kept
    for reuse and BLAS on one thread (:mod:`tem.model.batch_runtime`). Each scenario's result
    is the same whatever the chunk size and worker count. The import-only counterfactual is evaluated once for
    the whole batch when no varied input reaches it (:func:`shared_counterfactual`).

    ``executor``: anything with ``submit(fn, *args)`` returning a future with ``result()`` (a
    ``dask.distributed.Client`` for a cluster, or a ``concurrent.futures`` executor): each chunk becomes one task
    (one thread each) and the results are joined in order; the same bits as a local run.

    ``funded=False``: the funded view's KPIs (:data:`~tem.model.funding_kpis.FUNDED_KPIS`: equity and lender)
    are left out and not computed (a fifth of a batch's time); every other KPI is the same bits.
    """
    n_s = batch_size(inp, values, scales)
    bounds = [(start, min(n_s, start + chunk_size)) for start in range(0, n_s, chunk_size)]
    wanted = tuple(parse_year_line(inp, spec) for spec in year_lines)
    shared = shared_counterfactual(inp, values, scales)

    def args(span: tuple[int, int]) -> tuple[Any, ...]:
        # each chunk builds (and checks) its own slice of the batch: no (S, T) copy of the whole batch
        base = take_scenarios(inp, *span) if inp.n_scenarios > 1 else inp
        return base, rows_of(values, *span), rows_of(scales, *span), wanted, gates, shared, funded

    if executor is not None:
        futures = [executor.submit(chunk_task, *args(span)) for span in bounds]
        parts = [f.result() for f in futures]
        return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    n_workers = min(len(bounds), workers or os.cpu_count() or 1)
    with batch_runtime():
        if n_workers <= 1:
            parts = [chunk_kpis(*args(span)) for span in bounds]
        else:
            with ThreadPoolExecutor(max_workers=n_workers) as pool:
                parts = list(pool.map(lambda span: chunk_kpis(*args(span)), bounds))
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def chunk_kpis(
    base: Inputs,
    values: Mapping[str, Any],
    scales: Mapping[str, Any],
    wanted: Sequence[tuple[str, str, int]],
    gates: str,
    shared: Mapping[str, np.ndarray] | None,
    funded: bool = True,
) -> dict[str, np.ndarray]:
    """The KPIs of one chunk of a batch (see :func:`run_batch_inputs`); ``shared``: the batch's counterfactual
    KPIs ``(1,)`` when it is shared, else None; ``funded=False``: without the funded view's KPIs."""
    chunk = with_values(base, values, scales)
    _check_batch_timing(chunk)
    size = chunk.n_scenarios
    cf = None if shared is None else {k: np.broadcast_to(v, (size,)) for k, v in shared.items()}
    if gates == "decide" and chunk.structure.gates and not wanted:
        return gated_batch_kpis(chunk, cf, funded)
    if not wanted and not (chunk.structure.gates and gates == "decide"):
        return _kpis_only(chunk, cf, funded)
    main = _scenarios(chunk, gates, cf)
    kpis = {k: v for k, v in main.kpis.items() if funded or k not in FUNDED_KPIS}
    for spec, line, t in wanted:
        year_values = np.broadcast_to(YEAR_LINES[line](main), (size, chunk.structure.n_years))
        kpis[spec] = year_values[:, t].copy()
    return kpis


def chunk_task(*args: Any) -> dict[str, np.ndarray]:
    """:func:`chunk_kpis` as one task of an executor (BLAS on one thread, freed memory kept for reuse)."""
    with batch_runtime():
        return chunk_kpis(*args)


def _kpis_only(inp: Inputs, cf: Mapping[str, np.ndarray] | None, funded: bool = True) -> dict[str, np.ndarray]:
    """The KPIs of :func:`run_inputs` in a batch (``full_counterfactual=False``, every gate open), the same
    computation with less memory: the scenarios' yearly arrays are freed before the counterfactual is evaluated
    (only their KPIs and unit costs are kept), so a chunk holds one evaluation's arrays at a time."""
    main = evaluate(inp, detail=False, funded=funded)
    kpis, unit_costs = main.kpis, main.unit_costs
    del main
    if cf is None:
        cf = evaluate(import_only_inputs(inp), full=False, unit_costs=unit_costs, detail=False).kpis
    return add_incremental(kpis, dict(cf))


def _scenarios(inp: Inputs, gates: str, cf: Mapping[str, np.ndarray] | None) -> Outcome:
    """:func:`run_inputs`'s scenario outcome in a batch (``full_counterfactual=False``), with the counterfactual's
    KPIs ``cf`` when they are shared (the same bits: :func:`shared_counterfactual`)."""
    if cf is None:
        return run_inputs(inp, full_counterfactual=False, gates=gates)[0]
    if inp.structure.gates and gates == "decide":
        committed = evaluate(inp, full=False, detail=False)
        decision = decide(inp, (committed.volumes, committed.unit_costs, committed.operations), _lines)
        # the gated program's counterfactual is the committed one's when gates remove only phases it drops
        main = _scenarios(apply_gates(inp, decision.built), "open", cf if _gates_remove_dropped_only(inp) else None)
        return replace(main, kpis=main.kpis | gate_kpis(decision, committed.kpis), gates=decision)
    main = evaluate(inp, detail=False)
    return replace(main, kpis=add_incremental(main.kpis, dict(cf)))


def _gates_remove_dropped_only(inp: Inputs) -> bool:
    """Whether every phase a gate can remove is of a kind the counterfactual drops (so that removing it leaves
    the counterfactual's inputs as they are)."""
    kinds = {ph.name: ph.kind for ph in inp.structure.phases}
    return all(kinds[ph] in inp.structure.counterfactual_drop_kinds for ph in removable(inp.structure))


def gated_batch_kpis(
    inp: Inputs, cf: Mapping[str, np.ndarray] | None = None, funded: bool = True
) -> dict[str, np.ndarray]:
    """The KPIs :func:`run_inputs` gives a batch with gates (the same bits), evaluating less: the committed program
    is evaluated once, its KPIs beyond the increments' and the gates' only where no gate removes a phase; only the
    scenarios where a gate removes something are evaluated again with their phases removed; the counterfactual is
    shared when every phase a gate can remove is of a kind the counterfactual drops anyway (its inputs are then the
    same). ``cf``: the counterfactual's KPIs ``(S,)`` when the batch shares one (:func:`shared_counterfactual`),
    else None; ``funded=False``: without the funded view."""
    # run_inputs(inp, full_counterfactual=False, gates="open"), in steps; the committed run's KPIs beyond those
    # the increments and the gates read only where no gate removes a phase (elsewhere the gated run's replace
    # them; the same bits: tem.model.funded_rows)
    committed = evaluate(inp, full=False, detail=False)
    decision = decide(inp, (committed.volumes, committed.unit_costs, committed.operations), _lines)
    changed = ~np.logical_and.reduce(list(decision.built.values()), axis=0)
    c = committed
    lines = (c.volumes, c.unit_costs, c.capex, c.operations, c.tax, c.cash)
    committed_kpis = kpis_of_rows(inp, lines, c.kpis, np.flatnonzero(~changed), funded)
    unit_costs = committed.unit_costs
    del lines, c
    del committed  # the committed run's (S, T) arrays are not needed any more: free them before the counterfactual
    cf_kpis: Mapping[str, np.ndarray] = (
        evaluate(import_only_inputs(inp), full=False, unit_costs=unit_costs, detail=False).kpis if cf is None else cf
    )
    del unit_costs
    committed_kpis = add_incremental(committed_kpis, dict(cf_kpis))
    kpis = dict(committed_kpis)
    if changed.any():
        rows = np.flatnonzero(changed)
        sub = select_scenarios(apply_gates(inp, decision.built), rows)
        if _gates_remove_dropped_only(inp):
            sub_kpis = add_incremental(
                evaluate(sub, detail=False, funded=funded).kpis, {k: v[rows] for k, v in cf_kpis.items()}
            )
        else:
            sub_kpis = run_inputs(sub, full_counterfactual=False, gates="open")[0].kpis
        for k, v in sub_kpis.items():
            if k not in kpis:  # the funded view's, when the committed run left it out
                continue
            kpis[k] = kpis[k].copy()
            kpis[k][rows] = v
    return kpis | gate_kpis(decision, committed_kpis)


_READS: dict[int, frozenset[str] | None] = {}  # id(inputs) -> counterfactual_reads, while the inputs live


def counterfactual_reads(inp: Inputs) -> frozenset[str] | None:
    """The input paths the import-only counterfactual of ``inp`` reads (None: it listed the inputs, so it may read
    any). Found by evaluating it once on inputs that note every read, with its own unit costs (a superset of
    what a batch's counterfactual reads: there it reuses the scenario's unit costs, see :func:`run_inputs`).
    Paths :func:`~tem.model.inputs.import_only_inputs` overwrites are not read from the scenario, so they are not here."""
    key = id(inp)
    if key not in _READS:  # found once per inputs object (a Monte Carlo calls a batch per chunk)
        cf_inp = import_only_inputs(inp)
        read = paths_read(lambda i: evaluate(i, full=False, detail=False), cf_inp)
        _READS[key] = None if read is None else frozenset(p for p in read if cf_inp.arrays.get(p) is inp.arrays.get(p))
        weakref.finalize(inp, _READS.pop, key, None)
    return _READS[key]


def shared_counterfactual(
    inp: Inputs, values: Mapping[str, Any] | None, scales: Mapping[str, Any] | None
) -> dict[str, np.ndarray] | None:
    """The counterfactual's KPIs ``(1,)``, computed once, when no varied input reaches it; else None.

    A varied input reaches the counterfactual when the counterfactual's evaluation reads it
    (:func:`counterfactual_reads`): not the inputs :func:`~tem.model.inputs.import_only_inputs` overwrites (the
    year local cells start, the technology fee, and capex, capacity, fixed opex and maintenance of the phases the
    counterfactual does not build), nor those only the scenario, its funding or its gates read (the
    counterfactual has no funded view and no gates). Prices (premiums, markups, segment products) reach it: it
    sells the same segments at the same price rules. The counterfactual of every scenario is then the base case's,
    evaluated as in a batch (with the base's unit costs, whose local-cell part it multiplies by zero; see
    :func:`run_inputs`).
    Same bits as evaluating it per chunk (tests/model/test_shared_counterfactual.py)."""
    varied = set(values or {}) | set(scales or {})
    if inp.n_scenarios != 1 or not varied:
        return None
    reads = counterfactual_reads(inp)
    if reads is None or varied & reads:
        return None
    main = evaluate(inp, detail=False)
    return evaluate(import_only_inputs(inp), full=False, unit_costs=main.unit_costs, detail=False).kpis


def check_batch_timing(inp: Inputs) -> None:
    """BatchInputError when a scenario of ``inp`` commissions a phase outside the horizon, or spends on a phase
    that a gate can remove before that gate decides (you cannot un-spend); a spec checks its levels with it
    before anything runs."""
    _check_batch_timing(inp)


def _check_batch_timing(inp: Inputs) -> None:
    from tem.errors import BatchInputError

    first, n = inp.structure.first_fy, inp.structure.n_years
    for ph in inp.structure.phases:
        p = f"capex.phases.{ph.name}."
        comm = inp[p + "commissioning_fy"]
        spend_first = comm - inp[p + "spend_profile"].shape[1] + 1
        if np.any(comm > first + n - 1) or np.any(spend_first < first) or np.any(comm != np.round(comm)):
            raise BatchInputError(
                f"{p}commissioning_fy: some scenarios commission outside the horizon or spend before "
                f"FY{first % 100:02d}, or give a non-integer year"
            )
    decide_fy = {g.phase: g.decide_fy for g in inp.structure.gates}
    for phase, gated in removable(inp.structure).items():
        latest = max(decide_fy[g] for g in gated)
        if np.any(first_spend_fy(inp, phase) <= latest):
            raise BatchInputError(
                f"capex.phases.{phase}.commissioning_fy: some scenarios spend on {phase} in or before FY"
                f"{latest % 100:02d}, when a gate that can remove it decides; you cannot un-spend"
            )
