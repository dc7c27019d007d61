"""Load an assumption set: follow ``extends``, deep-merge, apply dotted overrides, validate, explain.

Merge rules (a scenario file over the file it extends):

* mappings merge key by key, recursively;
* a yearly input (number, list, ``{start, growth}`` or FY points) is replaced as a whole, never mixed;
* lists of named items (``capex.phases``) merge by ``name``: an item with a known name is merged into that
  item, a new name is appended, and ``{name: x, remove: true}`` deletes phase x;
* every other list (spend profiles, ramps) is replaced as a whole.

Overrides (``{"cells.imported.freight_and_insurance_rate": 0.03}`` or ``--set a.b=v``) apply after the merge;
a path step through ``capex.phases`` names a phase.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tem.assumptions.problems import Origins, validation_problems
from tem.assumptions.schema import Assumptions
from tem.assumptions.yamlio import read_yaml
from tem.assumptions.yearly import FY_KEY
from tem.errors import AssumptionError, Problem, show_value


def _is_yearly_dict(d: Any) -> bool:
    if not isinstance(d, dict) or not d:
        return False
    keys = set(d)
    if keys <= {"start", "growth"}:
        return True
    return all(k == "interpolation" or (isinstance(k, str) and FY_KEY.match(k)) for k in keys)


def _is_named_list(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(i, dict) and "name" in i for i in v)


def deep_merge(base: Any, over: Any, path: str = "", problems: list[tuple[str, str]] | None = None) -> Any:
    """Merge ``over`` onto ``base`` by the rules in the module docstring; inputs are not modified.

    Mistakes in ``over`` (a named item listed twice, removing a name that does not exist) are appended to
    ``problems`` as (dotted path, message).
    """
    found = problems if problems is not None else []
    if isinstance(base, dict) and isinstance(over, dict) and not _is_yearly_dict(base) and not _is_yearly_dict(over):
        out = dict(base)
        for k, v in over.items():
            out[k] = deep_merge(base[k], v, f"{path}.{k}" if path else str(k), found) if k in base else v
        return out
    if _is_named_list(base) and isinstance(over, list) and all(isinstance(i, dict) and "name" in i for i in over):
        items = [dict(i) for i in base]
        seen: set[Any] = set()
        for item in over:
            name = item["name"]
            if name in seen:
                found.append((f"{path}.{name}.name", f"name {name!r} is used twice in this file; names must be unique"))
                continue
            seen.add(name)
            idx = next((j for j, b in enumerate(items) if b["name"] == name), None)
            if item.get("remove") is True:
                if idx is not None:
                    items.pop(idx)
                else:
                    names = [str(b["name"]) for b in items]
                    hint = difflib.get_close_matches(str(name), names, n=1)
                    found.append(
                        (
                            f"{path}.{name}",
                            f"cannot remove {name!r}: no such item"
                            + (f"; did you mean {hint[0]!r}?" if hint else f" (names: {', '.join(names)})"),
                        )
                    )
                continue
            if idx is None:
                items.append(item)
            else:
                items[idx] = deep_merge(items[idx], item)
        return items
    return over


def real_path(path: Path) -> Path | None:
    """``path`` made absolute with every symbolic link followed; None when the links form a loop."""
    try:
        return path.resolve()
    except (RuntimeError, OSError):  # RuntimeError: Python < 3.13 on a symbolic-link loop
        return None


def file_problem(path: Path) -> str | None:
    """Why ``path`` cannot be read as an input file (missing, a link loop, a folder, a device); None if it can."""
    if real_path(path) is None:
        return "the path is a loop of symbolic links (a link that leads back to itself)"
    try:
        st = path.stat()
    except FileNotFoundError:
        return "file not found"
    except OSError as exc:
        return f"cannot read the file: {exc.strerror or exc}"
    if stat.S_ISDIR(st.st_mode):
        return "this is a folder, not a file"
    if not stat.S_ISREG(st.st_mode):
        return "this is not a regular file (a device, pipe or socket); give a YAML file"
    return None


def _read_chain(
    path: Path, stack: list[Path], problems: list[Problem], via: str = "", reached: dict[str, str] | None = None
) -> tuple[dict[str, Any] | None, Origins, list[Path]]:
    """Read a file and everything it extends; returns (merged data or None, origins, files read, base first).

    ``via`` says how this file was reached ("" for the file the user named); ``reached`` collects it for every
    base file, so a problem found in a base file can say which user file and key led there.
    """
    reached = {} if reached is None else reached
    resolved = real_path(path) or path.absolute()
    data, lines, found = read_yaml(path)
    problems += found
    if data is None:
        return None, {}, [resolved]
    origins: Origins = {p: (str(path), ln) for p, ln in lines.items()}
    parent = data.pop("extends", None)
    if parent is None:
        return data, origins, [resolved]
    line = lines.get("extends")
    if not isinstance(parent, str) or not parent.strip():
        problems.append(Problem(str(path), line, "extends", f"must be a relative file path, got {show_value(parent)}"))
        return data, origins, [resolved]
    parent_path = path.parent / parent
    why = file_problem(parent_path)
    if why == "file not found":
        why = f"{parent!r} not found (looked for {parent_path}); the path is relative to the file that extends it"
    elif why is not None:
        why = f"{parent!r} cannot be read ({parent_path}): {why}"
    if why is not None:
        problems.append(Problem(str(path), line, "extends", why))
        return data, origins, [resolved]
    parent_real = real_path(parent_path)
    if parent_real in stack or parent_real == resolved:
        chain = " -> ".join(str(p) for p in [*stack, resolved, parent_real])
        problems.append(Problem(str(path), line, "extends", f"cyclic extends: {chain}"))
        return data, origins, [resolved]
    step = f"{path}:{line} extends: {parent}"
    reached.setdefault(str(parent_path), f"{via}, then {step}" if via else step)
    base, base_origins, files = _read_chain(parent_path, [*stack, resolved], problems, reached[str(parent_path)], reached)
    if base is None:
        return None, {}, [*files, resolved]
    merge_problems: list[tuple[str, str]] = []
    merged = deep_merge(base, data, "", merge_problems)
    for where, message in merge_problems:
        problems.append(Problem(str(path), lines.get(where, lines.get(where.rpartition(".")[0])), where, message))
    return merged, {**base_origins, **origins}, [*files, resolved]


def apply_override(data: dict[str, Any], dotted: str, value: Any) -> str | None:
    """Set ``dotted`` in ``data`` (in place); returns a problem message or None."""
    parts = dotted.split(".")
    if not all(parts):
        return "empty step in the path; write block.key.subkey"
    node: Any = data
    for i, part in enumerate(parts[:-1]):
        if isinstance(node, list):
            unnamed = not any(isinstance(item, dict) and "name" in item for item in node)
            if unnamed and part.isdigit() and int(part) < len(node):  # items without names (gate conditions)
                node = node[int(part)]
                continue
            names = [str(item.get("name")) for item in node if isinstance(item, dict)]
            match = next((item for item in node if isinstance(item, dict) and item.get("name") == part), None)
            if match is None:
                hint = difflib.get_close_matches(part, names, n=1)
                return f"no item named {part!r} under {'.'.join(parts[:i])}; names: {names}" + (
                    f"; did you mean {hint[0]!r}?" if hint else ""
                )
            node = match
            continue
        if not isinstance(node, dict):
            return f"{'.'.join(parts[:i])} is a value, not a block; cannot set {dotted}"
        if part not in node or node[part] is None:
            node[part] = {}
        elif _is_yearly_dict(node[part]) or not isinstance(node[part], (dict, list)):
            return f"{'.'.join(parts[: i + 1])} is a value, not a block; cannot set {dotted}"
        node = node[part]
    if isinstance(node, list):
        if any(isinstance(item, dict) and item.get("name") == parts[-1] for item in node):
            return (
                f"{dotted} is a block (an item of {'.'.join(parts[:-1])}); set one of its keys, e.g. {dotted}.capex_inr_cr"
            )
        return f"{'.'.join(parts[:-1])} is a list of named items; add the item name to the path"
    node[parts[-1]] = value
    return None


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load(path: str | Path, overrides: Mapping[str, Any] | None = None, *, override_source: str = "<python>") -> Assumptions:
    """Read, merge, override and validate an assumption file; raise AssumptionError listing every problem."""
    path = Path(path)
    problems: list[Problem] = []
    why = file_problem(path)
    if why is not None:
        raise AssumptionError([Problem(str(path), None, "", why)])
    reached: dict[str, str] = {}
    try:
        return _load(path, overrides or {}, override_source, problems, reached)
    except AssumptionError as exc:
        raise AssumptionError(_with_via(exc.problems, reached)) from None


def _with_via(problems: list[Problem], reached: Mapping[str, str]) -> list[Problem]:
    """Each problem in a base file says which user file and ``extends`` line led there."""
    return [
        dataclasses.replace(p, via=reached[p.file]) if p.file is not None and p.file in reached and not p.via else p
        for p in problems
    ]


def _load(
    path: Path, overrides: Mapping[str, Any], override_source: str, problems: list[Problem], reached: dict[str, str]
) -> Assumptions:
    data, origins, files = _read_chain(path, [], problems, "", reached)
    if data is None or any(p.path == "extends" for p in problems):
        raise AssumptionError(problems)  # without its base the set cannot be validated meaningfully
    for dotted, value in overrides.items():
        msg = apply_override(data, dotted, value)
        if msg:
            problems.append(Problem(override_source, None, dotted, msg))
            continue
        # the override now owns this path and everything below it
        for key in [k for k in origins if k == dotted or k.startswith(dotted + ".")]:
            del origins[key]
        origins[dotted] = (override_source, None)
        for step in range(1, dotted.count(".") + 1):  # a block created by the override is blamed on it too
            parent = dotted.rsplit(".", step)[0]
            origins.setdefault(parent, (override_source, None))
    try:
        model = Assumptions.model_validate(data)
    except ValidationError as exc:
        problems += validation_problems(exc, data, origins, str(path))
        raise AssumptionError(problems) from None
    if problems:
        raise AssumptionError(problems)
    model._sources = tuple((str(f), sha256_of(f)) for f in files)
    model._overrides = dict(overrides or {})
    model._origins = dict(origins)
    return model
