"""Board-output benchmark (run on demand: ``python benchmarks/bench_outputs.py``); writes
benchmarks/RESULTS_outputs.md.

(a) Excel workbook export of the base case (build + save to bytes), target <= 1 s;
(b) the whole ``tem run`` of the base case with workbook, HTML and PNG charts and the report, wall time of a
    fresh process (includes Python start-up and the browser start for PNGs), target <= 10 s.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))

import tem  # noqa: E402
from benchmarks.common import calibration, calibration_line  # noqa: E402
from tem.exports.charts.png import png_available  # noqa: E402
from tem.exports.workbook.build import render_workbook  # noqa: E402


def main() -> None:
    a = tem.load(ROOT / "assumptions" / "base.yaml")
    result = tem.run(a)
    render_workbook(result, a)  # warm-up
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        data = render_workbook(result, a)
        times.append(time.perf_counter() - t0)
    wb_time = statistics.median(times)
    png_ok, why = png_available()
    runs = []
    for _ in range(3):
        out = Path(tempfile.mkdtemp(prefix="tem-bench-"))
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "tem", "run", "--out", str(out)], cwd=ROOT, check=True, capture_output=True)
        runs.append(time.perf_counter() - t0)
        files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
        size_mb = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 1e6
        shutil.rmtree(out)
    lines = [
        "# Board-output benchmark",
        "",
        f"Run {dt.datetime.now().isoformat(timespec='seconds')} on {platform.node()}: {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, tem {tem.__version__}; PNG available: {png_ok} ({why or 'ok'}).",
        "",
        "| measure | result | target |",
        "|---|---|---|",
        f"| (a) Excel workbook of the base case, build and save ({len(data) / 1e3:,.0f} kB) | {wb_time:.2f} s | <= 1 s |",
        f"| (b) `tem run` of the base case, fresh process, all outputs ({len(files)} files, {size_mb:.1f} MB) | "
        f"{statistics.median(runs):.1f} s (runs: {', '.join(f'{r:.1f}' for r in runs)}) | <= 10 s |",
        "",
        "Files: " + ", ".join(files),
        "",
    ]
    lines += [calibration_line(calibration()), ""]  # how fast the machine was (benchmarks/common.py)
    (Path(__file__).parent / "RESULTS_outputs.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    from benchmarks.common import arguments

    arguments(__doc__).parse_args()
    main()
