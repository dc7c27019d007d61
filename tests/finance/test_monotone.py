"""tem/finance/monotone.py (certificate 3): rows whose open coarse cells are proven monotone, or away from zero, get
the statuses and brackets of the whole grid's reading; a hand-worked certified cell; and the comparisons catch a
certificate that is wrong."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tem.finance import certify, irr, monotone, sign_changes
from tem.finance import grid as fg
from tests.finance import certify_before
from tests.finance.test_certify import aligned, several_sign_changes
from tests.finance.test_irr_before import hostile_flows


def scaled_rows(cf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The finite rows with two sign changes or more, scaled as ``irr`` scales them, aligned."""
    cf = cf[np.isfinite(cf).all(axis=1) & (np.abs(cf).max(axis=1) > 0)]
    left, right = aligned(cf)
    several = sign_changes(left) >= 2
    return left[several], right[several]


def adversarial(seed: int, n_years: int) -> np.ndarray:
    """Hostile rows (near-double roots, NPV near zero over a wide range, zeros, huge and tiny magnitudes) and
    build-refit-closure rows, whose open cells are mostly monotone."""
    return np.concatenate([hostile_flows(seed, n_years, n=80), several_sign_changes(400, n_years, seed)])


def open_rows(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The rows certificate 1 leaves open, their NPV and PV(|flows|) at the coarse points, and certificate 2's cells."""
    rest, value = certify.not_several(left, right)
    left, right = left[rest], right[rest]
    points = certify.coarse_points(left.shape[1])
    size = fg.grid_size(left, right, points)
    return left, right, value, size


def assert_same(got: tuple[np.ndarray, ...], want: tuple[np.ndarray, ...]) -> None:
    np.testing.assert_array_equal(got[0], want[0])
    ok = want[0] == 0  # the bracket matters only where there is one IRR
    np.testing.assert_array_equal(got[1][ok], want[1][ok])
    np.testing.assert_array_equal(got[2][ok], want[2][ok])


@pytest.mark.parametrize("n_years", [3, 5, 12, 20, 35, 60])
def test_certified_rows_equal_the_whole_grid_and_the_fine_reading(n_years: int) -> None:
    """On adversarial rows: the reading with certificate 3 (``classify_open``), the fine reading of every open row
    (``classify_read``, certificate 3 unused) and the whole grid agree; certificate 3 settles rows, finds
    crossings, and leaves some rows to the fine reading."""
    left, right, value, size = open_rows(*scaled_rows(adversarial(n_years, n_years)))
    g, points = fg.grid(n_years), certify.coarse_points(n_years)
    opened = certify.unsettled_cells(value, size, points, g.junction)
    got = certify.classify_open(left, right, value)
    assert_same(got, certify.classify_read(left, right, value, size, opened))
    assert_same(got, fg.classify_every_point(left, right))
    crossings = monotone.certify_cells(left, right, value, size, opened, points, g.junction)
    assert crossings.row.size > 0
    assert (~crossings.read).sum() >= 8  # rows it settles
    if n_years >= 12:
        assert crossings.read.any()  # the mixed case: some rows read further


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from([3, 4, 7, 12, 20, 20, 30, 45, 90]))
@example(seed=204, n_years=20)
def test_hypothesis_sparse_reading_equals_the_one_before(seed: int, n_years: int) -> None:
    """Against the sparse reading before certificate 3 (tests/finance/certify_before.py): the same statuses and
    brackets. (Against the whole grid they may differ where a value lies within rounding of a threshold, as
    between batch sizes: seed 204 holds a row whose whole-grid status is 3 in this batch and 4 alone, 4 in both
    sparse readings.)"""
    left, right = scaled_rows(adversarial(seed, n_years))
    assert_same(certify.classify_sparse(left, right), certify_before.classify_sparse(left, right))


def test_crossings_read_on_every_point_when_the_guess_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """The crossing located by reading the whole cell (``_read_crossings``) gives what the four-point guess gives,
    and the whole grid's result."""
    left, right = scaled_rows(adversarial(7, 20))
    want = fg.classify_every_point(left, right)
    assert_same(certify.classify_sparse(left, right), want)
    monkeypatch.setattr(monotone, "_guess_crossings", lambda *args: np.zeros(args[-1].row.size, dtype=np.int64))
    assert_same(certify.classify_sparse(left, right), want)


def test_a_root_on_a_grid_point_is_a_simple_zero_point() -> None:
    """Flows ``-1 + a x + b x**2`` (x = 1 / (1 + r)) with a root exactly on grid points above and below the
    junction: ``R`` there is within rounding of 0 (a zero point), the four-point guess cannot prove its sign and
    the cell is read; status 0 with the bracket either side of the point, as on the whole grid."""
    g = fg.grid(3)
    rows = []
    for j in (g.junction + 37, g.junction + 120, g.junction - 90):
        x = 1.0 / g.y[j]
        b = -0.01
        rows.append([-1.0, (1.0 - b * x * x) / x, b])
    left, right = scaled_rows(np.array(rows))
    want = fg.classify_every_point(left, right)
    got = certify.classify_sparse(left, right)
    assert_same(got, want)
    assert (want[0] == 0).all()
    value, size = fg.grid_values(left, right)
    assert np.any(np.abs(value / size) <= fg.ZERO_TOL)  # at least one root falls on a zero point


def test_hand_worked_monotone_cell() -> None:
    """Flows -1, 1.5, -0.01: from y = 1 up, in x = 1 / y, ``P+ = 1.5 x`` and ``P- = 1 + 0.01 x**2``, so
    ``D+ = 1`` and ``D- = 0.02 x**2 / (1 + 0.01 x**2) <= 0.0099`` (x <= 1): every cell from the junction up is
    monotone. One root in range, x = (1.5 - sqrt(2.21)) / 0.02 (1 + r = 1.4951), the other at 1 + r = 0.0067:
    status 0, the crossing in the certified cell holding 1.4951, the rate that root."""
    cf = np.array([[-1.0, 1.5, -0.01]])
    left, right = scaled_rows(cf)
    g, points = fg.grid(3), certify.coarse_points(3)
    ends = points[points >= g.junction][:2]
    d_pos, d_neg = monotone.durations(left, ends)
    x = 1.0 / g.y[ends]
    np.testing.assert_allclose(d_pos[0], [1.0, 1.0], rtol=1e-15)
    np.testing.assert_allclose(d_neg[0], 0.02 * x * x / (1.0 + 0.01 * x * x), rtol=1e-13)
    rest, value = certify.not_several(left, right)
    assert rest.tolist() == [0]  # certificate 1 does not settle it (one root in range)
    size = fg.grid_size(left, right, points)
    opened = certify.unsettled_cells(value, size, points, g.junction)
    crossings = monotone.certify_cells(left, right, value, size, opened, points, g.junction)
    root = 1.0 / ((1.5 - np.sqrt(2.21)) / 0.02)
    assert not crossings.read.any()
    assert crossings.row.tolist() == [0]
    cell = int(crossings.cell[0])
    assert g.y[points[cell]] < root < g.y[points[cell + 1]]
    status, lo, hi = certify.classify_sparse(left, right)
    assert status.tolist() == [0]
    assert g.y[lo[0]] < root < g.y[hi[0]]
    assert hi[0] == lo[0] + 1
    assert irr(cf).rate[0] == pytest.approx(root - 1.0, abs=1e-13)


def test_a_close_pair_of_roots_is_not_certified() -> None:
    """Roots 10% and 10.2% (status 4, as in README): ``R`` has an extremum between them, the durations of the two
    parts overlap there, and the cell is read, not certified."""
    cf = np.array([[-1.0, 2.202, -1.2122]])
    left, right = scaled_rows(cf)
    assert certify.classify_sparse(left, right)[0].tolist() == [4]
    assert fg.classify_every_point(left, right)[0].tolist() == [4]


def test_a_certificate_without_its_condition_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The comparisons above have teeth: with the durations' condition dropped (every open cell taken as monotone)
    the reading differs from the whole grid on the adversarial rows (near-double roots become one crossing or
    none)."""
    differs = 0
    for n_years in (12, 20):
        left, right = scaled_rows(adversarial(n_years, n_years))
        want = fg.classify_every_point(left, right)
        assert_same(certify.classify_sparse(left, right), want)
        with monkeypatch.context() as patch:
            patch.setattr(monotone, "_GAP", -1e9)
            differs += int(np.count_nonzero(certify.classify_sparse(left, right)[0] != want[0]))
    assert differs > 0
