"""Rank correlation between Monte Carlo inputs: checks, repair, and the Iman-Conover re-ordering.

* :func:`correlation_problems` says why a matrix is not a valid correlation matrix (symmetric, unit diagonal,
  entries in [-1, 1], positive definite).
* :func:`nearest_correlation` repairs one: Higham's alternating projections with Dykstra's correction
  (Higham 2002, "Computing the nearest correlation matrix - a problem from finance", IMA J. Numer. Anal. 22,
  329-343), onto the positive semidefinite cone (eigenvalues clipped at a small positive floor, so the result can
  be Cholesky-factored) and onto unit-diagonal matrices. :func:`prepare_correlation` does both and returns a
  :class:`CorrelationRepair` that says what changed; callers report it, never apply it silently.
* :func:`iman_conover` re-orders each column of a sample so that its rank correlation matches a target while
  every column keeps exactly its values (Iman & Conover 1982, "A distribution-free approach to inducing rank
  correlation among input variables", Commun. Statist. B11, 311-334): van der Waerden scores, the Cholesky
  factor of the target, and a correction by the Cholesky factor of the scores' own correlation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import linalg, stats

from tem.model.batch_runtime import map_columns

SYMMETRY_TOLERANCE = 1e-12
EIGEN_FLOOR = 1e-6  # smallest eigenvalue kept by the repair: positive definite, Cholesky works
CHANGE_REPORTED = 1e-6


def correlation_problems(matrix: np.ndarray) -> list[str]:
    """Why ``matrix`` is not a valid correlation matrix (empty list when it is one)."""
    c = np.asarray(matrix, dtype=float)
    if c.ndim != 2 or c.shape[0] != c.shape[1]:
        return [f"shape {c.shape} is not square"]
    problems = []
    if not np.all(np.isfinite(c)):
        return ["contains a value that is not a finite number"]
    if np.max(np.abs(c - c.T), initial=0.0) > SYMMETRY_TOLERANCE:
        problems.append("not symmetric")
    if np.max(np.abs(np.diag(c) - 1.0), initial=0.0) > SYMMETRY_TOLERANCE:
        problems.append("diagonal is not all 1")
    if np.any(np.abs(c) > 1.0):
        problems.append("an entry lies outside [-1, 1]")
    if not problems:
        low = float(np.linalg.eigvalsh(c)[0])
        if low <= 0.0:
            problems.append(
                f"not positive definite (smallest eigenvalue {low:.3g}): these correlations cannot hold together"
            )
    return problems


def nearest_correlation(
    matrix: np.ndarray, *, floor: float = EIGEN_FLOOR, tol: float = 1e-10, max_iter: int = 10_000
) -> np.ndarray:
    """The nearest (Frobenius norm) correlation matrix whose eigenvalues are at least about ``floor``."""
    a = np.asarray(matrix, dtype=float)
    a = (a + a.T) / 2.0
    y = a.copy()
    correction = np.zeros_like(a)
    for _ in range(max_iter):
        r = y - correction
        w, v = np.linalg.eigh(r)
        x = (v * np.maximum(w, floor)) @ v.T
        x = (x + x.T) / 2.0
        correction = x - r
        y_new = x.copy()
        np.fill_diagonal(y_new, 1.0)
        if np.linalg.norm(y_new - y, "fro") <= tol * max(1.0, float(np.linalg.norm(y, "fro"))):
            y = y_new
            break
        y = y_new
    # unit diagonal can push the smallest eigenvalue a hair below the floor: rescale a floored projection
    w, v = np.linalg.eigh(y)
    if w[0] < floor / 2.0:
        y = (v * np.maximum(w, floor)) @ v.T
        d = np.sqrt(np.diag(y))
        y = y / np.outer(d, d)
    y = (y + y.T) / 2.0
    np.fill_diagonal(y, 1.0)
    return np.clip(y, -1.0, 1.0)


@dataclass(frozen=True)
class CorrelationRepair:
    """What the repair of an invalid correlation matrix changed (to be shown with the results)."""

    problems: tuple[str, ...]
    smallest_eigenvalue_before: float
    max_change: float
    changes: tuple[tuple[str, str, float, float], ...]  # (input a, input b, given, used), largest change first

    def describe(self) -> str:
        lines = [
            "The correlation matrix given is not a valid correlation matrix ("
            + "; ".join(self.problems)
            + "). It was replaced by the nearest valid one (Higham's alternating projections); "
            f"largest change {self.max_change:.3f}."
        ]
        for a, b, before, after in self.changes[:20]:
            lines.append(f"  {a} ~ {b}: {before:+.3f} -> {after:+.3f}")
        if len(self.changes) > 20:
            lines.append(f"  ... and {len(self.changes) - 20} more pairs")
        return "\n".join(lines)


def prepare_correlation(matrix: np.ndarray, names: Sequence[str]) -> tuple[np.ndarray, CorrelationRepair | None]:
    """``matrix`` if it is a valid correlation matrix, else its repair and a report of what changed."""
    c = np.asarray(matrix, dtype=float)
    problems = correlation_problems(c)
    if not problems:
        return c, None
    sym = (c + c.T) / 2.0
    low = float(np.linalg.eigvalsh(sym)[0]) if np.all(np.isfinite(sym)) else float("nan")
    fixed = nearest_correlation(np.clip(np.nan_to_num(sym), -1.0, 1.0))
    delta = np.abs(fixed - c)
    changes = []
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            if delta[i, j] > CHANGE_REPORTED or delta[j, i] > CHANGE_REPORTED:
                changes.append((names[i], names[j], float(c[i, j]), float(fixed[i, j])))
    changes.sort(key=lambda t: -abs(t[3] - t[2]))
    return fixed, CorrelationRepair(tuple(problems), low, float(delta.max()), tuple(changes))


def spearman_to_normal_scores(rank_corr: np.ndarray) -> np.ndarray:
    """The product-moment correlation of normal scores that gives rank correlation ``rank_corr``:
    ``2 sin(pi rho_s / 6)`` (Pearson's relation for the bivariate normal)."""
    r = 2.0 * np.sin(np.pi * np.asarray(rank_corr, dtype=float) / 6.0)
    np.fill_diagonal(r, 1.0)
    return r


def iman_conover(sample: np.ndarray, target: np.ndarray, rng: np.random.Generator, *, presorted: bool = False) -> np.ndarray:
    """``sample`` ``(n, k)`` with each column re-ordered so that the columns' correlation of normal scores is
    ``target`` (a valid correlation matrix, ``k x k``); every column keeps exactly its values.

    Pass ``spearman_to_normal_scores(rank_target)`` as ``target`` to aim at a rank (Spearman) correlation.
    ``presorted=True`` says each column is already in ascending order (it saves sorting it).
    """
    x = np.asarray(sample, dtype=float)
    n, k = x.shape
    if k < 2:
        return x.copy()
    if n <= k + 1:
        raise ValueError(f"Iman-Conover needs more scenarios ({n}) than inputs + 1 ({k + 1})")
    scores = stats.norm.ppf(np.arange(1, n + 1) / (n + 1.0))
    m_t = np.vstack([rng.permutation(scores) for _ in range(k)])  # (k, n): column j of the score matrix m
    e = (m_t @ m_t.T) / (scores @ scores)  # their correlation: the scores have mean 0 and all the same norm
    np.fill_diagonal(e, 1.0)
    f = linalg.cholesky(e, lower=True)
    p = linalg.cholesky(np.asarray(target, dtype=float), lower=True)
    # t = m F^-T P^T has correlation P F^-1 E F^-T P^T = P P^T = target (exactly, for these n rows)
    b = linalg.solve_triangular(f, p.T, lower=True, trans="T")  # F^-T P^T, (k, k)
    t = b.T @ m_t  # t transposed, (k, n)
    xt = np.ascontiguousarray(x.T)

    def reorder(j: int) -> np.ndarray:
        """Column j's values placed in the order of t's column j (the smallest value where t is smallest)."""
        column = np.empty(n)
        column[np.argsort(t[j])] = xt[j] if presorted else np.sort(xt[j])
        return column

    return np.column_stack(map_columns(reorder, range(k), n))


@dataclass(frozen=True)
class SortedColumn:
    """A column's sort order and where its runs of equal values start (to rank it, or any subset of it, with
    ties averaged, in O(n) after one sort)."""

    order: np.ndarray
    new_value: np.ndarray  # in sorted order: True where the value differs from the previous one

    @classmethod
    def of(cls, column: np.ndarray) -> SortedColumn:
        order = np.argsort(column)  # tie order does not matter: ties share their average rank
        s = column[order]
        new_value = np.empty(s.size, dtype=bool)
        new_value[:1] = True
        np.not_equal(s[1:], s[:-1], out=new_value[1:])
        return cls(order, new_value)

    def ranks(self, rows: np.ndarray | None = None) -> np.ndarray:
        """Ranks 1..m of the rows where ``rows`` (a boolean mask; default all) is true, in row order, ties
        averaged (as ``scipy.stats.rankdata``)."""
        n = self.order.size
        if self.new_value.all():  # no ties: ranks are positions in sorted order
            keep_sorted = None if rows is None else rows[self.order]
            kept = self.order if keep_sorted is None else self.order[keep_sorted]
            ranked = np.empty(n)
            ranked[kept] = np.arange(1.0, kept.size + 1.0)
            return ranked if rows is None else ranked[rows]
        keep = np.ones(n, dtype=bool) if rows is None else rows[self.order]
        group = np.cumsum(self.new_value)[keep]
        m = group.size
        if m == 0:
            return np.empty(0)
        starts = np.flatnonzero(np.concatenate(([True], group[1:] != group[:-1])))
        counts = np.diff(np.append(starts, m))
        ranked = np.empty(n)
        ranked[self.order[keep]] = np.repeat(starts + (counts + 1) / 2.0, counts)
        return ranked if rows is None else ranked[rows]


def rank_columns(sample: np.ndarray) -> np.ndarray:
    """Ranks of each column (1..n, ties averaged)."""
    x = np.asarray(sample, dtype=float)
    return np.column_stack([SortedColumn.of(x[:, j]).ranks() for j in range(x.shape[1])]) if x.shape[1] else x


def rank_correlation(sample: np.ndarray, ranks: np.ndarray | None = None) -> np.ndarray:
    """Spearman rank correlation matrix of the columns of ``sample`` (ties get average ranks; a constant
    column correlates 0 with the others). ``ranks``: the columns' ranks, if already known."""
    ranks = rank_columns(sample) if ranks is None else ranks
    ranks = ranks - ranks.mean(axis=0)
    norm = np.sqrt(np.sum(ranks**2, axis=0))
    safe = np.where(norm > 0, norm, 1.0)
    z = ranks / safe
    c = z.T @ z
    c[:, norm == 0] = 0.0
    c[norm == 0, :] = 0.0
    np.fill_diagonal(c, 1.0)
    return np.clip(c, -1.0, 1.0)
