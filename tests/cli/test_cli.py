"""The command line as a user drives it: outputs, JSON, exit codes, nothing written on errors."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).parents[2]
CORE_FILES = ["kpis.json", "manifest.json", "resolved.yaml", "statement.csv", "tidy.csv", "unit_costs.csv"]


def has_module(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def tem_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tem", *args], cwd=cwd, capture_output=True, text=True, check=False)


def test_run_writes_outputs_and_prints_kpis(tmp_path: Path) -> None:
    proc = tem_cli("run", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    folder = tmp_path / "base"
    names = {p.name for p in folder.iterdir()}
    assert set(CORE_FILES) <= names
    assert ("base.xlsx" in names) == has_module("tem.exports.workbook.build")
    assert ("charts" in names) == has_module("tem.exports.charts.figures")
    assert ("report.html" in names) == has_module("tem.exports.report.page")
    assert names - set(CORE_FILES) <= {"base.xlsx", "charts", "report.html"}
    doc = json.loads((folder / "kpis.json").read_text())
    assert doc["scenario"] == "base"
    assert doc["provenance"]["assumption_files"][0]["path"].endswith("base.yaml")
    assert len(doc["provenance"]["assumption_files"][0]["sha256"]) == 64
    statement = pd.read_csv(folder / "statement.csv", index_col="line_item")
    assert statement.loc["free_cash_flow", "unit"] == "INR crore"
    assert "FY26" in statement.columns
    assert "FY45" in statement.columns
    tidy = pd.read_csv(folder / "tidy.csv")
    assert list(tidy.columns) == ["scenario", "line_item", "unit", "fy", "value"]
    assert "NPV" in proc.stdout
    assert "Levelized pack cost" in proc.stdout


def test_json_on_stdout_matches_file(tmp_path: Path) -> None:
    proc = tem_cli("run", "--out", str(tmp_path), "--json", "--set", "timeline.discount_rate=0.13")
    assert proc.returncode == 0, proc.stderr
    printed = json.loads(proc.stdout)
    written = json.loads((tmp_path / "base+discount_rate=0.13" / "kpis.json").read_text())
    assert printed == written
    assert printed["provenance"]["overrides"] == {"timeline.discount_rate": 0.13}
    for key in (
        "npv_inr_cr",
        "irr",
        "mirr",
        "payback_years",
        "discounted_payback_years",
        "peak_funding_inr_cr",
        "total_capex_inr_cr",
        "levelized_pack_cost_inr_per_kwh",
        "levelized_pack_cost_usd_per_kwh",
        "levelized_cell_cost_inr_per_kwh",
        "levelized_cell_cost_usd_per_kwh",
        "incremental_npv_vs_import_inr_cr",
        "crossover_fy",
        "dva_share_by_fy",
        "cumulative_forex_saved_usd_m",
    ):
        assert key in printed["kpis"], key


def test_several_scenarios_in_one_call(tmp_path: Path) -> None:
    files = sorted(str(p) for p in (ROOT / "assumptions" / "scenarios").glob("*.yaml"))
    proc = tem_cli("run", *files, "--out", str(tmp_path), "--json")
    assert proc.returncode == 0, proc.stderr
    names = {d["scenario"] for d in json.loads(proc.stdout)}
    assert names >= {"import_only", "fast_localization", "delayed_localization", "cell_price_war"}  # plus any of yours
    assert {p.name for p in tmp_path.iterdir()} == names


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--set", "cells.imported.freight_and_insurance_rate=3"], r"use 0\.03"),
        (["--set", "timeline.discount_rat=0.1"], "did you mean 'discount_rate'"),
        (["--set", "no_equals_sign"], "expected PATH=VALUE"),
        (["tests/malformed/does_not_exist.yaml"], "file not found"),
    ],
)
def test_user_errors_exit_2_without_traceback_or_output(tmp_path: Path, args: list[str], needle: str) -> None:
    import re

    out = tmp_path / "out"
    proc = tem_cli("run", "--out", str(out), *args)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert re.search(needle, proc.stderr), proc.stderr
    assert not out.exists()


def test_validate_reports_every_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"extends: {ROOT / 'assumptions' / 'base.yaml'}\ntimeline:\n  discount_rate: 12.5\n")
    proc = tem_cli("validate", "assumptions/base.yaml", str(bad))
    assert proc.returncode == 2
    assert "ok assumptions/base.yaml" in proc.stdout
    assert f"{bad}:3: timeline.discount_rate" in proc.stderr


def test_schema_is_json_schema(tmp_path: Path) -> None:
    target = tmp_path / "schema.json"
    proc = tem_cli("schema", "-o", str(target))
    assert proc.returncode == 0, proc.stderr
    schema = json.loads(target.read_text())
    assert "timeline" in schema["properties"]
    assert "discount_rate" in schema["$defs"]["Timeline"]["properties"]


def test_no_excel_no_charts_writes_the_core_files_only(tmp_path: Path) -> None:
    proc = tem_cli("run", "--out", str(tmp_path), "--no-excel", "--no-charts")
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in (tmp_path / "base").iterdir()) == CORE_FILES
    manifest = json.loads((tmp_path / "base" / "manifest.json").read_text())
    assert sorted(manifest["outputs"]) == [n for n in CORE_FILES if n != "manifest.json"]


def test_json_provenance_has_version_commit_and_time(tmp_path: Path) -> None:
    proc = tem_cli("run", "--out", str(tmp_path), "--json", "--no-excel", "--no-charts")
    assert proc.returncode == 0, proc.stderr
    printed = json.loads(proc.stdout)
    assert set(printed) == {"scenario", "kpis", "provenance"}
    provenance = printed["provenance"]
    assert set(provenance) >= {"tem_version", "assumption_files", "overrides", "git_commit", "timestamp"}
    manifest = json.loads((tmp_path / "base" / "manifest.json").read_text())
    assert provenance["git_commit"] == manifest["git_commit"]
    assert provenance["timestamp"] == manifest["timestamp"]


def test_help_lists_output_switches() -> None:
    proc = tem_cli("run", "--help")
    assert proc.returncode == 0, proc.stderr
    for flag in ("--no-excel", "--no-charts", "--png", "--out", "--json", "--set"):
        assert flag in proc.stdout, flag


def test_schema_to_unwritable_path_exits_1(tmp_path: Path) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    proc = tem_cli("schema", "-o", str(blocker / "schema.json"))
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "a_file" in proc.stderr


def test_run_warns_of_an_inverted_duty_structure(tmp_path: Path) -> None:
    proc = tem_cli(
        "run", "--out", str(tmp_path), "--no-excel", "--no-charts", "--set", "demand.captive.product.cell_bcd_rate=0.2"
    )
    assert proc.returncode == 0, proc.stderr
    assert "warning: base: inverted duty for captive vehicles" in proc.stderr


# --- issue 10: every bad input is exit 2, one message with file, line, path and value; nothing written ---------


def _one_message(stderr: str) -> None:
    assert "Traceback" not in stderr
    assert len(re.findall(r"^error:", stderr, flags=re.M)) == 1, stderr


def test_hostile_files_exit_2_one_message_each(tmp_path: Path) -> None:
    form_feed = tmp_path / "f.yaml"
    form_feed.write_bytes(b"name: x\n\f\n")  # the example
    nul = tmp_path / "nul.yaml"
    nul.write_bytes(b"name: x\x00\n")
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    looped = tmp_path / "looped.yaml"
    looped.write_text("extends: loop\n")
    hostile = [form_feed, nul, looped, *sorted((ROOT / "tests" / "malformed").glob("*.yaml"))]
    proc = tem_cli("validate", *map(str, hostile))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert len(re.findall(r"^error:", proc.stderr, flags=re.M)) == len(hostile)
    assert f"{form_feed}:2: the non-printable character U+000C (form feed)" in proc.stderr
    assert f"{nul}:1: the non-printable character U+0000 (NUL)" in proc.stderr
    assert f"{looped}:1: extends: 'loop' cannot be read" in proc.stderr


def test_a_bad_file_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"extends: {ROOT / 'assumptions' / 'base.yaml'}\ntimeline:\n  discount_rate: null\n")
    proc = tem_cli("run", str(bad), "--out", str(out))
    assert proc.returncode == 2
    _one_message(proc.stderr)
    assert f"{bad}:3: timeline.discount_rate: null: " in proc.stderr
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (
            ["--x", "timeline.discount_rat:0.1:0.2:3", "--y", "timeline.inflation_rate:0.01:0.05:3"],
            r"--x 'timeline\.discount_rat:0\.1:0\.2:3': unknown input path .*did you mean 'timeline\.discount_rate'",
        ),
        (
            ["--x", "transition.local_cells_start_fy:2028:2060:5", "--y", "timeline.inflation_rate:0.01:0.05:3"],
            r"--x .*2052 is outside the horizon FY26-FY45",
        ),
        (
            ["--x", "timeline.discount_rate:0.1:0.2:1000000000", "--y", "timeline.inflation_rate:0.01:0.05:3"],
            r"--x .*1000000000 steps; a data table axis takes 1 to 50",
        ),
        (["--kpi", "npv"], r"--kpi: unknown KPI 'npv'"),
    ],
)
def test_sweep_options_exit_2_naming_the_option(tmp_path: Path, args: list[str], needle: str) -> None:
    import re

    out = tmp_path / "out"
    proc = tem_cli("sweep", "--out", str(out), "--quiet", *args)
    assert proc.returncode == 2, proc.stderr
    _one_message(proc.stderr)
    assert re.search(needle, proc.stderr), proc.stderr
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--seed", "-1"], "tem montecarlo --seed: -1 is not allowed; allowed: a whole number of at least 0"),
        (["--n", "1000000000"], "tem montecarlo --n: 1000000000 is not allowed; allowed: a whole number from 23 to "),
        (["--sobol", "1073741824"], "tem montecarlo --sobol: 1073741824 is not allowed; allowed: a power of 2 from 8 "),
        (["--sobol", "1000"], "tem montecarlo --sobol: 1000 is not allowed; allowed: a power of 2 from 8 to 1,048,576"),
    ],
)
def test_montecarlo_options_get_the_spec_files_rules(tmp_path: Path, args: list[str], needle: str) -> None:
    out = tmp_path / "out"
    proc = tem_cli("montecarlo", "--out", str(out), "--quiet", *args)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("error: " + needle), proc.stderr
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert not out.exists()
