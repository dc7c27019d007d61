"""BLAS on one thread inside ``irr`` (tem/finance/blas.py; issue 15, target 6): pinned while the grids' matrix
products run, restored after, also when calls overlap; ``irr``'s result does not depend on the caller's thread count."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from tem.finance import grid as finance_grid
from tem.finance import irr
from tem.finance.blas import one_blas_thread


def _blas_threads() -> set[int]:
    return {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}


def several_sign_changes(n: int = 300, seed: int = 2) -> np.ndarray:
    """A build, inflows, a refit in mid-life and a closure cost: flows that change sign three times."""
    rng = np.random.default_rng(seed)
    cf = rng.uniform(5.0, 60.0, (n, 20))
    cf[:, :2] *= -3.0
    cf[:, 10] = -rng.uniform(20.0, 80.0, n)
    cf[:, -1] = -rng.uniform(0.5, 5.0, n)
    return cf


def test_irr_runs_its_matrix_products_on_one_blas_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    if not _blas_threads():
        pytest.skip("no BLAS library seen by threadpoolctl")
    seen: list[set[int]] = []

    def spying(name: str) -> None:  # the grid's products: NPV and PV(|flows|) at the points read (certify.py)
        product = getattr(finance_grid, name)

        def spy(left: np.ndarray, right: np.ndarray, *points: np.ndarray) -> object:
            seen.append(_blas_threads())
            return product(left, right, *points)

        monkeypatch.setattr(finance_grid, name, spy)

    for name in ("grid_values", "grid_npv", "grid_size"):
        spying(name)
    cf = several_sign_changes()
    with threadpool_limits(limits=2, user_api="blas"):
        pinned = irr(cf)
        assert _blas_threads() == {2}  # restored after the call
        with one_blas_thread():
            assert _blas_threads() == {1}
        assert _blas_threads() == {2}
    assert seen
    assert all(s == {1} for s in seen)
    # irr's answer does not depend on the caller's thread count. The grid's products themselves may: OpenBLAS on
    # 2 threads splits the sums differently and 20 of 324,300 values differed in the last bit (a CI machine,
    # 2026-12-01), which is one reason they are pinned.
    with threadpool_limits(limits=1, user_api="blas"):
        single = irr(cf)
    np.testing.assert_array_equal(pinned.rate, single.rate)
    np.testing.assert_array_equal(pinned.status, single.status)
    assert np.bincount(pinned.status, minlength=7)[[0, 3]].all()  # the flows give both an IRR and several


def test_overlapping_calls_restore_the_thread_count() -> None:
    if not _blas_threads():
        pytest.skip("no BLAS library seen by threadpoolctl")
    cf = several_sign_changes(2000)
    expected = irr(cf)
    results: list[object] = []
    with threadpool_limits(limits=2, user_api="blas"):
        threads = [threading.Thread(target=lambda: results.append(irr(cf))) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert _blas_threads() == {2}
    assert len(results) == 4
    for r in results:
        np.testing.assert_array_equal(r.rate, expected.rate)  # type: ignore[attr-defined]
        np.testing.assert_array_equal(r.status, expected.status)  # type: ignore[attr-defined]


def test_a_blas_library_loaded_after_the_first_irr_is_pinned_too() -> None:
    """The controller lists the BLAS libraries loaded when it is built: SciPy's own OpenBLAS, imported after a first
    ``irr``, ran on 2 threads inside ``one_blas_thread`` (a suite order showed {1, 2}). Fresh process, that order."""
    script = (
        "import numpy as np\n"
        "from threadpoolctl import threadpool_info, threadpool_limits\n"
        "from tem.finance import irr\n"
        "from tem.finance.blas import one_blas_thread\n"
        "irr(np.array([[-100.0, 230, -132, 1, 2, 3]] * 10))\n"
        "import scipy.linalg\n"
        "blas = [i for i in threadpool_info() if i['user_api'] == 'blas']\n"
        "with threadpool_limits(limits=2, user_api='blas'), one_blas_thread():\n"
        "    inside = sorted({i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas'})\n"
        "print(len(blas), inside)\n"
    )
    root = Path(__file__).parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True).stdout
    n_libraries, inside = out.split(maxsplit=1)
    if int(n_libraries) < 2:
        pytest.skip("SciPy shares NumPy's BLAS here: nothing is loaded later")
    assert inside.strip() == "[1]"
