"""Breakevens for the board summary: the value of an input at which a KPI reaches its target, by goal seek in the
same run (several targets per input from the same batches).

Search: the KPIs on a grid of ``GRID`` points over the range in one engine batch; the first sign change of
``KPI - target`` brackets the root; the bracket is refined by further grids (``ROUNDS`` in all, each a batch)
and the root is the secant of the last bracket. A KPI that is not defined at a grid point (an IRR that does
not exist) is skipped there. ``None`` when the KPI does not reach its target in the range ("none in range"),
with the reason read from the first grid (:func:`why_none`, :func:`pli_caps`).

Inputs moved (:func:`breakevens`):

* the imported cell price: the FOB path of the reference cell scaled so that its first year is ``x`` (every
  segment's cell follows it: segment cells are factors on the reference);
* the local-supply price premium: ``x`` points added in every year to the price premium of each segment priced
  at import parity (the premium India-made packs fetch over the landed imported pack); the value shown is the
  first-year premium of the first such segment after the shift;
* production support per kWh: the ACC PLI rate, with the PLI switched on and its own terms (DVA thresholds,
  term, revenue and total caps) as in the assumptions.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from tem import catalogue
from tem.assumptions.schema import Assumptions
from tem.exports.board import Breakeven
from tem.model.batch_inputs import with_values
from tem.model.engine import run_batch_inputs, run_inputs
from tem.model.inputs import Inputs, build_inputs

FOB = "cells.imported.fob_price_usd_per_kwh"
PLI = "cells.local.pli."
GRID = 41
ROUNDS = 5
Values = Callable[[np.ndarray], dict[str, np.ndarray]]


@dataclass(frozen=True)
class Target:
    kpi: str
    value: float
    label: str


def _first(a: np.ndarray) -> float:
    return float(np.asarray(a, dtype=float).reshape(-1)[0])


def seek(inp: Inputs, values: Values, targets: Sequence[Target], low: float, high: float) -> list[float | None]:
    """For each target, the ``x`` in ``[low, high]`` at which its KPI equals its value (None: not reached)."""
    return seek_all(inp, [Search(values, tuple(targets), low, high)])[0]


@dataclass(frozen=True)
class Search:
    """One input's goal seeks: ``values(xs)`` gives the inputs of scenarios at ``xs``; ``targets`` are sought in
    ``[low, high]``."""

    values: Values
    targets: tuple[Target, ...]
    low: float
    high: float


def seek_all(
    inp: Inputs, searches: Sequence[Search], as_run: Mapping[str, float] | None = None
) -> list[list[float | None]]:
    """:func:`seek` of several inputs at once (see :func:`seek_searches`): the values found."""
    return seek_searches(inp, searches, as_run)[0]


def seek_searches(
    inp: Inputs, searches: Sequence[Search], as_run: Mapping[str, float] | None = None
) -> tuple[list[list[float | None]], list[dict[str, np.ndarray]]]:
    """:func:`seek` of several inputs at once, each round of every search in one engine batch (an engine call
    costs about as much for 2 scenarios as for 400): the same grids, brackets and secants, so the same values
    bit for bit as searching each target alone (batches equal single runs; each scenario's inputs not moved by
    its search are the assumptions' own). Per target: a ``GRID``-point grid over ``[low, high]``; the first sign
    change of ``KPI - target`` brackets the root; ``ROUNDS - 1`` finer grids in the bracket (a grid without a
    sign change keeps the bracket found: the KPI jumps); the root is the secant of the last bracket.

    ``as_run``: the gate decisions of the run (``gate_passed_<phase>`` KPIs, 1 or 0); a root counts only between
    neighbouring grid points where every gate decides as in the run, so a breakeven is the program's as run, never
    a program whose gate closes (or opens) at that price (its KPIs jump there).

    Also returns each search's KPIs on its first grid (what :func:`why_none` reads)."""
    first = _batch(inp, searches, [(i, np.linspace(sr.low, sr.high, GRID)) for i, sr in enumerate(searches)])
    brackets: dict[tuple[int, int], tuple[float, float]] = {}
    for i, sr in enumerate(searches):
        xs = np.linspace(sr.low, sr.high, GRID)
        for j, target in enumerate(sr.targets):
            found = _bracket(xs, first[i][target.kpi] - target.value, _as_run(first[i], as_run))
            if found is not None:
                brackets[i, j] = found
    refining = list(brackets)
    for _ in range(ROUNDS - 1):
        if not refining:
            break
        grids = {key: np.linspace(*brackets[key], GRID) for key in refining}
        kpis = _batch(inp, searches, [(key[0], grids[key]) for key in refining])
        still = []
        for key, k in zip(refining, kpis, strict=True):
            target = searches[key[0]].targets[key[1]]
            inner = _bracket(grids[key], k[target.kpi] - target.value, _as_run(k, as_run))
            if inner is not None:  # else the KPI jumps (e.g. an IRR that stops existing): keep the bracket found
                brackets[key] = inner
                still.append(key)
        refining = still
    ends = _batch(inp, searches, [(key[0], np.array(brackets[key])) for key in brackets])
    out: list[list[float | None]] = [[None] * len(sr.targets) for sr in searches]
    for key, k in zip(brackets, ends, strict=True):
        a, b = brackets[key]
        target = searches[key[0]].targets[key[1]]
        fa, fb = (k[target.kpi] - target.value).tolist()
        out[key[0]][key[1]] = a if fa == 0 else (b if fb == 0 or fa == fb else a - fa * (b - a) / (fb - fa))
    return out, first


def _batch(inp: Inputs, searches: Sequence[Search], parts: Sequence[tuple[int, np.ndarray]]) -> list[dict[str, np.ndarray]]:
    """The KPIs of every part (search index, points) from one engine batch: the parts' scenarios one after the
    other, each input a part does not move at the assumptions' own value."""
    if not parts:
        return []
    moved = [searches[i].values(xs) for i, xs in parts]
    sizes = [xs.size for _, xs in parts]
    columns: dict[str, np.ndarray] = {}
    for key in dict.fromkeys(k for m in moved for k in m):
        shape = next(np.shape(m[key])[1:] for m in moved if key in m)
        own = np.broadcast_to(np.asarray(inp.arrays[key], dtype=float).reshape((1, *shape) if shape else (1,)), (1, *shape))
        rows = zip(moved, sizes, strict=True)
        columns[key] = np.concatenate([np.asarray(m[key], float) if key in m else np.repeat(own, n, 0) for m, n in rows])
    kpis = run_batch_inputs(inp, columns, workers=1, funded=False)
    cuts = np.cumsum([0, *sizes])
    return [{name: v[lo:hi] for name, v in kpis.items()} for lo, hi in itertools.pairwise(cuts)]


def _as_run(kpis: Mapping[str, np.ndarray], as_run: Mapping[str, float] | None) -> np.ndarray | None:
    """Which scenarios' gates all decide as in the run (None: no gate, every scenario does)."""
    if not as_run:
        return None
    return np.all([np.asarray(kpis[gate]) == decided for gate, decided in as_run.items()], axis=0)


def _bracket(xs: np.ndarray, f: np.ndarray, same: np.ndarray | None = None) -> tuple[float, float] | None:
    """The first grid cell where ``f`` changes sign (or is zero), skipping points where it is undefined; with
    ``same`` (the points whose gates decide as in the run), only between points with no other decision at or
    between them."""
    ok = np.flatnonzero(np.isfinite(f))
    if not np.any(f[ok] != 0):  # the KPI does not depend on the input (e.g. no segment it applies to): no breakeven
        return None
    if same is not None:
        ok = ok[same[ok]]
        between = np.concatenate([[0], np.cumsum(~same)])  # points of another decision up to each point
    for i, j in itertools.pairwise(ok):
        if same is not None and between[j + 1] != between[i]:
            continue  # a gate decides otherwise at or between them: the KPI jumps there, not a root
        if f[i] == 0:
            return float(xs[i]), float(xs[i])
        if f[i] * f[j] < 0:
            return float(xs[i]), float(xs[j])
    if ok.size and f[ok[-1]] == 0:
        return float(xs[ok[-1]]), float(xs[ok[-1]])
    return None


def why_none(
    xs: np.ndarray,
    kpis: Mapping[str, np.ndarray],
    target: Target,
    kind: str | None,
    as_run: Mapping[str, float] | None,
    what: str = "a value",
) -> str:
    """Why no breakeven was found, from the KPIs on the first grid ``xs``: the KPI reaches its target only where a
    gate decides otherwise than in the run (and where that gate flips, to the grid's step), or it never exists,
    does not move, or stays on one side of the target (and how close it comes)."""
    name = catalogue.label(target.kpi)
    f = np.asarray(kpis[target.kpi], dtype=float) - target.value
    flips = gate_flips(xs, kpis, as_run, kind, what) if as_run and _bracket(xs, f) is not None else []
    if flips:
        return "none with the gates as run; " + "; ".join(flips)
    finite = np.isfinite(f)
    if not finite.any():
        return f"{name} does not exist anywhere in the range"
    where = "" if finite.all() else " where it exists"
    seen = np.asarray(kpis[target.kpi], dtype=float)[finite]

    def shown(v: float) -> str:
        return catalogue.format_value(target.kpi, v, with_unit=True)

    if np.ptp(seen) <= 1e-9 * max(1.0, float(np.max(np.abs(seen)))):
        return f"{name} does not move over the range{where} (it stays at {shown(float(seen[0]))})"
    below = bool(np.all(f[finite] < 0))
    closest = float(seen.max() if below else seen.min())
    return (
        f"{name} stays {'below' if below else 'above'} {shown(target.value)} over the range{where} "
        f"(at {'most' if below else 'least'} {shown(closest)})"
    )


def gate_flips(
    xs: np.ndarray, kpis: Mapping[str, np.ndarray], as_run: Mapping[str, float], kind: str | None, what: str = "a value"
) -> list[str]:
    """Where each gate decides otherwise than in the run along the grid ``xs``: "cell plant 1's gate closes below
    an FY26 price between 46.9 and 50.3 USD/kWh" (``what``: the input as the grid holds it), located between two
    neighbouring grid points (the grid's step is the resolution)."""
    out = []
    for gate, decided in as_run.items():
        other = np.asarray(kpis[gate]) != decided
        if not other.any():
            continue
        verb = "closes" if decided else "opens"
        phase = catalogue.phase_label(gate.removeprefix("gate_passed_"))
        for i in np.flatnonzero(other[:-1] != other[1:]):
            lo = catalogue.format_kind(kind, float(xs[i]))
            hi = catalogue.format_kind(kind, float(xs[i + 1]), with_unit=True)
            side = "below" if other[i] else "above"
            out.append(f"{phase}'s gate {verb} {side} {what} between {lo} and {hi} (the search grid's step)")
        if other.all():
            out.append(f"{phase}'s gate {verb} across the whole range")
    return out


def pli_caps(inp: Inputs, xs: np.ndarray, closed: Sequence[str] = ()) -> str:
    """Which cap of the PLI stops the support paid from growing with its rate over the grid ``xs`` (and from
    where, to the grid's step): the total cap (``total_cap_inr_cr``) or the yearly cap (``revenue_cap_share`` of
    the local cells' market value); "" when neither binds. ``closed``: the phases whose gate closes in the run
    (named, as they leave few local cells to earn the support). One engine batch: each rate as in the
    assumptions, without the total cap, and without either."""
    n = xs.size
    share = _first(inp.arrays[PLI + "revenue_cap_share"])
    values = {
        PLI + "rate_inr_per_kwh": np.tile(xs, 3),
        PLI + "enabled": np.ones(3 * n),
        PLI + "revenue_cap_share": np.concatenate([np.full(2 * n, share), np.ones(n)]),
    }
    total = PLI + "total_cap_inr_cr"
    cap = _first(inp.arrays[total]) if total in inp.arrays else None
    if cap is not None:
        values[total] = np.concatenate([np.full(n, cap), np.full(2 * n, UNCAPPED_INR_CR)])
    outcome, _ = run_inputs(with_values(inp, values), full_counterfactual=False)
    paid, no_total, no_caps = np.asarray(outcome.operations.pli_incentive).sum(axis=1).reshape(3, n)
    most = catalogue.format_value("npv_inr_cr", float(paid.max()), with_unit=True)
    for binds, what in (
        (paid < no_total * (1 - 1e-9), f"total cap of INR {cap or 0:,.0f} crore"),
        (no_total < no_caps * (1 - 1e-9), f"yearly cap ({share:.0%} of the local cells' market value)"),
    ):
        if binds.any():
            i = int(np.flatnonzero(binds)[0])
            at = catalogue.format_kind("inr_kwh", float(xs[i]), with_unit=True)
            start = catalogue.format_kind("inr_kwh", float(xs[i - 1]), with_unit=False) if i else ""
            where = f"from a rate between {start} and {at} upward (the search grid's step)" if i > 1 else "across the range"
            built = f" ({', '.join(closed)} not built in this run: its gate closes)" if closed else ""
            return f"the PLI's {what} binds {where}: at most {most} paid over its term{built}"
    return ""


UNCAPPED_INR_CR = 1.0e12  # a total cap no support reaches


def breakevens(a: Assumptions, hurdle: float) -> tuple[Breakeven, ...]:
    """The breakevens of the summary page (module docstring): each input for NPV = 0 and IRR = hurdle; the
    imported cell price also for "localizing adds nothing" (NPV against the import-only counterfactual = 0).
    Each one not found says why (:func:`why_none`; for the PLI rate, which of its caps binds: :func:`pli_caps`)."""
    inp = build_inputs(a)
    program = [Target("npv_inr_cr", 0.0, "NPV = 0"), Target("irr", hurdle, f"IRR = hurdle ({hurdle:.1%})")]
    out: list[Breakeven] = []
    run = run_batch_inputs(inp, None, workers=1, funded=False)
    as_run = {k: float(v.reshape(-1)[0]) for k, v in run.items() if k.startswith("gate_passed_")}
    gated = "the gates deciding as in the run" if as_run else ""

    pending: list[tuple[Search, Callable[[list[float | None], dict[str, np.ndarray]], None]]] = []

    def add(
        label: str,
        kind: str,
        base: float,
        values: Values,
        targets: list[Target],
        span: tuple[float, float],
        shown: Callable[[float], float] = lambda x: x,
        note: str = "",
        caps: Callable[[np.ndarray], str] | None = None,
        what: str = "a value",
    ) -> None:
        def record(found: list[float | None], grid_kpis: dict[str, np.ndarray]) -> None:
            xs = np.linspace(*span, GRID)
            shown_xs = np.array([shown(float(x)) for x in xs])
            capped = caps(xs) if caps is not None and None in found else ""
            for t, x in zip(targets, found, strict=True):
                value = None if x is None else shown(x)
                searched = (shown(span[0]), shown(span[1]))
                said = "; ".join(filter(None, (note, gated)))
                reasons = () if x is not None else (why_none(shown_xs, grid_kpis, t, kind, as_run, what), capped)
                why = "; ".join(filter(None, reasons))
                out.append(Breakeven(label, t.label, t.kpi, t.value, kind, shown(base), value, searched, said, why))

        pending.append((Search(values, tuple(targets), *span), record))

    fob = np.asarray(inp.arrays[FOB], dtype=float).reshape(1, -1)
    fob0 = _first(fob)
    fy0 = f"FY{inp.structure.first_fy % 100:02d}"
    add(
        f"Imported cell price (FOB, {fy0}; whole path scaled)",
        "usd_kwh",
        fob0,
        lambda xs: {FOB: fob * (xs / fob0)[:, None]},
        [Target("incremental_npv_vs_import_inr_cr", 0.0, "localizing adds nothing (NPV vs import-only = 0)"), *program],
        (0.25 * fob0, 3.0 * fob0),
        what=f"an {fy0} price",
    )
    parity = [s for s in inp.structure.segments if inp.structure.price_rules[s] == "import_parity"]
    if parity:
        paths = {s: f"demand.{s}.price_premium" for s in parity}
        n_t = inp.structure.n_years
        base = {
            s: np.broadcast_to(np.asarray(inp.arrays[p], dtype=float).reshape(1, -1), (1, n_t)) for s, p in paths.items()
        }
        start = _first(base[parity[0]])
        # every year's premium stays within what an assumption file may hold (at most 1: BatchInputError above)
        room = float(inp.bounds[paths[parity[0]]][1] or 1.0) - max(float(np.max(b)) for b in base.values())
        add(
            "Local-supply price premium over the landed imported pack ("
            + ", ".join(catalogue.SEGMENT_LABELS.get(s, s) for s in parity)
            + f"; {fy0})",
            "rate",
            0.0,
            lambda xs: {paths[s]: base[s] + xs[:, None] for s in parity},
            program,
            (-0.5 - min(0.0, start), min(1.0, room)),
            shown=lambda x: start + x,
            note="every year's premium moved by the same points",
            what=f"an {fy0} premium",
        )
    if PLI + "rate_inr_per_kwh" in inp.arrays and "cells.local.technology_fee_usd_m" in inp.arrays:
        closed = [catalogue.phase_label(g.removeprefix("gate_passed_")) for g, v in as_run.items() if v < 0.5]
        rate = _first(inp.arrays[PLI + "rate_inr_per_kwh"])
        on = _first(inp.arrays[PLI + "enabled"]) > 0.5
        add(
            "Production support per kWh of local cells (ACC PLI rate" + ("" if on else ", if the PLI were won") + ")",
            "inr_kwh",
            rate if on else 0.0,
            lambda xs: {PLI + "rate_inr_per_kwh": xs, PLI + "enabled": np.ones_like(xs)},
            program,
            (0.0, max(4.0 * rate, 10000.0)),
            note="with the PLI's DVA thresholds, term and caps",
            caps=lambda xs: pli_caps(inp, xs, closed),
            what="a PLI rate",
        )
    found, grids = seek_searches(inp, [sr for sr, _ in pending], as_run)
    for (_, record), values_found, grid_kpis in zip(pending, found, grids, strict=True):
        record(values_found, grid_kpis)
    return tuple(out)
