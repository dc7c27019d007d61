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


def rank_contributions(
    samples: pd.DataFrame,
    labels: Sequence[str],
    kpis: pd.DataFrame,
    names: Sequence[str],
    sorted_columns: Sequence[SortedColumn] | None = None,
    ranks: np.ndarray | None = None,
    sorted_kpis: Mapping[str, SortedColumn] | None = None,
) -> pd.DataFrame:
    """Spearman rank correlation of each input with each KPI, and its squared share ``rho^2 / sum rho^2`` (the
    "contribution to variance" of @RISK and Crystal Ball), sorted by |rho| within each KPI. Scenarios where the
    KPI has no value (no IRR, never pays back) are left out of that KPI's correlations (the inputs are ranked
    again among the scenarios kept, once per distinct set of scenarios)."""
    xv = samples.to_numpy(dtype=float)
    cols = list(sorted_columns) if sorted_columns is not None else [SortedColumn.of(xv[:, j]) for j in range(xv.shape[1])]
    full = (
        ranks if ranks is not None else np.column_stack([c.ranks() for c in cols]) if cols else np.empty((len(samples), 0))
    )
    n = len(samples)
    values = {name: kpis[name].to_numpy(dtype=float) for name in names}
    masks = {name: np.isfinite(y) for name, y in values.items()}
    groups: dict[bytes, list[str]] = {}  # KPIs by the set of scenarios where they have a value
    for name in names:
        if masks[name].sum() >= 3:
            groups.setdefault(b"all" if masks[name].all() else np.packbits(masks[name]).tobytes(), []).append(name)

    def input_ranks(ok: np.ndarray, all_rows: bool) -> np.ndarray:
        """The inputs ranked among the scenarios kept (ties averaged)."""
        if all_rows:
            return full
        if not cols:
            return full[ok]
        if ok.sum() * 8 < n:  # few scenarios kept: sorting them is cheaper than a pass over all n
            return np.column_stack(map_columns(lambda j: SortedColumn.of(xv[ok, j]).ranks(), range(len(cols)), n))
        return np.column_stack(map_columns(lambda c: c.ranks(ok), cols, n))

    def group_correlations(key: bytes) -> np.ndarray:
        """rho (KPIs of the group x inputs): one matrix product of standardized ranks."""
        ok = masks[groups[key][0]]
        x = input_ranks(ok, key == b"all")
        y = _standardize(
            np.column_stack(
                [
                    (SortedColumn.of(values[name][ok]) if sorted_kpis is None else sorted_kpis[name]).ranks()
                    for name in groups[key]
                ]
            )
        )
        # y's columns sum to zero, so y.T @ x equals y.T @ (x centred): only x's column norms are needed
        mean = x.mean(axis=0)
        norm = np.sqrt(np.maximum(np.einsum("ij,ij->j", x, x) - x.shape[0] * mean * mean, 0.0))
        norm[x.min(axis=0) == x.max(axis=0)] = 0.0  # a constant input correlates 0 (no rounding residue)
        rho = np.divide(y.T @ x, norm, out=np.zeros((y.shape[1], x.shape[1])), where=norm > 0)
        return np.clip(rho, -1.0, 1.0)

    by_name: dict[str, np.ndarray] = {}
    for key, rho_group in zip(groups, map_columns(group_correlations, list(groups), n), strict=True):
        by_name |= dict(zip(groups[key], rho_group, strict=True))
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
                    "path": samples.columns[j],
                    "label": labels[j],
                    "spearman": float(rho[j]),
                    "share": float(share[j]),
                }
            )
    return pd.DataFrame(rows, columns=["kpi", "path", "label", "spearman", "share"])


def _standardize(x: np.ndarray) -> np.ndarray:
    """Columns centred and scaled to unit length (all zeros for a constant column), so that the Pearson
    correlation of two columns is their dot product."""
    xc = x - x.mean(axis=0)
    norm = np.sqrt(np.einsum("ij,ij->j", xc, xc))
    return np.divide(xc, norm, out=np.zeros_like(xc), where=norm > 0)
