"""tem: a techno-economic investment model for a battery localization program (INR crore, FY, per kWh).

The public names are imported on first use (PEP 562), so ``import tem`` and the ``tem`` command line start
without pandas, the engine or the exports: ``tem.load`` brings in only the assumption reader, ``tem.run`` and
``tem.run_batch`` the engine and pandas.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from tem.api import load, run, run_batch
    from tem.assumptions.schema import Assumptions
    from tem.errors import AssumptionError, BatchInputError, TemError
    from tem.model.results import Result

_LAZY = {
    "AssumptionError": "tem.errors",
    "Assumptions": "tem.assumptions.schema",
    "BatchInputError": "tem.errors",
    "Result": "tem.model.results",
    "TemError": "tem.errors",
    "load": "tem.api",
    "run": "tem.api",
    "run_batch": "tem.api",
}

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


def __getattr__(name: str) -> Any:
    """Import a public name on first use (and keep it, so later look-ups are plain attribute reads)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tem' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
