"""The value of flexibility: the gated program against the committed one (every gate forced open), scenario by
scenario on the same draws (README, "Value of flexibility").

For NPV ``G`` (gated) and ``C`` (committed) over the same ``n`` scenarios:

* value of flexibility = ``mean(G) - mean(C)`` = ``mean(G - C)``; standard error ``sd(G - C) / sqrt(n)`` (paired);
* the same difference for P10, P50, P90 (percentiles as in the Monte Carlo summary: linear interpolation,
  numpy's default) with a paired standard error from the quantiles' influence functions (Bahadur): for
  ``psi_i = s_G (p - 1[G_i <= q_G]) - s_C (p - 1[C_i <= q_C])`` the error is ``sd(psi) / sqrt(n)``, with the
  sparsity ``s = 1 / density`` at the quantile estimated by ``(Q(p + h) - Q(p - h)) / 2h`` and the Hall-Sheather
  bandwidth ``h`` (Koenker, *Quantile Regression*, 2005, section 3.4);
* P(NPV < 0): ``mean(1[G < 0]) - mean(1[C < 0])``, standard error ``sd(1[G < 0] - 1[C < 0]) / sqrt(n)``;
* per gate, P(passes) = the share of scenarios where it passes, standard error ``sqrt(p (1 - p) / n)``, and the
  value of each branch: mean NPV where it passes (go) and where it fails (no go), and the mean committed NPV where
  it fails (what building anyway would have given there).

Pure functions of arrays; :func:`value_of_flexibility` works on any batch whose KPIs include
``committed_npv_inr_cr`` and ``gate_passed_<phase>`` (the engine adds them when the assumptions have gates).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy.stats import norm

from tem import catalogue
from tem.analysis.montecarlo.stats import percentiles_of_sorted
from tem.assumptions.schema import Assumptions

STATISTICS = ("mean", "p10", "p50", "p90", "p_npv_below_zero")
GATE_COLUMNS = [
    "phase",
    "decided",
    "conditions",
    "p_pass",
    "standard_error",
    "npv_if_go_inr_cr",
    "npv_if_no_go_inr_cr",
    "committed_npv_if_no_go_inr_cr",
]
GATE_PREFIX = "gate_passed_"


@dataclass(frozen=True)
class Flexibility:
    """``comparison``: one row per statistic (mean, p10, p50, p90, p_npv_below_zero) with columns committed,
    gated, value (gated - committed) and standard_error; ``gates``: :data:`GATE_COLUMNS` (decided and conditions
    are filled by :func:`describe_gates` when the assumptions are known)."""

    n: int
    comparison: pd.DataFrame
    gates: pd.DataFrame

    @property
    def value_inr_cr(self) -> float:
        return float(np.asarray(self.comparison.loc["mean", "value"]))

    @property
    def standard_error_inr_cr(self) -> float:
        return float(np.asarray(self.comparison.loc["mean", "standard_error"]))

    def document(self) -> dict[str, object]:
        rows = {k: {c: float(v) for c, v in row.items()} for k, row in self.comparison.iterrows()}
        return {"n": self.n, "comparison": rows, "gates": self.gates.to_dict(orient="records")}


def hall_sheather_bandwidth(n: int, p: float, alpha: float = 0.05) -> float:
    """Bandwidth for the sparsity at quantile ``p`` (Hall and Sheather 1988; Koenker 2005, eq. 3.18)."""
    z = norm.ppf(1.0 - alpha / 2.0)
    x = norm.ppf(p)
    return float(n ** (-1.0 / 3.0) * z ** (2.0 / 3.0) * (1.5 * norm.pdf(x) ** 2 / (2.0 * x**2 + 1.0)) ** (1.0 / 3.0))


def _quantile_and_influence(x: np.ndarray, ordered: np.ndarray, p: float) -> tuple[float, np.ndarray]:
    """The ``p`` quantile (percent ``100 p``) and each scenario's influence on it, ``s (p - 1[x <= q])``."""
    n = ordered.size
    q = float(percentiles_of_sorted(ordered, (100.0 * p,))[0])
    h = min(hall_sheather_bandwidth(n, p), p, 1.0 - p) * 0.999
    lo, hi = percentiles_of_sorted(ordered, (100.0 * (p - h), 100.0 * (p + h)))
    sparsity = (float(hi) - float(lo)) / (2.0 * h)
    return q, sparsity * (p - (x <= q))


def value_of_flexibility(
    gated_npv: np.ndarray, committed_npv: np.ndarray, gate_passed: Mapping[str, np.ndarray] | None = None
) -> Flexibility:
    """Committed against gated NPV on the same scenarios (module docstring for every formula)."""
    g = np.asarray(gated_npv, dtype=float)
    c = np.asarray(committed_npv, dtype=float)
    if g.shape != c.shape or g.ndim != 1 or g.size < 2:
        raise ValueError("gated and committed NPV must be 1-D arrays of the same length (at least 2 scenarios)")
    n = g.size
    root_n = np.sqrt(n)
    rows: dict[str, dict[str, float]] = {}
    d = g - c
    rows["mean"] = {"committed": c.mean(), "gated": g.mean(), "value": d.mean(), "standard_error": d.std(ddof=1) / root_n}
    g_sorted, c_sorted = np.sort(g), np.sort(c)
    for p in (0.10, 0.50, 0.90):
        qg, psi_g = _quantile_and_influence(g, g_sorted, p)
        qc, psi_c = _quantile_and_influence(c, c_sorted, p)
        se = float(np.std(psi_g - psi_c, ddof=1) / root_n)
        rows[f"p{round(100 * p)}"] = {"committed": qc, "gated": qg, "value": qg - qc, "standard_error": se}
    below = (g < 0).astype(float) - (c < 0).astype(float)
    rows["p_npv_below_zero"] = {
        "committed": float(np.mean(c < 0)),
        "gated": float(np.mean(g < 0)),
        "value": below.mean(),
        "standard_error": below.std(ddof=1) / root_n,
    }
    comparison = pd.DataFrame.from_dict(rows, orient="index").astype(float)
    comparison.index.name = "statistic"
    gate_rows = []
    for phase, flags in (gate_passed or {}).items():
        go = np.asarray(flags) > 0.5
        share = float(np.mean(go))
        gate_rows.append(
            {
                "phase": phase,
                "decided": "",
                "conditions": "",
                "p_pass": share,
                "standard_error": float(np.sqrt(share * (1 - share) / n)),
                "npv_if_go_inr_cr": float(g[go].mean()) if go.any() else float("nan"),
                "npv_if_no_go_inr_cr": float(g[~go].mean()) if (~go).any() else float("nan"),
                "committed_npv_if_no_go_inr_cr": float(c[~go].mean()) if (~go).any() else float("nan"),
            }
        )
    return Flexibility(n, comparison, pd.DataFrame(gate_rows, columns=GATE_COLUMNS))


def describe_gates(flex: Flexibility, a: Assumptions) -> Flexibility:
    """``flex`` with each gate's decision FY and conditions in words (``Imported cell landed cost in FY29 ≥ 5,200
    INR/kWh``; labels and units from the catalogue) from the assumptions."""
    text: dict[str, tuple[str, str]] = {}
    for ph in a.capex.phases:
        if ph.gate is None:
            continue
        d = ph.gate.decide_fy
        parts = [
            catalogue.condition_text(c.line, c.op, c.threshold, f"FY{(c.fy or d) % 100:02d}")
            if c.line
            else f"{c.input} in FY{(c.fy or d) % 100:02d} {catalogue.OPERATORS.get(c.op, c.op)} {c.threshold:,.6g}"
            for c in ph.gate.when
        ]
        joiner = " and " if ph.gate.combine == "all" else " or "
        text[ph.name] = (f"FY{d % 100:02d}", joiner.join(parts))
    gates = flex.gates.copy()
    gates["decided"] = [text.get(p, ("", ""))[0] for p in gates["phase"]]
    gates["conditions"] = [text.get(p, ("", ""))[1] for p in gates["phase"]]
    return replace(flex, gates=gates)


def flexibility_of_batch(kpis: Mapping[str, np.ndarray]) -> Flexibility | None:
    """:func:`value_of_flexibility` from a batch's KPIs; None when the batch has no gates."""
    if "committed_npv_inr_cr" not in kpis:
        return None
    flags = {k.removeprefix(GATE_PREFIX): np.asarray(v) for k, v in kpis.items() if k.startswith(GATE_PREFIX)}
    return value_of_flexibility(np.asarray(kpis["npv_inr_cr"]), np.asarray(kpis["committed_npv_inr_cr"]), flags)
