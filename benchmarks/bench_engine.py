"""Engine benchmark (run on demand: ``python benchmarks/bench_engine.py``); writes benchmarks/RESULTS_engine.md.

(a) one base-case run in process (engine + counterfactual + KPIs), target <= 20 ms;
(c) a 100,000-scenario batch of the full model with KPIs, target <= 1 s and peak memory <= 2 GB, and its
    speed-up over a loop of single-scenario runs (target >= 100x). The batch varies what the Monte Carlo spec
    varies (assumptions/montecarlo.yaml: its 20 inputs, volumes included, drawn by its Latin hypercube); the
    speed-up compares equal thread counts (the batch on one thread against the one-thread loop; the two-thread
    batch is its own line); figures are medians with ranges, never the best of N; the calibration is recorded.
Peak memory is the process's maximum resident set size (ru_maxrss), measured in a fresh subprocess.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))

import tem  # noqa: E402
from benchmarks.common import calibration, header, spread, timings  # noqa: E402
from tem.analysis.montecarlo.resolve import batch_arrays, resolve_spec  # noqa: E402
from tem.analysis.montecarlo.run import draw  # noqa: E402
from tem.analysis.montecarlo.spec import load_montecarlo_spec  # noqa: E402
from tem.model.batch_inputs import with_values  # noqa: E402
from tem.model.batch_runtime import single_threaded_blas  # noqa: E402
from tem.model.engine import run_batch_inputs, run_inputs  # noqa: E402
from tem.model.inputs import build_inputs  # noqa: E402

N_BATCH = 100_000


def spec_batch(
    inp, n: int, seed: int = 1, profitable: bool = False
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """``values`` and ``scales`` of ``n`` scenarios as the Monte Carlo spec draws them (every input it varies).

    ``profitable`` prices packs 15-35% above import parity (OEM, ESS) and the captive transfer price at cost plus
    30-50% instead of the spec's draws of those premiums, so that most scenarios make profits after early losses
    and the year-by-year loss set-off runs (the slower tax path)."""
    a = tem.load(ROOT / "assumptions" / "base.yaml")
    spec = load_montecarlo_spec(ROOT / "assumptions" / "montecarlo.yaml")
    resolved = resolve_spec(spec.model_copy(update={"n": n}), a, inp)
    with single_threaded_blas():
        d = draw(resolved, n, seed, spec.sampling)
    values, scales = batch_arrays(inp, resolved, d.values)
    if profitable:
        rng = np.random.default_rng(seed)
        extra = {f"demand.{seg}.price_premium": rng.uniform(0.15, 0.35, n) for seg in ("external_oem", "ess")}
        extra["demand.captive.markup"] = np.repeat(rng.uniform(0.30, 0.50, n)[:, None], inp.structure.n_years, axis=1)
        values = {k: v for k, v in values.items() if k not in extra} | extra
        scales = {k: v for k, v in scales.items() if k not in extra}
    return values, scales


def rows(mapping: dict[str, np.ndarray], i: int, j: int) -> dict[str, np.ndarray]:
    return {k: v[i:j] for k, v in mapping.items()}


def child_batch(workers: int, profitable: bool = False) -> None:
    """Runs in a subprocess: time the 100k batch on ``workers`` threads and report its peak RSS (JSON)."""
    inp = build_inputs(tem.load(ROOT / "assumptions" / "base.yaml"))
    values, scales = spec_batch(inp, N_BATCH, profitable=profitable)
    run_batch_inputs(inp, rows(values, 0, 1000), rows(scales, 0, 1000), workers=workers)  # warm-up
    times = timings(lambda: run_batch_inputs(inp, values, scales, workers=workers), 5)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"times": times, "peak_mb": peak_mb, "inputs": len(values) + len(scales)}))


def run_child(workers: int, profitable: bool = False) -> dict:
    flag = ["--profitable"] if profitable else []
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(workers), *flag], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    cal = calibration()
    a = tem.load(ROOT / "assumptions" / "base.yaml")
    tem.run(a)
    single = timings(lambda: tem.run(a), 30)
    inp = build_inputs(a)
    engine_only = timings(lambda: run_inputs(inp), 30)
    values, scales = spec_batch(inp, 200, seed=2)
    with single_threaded_blas():  # the loop on one thread, as the one-thread batch
        loop = [
            t / 200
            for t in timings(
                lambda: [run_inputs(with_values(inp, rows(values, i, i + 1), rows(scales, i, i + 1))) for i in range(200)],
                3,
            )
        ]
    one = run_child(1)
    two = run_child(2)
    rich = run_child(2, profitable=True)
    per_one = statistics.median(one["times"]) / N_BATCH
    per_loop = statistics.median(loop)
    lines = header(
        "Engine benchmark",
        cal,
        f"The batch varies the {one['inputs']} inputs of `assumptions/montecarlo.yaml` (volumes, prices, costs, FX, "
        "rates; Latin hypercube with its rank correlations). Medians (ranges) of 5 runs after a warm-up; the "
        "loop and the one-thread batch each use one thread.",
    )
    lines += [
        "| measure | result | target |",
        "|---|---|---|",
        f"| (a) one base-case run, `tem.run` (engine, counterfactual, KPIs) | {spread(single, 'ms', 1e3, 1)} | <= 20 ms |",
        f"| (a) engine only, `run_inputs` | {spread(engine_only, 'ms', 1e3, 1)} | |",
        f"| (c) 100,000-scenario batch with every KPI, 2 threads (chunks of 10,000) | {spread(two['times'])} | <= 1 s |",
        f"| (c) peak memory of that process (max RSS) | {two['peak_mb']:,.0f} MB | <= 2,048 MB |",
        f"| (c) the same batch on 1 thread | {spread(one['times'])}, {one['peak_mb']:,.0f} MB | |",
        f"| (c) the same with pack prices +15-35% and captive cost plus 30-50% (profits after losses: loss set-off "
        f"runs), 2 threads | {spread(rich['times'])}, {rich['peak_mb']:,.0f} MB | <= 1 s, <= 2,048 MB |",
        f"| (c) loop of single-scenario runs (1 thread), per scenario | {spread(loop, 'ms', 1e3, 2)} | |",
        f"| (c) speed-up of the batch over the loop, both on 1 thread (medians) | {per_loop / per_one:,.0f}x | >= 100x |",
        f"| (c) 2 threads against 1 (medians) | {statistics.median(one['times']) / statistics.median(two['times']):.2f}x "
        "| |",
        "",
    ]
    (Path(__file__).parent / "RESULTS_engine.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    from benchmarks.common import CHILD, arguments

    args = arguments(__doc__, CHILD, (("--profitable",), {"action": "store_true", "help": argparse.SUPPRESS})).parse_args()
    if args.child is not None:
        child_batch(int(args.child), args.profitable)
    else:
        main()
