"""One counterfactual per batch when no varied input reaches it (issue 15, target 5): the same bits as the
counterfactual evaluated with every chunk, and as single runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import tem
from tem.model import engine
from tem.model.engine import run_batch_inputs, run_inputs, shared_counterfactual
from tem.model.inputs import build_inputs, with_values

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
