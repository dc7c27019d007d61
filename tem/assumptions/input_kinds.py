"""The catalogue kind of an input (:data:`tem.catalogue.KINDS`: ``rate``, ``usd_kwh``, ``fy``, ...), read from the
schema, so that every page shows an input's value in its unit and format (a customs duty as ``2.5%``, never
``0.025``; a year as ``FY30``), as a KPI's.

The kind comes from the input's name when it carries a unit (``_usd_per_kwh``, ``_inr_cr``, ``_fy``, ``_rate``,
``_share``, ...; :func:`tem.catalogue.suffix_kind`), else from its type in the schema: a yearly share or rate, a
number bounded to [0, 1] or [-1, 1], or a list of such numbers (ramps, spend profiles) is a rate; anything else is
a plain number (``None``).
"""

from __future__ import annotations

import typing
from functools import lru_cache
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from tem import catalogue

RATE_BOUNDS = {(0.0, 1.0), (-1.0, 1.0)}


def _models(annotation: Any) -> list[type[BaseModel]]:
    """The models an annotation holds (``list[CapexPhase]``, ``dict[str, Material] | None``, ``Gate | None``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models(arg)]


def _field(path: str) -> FieldInfo | None:
    """The schema field of the dotted input ``path`` (phases by name, materials by key, conditions by index)."""
    from tem.assumptions.schema import Assumptions  # imported on use: the schema imports this package's modules

    models: list[type[BaseModel]] = [Assumptions]
    found: FieldInfo | None = None
    for step in path.split("."):
        field = next((m.model_fields[step] for m in models if step in m.model_fields), None)
        if field is None:
            if found is None or not models:
                return None
            continue  # a list item's name or index, or a dict's key: the same models hold the next step
        found = field
        models = _models(field.annotation)
    return found


def _bounds(field: FieldInfo) -> tuple[float | None, float | None]:
    low = high = None
    for rule in field.metadata:
        for name in ("ge", "gt"):
            low = getattr(rule, name, None) if getattr(rule, name, None) is not None else low
        for name in ("le", "lt"):
            high = getattr(rule, name, None) if getattr(rule, name, None) is not None else high
    return low, high


def _is_number(annotation: Any) -> bool:
    """``float``, ``int`` or either with rules (``Annotated[float, Field(ge=0)]``)."""
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation in (int, float)


def _is_number_list(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin is list:
        return all(_is_number(a) for a in typing.get_args(annotation))
    return any(_is_number_list(a) for a in typing.get_args(annotation)) if origin is not None else False


@lru_cache(maxsize=1024)
def input_kind(path: str) -> str | None:
    """The catalogue kind of the input at ``path`` (``rate``, ``usd_kwh``, ``fy``, ...); None for a plain number
    (a count, a ratio) or a path the schema does not hold."""
    by_name = catalogue.suffix_kind(path.rsplit(".", 1)[-1])
    if by_name is not None:
        return by_name
    field = _field(path)
    if field is None:
        return None
    extra = field.json_schema_extra
    if isinstance(extra, dict) and extra.get("yearly") in ("share", "rate"):
        return "rate"
    low, high = _bounds(field)
    if (low, high) in RATE_BOUNDS or (_is_number_list(field.annotation) and not path.endswith("_fys")):
        return "rate"
    for arg in (field.annotation, *typing.get_args(field.annotation)):  # Share = Annotated[float, Field(0..1)]
        inner = [m for m in getattr(arg, "__metadata__", ()) if isinstance(m, FieldInfo)]
        if any(_bounds(m) in RATE_BOUNDS for m in inner):
            return "rate"
    return None


def input_label(path: str) -> str:
    """The input at ``path`` in words: its schema description's first sentence, without the unit tag
    (``cells.imported.bcd_rate_vehicle`` -> ``Basic customs duty on cells for EV packs``); the path where the
    schema describes none."""
    field = _field(path)
    text = catalogue.description_text(str(field.description or "")) if field is not None else ""
    text = text.split(" [", 1)[0].split(". ", 1)[0].strip().rstrip(".")
    return text or path
