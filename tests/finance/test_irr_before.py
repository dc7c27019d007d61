"""``irr`` against its implementation before issue 15's second IRR pass (tests/finance/certify_before.py, the
sparse reading as it was): the same status and rate, bit for bit, on flows with several sign changes of 3 to 60
years, hostile ones included (near-double roots, NPVs near zero over a wide range, huge and tiny magnitudes,
zeros, NaN and infinite flows); the new certificate 1 and chunking against the old ones; freed memory kept for the
next call (tem/finance/allocator.py)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tem.finance import IrrResult, certify, irr, sign_changes
from tem.finance import grid as fg
from tests.finance import certify_before

ROOT = Path(__file__).parents[2]


def irr_before(cf: np.ndarray) -> IrrResult:
    """``irr`` with the sparse reading as it was (the oracle)."""
    original = certify.classify_several
    certify.classify_several = certify_before.classify_several  # type: ignore[assignment]
    try:
        return irr(cf)
    finally:
        certify.classify_several = original


def hostile_flows(seed: int, n_years: int, n: int = 40) -> np.ndarray:
    """Rows of many kinds, most with several sign changes: random, build-refit-closure, NPV near zero over a wide
    range, near-double roots (two roots 1e-9 to 1e-1 apart in 1 / (1 + r)), magnitudes from 1e-300 to 1e300,
    zeros anywhere (leading and trailing included), all-zero rows, NaN and infinite flows."""
    rng = np.random.default_rng(seed)
    t = n_years
    plain = rng.normal(size=(n, t))
    build = rng.uniform(5.0, 60.0, (n, t))
    build[:, :2] *= -rng.uniform(0.5, 6.0, (n, 1))
    build[:, t // 2] = -rng.uniform(10.0, 200.0, n)
    build[:, -1] = -rng.uniform(0.1, 50.0, n)
    near_zero = rng.normal(size=(n, t)) * 10.0 ** rng.uniform(-9, 0, (n, 1)) + np.resize([1.0, -1.0], t)
    double = np.zeros((n, t))
    for i in range(n):  # (x - a)(x - a - eps) q(x) in x = 1 / (1 + r): coefficients of x**k are the flows
        a = rng.uniform(0.7, 1.4)
        p = np.polymul([1.0, -a], [1.0, -(a + 10.0 ** rng.uniform(-9, -1))])
        c = np.polymul(p, rng.normal(size=max(t - 2, 1)))[::-1][:t]
        double[i, : c.size] = c
    huge = plain * 10.0 ** rng.integers(-300, 301, (n, 1)).astype(float)
    zeros = plain * (rng.random((n, t)) < 0.5)
    zeros[: n // 4, : max(1, t // 3)] = 0.0
    zeros[n // 4 : n // 2, -max(1, t // 3) :] = 0.0
    zeros[-1] = 0.0
    bad = plain.copy()
    bad[rng.random(n) < 0.3, rng.integers(0, t)] = np.nan
    bad[rng.random(n) < 0.2, rng.integers(0, t)] = -np.inf
    bad[rng.random(n) < 0.2, rng.integers(0, t)] = np.inf
    out = np.concatenate([plain, build, near_zero, double, huge, zeros, bad])
    return out[rng.permutation(out.shape[0])]


def assert_same(got: IrrResult, want: IrrResult) -> None:
    np.testing.assert_array_equal(got.status, want.status)
    np.testing.assert_array_equal(got.rate, want.rate)  # NaN where NaN, every other bit equal


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(3, 60))
def test_hypothesis_irr_equals_the_implementation_before(seed: int, n_years: int) -> None:
    cf = hostile_flows(seed, n_years)
    assert_same(irr(cf), irr_before(cf))


def test_irr_equals_the_implementation_before_on_every_status() -> None:
    """One batch of 3 to 60 years each: every status occurs, and all agree with the implementation before."""
    seen: set[int] = set()
    for n_years in (3, 4, 5, 8, 12, 20, 30, 43, 60):
        cf = hostile_flows(n_years, n_years, n=150)
        got = irr(cf)
        assert_same(got, irr_before(cf))
        seen |= set(got.status.tolist())
    assert seen == {0, 1, 2, 3, 4, 5}  # 6 (an NPV check failing after the grid) does not occur on such flows


def test_irr_equals_the_implementation_before_on_the_benchmark_flows() -> None:
    rng = np.random.default_rng(2)  # benchmarks/bench_finance.py, section (c)
    cf = rng.uniform(5.0, 60.0, (10_000, 20))
    cf[:, :2] *= -3.0
    cf[:, 10] = -rng.uniform(20.0, 80.0, 10_000)
    cf[:, -1] = -rng.uniform(0.5, 5.0, 10_000)
    assert_same(irr(cf), irr_before(cf))


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(3, 60))
def test_hypothesis_statuses_and_brackets_equal_the_ones_before(seed: int, n_years: int) -> None:
    """The grid's statuses and brackets (indices of the grid points either side of the root) themselves, for
    every row with several sign changes, before the solver."""
    cf = hostile_flows(seed, n_years)
    cf = cf[np.isfinite(cf).all(axis=1) & (np.abs(cf).max(axis=1) > 0)]
    c = cf * np.ldexp(1.0, -np.frexp(np.abs(cf).max(axis=1))[1])[:, None]  # as irr scales them
    several = np.flatnonzero(sign_changes(c) >= 2)
    c_t, max_abs = np.ascontiguousarray(c.T), np.abs(c[several]).max(axis=1)
    got = certify.classify_several(c_t, several, max_abs)
    want = certify_before.classify_several(c_t, several, max_abs)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)


_VALUES = [-1.0, -0.5, -1e-11, -1e-12, -4e-12, 0.0, 4e-12, 1e-12, 1e-11, 0.5, 1.0]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_VALUES), min_size=6, max_size=6), min_size=1, max_size=20))
def test_hypothesis_certificate_1_equals_the_one_before(rows: list[list[float]]) -> None:
    """:func:`certify.certainly_several` (firsts and lasts of each sign) gives the booleans of the one before
    (signs compared with the first and final sign), values on both sides of the margin (2e-12 here) included."""
    value = np.array(rows)
    max_abs = np.ones(value.shape[0])
    points = np.array([0, 1, 2, 5, 6, 9])  # neighbours and gaps: "two grid points apart" is tested both ways
    got = certify.certainly_several(value, max_abs, points, 10)
    np.testing.assert_array_equal(got, certify_before.certainly_several(value, max_abs, points, 10))


def test_chunks_of_any_size_give_the_same_results(monkeypatch: pytest.MonkeyPatch) -> None:
    """Certificate 1 on chunks of 7 rows and the open rows read 5 at a time (rows left over carried from chunk to
    chunk) give what one chunk gives."""
    cf = hostile_flows(11, 20, n=30)
    want = irr(cf)
    monkeypatch.setattr(certify, "_CERTIFY_CHUNK", 7)
    monkeypatch.setattr(certify, "_OPEN_CHUNK", 5)
    assert_same(irr(cf), want)
    assert (want.status == 0).sum() > 10
    assert (want.status == 3).sum() > 10


_FAULTS = """
import resource, sys
import numpy as np
from tem.finance import irr
rng = np.random.default_rng(2)
cf = rng.uniform(5.0, 60.0, (10_000, 20))
cf[:, :2] *= -3.0
cf[:, 10] = -rng.uniform(20.0, 80.0, 10_000)
cf[:, -1] = -rng.uniform(0.5, 5.0, 10_000)
irr(cf)
faults = []
for _ in range(3):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    irr(cf)
    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
print(max(faults))
"""


def _faults_per_call(keep: str) -> int:
    # glibc's own settings from the environment turn its dynamic thresholds off (dask.distributed's LocalCluster,
    # used by earlier tests, leaves MALLOC_TRIM_THRESHOLD_ in os.environ): measured without them
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MALLOC_", "GLIBC_TUNABLES"))}
    env |= {"PYTHONPATH": str(ROOT), "TEM_KEEP_FREED_MEMORY": keep}
    run = subprocess.run([sys.executable, "-c", _FAULTS], capture_output=True, text=True, env=env, check=True)
    return int(run.stdout)


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's dynamic thresholds")
def test_freed_memory_serves_the_next_call() -> None:
    """After a first call, ``irr`` on 10,000 rows faults in (almost) no fresh page: the memory it freed serves it
    (about 1,000 faults a call, 4 MB, before; ``TEM_KEEP_FREED_MEMORY=0`` shows them again)."""
    assert _faults_per_call("1") < 100
    assert _faults_per_call("0") > 300


def test_the_reference_reads_the_same_grid() -> None:
    """The oracle is the real thing: the reading before gives the whole grid's statuses on the benchmark kind of
    flows (so agreeing with it is agreeing with the rules)."""
    rng = np.random.default_rng(5)
    cf = rng.uniform(5.0, 60.0, (500, 20))
    cf[:, :2] *= -3.0
    cf[:, 10] = -rng.uniform(20.0, 80.0, 500)
    cf[:, -1] = -rng.uniform(0.5, 5.0, 500)
    c = cf * np.ldexp(1.0, -np.frexp(np.abs(cf).max(axis=1))[1])[:, None]
    left, right = fg.align_left(c), fg.align_right(c)
    got, want = certify_before.classify_sparse(left, right), fg.classify_every_point(left, right)
    np.testing.assert_array_equal(got[0], want[0])
