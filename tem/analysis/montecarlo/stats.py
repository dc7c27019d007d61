"""Monte Carlo statistics over the scenarios: summary percentiles, the headline probabilities, convergence with N,
and contributions to variance by Spearman rank correlation. Pure functions of DataFrames."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from tem.analysis.montecarlo.correlation import SortedColumn
from tem.finance import IRR_STATUS
from tem.model.batch_runtime import map_columns

PERCENTILES = (5, 10, 50, 90, 95)
CONVERGENCE_STEPS = (100, 200, 500)


def kpi_unit(name: str) -> str:
    """The unit of a KPI from its name (the names carry their units)."""
    for suffix, unit in (
        ("_inr_cr", "INR crore"),
        ("_usd_m", "USD million"),
        ("_inr_per_kwh", "INR/kWh"),
        ("_usd_per_kwh", "USD/kWh"),
        ("_gwh", "GWh"),
        ("_fy", "FY"),
        ("_years", "years"),
    ):
        if name.endswith(suffix):
            return unit
    if name in ("irr", "mirr", "equity_irr") or name.startswith("dva_share"):
        return "fraction"
    return ""


def summarize(
    kpis: pd.DataFrame, names: Sequence[str], sorted_kpis: Mapping[str, SortedColumn] | None = None
) -> pd.DataFrame:
    """Per KPI: unit, mean, std, P5..P95, min, max, n_valid, n_missing (NaN: no IRR, never pays back...),
    p_below_zero (share of all scenarios). ``sorted_kpis``: each KPI's sort order over its valid scenarios
    (:func:`sort_kpis`), when already known; the numbers are the same either way."""
    rows = []
    for name in names:
        x = kpis[name].to_numpy(dtype=float)
        ok = x[np.isfinite(x)]
        row: dict[str, Any] = {"kpi": name, "unit": kpi_unit(name)}
        if ok.size:
            ordered = np.sort(ok) if sorted_kpis is None else ok[sorted_kpis[name].order]
            pct = percentiles_of_sorted(ordered, PERCENTILES)
            row |= {"mean": float(ok.mean()), "std": float(ok.std(ddof=1)) if ok.size > 1 else 0.0}
            row |= {f"p{p}": float(v) for p, v in zip(PERCENTILES, pct, strict=True)}
            row |= {"min": float(ordered[0]), "max": float(ordered[-1])}
        else:
            row |= dict.fromkeys(["mean", "std", *(f"p{p}" for p in PERCENTILES), "min", "max"], float("nan"))
        row |= {
            "n_valid": int(ok.size),
            "n_missing": int(x.size - ok.size),
            "p_below_zero": float(np.sum(ok < 0) / x.size) if x.size else float("nan"),
        }
        rows.append(row)
    return pd.DataFrame(rows).set_index("kpi")


def sort_kpis(kpis: pd.DataFrame, names: Sequence[str]) -> dict[str, SortedColumn]:
    """Each KPI's sort order over the scenarios where it has a value (shared by the summary and the rank
    contributions)."""
    n = len(kpis)

    def one(name: str) -> SortedColumn:
        x = kpis[name].to_numpy(dtype=float)
        return SortedColumn.of(x[np.isfinite(x)])

    return dict(zip(names, map_columns(one, list(names), n), strict=True))


def percentiles_of_sorted(sorted_values: np.ndarray, percents: Sequence[float]) -> np.ndarray:
    """``np.percentile(x, percents)`` (its default, linear interpolation) from ``x`` already sorted ascending:
    O(1) per percentile instead of a partition of the whole column. The same numbers, bit for bit."""
    n = sorted_values.size
    q = np.true_divide(np.asarray(percents, dtype=float), 100.0)
    virtual = (n - 1) * q
    previous = np.clip(np.floor(virtual).astype(np.intp), 0, n - 1)
    following = np.clip(previous + 1, 0, n - 1)
    gamma = virtual - np.floor(virtual)
    a, b = sorted_values[previous], sorted_values[following]
    diff = b - a
    out = a + diff * gamma
    return np.where(gamma >= 0.5, b - diff * (1 - gamma), out)


def headline(kpis: pd.DataFrame, hurdle_rate: float | np.ndarray) -> dict[str, Any]:
    """P(NPV < 0), P(incremental NPV < 0), P(IRR < hurdle) among scenarios with an IRR, and why IRRs are missing."""
    n = len(kpis)
    npv = kpis["npv_inr_cr"].to_numpy(dtype=float)
    inc = kpis["incremental_npv_vs_import_inr_cr"].to_numpy(dtype=float)
    irr = kpis["irr"].to_numpy(dtype=float)
    status = kpis["irr_status"].to_numpy(dtype=float).astype(int)
    valid = status == 0
    hurdle = np.broadcast_to(np.asarray(hurdle_rate, dtype=float), irr.shape)
    reasons = {IRR_STATUS[code]: int(np.sum(status == code)) for code in sorted(IRR_STATUS) if code != 0}
    return {
        "n": n,
        "p_npv_negative": float(np.mean(npv < 0)),
        "p_incremental_npv_negative": float(np.mean(inc < 0)),
        "hurdle_rate": float(hurdle.flat[0]) if np.ptp(hurdle) == 0 else "per scenario",
        "p_irr_below_hurdle": float(np.mean(irr[valid] < hurdle[valid])) if valid.any() else None,
        "n_with_irr": int(valid.sum()),
        "n_without_irr": int(n - valid.sum()),
        "without_irr_by_reason": {k: v for k, v in reasons.items() if v},
        "p_irr_below_hurdle_basis": "share of the scenarios that have an IRR (n_with_irr)",
    }


def convergence_steps(n: int) -> list[int]:
    """100, 200, 500, 1,000, 2,000, 5,000, ... below n, then n."""
    steps: list[int] = []
    scale = 1
    while True:
        for s in CONVERGENCE_STEPS:
            if s * scale >= n:
                return [*steps, n]
            steps.append(s * scale)
        scale *= 10


def convergence(
    kpis: pd.DataFrame, names: Sequence[str], steps: Sequence[int], summary: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Mean (with its standard error), P10, P50 and P90 of each KPI over the first N scenarios, for each N.

    The scenarios are in random order (Latin hypercube rows are randomly permuted), so the first N are a random
    subset; the estimates at the final N are those of the summary (taken from ``summary``, when given, rather
    than computed again)."""
    rows = []
    n_all = len(kpis)
    final: dict[Any, dict[Any, Any]] = {} if summary is None else dict(summary.to_dict(orient="index"))
    for name in names:
        x = kpis[name].to_numpy(dtype=float)
        for m in steps:
            if m >= n_all and final.get(name, {}).get("n_valid", 0) > 0:
                row = final[name]
                n_valid = int(row["n_valid"])
                rows.append(
                    {
                        "kpi": name,
                        "n": m,
                        "n_valid": n_valid,
                        "mean": float(row["mean"]),
                        "mean_standard_error": float(row["std"]) / np.sqrt(n_valid),
                        "p10": float(row["p10"]),
                        "p50": float(row["p50"]),
                        "p90": float(row["p90"]),
                    }
                )
                continue
            head = x[:m]
            ok = head[np.isfinite(head)]
            if ok.size == 0:
                rows.append({"kpi": name, "n": m, "n_valid": 0})
                continue
            p10, p50, p90 = np.percentile(ok, (10, 50, 90))
            sd = float(ok.std(ddof=1)) if ok.size > 1 else 0.0
            rows.append(
                {
                    "kpi": name,
                    "n": m,
                    "n_valid": int(ok.size),
                    "mean": float(ok.mean()),
                    "mean_standard_error": sd / np.sqrt(ok.size),
                    "p10": float(p10),
                    "p50": float(p50),
                    "p90": float(p90),
                }
            )
    return pd.DataFrame(rows)


def doubled_ranks(column: np.ndarray) -> np.ndarray:
    """``2 x`` the ranks 1..n of a column, ties averaged (so always an integer): int32, or int64 from 2^30 rows.
    Half the memory of float64 ranks, and exact."""
    return doubled_ranks_and_ties(column)[0]


def doubled_ranks_and_ties(column: np.ndarray) -> tuple[np.ndarray, bool]:
    """:func:`doubled_ranks` and whether the column has ties."""
    column = np.asarray(column, dtype=float)
    dtype = np.int32 if column.size < 2**30 else np.int64
    col = SortedColumn.of(column)
    if col.new_value.all():  # no ties: the doubled ranks 2, 4, ..., 2n in sorted order (no float copies)
        out = np.empty(column.size, dtype=dtype)
        out[col.order] = np.arange(2, 2 * column.size + 1, 2, dtype=dtype)
        return out, False
    ranks = col.ranks()
    del col
    ranks *= 2.0
    return ranks.astype(dtype), True


RANK_ROWS = 2**18  # rows per block when a statistic is accumulated over blocks of rows


def rank_correlation_of_doubled(ranks2: np.ndarray) -> np.ndarray:
    """Spearman rank correlation matrix ``(K, K)`` from the columns' doubled ranks ``(n, K)`` (as
    :func:`doubled_ranks`): the Pearson correlation of the ranks, accumulated over blocks of rows so that only
    one block is held in floating point. A constant column correlates 0 with the others."""
    n, k = ranks2.shape
    mean = (n + 1) / 2.0  # ranks (ties averaged) always sum to n(n+1)/2
    gram = np.zeros((k, k))
    for start in range(0, n, RANK_ROWS):
        centred = ranks2[start : start + RANK_ROWS].astype(float) * 0.5 - mean
        gram += centred.T @ centred
    norm = np.sqrt(np.clip(np.diag(gram), 0.0, None))
    safe = np.where(norm > 0, norm, 1.0)
    c = gram / np.outer(safe, safe)
    c[:, norm == 0] = 0.0
    c[norm == 0, :] = 0.0
    np.fill_diagonal(c, 1.0)
    return np.clip(c, -1.0, 1.0)


def _unit_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks of ``values`` (ties averaged), centred and scaled to unit length (zeros when constant)."""
    ranks = SortedColumn.of(values).ranks()
    ranks -= ranks.mean()  # in place: one array of the column's length at a time
    norm = np.sqrt(ranks @ ranks)
    if norm > 0:
        ranks /= norm
    else:
        ranks[:] = 0.0
    return ranks


def _rank_norm(x: np.ndarray) -> float:
    """Length of ``x - mean(x)``; 0 for a constant ``x`` (no rounding residue)."""
    if x.size == 0 or x.min() == x.max():
        return 0.0
    mean = x.mean()
    return float(np.sqrt(max(float(x @ x) - x.size * mean * mean, 0.0)))


def subset_ranks(r2: np.ndarray, ok: np.ndarray, ties: bool = True) -> np.ndarray:
    """Ranks 1..m among the rows where ``ok`` is true, from a column's doubled ranks over all rows (ties averaged):
    O(n) without a sort when the column has no ties (its doubled ranks are then 2, 4, ..., 2n)."""
    if ties:
        return SortedColumn.of(r2[ok].astype(float)).ranks()
    n = r2.size
    order = np.empty(n, dtype=np.intp)
    order[r2 // 2 - 1] = np.arange(n)
    kept = order[ok[order]]
    ranked = np.empty(n)
    ranked[kept] = np.arange(1.0, kept.size + 1.0)
    return ranked[ok]


def rank_contributions(
    samples: pd.DataFrame,
    labels: Sequence[str],
    kpis: pd.DataFrame,
    names: Sequence[str],
    ranks2: np.ndarray | None = None,
    ties: Sequence[bool] | None = None,
    sorted_kpis: Mapping[str, SortedColumn] | None = None,
) -> pd.DataFrame:
    """Spearman rank correlation of each input with each KPI, and its squared share ``rho^2 / sum rho^2`` (the
    "contribution to variance" of @RISK and Crystal Ball), sorted by |rho| within each KPI. Scenarios where the
    KPI has no value (no IRR, never pays back) are left out of that KPI's correlations (the inputs are ranked
    again among the scenarios kept, once per distinct set of scenarios kept).

    Bounded memory, for any number of scenarios: the inputs' ranks are held as exact integers (``ranks2``, from
    :func:`doubled_ranks`, computed here when not given; ``ties``: whether each input column has ties) and one
    KPI's ranks at a time (``sorted_kpis``: each KPI's sort order over its valid scenarios, when known)."""
    n = len(samples)
    paths = list(samples.columns)
    if ranks2 is None:
        ranks2 = np.empty((n, len(paths)), dtype=np.int64, order="F")
        for j, p in enumerate(paths):
            ranks2[:, j] = doubled_ranks(samples[p].to_numpy(dtype=float))
        ties = None
    has_ties = list(ties) if ties is not None else [True] * len(paths)
    groups: dict[bytes, list[str]] = {}  # KPIs by the set of scenarios where they have a value
    for name in names:
        ok = np.isfinite(kpis[name].to_numpy(dtype=float))
        if ok.sum() >= 3:
            groups.setdefault(b"all" if ok.all() else np.packbits(ok).tobytes(), []).append(name)

    def unit_ranks(name: str, ok: np.ndarray | None) -> np.ndarray:
        if sorted_kpis is not None:
            ranks = sorted_kpis[name].ranks()
            ranks -= ranks.mean()
            norm = np.sqrt(ranks @ ranks)
            return ranks / norm if norm > 0 else np.zeros_like(ranks)
        values = kpis[name].to_numpy(dtype=float)
        return _unit_ranks(values if ok is None else values[ok])

    by_name: dict[str, np.ndarray] = {}
    for key, group in groups.items():
        if key == b"all":  # one KPI at a time against the inputs' ranks over every scenario
            norms = np.array([_rank_norm(ranks2[:, j] * 0.5) for j in range(len(paths))])
            for name in group:
                y = unit_ranks(name, None)
                rho = np.zeros(len(paths))
                for col in np.flatnonzero(norms > 0):
                    rho[col] = (y @ (ranks2[:, col] * 0.5)) / norms[col]
                by_name[name] = np.clip(rho, -1.0, 1.0)
            continue
        ok = np.isfinite(kpis[group[0]].to_numpy(dtype=float))
        ys = [unit_ranks(name, ok) for name in group]  # the scenarios kept are few, or the KPIs of this group are
        rhos = np.zeros((len(group), len(paths)))
        for j in range(len(paths)):
            x = subset_ranks(ranks2[:, j], ok, has_ties[j])  # the input ranked among the scenarios kept
            norm = _rank_norm(x)
            if norm > 0:
                for g, y in enumerate(ys):
                    rhos[g, j] = (y @ x) / norm
        for g, name in enumerate(group):
            by_name[name] = np.clip(rhos[g], -1.0, 1.0)
    rows = []
    for name in (name for name in names if name in by_name):
        rho = by_name[name]
        sq = rho**2
        total = sq.sum()
        share = sq / total if total > 0 else np.zeros_like(sq)
        order = np.argsort(-np.abs(rho), kind="stable")
        for j in order:
            rows.append(
                {
                    "kpi": name,
                    "path": paths[j],
                    "label": labels[j],
                    "spearman": float(rho[j]),
                    "share": float(share[j]),
                }
            )
    return pd.DataFrame(rows, columns=["kpi", "path", "label", "spearman", "share"])
