"""Value of flexibility (tem/analysis/montecarlo/flexibility.py): a two-outcome toy worked out by hand, the paired
standard errors against their definitions and a bootstrap, and the Monte Carlo and batch integration."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import tem
from tem.analysis.montecarlo.flexibility import flexibility_of_batch, value_of_flexibility
from tem.analysis.montecarlo.run import montecarlo
from tem.analysis.montecarlo.spec import MonteCarloSpec
from tem.model.engine import run_batch_inputs
from tem.model.inputs import build_inputs

ROOT = Path(__file__).parents[3]
TOY = ROOT / "tests" / "data" / "toy_gate.yaml"
FOB = "cells.imported.fob_price_usd_per_kwh"


def toy_value_by_hand() -> tuple[float, float]:
    """(NPV of building pack line 2 at FOB 40, at FOB 60) [INR crore], from tests/data/toy_gate.yaml.

    Landed imported cell = FOB x 80 x 1.02 x (1 + 0.10 x 1.10) + 100 = FOB x 90.576 + 100 INR/kWh.
    Own pack = cell + non-cell (USD 10 x 80 = 800, half imported at 400 x 1.02 x 1.11 = 452.88, half local 400)
    + assembly 200 = cell + 1,052.88. Bought-in pack = 70 x 80 x 1.02 x (1 + 0.15 x 1.1) + 100 = 6,754.48.
    The line makes 1 GWh a year in FY27-FY29 instead of buying it in: saving x 1 GWh x 0.1 crore per INR/kWh,
    against Rs 60 crore in FY27. Revenue, R&D, SG&A are the same either way; no tax, no working capital.
    """
    bought_in = 70 * 80 * 1.02 * (1 + 0.15 * 1.1) + 100
    df = [1.1 ** -(t + 1) for t in range(4)]
    out = []
    for fob in (40.0, 60.0):
        own = fob * 80 * 1.02 * (1 + 0.10 * 1.10) + 100 + 452.88 + 400 + 200
        saving_cr = (bought_in - own) * 0.1
        out.append(-60 * df[1] + saving_cr * (df[1] + df[2] + df[3]))
    return out[0], out[1]


def test_toy_increments_by_hand() -> None:
    good, bad = toy_value_by_hand()
    assert good == pytest.approx(397.72, abs=0.01)  # build where cells are cheap
    assert bad == pytest.approx(-11.82, abs=0.01)  # not where they are dear
    k = run_batch_inputs(build_inputs(tem.load(TOY)), {FOB: np.array([40.0, 60.0])}, gates="open")
    without = run_batch_inputs(
        build_inputs(tem.load(TOY, overrides={"capex.phases.pack_line_2.capex_inr_cr": 0.0,
                                              "capex.phases.pack_line_2.capacity_gwh": 0.0})),
        {FOB: np.array([40.0, 60.0])},
    )
    np.testing.assert_allclose(k["npv_inr_cr"] - without["npv_inr_cr"], [good, bad], rtol=1e-10)


def test_two_outcome_toy_value_of_flexibility_by_hand() -> None:
    """FOB 40 or 60 with probability 1/2 each (a Latin hypercube of 10 gives exactly 5 of each); the gate builds
    the line only at 40, so flexibility saves the loss at 60: value = 1/2 x 11.82 crore."""
    spec = MonteCarloSpec.model_validate(
        {
            "n": 10,
            "seed": 1,
            "sampling": "lhs",
            "kpis": ["npv_inr_cr"],
            "inputs": [
                {"path": FOB, "mode": "value", "distribution": "discrete", "values": [40.0, 60.0],
                 "probabilities": [0.5, 0.5]}
            ],
        }
    )
    result = montecarlo(tem.load(TOY), spec)
    flex = result.flexibility
    assert flex is not None
    _, bad = toy_value_by_hand()
    assert flex.value_inr_cr == pytest.approx(0.5 * (0.0 - bad), rel=1e-9)
    # the paired difference is 0 in five scenarios and -bad in five: sd = -bad x sqrt(5 x 5 / (10 x 9))
    assert flex.standard_error_inr_cr == pytest.approx(-bad * np.sqrt(25 / 90) / np.sqrt(10), rel=1e-9)
    gate = flex.gates.to_dict(orient="records")[0]
    assert (gate["phase"], gate["decided"], gate["p_pass"]) == ("pack_line_2", "FY26", 0.5)
    assert gate["conditions"] == "Imported cell FOB in FY26 ≤ 50.0 USD/kWh"  # words and unit from the catalogue
    assert gate["standard_error"] == pytest.approx(np.sqrt(0.25 / 10))
    # the no-go branch (FOB 60): not building is worth -bad against building anyway
    assert gate["npv_if_no_go_inr_cr"] - gate["committed_npv_if_no_go_inr_cr"] == pytest.approx(-bad, rel=1e-9)
    assert gate["npv_if_go_inr_cr"] > gate["npv_if_no_go_inr_cr"]
    comparison = flex.comparison
    assert comparison.loc["mean", "gated"] - comparison.loc["mean", "committed"] == pytest.approx(-0.5 * bad, rel=1e-9)
    assert comparison.loc["p_npv_below_zero", "value"] == 0.0


def test_mean_and_probability_errors_are_the_paired_formulas() -> None:
    rng = np.random.default_rng(3)
    c = rng.normal(-100, 50, 4000)
    g = np.maximum(c, rng.normal(-80, 40, 4000))
    flex = value_of_flexibility(g, c, {"x": (g > c).astype(float)})
    d = g - c
    assert flex.comparison.loc["mean", "value"] == pytest.approx(d.mean(), rel=1e-12)
    assert flex.comparison.loc["mean", "standard_error"] == pytest.approx(d.std(ddof=1) / np.sqrt(4000), rel=1e-12)
    b = (g < 0).astype(float) - (c < 0)
    assert flex.comparison.loc["p_npv_below_zero", "value"] == pytest.approx(b.mean(), rel=1e-12)
    assert flex.comparison.loc["p_npv_below_zero", "standard_error"] == pytest.approx(b.std(ddof=1) / 20.0 / np.sqrt(10))
    assert flex.comparison.loc["p10", "value"] == pytest.approx(np.percentile(g, 10) - np.percentile(c, 10), rel=1e-12)
    p = float(np.mean(g > c))
    assert flex.gates.loc[0, "p_pass"] == p
    assert flex.gates.loc[0, "standard_error"] == pytest.approx(np.sqrt(p * (1 - p) / 4000))


@pytest.mark.parametrize("p", ["p10", "p50", "p90"])
def test_quantile_difference_error_agrees_with_a_paired_bootstrap(p: str) -> None:
    rng = np.random.default_rng(11)
    n = 3000
    c = rng.normal(0, 100, n)
    g = 0.7 * c + rng.normal(30, 60, n)
    flex = value_of_flexibility(g, c)
    q = {"p10": 10, "p50": 50, "p90": 90}[p]
    idx = rng.integers(0, n, size=(400, n))
    boot = np.percentile(g[idx], q, axis=1) - np.percentile(c[idx], q, axis=1)
    assert flex.comparison.loc[p, "standard_error"] == pytest.approx(boot.std(ddof=1), rel=0.2)


def test_batch_without_gates_has_no_flexibility() -> None:
    k = run_batch_inputs(build_inputs(tem.load(ROOT / "tests" / "data" / "toy.yaml")), {FOB: np.array([40.0, 60.0])})
    assert flexibility_of_batch(k) is None


def test_montecarlo_on_a_gated_base_reports_flexibility_paired() -> None:
    spec = MonteCarloSpec.model_validate(
        {
            "n": 200,
            "seed": 5,
            "kpis": ["npv_inr_cr"],
            "inputs": [{"path": FOB, "mode": "scale", "distribution": "uniform", "low": 0.8, "high": 1.2}],
        }
    )
    result = montecarlo(tem.load(ROOT / "tests" / "data" / "gates" / "gated.yaml"), spec)
    flex = result.flexibility
    assert flex is not None
    k = result.kpis
    passed = k["gate_passed_cell_plant_1"].to_numpy()
    assert 0 < passed.mean() < 1
    assert flex.value_inr_cr == pytest.approx((k["npv_inr_cr"] - k["committed_npv_inr_cr"]).mean(), rel=1e-12)
    # where the gate passes the gated run is the committed run, bit for bit
    assert (k["npv_inr_cr"][passed == 1] == k["committed_npv_inr_cr"][passed == 1]).all()
    assert result.document()["flexibility"]["gates"][0]["phase"] == "cell_plant_1"


def test_threshold_sweep_on_the_toy_finds_the_threshold_that_separates_the_outcomes() -> None:
    """Thresholds 30 (never build), 50 (build only at FOB 40), 70 (always build) on the same 10 draws."""
    from tem.analysis.montecarlo.gate_sweep import gate_threshold_sweep

    spec = MonteCarloSpec.model_validate(
        {
            "n": 10,
            "seed": 1,
            "kpis": ["npv_inr_cr"],
            "inputs": [
                {"path": FOB, "mode": "value", "distribution": "discrete", "values": [40.0, 60.0],
                 "probabilities": [0.5, 0.5]}
            ],
        }
    )
    path = "capex.phases.pack_line_2.gate.when.0.threshold"
    sweep = gate_threshold_sweep(tem.load(TOY), spec, path, [30.0, 50.0, 70.0])
    good, bad = toy_value_by_hand()
    t = sweep.table.set_index("threshold")
    np.testing.assert_allclose(t["value_of_flexibility_inr_cr"], [-(good + bad) / 2, -bad / 2, 0.0], atol=1e-9)
    np.testing.assert_allclose(t["p_gate_passes"], [0.0, 0.5, 1.0])
    assert sweep.best_threshold == 50.0
    single = montecarlo(tem.load(TOY), spec)
    assert t.loc[70.0, "expected_npv_inr_cr"] == pytest.approx(sweep.committed_npv_inr_cr, rel=1e-12)
    assert t.loc[50.0, "expected_npv_inr_cr"] == pytest.approx(single.kpis["npv_inr_cr"].mean(), rel=1e-12)


def test_threshold_sweep_refuses_a_path_that_is_not_a_gate_threshold() -> None:
    from tem.analysis.montecarlo.gate_sweep import gate_threshold_sweep
    from tem.errors import BatchInputError

    spec = MonteCarloSpec.model_validate(
        {"n": 10, "kpis": ["npv_inr_cr"], "inputs": [{"path": FOB, "distribution": "uniform", "low": 40, "high": 60}]}
    )
    with pytest.raises(BatchInputError) as err:
        gate_threshold_sweep(tem.load(TOY), spec, "timeline.discount_rate", [0.1, 0.2])
    text = str(err.value)  # one line, the option named, the valid thresholds a readable list (review D5)
    assert text.startswith("tem montecarlo --gate-sweep: timeline.discount_rate is not a gate threshold of toy_gate")
    assert "\n" not in text
    assert "[" not in text
    assert "'" not in text
    assert text.split("; allowed: ")[1].split(", ")[0].endswith(".gate.when.0.threshold")


def test_cli_reports_flexibility_and_the_threshold_sweep(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    import openpyxl

    spec = tmp_path / "mc.yaml"
    spec.write_text(
        "n: 10\nseed: 1\nkpis: [npv_inr_cr]\ninputs:\n"
        f"  - {{path: {FOB}, distribution: discrete, values: [40.0, 60.0], probabilities: [0.5, 0.5]}}\n"
    )
    sweep = "capex.phases.pack_line_2.gate.when.0.threshold=30:70:3"
    args = ["montecarlo", str(TOY), "--spec", str(spec), "--out", str(tmp_path), "--no-png", "--gate-sweep", sweep]
    proc = subprocess.run([sys.executable, "-m", "tem", *args], capture_output=True, text=True, check=False,
                          cwd=ROOT, env={**os.environ, "COLUMNS": "200"})
    assert proc.returncode == 0, proc.stderr
    _, bad = toy_value_by_hand()
    assert "Value of flexibility" in proc.stdout
    assert f"+{-bad / 2:,.0f}" in proc.stdout
    assert "P(the pack line 2 gate passes) = 50.0%" in proc.stdout
    assert "the threshold with the highest expected NPV: 50" in proc.stdout
    folder = tmp_path / "toy_gate" / "montecarlo"
    for name in ("flexibility.csv", "gates.csv", "gate_sweep.csv", "charts/flexibility_npv.html", "charts/gate_sweep.html"):
        assert (folder / name).is_file(), name
    ws = openpyxl.load_workbook(folder / "montecarlo.xlsx")["Decisions"]
    assert ws["A6"].value == "pack line 2"  # the phase in words (issue 14)
    assert ws["D6"].value == 0.5
    # the standard error of a probability is in percentage points, as the console prints it (review 17 / note 5):
    # sqrt(p (1 - p) / n) by hand, x 100, never in % ("15.8%" would read as a relative error)
    assert ws["E6"].value == pytest.approx(100 * (0.5 * 0.5 / 10) ** 0.5)
    assert ws["E6"].number_format == '0.0" pts";-0.0" pts";0.0" pts"'
    below = next(r for r in range(7, ws.max_row + 1) if ws.cell(r, 1).value == "P(NPV < 0)")
    assert "%" not in ws.cell(below, 5).number_format
    assert "pts" in ws.cell(below, 5).number_format
    bad_sweep = subprocess.run([sys.executable, "-m", "tem", *args[:-1], "x=1:2"], capture_output=True, text=True,
                               check=False, cwd=ROOT)
    assert bad_sweep.returncode == 2
    assert "PATH=START:STOP:COUNT" in bad_sweep.stderr
