"""The notebooks in notebooks/: stored without outputs, and each runs top to bottom without an error or a warning.

Each notebook runs in a fresh ipykernel kernel on this interpreter (``notebooks/run_all.py`` picks it, whatever
kernels are registered), with the notebooks folder as working directory, as Jupyter runs it. The workbook that
01_base_case exports goes to a temporary folder (``TEM_NOTEBOOK_OUTPUTS``), not to outputs/; the kernel's
runtime files and IPython profile too.
"""

from __future__ import annotations

import importlib.util
import json
import time
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).parents[1]
NOTEBOOKS = ROOT / "notebooks"
SECONDS_PER_NOTEBOOK = 60  # each takes 2-5 s here, kernel start included
CELL_TIMEOUT = 120


def _runner() -> ModuleType:
    spec = importlib.util.spec_from_file_location("notebooks_run_all", NOTEBOOKS / "run_all.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


run_all = _runner()
PATHS = run_all.notebooks()


def test_the_four_notebooks_are_there() -> None:
    assert [p.name for p in PATHS] == [
        "01_base_case.ipynb",
        "02_localization_timing.ipynb",
        "03_sensitivity_and_risk.ipynb",
        "04_scenario_comparison.ipynb",
    ]


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_stored_without_outputs(path: Path) -> None:
    """git holds the notebooks bare: `python notebooks/run_all.py --clear` strips them after a Jupyter session."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert nb["metadata"] == {"kernelspec": run_all.KERNELSPEC}
    for cell in nb["cells"]:
        assert cell["metadata"] == {}, cell["id"]
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [], cell["id"]
            assert cell["execution_count"] is None, cell["id"]
    assert nb["cells"][0]["cell_type"] == "markdown"
    assert "Conventions" in "".join(nb["cells"][0]["source"])


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_notebook_runs(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The kernel inherits the environment: the workbook, the kernel's connection file and IPython's profile go to
    # temporary folders (nothing written to outputs/ or the home folder; no personal IPython startup files run).
    monkeypatch.setenv("TEM_NOTEBOOK_OUTPUTS", str(tmp_path))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "jupyter_runtime"))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    started = time.perf_counter()
    nb, seconds = run_all.execute(path, timeout=CELL_TIMEOUT)  # raises CellExecutionError naming the failing cell
    print(f"{path.name}: {seconds:.1f} s ({time.perf_counter() - started:.1f} s with reading)")
    assert seconds < SECONDS_PER_NOTEBOOK, f"{path.name} took {seconds:.1f} s"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code)
    outputs = [o for c in code for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    stderr = [o.text for o in outputs if o.output_type == "stream" and o.name == "stderr"]
    assert not stderr, f"{path.name} wrote to stderr (a warning?):\n" + "\n".join(stderr)
    if path.name.startswith("01_"):
        assert (tmp_path / "base" / "base.xlsx").stat().st_size > 10_000
    figures = [o for o in outputs if "application/vnd.plotly.v1+json" in o.get("data", {})]
    assert figures, f"{path.name} shows no chart"
