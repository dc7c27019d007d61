"""Walk an assumption model leaf by leaf, naming each leaf by its dotted path.

Lists of capex phases are addressed by phase name (``capex.phases.cell_plant_1.capex_inr_cr``) and dicts of
material groups by key (``cells.local.materials.cathode.local_share``), the same paths that overrides use;
items without a name (a gate's conditions) by index (``capex.phases.cell_plant_1.gate.when.0.threshold``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo


@dataclass(frozen=True)
class Leaf:
    path: str
    value: Any
    field: FieldInfo

    @property
    def yearly_bound(self) -> str | None:
        extra = self.field.json_schema_extra
        if isinstance(extra, dict):
            bound = extra.get("yearly")
            return bound if isinstance(bound, str) else None
        return None


def iter_leaves(model: BaseModel, prefix: str = "") -> Iterator[Leaf]:
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        path = f"{prefix}{name}"
        if isinstance(value, BaseModel):
            yield from iter_leaves(value, path + ".")
        elif isinstance(value, dict) and value and all(isinstance(v, BaseModel) for v in value.values()):
            for key, sub in value.items():
                yield from iter_leaves(sub, f"{path}.{key}.")
        elif isinstance(value, list) and value and all(isinstance(v, BaseModel) for v in value):
            for i, sub in enumerate(value):
                key = getattr(sub, "name", i)  # named items (phases) by name, others (gate conditions) by index
                yield from iter_leaves(sub, f"{path}.{key}.")
        else:
            yield Leaf(path, value, field)
