"""CPU time of the run workbook, this tree against another (default /work/main), runs interleaved.

``python benchmarks/wb_cpu.py [--runs 5]`` measures, alternating between the two trees in fresh processes
(``PYTHONPATH`` and the working folder set to the tree):

* the workbook's build and save of the base case (:func:`tem.exports.workbook.build.render_workbook` with the run's
  manifest and board summary, as ``tem run`` calls it; CPU seconds of the process, the best of two calls after a
  warm-up);
* ``tem run assumptions/base.yaml --no-png --out <tmp>``: CPU seconds of the whole process tree (user + system,
  the forked children included) and its wall time.

It prints each run and the medians, with the median of the per-run ratios (this tree / the other). CPU time, not
wall time, because the machine is shared; interleaving spreads a busy moment over both trees.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).parents[1]
BASE = ROOT / "assumptions" / "base.yaml"
_RENDER = """
import sys, time
from pathlib import Path
import tem
from tem.analysis.summary import board_summary
from tem.exports.manifest import build_manifest
from tem.exports.workbook.build import render_workbook
a = tem.load(Path(sys.argv[1])); r = tem.run(a); m = build_manifest(a, r); s = board_summary(a, r)
render_workbook(r, a, m, s)
times = []
for _ in range(2):
    t0 = time.process_time(); render_workbook(r, a, m, s); times.append(time.process_time() - t0)
print(min(times))
"""


def _env(tree: Path) -> dict[str, str]:
    return os.environ | {"PYTHONPATH": str(tree)}


def workbook_cpu(tree: Path) -> float:
    """CPU seconds of one render of the base case's workbook in ``tree`` (a fresh process)."""
    out = subprocess.run(
        [sys.executable, "-c", _RENDER, str(BASE)], cwd=tree, env=_env(tree), capture_output=True, text=True, check=True
    )
    return float(out.stdout.split()[-1])


def run_cpu(tree: Path) -> tuple[float, float]:
    """(CPU seconds of the process tree, wall seconds) of ``tem run --no-png`` of the base case in ``tree``."""
    with tempfile.TemporaryDirectory(prefix="wb-cpu-") as out:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        cmd = [sys.executable, "-m", "tem", "run", str(BASE), "--no-png", "--out", out]
        subprocess.run(cmd, cwd=tree, env=_env(tree), capture_output=True, check=True)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, wall


def _report(name: str, results: dict[str, list[float]]) -> None:
    base, this = results["base"], results["this"]
    ratios = [b / a for a, b in zip(base, this, strict=True)]
    print(
        f"{name}: median base {statistics.median(base):.3f} s, this {statistics.median(this):.3f} s; "
        f"ratios {', '.join(f'{x:.2f}' for x in ratios)}; median ratio {statistics.median(ratios):.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", type=Path, default=Path("/work/main"), help="the reference tree (default /work/main)")
    parser.add_argument("--runs", type=int, default=5, help="interleaved runs per tree (default 5)")
    args = parser.parse_args()
    trees = {"base": args.base.resolve(), "this": ROOT}
    wb: dict[str, list[float]] = {k: [] for k in trees}
    cpu: dict[str, list[float]] = {k: [] for k in trees}
    wall: dict[str, list[float]] = {k: [] for k in trees}
    for i in range(args.runs):
        for name, tree in trees.items():
            wb[name].append(workbook_cpu(tree))
            c, w = run_cpu(tree)
            cpu[name].append(c)
            wall[name].append(w)
        print(f"run {i + 1}: " + "; ".join(f"{k} workbook {wb[k][-1]:.3f} s, tem run cpu {cpu[k][-1]:.2f} s" for k in trees))
    _report("workbook build + save, CPU", wb)
    _report("tem run --no-png, CPU of the process tree", cpu)
    _report("tem run --no-png, wall", wall)


if __name__ == "__main__":
    main()
