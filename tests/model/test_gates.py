"""Gates on capex phases (tem/model/gates.py): a gate that always passes is the committed run, one that never
passes is the run without the phase (and what requires it), bit for bit; batches whose gates pass in some
scenarios only equal single runs; later gates read a run with earlier decisions applied; bad gates exit 2."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tem
from tem.errors import AssumptionError, BatchInputError
from tem.model.batch_inputs import with_values
from tem.model.engine import run_batch_inputs, run_inputs
from tem.model.inputs import build_inputs

ROOT = Path(__file__).parents[2]
BASE = ROOT / "assumptions" / "base.yaml"
COMMITTED_CELLS = ROOT / "assumptions" / "scenarios" / "committed_cells.yaml"  # the base without its gate
THRESHOLD = "capex.phases.cell_plant_1.gate.when.0.threshold"


def write(tmp_path: Path, body: str, name: str = "case") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(f"extends: {COMMITTED_CELLS}\nname: {name}\n" + textwrap.dedent(body))
    return path


# cell plant 1 decided at the end of FY29 on the landed imported cell in FY29 (INR 5,994/kWh in the base);
# cell plant 2 requires it. Commissioning moves to FY32 so that spending starts after the decision.
GATED = """
capex:
  phases:
    - name: cell_plant_1
      commissioning_fy: 2032
      gate:
        decide_fy: 2029
        when:
          - {{line: imported_cell_landed_inr_per_kwh, op: ">=", threshold: {threshold}}}
    - name: cell_plant_2
      require: [cell_plant_1]
"""
COMMITTED = """
capex:
  phases:
    - name: cell_plant_1
      commissioning_fy: 2032
"""
WITHOUT = """
capex:
  phases:
    - {name: cell_plant_1, remove: true}
    - {name: cell_plant_2, remove: true}
"""


GATED_INPUTS = build_inputs(tem.load(ROOT / "tests" / "data" / "gates" / "gated.yaml"))
WITHOUT_INPUTS = build_inputs(
    tem.load(
        COMMITTED_CELLS,
        overrides={
            "capex.phases.cell_plant_1.commissioning_fy": 2032,
            "capex.phases.cell_plant_1.capex_inr_cr": 0.0,
            "capex.phases.cell_plant_1.capacity_gwh": 0.0,
            "capex.phases.cell_plant_1.fixed_opex_inr_cr": 0.0,
            "capex.phases.cell_plant_2.capex_inr_cr": 0.0,
            "capex.phases.cell_plant_2.capacity_gwh": 0.0,
            "capex.phases.cell_plant_2.fixed_opex_inr_cr": 0.0,
        },
    )
)


def same_bits(a: np.ndarray | float, b: np.ndarray | float) -> bool:
    return bool(np.array_equal(np.asarray(a, dtype=float), np.asarray(b, dtype=float), equal_nan=True))


def shared_kpis(gated: tem.Result, other: tem.Result) -> None:
    for key, value in other.outcome.kpis.items():
        assert same_bits(gated.outcome.kpis[key], value), key


def test_gate_that_always_passes_is_the_committed_run(tmp_path: Path) -> None:
    gated = tem.run(tem.load(write(tmp_path, GATED.format(threshold=-1.0e9), "gated")))
    committed = tem.run(tem.load(write(tmp_path, COMMITTED, "committed")))
    shared_kpis(gated, committed)
    pd.testing.assert_frame_equal(gated.statement, committed.statement, check_exact=True)
    assert gated.kpis["gate_passed_cell_plant_1"] == 1.0
    assert gated.kpis["committed_npv_inr_cr"] == committed.kpis["npv_inr_cr"]


def test_gate_that_never_passes_is_the_run_without_the_phase_and_what_requires_it(tmp_path: Path) -> None:
    gated = tem.run(tem.load(write(tmp_path, GATED.format(threshold=1.0e9), "gated")))
    without = tem.run(tem.load(write(tmp_path, WITHOUT, "without")))
    committed = tem.run(tem.load(write(tmp_path, COMMITTED, "committed")))
    shared_kpis(gated, without)
    st_g, st_w = gated.statement, without.statement
    pd.testing.assert_frame_equal(st_g.loc[st_w.index], st_w, check_exact=True)
    for key in ("capex_cell_plant_1", "capex_cell_plant_2"):  # the removed phases' lines stay, at zero
        assert (st_g.loc[key].iloc[2:].to_numpy(dtype=float) == 0).all()
    assert gated.kpis["gate_passed_cell_plant_1"] == 0.0
    assert gated.kpis["committed_npv_inr_cr"] == committed.kpis["npv_inr_cr"]


def test_batch_with_gates_passing_in_some_scenarios_equals_single_runs(tmp_path: Path) -> None:
    a = tem.load(write(tmp_path, GATED.format(threshold=5000.0), "gated"))
    thresholds = np.array([5000.0, 6000.0, 5993.0, 5994.0, -1.0, 1e9])
    fob = np.array([52.0, 52.0, 60.0, 45.0, 52.0, 52.0])
    values = {THRESHOLD: thresholds, "cells.imported.fob_price_usd_per_kwh": fob}
    batch = run_batch_inputs(build_inputs(a), values, chunk_size=4, workers=2)
    passed = batch["gate_passed_cell_plant_1"]
    assert 0 < passed.sum() < len(passed)  # mixed
    for i in range(len(thresholds)):
        single, _ = run_inputs(with_values(build_inputs(a), {k: v[i : i + 1] for k, v in values.items()}))
        for key, col in batch.items():
            assert same_bits(col[i], single.kpis[key][0]), (i, key)


def test_committed_batch_forces_every_gate_open(tmp_path: Path) -> None:
    a = tem.load(write(tmp_path, GATED.format(threshold=1.0e9), "gated"))
    committed = tem.run(tem.load(write(tmp_path, COMMITTED, "committed")))
    batch = run_batch_inputs(build_inputs(a), {THRESHOLD: np.array([1e9, 2e9])}, gates="open")
    assert same_bits(batch["npv_inr_cr"], np.full(2, committed.kpis["npv_inr_cr"]))
    assert "gate_passed_cell_plant_1" not in batch


def test_a_later_gate_reads_the_run_with_earlier_decisions_applied(tmp_path: Path) -> None:
    """The pilot line is gated at FY28 and fails; cell plant 1, decided at FY31 on local cells made in FY31,
    would pass in the committed run (the pilot line makes cells from FY29) but fails once the pilot is gone."""
    body = """
    capex:
      phases:
        - name: pilot_cell_line
          gate:
            decide_fy: 2026
            when: [{input: cells.local.pli.enabled, op: ">=", threshold: 1}]
        - name: cell_plant_1
          commissioning_fy: 2034
          gate:
            decide_fy: 2031
            when: [{line: local_cells_gwh, op: ">", threshold: 0}]
    """
    r = tem.run(tem.load(write(tmp_path, body, "sequential")))
    gates = r.outcome.gates
    assert gates is not None
    assert not gates.passed["pilot_cell_line"][0]
    assert gates.values[("cell_plant_1", 0)][0] == 0.0
    assert not gates.passed["cell_plant_1"][0]
    committed = tem.run(tem.load(write(tmp_path, "capex: {phases: [{name: cell_plant_1, commissioning_fy: 2034}]}\n")))
    assert committed.outcome.volumes.local_cells_gwh[0, 2031 - 2026] > 0  # what the committed run would have read


def test_combine_any_and_all(tmp_path: Path) -> None:
    body = """
    capex:
      phases:
        - name: cell_plant_1
          commissioning_fy: 2032
          gate:
            decide_fy: 2029
            combine: {combine}
            when:
              - {{line: imported_cell_landed_inr_per_kwh, op: ">=", threshold: 5000}}
              - {{input: cells.local.pli.enabled, op: ">=", threshold: 1}}
    """
    any_ = tem.run(tem.load(write(tmp_path, body.format(combine="any"), "any")))
    all_ = tem.run(tem.load(write(tmp_path, body.format(combine="all"), "all")))
    # the base: landed cell INR 5,994/kWh in FY29 (passes), PLI off (fails)
    assert any_.kpis["gate_passed_cell_plant_1"] == 1.0
    assert all_.kpis["gate_passed_cell_plant_1"] == 0.0


def test_spending_before_the_decision_is_an_error_naming_the_phase_and_years(tmp_path: Path) -> None:
    body = """
    capex:
      phases:
        - name: cell_plant_1
          gate:
            decide_fy: 2029
            when: [{input: cells.local.pli.enabled, op: ">=", threshold: 1}]
        - name: cell_plant_2
          commissioning_fy: 2031
          require: [cell_plant_1]
    """
    with pytest.raises(AssumptionError) as err:
        tem.load(write(tmp_path, body, "early"))
    text = str(err.value)
    own = "cell_plant_1.spend_profile: spends from FY29 to FY31, but its gate decides at the end of FY29"
    required = "cell_plant_2.spend_profile: spends from FY29 to FY31, but the gate of cell_plant_1 (required)"
    assert own in text
    assert required in text
    assert "early.yaml" in text or "base.yaml" in text


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            'gate: {decide_fy: 2029, when: [{line: cell_yield, op: ">=", threshold: 0.85, fy: 2030}]}',
            "gate.when.0.fy: 2030 is not known at the decision: read a year from 2026 to decide_fy 2029",
        ),
        (
            'gate: {decide_fy: 2029, when: [{input: cells.local.pli.enable, op: ">=", threshold: 1}]}',
            "'cells.local.pli.enable' is not a numeric scalar or yearly input",
        ),
        ('gate: {decide_fy: 2029, when: [{op: ">=", threshold: 1}]}', "give exactly one of line and input"),
        ('gate: {decide_fy: 2029, when: [{line: cell_yeld, op: ">=", threshold: 1}]}', "cell_yield"),
        ("require: [cell_plant_1]", "a phase cannot require itself"),
        ("require: [nope]", "'nope' is not a phase"),
    ],
)
def test_bad_gates_are_named(tmp_path: Path, body: str, message: str) -> None:
    text = f"capex:\n  phases:\n    - name: cell_plant_1\n      commissioning_fy: 2032\n      {body}\n"
    with pytest.raises(AssumptionError, match="cell_plant_1") as err:
        tem.load(write(tmp_path, text, "bad"))
    assert message in str(err.value)


def test_require_cycle_is_an_error(tmp_path: Path) -> None:
    body = """
    capex:
      phases:
        - {name: cell_plant_1, require: [cell_plant_2]}
        - {name: cell_plant_2, require: [cell_plant_1]}
    """
    with pytest.raises(AssumptionError, match="require makes a cycle: cell_plant_1 -> cell_plant_2 -> cell_plant_1"):
        tem.load(write(tmp_path, body, "cycle"))


def test_batch_that_moves_spending_before_the_decision_is_refused(tmp_path: Path) -> None:
    a = tem.load(write(tmp_path, GATED.format(threshold=0.0), "gated"))
    with pytest.raises(BatchInputError, match="spend on cell_plant_1 in or before FY29"):
        run_batch_inputs(build_inputs(a), {"capex.phases.cell_plant_1.commissioning_fy": np.array([2032.0, 2031.0])})


def test_cli_exits_2_on_spending_before_the_decision(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from tem.cli import app

    gate = '{decide_fy: 2029, when: [{input: cells.local.pli.enabled, op: ">=", threshold: 1}]}'
    body = f"capex:\n  phases:\n    - name: cell_plant_1\n      gate: {gate}\n"
    res = CliRunner().invoke(app, ["validate", str(write(tmp_path, body, "early"))])
    assert res.exit_code == 2
    assert "cell_plant_1.spend_profile: spends from FY29 to FY31" in res.output
    assert "Traceback" not in res.output


def test_every_gate_line_has_one_definition_in_schema_engine_and_workbook() -> None:
    from tem.assumptions.schema import GATE_LINES
    from tem.exports.workbook.gates import LINE_TEMPLATES
    from tem.model.gates import LINES

    assert tuple(LINES) == GATE_LINES
    assert tuple(LINE_TEMPLATES) == GATE_LINES


def test_tem_run_prints_the_gates_and_the_result_table(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = ROOT / "tests" / "data" / "gates" / "gated_fail.yaml"
    proc = subprocess.run(
        [sys.executable, "-m", "tem", "run", str(path), "--out", str(tmp_path), "--no-excel", "--no-charts"],
        capture_output=True,
        text=True,
        check=False,
        env={**__import__("os").environ, "COLUMNS": "200"},
    )
    assert proc.returncode == 0, proc.stderr
    # conditions in words with their units, phases as words (issue 14, fourth wave: no raw keys on a page)
    assert "cell plant 1 FY29: NO GO (any)" in proc.stdout
    assert "Imported cell landed cost in FY29 ≥ 6,400 INR/kWh" in proc.stdout
    assert "not built: cell plant 1, cell plant 2" in proc.stdout
    r = tem.run(tem.load(path))
    row = r.gates.iloc[0]
    assert (row.phase, row.decide_fy, row.op, row.threshold, row.passes) == ("cell_plant_1", "FY29", ">=", 6400.0, False)
    assert row.value == pytest.approx(5993.6234, abs=1e-3)  # the base's landed cell in FY29
    assert r.built == {"cell_plant_1": False, "cell_plant_2": False}


def test_report_shows_the_gates_only_when_there_are_gates() -> None:
    from tem.exports.report.gates import gates_html

    gated = tem.run(tem.load(ROOT / "tests" / "data" / "gates" / "gated_fail.yaml"))
    page = gates_html(gated)
    assert "Decisions: gates" in page
    assert "Imported cell landed cost in FY29 ≥ 6,400 INR/kWh" in page  # words and unit from the catalogue
    assert "<b>NO GO</b>" in page
    assert "cell plant 1: not built, cell plant 2: not built" in page
    assert gates_html(tem.run(tem.load(COMMITTED_CELLS))) == ""


@pytest.mark.parametrize("fobs", [[40.0, 60.0, 45.0, 55.0, 50.0], [40.0, 41.0], [60.0, 61.0]])
def test_batch_of_a_gated_pack_line_equals_single_runs(fobs: list[float]) -> None:
    """A gate on a phase the counterfactual keeps (a pack line): mixed, all-pass and all-fail batches."""
    a = tem.load(ROOT / "tests" / "data" / "toy_gate.yaml")
    values = {"cells.imported.fob_price_usd_per_kwh": np.array(fobs)}
    batch = run_batch_inputs(build_inputs(a), values, chunk_size=2)
    for i in range(len(fobs)):
        single, _ = run_inputs(with_values(build_inputs(a), {k: v[i : i + 1] for k, v in values.items()}))
        for key, col in batch.items():
            assert same_bits(col[i], single.kpis[key][0]), (fobs[i], key)


def test_a_threshold_is_an_input_set_by_override_and_varied_by_a_spec() -> None:
    path = ROOT / "tests" / "data" / "gates" / "gated.yaml"
    a = tem.load(path, overrides={THRESHOLD: 6000.0})
    gate = a.capex.phases[5].gate
    assert gate is not None
    assert gate.when[0].threshold == 6000.0
    assert tem.run(a).kpis["gate_passed_cell_plant_1"] == 0.0
    batch = tem.run_batch(tem.load(path), {THRESHOLD: np.array([5000.0, 6000.0])})
    assert batch["gate_passed_cell_plant_1"].tolist() == [1.0, 0.0]


@settings(max_examples=8, deadline=None)
@given(
    threshold=st.floats(4000.0, 7000.0),
    fob_scale=st.floats(0.7, 1.3),
    rate=st.floats(0.08, 0.16),
)
def test_gated_npv_is_the_committed_or_the_phase_free_npv(threshold: float, fob_scale: float, rate: float) -> None:
    """Invariant: where the gate passes the NPV is the committed one; where it fails, the one without the phases."""
    inp = GATED_INPUTS
    values = {THRESHOLD: np.array([threshold]), "timeline.discount_rate": np.array([rate])}
    scales = {"cells.imported.fob_price_usd_per_kwh": np.array([fob_scale])}
    k = run_batch_inputs(inp, values, scales)
    without = run_batch_inputs(WITHOUT_INPUTS, {"timeline.discount_rate": np.array([rate])}, scales)
    if k["gate_passed_cell_plant_1"][0] == 1.0:
        assert k["npv_inr_cr"][0] == k["committed_npv_inr_cr"][0]
    else:
        assert k["npv_inr_cr"][0] == without["npv_inr_cr"][0]
        assert k["committed_npv_inr_cr"][0] != without["npv_inr_cr"][0]


def test_a_gate_whose_required_phase_was_removed_is_not_reached() -> None:
    """Plant 2 requires plant 1; plant 1's gate fails at FY28, so plant 2's FY31 gate reads nothing and fails."""
    r = tem.run(tem.load(ROOT / "tests" / "data" / "gates" / "two_gates_first_fails.yaml"))
    gates = r.outcome.gates
    assert gates is not None
    assert not gates.passed["cell_plant_1"][0]
    assert not gates.passed["cell_plant_2"][0]
    assert np.isnan(gates.values[("cell_plant_2", 0)][0])
    assert r.built == {"cell_plant_1": False, "cell_plant_2": False}
    both = tem.run(tem.load(ROOT / "tests" / "data" / "gates" / "two_gates.yaml"))
    assert same_bits(both.outcome.kpis["npv_inr_cr"], tem.run(tem.load(BASE)).outcome.kpis["npv_inr_cr"])


def test_batch_of_two_sequential_gates_equals_single_runs() -> None:
    a = tem.load(ROOT / "tests" / "data" / "gates" / "two_gates.yaml")
    scales = {
        "cells.imported.fob_price_usd_per_kwh": np.array([1.0, 0.9, 1.1, 1.05, 1.0, 1.2]),
        "cells.local.yield_ramp": np.array([1.0, 1.0, 0.9, 1.0, 0.94, 1.04]),
    }
    batch = run_batch_inputs(build_inputs(a), None, scales, chunk_size=4)
    assert 0 < batch["gate_passed_cell_plant_2"].sum() < batch["gate_passed_cell_plant_1"].sum() < 6
    for i in range(6):
        single, _ = run_inputs(with_values(build_inputs(a), None, {k: v[i : i + 1] for k, v in scales.items()}))
        for key, col in batch.items():
            assert same_bits(col[i], single.kpis[key][0]), (i, key)


def test_the_base_gate_passes_at_the_base_numbers_so_it_is_the_committed_program_bit_for_bit() -> None:
    gated = tem.run(tem.load(BASE))
    committed = tem.run(tem.load(COMMITTED_CELLS))
    assert gated.kpis["gate_passed_cell_plant_1"] == 1.0
    assert gated.built == {"cell_plant_1": True, "cell_plant_2": True}
    assert committed.outcome.gates is None
    pd.testing.assert_frame_equal(gated.statement, committed.statement, check_exact=True)
    shared_kpis(gated, committed)
    # with the price war's imported cells (below the plan's path by FY28) no cell plant is built
    war = tem.load(ROOT / "assumptions" / "scenarios" / "cell_price_war.yaml")
    war_fob = war.cells.imported.fob_price_usd_per_kwh
    gated_war = tem.load(BASE, overrides={"cells.imported.fob_price_usd_per_kwh": war_fob})
    assert tem.run(gated_war).built == {"cell_plant_1": False, "cell_plant_2": False}


def test_a_bridge_switches_a_gate_off_and_refuses_gates_that_differ(tmp_path: Path) -> None:
    from tem.analysis.scenarios.bridge import bridge
    from tem.analysis.scenarios.bridge_inputs import StructureMismatchError, align_inputs

    pair = align_inputs(tem.load(BASE), tem.load(COMMITTED_CELLS))
    assert pair.b.arrays["capex.phases.cell_plant_1.gate.enabled"][0, 0] == 0.0
    # a gate that always fails in A, none in B: the bridge ends on B's own run
    failing = tem.load(BASE, overrides={THRESHOLD: 1e9})
    b = bridge(failing, tem.load(COMMITTED_CELLS), method="sequential")
    assert b.kpi_a == tem.run(failing).kpis["npv_inr_cr"]
    assert b.kpi_b == pytest.approx(tem.run(tem.load(COMMITTED_CELLS)).kpis["npv_inr_cr"], rel=1e-12)
    other = tmp_path / "earlier.yaml"
    other.write_text(
        f"extends: {BASE}\nname: earlier\ncapex: {{phases: [{{name: cell_plant_1, gate: {{decide_fy: 2027}}}}]}}\n"
    )
    with pytest.raises(StructureMismatchError, match=r"capex\.phases\.cell_plant_1: its gate"):
        align_inputs(tem.load(BASE), tem.load(other))
    pair = align_inputs(tem.load(BASE), tem.load(ROOT / "assumptions" / "scenarios" / "import_only.yaml"))
    assert pair.b.structure.gates == pair.a.structure.gates  # absent plants bridged at zero size
