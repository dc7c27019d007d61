"""tem/finance/certify.py: the IRR grid's rules read on the points that can matter give what they give on every
grid point (``grid.classify_every_point``), on flows with several sign changes; both certificates fire."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tem.finance import IrrResult, certify, irr
from tem.finance import grid as fg


def aligned(cf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scale = np.ldexp(1.0, -np.frexp(np.abs(cf).max(axis=1))[1])[:, None]  # as irr scales them: exact
    c = cf * scale
    return fg.align_left(c), fg.align_right(c)


def several_sign_changes(n: int, n_years: int, seed: int) -> np.ndarray:
    """A build, inflows, a refit and a closure cost (as benchmarks/bench_finance.py), with random sizes."""
    rng = np.random.default_rng(seed)
    cf = rng.uniform(5.0, 60.0, (n, n_years))
    cf[:, :2] *= -rng.uniform(0.5, 6.0, (n, 1))
    cf[:, n_years // 2] = -rng.uniform(10.0, 200.0, n)
    cf[:, -1] = -rng.uniform(0.1, 50.0, n)
    return cf


def test_sparse_reading_equals_every_point_on_build_refit_closure_flows() -> None:
    for n_years, seed in ((20, 1), (12, 2), (35, 3)):
        left, right = aligned(several_sign_changes(3000, n_years, seed))
        got = certify.classify_sparse(left, right)
        want = fg.classify_every_point(left, right)
        np.testing.assert_array_equal(got[0], want[0])
        ok = want[0] == 0  # the bracket matters only where there is one IRR
        np.testing.assert_array_equal(got[1][ok], want[1][ok])
        np.testing.assert_array_equal(got[2][ok], want[2][ok])
        assert (want[0] == 3).any()
        assert (want[0] == 0).any()
        several = certify.certainly_several(
            fg.grid_values(left, right, certify.coarse_points(n_years))[0],
            np.abs(left).max(axis=1),
            certify.coarse_points(n_years),
            n_years,
        )
        assert several.any()  # certificate 1 settles rows at once ...
        assert (want[0][several] == 3).all()  # ... only ones the whole grid calls several


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(st.floats(-100.0, 100.0, allow_nan=False), st.sampled_from([0.0, 1.0, -1.0, 1e-9])),
        min_size=3,
        max_size=40,
    ).filter(lambda flows: int(np.count_nonzero(np.diff(np.sign([f for f in flows if f != 0])))) >= 2)
)
def test_hypothesis_several_sign_changes(flows: list[float]) -> None:
    left, right = aligned(np.array([flows]))
    got, want = certify.classify_sparse(left, right), fg.classify_every_point(left, right)
    assert got[0][0] == want[0][0]
    if want[0][0] == 0:
        assert (got[1][0], got[2][0]) == (want[1][0], want[2][0])


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(3, 40))
def test_hypothesis_random_multi_sign_batches(seed: int, n_years: int) -> None:
    """Batches of random flows (any signs) and of build-refit-closure flows: the same statuses and brackets."""
    rng = np.random.default_rng(seed)
    cf = np.concatenate([rng.normal(size=(200, n_years)), several_sign_changes(200, max(n_years, 3), seed)[:, :n_years]])
    left, right = aligned(cf)
    got, want = certify.classify_sparse(left, right), fg.classify_every_point(left, right)
    np.testing.assert_array_equal(got[0], want[0])
    ok = want[0] == 0
    np.testing.assert_array_equal(got[1][ok], want[1][ok])


def test_irr_on_close_roots_and_worked_examples() -> None:
    # roots 10% and 10.2% (README): too close; [-1, 2, -1]: a double root at 0%; -1, +3.6, -4.31, +1.716 has
    # the roots 1 + r = 1.1, 1.2 and 1.3 (product 1.716, pairwise sum 4.31, sum 3.6): several IRRs
    res = irr(np.array([[-1.0, 2.202, -1.2122, 0.0], [-1.0, 2.0, -1.0, 0.0], [-1.0, 3.6, -4.31, 1.716]]))
    assert res.status.tolist() == [4, 4, 3]


def _irr_read_on_every_point(cf: np.ndarray) -> IrrResult:
    """``irr`` of ``cf`` with the grid read on every point (``grid.classify_every_point`` of each scenario with
    several sign changes, in place of ``certify.classify_several``): the reference the fast path must equal,
    rate and status, bit for bit."""

    def every_point(c_t: np.ndarray, cols: np.ndarray, max_abs: np.ndarray) -> tuple[np.ndarray, ...]:
        assert np.array_equal(max_abs, np.abs(c_t[:, cols]).max(axis=0))  # what irr passes down is exact
        c = np.ascontiguousarray(c_t[:, cols].T)
        return fg.classify_every_point(fg.align_left(c), fg.align_right(c))

    original = certify.classify_several
    certify.classify_several = every_point  # type: ignore[assignment]
    try:
        return irr(cf)
    finally:
        certify.classify_several = original


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from([3, 5, 8, 12, 20, 30, 43, 90, 238]))
def test_hypothesis_irr_fast_path_equals_the_whole_grid_reading(seed: int, n_years: int) -> None:
    """irr on random flows with several sign changes (any signs, build-refit-closure flows, and flows whose NPV
    comes near zero over a wide range) gives the same rate and status, bit for bit, as with the grid read on
    every point."""
    rng = np.random.default_rng(seed)
    n = 60
    near_zero = rng.normal(size=(n, n_years)) * 10.0 ** rng.uniform(-6, 0) + np.resize([1.0, -1.0], n_years)
    cf = np.concatenate(
        [rng.normal(size=(n, n_years)), several_sign_changes(n, max(n_years, 3), seed)[:, :n_years], near_zero]
    )
    fast, reference = irr(cf), _irr_read_on_every_point(cf)
    np.testing.assert_array_equal(fast.status, reference.status)
    np.testing.assert_array_equal(fast.rate, reference.rate)


def test_irr_fast_path_equals_the_whole_grid_reading_on_the_benchmark_flows() -> None:
    """The benchmark's 10,000 rows (benchmarks/bench_finance.py, section c): both statuses occur, the same
    rates and statuses bit for bit."""
    rng = np.random.default_rng(2)
    cf = rng.uniform(5.0, 60.0, (10_000, 20))
    cf[:, :2] *= -3.0
    cf[:, 10] = -rng.uniform(20.0, 80.0, 10_000)
    cf[:, -1] = -rng.uniform(0.5, 5.0, 10_000)
    fast, reference = irr(cf), _irr_read_on_every_point(cf)
    np.testing.assert_array_equal(fast.status, reference.status)
    np.testing.assert_array_equal(fast.rate, reference.rate)
    assert {0, 3} <= set(fast.status.tolist())


def test_each_level_reads_less_and_the_rules_see_fewer_points(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fine certificate settles cells the coarse one leaves open, and points no rule reads are left out: the
    rules see far fewer points than the whole grid's ``|R| <= _NEAR_ZERO``, with the same statuses and brackets."""
    left, right = aligned(several_sign_changes(2000, 20, 4))
    seen: list[int] = []
    original = certify.classify_points

    def spy(left: np.ndarray, right: np.ndarray, flat: np.ndarray, ratio: np.ndarray) -> object:
        seen.append(flat.size)
        return original(left, right, flat, ratio)

    monkeypatch.setattr(certify, "classify_points", spy)
    got = certify.classify_sparse(left, right)
    want = fg.classify_every_point(left, right)
    np.testing.assert_array_equal(got[0], want[0])
    points = certify.coarse_points(20)
    v, s = fg.grid_values(left, right, points)
    rest = ~certify.certainly_several(v, np.abs(left).max(axis=1), points, 20)  # the rows read further
    value, size = fg.grid_values(left, right)
    whole = int(np.count_nonzero(np.abs(value[rest]) <= fg._NEAR_ZERO * size[rest]))
    assert len(seen) == 1
    assert 0 < seen[0] < whole / 3
    # the fine cells: fewer grid points read than in the coarse cells left open
    open_coarse = certify.unsettled_cells(v, s, points, fg.grid(20).junction)[rest]
    fine = certify.fine_points(20)
    vf, sf = fg.grid_values(left, right, fine)
    open_fine = certify.unsettled_cells(vf, sf, fine, fg.grid(20).junction)[rest]
    assert open_fine.sum() * certify.FINE_EVERY < open_coarse.sum() * certify.COARSE_EVERY / 2


_RATIOS = [-0.5, -0.2, -0.07, -0.05, -1e-14, 0.0, 1e-14, 0.05, 0.06, 0.07, 0.2]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(_RATIOS), min_size=3, max_size=12))
def test_points_left_out_are_exactly_those_no_rule_reads(ratio: list[float]) -> None:
    """``certify._matters``: an inner point is left out exactly when it, and both its neighbours, have
    ``|R| > _CANDIDATE_MAX`` and the same sign (so it is no zero point, candidate, end of a crossing or neighbour
    of a zero point or a candidate)."""
    r = np.array([ratio])
    got = certify._matters(r)[0]
    big = np.abs(r[0]) > fg._CANDIDATE_MAX
    s = np.sign(r[0])
    want = ~(big[1:-1] & big[:-2] & big[2:] & (s[1:-1] == s[:-2]) & (s[1:-1] == s[2:]))
    np.testing.assert_array_equal(got, want)
