"""Command-line usage errors (a bad option value, an unknown option or command, a missing argument or value, a
switch given a value, an argument too many) on every command: exit code 2 and one line on stderr naming the
command, the option and the value as given and what is allowed; no traceback, no box, nothing written; ``--help``
and ``tem`` alone unchanged (review 17, defect 6: Typer's boxed usage panel for ``--seed abc``, ``--n 1.5``,
``compare --method nope``)."""

from __future__ import annotations

import enum
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from tem.cli import app

ROOT = Path(__file__).parents[2]
BASE = "assumptions/base.yaml"


def tem_cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "80"}  # 80 columns: Rich would box and wrap
    return subprocess.run(
        [sys.executable, "-m", "tem", *args], cwd=cwd, capture_output=True, text=True, check=False, env=env
    )


N_ALLOWED = (  # assumptions/montecarlo.yaml correlates 21 inputs
    "a whole number from 23 to 10,000,000 (correlated sampling needs more scenarios than inputs + 1 (22))"
)
SOBOL_ALLOWED = "a power of 2 from 8 to 1,048,576 (e.g. 1,024)"
CASES = [
    (
        ["montecarlo", "--seed", "abc"],
        "error: tem montecarlo --seed: 'abc' is not allowed; allowed: a whole number",
    ),
    (["montecarlo", "--n", "1.5"], "error: tem montecarlo --n: '1.5' is not allowed; allowed: a whole number"),
    (["montecarlo", "--n="], "error: tem montecarlo --n: '' is not allowed; allowed: a whole number"),
    (["montecarlo", "--sobol", "1e3"], "error: tem montecarlo --sobol: '1e3' is not allowed; allowed: a whole number"),
    (["montecarlo", "--seed"], "error: tem montecarlo --seed: no value given; allowed: a whole number"),
    (
        ["montecarlo", "a.yaml", "b.yaml", "c d.yaml"],
        "error: tem montecarlo: 'b.yaml c d.yaml': more arguments than tem montecarlo takes; allowed: at most one FILE",
    ),
    (
        ["compare", "--method", "nope", BASE, BASE],
        "error: tem compare --method: 'nope' is not allowed; allowed: sequential, shapley or both",
    ),
    (["compare"], "error: tem compare: FILES missing; allowed: one or more paths"),
    (
        ["compare", "--png=yes", BASE],
        "error: tem compare --png: 'yes' is not allowed; allowed: no value (--png is a switch)",
    ),
    (
        ["run", "--bogus"],
        "error: tem run: '--bogus' is not an option of tem run; allowed: --set, --out, --json, --excel/--no-excel, "
        "--charts/--no-charts, --png/--no-png, --help",
    ),
    (
        ["run", "--outt", "x"],
        "error: tem run: '--outt' is not an option of tem run (did you mean '--out'?); allowed: --set, --out, --json, "
        "--excel/--no-excel, --charts/--no-charts, --png/--no-png, --help",
    ),
    (["run", "--out"], "error: tem run --out: no value given; allowed: a path"),
    (["run", "--json=1"], "error: tem run --json: '1' is not allowed; allowed: no value (--json is a switch)"),
    (["validate"], "error: tem validate: FILES missing; allowed: one or more paths"),
    (
        ["validate", "--strict", BASE],
        "error: tem validate: '--strict' is not an option of tem validate; allowed: --help",
    ),
    (["goalseek", "--target", "abc"], "error: tem goalseek --target: 'abc' is not allowed; allowed: a number"),
    (["goalseek", "--low", "1,5"], "error: tem goalseek --low: '1,5' is not allowed; allowed: a number"),
    (["goalseek", "--kpi"], "error: tem goalseek --kpi: no value given; allowed: text (KPI to reach)"),
    (
        ["sweep", "--x"],
        "error: tem sweep --x: no value given; allowed: text (Data table columns: PATH:LOW:HIGH:STEPS (<= 50 steps))",
    ),
    (
        ["sweep", "--quiet=no"],
        "error: tem sweep --quiet: 'no' is not allowed; allowed: no value (--quiet is a switch)",
    ),
    (
        ["decisions", "--set"],
        "error: tem decisions --set: no value given; allowed: text (Override PATH=VALUE (repeatable))",
    ),
    (
        ["decisions", BASE, BASE],
        f"error: tem decisions: '{BASE}': more arguments than tem decisions takes; allowed: at most one FILE",
    ),
    (
        ["init"],
        "error: tem init: NAME missing; allowed: text (Scenario name: letters, digits and underscores; "
        "the file is NAME.yaml)",
    ),
    (["init", "x", "--dir"], "error: tem init --dir: no value given; allowed: a path"),
    (["schema", "-o"], "error: tem schema -o: no value given; allowed: a path"),
    (
        ["schema", "--bogus"],
        "error: tem schema: '--bogus' is not an option of tem schema; allowed: --output/-o, --help",
    ),
    (
        ["version", "extra"],
        "error: tem version: 'extra': more arguments than tem version takes; allowed: no arguments",
    ),
    (
        ["rnu"],
        "error: tem: 'rnu' is not a command (did you mean 'run'?); allowed: compare, decisions, init, montecarlo, "
        "run, validate, schema, version, sweep, goalseek",
    ),
    (["--bogus"], "error: tem: '--bogus' is not an option of tem; allowed: --version, --help"),
    (["--version=3"], "error: tem --version: '3' is not allowed; allowed: no value (--version is a switch)"),
    # values of the right type that the spec's rules refuse (review: two lines, a field name, pydantic's words)
    *[
        (["montecarlo", "--n", n], f"error: tem montecarlo --n: {n} is not allowed; allowed: {N_ALLOWED}")
        for n in ("-5", "0", "22", "10000001")
    ],
    *[
        (["montecarlo", "--sobol", s], f"error: tem montecarlo --sobol: {s} is not allowed; allowed: {SOBOL_ALLOWED}")
        for s in ("-3", "4", "1000", "2097152")
    ],
    (
        ["montecarlo", "--seed", "-1"],
        "error: tem montecarlo --seed: -1 is not allowed; allowed: a whole number of at least 0",
    ),
    (
        ["montecarlo", "--n", "5", "--sobol", "1000"],
        f"error: tem montecarlo --n: 5 is not allowed; allowed: {N_ALLOWED}",
    ),
    # a search range outside what the input allows (was "cells...: -5 is below the allowed minimum 0", no option)
    (
        ["goalseek", "--low", "-5", "--high", "10"],
        "error: tem goalseek --low: -5.0 is not allowed; allowed: a value of Imported cell price (FOB) at least 0 USD/kWh",
    ),
    (
        ["goalseek", "--low", "200", "--high", "100"],
        "error: tem goalseek --high: 100.0 is not allowed; allowed: a number above --low (200): the search range",
    ),
    (
        ["goalseek", "--target", "nan"],
        "error: tem goalseek --target: 'nan' is not allowed; allowed: a finite value of NPV vs import-only",
    ),
    # a yearly input's first-year value rescales its path: the value of the axis, the rescaling and the year it
    # breaks (was "1.125 is outside [0, 1] (a fraction)", a value nobody typed)
    (
        ["sweep", "--x", "timeline.discount_rate:0.1:0.12:2", "--y", "demand.captive.markup:0.1:0.2:3"],
        "error: --y 'demand.captive.markup:0.1:0.2:3': 0.15 (15.0%) as the first-year value scales the whole path "
        "by 7.5: in FY28 it would be 112.5%, above 100.0%; allowed: a first-year value up to 13.3%",
    ),
    # what was typed, not what the float became (was "inf is not allowed")
    (
        ["goalseek", "--target", "1e400"],
        "error: tem goalseek --target: '1e400' is not allowed; allowed: a finite value of NPV vs import-only",
    ),
    # a year KPI outside the horizon: the option, the value and the years allowed (was "error: 'dva_share@FY50':
    # FY50 is outside the horizon", no option, nothing allowed)
    (
        ["goalseek", "--kpi", "dva_share@FY50"],
        "error: tem goalseek --kpi: 'dva_share@FY50' is not allowed; allowed: <line>@<year> with a year from FY26 to "
        "FY45 and a line from dva_share, ebitda_inr_cr, free_cash_flow_inr_cr, imported_cell_landed_inr_per_kwh, "
        "local_cell_full_minus_imported_inr_per_kwh, local_cell_variable_minus_imported_inr_per_kwh, local_cells_gwh",
    ),
    (
        ["goalseek", "--path", "timeline.discount_rate", "--low", "0.05", "--high", "1.5"],
        "error: tem goalseek --high: 1.5 is not allowed; allowed: a value of Discount rate (WACC) from 0 to 1 "
        "(a rate: 0.05 is 5%)",
    ),
]


@pytest.mark.parametrize(("args", "line"), CASES, ids=[" ".join(a) for a, _ in CASES])
def test_a_usage_error_is_one_line_exit_2_and_nothing_written(tmp_path: Path, args: list[str], line: str) -> None:
    (tmp_path / "assumptions").symlink_to(ROOT / "assumptions")
    proc = tem_cli(tmp_path, *args)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr == line + "\n"
    assert proc.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["assumptions"]  # nothing written


def test_help_and_no_arguments_are_unchanged() -> None:
    for args in (["--help"], *[[name, "--help"] for name in typer.main.get_command(app).commands]):  # type: ignore[attr-defined]
        res = CliRunner().invoke(app, args)
        assert res.exit_code == 0, (args, res.output)
        assert "Usage:" in res.stdout
        assert "Options" in res.stdout
    res = CliRunner().invoke(app, [])
    assert res.exit_code == 2
    assert "Usage:" in res.stdout
    assert "Commands" in res.stdout


def _bad_invocations() -> list[tuple[list[str], str]]:
    """For every command and option (read from the app, so a new one is covered): an unknown option; each option
    that takes a value given none; each switch given a value; each number or choice option given a word."""
    group = typer.main.get_command(app)
    cases: list[tuple[list[str], str]] = [(["--zzz"], "error: tem: '--zzz' is not an option of tem; allowed: ")]
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        cases.append(([name, "--zzz"], f"error: tem {name}: '--zzz' is not an option of tem {name}; allowed: "))
        for param in command.params:
            if param.param_type_name != "option":
                continue
            opt = param.opts[0]
            if param.is_flag:
                cases.append(([name, f"{opt}=x"], f"error: tem {name} {opt}: 'x' is not allowed; allowed: no value"))
                continue
            cases.append(([name, opt], f"error: tem {name} {opt}: no value given; allowed: "))
            annotation = param.type_descriptor.annotation
            if annotation in (int, float) or (isinstance(annotation, type) and issubclass(annotation, enum.Enum)):
                cases.append(([name, opt, "x!"], f"error: tem {name} {opt}: 'x!' is not allowed; allowed: "))
    return cases


def test_every_command_and_option_gives_one_line() -> None:
    cases = _bad_invocations()
    assert len(cases) > 60
    for args, start in cases:
        res = CliRunner().invoke(app, args)
        assert res.exit_code == 2, (args, res.output)
        assert res.stdout == "", args
        lines = res.stderr.splitlines()
        assert len(lines) == 1, (args, res.stderr)
        assert lines[0].startswith(start), (args, res.stderr)
        assert "╭" not in res.stderr


REPEATED = [
    (["run", "--out", "a", "--out", "b"], "error: tem run --out: given twice (--out a and --out b); give it once"),
    (["run", "--json", "--json"], "error: tem run --json: given twice (--json and --json); give it once"),
    (["run", "--no-png", "--png"], "error: tem run --png: given twice (--no-png and --png); give it once"),
    (["montecarlo", "--n", "10", "--n=20"], "error: tem montecarlo --n: given twice (--n 10 and --n=20); give it once"),
    (
        ["goalseek", "--target", "1", "--kpi", "irr", "--target", "2"],
        "error: tem goalseek --target: given twice (--target 1 and --target 2); give it once",
    ),
    (
        ["schema", "-o", "x.json", "--output", "y.json"],
        "error: tem schema --output: given twice (-o x.json and --output y.json); give it once",
    ),
]


@pytest.mark.parametrize(("args", "line"), REPEATED, ids=[" ".join(a) for a, _ in REPEATED])
def test_an_option_given_twice_is_refused(tmp_path: Path, args: list[str], line: str) -> None:
    """Click keeps the last of an option given twice (`--out a --out b` wrote to b): refused, as a key given twice in
    an assumption file is; options that repeat by design (--set) are not concerned."""
    proc = tem_cli(tmp_path, *args)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr == line + "\n"
    assert proc.stdout == ""
    assert list(tmp_path.iterdir()) == []


def test_a_monte_carlo_error_is_one_line_with_no_blank_line_before(tmp_path: Path) -> None:
    """The progress bar (transient) left an empty line on a piped stderr before the error line."""
    (tmp_path / "assumptions").symlink_to(ROOT / "assumptions")
    (tmp_path / "afile").write_text("")
    proc = tem_cli(tmp_path, "montecarlo", "--n", "30", "--out", "afile", "--no-excel")
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.splitlines() == [
        "error: cannot create the output folder afile/base/montecarlo: part of the path is a file, not a folder "
        "[Not a directory]"
    ]


def test_a_bad_n_in_the_spec_file_names_file_line_path_value_and_allowed(tmp_path: Path) -> None:
    """The same rule, broken in the spec file rather than by --n: located in the file (its line and key)."""
    (tmp_path / "assumptions").symlink_to(ROOT / "assumptions")
    text = (ROOT / "assumptions" / "montecarlo.yaml").read_text()
    line = next(i for i, t in enumerate(text.splitlines(), 1) if t.startswith("n: "))
    lines = text.splitlines()
    lines[line - 1] = "n: -5"
    (tmp_path / "mc.yaml").write_text("\n".join(lines) + "\n")
    proc = tem_cli(tmp_path, "montecarlo", "--spec", "mc.yaml")
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr == (  # one problem: one line (was "error: 1 problem in the assumptions:" and a bullet)
        f"error: mc.yaml:{line}: n: n = -5 is too few: at least 23 "
        "(correlated sampling needs more scenarios than inputs + 1 (22))\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["assumptions", "mc.yaml"]


GATE_SWEEP_FORM = (
    "PATH=START:STOP:COUNT with START below STOP, both finite, and COUNT from 2 to 101 (e.g. ...=40:70:7)"
)


@pytest.mark.parametrize(
    "grid",
    [
        "-inf:6400:3",  # was "error: give at least 2 finite thresholds" from the analysis, naming no option
        "50:50:3",  # was accepted: three equal rows, each starred as the best threshold
        "60:40:5",  # was accepted: START above STOP
        "40:60:1",
        "40:60:102",
        "a:b:c",
        "40:60",
    ],
)
def test_a_bad_gate_sweep_is_one_usage_line(tmp_path: Path, grid: str) -> None:
    (tmp_path / "assumptions").symlink_to(ROOT / "assumptions")
    sweep = f"capex.phases.cell_plant_1.gate.when.0.threshold={grid}"
    proc = tem_cli(tmp_path, "montecarlo", "--n", "100", "--gate-sweep", sweep)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr == f"error: tem montecarlo --gate-sweep: {grid!r} is not allowed; allowed: {GATE_SWEEP_FORM}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["assumptions"]


@pytest.mark.parametrize(
    ("x", "y", "message"),
    [
        (  # was accepted: a table from 60 down to 40
            "cells.imported.fob_price_usd_per_kwh:60:40:5",
            "timeline.discount_rate:0.1:0.12:3",
            "error: --x 'cells.imported.fob_price_usd_per_kwh:60:40:5': LOW must be below HIGH\n",
        ),
        (  # was accepted: the same input on both axes, a table whose cells off the diagonal mean nothing
            "cells.imported.fob_price_usd_per_kwh:40:60:5",
            "cells.imported.fob_price_usd_per_kwh:40:60:3",
            "error: --x and --y: both vary cells.imported.fob_price_usd_per_kwh; a data table needs two different "
            "inputs\n",
        ),
    ],
)
def test_a_data_table_needs_a_rising_range_of_two_inputs(tmp_path: Path, x: str, y: str, message: str) -> None:
    (tmp_path / "assumptions").symlink_to(ROOT / "assumptions")
    proc = tem_cli(tmp_path, "sweep", "--quiet", "--x", x, "--y", y)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr == message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["assumptions"]
