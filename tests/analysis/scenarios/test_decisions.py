"""The program as nested decisions (tem/analysis/scenarios/decisions.py): each step equals a single run of the
program it describes, increments add up, the increment's IRR zeroes its cash flow, and the CLI prints the table."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import tem
from tem.analysis.scenarios.decisions import decision_steps, decisions
from tem.errors import AssumptionError

ROOT = Path(__file__).parents[3]
BASE = ROOT / "assumptions" / "base.yaml"


def test_default_steps_follow_the_phase_kinds() -> None:
    steps = decision_steps(tem.load(BASE))
    assert [(s.name, s.phases) for s in steps] == [
        ("pack_business", ("pack_line_1", "rnd_centre", "pack_line_2", "pack_line_3")),
        ("pilot_cells", ("module_line", "pilot_cell_line")),
        ("cell_plants", ("cell_plant_1", "cell_plant_2")),
        ("recycling", ("recycling_line",)),
    ]


def test_each_step_is_the_run_of_its_program_and_increments_add_up(tmp_path: Path) -> None:
    a = tem.load(BASE)
    d = decisions(a)
    t = d.table
    full = tem.run(a)
    # the last step is the whole program, bit for bit
    assert t["npv_inr_cr"].iloc[-1] == full.kpis["npv_inr_cr"]
    assert t["peak_funding_inr_cr"].iloc[-1] == full.kpis["peak_funding_inr_cr"]
    assert t["npv_increment_inr_cr"].sum() == pytest.approx(full.kpis["npv_inr_cr"], rel=1e-12)
    # the first step: the pack business alone, local cells never made, no technology fee
    body = "".join(f"    - {{name: {n}, remove: true}}\n" for n in
                   ("module_line", "pilot_cell_line", "cell_plant_1", "cell_plant_2", "recycling_line"))
    path = tmp_path / "pack.yaml"
    path.write_text(f"extends: {BASE}\nname: pack\ntransition: {{local_cells_start_fy: null}}\n"
                    f"cells: {{local: {{technology_fee_usd_m: 0.0}}}}\ncapex:\n  phases:\n{body}")
    pack = tem.run(tem.load(path))
    assert t["npv_inr_cr"].iloc[0] == pytest.approx(pack.kpis["npv_inr_cr"], rel=1e-12)
    assert t["irr"].iloc[0] == pytest.approx(pack.kpis["irr"], rel=1e-9)
    assert t["dva_share"].iloc[0] == pytest.approx(pack.kpis["dva_share_by_fy"]["FY45"], rel=1e-12)


def test_increment_irr_zeroes_the_incremental_cash_flow() -> None:
    from tem.analysis.scenarios.decisions import program_values
    from tem.model.engine import run_batch_inputs
    from tem.model.inputs import build_inputs

    a = tem.load(BASE)
    d = decisions(a)
    inp = build_inputs(a)
    lines = [f"free_cash_flow_inr_cr@FY{fy % 100:02d}" for fy in range(2026, 2046)]
    k = run_batch_inputs(inp, program_values(inp, d.steps), year_lines=lines, gates="open")
    fcf = np.column_stack([k[x] for x in lines])
    inc = fcf[2] - fcf[1]  # + cell plants
    rate = d.table["irr_increment"].iloc[2]
    assert np.isfinite(rate)
    assert np.sum(inc / (1 + rate) ** np.arange(inc.size)) == pytest.approx(0.0, abs=1e-6 * np.abs(inc).sum())


def test_steps_from_the_assumptions_and_their_checks(tmp_path: Path) -> None:
    text = textwrap.dedent(f"""
        extends: {BASE}
        name: two_steps
        decisions:
          - {{name: packs, label: Packs and the centre, phases: [pack_line_1]}}
          - {{name: cells, label: + everything for cells, phases: [pilot_cell_line, cell_plant_1, cell_plant_2]}}
        """)
    path = tmp_path / "two.yaml"
    path.write_text(text)
    steps = decision_steps(tem.load(path))
    assert steps[0].phases == ("rnd_centre", "pack_line_2", "module_line", "recycling_line", "pack_line_3", "pack_line_1")
    assert steps[1].label == "+ everything for cells"
    path.write_text(text.replace("cell_plant_2]", "cell_plant_2, pack_line_1, nope]"))
    with pytest.raises(AssumptionError) as err:
        tem.load(path)
    assert "decisions.cells.phases: 'pack_line_1' is already added by step 'packs'" in str(err.value)
    assert "decisions.cells.phases: 'nope' is not a phase" in str(err.value)


def test_cli_prints_the_table_and_json() -> None:
    proc = subprocess.run([sys.executable, "-m", "tem", "decisions", str(BASE), "--json"], capture_output=True,
                          text=True, check=False, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert [s["step"] for s in doc["steps"]] == ["pack_business", "pilot_cells", "cell_plants", "recycling"]
    proc = subprocess.run([sys.executable, "-m", "tem", "decisions", str(BASE)], capture_output=True, text=True,
                          check=False, cwd=ROOT, env={**os.environ, "COLUMNS": "200"})
    assert proc.returncode == 0, proc.stderr
    assert "Pack business on imported cells" in proc.stdout
    bad = subprocess.run([sys.executable, "-m", "tem", "decisions", "nope.yaml"], capture_output=True, text=True,
                         check=False, cwd=ROOT)
    assert bad.returncode == 2
