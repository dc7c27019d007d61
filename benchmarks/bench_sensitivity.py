"""Sensitivity benchmark (run on demand: ``python benchmarks/bench_sensitivity.py``); writes
benchmarks/RESULTS_sensitivity.md. Targets (issue 4): tornado of 30 inputs <= 50 ms; 50 x 50 data table <= 0.5 s."""

from __future__ import annotations

import datetime as dt
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))

import tem  # noqa: E402
from benchmarks.common import calibration, calibration_line  # noqa: E402
from tem.analysis.sensitivity.goalseek import goal_seek  # noqa: E402
from tem.analysis.sensitivity.spec import SweepParameter, SweepSpec  # noqa: E402
from tem.analysis.sensitivity.sweeps import axis, data_table, tornado  # noqa: E402
from tem.analysis.specio import load_spec  # noqa: E402


def median_time(fn, repeats: int = 7) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    a = tem.load(ROOT / "assumptions" / "base.yaml")
    spec = load_spec(ROOT / "assumptions" / "sweeps" / "tornado.yaml", SweepSpec)
    extra = [
        SweepParameter(path=p, low="-10%", high="+10%")
        for p in (
            "cells.imported.logistics_inr_per_kwh",
            "pack.assembly_inr_per_kwh",
            "opex.sga_revenue_share",
            "opex.warranty_revenue_share",
        )
    ]
    spec30 = SweepSpec(parameters=[*spec.parameters, *extra], kpis=spec.kpis)
    assert len(spec30.parameters) == 30
    t_tornado = median_time(lambda: tornado(a, spec30))
    x = axis("cells.imported.fob_price_usd_per_kwh", low=40, high=65, steps=50)
    y = axis("timeline.discount_rate", low=0.10, high=0.15, steps=50)
    t_table = median_time(lambda: data_table(a, x, y, "npv_inr_cr"), 5)
    t_seek = median_time(
        lambda: goal_seek(a, "cells.imported.fob_price_usd_per_kwh", "incremental_npv_vs_import_inr_cr", 0.0, 30, 120), 5
    )
    lines = [
        "# Sensitivity benchmark",
        "",
        f"Run {dt.datetime.now().isoformat(timespec='seconds')} on {platform.node()}: {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, tem {tem.__version__}.",
        "",
        "| measure | result | target |",
        "|---|---|---|",
        f"| tornado of 30 inputs, 5 KPIs (61 scenarios, one batch) | {t_tornado * 1e3:.1f} ms | <= 50 ms |",
        f"| 50 x 50 data table of NPV (2,500 scenarios) | {t_table * 1e3:.0f} ms | <= 500 ms |",
        f"| goal seek: breakeven imported cell price (grid + Brent) | {t_seek * 1e3:.0f} ms | |",
        "",
    ]
    lines += [calibration_line(calibration()), ""]  # how fast the machine was (benchmarks/common.py)
    (Path(__file__).parent / "RESULTS_sensitivity.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    from benchmarks.common import arguments

    arguments(__doc__).parse_args()
    main()
