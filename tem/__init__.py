"""tem: a techno-economic investment model for a battery localization program (INR crore, FY, per kWh).

The names below are imported on first use (``tem.load`` loads :mod:`tem.api` then), so that ``import tem`` is
instant: the command line installs its Ctrl-C handling before any heavy library (numpy, pandas, plotly) loads.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_LAZY = {
    "load": "tem.api",
    "run": "tem.api",
    "run_batch": "tem.api",
    "Assumptions": "tem.assumptions.schema",
    "AssumptionError": "tem.errors",
    "BatchInputError": "tem.errors",
    "TemError": "tem.errors",
    "Result": "tem.model.results",
}

if TYPE_CHECKING:
    from tem.api import load, run, run_batch
    from tem.assumptions.schema import Assumptions
    from tem.errors import AssumptionError, BatchInputError, TemError
    from tem.model.results import Result


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tem' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__all__ = [
    "AssumptionError",
    "Assumptions",
    "BatchInputError",
    "Result",
    "TemError",
    "__version__",
    "load",
    "run",
    "run_batch",
]
