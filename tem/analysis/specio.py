"""Load an analysis specification (sweep, Monte Carlo) from YAML with the same error quality as assumption files.

Duplicate keys, unsafe tags, oversize files, unknown keys ("did you mean"), wrong types, percents where a
fraction is expected, and NaN/inf are all reported together with file, line, dotted path and what is allowed.
Relative values such as ``-20%`` are written as strings and parsed by :func:`parse_relative`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from tem.assumptions.loader import file_problem
from tem.assumptions.yamlio import read_yaml
from tem.errors import AssumptionError, OptionError, Problem, TemError, show_value

M = TypeVar("M", bound=BaseModel)
Loc = tuple[Any, ...]
RELATIVE = re.compile(r"^\s*([+-]?\d+(?:\.\d+)?)\s*%\s*$")


def parse_relative(value: str) -> float | None:
    """'-20%' -> -0.2, '+5%' -> 0.05; None when ``value`` is not a relative change."""
    match = RELATIVE.match(value)
    return float(match.group(1)) / 100.0 if match else None


class RuleProblems(ValueError):
    """Raised by a model validator of a spec: (dotted path below the model, message) pairs, each reported once
    at its own path and line (rather than one message at the model's, with no line)."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = list(problems)
        super().__init__("; ".join(f"{path}: {message}" if path else message for path, message in self.problems))


_BRANCH = re.compile(r"^(?:float|int|str|bool|list|dict|none)$|[\[\]-]")  # pydantic's tag of a union member


def _is_branch(step: Any) -> bool:
    """Whether a step of an error location is pydantic's tag of a union member (``float``, ``str``,
    ``list[float]``, ``function-after[...]``) rather than a key: keys of a spec are identifiers or FYs."""
    return isinstance(step, str) and bool(_BRANCH.search(step))


def _branch_fits(tag: str, value: Any) -> bool:
    kind = "float" if isinstance(value, (int, float)) and not isinstance(value, bool) else type(value).__name__
    return tag == kind or tag.endswith(f", {kind}]") or tag.endswith(f"[{kind}]")


def spec_errors(exc: ValidationError, model: type[BaseModel]) -> list[tuple[Loc, str]]:
    """Each problem of a spec once, as (location, message): a :class:`RuleProblems` split into its problems at
    their own paths; the errors of the members of a union (a number or a relative text) merged into one
    message about the value given, from the member that fits its type."""
    merged: dict[Loc, list[tuple[str, Any]]] = {}
    out: list[tuple[Loc, str]] = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        rule = (err.get("ctx") or {}).get("error")
        if isinstance(rule, RuleProblems):
            for sub, message in rule.problems:
                steps = tuple(int(s) if s.isdigit() else s for s in sub.split(".") if s)
                out.append((loc + steps, message))
            continue
        if loc and _is_branch(loc[-1]):
            key = tuple(step for step in loc if not _is_branch(step))
            if key not in merged:
                merged[key] = []
                out.append((key, ""))  # filled below, in the order found
            merged[key].append((str(loc[-1]), err))
            continue
        out.append((loc, error_message(err, model)))
    for i, (loc, message) in enumerate(out):
        if loc in merged and not message:
            branches = merged[loc]
            fits = [err for tag, err in branches if "input" in err and _branch_fits(tag, err["input"])]
            chosen = fits[0] if fits else branches[0][1]
            text = error_message({**chosen, "loc": loc}, model)
            if not fits and len(branches) > 1:
                text += " (or " + " or ".join(str(e["msg"]) for _, e in branches[1:]) + ")"
            out[i] = (loc, text)
    return out


def _model_fields_at(cls: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names of the model that holds ``loc[-1]`` (for suggestions)."""
    import typing

    current: Any = cls
    for step in loc[:-1]:
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(step))
            if field is None:
                return []
            current = field.annotation
            continue
        inner = [a for a in typing.get_args(current) if isinstance(a, type) and issubclass(a, BaseModel)]
        if not inner:
            for a in typing.get_args(current):
                inner += [b for b in typing.get_args(a) if isinstance(b, type) and issubclass(b, BaseModel)]
        if not inner:
            return []
        current = inner[0]
    if not (isinstance(current, type) and issubclass(current, BaseModel)):
        inner = [a for a in typing.get_args(current) if isinstance(a, type) and issubclass(a, BaseModel)]
        current = inner[0] if inner else None
    return list(current.model_fields) if current is not None else []


def _path(loc: tuple[Any, ...], data: Any) -> str:
    parts: list[str] = []
    node = data
    for step in loc:
        if isinstance(step, int) and isinstance(node, list) and step < len(node):
            item = node[step]
            label = item.get("name", item.get("path", step)) if isinstance(item, dict) else step
            parts.append(str(label) if not isinstance(label, str) or "." not in label else str(step))
            node = item
        else:
            parts.append(str(step))
            node = node.get(step) if isinstance(node, dict) else None
    return ".".join(parts)


def _entry(loc: Loc, data: Any) -> str:
    """' (the entry for timeline.discount_rate)' when ``loc`` runs through a list item named by a dotted input
    path (a spec's ``inputs`` or ``parameters``), whose place in the list alone does not say which input."""
    node, named = data, ""
    for step in loc:
        if isinstance(step, int) and isinstance(node, list) and step < len(node):
            node = node[step]
            if isinstance(node, dict) and isinstance(node.get("path"), str) and "." in node["path"]:
                named = node["path"]
        else:
            node = node.get(step) if isinstance(node, dict) else None
    return f" (the entry for {named})" if named else ""


class SpecProblems:
    """Problems found when a loaded spec is checked against an assumption set, each located in the spec file
    (file and line of the dotted path, or of its nearest parent that has a line)."""

    def __init__(self, source: str | None, default_name: str):
        self.file = source or default_name
        self.lines: dict[str, int] = {}
        if source and file_problem(Path(source)) is None:
            _, self.lines, _ = read_yaml(Path(source))
        self.items: list[Problem] = []

    def add(self, where: str, message: str) -> None:
        probe, line = where, None
        while probe and line is None:
            line = self.lines.get(probe)
            probe = probe.rpartition(".")[0]
        self.items.append(Problem(self.file, line, where, message))

    def raise_if_any(self) -> None:
        if self.items:
            raise AssumptionError(self.items)


def load_spec(path: str | Path, model: type[M]) -> M:
    """Read and validate ``path`` as ``model``; raise AssumptionError listing every problem."""
    path = Path(path)
    why = file_problem(path)
    if why is not None:  # one line naming the spec file: a spec is not an assumption file
        raise TemError(f"spec file {path}: {why}")
    data, lines, problems = read_yaml(path)
    if data is None:
        raise AssumptionError(problems)
    try:
        spec = model.model_validate(data, context={"file": str(path)})
    except ValidationError as exc:
        for loc, message in spec_errors(exc, model):
            dotted = _path(loc, data)
            line = None
            probe = dotted
            while probe and line is None:
                line = lines.get(probe)
                probe = probe.rpartition(".")[0]
            problems.append(Problem(str(path), line, dotted, message + _entry(loc, data)))
        raise AssumptionError(problems) from None
    if problems:
        raise AssumptionError(problems)
    return spec


def error_message(err: Any, model: type[BaseModel]) -> str:
    """One pydantic error of a spec in words: the value given (except for a missing key) and what is allowed."""
    loc = tuple(err["loc"])
    message = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        known = _model_fields_at(model, loc)
        hint = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.5)
        suggestion = f"; did you mean {hint[0]!r}?" if hint else f" (allowed: {', '.join(known)})"
        return f"unknown key {loc[-1]!r}{suggestion}"
    if err["type"] == "missing":
        return "required key is missing"
    if "input" in err and not isinstance(err["input"], (dict, list)):
        shown = show_value(err["input"])
        return message if shown in message else f"{shown}: {message}"
    return message


def with_options(spec: M, options: Mapping[str, Any], sources: Mapping[str, str]) -> M:
    """``spec`` with ``options`` (field -> value; None = keep the spec's) validated by the same rules as the spec
    file, never bypassing them. A bad value raises :class:`OptionError` (one line) naming where it came from,
    ``sources[field]`` (e.g. ``'--n'``), the value as given and what the rules allow (:func:`allowed_text`); the
    first bad option in the order of ``options``. A problem of the file itself raises AssumptionError located
    in the file."""
    given = {k: v for k, v in options.items() if v is not None}
    if not given:
        return spec
    data = {**spec.model_dump(exclude_unset=True), **given}
    source = getattr(spec, "source", None)
    try:
        return type(spec).model_validate(data, context={"file": source} if source else None)
    except ValidationError as exc:
        located = SpecProblems(source, "<spec>")
        bad: set[str] = set()
        for loc, message in spec_errors(exc, type(spec)):
            # a rule of the whole spec with no path is blamed on the option it names, e.g. "n = 10 ..."
            named = re.match(r"^(\w+) = ", message)
            field = str(loc[0]) if loc else (named.group(1) if named else "")
            if field in given:  # the value came from the option, not from the file
                bad.add(field)
            else:
                located.add(_path(loc, data) or field, message + _entry(loc, data))
        for field in given:
            if field in bad:
                raise OptionError(sources.get(field, field), given[field], allowed_text(spec, field)) from None
        raise AssumptionError(located.items) from None


def allowed_text(spec: BaseModel, field: str) -> str:
    """What ``field`` of ``spec`` allows, in words (``a whole number from 8 to 1,048,576``): the spec's own words
    when it has them (a method ``allowed(field)``, for a rule of the whole spec), else read from the field's type
    and bounds."""
    own = getattr(spec, "allowed", None)
    text = own(field) if callable(own) else None
    return text if text else field_allowed(type(spec), field)


def field_allowed(model: type[BaseModel], field: str) -> str:
    """A field's type and bounds in words: ``a whole number of at least 0``, ``a number from -1 to 1``."""
    import typing

    info = model.model_fields[field]
    kinds = {a for a in (info.annotation, *typing.get_args(info.annotation)) if a is not type(None)}
    words = "a whole number" if kinds & {int} and not kinds & {float} else "a number" if kinds & {float} else "a value"
    low = high = None
    for rule in info.metadata:
        low = getattr(rule, "ge", low)
        high = getattr(rule, "le", high)
        if getattr(rule, "gt", None) is not None:
            words += f" above {rule.gt:,}"
        if getattr(rule, "lt", None) is not None:
            words += f" below {rule.lt:,}"
    if low is not None and high is not None:
        return f"{words} from {low:,} to {high:,}"
    if low is not None:
        return f"{words} of at least {low:,}"
    if high is not None:
        return f"{words} of at most {high:,}"
    return words
