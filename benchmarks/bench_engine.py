"""Engine benchmark (run on demand: ``python benchmarks/bench_engine.py``); writes benchmarks/RESULTS_engine.md.

(a) one base-case run in process (engine + counterfactual + KPIs), target <= 20 ms;
(c) a 100,000-scenario batch of the full model with KPIs (5 inputs varied), target <= 1 s and peak memory
    <= 2 GB, and its speed-up over a loop of single-scenario runs (target >= 100x).
Peak memory is the process's maximum resident set size (ru_maxrss), measured in a fresh subprocess.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))

import tem  # noqa: E402
from tem.model.engine import run_batch_inputs, run_inputs  # noqa: E402
from tem.model.inputs import build_inputs, with_values  # noqa: E402

N_BATCH = 100_000


def batch_values(n: int, seed: int = 1, profitable: bool = False) -> dict[str, np.ndarray]:
    """Five inputs varied; ``profitable`` also prices packs 15-35% above import parity (OEM, ESS) and the captive
    transfer price at cost plus 30-50%, so that most scenarios make profits after early losses and the year-by-year
    loss set-off runs (the slower tax path)."""
    rng = np.random.default_rng(seed)
    extra: dict[str, np.ndarray] = {}
    if profitable:
        for seg in ("external_oem", "ess"):
            extra[f"demand.{seg}.price_premium"] = rng.uniform(0.15, 0.35, n)
        extra["demand.captive.markup"] = np.repeat(rng.uniform(0.30, 0.50, n)[:, None], 20, axis=1)
    return extra | {
        "cells.imported.fob_price_usd_per_kwh": rng.uniform(40, 65, n),
        "timeline.inr_per_usd": rng.uniform(80, 100, n),
        "timeline.discount_rate": rng.uniform(0.10, 0.15, n),
        "capex.phases.cell_plant_1.capex_inr_cr": rng.uniform(2200, 3500, n),
        "cells.local.conversion_learning_rate": rng.uniform(0.05, 0.2, n),
    }


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def child_batch(profitable: bool) -> None:
    """Runs in a subprocess: time the 100k batch and report its peak RSS."""
    inp = build_inputs(tem.load(ROOT / "assumptions" / "base.yaml"))
    values = batch_values(N_BATCH, profitable=profitable)
    prices = {k: v for k, v in values.items() if k.startswith("demand.")}
    rest = {k: v for k, v in values.items() if not k.startswith("demand.")}
    run_batch_inputs(inp, {k: v[:1000] for k, v in rest.items()}, {k: v[:1000] for k, v in prices.items()})
    t = median_time(lambda: run_batch_inputs(inp, rest, prices), 3)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{t:.6f} {peak_mb:.1f}")


def main() -> None:
    a = tem.load(ROOT / "assumptions" / "base.yaml")
    single = median_time(lambda: tem.run(a), 30)
    inp = build_inputs(a)
    engine_only = median_time(lambda: run_inputs(inp), 30)
    values = batch_values(200)
    loop = (
        median_time(
            lambda: [run_inputs(with_values(inp, {k: v[i : i + 1] for k, v in values.items()})) for i in range(200)], 3
        )
        / 200
    )
    out = subprocess.run([sys.executable, __file__, "--child"], capture_output=True, text=True, check=True).stdout.split()
    batch_s, peak_mb = float(out[0]), float(out[1])
    out_p = subprocess.run(
        [sys.executable, __file__, "--child", "--profitable"], capture_output=True, text=True, check=True
    ).stdout.split()
    batch_p, peak_p = float(out_p[0]), float(out_p[1])
    per_scenario_batch = batch_s / N_BATCH
    lines = [
        "# Engine benchmark",
        "",
        f"Run {dt.datetime.now().isoformat(timespec='seconds')} on {platform.node()}: {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, numpy {np.__version__}, tem {tem.__version__}.",
        "",
        "| measure | result | target |",
        "|---|---|---|",
        f"| (a) one base-case run, `tem.run` (engine, counterfactual, KPIs) | {single * 1e3:.1f} ms | <= 20 ms |",
        f"| (a) engine only, `run_inputs` | {engine_only * 1e3:.1f} ms | |",
        f"| (c) 100,000-scenario batch with every KPI (chunks of 10,000, 2 threads) | {batch_s:.2f} s | <= 1 s |",
        f"| (c) peak memory of that process (max RSS) | {peak_mb:,.0f} MB | <= 2,048 MB |",
        f"| (c) the same with prices +15-35% (profits after losses: loss set-off runs) | {batch_p:.2f} s, "
        f"{peak_p:,.0f} MB | <= 1 s, <= 2,048 MB |",
        f"| (c) loop of single-scenario runs, per scenario | {loop * 1e3:.2f} ms | |",
        f"| (c) speed-up of the batch over the loop | {loop / per_scenario_batch:,.0f}x | >= 100x |",
        "",
    ]
    (Path(__file__).parent / "RESULTS_engine.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    if "--child" in sys.argv:
        child_batch("--profitable" in sys.argv)
    else:
        main()
