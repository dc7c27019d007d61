"""Commands that answer at once do not load what they do not use (issue 15, target 1).

Module presence, not time: each case runs in a fresh interpreter and lists ``sys.modules`` when it exits.
``tem --help``, ``tem --version`` and ``tem validate`` need neither pandas, scipy, plotly, openpyxl, kaleido
nor SALib, and ``tem validate`` no numpy (pydantic comes with the assumption reader); ``import tem`` needs none
of them either.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
HEAVY = ("pandas", "scipy", "plotly", "openpyxl", "kaleido", "SALib", "pyarrow", "dask", "distributed")

# runs the code given in argv[1], then prints the top-level names of every loaded module as JSON on stderr at exit
PROBE = """
import atexit, json, sys
atexit.register(lambda: sys.stderr.write("\\nMODULES " + json.dumps(sorted({m.split(".")[0] for m in sys.modules})) + "\\n"))
exec(sys.argv[1])
"""

CLI = "import sys; sys.argv = ['tem', *{args!r}]; from tem.cli import main; main()"


def loaded_modules(code: str) -> set[str]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, code], cwd=ROOT, capture_output=True, text=True, check=False, timeout=120
    )
    line = [ln for ln in proc.stderr.splitlines() if ln.startswith("MODULES ")]
    assert line, proc.stderr
    return set(json.loads(line[-1].removeprefix("MODULES ")))


@pytest.mark.parametrize(
    "code",
    [
        "import tem",
        "import tem.cli",
        CLI.format(args=["--help"]),
        CLI.format(args=["--version"]),
        CLI.format(args=["version"]),
        CLI.format(args=["validate", "assumptions/base.yaml"]),
        CLI.format(args=["montecarlo", "--help"]),
        CLI.format(args=["run", "--help"]),
    ],
    ids=["import tem", "import tem.cli", "--help", "--version", "version", "validate", "montecarlo --help", "run --help"],
)
def test_quick_commands_do_not_import_heavy_modules(code: str) -> None:
    modules = loaded_modules(code)
    assert "tem" in modules
    assert not modules & set(HEAVY), sorted(modules & set(HEAVY))


def test_import_tem_without_numpy_or_pydantic_until_used() -> None:
    """``import tem`` is only the package: the API's names load on first use."""
    assert not loaded_modules("import tem") & {"numpy", "pydantic", "yaml", "typer"}
    assert "pandas" in loaded_modules("import tem; tem.run_batch")
    assert "pandas" not in loaded_modules("import tem; tem.Assumptions; tem.TemError")


def test_validate_without_numpy() -> None:
    """Validating the base and every scenario file checks each yearly path's bound without numpy (the paths'
    values are exact input numbers or clearly inside their bounds; tests/assumptions/test_yearly.py)."""
    scenarios = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "assumptions/scenarios").glob("*.yaml"))
    files = ["assumptions/base.yaml", *scenarios]
    assert "numpy" not in loaded_modules(CLI.format(args=["validate", *files]))


def test_the_probe_sees_heavy_modules_when_they_are_used() -> None:
    """The probe can fail: a command that runs the model does load pandas."""
    assert "pandas" in loaded_modules(CLI.format(args=["run", "--no-excel", "--no-charts", "--out", "/nonexistent/x/y"]))


def test_a_run_without_workbook_or_charts_loads_neither_openpyxl_nor_plotly(tmp_path: Path) -> None:
    """``tem run --no-excel --no-charts`` writes CSV, JSON and YAML files: no spreadsheet or chart library (the CSV
    writer's text guard used to import openpyxl for its type hints)."""
    modules = loaded_modules(CLI.format(args=["run", "--no-excel", "--no-charts", "--out", str(tmp_path)]))
    assert "pandas" in modules
    assert (tmp_path / "base" / "statement.csv").is_file()
    assert not modules & {"openpyxl", "plotly", "kaleido"}, sorted(modules & {"openpyxl", "plotly", "kaleido"})
