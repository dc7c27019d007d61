"""Safe YAML reading: duplicate keys, unsafe tags and oversize files are errors; every key keeps its line.

PyYAML silently keeps the last of two equal keys; here both are reported. Only the safe YAML subset is
accepted (``!!python/object`` and other tags are rejected). Floats in exponent form without a dot
(``5e-2``), which YAML 1.1 reads as strings, are read as numbers.

Whatever the bytes, reading a file either returns its data or a :class:`~tem.errors.Problem` naming the file
and, where there is one, the line; it never raises. Limits keep hostile files cheap to refuse:

* at most ``MAX_FILE_BYTES`` bytes are read (a size the file system reports, 0 for ``/proc`` files, is not
  trusted);
* only printable characters (YAML 1.1's rule: tab, line breaks and printable Unicode) are accepted;
* nesting is at most ``MAX_DEPTH`` levels and the document at most ``MAX_VALUES`` values, both counted *after*
  aliases (``*name``) and merge keys are expanded, so a few hundred bytes of nested aliases (an "alias bomb")
  and a thousand nested brackets are refused before anything is built; an alias inside its own anchor is
  refused too.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

import yaml

from tem.errors import Problem

MAX_FILE_BYTES = 1_000_000
MAX_DEPTH = 40  # levels of nested blocks and lists; an assumption file needs about 6
MAX_VALUES = 200_000  # keys, values and list items after aliases are expanded; the base case has about 1,000


class _Loader(yaml.SafeLoader):
    """The safe loader with a bound on nesting while composing, and every constructor failure located."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None, None, f"the file nests more than {MAX_DEPTH} levels deep", self.peek_event().start_mark
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except yaml.YAMLError:
            raise
        except (ValueError, TypeError, OverflowError, ArithmeticError) as exc:  # e.g. a date 2001-02-30
            shown = node.value if isinstance(node, yaml.ScalarNode) else node.tag
            raise yaml.constructor.ConstructorError(None, None, f"cannot read {shown!r}: {exc}", node.start_mark) from None


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


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def expansion_problem(root: yaml.Node) -> tuple[int, str] | None:
    """(line, message) when the document, with every alias expanded, nests deeper than ``MAX_DEPTH`` levels,
    holds more than ``MAX_VALUES`` values or contains itself; None when it is fine.

    Each distinct node is visited once (sizes and depths are memoized by node), without recursion, so a
    document that would expand to billions of values is measured in the time it takes to read it.
    """
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        line = node.start_mark.line + 1
        if finished:
            open_nodes.discard(key)
            kids = _children(node)
            size[key] = 1 + sum(size[id(k)] for k in kids)
            depth[key] = 1 + max((depth[id(k)] for k in kids), default=0)
            if depth[key] > MAX_DEPTH:
                return line, f"with its aliases expanded, this nests more than {MAX_DEPTH} levels deep"
            if size[key] > MAX_VALUES:
                return line, (
                    f"with its aliases (*name) expanded, this holds {size[key]:,} values or more; "
                    f"an assumption file may hold at most {MAX_VALUES:,}"
                )
            continue
        if key in size:
            continue
        if key in open_nodes:
            return line, "an alias (*name) refers to a block that contains it; the file would be infinite"
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((k, False) for k in _children(node) if id(k) not in size)
    return None


_CHARACTER_NAMES = {0: "NUL", 0x7F: "DEL", 0x0B: "vertical tab", 0x0C: "form feed", 0x1B: "escape"}


def _character(ch: str) -> str:
    code = ord(ch)
    name = _CHARACTER_NAMES.get(code) or unicodedata.name(ch, "")
    return f"U+{code:04X}" + (f" ({name})" if name else "")


def _reader_problem(shown: str, text: str, exc: yaml.reader.ReaderError) -> Problem:
    """A non-printable character: which one, and where (PyYAML gives only an offset into the text)."""
    pos = max(0, min(int(exc.position), len(text)))
    line = text.count("\n", 0, pos) + 1
    column = pos - (text.rfind("\n", 0, pos) + 1) + 1
    ch = text[pos] if pos < len(text) else chr(int(exc.character))
    return Problem(
        shown,
        line,
        "",
        f"the non-printable character {_character(ch)} at column {column} is not allowed; a YAML file holds "
        "printable text, tabs and line breaks only (write special characters as escapes in double quotes)",
    )


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
        with path.open("rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)  # /proc and other special files report a size of 0
    except OSError as exc:
        return None, {}, [Problem(shown, None, "", f"cannot read the file: {exc.strerror or exc}")]
    if len(raw) > MAX_FILE_BYTES:
        return None, {}, [Problem(shown, None, "", f"the file is over {MAX_FILE_BYTES:,} bytes, the limit for these files")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        return None, {}, [Problem(shown, line, "", f"the file is not UTF-8 text ({exc.reason} at byte {exc.start:,})")]
    try:
        loader = _Loader(text)  # the reader checks every character here
    except yaml.reader.ReaderError as exc:
        return None, {}, [_reader_problem(shown, text, exc)]
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}, [Problem(shown, None, "", "the file is empty; an assumption set is a YAML mapping")]
        too_big = expansion_problem(node)
        if too_big is not None:
            return None, {}, [Problem(shown, too_big[0], "", too_big[1])]
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
        at = mark.line + 1 if mark is not None else None
        msg = (exc.problem or str(exc)).strip()
        if "constructor" in msg or "tag" in msg:
            msg = f"{msg}; only plain YAML (no !!python or custom tags) is allowed"
        return None, {}, [Problem(shown, at, "", f"YAML error: {msg}")]
    except yaml.reader.ReaderError as exc:
        return None, {}, [_reader_problem(shown, text, exc)]
    except yaml.YAMLError as exc:
        return None, {}, [Problem(shown, None, "", f"YAML error: {exc}")]
    except RecursionError:  # pragma: no cover - MAX_DEPTH keeps every recursion far below Python's limit
        return None, {}, [Problem(shown, None, "", f"the file nests too deeply (at most {MAX_DEPTH} levels)")]
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        return None, lines, [Problem(shown, 1, "", f"the top level must be a mapping of blocks, got {type(data).__name__}")]
    return data, lines, problems


def parse_scalar(text: str) -> Any:
    """A ``--set`` value, read as a YAML scalar or flow collection ('48', '0.05', 'null', '{FY28: 5}').

    Text that is not YAML, or that nests or expands beyond the file limits, stays the text itself (and is then
    reported by validation as text where a number or path belongs)."""
    try:
        loader = _Loader(text)
    except yaml.YAMLError:
        return text
    try:
        node = loader.get_single_node()
        if node is None or expansion_problem(node) is not None:
            return None if node is None else text
        return loader.construct_document(node)
    except yaml.YAMLError:
        return text
    finally:
        loader.dispose()
