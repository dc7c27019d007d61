"""tem: a techno-economic investment model for a battery localization program (INR crore, FY, per kWh)."""

from tem.api import load, run, run_batch
from tem.assumptions.schema import Assumptions
from tem.errors import AssumptionError, BatchInputError, TemError
from tem.model.results import Result

__version__ = "0.1.0"

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
