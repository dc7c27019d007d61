"""Monte Carlo streaming with gates (issue 15 target 4 with issue 13): a gated assumption set streamed in blocks
and chunks gives the same bits as the whole design in memory: the gate KPIs, the committed NPV and the value of
flexibility included; the gate threshold sweep likewise, locally and on an executor."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import tem
from tem.analysis.montecarlo.gate_sweep import COLUMNS, gate_threshold_sweep
from tem.analysis.montecarlo.resolve import batch_arrays, resolve_spec
from tem.analysis.montecarlo.run import assemble, draw, evaluate_draws, montecarlo
from tem.analysis.montecarlo.spec import load_montecarlo_spec
from tem.model.engine import run_batch_inputs
from tem.model.inputs import build_inputs

ROOT = Path(__file__).parents[3]
GATED = ROOT / "assumptions" / "base.yaml"  # cell plant 1 behind its FY28 gate
SPEC = ROOT / "assumptions" / "montecarlo.yaml"
THRESHOLD = "capex.phases.cell_plant_1.gate.when.0.threshold"


@pytest.fixture(scope="module")
def gated() -> tem.Assumptions:
    return tem.load(GATED)


def test_gated_montecarlo_streamed_equals_the_whole_design_in_memory(gated: tem.Assumptions) -> None:
    spec = load_montecarlo_spec(SPEC)
    n, block = 900, 400
    streamed = montecarlo(gated, spec, n=n, seed=3, chunk_size=130, block=block)
    inp = build_inputs(gated)
    resolved = resolve_spec(spec.model_copy(update={"n": n}), gated, inp)
    d = draw(resolved, n, 3, spec.sampling, block)
    raw = evaluate_draws(inp, resolved, d.values)
    whole = assemble(gated, resolved, d, raw, 3)
    assert {"committed_npv_inr_cr", "gate_passed_cell_plant_1"} <= set(streamed.kpis.columns)
    passed = streamed.kpis["gate_passed_cell_plant_1"].to_numpy()
    assert 0 < passed.mean() < 1  # the gate decides differently across the draws
    for field in ("samples", "kpis", "summary", "convergence", "rank_contributions", "correlation_achieved"):
        pd.testing.assert_frame_equal(getattr(streamed, field), getattr(whole, field), check_exact=True, obj=field)
    assert streamed.headline == whole.headline
    assert streamed.flexibility is not None
    assert whole.flexibility is not None
    pd.testing.assert_frame_equal(streamed.flexibility.comparison, whole.flexibility.comparison, check_exact=True)
    pd.testing.assert_frame_equal(streamed.flexibility.gates, whole.flexibility.gates, check_exact=True)
    # the kept KPIs are the engine's own, column by column
    for name in ("npv_inr_cr", "committed_npv_inr_cr", "gate_passed_cell_plant_1"):
        np.testing.assert_array_equal(streamed.kpis[name].to_numpy(), raw[name], err_msg=name)
    # where the gate passes the gated NPV is the committed one, bit for bit
    k = streamed.kpis
    np.testing.assert_array_equal(k["npv_inr_cr"][passed == 1], k["committed_npv_inr_cr"][passed == 1])


def sweep_in_memory(a: tem.Assumptions, path: str, grid: np.ndarray, n: int, seed: int, block: int) -> pd.DataFrame:
    """The sweep as one engine batch of thresholds x draws (the implementation before streaming)."""
    spec = load_montecarlo_spec(SPEC)
    inp = build_inputs(a)
    resolved = resolve_spec(spec.model_copy(update={"n": n}), a, inp)
    d = draw(resolved, n, seed, spec.sampling, block)
    values, scales = batch_arrays(inp, resolved, d.values)
    m = grid.size

    def tiled(x: np.ndarray) -> np.ndarray:
        return np.tile(x, (m,) + (1,) * (x.ndim - 1))

    k = run_batch_inputs(
        inp,
        {p: tiled(np.asarray(v)) for p, v in values.items()} | {path: np.repeat(grid, n)},
        {p: tiled(np.asarray(v)) for p, v in scales.items()},
    )
    npv = k["npv_inr_cr"].reshape(m, n)
    committed = float(k["committed_npv_inr_cr"][:n].mean())
    return pd.DataFrame(
        {
            "threshold": grid,
            "expected_npv_inr_cr": npv.mean(axis=1),
            "standard_error_inr_cr": npv.std(axis=1, ddof=1) / np.sqrt(n),
            "p_gate_passes": k["gate_passed_cell_plant_1"].reshape(m, n).mean(axis=1),
            "value_of_flexibility_inr_cr": npv.mean(axis=1) - committed,
        },
        columns=COLUMNS,
    )


def test_gate_sweep_streamed_and_on_an_executor_equals_one_batch_in_memory(gated: tem.Assumptions) -> None:
    grid = np.array([44.0, 49.0, 54.0])
    n, block = 500, 200
    expected = sweep_in_memory(gated, THRESHOLD, grid, n, 4, block)
    p = expected["p_gate_passes"].to_numpy()
    assert p[0] > p[1] > p[-1]  # the thresholds change the decision
    seen: list[tuple[str, int, int]] = []
    streamed = gate_threshold_sweep(
        gated, SPEC, THRESHOLD, grid, n=n, seed=4, chunk_size=70, block=block, progress=lambda *a: seen.append(a)
    )
    pd.testing.assert_frame_equal(streamed.table, expected, check_exact=True)
    assert seen[-1] == ("gate_sweep", n, n)
    with ThreadPoolExecutor(max_workers=2) as pool:
        remote = gate_threshold_sweep(gated, SPEC, THRESHOLD, grid, n=n, seed=4, block=block, executor=pool, chunk_size=90)
    pd.testing.assert_frame_equal(remote.table, expected, check_exact=True)
    assert remote.committed_npv_inr_cr == streamed.committed_npv_inr_cr
