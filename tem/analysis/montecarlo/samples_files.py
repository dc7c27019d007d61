"""Every scenario of a Monte Carlo run as a file: ``samples.parquet`` always, ``samples.csv`` on request.

One row per scenario: ``scenario`` (0-based), the number drawn for each uncertain input (in the units of the
Inputs sheet's ``sample_column``), then the KPIs kept. Parquet (pyarrow) keeps every float64 bit and is written
in a fraction of a second for 100,000 scenarios; the CSV is the same table as text, ``%.10g`` with empty cells
for NaN (the text pandas' ``to_csv(float_format="%.10g")`` gives, at about twice its speed).
"""

from __future__ import annotations

import io
import json
import re
from typing import TYPE_CHECKING

import numpy as np

from tem.exports.safe_text import csv_field

if TYPE_CHECKING:
    from tem.analysis.montecarlo.run import MonteCarloResult

CSV_FLOAT = "%.10g"
_NAN_CELL = re.compile(r"(?<=,)nan(?=,|\n)")
ROW_GROUP = 1_000_000


def _columns(result: MonteCarloResult, stack: bool = True) -> tuple[list[str], np.ndarray | None]:
    names = [str(c) for c in (*result.samples.columns, *result.kpis.columns)]
    if set(result.samples.columns) & set(result.kpis.columns):
        raise ValueError("an input path and a KPI share a name")
    if not stack:
        return names, None
    return names, np.column_stack([result.samples.to_numpy(dtype=float), result.kpis.to_numpy(dtype=float)])


def samples_parquet(result: MonteCarloResult) -> bytes:
    """``samples.parquet``: the table described in the module doc, with the run's scenario, N, seed and sampling
    in the file's key-value metadata (key ``tem``)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    names, _ = _columns(result, stack=False)
    frames = (result.samples, result.kpis)
    columns = [frame[c].to_numpy(dtype=float) for frame in frames for c in frame.columns]  # no copy of the table
    arrays = [pa.array(np.arange(result.n, dtype=np.int64)), *(pa.array(c) for c in columns)]
    meta = {"scenario": result.scenario, "n": result.n, "seed": result.seed, "sampling": result.sampling}
    table = pa.table(arrays, names=["scenario", *names]).replace_schema_metadata({"tem": json.dumps(meta)})
    buf = io.BytesIO()
    pq.write_table(table, buf, row_group_size=ROW_GROUP)
    return buf.getvalue()


def samples_csv(result: MonteCarloResult) -> str:
    """``samples.csv``: the same table as text (see the module doc)."""
    names, data = _columns(result)
    assert data is not None
    row = "%d," + ",".join([CSV_FLOAT] * len(names)) if names else "%d"
    lines = [row % tuple(r) for r in np.column_stack([np.arange(result.n, dtype=float), data]).tolist()]
    body = _NAN_CELL.sub("", "\n".join(lines) + "\n")
    return ",".join(csv_field(n) for n in ["scenario", *names]) + "\n" + body  # the header through the safe writer
