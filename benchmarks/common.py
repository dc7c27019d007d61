"""What every benchmark shares: the machine calibration, medians with ranges, the header of a results file, and
wall-clock timing of command lines (hyperfine when installed).

Honest figures (issue 15, target 8): every measure is the median of several runs with the range beside it (never
the best of N); speed-ups compare equal thread counts; every results file carries the calibration, the same fixed
work timed at the same moment, so figures from a busy hour and a quiet one can be compared through it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).parents[1]


def timings(fn: Callable[[], object], repeats: int) -> list[float]:
    """Seconds of each of ``repeats`` calls (after the caller's warm-up)."""
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def spread(times: Sequence[float], unit: str = "s", scale: float = 1.0, digits: int = 2) -> str:
    """'median (min-max, n runs)', e.g. '0.42 s (0.40-0.51, 5 runs)'."""
    xs = [t * scale for t in times]
    med = statistics.median(xs)
    return f"{med:.{digits}f} {unit} ({min(xs):.{digits}f}-{max(xs):.{digits}f}, {len(xs)} runs)"


def calibration() -> list[float]:
    """Milliseconds for a Python loop of ``numpy_financial.irr`` over 1,000 fixed rows, 5 times: how fast the
    machine is right now (the same work every time, none of it tem's, one thread)."""
    import numpy_financial as npf

    rng = np.random.default_rng(1)
    cf = np.where(np.arange(20) < 2, -100.0, 20.0) + rng.random((1000, 20))
    return [1e3 * t for t in timings(lambda: [npf.irr(row) for row in cf], 5)]


def calibration_line(calibration_ms: Sequence[float]) -> str:
    return (
        f"**Calibration** (a Python loop of `numpy_financial.irr` over 1,000 fixed rows, one thread): "
        f"{spread(calibration_ms, 'ms', digits=0)}. The quiet machine does it in about 55 ms; figures scale "
        "roughly with it, so compare runs at similar calibration, and ratios within one run."
    )


def header(title: str, calibration_ms: Sequence[float], note: str = "") -> list[str]:
    """The first lines of a results file: when, where, versions, load, and the calibration."""
    import tem

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [
        f"# {title}",
        "",
        f"Run {dt.datetime.now().isoformat(timespec='seconds')} on {platform.node()}: {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, numpy {np.__version__}, tem {tem.__version__}; load average "
        f"{load:.1f} at the start.",
        "",
        calibration_line(calibration_ms),
        "",
    ]
    if note:
        lines += [note, ""]
    return lines


def command_times(
    args: Sequence[str],
    runs: int,
    cwd: Path = ROOT,
    prepare: str | None = None,
    tree: Path = ROOT,
    warmup: int = 1,
) -> dict[str, object]:
    """Wall-clock seconds of a command line, ``runs`` times after ``warmup`` warm-up runs (hyperfine when
    installed, else a loop of subprocesses), and the process's mean CPU time (user + system) over the runs.
    ``tree``: the source tree on PYTHONPATH (another checkout, to compare before and after in the same run; run it
    with ``cwd`` in that tree too, since ``python -m`` puts the working folder first on the path)."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    if shutil.which("hyperfine"):
        with tempfile.TemporaryDirectory() as tmp:
            report = Path(tmp) / "h.json"
            cmd = " ".join(_quote(a) for a in args)
            extra = ["--prepare", prepare] if prepare else []
            subprocess.run(
                ["hyperfine", "-N", "-w", str(warmup), "-r", str(runs), *extra, "--export-json", str(report), cmd],
                cwd=cwd,
                env=env,
                check=True,
                capture_output=True,
            )
            res = json.loads(report.read_text())["results"][0]
            cpu = float(res.get("user", float("nan"))) + float(res.get("system", float("nan")))  # means over the runs
            return {"times": list(res["times"]), "cpu": cpu, "tool": "hyperfine"}
    times, cpu = [], []
    for i in range(runs + warmup):
        if prepare:
            subprocess.run(prepare, shell=True, check=True, cwd=cwd)
        before = os.times()
        t0 = time.perf_counter()
        subprocess.run(list(args), cwd=cwd, env=env, check=True, capture_output=True)
        wall = time.perf_counter() - t0
        after = os.times()
        if i >= warmup:
            times.append(wall)
            cpu.append((after.children_user - before.children_user) + (after.children_system - before.children_system))
    return {"times": times, "cpu": statistics.mean(cpu), "tool": "subprocess loop"}


def _quote(arg: str) -> str:
    return arg if arg and all(c.isalnum() or c in "-_./=:," for c in arg) else "'" + arg.replace("'", "'\\''") + "'"


PYTHON = sys.executable


def arguments(doc: str | None, *options: tuple[tuple[str, ...], dict[str, object]]) -> argparse.ArgumentParser:
    """The command line of a benchmark script: its docstring as ``--help`` (which runs nothing and writes nothing),
    ``options`` as ``(flags, add_argument keywords)``; an unknown option is an error (exit 2), not ignored."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    for flags, kwargs in options:
        parser.add_argument(*flags, **kwargs)  # type: ignore[arg-type]
    return parser


CHILD = (("--child",), {"help": argparse.SUPPRESS})  # internal: the measure a fresh subprocess runs
