"""User text (scenario names, --set values, file paths, spec values) prints exactly as given: square brackets
are not Rich markup and ``:name:`` is not an emoji code, on every command (review 17, defect 1)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tem.cli.common import app, labelled, tell

ROOT = Path(__file__).parents[2]
BASE = ROOT / "assumptions" / "base.yaml"
NAME = "evil [/] name :a:b:c: [bold]x[/bold]"


def tem_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "250"}  # no wrapping inside the texts looked for
    return subprocess.run(
        [sys.executable, "-m", "tem", *args], cwd=ROOT, capture_output=True, text=True, check=False, env=env
    )


@pytest.fixture
def evil(tmp_path: Path) -> Path:
    path = tmp_path / "evil [" / "] :a:b:c: [bold].yaml"  # the path reads "evil [/] :a:b:c: [bold].yaml"
    path.parent.mkdir()
    path.write_text(f"extends: {BASE.as_posix()}\nname: '{NAME}'\n")
    return path


def test_labelled_messages_keep_brackets_and_colons() -> None:
    assert labelled("error:", "a [/] b :a:b:c:").plain == "error: a [/] b :a:b:c:"
    runner = CliRunner()

    @app.command("_say_for_test", hidden=True)
    def _say() -> None:
        tell("warning:", "[bold]x[/bold] :smile: [/]")

    try:
        res = runner.invoke(app, ["_say_for_test"])
    finally:
        app.registered_commands.pop()
    assert res.exit_code == 0
    assert res.stderr.strip() == "warning: [bold]x[/bold] :smile: [/]"


def test_validate_prints_the_name_and_the_path_as_given(evil: Path, tmp_path: Path) -> None:
    proc = tem_cli("validate", str(evil))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"ok {evil} ({NAME}, 20 years from FY26)"
    missing = tmp_path / "nonexist[/red] :a:b:.yaml"
    proc = tem_cli("validate", str(missing))
    assert proc.returncode == 2
    assert f"- {missing}: file not found" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("value", "shown"),
    [("a[/red]", "'a[/red]'"), ("[bold]x[/bold]", "'[bold]x[/bold]'"), (":a:b:c:", "{':a:b:c': null}")],
)
def test_run_set_values_are_quoted_as_given_and_nothing_written(tmp_path: Path, value: str, shown: str) -> None:
    out = tmp_path / "out"
    proc = tem_cli("run", "--no-excel", "--no-charts", "--out", str(out), "--set", f"timeline.discount_rate={value}")
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "MarkupError" not in proc.stderr
    assert f"--set: timeline.discount_rate: {shown}: " in proc.stderr.replace("None", "null")
    assert not out.exists()


def test_run_decisions_compare_with_a_name_in_brackets(evil: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = tem_cli("run", "--no-excel", "--no-charts", "--out", str(out), str(evil))
    assert proc.returncode == 0, proc.stderr
    assert f"{NAME}: KPIs" in proc.stdout
    proc = tem_cli("decisions", str(evil))
    assert proc.returncode == 0, proc.stderr
    assert NAME in proc.stdout
    proc = tem_cli("compare", "--no-png", "--out", str(out), str(BASE), str(evil))
    assert proc.returncode == 0, proc.stderr
    assert NAME in proc.stdout
    proc = tem_cli("compare", "--no-png", "--out", str(tmp_path / "none"), "--set", "name=[/]", str(BASE), str(evil))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "none").exists()


def test_sweep_and_montecarlo_with_a_name_in_brackets(evil: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    spec = tmp_path / "sweep.yaml"
    spec.write_text("parameters:\n  - {path: timeline.discount_rate, low: 0.10, high: 0.16}\nkpis: [npv_inr_cr]\n")
    proc = tem_cli("sweep", "--quiet", "--spec", str(spec), "--out", str(out), str(evil))
    assert proc.returncode == 0, proc.stderr
    assert f"{NAME}: tornado of NPV" in proc.stdout
    proc = tem_cli("montecarlo", "--n", "100", "--no-png", "--no-excel", "--quiet", "--out", str(out), str(evil))
    assert proc.returncode == 0, proc.stderr
    assert f"{NAME}: Monte Carlo" in proc.stdout
    # --quiet drops the progress bar only, as its help says: the tables and notes still print (defect 10)
    assert "P(NPV < 0) = " in proc.stdout
    assert "outputs written to" in proc.stdout
    missing = tmp_path / "spec[/red]:a:b:.yaml"
    proc = tem_cli("montecarlo", "--spec", str(missing), "--out", str(tmp_path / "none"), str(evil))
    assert proc.returncode == 2
    # one line naming the spec file (was "1 problem in the assumptions:" and a bullet: a spec is not an assumption file)
    assert proc.stderr == f"error: spec file {missing}: file not found\n"
    assert not (tmp_path / "none").exists()
    proc = tem_cli("sweep", "--spec", str(missing), "--out", str(tmp_path / "none"), str(evil))
    assert (proc.returncode, proc.stderr) == (2, f"error: spec file {missing}: file not found\n")
    assert not (tmp_path / "none").exists()
    proc = tem_cli("montecarlo", "--gate-sweep", "capex.phases.cell_plant_1.gate.when.0.threshold=a:b:c")
    assert proc.returncode == 2
    assert "--gate-sweep: 'a:b:c' is not allowed" in proc.stderr
