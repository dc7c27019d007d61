"""Monte Carlo of any N in bounded memory: the design drawn in blocks, each block evaluated in chunks, and only
what the statistics need kept (issue 15, target 4; issue 10, item 19).

The design is a sequence of blocks of at most :data:`DESIGN_BLOCK` scenarios. Up to that N it is one block: the
Latin hypercube (or random design) of the whole run, drawn as before, so results up to 262,144 scenarios are
those of a single design. Beyond it each block is its own Latin hypercube with its own Iman-Conover ordering
(a replicated Latin hypercube: every block is stratified, and the blocks are independent), seeded by
``SeedSequence(seed, spawn_key=(2 + block,))``. The same seed gives the same samples whatever the chunk size,
and :func:`draw_all` (every block at once) gives exactly the samples the streaming run evaluates.

What stays in memory per scenario: each uncertain input's sampled value and each kept KPI (the spec's KPIs plus
NPV, incremental NPV, IRR and its status; with gates the committed NPV and each gate's pass flag), 8 bytes each:
``8 x (K + M)`` bytes, 240 bytes for the shipped spec (21 inputs, 9 KPIs). The statistics add at most ``4 x K``
bytes per scenario (the inputs' ranks, as exact integers) and a few arrays of N at a time; in flight, one block's
draws (8 x K bytes per scenario of the block) and :data:`LOCAL_ROWS` scenarios' batch values and engine chunks.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from tem.analysis.montecarlo.correlation import (
    CorrelationRepair,
    correlation_problems,
    iman_conover,
    nearest_correlation,
    prepare_correlation,
    spearman_to_normal_scores,
)
from tem.analysis.montecarlo.distributions import sorted_strata, uniform_design
from tem.analysis.montecarlo.resolve import ResolvedSpec, batch_arrays
from tem.model.batch_runtime import map_columns, release_freed_memory
from tem.model.engine import DEFAULT_CHUNK_SIZE, run_batch_inputs
from tem.model.funding_kpis import FUNDED_KPIS
from tem.model.inputs import Inputs

DESIGN_BLOCK = 2**18  # scenarios per Latin hypercube block (one block up to this N)
# scenarios turned into batch values at once when running locally: a few engine chunks for the threads, not the
# whole block (its per-scenario values would add about 0.1-0.2 GB beside the engine's chunks)
LOCAL_ROWS = 4 * DEFAULT_CHUNK_SIZE
Progress = Callable[[str, int, int], None]  # (stage, done, total)
MAX_SHARED_CHUNKS = 1024  # chunk numbers per block in a ChunkQueue: 4 bytes each, within the smallest pipe (a page)


class Pending(Protocol):
    """Work started elsewhere (e.g. :class:`tem.cli.forked.Forked`, in a forked child): its result, or stop it."""

    def result(self) -> Any: ...

    def cancel(self) -> None: ...


Beside = Callable[..., Pending]  # beside(fn, *args): fn(*args) started elsewhere, e.g. tem.cli.forked.Forked


@dataclass(frozen=True)
class Draws:
    """The numbers drawn, ``(n, K)`` in each input's draw units, and the correlation actually used."""

    values: np.ndarray
    used: np.ndarray
    repair: CorrelationRepair | None


def block_bounds(n: int, block: int = DESIGN_BLOCK) -> list[tuple[int, int]]:
    """(start, stop) of each design block: one block up to ``block`` scenarios."""
    if n <= block:
        return [(0, n)]
    return [(start, min(n, start + block)) for start in range(0, n, block)]


def _block_seed(seed: int, index: int, blocks: int) -> np.random.SeedSequence:
    # a single block keeps the seed sequence of a whole run (the design of N <= DESIGN_BLOCK is unchanged)
    return np.random.SeedSequence(seed) if blocks == 1 else np.random.SeedSequence(seed, spawn_key=(2 + index,))


def _correlation(resolved: ResolvedSpec) -> tuple[np.ndarray, CorrelationRepair | None, np.ndarray | None]:
    """The Spearman matrix used (after any repair), its report, and the normal scores Iman-Conover targets."""
    used, repair = prepare_correlation(resolved.rank_target, resolved.paths)
    if not (resolved.spec.correlations and len(resolved.inputs) > 1):
        return used, repair, None
    scores = spearman_to_normal_scores(used)
    if correlation_problems(scores):  # the arcsine map can nudge a nearly singular matrix out of the cone
        scores = nearest_correlation(scores)
    return used, repair, scores


def _draw_block(
    resolved: ResolvedSpec, n: int, seq: np.random.SeedSequence, sampling: str, scores: np.ndarray | None
) -> np.ndarray:
    k = len(resolved.inputs)
    design_rng, ic_rng = (np.random.default_rng(s) for s in seq.spawn(2))
    if scores is not None:
        # Iman-Conover keeps each column's values and sets their order, so a Latin hypercube needs only its
        # values: one point in each stratum [i/n, (i+1)/n), already ascending
        presorted = sampling == "lhs"
        u = sorted_strata(n, k, design_rng) if presorted else uniform_design(n, k, sampling, design_rng)
        u = iman_conover(u, scores, ic_rng, presorted=presorted)
    else:
        u = uniform_design(n, k, sampling, design_rng)
    columns = map_columns(lambda j: resolved.inputs[j].distribution.ppf(u[:, j]), range(k), n)
    return np.column_stack(columns) if columns else np.empty((n, 0))


def iter_draws(
    resolved: ResolvedSpec, n: int, seed: int, sampling: str, block: int = DESIGN_BLOCK
) -> tuple[np.ndarray, CorrelationRepair | None, Iterator[tuple[int, np.ndarray]]]:
    """(correlation used, its repair, the blocks' draws ``(start, (m, K) array)`` one at a time)."""
    used, repair, scores = _correlation(resolved)
    bounds = block_bounds(n, block)

    def blocks() -> Iterator[tuple[int, np.ndarray]]:
        for i, (start, stop) in enumerate(bounds):
            yield start, _draw_block(resolved, stop - start, _block_seed(seed, i, len(bounds)), sampling, scores)

    return used, repair, blocks()


def draw_all(resolved: ResolvedSpec, n: int, seed: int, sampling: str, block: int = DESIGN_BLOCK) -> Draws:
    """Every sample at once (``(n, K)``): the same numbers the streaming run draws block by block."""
    used, repair, blocks = iter_draws(resolved, n, seed, sampling, block)
    parts = [values for _, values in blocks]
    return Draws(parts[0] if len(parts) == 1 else np.concatenate(parts), used, repair)


@dataclass(frozen=True)
class Kept:
    """What a run keeps per scenario: sampled values in display units ``(n, K)`` and the kept KPIs ``(n, M)``
    (both column-major, so each column is contiguous), and the hurdle rate per scenario when it is sampled."""

    samples: np.ndarray
    kpis: np.ndarray
    kpi_names: tuple[str, ...]
    hurdle: np.ndarray | None


def needs_funded_view(kpi_names: Sequence[str]) -> bool:
    """Whether any kept KPI is the funded view's (equity, lender): else the engine skips that view (the same bits
    for every other KPI, a fifth less work)."""
    return not set(kpi_names).isdisjoint(FUNDED_KPIS)


def kept_kpis_of(inp: Inputs, resolved: ResolvedSpec, draws: np.ndarray, kpi_names: Sequence[str]) -> np.ndarray:
    """The kept KPIs ``(m, M)`` of a chunk of draws (one task when an executor runs the chunks)."""
    values, scales = batch_arrays(inp, resolved, draws)
    out = run_batch_inputs(inp, values, scales, workers=1, funded=needs_funded_view(kpi_names))
    return np.column_stack([out[name] for name in kpi_names])


class ChunkQueue:
    """The numbers ``0 .. count - 1`` of a block's chunks, for this process and a forked child to share: each
    takes the next number when it is free, so the two finish together whatever else either is doing. A pipe is
    filled with the numbers (4 bytes each) and closed for writing before the fork; a read of 4 bytes is one
    number (Linux reads a pipe under its lock: two readers never split a number) and the end of the pipe is the
    end of the work. Iterate to take numbers; :meth:`close` when done (also in the child's copy, by its exit)."""

    def __init__(self, count: int) -> None:
        if not 0 <= count <= MAX_SHARED_CHUNKS:
            raise ValueError(f"a chunk queue holds 0 to {MAX_SHARED_CHUNKS} chunks, not {count}")
        read_fd, write_fd = os.pipe()
        try:
            os.write(write_fd, b"".join(i.to_bytes(4, "little") for i in range(count)))
        finally:
            os.close(write_fd)
        self._fd: int | None = read_fd

    def __iter__(self) -> Iterator[int]:
        while self._fd is not None:
            token = os.read(self._fd, 4)
            if not token:
                return
            yield int.from_bytes(token, "little")

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def chunks_taken(
    queue: ChunkQueue,
    inp: Inputs,
    resolved: ResolvedSpec,
    draws: np.ndarray,
    spans: Sequence[tuple[int, int]],
    kpi_names: Sequence[str],
) -> dict[int, np.ndarray]:
    """The kept KPIs of each chunk this process takes from ``queue`` (chunk number -> ``(m, M)``): the work of
    the process beside this one (:func:`evaluate_into` with ``beside``)."""
    out = {}
    for i in queue:
        lo, hi = spans[i]
        out[i] = kept_kpis_of(inp, resolved, draws[lo:hi], kpi_names)
    return out


def evaluate_into(
    inp: Inputs,
    resolved: ResolvedSpec,
    kept: Kept,
    start: int,
    draws: np.ndarray,
    *,
    chunk_size: int | None,
    progress: Progress | None,
    stage: str = "evaluate",
    executor: Any | None = None,
    beside: Beside | None = None,
) -> None:
    """Evaluate a block of draws in chunks; write its sampled values and kept KPIs into ``kept`` at ``start``.
    Default chunks: :data:`LOCAL_ROWS` scenarios per engine call, on the engine's threads; with ``executor``
    (e.g. a ``dask.distributed.Client``) each chunk of 10,000 is a task; with ``beside`` (e.g.
    :class:`tem.cli.forked.Forked`) chunks of 10,000 are shared between this process and one started beside it,
    one engine thread each (:func:`evaluate_shared`). The same bits in every case."""
    m = draws.shape[0]
    n = kept.samples.shape[0]
    for j, r in enumerate(resolved.inputs):
        kept.samples[start : start + m, j] = r.display(draws[:, j])
    if kept.hurdle is not None:
        kept.hurdle[start : start + m] = draws[:, resolved.paths.index("valuation.hurdle_rate")]
    step = max(1, min(chunk_size or (DEFAULT_CHUNK_SIZE if executor is not None else LOCAL_ROWS), m))
    if executor is not None:
        spans = [(lo, min(m, lo + step)) for lo in range(0, m, step)]
        futures = [executor.submit(kept_kpis_of, inp, resolved, draws[lo:hi], kept.kpi_names) for lo, hi in spans]
        for (lo, hi), future in zip(spans, futures, strict=True):
            kept.kpis[start + lo : start + hi, :] = future.result()
            if progress is not None:
                progress(stage, start + hi, n)
        return
    if beside is not None and m > (chunk_size or DEFAULT_CHUNK_SIZE):
        evaluate_shared(
            inp, resolved, kept, start, draws, chunk_size=chunk_size, progress=progress, stage=stage, beside=beside
        )
        return
    for lo in range(0, m, step):
        hi = min(m, lo + step)
        values, scales = batch_arrays(inp, resolved, draws[lo:hi])
        out = run_batch_inputs(inp, values, scales, funded=needs_funded_view(kept.kpi_names))
        for i, name in enumerate(kept.kpi_names):
            kept.kpis[start + lo : start + hi, i] = out[name]
        if progress is not None:
            progress(stage, start + hi, n)


def evaluate_shared(
    inp: Inputs,
    resolved: ResolvedSpec,
    kept: Kept,
    start: int,
    draws: np.ndarray,
    *,
    chunk_size: int | None,
    progress: Progress | None,
    beside: Beside,
    stage: str = "evaluate",
) -> None:
    """The kept KPIs of a block's draws (``kept.kpis`` from row ``start``), its chunks shared between this process
    and one started by ``beside`` (e.g. a forked child: the machine's other core, with its own interpreter
    lock): each takes the next chunk when it is free (:class:`ChunkQueue`); the child's chunks come back at the
    end. Each chunk is one engine call on one thread, as an executor's task, so the bits are those of any run.
    Where ``beside`` runs its function in-process when asked for the result (no fork), this process takes every
    chunk and the child's share is empty. The child is stopped if anything here fails (e.g. Ctrl-C)."""
    m = draws.shape[0]
    n = kept.kpis.shape[0]
    step = max(1, min(chunk_size or DEFAULT_CHUNK_SIZE, m), -(-m // MAX_SHARED_CHUNKS))
    spans = [(lo, min(m, lo + step)) for lo in range(0, m, step)]
    queue = ChunkQueue(len(spans))
    done = 0

    def store(i: int, values: np.ndarray) -> None:
        nonlocal done
        lo, hi = spans[i]
        kept.kpis[start + lo : start + hi, :] = values
        done += hi - lo
        if progress is not None:
            progress(stage, start + done, n)

    release_freed_memory()  # freed pages shared with the child would be copied on first write (either side)
    pending = beside(chunks_taken, queue, inp, resolved, draws, spans, kept.kpi_names)
    try:
        for i in queue:
            store(i, kept_kpis_of(inp, resolved, draws[spans[i][0] : spans[i][1]], kept.kpi_names))
        queue.close()
        for i, values in sorted(pending.result().items()):
            store(i, values)
    finally:
        pending.cancel()
        queue.close()
    if done != m:
        raise RuntimeError(f"{done:,} of {m:,} scenarios evaluated: a chunk was lost between the two processes")


def run_streaming(
    inp: Inputs,
    resolved: ResolvedSpec,
    n: int,
    seed: int,
    kpi_names: Sequence[str],
    *,
    chunk_size: int | None = None,
    progress: Progress | None = None,
    block: int = DESIGN_BLOCK,
    executor: Any | None = None,
    beside: Beside | None = None,
) -> tuple[Kept, np.ndarray, CorrelationRepair | None]:
    """Draw and evaluate block by block, keeping only :class:`Kept`; returns it with the correlation used."""
    k = len(resolved.inputs)
    hurdle = np.empty(n) if "valuation.hurdle_rate" in resolved.paths else None
    kept = Kept(np.empty((n, k), order="F"), np.empty((n, len(kpi_names)), order="F"), tuple(kpi_names), hurdle)
    used, repair, blocks = iter_draws(resolved, n, seed, resolved.spec.sampling, block)
    if progress is not None:
        progress("sample", 0, n)
    for start, draws in blocks:
        if progress is not None:
            progress("sample", start + draws.shape[0], n)
        evaluate_into(
            inp, resolved, kept, start, draws, chunk_size=chunk_size, progress=progress, executor=executor, beside=beside
        )
        del draws
    release_freed_memory()  # the engine's freed chunks would only add to the statistics' peak
    return kept, used, repair
