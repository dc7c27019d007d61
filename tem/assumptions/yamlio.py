"""Safe YAML reading: duplicate keys, unsafe tags and oversize files are errors; every key keeps its line.

PyYAML silently keeps the last of two equal keys; here both are reported. Only the safe YAML subset is
accepted (``!!python/object`` and other tags are rejected). Floats in exponent form without a dot
(``5e-2``), which YAML 1.1 reads as strings, are read as numbers.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from tem.errors import Problem

MAX_FILE_BYTES = 1_000_000


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |\.[0-9_]+(?:[eE][-+][0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        re.X,
    ),
    list("-+0123456789."),
)


def _key_text(node: yaml.Node) -> str:
    return str(node.value) if isinstance(node, yaml.ScalarNode) else "<complex key>"


def _walk(node: yaml.Node, path: str, lines: dict[str, int], dups: list[tuple[str, int, int]]) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = _key_text(key_node)
            line = key_node.start_mark.line + 1
            child = f"{path}.{key}" if path else key
            if key in seen:
                dups.append((child, seen[key], line))
            seen[key] = line
            lines[child] = line
            _walk(value_node, child, lines, dups)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            label = str(i)
            if isinstance(item, yaml.MappingNode):
                for k, v in item.value:
                    if _key_text(k) == "name" and isinstance(v, yaml.ScalarNode):
                        label = str(v.value)
            child = f"{path}.{label}"
            lines[child] = item.start_mark.line + 1
            _walk(item, child, lines, dups)


def read_yaml(path: Path) -> tuple[Any, dict[str, int], list[Problem]]:
    """Parse one file: (data, line of every dotted path, problems). Data is None when unusable."""
    shown = str(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        return None, {}, [Problem(shown, None, "", f"cannot read the file: {exc.strerror or exc}")]
    if size > MAX_FILE_BYTES:
        return (
            None,
            {},
            [
                Problem(
                    shown, None, "", f"the file is {size:,} bytes; assumption files are limited to {MAX_FILE_BYTES:,} bytes"
                )
            ],
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, {}, [Problem(shown, None, "", f"the file is not UTF-8 text ({exc.reason})")]
    except OSError as exc:
        return None, {}, [Problem(shown, None, "", f"cannot read the file: {exc.strerror or exc}")]
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}, [Problem(shown, None, "", "the file is empty; an assumption set is a YAML mapping")]
        lines: dict[str, int] = {}
        dups: list[tuple[str, int, int]] = []
        _walk(node, "", lines, dups)
        problems = [
            Problem(shown, second, p, f"duplicate key: also set on line {first}; YAML would silently keep only the last one")
            for p, first, second in dups
        ]
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        msg = (exc.problem or str(exc)).strip()
        if "constructor" in msg or "tag" in msg:
            msg = f"{msg}; only plain YAML (no !!python or custom tags) is allowed"
        return None, {}, [Problem(shown, line, "", f"YAML error: {msg}")]
    except yaml.YAMLError as exc:
        return None, {}, [Problem(shown, None, "", f"YAML error: {exc}")]
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        return None, lines, [Problem(shown, 1, "", f"the top level must be a mapping of blocks, got {type(data).__name__}")]
    return data, lines, problems


def parse_scalar(text: str) -> Any:
    """A ``--set`` value, read as a YAML scalar or flow collection ('48', '0.05', 'null', '{FY28: 5}')."""
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.YAMLError:
        return text
