"""Yearly paths without numpy: ``path_floats`` against ``resolve_yearly``, and the bound check of ``tem validate``
(``checks._path_problem``) against the check on numpy's array it replaces."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tem.assumptions.checks import _path_problem
from tem.assumptions.fields import bound_problem
from tem.assumptions.yearly import fy_label, path_floats, resolve_yearly

FIRST = 2026
BOUNDS = ("share", "nonneg", "positive", "any")


def numpy_verdict(value: Any, bound: str, n: int) -> str | None:
    """The check as it was: every value of numpy's path, the first that breaks the bound."""
    for i, x in enumerate(resolve_yearly(value, FIRST, n)):
        p = bound_problem(float(x), bound, derived=True)
        if p:
            return f"in {fy_label(FIRST + i)} the path reaches {p}"
    return None


numbers = st.one_of(
    st.floats(-2.0, 2.0, allow_nan=False),
    st.sampled_from([0.0, 1.0, -0.0, 1e-300, 0.5, 1 - 1e-16, 1e-9]),
    st.integers(-3, 3),
)


@st.composite
def yearly_values(draw: st.DrawFn) -> tuple[Any, int]:
    n = draw(st.integers(1, 25))
    form = draw(st.sampled_from(["number", "list", "growth", "hold", "linear"]))
    if form == "number":
        return draw(numbers), n
    if form == "list":
        return draw(st.lists(numbers, min_size=n, max_size=n)), n
    if form == "growth":
        growth = draw(st.one_of(st.floats(-0.999, 3.0, allow_nan=False), st.sampled_from([0.0, 0.03, -0.5, 400.0])))
        return {"start": draw(numbers), "growth": growth}, n
    years = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True))
    value: dict[str, Any] = {f"FY{(FIRST + t) % 100:02d}": draw(numbers) for t in years}
    if form == "linear" or draw(st.booleans()):
        value["interpolation"] = form if form == "linear" else "hold"
    return value, n


@settings(max_examples=400, deadline=None)
@given(yearly_values(), st.sampled_from(BOUNDS))
def test_bound_check_without_numpy_is_the_check_on_numpy_s_path(case: tuple[Any, int], bound: str) -> None:
    value, n = case
    assert _path_problem(value, bound, FIRST, n) == numpy_verdict(value, bound, n)


@settings(max_examples=400, deadline=None)
@given(yearly_values())
def test_path_floats_exact_where_it_says_and_close_elsewhere(case: tuple[Any, int]) -> None:
    value, n = case
    approx = path_floats(value, FIRST, n)
    with np.errstate(over="ignore"):
        ref = resolve_yearly(value, FIRST, n)
    if approx is None:  # only a growth path that overflows Python's floats
        assert "growth" in value
        assert not np.isfinite(ref).all()
        return
    assert len(approx) == n
    for (x, exact), y in zip(approx, ref.tolist(), strict=True):
        if exact:
            assert x == y
            assert math.copysign(1, x) == math.copysign(1, y) or x == 0
        else:
            assert math.isclose(x, y, rel_tol=1e-12, abs_tol=1e-300)


def test_worked_examples() -> None:
    # 0.5 * 1.2 ** t: 0.5, 0.6, 0.72, 0.864, 1.0368 -> the fifth year (FY30) leaves [0, 1]
    assert _path_problem({"start": 0.5, "growth": 0.2}, "share", FIRST, 6) == (
        "in FY30 the path reaches 1.0368 is outside [0, 1] (a fraction)"
    )
    assert _path_problem({"start": 0.5, "growth": 0.2}, "share", FIRST, 4) is None
    # linear from 0 in FY26 to 1 in FY30: 0, 0.25, 0.5, 0.75, 1 (exact at the points, inside between them)
    assert path_floats({"FY26": 0.0, "FY30": 1.0, "interpolation": "linear"}, FIRST, 6) == [
        (0.0, True),
        (0.25, False),
        (0.5, False),
        (0.75, False),
        (1.0, True),
        (1.0, True),
    ]
    # held points: the first value before the first point
    assert [x for x, _ in path_floats({"FY28": 3.0, "FY30": 5.0}, FIRST, 6) or ()] == [3.0, 3.0, 3.0, 3.0, 5.0, 5.0]
    assert _path_problem([0.1, -0.2, 0.3], "nonneg", FIRST, 3) == (
        "in FY27 the path reaches -0.2 is negative; this value must be >= 0"
    )
