"""One counterfactual per batch when no varied input reaches it (issue 15, target 5): the same bits as the
counterfactual evaluated with every chunk, and as single runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import tem
from tem.model import engine
from tem.model.batch_inputs import with_values
from tem.model.engine import run_batch_inputs, run_inputs, shared_counterfactual
from tem.model.inputs import build_inputs

BASE_INPUTS = build_inputs(tem.load(Path(__file__).parents[2] / "assumptions" / "base.yaml"))
N = 40


def _varied(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Only inputs the counterfactual overwrites: when local cells start, the technology fee, cell-plant and
    recycling capex and capacity."""
    return {
        "transition.local_cells_start_fy": rng.integers(2029, 2040, N).astype(float),
        "cells.local.technology_fee_usd_m": rng.uniform(0.0, 30.0, (N, BASE_INPUTS.structure.n_years)),
        "capex.phases.cell_plant_1.capex_inr_cr": rng.uniform(1000.0, 5000.0, N),
        "capex.phases.cell_plant_1.capacity_gwh": rng.uniform(1.0, 8.0, N),
        "capex.phases.recycling_line.capex_inr_cr": rng.uniform(50.0, 500.0, N),
    }


def test_shared_only_when_no_varied_input_reaches_the_counterfactual() -> None:
    rng = np.random.default_rng(0)
    assert shared_counterfactual(BASE_INPUTS, _varied(rng), None) is not None
    assert shared_counterfactual(BASE_INPUTS, None, {"capex.phases.cell_plant_1.capex_inr_cr": np.ones(N)}) is not None
    reaches = {"cells.imported.fob_price_usd_per_kwh": rng.uniform(40, 60, N)}
    assert shared_counterfactual(BASE_INPUTS, reaches, None) is None
    assert shared_counterfactual(BASE_INPUTS, _varied(rng) | reaches, None) is None
    assert shared_counterfactual(BASE_INPUTS, {}, None) is None


def test_batch_with_one_counterfactual_equals_per_chunk_and_single_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    values = _varied(np.random.default_rng(1))
    shared = run_batch_inputs(BASE_INPUTS, values, chunk_size=7, workers=1)
    monkeypatch.setattr(engine, "shared_counterfactual", lambda *args: None)
    per_chunk = run_batch_inputs(BASE_INPUTS, values, chunk_size=7, workers=1)
    assert shared.keys() == per_chunk.keys()
    for key in shared:
        np.testing.assert_array_equal(shared[key], per_chunk[key], err_msg=key, strict=True)
    for i in (0, 13, N - 1):
        main, _ = run_inputs(with_values(BASE_INPUTS, {k: v[i : i + 1] for k, v in values.items()}))
        for key in ("npv_import_only_inr_cr", "incremental_npv_vs_import_inr_cr", "cumulative_forex_saved_usd_m"):
            np.testing.assert_array_equal(shared[key][i : i + 1], main.kpis[key], err_msg=key)


GATED = build_inputs(tem.load(Path(__file__).parents[2] / "tests" / "data" / "gates" / "gated.yaml"))
TOY_GATE = build_inputs(tem.load(Path(__file__).parents[2] / "tests" / "data" / "toy_gate.yaml"))


def test_what_the_counterfactual_reads() -> None:
    """The import-only counterfactual reads the imported cell, demand, the pack line and the discount rate; not
    what it overwrites (cell plants, the technology fee, when local cells start), nor the funding, the hurdle
    rate or the gates (it has no funded view and no gates)."""
    reads = engine.counterfactual_reads(GATED)
    assert reads is not None
    for path in ("cells.imported.fob_price_usd_per_kwh", "capex.phases.pack_line_1.capex_inr_cr", "tax.corporate_rate"):
        assert path in reads, path
    for path in (
        "capex.phases.cell_plant_1.capex_inr_cr",
        "cells.local.technology_fee_usd_m",
        "transition.local_cells_start_fy",
        "funding.term_debt.debt_share",
        "funding.term_debt.interest_rate",
        "valuation.hurdle_rate",
        "capex.phases.cell_plant_1.gate.when.0.threshold",
    ):
        assert path not in reads, path
    assert engine.counterfactual_reads(GATED) is reads  # found once per inputs object


def _assert_same_bits(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key, strict=True)


@pytest.mark.parametrize("gates", ["decide", "open"])
@pytest.mark.parametrize("year_lines", [(), ("free_cash_flow_inr_cr@FY35",)])
def test_gated_batch_with_one_counterfactual_equals_per_chunk(
    monkeypatch: pytest.MonkeyPatch, gates: str, year_lines: tuple[str, ...]
) -> None:
    """Cell plant 1 gated (a kind the counterfactual drops): the gate's threshold, the plant's capex and the
    funding varied; the gate fails in some scenarios and passes in others; the same bits as one counterfactual per
    chunk (the gated batch path, and with year lines the single-run path)."""
    rng = np.random.default_rng(4)
    values = {
        "capex.phases.cell_plant_1.gate.when.0.threshold": rng.uniform(5000.0, 6200.0, N),
        "capex.phases.cell_plant_1.capex_inr_cr": rng.uniform(2000.0, 4000.0, N),
        "funding.term_debt.debt_share": rng.uniform(0.3, 0.7, N),
    }
    assert shared_counterfactual(GATED, values, None) is not None
    shared = run_batch_inputs(GATED, values, chunk_size=9, workers=1, gates=gates, year_lines=year_lines)
    if gates == "decide":
        passed = shared["gate_passed_cell_plant_1"]
        assert 0 < passed.sum() < N
    monkeypatch.setattr(engine, "shared_counterfactual", lambda *args: None)
    per_chunk = run_batch_inputs(GATED, values, chunk_size=9, workers=1, gates=gates, year_lines=year_lines)
    _assert_same_bits(shared, per_chunk)


@pytest.mark.parametrize("year_lines", [(), ("free_cash_flow_inr_cr@FY27",)])
def test_gate_removing_a_phase_the_counterfactual_keeps(
    monkeypatch: pytest.MonkeyPatch, year_lines: tuple[str, ...]
) -> None:
    """A gated pack line (the counterfactual builds pack lines): where the gate removes it, the counterfactual
    of that scenario is evaluated again, not shared; the same bits as per chunk and as single runs."""
    thresholds = np.linspace(30.0, 70.0, N)  # the toy's FOB is USD 50: passes from 50 up
    values = {"capex.phases.pack_line_2.gate.when.0.threshold": thresholds}
    assert shared_counterfactual(TOY_GATE, values, None) is not None
    shared = run_batch_inputs(TOY_GATE, values, chunk_size=6, workers=1, year_lines=year_lines)
    assert 0 < shared["gate_passed_pack_line_2"].sum() < N
    monkeypatch.setattr(engine, "shared_counterfactual", lambda *args: None)
    per_chunk = run_batch_inputs(TOY_GATE, values, chunk_size=6, workers=1, year_lines=year_lines)
    _assert_same_bits(shared, per_chunk)
    for i in (0, N - 1):
        main, _ = run_inputs(with_values(TOY_GATE, {k: v[i : i + 1] for k, v in values.items()}))
        for key in ("npv_import_only_inr_cr", "incremental_npv_vs_import_inr_cr", "npv_inr_cr"):
            np.testing.assert_array_equal(shared[key][i : i + 1], main.kpis[key], err_msg=key)
    # the removed line changes the counterfactual: the failing scenarios' import-only NPV is not the passing ones'
    cf = shared["npv_import_only_inr_cr"]
    assert cf[0] != cf[-1]


def test_gated_batch_on_an_executor_equals_the_local_run() -> None:
    """Chunks as tasks of an executor (here a thread pool; a Dask cluster in tests/analysis/montecarlo/
    test_cluster.py): the same bits as the local run, with and without a shared counterfactual."""
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(6)
    shared_values = {"capex.phases.cell_plant_1.gate.when.0.threshold": rng.uniform(5000.0, 6200.0, N)}
    own_values = shared_values | {"cells.imported.fob_price_usd_per_kwh": rng.uniform(45.0, 60.0, N)}
    assert shared_counterfactual(GATED, own_values, None) is None
    with ThreadPoolExecutor(max_workers=2) as pool:
        for values in (shared_values, own_values):
            local = run_batch_inputs(GATED, values, chunk_size=7)
            remote = run_batch_inputs(GATED, values, chunk_size=7, executor=pool)
            _assert_same_bits(remote, local)


def _single(inp: object, values: dict[str, np.ndarray], scales: dict[str, np.ndarray], i: int) -> dict[str, np.ndarray]:
    rows = lambda m: {k: v[i : i + 1] for k, v in m.items()}  # noqa: E731
    return run_inputs(with_values(inp, rows(values), rows(scales)))[0].kpis  # type: ignore[arg-type]


CF_KEYS = ("npv_import_only_inr_cr", "incremental_npv_vs_import_inr_cr", "cumulative_forex_saved_usd_m",
           "levelized_pack_cost_import_only_inr_per_kwh", "npv_inr_cr")


def test_every_input_the_counterfactual_does_not_read_varied_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every input of the base the counterfactual does not read (issue 11's economics included: the unused price
    rule's premium or markup, the bought-in pack FOB the segment products replace, cell plants, the module line,
    funding, the hurdle), each scaled per scenario: one shared counterfactual, the same bits as one per chunk and
    as single runs."""
    reads = engine.counterfactual_reads(BASE_INPUTS)
    assert reads is not None
    fixed = ("timeline.", "_fy", "_years", ".gate.")  # the horizon, years and durations (integers, checked) stay
    unread = [p for p in BASE_INPUTS.arrays if p not in reads and not any(f in p for f in fixed)]
    for path in ("demand.captive.price_premium", "demand.ess.markup", "capex.phases.module_line.capex_inr_cr"):
        assert path in unread, path
    rng = np.random.default_rng(8)
    scales = {p: rng.uniform(0.9, 1.0, N) for p in unread}
    shared = run_batch_inputs(BASE_INPUTS, None, scales, chunk_size=11, workers=1)
    assert shared_counterfactual(BASE_INPUTS, None, scales) is not None
    monkeypatch.setattr(engine, "shared_counterfactual", lambda *args: None)
    _assert_same_bits(shared, run_batch_inputs(BASE_INPUTS, None, scales, chunk_size=11, workers=1))
    for i in (0, 21, N - 1):
        single = _single(BASE_INPUTS, {}, scales, i)
        for key in CF_KEYS:
            np.testing.assert_array_equal(shared[key][i : i + 1], single[key], err_msg=key)


@pytest.mark.parametrize(
    "path",
    [
        "demand.external_oem.price_premium",  # import parity: the counterfactual sells at the same rule
        "demand.captive.markup",  # cost plus on the counterfactual's own (imported) cost
        "demand.ess.product.cell_fob_factor",  # the segment product's cell
        "demand.external_oem.product.pack_premium_usd_per_kwh",  # the bought-in pack the price follows
    ],
)
def test_prices_and_segment_products_reach_the_counterfactual(path: str) -> None:
    """A varied price premium, markup or segment product input reaches the import-only counterfactual (it sells
    the same segments at the same price rules): it is not shared, and each scenario's counterfactual is its
    single run's, bit for bit."""
    base = BASE_INPUTS.arrays[path]
    assert path in (engine.counterfactual_reads(BASE_INPUTS) or set())
    scales = {path: np.linspace(0.8, 1.2, N)}
    if not np.any(base):
        scales = {}
    values = {} if scales else {path: np.linspace(0.0, 0.1, N)}
    assert shared_counterfactual(BASE_INPUTS, values, scales) is None
    batch = run_batch_inputs(BASE_INPUTS, values, scales, chunk_size=13, workers=1)
    cf = batch["npv_import_only_inr_cr"]
    assert np.unique(cf).size > 1  # the counterfactual moves with the input
    for i in (0, 17, N - 1):
        single = _single(BASE_INPUTS, values, scales, i)
        for key in CF_KEYS:
            np.testing.assert_array_equal(batch[key][i : i + 1], single[key], err_msg=key)
