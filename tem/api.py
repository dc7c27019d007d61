"""The Python API: ``load``, ``run``, ``run_batch`` (for notebooks and scripts)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tem.assumptions.loader import load as _load
from tem.assumptions.schema import Assumptions
from tem.model.engine import DEFAULT_CHUNK_SIZE, run_batch_inputs, run_inputs
from tem.model.inputs import build_inputs
from tem.model.results import Result


def load(path: str | Path, overrides: Mapping[str, Any] | None = None) -> Assumptions:
    """Read an assumption file (following ``extends``), apply dotted-path overrides, validate.

    Raises :class:`tem.errors.AssumptionError` listing every problem (file, line, path, value, fix).
    """
    return _load(path, overrides)


def run(assumptions: Assumptions) -> Result:
    """Evaluate one assumption set (one scenario) and its import-only counterfactual."""
    main, cf = run_inputs(build_inputs(assumptions))
    return Result(assumptions.name, main, cf, meta={"sources": assumptions.sources, "overrides": assumptions.overrides})


def run_batch(
    assumptions: Assumptions,
    values: Mapping[str, Any] | None = None,
    scales: Mapping[str, Any] | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    workers: int | None = None,
    executor: Any | None = None,
) -> pd.DataFrame:
    """KPIs of S scenarios in one vectorized evaluation (chunked to bound memory); one row per scenario.

    ``values[path]`` gives each scenario its own value: shape (S,) for a scalar input, or for a yearly input
    the first-year value (the whole path scaled with it); (S, T) for a full yearly path. ``scales[path]``
    (S,) multiplies an input (a whole yearly path). Example::

        run_batch(base, {"cells.imported.fob_price_usd_per_kwh": np.linspace(40, 60, 1000)})

    ``executor``: a ``dask.distributed.Client`` (or any executor with ``submit``) runs each chunk as a task on
    a cluster; the result is the same, bit for bit.
    """
    kpis = run_batch_inputs(build_inputs(assumptions), values, scales, chunk_size, workers, executor=executor)
    frame = pd.DataFrame({k: np.asarray(v) for k, v in kpis.items()})
    frame.index.name = "scenario"
    return frame
