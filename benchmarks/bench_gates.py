"""Gates benchmark (run on demand: ``python benchmarks/bench_gates.py``); writes benchmarks/RESULTS_gates.md.

A Monte Carlo of 100,000 scenarios under assumptions/montecarlo.yaml, the whole ``montecarlo()`` call (sampling,
engine with every KPI, statistics, and with gates the value of flexibility), of (a) the base program with its cell
plants behind its FY28 gate, ``assumptions/base.yaml``, and (b) the same program committed,
``assumptions/scenarios/committed_cells.yaml`` (no gates).
Target: (a) within 1.5x of (b). With gates the engine evaluates the committed program for every scenario (the
values the gates read and the committed NPV) and the program again only where a gate removes a phase, so the cost
grows with the share of scenarios where a gate fails (reported). Both stream in bounded memory (the gate KPIs are
kept per scenario like the spec's). Each measure runs in a fresh subprocess (``REPEATS`` runs after a warm-up,
median and range), (a) and (b) alternating, so both see the same machine; the calibration is recorded
(benchmarks/common.py). (c) the gate threshold sweep of 9 thresholds on 20,000 draws (180,000 evaluations,
streamed chunk by chunk).
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))

import tem  # noqa: E402
from benchmarks.common import calibration, header, spread, timings  # noqa: E402
from tem.analysis.montecarlo.run import montecarlo  # noqa: E402
from tem.analysis.montecarlo.spec import load_montecarlo_spec  # noqa: E402

N_MC = 100_000
N_SWEEP = 20_000
REPEATS = 3
FILES = {
    "gated": ROOT / "assumptions" / "base.yaml",
    "committed": ROOT / "assumptions" / "scenarios" / "committed_cells.yaml",
}


def child(kind: str) -> None:
    a = tem.load(FILES[kind])
    spec = load_montecarlo_spec(ROOT / "assumptions" / "montecarlo.yaml")
    montecarlo(a, spec, n=1000)  # warm-up
    out: dict[str, object] = {"times": timings(lambda: montecarlo(a, spec, n=N_MC), REPEATS)}
    r = montecarlo(a, spec, n=N_MC)
    out["npv_mean"] = float(r.summary.loc["npv_inr_cr", "mean"])
    if r.flexibility is not None:
        out["value"] = r.flexibility.value_inr_cr
        out["value_se"] = r.flexibility.standard_error_inr_cr
        out["p_pass"] = float(r.flexibility.gates["p_pass"].min())
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if kind == "gated":
        from tem.analysis.montecarlo.gate_sweep import gate_threshold_sweep

        path = "capex.phases.cell_plant_1.gate.when.0.threshold"
        grid = [45.0 + i for i in range(9)]
        out["sweep_times"] = timings(lambda: gate_threshold_sweep(a, spec, path, grid, n=N_SWEEP), 1)
    print(json.dumps(out))


def run_child(kind: str) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", kind], capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    calibration_ms = calibration()
    runs: dict[str, list[dict]] = {"gated": [], "committed": []}
    for _ in range(2):  # alternate, so a slow spell of the shared machine hits both
        for kind in ("committed", "gated"):
            runs[kind].append(run_child(kind))
    times = {k: [t for r in v for t in r["times"]] for k, v in runs.items()}
    g, c = runs["gated"][-1], runs["committed"][-1]
    peak = {k: max(r["peak_mb"] for r in v) for k, v in runs.items()}
    ratio = statistics.median(times["gated"]) / statistics.median(times["committed"])
    ok = "met" if ratio <= 1.5 else "**not met**"
    sweep = [t for r in runs["gated"] for t in r["sweep_times"]]
    lines = header(
        "Gates benchmark",
        calibration_ms,
        f"Monte Carlo of {N_MC:,} scenarios under `assumptions/montecarlo.yaml`, the whole `montecarlo()` call; each "
        f"measure in a fresh process, {REPEATS} runs after a warm-up, twice, (a) and (b) alternating: medians "
        "(ranges) of all runs.",
    )
    lines += [
        "| measure | result | target |",
        "|---|---|---|",
        f"| (a) cell plants behind a gate (`assumptions/base.yaml`) | {spread(times['gated'])}, "
        f"{peak['gated']:,.0f} MB | |",
        f"| (b) committed, no gates (`assumptions/scenarios/committed_cells.yaml`) | {spread(times['committed'])}, "
        f"{peak['committed']:,.0f} MB | |",
        f"| (a) / (b), medians | {ratio:.2f}x | <= 1.5x ({ok}) |",
        f"| share of scenarios where the gate passes (the rest are evaluated twice) | "
        f"{g.get('p_pass', float('nan')):.1%} | |",
        f"| (c) gate threshold sweep, 9 thresholds x {N_SWEEP:,} draws of (a) | {spread(sweep)} | |",
        "",
        f"Value of flexibility at N = {N_MC:,}: {g.get('value', float('nan')):+,.0f} INR crore (standard error "
        f"{g.get('value_se', float('nan')):,.1f}); mean NPV with the gate {g['npv_mean']:,.0f}, committed "
        f"{c['npv_mean']:,.0f}.",
        "",
    ]
    (Path(__file__).parent / "RESULTS_gates.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    from benchmarks.common import CHILD, arguments

    args = arguments(__doc__, CHILD).parse_args()
    if args.child is not None:
        child(args.child)
    else:
        main()
