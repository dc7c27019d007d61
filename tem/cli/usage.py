"""Command-line usage errors (an unknown option or command, a value of the wrong type, a missing argument, a
flag given a value, an argument too many) in the project's one-line format, for every command at once.

Typer would print click's boxed usage panel. :class:`TemGroup` (the ``cls`` of the app) turns every usage error
raised while the command line is parsed or a command runs into one line on stderr, exit code 2, before any
command has started (so nothing is written):

    error: tem montecarlo --seed: 'abc' is not allowed; allowed: a whole number

naming the command and option (or argument), the value as given and what is allowed, read from the parameter
itself (its type, choices and bounds), so a new option is covered without a word here. ``--help``, and ``tem``
alone (which prints the help), are unchanged.

This module imports only the standard library and typer (``tem --help`` stays fast).
"""

from __future__ import annotations

import difflib
import enum
import re
import types
import typing
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import PurePath
from typing import Any

import typer
from typer.core import TyperGroup

EXIT_CODE = 2


class TemGroup(TyperGroup):
    """The ``tem`` command group: usage errors in the project's one-line format (see the module docstring)."""

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any) -> Any:
        with _one_line(list(args), lambda: self.context_class(self, info_name=info_name, parent=parent)):
            return super().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx: Any) -> Any:
        args = [*getattr(ctx, "_protected_args", []), *ctx.args]

        def command_context() -> Any:
            command = self.get_command(ctx, args[0]) if args else None
            return None if command is None else command.context_class(command, info_name=args[0], parent=ctx)

        with _one_line(args, command_context):
            command = self.get_command(ctx, args[0]) if args else None
            if command is not None:
                _refuse_repeated(command, args[0], args[1:])
            return super().invoke(ctx)


def _refuse_repeated(command: Any, name: str, args: Sequence[str]) -> None:
    """An option that takes one value (or a switch) given twice: one line and exit code 2, as a key given twice in
    an assumption file (click would keep the last one silently: ``--out a --out b`` wrote to b)."""
    options: dict[str, Any] = {}
    for param in command.params:
        if getattr(param, "param_type_name", "") == "option" and not getattr(param, "multiple", False):
            for flag in (*param.opts, *param.secondary_opts):
                options[flag] = param
    given: dict[str, list[str]] = {}
    i = 0
    while i < len(args) and args[i] != "--":
        arg = args[i]
        flag = arg.split("=", 1)[0] if arg.startswith("--") else arg
        param = options.get(flag)
        takes_value = param is not None and not getattr(param, "is_flag", False) and "=" not in arg
        shown = f"{arg} {args[i + 1]}" if takes_value and i + 1 < len(args) else arg
        i += 2 if takes_value else 1  # an option's value is never read as an option, whatever it looks like
        if param is None:
            continue
        given.setdefault(param.name, []).append(shown)
        if len(given[param.name]) > 1:
            from tem.cli.common import tell  # imported on use: common imports this module

            tell("error:", f"tem {name} {flag}: given twice ({' and '.join(given[param.name])}); give it once")
            raise typer.Exit(EXIT_CODE)


@contextmanager
def _one_line(args: Sequence[str], context: Callable[[], Any]) -> Iterator[None]:
    """Usage errors raised inside: one line on stderr and exit code 2; ``context`` makes the context of the
    command being parsed, for the errors the parser raises without one (a value given to a switch, none to an
    option that takes one)."""
    try:
        yield
    except Exception as exc:  # click's UsageError, vendored in typer (typer._click) or click's own (older typer)
        if type(exc).__name__ == "OptionError":  # tem.errors: a value the command's rules refused (--n -5)
            from tem.cli.common import tell  # imported on use: common imports this module

            tell("error:", f"{_command_path(context())} {exc}")
            raise typer.Exit(EXIT_CODE) from None
        if type(exc).__name__ == "NoArgsIsHelpError" or not _is_usage_error(exc):
            raise  # `tem` alone prints the help as before; other errors keep their own handling
        if getattr(exc, "ctx", None) is None:
            exc.ctx = context()  # type: ignore[attr-defined]
        from tem.cli.common import tell  # imported on use: common imports this module

        tell("error:", usage_message(exc, args))
        raise typer.Exit(EXIT_CODE) from None


def _is_usage_error(exc: BaseException) -> bool:
    return any(cls.__name__ == "UsageError" for cls in type(exc).__mro__)


def usage_message(exc: BaseException, args: Sequence[str] = ()) -> str:
    """The one line (without ``error:``) for a usage error ``exc`` raised while ``args`` were parsed."""
    ctx = getattr(exc, "ctx", None)
    where = _command_path(ctx)
    kinds = {cls.__name__ for cls in type(exc).__mro__}  # click's classes by name: vendored in typer or not
    text = " ".join(str(getattr(exc, "message", exc)).split())
    param = getattr(exc, "param", None)
    if "NoSuchOption" in kinds:
        name = str(getattr(exc, "option_name", ""))
        hint = _did_you_mean(name, _option_names(ctx))
        return f"{where}: {name!r} is not an option of {where}{hint}; allowed: {_options_text(ctx)}"
    if "BadOptionUsage" in kinds:
        name = str(getattr(exc, "option_name", ""))
        option = _find_option(ctx, name)
        if option is not None and getattr(option, "is_flag", False):
            given = _given_after_equals(args, name)
            shown = f"{given!r} is not allowed" if given is not None else "a value is not allowed"
            return f"{where} {name}: {shown}; allowed: no value ({name} is a switch)"
        if option is not None:
            return f"{where} {name}: no value given; allowed: {_allowed(option)}"
        return f"{where} {name}: {_lower_first(text)}"
    if "MissingParameter" in kinds and param is not None:
        return f"{where}: {_param_name(param)} missing; allowed: {_allowed(param)}"
    if "BadParameter" in kinds and param is not None:
        value = _bad_value(exc, param, args)
        shown = f"{value!r} is not allowed" if value is not None else "not allowed"
        return f"{where} {_param_name(param)}: {shown}; allowed: {_allowed(param)}"
    extra = re.fullmatch(r"Got unexpected extra argument(?:s|\(s\))? \((.*)\)\.?", text)
    if extra is not None:
        return f"{where}: {extra.group(1)!r}: more arguments than {where} takes; allowed: {_arguments_text(ctx)}"
    command = re.fullmatch(r"No such command '(.*?)'\..*", text)
    if command is not None:
        name = command.group(1)
        commands = _command_names(ctx)
        return f"{where}: {name!r} is not a command{_did_you_mean(name, commands)}; allowed: {', '.join(commands)}"
    if text.rstrip(".") == "Missing command":
        return f"{where}: no command given; allowed: {', '.join(_command_names(ctx))}"
    return f"{where}: {_lower_first(text)}"


def _command_path(ctx: Any) -> str:
    """``tem montecarlo`` whatever the program was called (``python -m tem``, the console script)."""
    names = []
    while ctx is not None:
        names.append(ctx.info_name if ctx.parent is not None else "tem")
        ctx = ctx.parent
    return " ".join(reversed(names)) if names else "tem"


def _params(ctx: Any) -> list[Any]:
    command = getattr(ctx, "command", None)
    return list(getattr(command, "params", []))


def _is_option(param: Any) -> bool:
    return getattr(param, "param_type_name", "") == "option"


def _find_option(ctx: Any, name: str) -> Any:
    return next((p for p in _params(ctx) if _is_option(p) and name in (*p.opts, *p.secondary_opts)), None)


def _option_names(ctx: Any) -> list[str]:
    names = [n for p in _params(ctx) if _is_option(p) and not p.hidden for n in (*p.opts, *p.secondary_opts)]
    return [*names, "--help"]


def _options_text(ctx: Any) -> str:
    texts = ["/".join((*p.opts, *p.secondary_opts)) for p in _params(ctx) if _is_option(p) and not p.hidden]
    return ", ".join([*texts, "--help"])


def _arguments_text(ctx: Any) -> str:
    arguments = [p for p in _params(ctx) if not _is_option(p)]
    if not arguments:
        return "no arguments"
    texts = []
    for p in arguments:
        name = _param_name(p)
        texts.append(f"any number of {name}" if p.nargs == -1 else f"at most one {name}")
    return ", ".join(texts)


def _command_names(ctx: Any) -> list[str]:
    commands = getattr(getattr(ctx, "command", None), "commands", {})
    return [name for name, command in commands.items() if not getattr(command, "hidden", False)]


def _did_you_mean(name: str, choices: list[str]) -> str:
    bare = {choice.lstrip("-"): choice for choice in choices}  # "--bogus" is not close to "--out"
    close = difflib.get_close_matches(name.lstrip("-"), list(bare), n=1)
    return f" (did you mean {bare[close[0]]!r}?)" if close else ""


def _param_name(param: Any) -> str:
    if _is_option(param):
        return str(max(param.opts, key=len))
    return str(param.name).upper()


def _given_after_equals(args: Sequence[str], name: str) -> str | None:
    given = [a.partition("=")[2] for a in args if a.startswith(name + "=")]
    return given[-1] if given else None


def _bad_value(exc: BaseException, param: Any, args: Sequence[str]) -> object:
    """The value as given: from the validation error typer raised it from, else the last one on the command line."""
    errors = getattr(exc.__cause__, "errors", None)
    if callable(errors):
        try:
            found = errors()
        except Exception:  # any other error object: fall back to the command line
            found = []
        if found and "input" in found[0]:
            return found[0]["input"]
    if _is_option(param):
        names = (*param.opts, *param.secondary_opts)
        values = [
            arg.partition("=")[2] if "=" in arg else (args[i + 1] if i + 1 < len(args) else None)
            for i, arg in enumerate(args)
            if arg in names or arg.partition("=")[0] in names
        ]
        return values[-1] if values else None
    return None


def _annotation(param: Any) -> Any:
    descriptor = getattr(param, "type_descriptor", None)
    return getattr(descriptor, "annotation", None)


def _allowed(param: Any) -> str:
    """What ``param`` takes, in words, read from its type: ``a whole number from 1 to 10``, ``sequential,
    shapley or both``, ``a path``."""
    annotation = _annotation(param)
    many = typing.get_origin(annotation) in (list, tuple, Sequence) or getattr(param, "nargs", 1) == -1
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (list, tuple, Sequence) and args:
        annotation = args[0]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        annotation = next((a for a in typing.get_args(annotation) if a is not type(None)), annotation)
    words = _words(annotation)
    if many and not _is_option(param):
        words = "one or more " + PLURALS.get(words, words)
    return _described(words + _bounds(param), param)


PLURALS = {"a whole number": "whole numbers", "a number": "numbers", "a path": "paths", "text": "texts"}


def _words(annotation: Any) -> str:
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return _choices([str(m.value) for m in annotation])
    if typing.get_origin(annotation) is typing.Literal:
        return _choices([str(v) for v in typing.get_args(annotation)])
    if annotation is bool:
        return "true or false"
    if annotation is int:
        return "a whole number"
    if annotation is float:
        return "a number"
    if isinstance(annotation, type) and issubclass(annotation, PurePath):
        return "a path"
    return "text"


def _described(words: str, param: Any) -> str:
    """Text alone says little: add what the parameter's help says it is (``text (Override PATH=VALUE)``)."""
    help_text = " ".join(str(getattr(param, "help", None) or "").split()).rstrip(".")
    return f"{words} ({help_text})" if words in ("text", "one or more texts") and help_text else words


def _choices(values: list[str]) -> str:
    return values[0] if len(values) == 1 else ", ".join(values[:-1]) + " or " + values[-1]


def _bounds(param: Any) -> str:
    low, high = getattr(param, "min", None), getattr(param, "max", None)
    if low is not None and high is not None:
        return f" from {low} to {high}"
    if low is not None:
        return f" of at least {low}"
    if high is not None:
        return f" of at most {high}"
    return ""


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]
