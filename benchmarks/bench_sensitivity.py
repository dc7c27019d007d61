"""Sensitivity benchmark (run on demand: ``python benchmarks/bench_sensitivity.py``); writes
benchmarks/RESULTS_sensitivity.md. Targets (issue 4): tornado of 30 inputs <= 50 ms; 50 x 50 data table <= 0.5 s."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))

import tem  # noqa: E402
from benchmarks.common import calibration, header, spread, timings  # noqa: E402
from tem.analysis.sensitivity.goalseek import goal_seek  # noqa: E402
from tem.analysis.sensitivity.spec import SweepParameter, SweepSpec  # noqa: E402
from tem.analysis.sensitivity.sweeps import axis, data_table, tornado  # noqa: E402
from tem.analysis.specio import load_spec  # noqa: E402


def runs(fn, repeats: int) -> list[float]:
    """Seconds of ``repeats`` calls after one warm-up call."""
    fn()
    return timings(fn, repeats)


def main() -> None:
    a = tem.load(ROOT / "assumptions" / "base.yaml")
    spec = load_spec(ROOT / "assumptions" / "sweeps" / "tornado.yaml", SweepSpec)
    candidates = (
        "cells.imported.logistics_inr_per_kwh",
        "pack.assembly_inr_per_kwh",
        "opex.sga_revenue_share",
        "opex.warranty_revenue_share",
    )
    have = {p.path for p in spec.parameters}
    # the tornado spec's own inputs, topped up to 30 (the target's count) with inputs it does not vary
    extra = [SweepParameter(path=p, low="-10%", high="+10%") for p in candidates if p not in have]
    spec30 = SweepSpec(parameters=[*spec.parameters, *extra][:30], kpis=spec.kpis)
    if len(spec30.parameters) != 30:
        raise SystemExit(f"bench_sensitivity: {len(spec30.parameters)} inputs to vary, not 30: add candidates")
    t_tornado = runs(lambda: tornado(a, spec30), 7)
    x = axis("cells.imported.fob_price_usd_per_kwh", low=40, high=65, steps=50)
    y = axis("timeline.discount_rate", low=0.10, high=0.15, steps=50)
    t_table = runs(lambda: data_table(a, x, y, "npv_inr_cr"), 5)
    t_seek = runs(
        lambda: goal_seek(a, "cells.imported.fob_price_usd_per_kwh", "incremental_npv_vs_import_inr_cr", 0.0, 30, 120), 5
    )
    lines = header("Sensitivity benchmark", calibration())
    lines += [
        "Wall time of each call in this process (one thread): median (range, runs) after a warm-up call.",
        "",
        "| measure | result | target |",
        "|---|---|---|",
        f"| tornado of 30 inputs, 5 KPIs (61 scenarios, one batch) | {spread(t_tornado, 'ms', 1e3, 1)} | <= 50 ms |",
        f"| 50 x 50 data table of NPV (2,500 scenarios) | {spread(t_table, 'ms', 1e3, 0)} | <= 500 ms |",
        f"| goal seek: breakeven imported cell price (grid + Brent) | {spread(t_seek, 'ms', 1e3, 0)} | |",
        "",
    ]
    (Path(__file__).parent / "RESULTS_sensitivity.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    from benchmarks.common import arguments

    arguments(__doc__).parse_args()
    main()
