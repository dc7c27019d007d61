"""IRR benchmark (run on demand: ``python benchmarks/bench_finance.py``); writes benchmarks/RESULTS_finance.md.

(a) 10,000 random 20-year cash flows, each with exactly one sign change (a block of 1-4 years of outflows, then
    inflows), so each has exactly one IRR. ``tem.finance.irr`` on the whole (10000, 20) array is timed against
    a Python loop of ``numpy_financial.irr`` over the rows (the reference: ``np.roots`` per row).
(b) The model's own flows: the free cash flow of 100,000 Monte Carlo scenarios of the base case
    (assumptions/montecarlo.yaml, its seed), about 4% of them with several sign changes; ``irr`` is timed as the
    engine calls it (chunks of 10,000 scenarios, BLAS on one thread, freed memory kept).

Targets: speed-up >= 200x; max |difference| of the roots <= 1e-9 where both give a rate; the same NaN rows.
Times are medians of several repeats of ``time.perf_counter``; the results file is overwritten on each run.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy_financial as npf

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))

import tem  # noqa: E402
from benchmarks.common import calibration, calibration_line  # noqa: E402
from tem.finance import IRR_STATUS, irr, sign_changes  # noqa: E402
from tem.model.batch_runtime import batch_runtime  # noqa: E402

N_MODEL = 100_000
CHUNK = 10_000
REPEATS_MODEL = 7
N_ROWS = 10_000
N_YEARS = 20
REPEATS_TEM = 15
REPEATS_NPF = 3
TARGET_SPEEDUP = 200.0
TARGET_MAX_DIFF = 1e-9


def cash_flows(n_rows: int = N_ROWS, n_years: int = N_YEARS, seed: int = 12345) -> np.ndarray:
    """Outflows of 50-150 in each of the first 1-4 years, then inflows of 5-60 a year: one sign change."""
    rng = np.random.default_rng(seed)
    n_neg = rng.integers(1, 5, n_rows)
    negative = np.arange(n_years)[None, :] < n_neg[:, None]
    return np.where(negative, -rng.uniform(50.0, 150.0, (n_rows, n_years)), rng.uniform(5.0, 60.0, (n_rows, n_years)))


def median_time(fn: Callable[[], object], repeats: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def model_flows(n: int = N_MODEL) -> np.ndarray:
    """Free cash flow (n, T) of ``n`` Monte Carlo scenarios of the base case, evaluated by the engine."""
    from tem.analysis.montecarlo.resolve import batch_arrays, resolve_spec
    from tem.analysis.montecarlo.run import draw
    from tem.analysis.montecarlo.spec import load_montecarlo_spec
    from tem.model.engine import evaluate
    from tem.model.inputs import build_inputs, rows_of, with_values

    a = tem.load(ROOT / "assumptions" / "base.yaml")
    spec = load_montecarlo_spec(ROOT / "assumptions" / "montecarlo.yaml")
    inp = build_inputs(a)
    resolved = resolve_spec(spec, a, inp)
    values, scales = batch_arrays(inp, resolved, draw(resolved, n, spec.seed, spec.sampling).values)
    parts = []
    for start in range(0, n, CHUNK):
        chunk = with_values(inp, rows_of(values, start, start + CHUNK), rows_of(scales, start, start + CHUNK))
        parts.append(evaluate(chunk, detail=False).cash.free_cash_flow)
    return np.concatenate(parts)


def irr_in_chunks(cf: np.ndarray) -> np.ndarray:
    return np.concatenate([irr(cf[start : start + CHUNK]).status for start in range(0, cf.shape[0], CHUNK)])


def npf_loop(cf: np.ndarray) -> np.ndarray:
    return np.array([npf.irr(row) for row in cf])


def main() -> None:
    cf = cash_flows()
    assert (np.sum(np.diff(np.sign(cf), axis=1) != 0, axis=1) == 1).all(), "each row needs one sign change"

    irr(cf[:100])  # warm-up
    npf_loop(cf[:100])
    t_tem, tem_times = median_time(lambda: irr(cf), REPEATS_TEM)
    t_npf, npf_times = median_time(lambda: npf_loop(cf), REPEATS_NPF)

    result = irr(cf)
    reference = npf_loop(cf)
    both = np.isfinite(result.rate) & np.isfinite(reference)
    max_diff = float(np.max(np.abs(result.rate[both] - reference[both]))) if both.any() else float("nan")
    nan_tem = int(np.isnan(result.rate).sum())
    nan_npf = int(np.isnan(reference).sum())
    nan_mismatch = int((np.isnan(result.rate) != np.isnan(reference)).sum())
    speedup = t_npf / t_tem
    load = os.getloadavg()

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    flows = model_flows()
    with batch_runtime():
        irr_in_chunks(flows[:CHUNK])  # warm-up
        t_model, model_times = median_time(lambda: irr_in_chunks(flows), REPEATS_MODEL)
        model_status = irr_in_chunks(flows)
    changes = sign_changes(flows)
    status_lines = [
        f"| {code} | {IRR_STATUS[code]} | {int((result.status == code).sum()):,} | {int((model_status == code).sum()):,} |"
        for code in IRR_STATUS
    ]
    lines = [
        "# Finance benchmark: vectorized IRR",
        "",
        f"Run {dt.datetime.now().isoformat(timespec='seconds')} on {platform.node()} ({platform.machine()}, "
        f"{platform.system()} {platform.release()}): nproc {len(os.sched_getaffinity(0))}, "
        f"os.cpu_count {os.cpu_count()}, load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} "
        f"(1 / 5 / 15 min); Python {platform.python_version()}, numpy {np.__version__}, "
        f"numpy-financial {npf.__version__}, tem {tem.__version__}.",
        "",
        f"Cash flows: {N_ROWS:,} x {N_YEARS} years, random, one sign change each (1-4 years of outflows of "
        "50-150, then inflows of 5-60 a year), seed 12345.",
        "",
        "| measure | result | target |",
        "|---|---|---|",
        f"| `tem.finance.irr` on the ({N_ROWS}, {N_YEARS}) array, median of {REPEATS_TEM} | {t_tem * 1e3:.1f} ms | |",
        f"| Python loop of `numpy_financial.irr` over the rows, median of {REPEATS_NPF} | {t_npf:.2f} s | |",
        f"| speed-up | {speedup:,.0f}x | >= {TARGET_SPEEDUP:.0f}x ({verdict(speedup >= TARGET_SPEEDUP)}) |",
        f"| max abs difference of the roots (rows where both give a rate: {int(both.sum()):,}) | {max_diff:.1e} | "
        f"<= {TARGET_MAX_DIFF:.0e} ({verdict(max_diff <= TARGET_MAX_DIFF)}) |",
        f"| NaN rates: tem / numpy-financial / rows where only one is NaN | {nan_tem} / {nan_npf} / {nan_mismatch} "
        f"| same rows ({verdict(nan_mismatch == 0)}) |",
        "",
        f"All `tem` timings (ms): {', '.join(f'{t * 1e3:.1f}' for t in tem_times)}. "
        f"All numpy-financial timings (s): {', '.join(f'{t:.2f}' for t in npf_times)}.",
        "",
        f"The model's own flows: free cash flow of {N_MODEL:,} Monte Carlo scenarios of the base case "
        f"({int((changes >= 2).sum()):,} with several sign changes), `irr` in chunks of {CHUNK:,} as the engine calls "
        f"it: median of {REPEATS_MODEL} {t_model * 1e3:.1f} ms (all: {', '.join(f'{t * 1e3:.1f}' for t in model_times)}).",
        "",
        "`tem` status counts:",
        "",
        "| status | meaning | random rows | model rows |",
        "|---|---|---|---|",
        *status_lines,
        "",
    ]
    lines += [calibration_line(calibration()), ""]  # how fast the machine was (benchmarks/common.py)
    text = "\n".join(lines)
    (Path(__file__).parent / "RESULTS_finance.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
