"""What every command shares: the typer app, the consoles, ``--set`` parsing, the error guard and JSON output.

The command modules (``run``, ``sweep``, ``compare``, ``montecarlo``, ``init``) import from here and register their
commands on :data:`app`; ``tem/cli/__init__.py`` imports them all and exposes :func:`main`. Nothing outside
``tem/cli`` imports this package except ``tem/__main__.py``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.text import Text

from tem.cli.usage import TemGroup
from tem.errors import AssumptionError, OptionError, Problem, TemError
from tem.exports.writer import OutputError

app = typer.Typer(
    cls=TemGroup,  # usage errors (a bad option value, an unknown option, a missing argument): one line, exit 2
    add_completion=False,
    no_args_is_help=True,
    help="Techno-economic model of a battery localization program.",
)
# Markup, emoji codes and highlighting off: every message carries user text (scenario names, --set values, file
# paths, spec values) that must print exactly as given ("[/]" or ":a:" are text, not Rich tags or emoji codes);
# our own coloured labels are Text with a style (:func:`labelled`), and str table cells and captions print as is.
err = Console(stderr=True, markup=False, emoji=False, highlight=False)
out = Console(markup=False, emoji=False, highlight=False)

LABEL_STYLES = {"error:": "bold red", "warning:": "yellow", "note:": "yellow", "ok": "green"}


def labelled(label: str, message: object) -> Text:
    """``label`` in its colour (``error:``, ``warning:``, ``note:``, ``ok``), a space and ``message`` verbatim."""
    return Text.assemble((label, LABEL_STYLES.get(label, "")), " ", str(message))


def tell(label: str, message: object) -> None:
    """A labelled message on stderr (``tell("error:", exc)``), user text printed as given."""
    err.print(labelled(label, message), soft_wrap=True)


_png_notes: set[str] = set()


def note_png_skipped(why: str) -> None:
    """The note that PNG charts are skipped and why, on stderr, once per reason in a command (a run of several
    scenarios meets the same reason each time); the HTML charts are written all the same."""
    if why not in _png_notes:
        _png_notes.add(why)
        tell("note:", f"PNG charts skipped ({why}); HTML charts are written.")


def _print_version(value: bool) -> None:
    if value:
        from tem import __version__

        out.print(__version__)
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option("--version", is_eager=True, callback=_print_version, help="Print the model version and exit."),
    ] = False,
) -> None:
    """Options before the command (``tem --version``)."""


def parse_sets(sets: list[str]) -> dict[str, Any]:
    from tem.assumptions.yamlio import parse_scalar  # imported on use: the assumptions package loads the schema

    overrides: dict[str, Any] = {}
    given: dict[str, str] = {}  # path -> the --set text that gave it
    problems = []
    for item in sets:
        path, sep, value = item.partition("=")
        path = path.strip()
        if not sep or not path:
            problems.append(
                Problem(
                    "--set", None, item, "expected PATH=VALUE, e.g. --set cells.imported.freight_and_insurance_rate=0.03"
                )
            )
            continue
        # a path given twice, or a path and a block that holds it: which value wins would depend on the order
        # (a duplicate key in a file is refused for the same reason)
        clash = next((p for p in given if p == path or p.startswith(path + ".") or path.startswith(p + ".")), None)
        if clash is not None:
            how = "the same path given twice" if clash == path else "a path and the block that holds it"
            problems.append(
                Problem("--set", None, path, f"{how}: {given[clash]!r} and {item!r}; give each value once")
            )
            continue
        given[path] = item
        overrides[path] = parse_scalar(value)
    if problems:
        raise AssumptionError(problems)
    return overrides


def guard(fn: Callable[[], None]) -> None:
    try:
        fn()
    except OptionError:  # a usage error: the command group prints it after the command's name (tem.cli.usage)
        raise
    except OutputError as exc:  # before TemError, its base: not the user's input, the output target
        tell("error:", exc)
        raise typer.Exit(1) from None
    except AssumptionError as exc:  # one problem: one line (file:line: path: value; allowed); several: the list
        tell("error:", exc.problems[0] if len(exc.problems) == 1 else exc)
        raise typer.Exit(2) from None
    except TemError as exc:
        tell("error:", exc)
        raise typer.Exit(2) from None


def folder_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "scenario"


MAX_CHANGES_TEXT = 60


def run_folder(name: str, overrides: Mapping[str, Any] | None = None) -> str:
    """The output folder of a run: the scenario's (``base``), or, for a run modified with ``--set``, one that says
    so and never overwrites the scenario's own outputs: ``base+discount_rate=0.13`` (the last part of each path;
    ``base+3changes-1a2b3c4d`` when that would be long). ``--set name=...`` renames the scenario instead."""
    changes = {p: v for p, v in (overrides or {}).items() if p not in ("name", "description")}
    base = folder_name(name)
    if not changes:
        return base
    text = "+".join(f"{path.rsplit('.', 1)[-1]}={value}" for path, value in changes.items())
    slug = re.sub(r"[^A-Za-z0-9_.=+-]+", "_", text).strip("._")
    if len(slug) > MAX_CHANGES_TEXT:
        digest = hashlib.sha256(json.dumps(changes, sort_keys=True, default=str).encode()).hexdigest()[:8]
        slug = f"{len(changes)}changes-{digest}"
    return f"{base}+{slug}"


def writing(message: str, quiet: bool = False) -> AbstractContextManager[Any]:
    """A spinner on stderr while outputs are written (nothing with ``quiet``)."""
    return nullcontext() if quiet else err.status(Text(message), spinner="dots")  # a str would be read as markup


def json_text(document: Any) -> str:
    from tem.exports.manifest import jsonable  # imported on use: it brings pandas

    return json.dumps(jsonable(document), indent=2, allow_nan=False) + "\n"
