"""Run the notebooks without Jupyter: ``python notebooks/run_all.py`` (from anywhere).

Each notebook runs top to bottom in a fresh Python kernel (this interpreter, via ipykernel), in the notebooks
folder as its working directory, exactly as Jupyter would run it. The executed copies, with every table and
chart, are written to ``outputs/notebooks/<name>.ipynb`` (open them in JupyterLab, VS Code or any notebook
viewer); the notebooks in this folder are never changed, so they stay without outputs in git.

    python notebooks/run_all.py                   # all notebooks; prints the time each took
    python notebooks/run_all.py 02 03             # only those whose file name starts with 02 or 03
    python notebooks/run_all.py --no-save         # run only (a check, as the tests do)
    python notebooks/run_all.py --clear           # strip outputs and metadata from notebooks/*.ipynb (before a commit)

Exit code 1 when a notebook fails (the failing cell and its error are printed).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import nbformat
import zmq
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from traitlets import default

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = ROOT / "outputs" / "notebooks"
CELL_TIMEOUT = 300  # seconds per cell
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


class _ThisPython(KernelSpecManager):
    """Kernel "python3" is always this interpreter (where tem is installed), whatever kernels are registered."""

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        return KernelSpec(
            argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            display_name=KERNELSPEC["display_name"],
            language="python",
            metadata={"supported_encryption": ["curve"]},  # as ipykernel's own kernelspec declares
        )


class ThisPythonKernelManager(AsyncKernelManager):
    @default("kernel_spec_manager")
    def _this_python(self) -> KernelSpecManager:
        return _ThisPython(data_dir=self.data_dir)

    @default("transport_encryption")  # jupyter_client >= 8.10; ipykernel 7.4 warns about unencrypted TCP otherwise
    def _encrypted(self) -> str:
        return "auto" if zmq.has("curve") else "disabled"


def notebooks(prefixes: list[str] | None = None) -> list[Path]:
    """The notebooks in this folder, in order; only those whose name starts with one of ``prefixes`` if given."""
    found = sorted(HERE.glob("[0-9][0-9]_*.ipynb"))
    return [p for p in found if not prefixes or any(p.name.startswith(x) for x in prefixes)]


def execute(path: Path, timeout: int = CELL_TIMEOUT) -> tuple[Any, float]:
    """Run one notebook in a fresh kernel with ``cwd`` = its folder; returns (the executed notebook, seconds).

    Raises :class:`nbclient.exceptions.CellExecutionError` naming the failing cell when one fails.
    """
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        kernel_manager_class=ThisPythonKernelManager,
        resources={"metadata": {"path": str(path.parent)}},
    )
    started = time.perf_counter()
    client.execute()
    return nb, time.perf_counter() - started


def clear(path: Path) -> bool:
    """Strip outputs, execution counts and metadata (the kernelspec stays); True when the file changed."""
    before = path.read_text(encoding="utf-8")
    nb = nbformat.reads(before, as_version=4)
    nb.metadata = nbformat.NotebookNode({"kernelspec": dict(KERNELSPEC)})
    for cell in nb.cells:
        cell.metadata = nbformat.NotebookNode()
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    after = nbformat.writes(nb) + "\n"
    if after != before:
        path.write_text(after, encoding="utf-8")
    return after != before


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("prefixes", nargs="*", help="run only notebooks whose file name starts with these (e.g. 02)")
    parser.add_argument("--no-save", action="store_true", help="do not write the executed copies")
    parser.add_argument("--clear", action="store_true", help="strip outputs from the notebooks here, run nothing")
    parser.add_argument("--timeout", type=int, default=CELL_TIMEOUT, help="seconds allowed per cell")
    args = parser.parse_args(argv)
    paths = notebooks(args.prefixes)
    if not paths:
        print(f"no notebook matches {args.prefixes}", file=sys.stderr)
        return 2
    if args.clear:
        for path in paths:
            print(f"{'cleared' if clear(path) else 'clean  '} {path.name}")
        return 0
    failed = 0
    total = 0.0
    for path in paths:
        try:
            nb, seconds = execute(path, args.timeout)
        except CellExecutionError as exc:
            failed += 1
            print(f"FAILED  {path.name}\n{exc}", file=sys.stderr)
            continue
        total += seconds
        where = ""
        if not args.no_save:
            OUT.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, OUT / path.name)
            where = f" -> {(OUT / path.name).relative_to(ROOT)}"
        print(f"ok {seconds:6.1f} s  {path.name}{where}", flush=True)
    print(f"{len(paths) - failed} of {len(paths)} notebooks ran in {total:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
