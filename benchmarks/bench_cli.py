"""What a user waits for at the command line (run on demand: ``python benchmarks/bench_cli.py [--runs N]``);
writes benchmarks/RESULTS_cli.md. Issue 15, targets 1-3:

1. ``tem --help``, ``tem --version``, ``tem validate FILE``: <= 0.35 s wall;
2. ``tem run`` of the base case with every output: <= 3 s; with ``--no-png``: <= 1.2 s;
3. ``tem montecarlo --n 100000`` with every output: <= 4 s.

Each command is a fresh process (``python -m tem`` with this interpreter, no shell or pyenv shim in front), timed
by hyperfine when installed (else a loop of subprocesses): median and range of wall time over the runs after a
warm-up, and the mean CPU time (user + system) of the process, which load on a shared machine inflates less.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))

from benchmarks.common import PYTHON, calibration, command_times, header, spread


def main(runs: int) -> None:
    cal = calibration()
    out = Path(tempfile.mkdtemp(prefix="tem-bench-cli-"))
    clean = f"rm -rf {out}/*"
    tem = [PYTHON, "-m", "tem"]
    measures = [
        ("`tem --help`", [*tem, "--help"], 0.35, None),
        ("`tem --version`", [*tem, "--version"], 0.35, None),
        ("`tem validate assumptions/base.yaml`", [*tem, "validate", "assumptions/base.yaml"], 0.35, None),
        (
            "`tem run` (base, every output: workbook, CSVs, HTML and PNG charts, report)",
            [*tem, "run", "--out", str(out)],
            3.0,
            clean,
        ),
        ("`tem run --no-png`", [*tem, "run", "--no-png", "--out", str(out)], 1.2, clean),
        (
            "`tem montecarlo --n 100000` (every output: workbook, Parquet, CSVs, charts, 6 PNGs)",
            [*tem, "montecarlo", "--n", "100000", "--quiet", "--out", str(out)],
            4.0,
            clean,
        ),
        (
            "`tem montecarlo --n 100000 --samples-csv` (also every scenario as CSV)",
            [*tem, "montecarlo", "--n", "100000", "--quiet", "--samples-csv", "--out", str(out)],
            None,
            clean,
        ),
    ]
    rows = []
    tool = ""
    for label, args, target, prepare in measures:
        res = command_times(args, runs, prepare=prepare)
        tool = str(res["tool"])
        times = list(res["times"])  # type: ignore[call-overload]
        med = statistics.median(times)
        verdict = "" if target is None else f"<= {target:g} s ({'met' if med <= target else '**not met**'})"
        rows.append(f"| {label} | {spread(times)} | {float(res['cpu']):.2f} s | {verdict} |")  # type: ignore[arg-type]
        print(rows[-1], flush=True)
    shutil.rmtree(out, ignore_errors=True)
    lines = header(
        "Command-line benchmark",
        cal,
        f"Each command in a fresh process (`{Path(PYTHON).name} -m tem ...`), timed by {tool}: wall-clock median "
        f"(range, runs) after a warm-up, and the process's mean CPU time (user + system).",
    )
    lines += ["| command | wall time | CPU time | target |", "|---|---|---|---|", *rows, ""]
    (Path(__file__).parent / "RESULTS_cli.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    n = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 5
    main(n)
