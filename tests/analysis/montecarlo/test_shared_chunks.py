"""Monte Carlo chunks shared with a forked child (issue 15, target 3: ``tem montecarlo`` on both cores): the same
bits as the in-process run whoever takes which chunk, and every chunk taken exactly once."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import tem
from tem.analysis.montecarlo.run import montecarlo
from tem.analysis.montecarlo.spec import load_montecarlo_spec
from tem.analysis.montecarlo.stream import MAX_SHARED_CHUNKS, ChunkQueue
from tem.cli.forked import Forked, fork_available

ROOT = Path(__file__).parents[3]
SPEC = ROOT / "assumptions" / "montecarlo.yaml"
FIELDS = ("samples", "kpis", "summary", "convergence", "rank_contributions", "correlation_achieved")


class Eager:
    """Runs the function at once, here: the 'child' takes every chunk before this process takes any."""

    def __init__(self, fn: Callable[..., Any], *args: Any) -> None:
        self._value = fn(*args)
        self.taken = len(self._value)

    def result(self) -> Any:
        return self._value

    def cancel(self) -> None:
        pass


class Late:
    """Runs the function when asked for the result (as Forked without fork): this process takes every chunk."""

    def __init__(self, fn: Callable[..., Any], *args: Any) -> None:
        self._fn, self._args = fn, args

    def result(self) -> Any:
        value = self._fn(*self._args)
        assert value == {}  # nothing left for it
        return value

    def cancel(self) -> None:
        pass


@pytest.fixture(scope="module")
def gated() -> tem.Assumptions:
    return tem.load(ROOT / "assumptions" / "base.yaml")  # cell plant 1 behind its gate: gate KPIs kept too


@pytest.fixture(scope="module")
def local(gated: tem.Assumptions) -> Any:
    return montecarlo(gated, load_montecarlo_spec(SPEC), n=900, seed=3, chunk_size=130, block=400)


@pytest.mark.parametrize("beside", [Forked, Eager, Late], ids=["forked", "child-takes-all", "parent-takes-all"])
def test_shared_chunks_give_the_bits_of_the_in_process_run(gated: tem.Assumptions, local: Any, beside: Any) -> None:
    seen: list[tuple[str, int, int]] = []
    shared = montecarlo(
        gated, load_montecarlo_spec(SPEC), n=900, seed=3, chunk_size=130, block=400, beside=beside,
        progress=lambda *a: seen.append(a),
    )  # fmt: skip
    for field in FIELDS:
        pd.testing.assert_frame_equal(getattr(shared, field), getattr(local, field), check_exact=True, obj=field)
    assert shared.headline == local.headline
    assert shared.flexibility is not None
    assert local.flexibility is not None
    pd.testing.assert_frame_equal(shared.flexibility.comparison, local.flexibility.comparison, check_exact=True)
    done = [d for stage, d, _ in seen if stage == "evaluate"]
    assert done == sorted(done)
    assert done[-1] == 900  # 3 blocks of 400, 400, 100: 4 + 4 + 1 chunks of <= 130
    assert len(done) == 9


def test_the_child_takes_chunks_while_the_parent_does(gated: tem.Assumptions, local: Any) -> None:
    if not fork_available():
        pytest.skip("no os.fork here")
    taken: list[int] = []

    class Counted(Forked[Any]):
        def result(self) -> Any:
            value = super().result()
            taken.append(len(value))
            return value

    shared = montecarlo(gated, load_montecarlo_spec(SPEC), n=900, seed=3, chunk_size=130, block=400, beside=Counted)
    pd.testing.assert_frame_equal(shared.kpis, local.kpis, check_exact=True)
    assert len(taken) == 2  # one child per block of more than one chunk (the last block, 100 draws, runs here)
    assert all(0 <= t <= 4 for t in taken)


def drain(queue: ChunkQueue, pause_s: float) -> list[int]:
    out = []
    for i in queue:
        out.append(i)
        time.sleep(pause_s)
    return out


def test_two_processes_take_every_chunk_exactly_once() -> None:
    if not fork_available():
        pytest.skip("no os.fork here")
    queue = ChunkQueue(MAX_SHARED_CHUNKS)
    child = Forked(drain, queue, 0.0)
    mine = drain(queue, 0.0)
    queue.close()
    theirs = child.result()
    assert sorted(mine + theirs) == list(range(MAX_SHARED_CHUNKS))
    slow = ChunkQueue(10)  # each takes 0.3 s per number: the child starts long before the parent is done
    child = Forked(drain, slow, 0.3)
    mine = drain(slow, 0.3)
    slow.close()
    theirs = child.result()
    assert sorted(mine + theirs) == list(range(10))
    assert mine
    assert theirs


def test_a_queue_holds_what_fits_in_the_smallest_pipe() -> None:
    assert list(ChunkQueue(0)) == []
    with pytest.raises(ValueError, match="0 to 1024 chunks, not 1025"):
        ChunkQueue(MAX_SHARED_CHUNKS + 1)
