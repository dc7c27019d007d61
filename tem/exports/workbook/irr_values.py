"""The values of the workbook's IRR block (:mod:`tem.exports.workbook.irr`), cell by cell, computed in Python.

Each cell of the block is saved with its value (:mod:`.cached`: readers that do not recalculate see numbers).
This module evaluates the block's formulas as written, column by column with numpy (the same order of
operations where it matters: sums of terms, the Newton steps from the bracket), so the values are the cells'
own. The parity tests compare every value here with LibreOffice's recalculation of the formulas (rel 1e-9);
the status and the IRR are also those of :func:`tem.finance.irr` (tests/exports/workbook/test_irr.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tem.finance import IRR_STATUS_SHORT
from tem.finance.grid import CLOSE_STEPS, FLAT_TOL, NEAR_TOL, NPV_TOL, RATE_MAX, RATE_MIN, ZERO_TOL, grid

Cell = float | str


@dataclass(frozen=True)
class BlockValues:
    """``summary``: value of each summary line (by the block's line key); ``signs``: the running-sign row (T,);
    ``columns``: each grid column (by letter) over the grid rows, "" where the cell shows blank text."""

    summary: dict[str, Cell]
    signs: list[float]
    columns: dict[str, list[Cell]]


def _power_sum(flows: np.ndarray, y: float, k: float, years: np.ndarray, slope: bool = False) -> float:
    e = k - years
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        terms = flows * (e * np.float64(y) ** (e - 1.0) if slope else np.float64(y) ** e)
    return float(np.sum(terms))


def block_values(flows: np.ndarray, newton_steps: int) -> BlockValues:
    """The block's values for one row of finite cash flows ``flows`` (T,)."""
    c = np.asarray(flows, dtype=float)
    n = c.size
    years = np.arange(n, dtype=float)
    y = grid(n).y
    m = y.size
    last = m - 1
    k_col = np.where(y < 1.0, float(n - 1), 0.0)
    e = k_col[:, None] - years[None, :]  # (M, T)
    pw = y[:, None] ** e
    f = pw @ c
    g = pw @ np.abs(c)
    h = (e * pw) @ c
    i = (e * pw) @ np.abs(c)
    with np.errstate(divide="ignore", invalid="ignore"):
        j = np.where(g > 0, f / g, 0.0)  # all-zero flows: 0 (the formulas' IF)
        kk = np.where(g > 0, (h * g - f * i) / g**2, 0.0)
    sign = np.where(np.abs(j) <= ZERO_TOL, 0.0, np.sign(j))
    ln_step = np.log(y[1:]) - np.log(y[:-1])

    cross = np.append((sign[:-1] * sign[1:] < 0).astype(float), 0.0)
    touch = np.zeros(m)
    touch[1:-1] = ((sign[1:-1] == 0) & (sign[:-2] * sign[2:] >= 0)).astype(float)
    local = np.zeros(m)
    mid_left = (sign[:-2] != sign[1:-1]) | (np.abs(j[1:-1]) < np.abs(j[:-2]))
    mid_right = (sign[2:] != sign[1:-1]) | (np.abs(j[1:-1]) <= np.abs(j[2:]))
    local[1:-1] = ((sign[1:-1] != 0) & mid_left & mid_right).astype(float)
    local[0] = float(sign[0] != 0 and (sign[1] != sign[0] or abs(j[0]) <= abs(j[1])))
    local[last] = float(sign[last] != 0 and (sign[last - 1] != sign[last] or abs(j[last]) < abs(j[last - 1])))
    examined = np.append(
        (((local[:-1] == 1) | (local[1:] == 1)) & (sign[:-1] == sign[1:]) & (sign[:-1] != 0)).astype(float), 0.0
    )

    # the cubic columns, in examined cells only (others show "")
    q = examined[:-1] == 1
    j0, j1, k0, k1, l0 = j[:-1], j[1:], kk[:-1], kk[1:], sign[:-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        a = ln_step * k0
        b = ln_step * k1
        big_b = 3.0 * (j1 - j0) - 2.0 * a - b
        big_c = a + b - 2.0 * (j1 - j0)
        disc = big_b**2 - 3.0 * a * big_c
        w = -(big_b + np.where(big_b >= 0, 1.0, -1.0) * np.sqrt(np.where(disc > 0, disc, 0.0)))
        s1 = np.clip(np.where((disc >= 0) & (big_c != 0), w / (3.0 * big_c), 0.0), 0.0, 1.0)
        s2 = np.clip(np.where((disc >= 0) & (w != 0), a / w, 0.0), 0.0, 1.0)

        def cubic(s: np.ndarray) -> np.ndarray:
            return l0 * (j0 + s * (a + s * (big_b + s * big_c)))

        ends = np.minimum(l0 * j0, l0 * j1)
        inner = np.minimum(cubic(s1), cubic(s2))
        low = np.minimum(ends, inner)
    near = np.append(np.where(q, ((l0 * k0 < 0) & (l0 * k1 >= 0) & (low <= NEAR_TOL)).astype(float), 0.0), 0.0)
    site = (cross[:-1] == 1) | ((near[:-1] == 1) & q & (low < 0))
    idx = np.arange(m, dtype=float)
    sites: list[Cell] = [
        2.0 * idx[r] if sign[r] == 0 else (2.0 * idx[r] + 1.0 if site[r] else "") for r in range(m - 1)
    ]
    sites.append(2.0 * idx[last] if sign[last] == 0 else "")

    def when(x: np.ndarray) -> list[Cell]:
        return [float(v) if ok else "" for v, ok in zip(x, q, strict=True)]

    columns: dict[str, list[Cell]] = {
        "A": list(idx),
        "C": list(y - 1.0),
        "D": list(k_col),
        "E": list(ln_step),
        "F": list(f),
        "G": list(g),
        "H": list(h),
        "I": list(i),
        "J": list(j),
        "K": list(kk),
        "L": list(sign),
        "M": list(cross),
        "N": list(touch),
        "O": sites,
        "P": list(local),
        "Q": list(examined),
        "R": when(a),
        "S": when(b),
        "T": when(big_b),
        "U": when(big_c),
        "V": when(disc),
        "W": when(w),
        "X": when(s1),
        "Y": when(s2),
        "Z": when(ends),
        "AA": when(inner),
        "AB": when(low),
        "AC": list(near),
    }

    # summary lines
    running, prev = [], 0.0
    for t in range(n):
        prev = float(np.sign(c[t])) if (t == 0 or c[t] != 0) else prev
        running.append(prev)
    changes = float(sum(1 for t in range(1, n) if running[t] * running[t - 1] < 0))
    single = 0.0 if sign[0] * sign[last] <= 0 else 2.0
    positions = [float(v) for v in sites if not isinstance(v, str)]
    n_sites = float(len(positions))
    first = min(positions) if positions else -1.0
    spread = max(positions) - min(positions) if positions else 0.0
    if n_sites >= 2 and spread > 2 * CLOSE_STEPS:
        by_grid = 3.0
    elif touch.sum() > 0 or near.sum() > 0 or n_sites >= 2:
        by_grid = 4.0
    else:
        by_grid = 0.0 if n_sites == 1 else 2.0
    found = 1.0 if changes == 0 else (single if changes == 1 else by_grid)
    if found != 0:
        start = 1.0
    elif first % 2 == 0:
        start = float(y[int(first // 2)])
    else:
        lo, hi = int((first - 1) // 2), int((first - 1) // 2) + 1
        start = float(y[lo] + (y[hi] - y[lo]) * j[lo] / (j[lo] - j[hi]))
    k = float(n - 1) if start < 1 else 0.0
    summary: dict[str, Cell] = {
        "valid": 1.0,
        "changes": changes,
        "single": single,
        "sites": n_sites,
        "first": first,
        "spread": spread,
        "grid": by_grid,
        "found": found,
        "start": start,
        "k": k,
    }
    root = start
    for step in range(newton_steps):
        value, slope = _power_sum(c, root, k, years), _power_sum(c, root, k, years, slope=True)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            nxt = np.float64(root) - np.float64(value) / np.float64(slope)  # IFERROR: keep the last one
        root = float(nxt) if np.isfinite(nxt) else root
        summary[f"y{step}"] = root
    e_root = k - years
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        powers = np.float64(root) ** e_root
        p, size = np.sum(c * powers), np.sum(np.abs(c) * powers)
        dp, da = np.sum(c * e_root * powers), np.sum(np.abs(c) * e_root * powers)
        flat = (dp * size - p * da) / size**2
    summary["checked"] = 1.0 if abs(p) <= NPV_TOL * size else 0.0
    summary["steep"] = 1.0 if np.isfinite(flat) and abs(flat) >= FLAT_TOL else 0.0
    status = found if found != 0 else (6.0 if summary["checked"] == 0 else (0.0 if summary["steep"] == 1 else 4.0))
    summary["status"] = status
    summary["rate"] = min(RATE_MAX, max(RATE_MIN, root - 1.0)) if status == 0 else "none"
    summary["shown"] = summary["rate"] if status == 0 else IRR_STATUS_SHORT[int(status)]
    return BlockValues(summary, running, columns)
