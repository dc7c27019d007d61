"""Monte Carlo benchmark (run on demand: ``python benchmarks/bench_montecarlo.py``); writes
benchmarks/RESULTS_montecarlo.md.

(a) Monte Carlo of 100,000 scenarios of the base case under assumptions/montecarlo.yaml (its 20 uncertain inputs and
    23 rank correlations, Latin hypercube, every KPI computed by the engine), target <= 1 s of compute and peak
    memory <= 2 GB; split into sampling (design, Iman-Conover, inverse CDFs), engine evaluation, statistics;
    once with the spec's 8 KPIs summarised, once with every KPI summarised;
(b) Sobol indices with the same 20 factors and N = 1,024 (22,528 model runs, the spec's KPIs analysed), target
    <= 3 s.
Each measure runs in a fresh subprocess (best of 5 after a warm-up); peak memory is that process's maximum
resident set size (ru_maxrss).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))

import tem  # noqa: E402
from tem.analysis.montecarlo.resolve import resolve_spec  # noqa: E402
from tem.analysis.montecarlo.run import assemble, draw, evaluate_draws, montecarlo  # noqa: E402
from tem.analysis.montecarlo.sobol import sobol  # noqa: E402
from tem.analysis.montecarlo.spec import load_montecarlo_spec  # noqa: E402
from tem.model.inputs import build_inputs  # noqa: E402

N_MC = 100_000
N_SOBOL = 1024
REPEATS = 5


def best_time(fn, repeats: int = REPEATS) -> float:
    """Best of ``repeats``: this 2-core machine is shared, and other work only ever adds time."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def child(kind: str) -> None:
    """Runs in a subprocess: one measure, printed as JSON."""
    a = tem.load(ROOT / "assumptions" / "base.yaml")
    spec = load_montecarlo_spec(ROOT / "assumptions" / "montecarlo.yaml")
    inp = build_inputs(a)
    resolved = resolve_spec(spec, a, inp)
    out: dict[str, float] = {"inputs": len(spec.inputs), "correlations": len(spec.correlations)}
    if kind.startswith("mc"):
        if kind == "mc-all":
            spec = spec.model_copy(update={"kpis": list(resolved.kpi_names)})
            resolved = resolve_spec(spec, a, inp)
        montecarlo(a, spec, n=1000)  # warm-up
        d = draw(resolved, N_MC, spec.seed, spec.sampling)
        raw = evaluate_draws(inp, resolved, d.values)
        out["sample_s"] = best_time(lambda: draw(resolved, N_MC, spec.seed, spec.sampling))
        out["evaluate_s"] = best_time(lambda: evaluate_draws(inp, resolved, d.values))
        out["statistics_s"] = best_time(lambda: assemble(a, resolved, d, raw, spec.seed))
        out["total_s"] = best_time(lambda: montecarlo(a, spec, n=N_MC))
        out["kpis_summarised"] = len(spec.kpis)
        r = montecarlo(a, spec, n=N_MC)
        out["p_npv_negative"] = r.headline["p_npv_negative"]
        out |= {f"npv_{p}": float(r.summary.loc["npv_inr_cr", p]) for p in ("p10", "p50", "p90", "mean")}
    else:
        sobol(a, spec, 64)  # warm-up
        out["total_s"] = best_time(lambda: sobol(a, spec, N_SOBOL))
        s = sobol(a, spec, N_SOBOL)
        out["evaluations"] = s.n_evaluations
        out["kpis_analysed"] = len(spec.kpis) - len(s.skipped)
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


def run_child(kind: str) -> dict[str, float]:
    proc = subprocess.run([sys.executable, __file__, "--child", kind], capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def calibration() -> float:
    """Milliseconds for a Python loop of numpy_financial.irr over 1,000 fixed rows (best of 5): how fast the
    machine is right now (the same work every time, none of it tem's)."""
    import numpy_financial as npf

    rng = np.random.default_rng(1)
    cf = np.where(np.arange(20) < 2, -100.0, 20.0) + rng.random((1000, 20))
    return 1e3 * best_time(lambda: [npf.irr(row) for row in cf])


def main() -> None:
    calibration_ms = calibration()
    mc = run_child("mc")
    mc_all = run_child("mc-all")
    sb = run_child("sobol")
    stats_s, stats_all = mc["statistics_s"], mc_all["statistics_s"]
    ok = lambda x, target: "met" if x <= target else "**not met**"  # noqa: E731
    lines = [
        "# Monte Carlo benchmark",
        "",
        f"Run {dt.datetime.now().isoformat(timespec='seconds')} on {platform.node()}: {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, numpy {np.__version__}, tem {tem.__version__}. Each measure in a fresh "
        f"process, best of {REPEATS} after a warm-up (the machine is shared; other work only adds time).",
        "",
        f"Base case under `assumptions/montecarlo.yaml`: {int(mc['inputs'])} uncertain inputs, "
        f"{int(mc['correlations'])} rank correlations, Latin hypercube; the engine computes every KPI.",
        "",
        "| measure | result | target |",
        "|---|---|---|",
        f"| (a) Monte Carlo, {N_MC:,} scenarios, whole `montecarlo()` call ({int(mc['kpis_summarised'])} KPIs summarised) "
        f"| {mc['total_s']:.2f} s | <= 1 s ({ok(mc['total_s'], 1.0)}) |",
        f"| (a) of which sampling: LHS design, Iman-Conover, inverse CDFs | {mc['sample_s']:.2f} s | |",
        f"| (a) of which engine evaluation (`run_batch_inputs`, chunks of 10,000, 2 threads) | {mc['evaluate_s']:.2f} s | |",
        f"| (a) of which statistics (summary, convergence, rank contributions, achieved correlations) | {stats_s:.2f} s | |",
        f"| (a) peak memory of that process (max RSS) | {mc['peak_mb']:,.0f} MB | <= 2,048 MB ({ok(mc['peak_mb'], 2048)}) |",
        f"| (a) the same with every KPI summarised ({int(mc_all['kpis_summarised'])} KPIs) | {mc_all['total_s']:.2f} s "
        f"(statistics {stats_all:.2f} s), {mc_all['peak_mb']:,.0f} MB | |",
        f"| (b) Sobol, {int(sb['inputs'])} factors, N = {N_SOBOL:,} ({int(sb['evaluations']):,} runs, "
        f"{int(sb['kpis_analysed'])} KPIs analysed, 100 bootstrap resamples) | {sb['total_s']:.2f} s | <= 3 s "
        f"({ok(sb['total_s'], 3.0)}) |",
        f"| (b) peak memory | {sb['peak_mb']:,.0f} MB | |",
        "",
        f"Base-case result at N = {N_MC:,}: NPV P10 {mc['npv_p10']:,.0f}, P50 {mc['npv_p50']:,.0f}, P90 "
        f"{mc['npv_p90']:,.0f} INR crore (mean {mc['npv_mean']:,.0f}); P(NPV < 0) = {mc['p_npv_negative']:.3%}.",
        "",
    ]
    lines += [
        f"Machine speed at the time (calibration: a Python loop of `numpy_financial.irr` over 1,000 rows, best of 5): "
        f"{calibration_ms:.0f} ms. On this shared 2-core VM the same kind of loop (bench_finance.py, 10,000 rows) has "
        "taken 0.56 s to 0.92 s at different times, and every timing here moves with it: compare runs at similar "
        "calibration.",
        "",
    ]
    (Path(__file__).parent / "RESULTS_montecarlo.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    if "--child" in sys.argv:
        child(sys.argv[sys.argv.index("--child") + 1])
    else:
        main()
