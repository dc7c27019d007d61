"""A batch without the funded view (``funded=False``, issue 15: a Monte Carlo whose kept KPIs include no equity or
lender KPI skips it): every other KPI is the same bits as with it, on every path of a batch (gated and open,
counterfactual shared or not, gates that remove phases the counterfactual keeps, year lines)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import tem
from tem.analysis.montecarlo import stream
from tem.analysis.montecarlo.resolve import batch_arrays, resolve_spec
from tem.analysis.montecarlo.run import montecarlo
from tem.analysis.montecarlo.spec import load_montecarlo_spec
from tem.model.engine import evaluate, run_batch_inputs
from tem.model.funding_kpis import FUNDED_KPIS
from tem.model.inputs import build_inputs

ROOT = Path(__file__).parents[2]
BASE = tem.load(ROOT / "assumptions" / "base.yaml")
SPEC = load_montecarlo_spec(ROOT / "assumptions" / "montecarlo.yaml")
N = 60


def _mc_batch() -> tuple[tem.model.inputs.Inputs, dict, dict]:
    """The base with the Monte Carlo spec's 21 inputs drawn (volumes, prices, capex, timing, rates)."""
    inp = build_inputs(BASE)
    resolved = resolve_spec(SPEC, BASE, inp)
    draws = stream.draw_all(resolved, N, seed=3, sampling="lhs").values
    values, scales = batch_arrays(inp, resolved, draws)
    return inp, values, scales


def _same_without_funded(with_view: dict[str, np.ndarray], without: dict[str, np.ndarray]) -> None:
    assert set(without) == set(with_view) - set(FUNDED_KPIS)
    assert set(FUNDED_KPIS) <= set(with_view)
    for key, value in without.items():
        np.testing.assert_array_equal(value, with_view[key], err_msg=key, strict=True)


def test_funded_kpis_are_exactly_what_the_funded_view_adds() -> None:
    inp = build_inputs(BASE)
    assert set(evaluate(inp).kpis) - set(evaluate(inp, funded=False).kpis) == set(FUNDED_KPIS)
    assert evaluate(inp, funded=False).funding is None


@pytest.mark.parametrize("gates", ["decide", "open"])
def test_monte_carlo_batch_without_the_funded_view_keeps_every_other_bit(gates: str) -> None:
    inp, values, scales = _mc_batch()
    full = run_batch_inputs(inp, values, scales, chunk_size=17, workers=1, gates=gates)
    lean = run_batch_inputs(inp, values, scales, chunk_size=17, workers=2, gates=gates, funded=False)
    _same_without_funded(full, lean)


@pytest.mark.parametrize("data", ["gates/gated.yaml", "toy_gate.yaml"])
def test_gated_test_cases_and_year_lines(data: str) -> None:
    inp = build_inputs(tem.load(ROOT / "tests" / "data" / data))
    rng = np.random.default_rng(5)
    values = {
        "cells.imported.fob_price_usd_per_kwh": rng.uniform(0.6, 1.4, (N, 1))
        * inp.arrays["cells.imported.fob_price_usd_per_kwh"]
    }
    _same_without_funded(
        run_batch_inputs(inp, values, chunk_size=13, workers=1),
        run_batch_inputs(inp, values, chunk_size=13, workers=1, funded=False),
    )
    line = [f"local_cell_full_minus_imported_inr_per_kwh@FY{(inp.structure.first_fy + 1) % 100:02d}"]
    _same_without_funded(
        run_batch_inputs(inp, values, chunk_size=13, workers=1, year_lines=line),
        run_batch_inputs(inp, values, chunk_size=13, workers=1, year_lines=line, funded=False),
    )


def test_monte_carlo_equals_the_run_with_the_funded_view(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not stream.needs_funded_view([*SPEC.kpis, "npv_inr_cr", "irr"])
    assert stream.needs_funded_view(["npv_inr_cr", "equity_irr"])
    lean = montecarlo(BASE, SPEC, n=300, seed=2, chunk_size=110)
    monkeypatch.setattr(stream, "needs_funded_view", lambda names: True)
    full = montecarlo(BASE, SPEC, n=300, seed=2, chunk_size=110)
    np.testing.assert_array_equal(lean.kpis.to_numpy(), full.kpis.to_numpy(), strict=True)
    assert list(lean.kpis.columns) == list(full.kpis.columns)
    assert lean.summary.equals(full.summary)
