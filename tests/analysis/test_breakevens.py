"""tem/analysis/breakevens.py: the goal seeks of every input share their engine batches (one per round) and
give the same values bit for bit as searching each target alone; a search never leaves an input's allowed
range (a scenario whose premium is already positive kept no breakeven at all when the search pushed it past 1)."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

import tem
import tem.analysis.breakevens as be
from tem.errors import BatchInputError
from tem.model.engine import run_batch_inputs
from tem.model.inputs import build_inputs

ROOT = Path(__file__).parents[2]
SCENARIOS = ROOT / "assumptions" / "scenarios"


def decisions(inp, xs, values):
    k = run_batch_inputs(inp, values(xs), workers=1)
    gates = sorted(g for g in k if g.startswith("gate_passed_"))
    return [tuple(float(k[g][i]) for g in gates) for i in range(xs.size)], k


def bracket_as_run(xs, f, dec, run):
    """The first sign change of f between finite points, every point from the one to the other (the skipped
    undefined ones included) deciding its gates as in the run."""
    finite = [i for i in range(xs.size) if np.isfinite(f[i])]
    if all(f[i] == 0 for i in finite):
        return None
    kept = [i for i in finite if run is None or dec[i] == run]
    for i, j in itertools.pairwise(kept):
        if run is not None and any(dec[m] != run for m in range(i, j + 1)):
            continue
        if f[i] == 0:
            return float(xs[i]), float(xs[i])
        if f[i] * f[j] < 0:
            return float(xs[i]), float(xs[j])
    if kept and f[kept[-1]] == 0:
        return float(xs[kept[-1]]), float(xs[kept[-1]])
    return None


def one_target_alone(inp, values, target, low, high, run=None):
    xs = np.linspace(low, high, be.GRID)
    dec, k = decisions(inp, xs, values)
    lo_hi = bracket_as_run(xs, k[target.kpi] - target.value, dec, run)
    if lo_hi is None:
        return None
    a, b = lo_hi
    for _ in range(be.ROUNDS - 1):
        grid = np.linspace(a, b, be.GRID)
        dec, k = decisions(inp, grid, values)
        inner = bracket_as_run(grid, k[target.kpi] - target.value, dec, run)
        if inner is None:
            break
        a, b = inner
    fa, fb = (run_batch_inputs(inp, values(np.array([a, b])), workers=1)[target.kpi] - target.value).tolist()
    return a if fa == 0 else (b if fb == 0 or fa == fb else a - fa * (b - a) / (fb - fa))


def run_decisions(inp):
    k = run_batch_inputs(inp, None, workers=1)
    return tuple(float(k[g][0]) for g in sorted(g for g in k if g.startswith("gate_passed_")))


@pytest.mark.parametrize(
    "path", ["base.yaml", "scenarios/pli_win.yaml", "scenarios/local_premium.yaml", "scenarios/duty_hike.yaml"]
)
def test_shared_batches_give_what_each_target_gives_alone(path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    a = tem.load(ROOT / "assumptions" / path)
    inp = build_inputs(a)
    searches: list[be.Search] = []
    real = be.seek_searches
    monkeypatch.setattr(be, "seek_searches", lambda i, s, g=None: searches.extend(s) or real(i, s, g))
    calls = []
    engine = be.run_batch_inputs
    monkeypatch.setattr(be, "run_batch_inputs", lambda *x, **k: calls.append(1) or engine(*x, **k))
    found = be.breakevens(a, float(a.valuation.hurdle_rate))
    assert len(searches) == 3
    assert len(calls) <= be.ROUNDS + 2  # the run's gates, then one batch per round
    run = run_decisions(inp)
    alone = [one_target_alone(inp, s.values, t, s.low, s.high, run) for s in searches for t in s.targets]
    assert [x is None for x in alone] == [b.value is None for b in found]
    assert sum(x is not None for x in alone) >= 4  # the check compares real roots
    for b, ref in zip(found, alone, strict=True):
        if ref is None:
            continue
        if b.kind == "rate":  # shown as the first year's premium, start + x: one rounding of the display
            assert b.value - b.base_value == pytest.approx(ref, abs=1e-15)
        else:
            assert b.value == ref  # bit for bit


def test_every_searched_scenario_stays_within_the_allowed_values(monkeypatch: pytest.MonkeyPatch) -> None:
    """local_premium prices energy storage and OEM packs above import parity: moving the premium up by 1 took it
    past 1 (BatchInputError) and the summary showed no breakeven at all."""
    a = tem.load(SCENARIOS / "local_premium.yaml")
    inp = build_inputs(a)
    seen: list[dict[str, np.ndarray]] = []
    engine = be.run_batch_inputs
    monkeypatch.setattr(be, "run_batch_inputs", lambda i, v, **k: seen.append(v or {}) or engine(i, v, **k))
    found = be.breakevens(a, float(a.valuation.hurdle_rate))
    assert {b.input_label.split(" (")[0] for b in found} == {
        "Imported cell price",
        "Local-supply price premium over the landed imported pack",
        "Production support per kWh of local cells",
    }
    for values in seen:
        for path, arr in values.items():
            lo, hi = inp.bounds.get(path, (None, None))
            assert hi is None or float(np.max(arr)) <= hi, path
            assert lo is None or float(np.min(arr)) >= lo, path
    premium = [b for b in found if b.kind == "rate"]
    assert premium
    assert all(b.searched[1] <= 1.0 for b in premium)


def test_a_rate_out_of_range_in_a_batch_is_named_as_a_rate() -> None:
    inp = build_inputs(tem.load(ROOT / "assumptions" / "base.yaml"))
    path = "demand.external_oem.price_premium"
    with pytest.raises(BatchInputError) as err:
        run_batch_inputs(inp, {path: np.full((1, inp.structure.n_years), 1.5)}, workers=1)
    assert str(err.value).startswith(f"{path}: 1.5 is outside (-1, 1]")


def test_grids_of_one_search_are_unchanged() -> None:
    """seek() of one input is seek_all() of that input alone: the same points as the module docstring says."""
    inp = build_inputs(tem.load(ROOT / "assumptions" / "base.yaml"))
    fob = np.asarray(inp.arrays[be.FOB], dtype=float).reshape(1, -1)
    fob0 = float(fob.reshape(-1)[0])
    target = be.Target("npv_inr_cr", 0.0, "NPV = 0")
    values = lambda xs: {be.FOB: fob * (xs / fob0)[:, None]}  # noqa: E731
    assert be.seek(inp, values, [target], 0.25 * fob0, 3 * fob0) == [
        one_target_alone(inp, values, target, 0.25 * fob0, 3 * fob0)
    ]


def test_a_breakeven_is_the_program_as_run_not_one_whose_gate_decides_otherwise() -> None:
    """duty_hike: below USD 50 the FY28 gate closes cell plant 1 and NPV jumps up by about 1,800 crore; the
    search from the bottom used to report NPV = 0 at USD 15.3, a program without the plant, while the program as
    run (with it) breaks even near USD 69.5."""
    a = tem.load(SCENARIOS / "duty_hike.yaml")
    inp = build_inputs(a)
    run = run_decisions(inp)
    assert run  # the scenario has a gate
    found = {b.target_label: b for b in be.breakevens(a, float(a.valuation.hurdle_rate)) if b.kind == "usd_kwh"}
    npv0 = found["NPV = 0"]
    assert npv0.value is not None
    assert npv0.value > npv0.base_value
    assert "gates deciding as in the run" in npv0.note
    fob = np.asarray(inp.arrays[be.FOB], dtype=float).reshape(1, -1)
    k = run_batch_inputs(inp, {be.FOB: fob * (npv0.value / float(fob[0, 0]))}, workers=1)
    assert abs(float(k["npv_inr_cr"][0])) < 1.0  # INR crore: the root of the program as run
    assert tuple(float(k[g][0]) for g in sorted(g for g in k if g.startswith("gate_passed_"))) == run
