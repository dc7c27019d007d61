"""Tests for tem.finance.grid: the IRR grid and its rules.

The production classifier looks only at grid points where the NPV ratio is small (a proven shortcut, see
``_NEAR_ZERO`` in tem/finance/grid.py); here the rules are written out plainly over every grid point, as the
module docstring states them and as the workbook evaluates them, and both must agree row for row.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tem.finance import grid as fg


def dense_classify(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rules of the module docstring evaluated at every grid point (no shortcut)."""
    g = fg.grid(left.shape[1])
    last = g.y.size - 1
    value, size = fg.grid_values(left, right)
    ratio = value / size
    s = fg.signs(ratio)
    cross = (s[:, :-1].astype(int) * s[:, 1:]) < 0
    zero = s == 0
    touch = (zero[:, 1:-1] & ((s[:, :-2].astype(int) * s[:, 2:]) >= 0)).any(axis=1)
    mag = np.abs(ratio)
    left_ok = np.ones(s.shape, dtype=bool)
    right_ok = np.ones(s.shape, dtype=bool)
    left_ok[:, 1:] = (s[:, :-1] != s[:, 1:]) | (mag[:, 1:] < mag[:, :-1])
    right_ok[:, :-1] = (s[:, 1:] != s[:, :-1]) | (mag[:, :-1] <= mag[:, 1:])
    candidate = (s != 0) & left_ok & right_ok
    examined = (candidate[:, :-1] | candidate[:, 1:]) & (s[:, :-1] == s[:, 1:]) & (s[:, :-1] != 0)
    rows, cells = np.nonzero(examined)
    near = np.zeros(s.shape[0], dtype=bool)
    crossing_cell = cross.copy()
    if rows.size:
        d = fg.slopes(left, right, np.concatenate([rows, rows]), np.concatenate([cells, cells + 1]))
        sign = s[rows, cells]
        inside = (sign * d[: rows.size] < 0) & (sign * d[rows.size :] >= 0)
        low = fg.cubic_min(ratio[rows, cells], ratio[rows, cells + 1], d[: rows.size], d[rows.size :], g.log_step[cells])
        near[rows[inside & (low <= fg.NEAR_TOL)]] = True
        crossing_cell[rows[inside & (low < 0)], cells[inside & (low < 0)]] = True
    sites = np.zeros((s.shape[0], 2 * last + 1), dtype=bool)
    sites[:, 0::2] = zero
    sites[:, 1::2] = crossing_cell
    n_sites = sites.sum(axis=1)
    first = np.where(n_sites > 0, np.argmax(sites, axis=1), 2 * last + 2)
    final = 2 * last - np.argmax(sites[:, ::-1], axis=1)
    several = (n_sites >= 2) & (final - first > 2 * fg.CLOSE_STEPS)
    close = touch | near | (n_sites >= 2)
    status = np.where(several, 3, np.where(close, 4, np.where(n_sites == 1, 0, 2)))
    is_zero = first % 2 == 0
    lo = np.where(is_zero, np.maximum(first // 2 - 1, 0), first // 2)
    hi = np.where(is_zero, np.minimum(first // 2 + 1, last), first // 2 + 1)
    return status, np.minimum(lo, last), np.minimum(hi, last)


def _rows_with_close_roots(n: int, n_years: int, seed: int) -> np.ndarray:
    """Flows whose NPV has pairs of roots 0.05%..3% apart in 1 + r (and double roots), times noise."""
    rng = np.random.default_rng(seed)
    out = np.zeros((n, n_years))
    for i in range(n):
        centre = math.exp(rng.uniform(math.log(0.06), math.log(10.0)))
        gap = rng.choice([0.0, 1e-4, 5e-4, 2e-3, 6e-3, 0.01, 0.03])
        n_more = rng.integers(0, min(3, n_years - 2))
        roots = [centre, centre * (1 + gap), *np.exp(rng.uniform(np.log(0.06), np.log(10.0), n_more))]
        poly = np.poly(roots)  # sum_k p_k y**(deg - k), highest power first
        extra = rng.normal(size=n_years - poly.size) * rng.choice([0.0, 1e-9, 1e-3])
        # flows c_t with sum_t c_t y**(T-1-t) = poly(y) (x) y**(T - 1 - deg): c_t = poly[t]
        out[i, : poly.size] = poly
        out[i, poly.size :] = extra
    return out


class TestGrid:
    def test_bounds_and_junction_are_grid_points(self) -> None:
        for n_years in (1, 5, 20, 43, 238):
            g = fg.grid(n_years)
            assert g.y[0] == 0.05
            assert g.y[-1] == 11.0
            assert g.y[g.junction] == 1.0
            assert np.all(np.diff(np.log(g.y)) <= fg.grid_step(n_years) * (1 + 1e-12))
            assert np.all(g.power <= 1.0)

    def test_step_is_half_a_percent_up_to_twenty_years(self) -> None:
        assert fg.grid_step(20) == 0.005
        assert fg.grid_step(1) == 0.005
        assert fg.grid_step(40) == pytest.approx(0.0025)

    def test_aligned_drops_leading_and_trailing_zeros(self) -> None:
        left, right = fg.aligned(np.array([[0.0, -1.0, 2.0, 0.0], [3.0, 0.0, 0.0, -4.0]]))
        assert left.tolist() == [[-1.0, 2.0, 0.0, 0.0], [3.0, 0.0, 0.0, -4.0]]
        assert right.tolist() == [[2.0, -1.0, 0.0, 0.0], [-4.0, 0.0, 0.0, 3.0]]


class TestCubicMin:
    def test_exact_on_a_cubic(self) -> None:
        # p(s) = (s - 0.5)**2 * 2 + 0.1 on [0, 1] (a quadratic is a cubic): minimum 0.1 at s = 0.5
        # values p(0) = p(1) = 0.6, slopes dp/ds = 4 (s - 0.5): -2 and +2; with step 1 the slopes are per unit.
        got = fg.cubic_min(np.array([0.6]), np.array([0.6]), np.array([-2.0]), np.array([2.0]), np.array([1.0]))
        assert got[0] == pytest.approx(0.1, abs=1e-15)

    def test_negative_side_uses_the_sign(self) -> None:
        got = fg.cubic_min(np.array([-0.6]), np.array([-0.6]), np.array([2.0]), np.array([-2.0]), np.array([1.0]))
        assert got[0] == pytest.approx(0.1, abs=1e-15)

    def test_monotone_cell_gives_the_smaller_end(self) -> None:
        got = fg.cubic_min(np.array([0.2]), np.array([0.5]), np.array([0.3]), np.array([0.3]), np.array([1.0]))
        assert got[0] == pytest.approx(0.2, abs=1e-15)


class TestShortcutEqualsPlainRules:
    @pytest.mark.parametrize("n_years", [3, 8, 20, 43])
    def test_random_rows(self, n_years: int) -> None:
        rng = np.random.default_rng(n_years)
        cf = rng.normal(size=(3000, n_years)) * rng.choice([1.0, 0.0], size=(3000, n_years), p=[0.8, 0.2])
        left, right = fg.aligned(cf[np.abs(cf).sum(axis=1) > 0])
        status, lo, hi = fg.classify(left, right)
        want_status, want_lo, want_hi = dense_classify(left, right)
        assert np.array_equal(status, want_status)
        ok = status == 0
        assert np.array_equal(lo[ok], want_lo[ok])
        assert np.array_equal(hi[ok], want_hi[ok])

    @pytest.mark.parametrize("n_years", [4, 12, 20])
    def test_rows_with_close_and_double_roots(self, n_years: int) -> None:
        cf = _rows_with_close_roots(2000, n_years, seed=n_years)
        left, right = fg.aligned(cf)
        status, lo, hi = fg.classify(left, right)
        want_status, want_lo, want_hi = dense_classify(left, right)
        assert np.array_equal(status, want_status)
        ok = status == 0
        assert np.array_equal(lo[ok], want_lo[ok])
        assert np.array_equal(hi[ok], want_hi[ok])
        assert {0, 3, 4} <= set(status.tolist())  # the sample really has every kind

    @settings(deadline=None, max_examples=300)
    @given(
        st.lists(st.floats(-1000, 1000, allow_nan=False).map(lambda v: 0.0 if abs(v) < 1 else v), min_size=2, max_size=25)
    )
    def test_hypothesis_rows(self, flows: list[float]) -> None:
        cf = np.array([flows])
        if not np.any(cf):
            return
        left, right = fg.aligned(cf)
        got, want = fg.classify(left, right), dense_classify(left, right)
        assert got[0][0] == want[0][0]
        if want[0][0] == 0:
            assert (got[1][0], got[2][0]) == (want[1][0], want[2][0])
