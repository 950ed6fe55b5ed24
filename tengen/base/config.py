"""Command lines generated from configuration dataclasses.

Every setting tengen takes on a command line is a field of a dataclass
(``EngineConfig``, ``SearchConfig``, ``TrainConfig``, ``MatchConfig``, ...),
declared with ``option`` (its help text, flag and parser in the field's
metadata) or ``section`` (a nested dataclass, shown as an argument group).
``add_options`` turns the fields into ``argparse`` options and ``from_args``
builds the dataclass from what was given, so that

* each default lives in one place, the field: an option left out is not
  passed at all (``argparse.SUPPRESS``) and the dataclass's own default,
  or the rule in its ``__post_init__``, applies;
* validation happens once, in ``__post_init__``: a ValueError there is the
  command line's error message (``parse_config``), and the same check
  guards callers that build the config in code.

Why by hand: argparse-dataclass libraries exist, but none handles nested
sections, ``X | None`` fields whose None means "decided later", and
BooleanOptionalAction flags together; this is 100 lines.
"""

import argparse
import dataclasses
import types
import typing
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def option(default: Any = dataclasses.MISSING, *, help: str, flag: str | None = None,
           metavar: str | None = None, choices: typing.Sequence | None = None,
           parse: Callable[[str], Any] | None = None,
           default_factory: Any = dataclasses.MISSING, positional: bool = False) -> Any:
    """A dataclass field that is also a command-line option ``--flag``
    (default: the field name with ``-`` for ``_``).  ``parse`` converts the
    text (default: the field's type); ``help`` should say what a None
    default means.  ``positional``: a positional argument instead."""
    meta = {"help": help, "flag": flag, "metavar": metavar, "choices": choices,
            "parse": parse, "positional": positional}
    if default_factory is not dataclasses.MISSING:
        return dataclasses.field(default_factory=default_factory, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def section(cls: type, title: str) -> Any:
    """A nested config dataclass, its options shown under ``title``."""
    return dataclasses.field(default_factory=cls, metadata={"section": title})


def _base_type(annotation: Any) -> Any:
    """``int`` for ``int | None``, the annotation itself otherwise."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _default_text(f: dataclasses.Field) -> str:
    if f.default is dataclasses.MISSING or f.default is None:
        return ""
    value = f.default
    if isinstance(value, bool):
        return ""
    return f" (default {value:g})" if isinstance(value, float) else f" (default {value})"


def add_options(parser: argparse.ArgumentParser | Any, cls: type, prefix: str = "",
                exclude: typing.Collection[str] = ()) -> None:
    """Add an option for every ``option`` field of ``cls`` (recursively for
    ``section`` fields, each in an argument group) to ``parser``; ``dest``
    is the field's dotted path.  ``exclude``: field names left off."""
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if f.name in exclude:
            continue
        if "section" in f.metadata:
            group = parser.add_argument_group(f.metadata["section"])
            add_options(group, hints[f.name], f"{prefix}{f.name}.")
            continue
        if "help" not in f.metadata:
            continue
        meta = f.metadata
        kind = _base_type(hints[f.name])
        help_text = meta["help"]
        if "default" not in help_text:
            help_text += _default_text(f)
        kw: dict[str, Any] = {"help": help_text, "default": argparse.SUPPRESS}
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            kw["required"] = True
        if meta["positional"]:
            kw.pop("default")
            kw.pop("required", None)
            parser.add_argument(prefix + f.name, metavar=meta["metavar"] or f.name.upper(),
                                type=meta["parse"] or kind, choices=meta["choices"], **kw)
            continue
        flag = "--" + (meta["flag"] or f.name.replace("_", "-"))
        if kind is bool:
            kw["action"] = argparse.BooleanOptionalAction
        elif typing.get_origin(kind) is list:
            kw["nargs"] = "+" if kw.get("required") else "*"
            kw["type"] = meta["parse"] or typing.get_args(kind)[0]
            kw["metavar"] = meta["metavar"] or f.name.upper()
        else:
            kw["type"] = meta["parse"] or kind
            kw["metavar"] = meta["metavar"] or (None if meta["choices"] else f.name.upper())
            kw["choices"] = meta["choices"]
        parser.add_argument(flag, dest=prefix + f.name, **kw)


def from_args(cls: type[T], args: argparse.Namespace, prefix: str = "", **given: Any) -> T:
    """``cls`` built from the options present in ``args`` (nested sections
    too), ``given`` on top; the dataclass validates (ValueError)."""
    hints = typing.get_type_hints(cls)
    kw: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if "section" in f.metadata:
            kw[f.name] = from_args(hints[f.name], args, f"{prefix}{f.name}.")
        elif hasattr(args, prefix + f.name):
            kw[f.name] = getattr(args, prefix + f.name)
    kw.update(given)
    return cls(**kw)


def parse_config(parser: argparse.ArgumentParser, cls: type[T], args: argparse.Namespace,
                 **given: Any) -> T:
    """``from_args``, with a validation error reported as the command
    line's error (usage and message on stderr, exit status 2)."""
    try:
        return from_args(cls, args, **given)
    except ValueError as e:
        parser.error(str(e))
        raise   # not reached: parser.error exits


# ---- parsers shared by the configs ------------------------------------------

def positive_int(text: str) -> int:
    n = int(text)
    if n < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return n


def non_negative_int(text: str) -> int:
    n = int(text)
    if n < 0:
        raise argparse.ArgumentTypeError("must be at least 0")
    return n


def require(condition: bool, message: str) -> None:
    """The one form of a config's checks in ``__post_init__``."""
    if not condition:
        raise ValueError(message)
