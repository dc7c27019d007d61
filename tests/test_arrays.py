"""tem.arrays: helpers must give numpy's numbers exactly."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tem.arrays import cumsum_years, is_exact_zero

_values = st.floats(allow_nan=True, allow_infinity=True, width=64)


@settings(deadline=None, max_examples=150)
@given(
    hnp.arrays(
        np.float64,
        st.tuples(st.sampled_from([1, 3, 63, 64, 65, 200]), st.integers(1, 25)),
        elements=_values,
    )
)
def test_cumsum_years_equals_numpy_bit_for_bit(x: np.ndarray) -> None:
    with np.errstate(invalid="ignore", over="ignore"):
        assert np.array_equal(cumsum_years(x), np.cumsum(x, axis=1), equal_nan=True)


def test_cumsum_years_hand_values_and_other_inputs() -> None:
    x = np.tile([[1.0, 2.0, 3.0, -4.0]], (100, 1))
    assert np.array_equal(cumsum_years(x), np.tile([[1.0, 3.0, 6.0, 2.0]], (100, 1)))
    assert np.array_equal(cumsum_years(np.array([1.0, 2.0])), [1.0, 3.0])  # 1-D: numpy's own
    flags = np.ones((100, 3), dtype=bool)
    assert np.array_equal(cumsum_years(flags), np.cumsum(flags, axis=1))  # not float: numpy's own


def test_is_exact_zero_only_for_a_single_exact_zero() -> None:
    assert is_exact_zero(np.zeros((1, 1)))
    assert is_exact_zero(np.array([[-0.0]]))
    assert not is_exact_zero(np.array([[1e-300]]))
    assert not is_exact_zero(np.zeros((1, 20)))  # a yearly path, even if all zero, is not skipped
    assert not is_exact_zero(np.zeros((5, 1)))  # per scenario
