"""Assumption sets: schema, YAML loading with extends and overrides, validation with clear messages."""

from tem.assumptions.loader import load
from tem.assumptions.schema import Assumptions

__all__ = ["Assumptions", "load"]
