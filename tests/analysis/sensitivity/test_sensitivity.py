"""Sensitivity: tornado swings by hand on the toy case, spider, data table, goal seek, sweep specs, CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tem
from tem.analysis.sensitivity.goalseek import NoSolutionError, goal_seek
from tem.analysis.sensitivity.spec import SweepParameter, SweepSpec
from tem.analysis.sensitivity.sweeps import axis, data_table, spider, tornado
from tem.analysis.specio import load_spec
from tem.errors import AssumptionError, BatchInputError, OptionError

ROOT = Path(__file__).parents[3]
TOY = Path(__file__).parents[2] / "data" / "toy.yaml"
BASE = ROOT / "assumptions" / "base.yaml"
DF = np.array([1.1**-1, 1.1**-2, 1.1**-3, 1.1**-4])


def test_tornado_swing_by_hand_on_the_toy() -> None:
    spec = SweepSpec(
        parameters=[SweepParameter(path="demand.captive.price_inr_per_kwh", low="-10%", high="+10%")], kpis=["npv_inr_cr"]
    )
    t = tornado(tem.load(TOY), spec)["npv_inr_cr"]
    # +10% price: revenue +100 a year; SG&A 1% -> -1; EBITDA +99; tax 25% -> +24.75 (the toy always pays tax);
    # receivables are 10% of revenue: +10 more working capital in FY26, released in FY29
    d_fcf = np.array([99 - 24.75 - 10, 99 - 24.75, 99 - 24.75, 99 - 24.75 + 10])
    base = 867.6832287753564
    assert t.base == pytest.approx(base)
    assert t.table.loc[0, "kpi_high"] == pytest.approx(base + d_fcf @ DF)
    assert t.table.loc[0, "kpi_low"] == pytest.approx(base - d_fcf @ DF)
    assert t.table.loc[0, "swing"] == pytest.approx(2 * d_fcf @ DF)
    assert t.table.loc[0, "high_input"] == pytest.approx(11_000.0)


def test_tornado_sorted_by_swing_and_base_consistent() -> None:
    spec = load_spec(ROOT / "assumptions" / "sweeps" / "tornado.yaml", SweepSpec)
    assert 15 <= len(spec.parameters) <= 30
    a = tem.load(BASE)
    result = tornado(a, spec)
    base_kpis = tem.run(a).kpis
    for kpi, t in result.items():
        assert t.base == pytest.approx(base_kpis[kpi])
        assert list(t.table["swing"]) == sorted(t.table["swing"], reverse=True)
    # a parameter at its base value reproduces the base KPI (the first-year FOB price of the base is 50)
    one = SweepSpec(
        parameters=[SweepParameter(path="cells.imported.fob_price_usd_per_kwh", low=50.0, high="0%")], kpis=["npv_inr_cr"]
    )
    row = tornado(a, one)["npv_inr_cr"].table.iloc[0]
    assert row["kpi_low"] == pytest.approx(base_kpis["npv_inr_cr"], rel=1e-12)
    assert row["kpi_high"] == pytest.approx(base_kpis["npv_inr_cr"], rel=1e-12)


def test_spider_zero_change_is_the_base_and_years_are_left_out() -> None:
    spec = load_spec(ROOT / "assumptions" / "sweeps" / "tornado.yaml", SweepSpec)
    a = tem.load(BASE)
    table = spider(a, spec, "npv_inr_cr")
    np.testing.assert_allclose(table["0%"], tem.run(a).kpis["npv_inr_cr"], rtol=1e-12)
    assert not any(
        "year" in name.lower() and "commissioning" not in name.lower() for name in table.index if "First year" in name
    )
    assert "First year of local cells" not in table.index


def test_data_table_matches_single_runs_at_the_corners() -> None:
    a = tem.load(BASE)
    x = axis("cells.imported.fob_price_usd_per_kwh", low=40, high=60, steps=5)
    y = axis("timeline.discount_rate", values=[0.10, 0.125, 0.15])
    grid = data_table(a, x, y, "npv_inr_cr")
    assert grid.shape == (3, 5)
    for yv, xv in ((0.10, 40.0), (0.15, 60.0)):
        single = tem.run_batch(a, {"cells.imported.fob_price_usd_per_kwh": [xv], "timeline.discount_rate": [yv]})
        assert grid.loc[yv, xv] == pytest.approx(single["npv_inr_cr"][0], rel=1e-12)
    with pytest.raises(BatchInputError, match="1 to 50"):
        axis("timeline.discount_rate", low=0.1, high=0.2, steps=51)


def test_goal_seek_finds_the_irr_as_the_rate_that_zeroes_npv() -> None:
    a = tem.load(TOY, overrides={"capex.phases.pack_line.capex_inr_cr": 800.0})
    irr = tem.run(a).kpis["irr"]
    r = goal_seek(a, "timeline.discount_rate", "npv_inr_cr", 0.0, 0.01, 0.5, xtol=1e-12)
    assert r.value == pytest.approx(irr, abs=1e-9)
    assert abs(r.kpi_at_value) < 1e-6


def test_goal_seek_breakeven_cell_price_and_discrete_year() -> None:
    a = tem.load(BASE)
    r = goal_seek(a, "cells.imported.fob_price_usd_per_kwh", "incremental_npv_vs_import_inr_cr", 0.0, 30, 120)
    assert 52 < r.value < 80  # localizing loses at USD 52 (base) and would pay only at dearer imports
    check = tem.run_batch(a, {"cells.imported.fob_price_usd_per_kwh": [r.value]})
    assert abs(check["incremental_npv_vs_import_inr_cr"][0]) < 1e-3
    year = goal_seek(a, "transition.local_cells_start_fy", "npv_inr_cr", -5000.0, 2028, 2034)
    assert year.value == int(year.value)
    assert 2028 <= year.value <= 2034


def test_goal_seek_fails_clearly_without_a_root() -> None:
    a = tem.load(BASE)
    # in the catalogue's words and formats (the KPI's label, a rate in %, the input in its unit), not raw keys
    with pytest.raises(
        NoSolutionError,
        match=r"^IRR does not reach 14\.5% for capex\.phases\.cell_plant_1\.capex_inr_cr between 500 and 5,000 "
        r"INR crore: it ranges from -?\d+\.\d% to -?\d+\.\d% there",
    ):
        goal_seek(a, "capex.phases.cell_plant_1.capex_inr_cr", "irr", 0.145, 500, 5000)


def test_goal_seek_keeps_to_the_gates_as_run_like_the_breakevens() -> None:
    from tem.analysis.breakevens import breakevens

    fob, kpi = "cells.imported.fob_price_usd_per_kwh", "incremental_npv_vs_import_inr_cr"
    war = tem.load(ROOT / "assumptions" / "scenarios" / "cell_price_war.yaml")
    assert tem.run(war).kpis["gate_passed_cell_plant_1"] == 0.0  # cell plant 1 is NO GO as run
    # NPV vs import-only crosses 0 only above the price where cell plant 1's gate opens: another program, no answer
    # (the breakevens say "none with the gates as run" for the same reason)
    assert breakevens(war, 0.145)[0].value is None
    with pytest.raises(NoSolutionError, match=r"none with the gates as run\): cell plant 1's gate opens above"):
        goal_seek(war, fob, kpi, 0.0, 20, 120, label="Imported cell price (FOB)")
    # where the root keeps every gate as run, the same value as the board's breakeven, and the gates agree there
    base = tem.load(BASE)
    r = goal_seek(base, fob, kpi, 0.0, 20, 120)
    assert r.value == pytest.approx(breakevens(base, 0.145)[0].value, abs=1e-3)
    at = tem.run_batch(base, {fob: [r.value]})
    run = tem.run(base).kpis
    for gate in (k for k in at if k.startswith("gate_passed_")):
        assert at[gate][0] == run[gate]


def test_bad_sweep_specs_name_the_path(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("kpis: [npv_inr_cr]\nparamters: []\nmultipliers: ['-30%', 'ten']\n")
    with pytest.raises(AssumptionError) as info:
        load_spec(bad, SweepSpec)
    text = str(info.value)
    assert "did you mean 'parameters'" in text
    assert "multipliers" in text
    assert "'ten' is not a relative change" in text
    bad.write_text("parameters:\n  - {path: timeline.discount_rate, low: 0.1, high: lots}\n")
    with pytest.raises(AssumptionError, match=r"bad\.yaml:2: parameters\.0\.high"):
        load_spec(bad, SweepSpec)
    a = tem.load(BASE)
    # checked against the assumptions before anything runs, each problem at its place in the spec (issue 10)
    spec = SweepSpec(parameters=[SweepParameter(path="timeline.discount_rat", low=0.1, high=0.2)])
    with pytest.raises(AssumptionError, match=r"parameters\.0\.path: .*did you mean 'timeline\.discount_rate'"):
        tornado(a, spec)
    spec = SweepSpec(parameters=[SweepParameter(path="transition.local_cells_start_fy", low="-10%", high=2030)])
    with pytest.raises(AssumptionError, match=r"parameters\.0\.low: .*absolute year"):
        tornado(a, spec)


def tem_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tem", *args], cwd=ROOT, capture_output=True, text=True, check=False)


def test_sweep_cli_writes_outputs_and_json(tmp_path: Path) -> None:
    proc = tem_cli(
        "sweep",
        "--out",
        str(tmp_path),
        "--json",
        "--quiet",
        "--x",
        "cells.imported.fob_price_usd_per_kwh:40:60:3",
        "--y",
        "timeline.discount_rate:0.1:0.15:2",
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert "npv_inr_cr" in doc
    assert doc["npv_inr_cr"]["tornado"][0]["swing"] >= doc["npv_inr_cr"]["tornado"][-1]["swing"]
    folder = tmp_path / "base" / "sweep"
    for name in (
        "sensitivity.xlsx",
        "tornado_npv_inr_cr.csv",
        "data_table_npv_inr_cr.csv",
        "manifest.json",
        "charts/tornado_npv_inr_cr.html",
    ):
        assert (folder / name).exists(), name
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["sweep_spec"]["path"].endswith("tornado.yaml")


def test_goalseek_cli_exit_codes() -> None:
    ok = tem_cli("goalseek", "--json")
    assert ok.returncode == 0, ok.stderr
    assert 52 < json.loads(ok.stdout)["value"] < 80
    bad = tem_cli(
        "goalseek",
        "--path",
        "capex.phases.cell_plant_1.capex_inr_cr",
        "--kpi",
        "irr",
        "--target",
        "0.145",
        "--low",
        "500",
        "--high",
        "5000",
    )
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr
    assert "does not reach" in bad.stderr
    # the input by its name as `tem sweep` shows it (the path stays in --json)
    said = tem_cli("goalseek")
    assert said.returncode == 0, said.stderr
    assert "at Imported cell price (FOB) = 68.9 USD/kWh" in said.stdout
    assert "cells.imported" not in said.stdout
    doc = json.loads(ok.stdout)
    assert (doc["path"], doc["input_label"]) == ("cells.imported.fob_price_usd_per_kwh", "Imported cell price (FOB)")
    war = tem_cli("goalseek", "assumptions/scenarios/cell_price_war.yaml")
    assert war.returncode == 2
    assert war.stdout == ""
    assert war.stderr.count("\n") == 1
    assert "none with the gates as run" in war.stderr
    assert "cell plant 1's gate opens" in war.stderr


def test_yield_needed_for_local_cells_to_beat_imports_in_fy30() -> None:
    a = tem.load(BASE)
    # only the pilot line runs in FY30, on its own yield ramp: on variable cost a flat pilot yield of about 83% is
    # enough (its base ramp gives 80% in FY30, its second year)
    pilot = "capex.phases.pilot_cell_line.yield_ramp"
    r = goal_seek(a, pilot, "local_cell_variable_minus_imported_inr_per_kwh@FY30", 0.0, 0.5, 1.0)
    assert 0.80 < r.value < 0.88
    assert abs(r.kpi_at_value) < 1e-3
    # full cost (with the pilot line's fixed costs and depreciation): no yield achieves it; the error says why
    with pytest.raises(
        NoSolutionError, match=r"^Local cell full minus imported in FY30 does not reach 0 INR/kWh for .* 50\.0% and 100\.0%"
    ):
        goal_seek(a, pilot, "local_cell_full_minus_imported_inr_per_kwh@FY30", 0.0, 0.5, 1.0)
    # one line naming the value, the years and the lines allowed
    with pytest.raises(OptionError, match=r"'no_such_line@FY30' is not allowed; .*from FY26 to FY45 .*dva_share"):
        goal_seek(a, "cells.local.yield_ramp", "no_such_line@FY30", 0.0, 0.5, 1.0)


def test_batches_of_ramps_equal_single_runs() -> None:
    a = tem.load(BASE)
    ramps = np.array([[0.3, 0.6, 0.8, 0.85], [0.5, 0.9, 0.9, 0.9], [0.2, 0.4, 0.6, 0.8]])
    batch = tem.run_batch(
        a, {"capex.phases.cell_plant_1.utilization_ramp": ramps, "cells.local.yield_ramp": [0.7, 0.9, 1.0]}
    )
    for i in range(3):
        one = tem.run(
            tem.load(
                BASE,
                overrides={
                    "capex.phases.cell_plant_1.utilization_ramp": ramps[i].tolist(),
                    "cells.local.yield_ramp": [[0.7, 0.9, 1.0][i]],
                },
            )
        )
        assert batch["npv_inr_cr"][i] == pytest.approx(one.kpis["npv_inr_cr"], rel=1e-12)


def test_tornado_on_the_gated_base_names_the_gate_decisions_and_open_gates_give_the_committed_program() -> None:
    """The base decides cell plant 1 at the end of FY28 on the imported cell FOB (>= USD 55): at USD 45 the plant
    is not built, so the low side is the program without cell plants (not a cheaper-cell committed program)."""
    fob = "cells.imported.fob_price_usd_per_kwh"
    spec = SweepSpec(parameters=[SweepParameter(path=fob, low=45.0, high=60.0)], kpis=["npv_inr_cr"])
    gated = tornado(tem.load(BASE), spec)["npv_inr_cr"].table.iloc[0]
    # a number for a yearly input rescales the base path to start there (README, run_batch): 45 / 50 = 0.9
    path = dict(tem.load(BASE).cells.imported.fob_price_usd_per_kwh)
    low_path = {k: v * 0.9 if k.startswith("FY") else v for k, v in path.items()}
    low = tem.run(tem.load(BASE, overrides={fob: low_path}))
    assert low.built == {"cell_plant_1": False, "cell_plant_2": False}
    assert gated.kpi_low == pytest.approx(low.kpis["npv_inr_cr"], rel=1e-12)
    assert (gated.gates_low, gated.gates_high) == ("cell plant 1 no go", "")
    committed = ROOT / "assumptions" / "scenarios" / "committed_cells.yaml"
    opened = tornado(tem.load(BASE), spec, gates="open")["npv_inr_cr"].table.iloc[0]
    assert opened.kpi_low == pytest.approx(tem.run(tem.load(committed, overrides={fob: low_path})).kpis["npv_inr_cr"])
    assert opened.kpi_low < tem.run(tem.load(BASE)).kpis["npv_inr_cr"]  # cheaper imported cells cost the plan
    assert (opened.gates_low, opened.gates_high) == ("", "")


def test_sweep_of_the_committed_program_has_its_own_folder_titles_and_manifest(tmp_path: Path) -> None:
    """`--gates open` never overwrites the gated sweep: sweep_committed/, titles saying so, the mode in the manifest;
    the gated sweep's chart names the gate decision beside the bar it changes."""
    spec = tmp_path / "fob.yaml"
    spec.write_text(
        "kpis: [npv_inr_cr]\nparameters:\n"
        "  - {path: cells.imported.fob_price_usd_per_kwh, label: Imported cell price (FOB), low: 45.0, high: 60.0}\n"
    )
    for gates in ("decide", "open"):
        proc = tem_cli("sweep", "--out", str(tmp_path), "--quiet", "--spec", str(spec), "--gates", gates)
        assert proc.returncode == 0, proc.stderr
    gated, committed = tmp_path / "base" / "sweep", tmp_path / "base" / "sweep_committed"
    assert json.loads((gated / "manifest.json").read_text())["gates"] == "decide"
    assert json.loads((committed / "manifest.json").read_text())["gates"] == "open"
    low = {}
    for folder in (gated, committed):
        rows = (folder / "tornado_npv_inr_cr.csv").read_text().splitlines()
        low[folder.name] = float(rows[1].split(",")[rows[0].split(",").index("kpi_low")])
    assert low["sweep"] > low["sweep_committed"]  # at USD 45 the gate stops the loss-making cell plant
    assert "gate low: cell plant 1 no go" in (gated / "charts" / "tornado_npv_inr_cr.html").read_text()
    assert "committed: every gate open" in (committed / "charts" / "tornado_npv_inr_cr.html").read_text()
    assert "gate low" not in (committed / "charts" / "tornado_npv_inr_cr.html").read_text()
    bad = tem_cli("sweep", "--out", str(tmp_path), "--quiet", "--spec", str(spec), "--gates", "maybe")
    assert bad.returncode == 2
    assert "--gates 'maybe': allowed are decide and open" in bad.stderr
