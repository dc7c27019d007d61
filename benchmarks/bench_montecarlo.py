"""Monte Carlo benchmark (run on demand: ``python benchmarks/bench_montecarlo.py``); writes
benchmarks/RESULTS_montecarlo.md.

(a) Monte Carlo of 100,000 scenarios of the base case under assumptions/montecarlo.yaml (its 20 uncertain inputs and
    23 rank correlations, Latin hypercube, every KPI computed by the engine), target <= 1 s of compute and peak
    memory <= 2 GB; split into sampling (design, Iman-Conover, inverse CDFs), engine evaluation, statistics;
    once with the spec's 8 KPIs summarised, once with every KPI summarised;
(b) Sobol indices with the same 20 factors and N = 1,024 (22,528 model runs, the spec's KPIs analysed), target
    <= 3 s;
(c) the exports ``tem montecarlo`` writes for that run (workbook, Parquet, CSVs, HTML charts; PNGs excluded,
    they depend on the browser), as a separate line, and ``samples.csv`` on its own;
(d) with ``--big``: 10^7 scenarios in bounded memory (the design in blocks, evaluated in chunks, only the kept
    values stored; exact percentiles), target <= 4 GB peak, and the memory per scenario from 10^6 and 10^7.
Each measure runs in a fresh subprocess (median and range of 5 runs after a warm-up); peak memory is that
process's maximum resident set size (ru_maxrss).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))

import tem  # noqa: E402
from benchmarks.common import calibration, header, spread, timings  # noqa: E402
from tem.analysis.montecarlo.resolve import resolve_spec  # noqa: E402
from tem.analysis.montecarlo.run import assemble, draw, evaluate_draws, montecarlo  # noqa: E402
from tem.analysis.montecarlo.sobol import sobol  # noqa: E402
from tem.analysis.montecarlo.spec import load_montecarlo_spec  # noqa: E402
from tem.model.inputs import build_inputs  # noqa: E402

N_MC = 100_000
N_SOBOL = 1024
REPEATS = 5


def times_of(fn, repeats: int = REPEATS) -> list[float]:
    return timings(fn, repeats)


def child(kind: str) -> None:
    """Runs in a subprocess: one measure, printed as JSON."""
    a = tem.load(ROOT / "assumptions" / "base.yaml")
    spec = load_montecarlo_spec(ROOT / "assumptions" / "montecarlo.yaml")
    inp = build_inputs(a)
    resolved = resolve_spec(spec, a, inp)
    out: dict[str, Any] = {"inputs": len(spec.inputs), "correlations": len(spec.correlations)}
    if kind.startswith("mc"):
        if kind == "mc-all":
            spec = spec.model_copy(update={"kpis": list(resolved.kpi_names)})
            resolved = resolve_spec(spec, a, inp)
        montecarlo(a, spec, n=1000)  # warm-up
        d = draw(resolved, N_MC, spec.seed, spec.sampling)
        raw = evaluate_draws(inp, resolved, d.values)
        out["sample_s"] = times_of(lambda: draw(resolved, N_MC, spec.seed, spec.sampling))
        out["evaluate_s"] = times_of(lambda: evaluate_draws(inp, resolved, d.values))
        out["statistics_s"] = times_of(lambda: assemble(a, resolved, d, raw, spec.seed))
        out["total_s"] = times_of(lambda: montecarlo(a, spec, n=N_MC))
        out["kpis_summarised"] = len(spec.kpis)
        r = montecarlo(a, spec, n=N_MC)
        if kind == "mc":
            from tem.analysis.montecarlo.export import render_montecarlo_files
            from tem.analysis.montecarlo.samples_files import samples_csv

            render_montecarlo_files(r, png=False)  # warm-up (imports)
            out["exports_s"] = times_of(lambda: render_montecarlo_files(r, png=False), 3)
            out["samples_csv_s"] = times_of(lambda: samples_csv(r), 3)
        out["p_npv_negative"] = r.headline["p_npv_negative"]
        out |= {f"npv_{p}": float(r.summary.loc["npv_inr_cr", p]) for p in ("p10", "p50", "p90", "mean")}
    elif kind.startswith("big"):
        n = int(kind.split(":")[1])
        t0 = time.perf_counter()
        r = montecarlo(a, spec, n=n)
        out["total_s"] = [time.perf_counter() - t0]
        out["n"] = n
        out["npv_p50"] = float(r.summary.loc["npv_inr_cr", "p50"])
    else:
        sobol(a, spec, 64)  # warm-up
        out["total_s"] = times_of(lambda: sobol(a, spec, N_SOBOL))
        s = sobol(a, spec, N_SOBOL)
        out["evaluations"] = s.n_evaluations
        out["kpis_analysed"] = len(spec.kpis) - len(s.skipped)
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


def run_child(kind: str) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, __file__, "--child", kind], capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(big: bool) -> None:
    cal = calibration()
    mc = run_child("mc")
    mc_all = run_child("mc-all")
    sb = run_child("sobol")
    med = lambda xs: sorted(xs)[len(xs) // 2]  # noqa: E731
    ok = lambda x, target: "met" if x <= target else "**not met**"  # noqa: E731
    lines = header(
        "Monte Carlo benchmark",
        cal,
        f"Each measure in a fresh process: median (range) of {REPEATS} runs after a warm-up; 2 threads (both "
        "cores) for the engine. Base case under `assumptions/montecarlo.yaml`: "
        f"{int(mc['inputs'])} uncertain inputs (volumes, prices, costs, FX, rates), {int(mc['correlations'])} rank "
        "correlations, Latin hypercube; the engine computes every KPI.",
    )
    lines += [
        "| measure | result | target |",
        "|---|---|---|",
        f"| (a) Monte Carlo, {N_MC:,} scenarios, whole `montecarlo()` call ({int(mc['kpis_summarised'])} KPIs "
        f"summarised) | {spread(mc['total_s'])} | <= 1 s ({ok(med(mc['total_s']), 1.0)}) |",
        f"| (a) of which sampling: LHS design, Iman-Conover, inverse CDFs | {spread(mc['sample_s'])} | |",
        f"| (a) of which engine evaluation (`run_batch_inputs`, chunks of 10,000, 2 threads) | "
        f"{spread(mc['evaluate_s'])} | |",
        f"| (a) of which statistics (summary, convergence, rank contributions, achieved correlations) | "
        f"{spread(mc['statistics_s'])} | |",
        f"| (a) peak memory of that process (max RSS) | {mc['peak_mb']:,.0f} MB | <= 2,048 MB ({ok(mc['peak_mb'], 2048)}) |",
        f"| (a) the same with every KPI summarised ({int(mc_all['kpis_summarised'])} KPIs) | {spread(mc_all['total_s'])} "
        f"(statistics {spread(mc_all['statistics_s'])}), {mc_all['peak_mb']:,.0f} MB | |",
        f"| (b) Sobol, {int(sb['inputs'])} factors, N = {N_SOBOL:,} ({int(sb['evaluations']):,} runs, "
        f"{int(sb['kpis_analysed'])} KPIs analysed, 100 bootstrap resamples) | {spread(sb['total_s'])} | <= 3 s "
        f"({ok(med(sb['total_s']), 3.0)}) |",
        f"| (b) peak memory | {sb['peak_mb']:,.0f} MB | |",
        f"| (c) the CLI's exports of (a), in memory (workbook, samples.parquet, CSVs, HTML charts, manifest; no PNG) | "
        f"{spread(mc['exports_s'])} | |",
        f"| (c) samples.csv on request (`--samples-csv`), {N_MC:,} rows | {spread(mc['samples_csv_s'])} | |",
    ]
    if big:
        one = run_child("big:1000000")
        ten = run_child("big:10000000")
        per = (ten["peak_mb"] - one["peak_mb"]) * 2**20 / 9e6
        lines += [
            f"| (d) 1,000,000 scenarios, `montecarlo()` (exact percentiles), one run | {one['total_s'][0]:.0f} s, "
            f"{one['peak_mb']:,.0f} MB | |",
            f"| (d) 10,000,000 scenarios, `montecarlo()`, one run | {ten['total_s'][0]:.0f} s, {ten['peak_mb']:,.0f} MB | "
            f"<= 4,096 MB ({ok(ten['peak_mb'], 4096)}) |",
            f"| (d) memory per scenario, from the two peaks | {per:,.0f} bytes | |",
        ]
    lines += [
        "",
        f"Base-case result at N = {N_MC:,}: NPV P10 {mc['npv_p10']:,.0f}, P50 {mc['npv_p50']:,.0f}, P90 "
        f"{mc['npv_p90']:,.0f} INR crore (mean {mc['npv_mean']:,.0f}); P(NPV < 0) = {mc['p_npv_negative']:.3%}.",
        "",
    ]
    (Path(__file__).parent / "RESULTS_montecarlo.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    from benchmarks.common import CHILD, arguments

    big = (("--big",), {"action": "store_true", "help": "also 10^6 and 10^7 scenarios in bounded memory (about 8 minutes)"})
    args = arguments(__doc__, CHILD, big).parse_args()
    if args.child is not None:
        child(args.child)
    else:
        main(args.big)
