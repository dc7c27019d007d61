"""Pydantic's validation errors as located problems: each names the file and line where the value was set, the
dotted path, the value given and what is allowed (the loader's ``validation_problems``)."""

from __future__ import annotations

import difflib
import typing
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from tem.assumptions.checks import data_problems
from tem.assumptions.fields import percent_hint
from tem.assumptions.schema import Assumptions, HorizonError
from tem.errors import Problem, show_value

Origins = dict[str, tuple[str, int | None]]


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model class that holds the last element of ``loc`` (for 'did you mean' suggestions)."""
    cls: Any = Assumptions
    for step in loc[:-1]:
        if isinstance(cls, type) and issubclass(cls, BaseModel):
            field = cls.model_fields.get(str(step))
            if field is None:
                return None
            cls = field.annotation
            continue
        cls = _unwrap(cls)
        if cls is None:
            return None
    cls = _unwrap(cls) if not (isinstance(cls, type) and issubclass(cls, BaseModel)) else cls
    return cls if isinstance(cls, type) and issubclass(cls, BaseModel) else None


def _unwrap(ann: Any) -> Any:
    """Inner model of Optional[M], list[M] or dict[str, M]."""
    for arg in typing.get_args(ann):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
        inner = _unwrap(arg)
        if inner is not None:
            return inner
    return None


def _loc_to_path(loc: tuple[Any, ...], data: Mapping[str, Any]) -> str:
    parts: list[str] = []
    node: Any = data
    for step in loc:
        if isinstance(step, int) and isinstance(node, list) and step < len(node):
            item = node[step]
            label = str(item.get("name", step)) if isinstance(item, dict) else str(step)
            parts.append(label)
            node = item
        else:
            parts.append(str(step))
            node = node.get(step) if isinstance(node, dict) else None
    return ".".join(parts)


def _locate(path: str, origins: Origins, default_file: str) -> tuple[str, int | None]:
    probe = path
    while probe:
        if probe in origins:
            return origins[probe]
        probe = probe.rpartition(".")[0]
    return default_file, None


_TYPE_ERRORS = {
    "float_type",
    "float_parsing",
    "int_type",
    "int_parsing",
    "int_from_float",
    "string_type",
    "bool_type",
    "bool_parsing",
    "list_type",
    "dict_type",
    "model_type",
    "model_attributes_type",
}


def _allowed(loc: tuple[Any, ...]) -> str:
    """The bounds of the field at ``loc`` in words ('> 0 and < 1'); '' when it has none or is not a field."""
    model = _model_at(loc)
    field = model.model_fields.get(str(loc[-1])) if model is not None and loc else None
    if field is None:
        return ""
    words = []
    for meta in field.metadata:
        for attr, sign in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            bound = getattr(meta, attr, None)
            if isinstance(bound, (int, float)):
                words.append(f"{sign} {bound:g}")
    return " and ".join(words)


def _explain(err: Any, loc: tuple[Any, ...] = ()) -> str:
    """One pydantic error in words, always with the value given (except for a missing key) and what is allowed."""
    kind = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    msg = str(err["msg"]).removeprefix("Value error, ")
    if kind == "missing":
        return "required key is missing"
    shown = show_value(value)
    bound = ctx.get("le", ctx.get("lt"))
    upper = float(bound) if isinstance(bound, (int, float)) else None
    is_rate = kind in ("less_than_equal", "less_than") and upper is not None and upper <= 1
    if is_rate and upper is not None and isinstance(value, (int, float)) and value >= upper and kind == "less_than":
        # an exclusive maximum: 1 itself is refused, so "the maximum" would mislead
        said = f"is above {upper:g}; allowed: below" if value > upper else "is not allowed: it must be below"
        return f"{value!r} {said} {upper:g}{percent_hint(value, upper)}"
    if is_rate and upper is not None and isinstance(value, (int, float)) and value > upper:
        return f"{value!r} is above {upper:g}, the maximum{percent_hint(value, upper)}"
    if kind == "finite_number":
        return f"{value!r} is not a finite number (NaN and infinity are not allowed)"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than", "literal_error"):
        return f"{shown} is not allowed: {msg[:1].lower()}{msg[1:]}"
    if kind in _TYPE_ERRORS:
        allowed = _allowed(loc)
        return f"{shown}: {msg}" + (f" {allowed}" if allowed and kind.startswith(("float", "int")) else "")
    if isinstance(value, (dict, list)) and kind in ("value_error", "assertion_error"):
        return msg  # a rule about a whole block: the message names what is wrong
    return msg if shown in msg else f"{shown}: {msg}"


def validation_problems(exc: ValidationError, data: Mapping[str, Any], origins: Origins, default_file: str) -> list[Problem]:
    """Every problem pydantic found, plus the timeline-dependent ones.

    The model validator that runs the timeline checks is skipped by pydantic when any field is invalid; then
    the same checks run here on the raw data, skipping whatever pydantic rejected, so that one run reports
    everything.
    """
    problems: list[Problem] = []
    horizon_checked = False
    for err in exc.errors():
        horizon = (err.get("ctx") or {}).get("error")
        if isinstance(horizon, HorizonError):
            horizon_checked = True
            problems += _located(horizon.problems, origins, default_file)
            continue
        loc = tuple(step for step in err["loc"] if step != "[key]")  # a dict key's own error: at the key
        path = _loc_to_path(loc, data)
        if err["type"] == "extra_forbidden":
            model = _model_at(loc)
            known = list(model.model_fields) if model else []
            hint = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.5)
            message = (
                f"unknown key {loc[-1]!r}"
                + (f"; did you mean {hint[0]!r}?" if hint else "")
                + (f" (allowed here: {', '.join(known)})" if known and not hint else "")
            )
        else:
            message = _explain(err, loc)
        f, line = _locate(path, origins, default_file)
        problems.append(Problem(f, line, path, message))
    if not horizon_checked:
        rejected = [tuple(err["loc"]) for err in exc.errors()]
        problems += _located(data_problems(data, rejected=rejected), origins, default_file)
    return problems


def _located(found: list[tuple[str, str]], origins: Origins, default_file: str) -> list[Problem]:
    """(dotted path, message) pairs as Problems, each with the file and line that set its path."""
    return [Problem(*_locate(path, origins, default_file), path, message) for path, message in found]
