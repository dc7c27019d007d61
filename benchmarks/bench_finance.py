"""IRR benchmark (run on demand: ``python benchmarks/bench_finance.py``); writes benchmarks/RESULTS_finance.md.

(a) 10,000 random 20-year cash flows, each with exactly one sign change (a block of 1-4 years of outflows, then
    inflows), so each has exactly one IRR. ``tem.finance.irr`` on the whole (10000, 20) array is timed against
    a Python loop of ``numpy_financial.irr`` over the rows (the reference: ``np.roots`` per row).
(b) The model's own flows: the free cash flow of 100,000 Monte Carlo scenarios of the base case
    (assumptions/montecarlo.yaml, its seed), about 4% of them with several sign changes; ``irr`` is timed as the
    engine calls it (chunks of 10,000 scenarios, BLAS on one thread, freed memory kept).
(c) Flows with several sign changes (issue 15, target 6): 10,000 x 20 rows of a build (2 years out), inflows, a
    refit in year 10 and a closure cost in the last year (three sign changes; some rows have one IRR in range,
    most several). ``irr`` as a user calls it (BLAS pinned to one thread inside, tem/finance/blas.py) against a
    Python loop of ``pyxirr.irr`` over the rows (optional: ``pip install pyxirr``; the line is skipped without
    it), each ``irr`` run followed by a pyxirr loop (the same load; wall and CPU time), the roots of both against
    the root in extended precision; ``irr`` as the engine calls it (batch runtime); ``irr``'s work with BLAS
    left on every core (before the pin); with ``--against TREE`` (another checkout, e.g. ``git worktree add
    /tmp/before main``) that tree's ``irr`` on the same flows, in a fresh process.

``--only-several`` runs sections (c) and (d) alone and writes them over their place in the results file.

Targets: speed-up >= 200x; max |difference| of the roots <= 1e-9 where both give a rate; the same NaN rows.
Times are medians of several repeats of ``time.perf_counter``; the results file is overwritten on each run.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import resource
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
from benchmarks.common import calibration, calibration_line, spread  # noqa: E402
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
TARGET_MULTI_VS_PYXIRR = 3.0
TARGET_MULTI_DIFF = 1e-12
REPEATS_MULTI = 7


def several_sign_changes(n_rows: int = N_ROWS, n_years: int = N_YEARS, seed: int = 2) -> np.ndarray:
    """Build (2 years of -15..-180), inflows of 5-60, a refit of -20..-80 in year 10, closure -0.5..-5 at the end."""
    rng = np.random.default_rng(seed)
    cf = rng.uniform(5.0, 60.0, (n_rows, n_years))
    cf[:, :2] *= -3.0
    cf[:, 10] = -rng.uniform(20.0, 80.0, n_rows)
    cf[:, -1] = -rng.uniform(0.5, 5.0, n_rows)
    return cf


def extended_newton(cf: np.ndarray, rate: np.ndarray, steps: int = 8) -> np.ndarray:
    """The root near ``rate`` of each row's NPV, by Newton in ``np.longdouble`` (80-bit on x86): a reference finer
    than either double-precision solver."""
    flows = cf.astype(np.longdouble)
    x = 1.0 / (1.0 + rate.astype(np.longdouble))  # NPV = sum_t c_t x**t
    t = np.arange(cf.shape[1])
    for _ in range(steps):
        powers = x[:, None] ** t[None, :]
        f = np.sum(flows * powers, axis=1)
        d = np.sum(flows[:, 1:] * t[None, 1:] * powers[:, :-1], axis=1)
        x = x - f / d
    return np.asarray(1.0 / x - 1.0, dtype=float)


_BEFORE_SNIPPET = """
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from tem.finance import irr  # that tree's, imported first (bench_finance puts this tree on the path)
sys.path.insert(0, sys.argv[2])
from bench_finance import several_sign_changes
assert irr.__module__ == "tem.finance" and sys.modules["tem"].__file__.startswith(sys.argv[1])
cf = several_sign_changes()
irr(cf[:100])
try:
    import pyxirr
except ImportError:
    pyxirr = None
out = []
for _ in range(int(sys.argv[3])):  # each run followed by a pyxirr loop, as in this process
    f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    c0, t0 = time.process_time(), time.perf_counter()
    irr(cf)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0
    c0 = time.process_time()
    if pyxirr is not None:
        [pyxirr.irr(row) for row in cf]
    out.append((wall, cpu, faults, time.process_time() - c0 if pyxirr is not None else None))
print(json.dumps(out))
"""


def before_times(tree: Path) -> tuple[list[float], list[float], list[int], list[float]]:
    """Wall and CPU seconds and page faults of ``irr`` on the section (c) flows in another checkout of tem
    (``--against TREE``), in a fresh process (this file's flows, that tree's ``tem``), each run followed by a
    pyxirr loop as in this process, and that loop's CPU seconds (none without pyxirr)."""
    import json
    import subprocess

    args = [sys.executable, "-c", _BEFORE_SNIPPET, str(tree), str(Path(__file__).parent), str(REPEATS_MULTI)]
    env = {**os.environ, "PYTHONPATH": str(tree)}
    pairs = json.loads(subprocess.run(args, capture_output=True, text=True, env=env, check=True).stdout)
    return [p[0] for p in pairs], [p[1] for p in pairs], [p[2] for p in pairs], [p[3] for p in pairs if p[3]]


def multi_lines(against: Path | None = None) -> list[str]:
    """Section (c): several sign changes, tem against a pyxirr loop (each timed right after the other, one thread
    each: pyxirr is single-threaded and tem pins BLAS to one thread)."""
    from threadpoolctl import threadpool_limits

    from tem.finance import _irr

    cf = several_sign_changes()
    irr(cf[:100])
    try:
        import pyxirr
    except ImportError:
        pyxirr = None

    def loop() -> np.ndarray:
        rates = np.full(cf.shape[0], np.nan)
        for i, row in enumerate(cf):
            r = pyxirr.irr(row)
            if r is not None:
                rates[i] = r
        return rates

    tem_times, tem_cpu, py_times, py_cpu, tem_faults = [], [], [], [], []
    if pyxirr is not None:
        loop()
    load = os.getloadavg()
    for _ in range(REPEATS_MULTI):  # interleaved: both see the same load
        f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        c0, t0 = time.process_time(), time.perf_counter()
        irr(cf)
        tem_times.append(time.perf_counter() - t0)
        tem_cpu.append(time.process_time() - c0)
        tem_faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0)
        if pyxirr is not None:
            c0, t0 = time.process_time(), time.perf_counter()
            loop()
            py_times.append(time.perf_counter() - t0)
            py_cpu.append(time.process_time() - c0)
    with batch_runtime():  # as the engine calls it: BLAS on one thread, freed memory kept for reuse
        irr(cf)
        engine_times = [median_time(lambda: irr(cf), 1)[0] for _ in range(REPEATS_MULTI)]
    with threadpool_limits(limits=os.cpu_count() or 1, user_api="blas"):  # before the pin: BLAS on every core
        unpinned = [median_time(lambda: _irr(cf, 1e-14, 100), 1)[0] for _ in range(REPEATS_MULTI)]
    result = irr(cf)
    counts = ", ".join(f"status {c}: {int((result.status == c).sum()):,}" for c in IRR_STATUS if (result.status == c).any())
    out = [
        "",
        f"## (c) Several sign changes ({N_ROWS:,} x {N_YEARS}: build, inflows, refit in year 10, closure cost)",
        "",
        f"Run {dt.datetime.now().isoformat(timespec='seconds')}, load average {load[0]:.2f} / {load[1]:.2f} / "
        f"{load[2]:.2f} (1 / 5 / 15 min) at its start. tem statuses: {counts}. Each `tem` run is followed by a "
        "`pyxirr` loop (same load); both on one thread. CPU time is `time.process_time` (this process only).",
        "",
        "| measure | result | target |",
        "|---|---|---|",
        f"| `tem.finance.irr`, wall (BLAS pinned to one thread inside) | {spread(tem_times, 'ms', 1e3, 1)} | |",
        f"| `tem.finance.irr`, CPU time | {spread(tem_cpu, 'ms', 1e3, 1)} | |",
        f"| `tem.finance.irr`, page faults per call (fresh pages; freed memory kept for the next call) | "
        f"{statistics.median(tem_faults):,.0f} ({min(tem_faults):,}-{max(tem_faults):,}) | |",
        f"| `irr` as the engine calls it (batch runtime: freed memory kept for reuse), wall | "
        f"{spread(engine_times, 'ms', 1e3, 1)} | |",
        f"| `irr`'s work with BLAS on {os.cpu_count()} threads (before the pin), wall | "
        f"{spread(unpinned, 'ms', 1e3, 1)} | |",
    ]
    if against is not None:
        before_wall, before_cpu, before_faults, before_py = before_times(against)
        out.append(
            f"| before: `irr` in `{against}` (commit {_commit(against)}, a fresh process, each run followed by a "
            f"pyxirr loop too), wall / CPU / page faults | {spread(before_wall, 'ms', 1e3, 1)} / "
            f"{spread(before_cpu, 'ms', 1e3, 1)} / {statistics.median(before_faults):,.0f} | |"
        )
        if before_py:
            out.append(
                f"| before: that process's pyxirr loop, CPU time; its `irr` relative to it (CPU) | "
                f"{spread(before_py, 'ms', 1e3, 1)}; "
                f"{statistics.median(before_py) / statistics.median(before_cpu):.2f}x | |"
            )
    if pyxirr is None:
        return [*out, "| Python loop of `pyxirr.irr` | not measured: pyxirr not installed (pip install pyxirr) | |", ""]
    reference = loop()
    both = np.isfinite(result.rate) & np.isfinite(reference)
    diff = float(np.max(np.abs(result.rate[both] - reference[both]))) if both.any() else float("nan")
    ratio = statistics.median(py_times) / statistics.median(tem_times)
    ratio_cpu = statistics.median(py_cpu) / statistics.median(tem_cpu)
    ratio_engine = statistics.median(py_times) / statistics.median(engine_times)
    met = "met" if ratio >= TARGET_MULTI_VS_PYXIRR else "NOT met"
    exact = extended_newton(cf[both], reference[both])
    err_tem = float(np.max(np.abs(result.rate[both] - exact))) if both.any() else float("nan")
    err_py = float(np.max(np.abs(reference[both] - exact))) if both.any() else float("nan")
    bits = np.finfo(np.longdouble).nmant + 1
    return [
        *out,
        f"| Python loop of `pyxirr.irr` {pyxirr.__version__} over the rows, wall | {spread(py_times, 'ms', 1e3, 1)} | |",
        f"| the same, CPU time | {spread(py_cpu, 'ms', 1e3, 1)} | |",
        f"| tem's speed relative to the pyxirr loop (medians, wall) | {ratio:.2f}x | "
        f">= {TARGET_MULTI_VS_PYXIRR:.0f}x ({met}) |",
        f"| the same on CPU time / with the engine's runtime (wall) | {ratio_cpu:.2f}x / {ratio_engine:.2f}x | |",
        f"| max abs difference of the roots from the root in extended precision (Newton in np.longdouble, "
        f"{bits}-bit significand, from pyxirr's root; {int(both.sum()):,} rows where both give a rate): tem / pyxirr "
        f"| {err_tem:.1e} / {err_py:.1e} | tem <= {TARGET_MULTI_DIFF:.0e} "
        f"({'met' if err_tem <= TARGET_MULTI_DIFF else 'NOT met'}) |",
        f"| max abs difference between tem's and pyxirr's roots (pyxirr's own error included) | {diff:.1e} | |",
        f"| rows where pyxirr gives a rate and tem reports several IRRs (status 3) | "
        f"{int((np.isfinite(reference) & (result.status == 3)).sum()):,} | |",
        "",
    ]


_STAGES = (  # (module, function, what it does): the stages of irr on rows with several sign changes
    ("tem.finance", "_irr", "the whole call (without the BLAS pin's entry)"),
    ("tem.finance.solver", "scaled", "scaling each row by a power of two"),
    ("tem.finance.grid", "align_right", "aligned copies of the rows certificate 1 leaves open"),
    ("tem.finance.certify", "sign_bits_t", "certificate 1: the certain signs at the coarse points (flows as laid out)"),
    ("tem.finance.grid", "grid_npv", "NPV at the coarse points of the rows left open (its calls include `grid_size`'s)"),
    ("tem.finance.grid", "grid_size", "PV of the absolute flows at the coarse points, rows left open"),
    ("tem.finance.certify", "classify_open", "the rows certificate 1 leaves open (in chunks): all of the below"),
    ("tem.finance.certify", "unsettled_cells", "certificate 2 on the coarse cells"),
    ("tem.finance.monotone", "certify_cells", "certificate 3 on the cells left open (durations: monotone, away from 0)"),
    ("tem.finance.monotone", "durations", "durations of the positive and negative parts (matrix products)"),
    ("tem.finance.monotone", "classify_certified", "status and bracket of the rows certificate 3 settles"),
    ("tem.finance.monotone", "_guess_crossings", "each crossing located from four points around the secant's root"),
    ("tem.finance.certify", "classify_read", "the rows certificate 3 does not settle, read further: all of the below"),
    ("tem.finance.certify", "_cell_values", "values inside open cells (every 8th point, then every point)"),
    ("tem.finance.certify", "_open_cells", "certificate 2 on the cells of 8 points"),
    ("tem.finance.certify", "_matters", "leaving out the points no rule reads"),
    ("tem.finance.grid", "classify_points", "the rules on the points kept (statuses, brackets)"),
    ("tem.finance.grid", "slopes", "slopes dR/d ln(1 + r) for near touches (inside the rules)"),
    ("tem.finance.solver", "solve", "Newton in the bracket and the NPV and flatness checks"),
)


def stage_lines() -> list[str]:
    """Section (d): where ``irr``'s time goes on the section (c) flows: cumulative CPU seconds of each stage under
    cProfile (its own overhead included: the shares, not the absolute times, are what it shows)."""
    import cProfile
    import importlib
    import pstats

    cf = several_sign_changes()
    irr(cf)
    n = 20
    profile = cProfile.Profile(time.process_time)
    profile.enable()
    for _ in range(n):
        irr(cf)
    profile.disable()
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    by_name = {(fn.__module__, fn.__name__): fn for fn in (getattr(importlib.import_module(m), f) for m, f, _ in _STAGES)}
    total = 0.0
    rows = []
    for (path, line, name), (_, calls, _, cumulative, _) in stats.items():
        for (module, fname), fn in by_name.items():
            code = fn.__code__
            if name == fname and path == code.co_filename and line == code.co_firstlineno:
                rows.append((module, fname, calls // n, cumulative / n))
                if fname == "_irr":
                    total = cumulative / n
    what = {(m, f): w for m, f, w in _STAGES}
    out = [
        "",
        "## (d) Where `irr`'s time goes on the section (c) flows",
        "",
        f"CPU time per call under cProfile (its overhead included; {n} calls; a stage's time includes the stages it "
        "calls, e.g. the rules include the slopes):",
        "",
        "| stage | what | calls per `irr` | ms per `irr` | share |",
        "|---|---|---|---|---|",
    ]
    order = {(m, f): i for i, (m, f, _) in enumerate(_STAGES)}
    for module, fname, calls, seconds in sorted(rows, key=lambda r: order[(r[0], r[1])]):
        share = f"{seconds / total:.0%}" if total else ""
        out.append(f"| `{fname}` | {what[(module, fname)]} | {calls} | {seconds * 1e3:.2f} | {share} |")
    return [*out, ""]


def _commit(tree: Path) -> str:
    import subprocess

    run = subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return run.stdout.strip() or "unknown"


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
    from tem.model.batch_inputs import rows_of, with_values
    from tem.model.engine import evaluate
    from tem.model.inputs import build_inputs

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


def main(against: Path | None = None) -> None:
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
    lines += multi_lines(against)
    lines += stage_lines()
    lines += [calibration_line(calibration()), ""]  # how fast the machine was (benchmarks/common.py)
    text = "\n".join(lines)
    (Path(__file__).parent / "RESULTS_finance.md").write_text(text)
    print(text)


def main_several(against: Path | None = None) -> None:
    """``--only-several``: sections (c) and (d) alone, written over their place in the results file (the rest of
    it, sections (a) and (b) with their calibration, stays as it was measured)."""
    path = Path(__file__).parent / "RESULTS_finance.md"
    text = path.read_text()
    start, end = text.index("\n## (c)"), text.index("\n**Calibration**")
    lines = [*multi_lines(against), *stage_lines()]
    cal = calibration_line(calibration()).replace("**Calibration**", "**Calibration of sections (c) and (d)**", 1)
    new = "\n".join([*lines, cal, "", "The calibration below is that of sections (a) and (b).", ""])
    path.write_text(text[:start] + new + text[end:])
    print(new)


if __name__ == "__main__":
    tree = Path(sys.argv[sys.argv.index("--against") + 1]) if "--against" in sys.argv else None
    if "--only-several" in sys.argv:
        main_several(tree)
    else:
        main(tree)
