"""Command lines generated from configuration dataclasses.

Every setting tengen takes on a command line is a field of a dataclass
(``EngineConfig``, ``SearchConfig``, ``TrainConfig``, ``MatchConfig``, ...),
declared with ``option`` (its help text, flag and parser in the field's
metadata) or ``section`` (a nested dataclass, shown as an argument group).
``add_options`` turns the fields into ``argparse`` options and ``from_args``
builds the dataclass from what was given, so that

* each default lives in one place, the field: an option left out is not
  passed at all (``argparse.SUPPRESS``) and the dataclass's own default,
  or the rule in its ``__post_init__``, applies; a config that offers
  another config's option declares it with ``option_of``;
* validation happens once, in ``__post_init__``: a ValueError there is the
  command line's error message (``parse_config``), and the same check
  guards callers that build the config in code.

The way back: ``to_argv`` writes the command line that builds a given
config (so that one process can start another with the same settings),
``from_dict`` rebuilds a config saved with ``dataclasses.asdict`` (a
checkpoint's), and ``resumed`` is what a resumed run goes on with: its
saved design, with the fields marked ``resume=`` taken from its new
command line.

Why by hand: argparse-dataclass libraries exist, but none handles nested
sections, ``X | None`` fields whose None means "decided later", and
BooleanOptionalAction flags together; this is 200 lines.
"""

import argparse
import dataclasses
import types
import typing
from collections.abc import Callable, Collection
from typing import Any, ClassVar, Protocol, TypeVar


class Dataclass(Protocol):
    """Any dataclass instance (what ``dataclasses.fields`` accepts)."""
    __dataclass_fields__: ClassVar[dict[str, Any]]


T = TypeVar("T", bound=Dataclass)

# ``option(resume=...)``: what a resumed run takes from its new command line
ALWAYS = "always"          # the new command line's value, given or not (stopping rules, machinery)
IF_GIVEN = "if given"      # the new value when the option is on the command line
# any other word names a condition the caller passes to ``resumed`` (``when``)


def option(default: Any = dataclasses.MISSING, *, help: str, flag: str | None = None,
           metavar: str | None = None, choices: typing.Sequence | None = None,
           parse: Callable[[str], Any] | None = None, text: Callable[[Any], str] | None = None,
           default_factory: Any = dataclasses.MISSING, positional: bool = False,
           resume: str | None = None) -> Any:
    """A dataclass field that is also a command-line option ``--flag``
    (default: the field name with ``-`` for ``_``).  ``parse`` converts the
    text (default: the field's type), ``text`` writes a value back for
    ``to_argv`` (default ``str``); ``help`` should say what a None default
    means.  ``positional``: a positional argument instead.  ``resume``:
    when a resumed run takes the field from its new command line
    (``ALWAYS``, ``IF_GIVEN``, or a condition named to ``resumed``);
    without it the run keeps its saved value."""
    meta = {"help": help, "flag": flag, "metavar": metavar, "choices": choices,
            "parse": parse, "text": text, "positional": positional, "resume": resume}
    if default_factory is not dataclasses.MISSING:
        return dataclasses.field(default_factory=default_factory, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def option_of(cls: type, name: str, **changes: Any) -> Any:
    """Another config's option ``cls.name``, offered by this config too: the
    same default and check, so that both state them once (``changes``:
    e.g. a ``help`` that says more about this command)."""
    f = next(f for f in dataclasses.fields(cls) if f.name == name)
    meta = {**f.metadata, **changes}
    if f.default_factory is not dataclasses.MISSING:
        return dataclasses.field(default_factory=f.default_factory, metadata=meta)
    return dataclasses.field(default=f.default, metadata=meta)


def section(cls: type, title: str | None = None, exclude: Collection[str] = ()) -> Any:
    """A nested config dataclass, its options shown under ``title`` (none:
    among the options around it); ``exclude``: its fields that this command
    does not offer (they keep their defaults)."""
    return dataclasses.field(default_factory=cls,
                             metadata={"section": title, "exclude": tuple(exclude)})


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


def _default(f: dataclasses.Field) -> Any:
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return f.default


def _flag(f: dataclasses.Field) -> str:
    return "--" + (f.metadata["flag"] or f.name.replace("_", "-"))


def add_options(parser: argparse.ArgumentParser | Any, cls: type, prefix: str = "",
                exclude: Collection[str] = (), _root: argparse.ArgumentParser | None = None
                ) -> None:
    """Add an option for every ``option`` field of ``cls`` (recursively for
    ``section`` fields, each in an argument group of its own) to ``parser``;
    ``dest`` is the field's dotted path.  ``exclude``: field names left off."""
    root = _root or parser
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if f.name in exclude:
            continue
        if "section" in f.metadata:
            title = f.metadata["section"]
            group = root.add_argument_group(title) if title else parser
            add_options(group, hints[f.name], f"{prefix}{f.name}.", f.metadata["exclude"], root)
            continue
        if "help" not in f.metadata:
            continue
        meta = f.metadata
        kind = _base_type(hints[f.name])
        listed = typing.get_origin(kind) is list
        help_text = meta["help"]
        if "default" not in help_text:
            help_text += _default_text(f)
        kw: dict[str, Any] = {"help": help_text, "default": argparse.SUPPRESS}
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        if meta["positional"]:
            if listed:
                kw["nargs"] = "+" if required else "*"
            parser.add_argument(prefix + f.name, metavar=meta["metavar"] or f.name.upper(),
                                type=meta["parse"] or (typing.get_args(kind)[0] if listed
                                                       else kind),
                                choices=meta["choices"], **kw)
            continue
        if required:
            kw["required"] = True
        if kind is bool:
            kw["action"] = argparse.BooleanOptionalAction
        elif listed:
            kw["nargs"] = "+" if required else "*"
            kw["type"] = meta["parse"] or typing.get_args(kind)[0]
            kw["metavar"] = meta["metavar"] or f.name.upper()
        else:
            kw["type"] = meta["parse"] or kind
            kw["metavar"] = meta["metavar"] or (None if meta["choices"] else f.name.upper())
            kw["choices"] = meta["choices"]
        parser.add_argument(_flag(f), dest=prefix + f.name, **kw)


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


def given_options(args: argparse.Namespace) -> set[str]:
    """The dotted field paths of the options on the command line (an
    option left out is not in ``args`` at all)."""
    return set(vars(args))


def to_argv(config: Any, exclude: Collection[str] = (), _unset: Any = None) -> list[str]:
    """The command line from which ``add_options`` and ``from_args`` build
    ``config`` again: an option for each field that differs from what
    leaving it out gives (sections too), positional arguments first.
    ValueError for a field that differs but is no option of the command
    line (or one ``exclude`` leaves off), which no command line could
    restore."""
    positional: list[str] = []
    flags: list[str] = []
    hints = typing.get_type_hints(type(config))
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if "section" in f.metadata:
            if f.name in exclude and value != _default(f):
                raise ValueError(f"{type(config).__name__}.{f.name} is not on the command line")
            # a section left out is built whole, its __post_init__ included
            flags += to_argv(value, f.metadata["exclude"], _default(f))
            continue
        if value == (_default(f) if _unset is None else getattr(_unset, f.name)):
            continue
        if "help" not in f.metadata or f.name in exclude:
            raise ValueError(f"{type(config).__name__}.{f.name} = {value!r} is not on the "
                             "command line")
        meta = f.metadata
        write = meta["text"] or (lambda v: repr(v) if isinstance(v, float) else str(v))
        if value is None:
            raise ValueError(f"{type(config).__name__}.{f.name}: None cannot be given")
        if meta["positional"]:
            positional += [write(v) for v in value] if isinstance(value, list) else [write(value)]
        elif _base_type(hints[f.name]) is bool:
            flags.append(_flag(f) if value else "--no-" + _flag(f)[2:])
        elif isinstance(value, list):
            flags += [_flag(f), *(write(v) for v in value)]
        else:
            flags += [_flag(f), write(value)]
    return positional + flags


def from_dict(cls: type[T], data: dict[str, Any]) -> T:
    """``cls`` from ``dataclasses.asdict`` of one (a checkpoint's config),
    its sections rebuilt.  A section missing from ``data`` takes its fields
    from ``data`` itself: a config saved before those fields moved into the
    section."""
    hints = typing.get_type_hints(cls)
    data = dict(data)
    for f in dataclasses.fields(cls):
        if "section" not in f.metadata:
            continue
        inner = hints[f.name]
        if f.name in data:
            data[f.name] = from_dict(inner, data[f.name])
        else:
            names = {g.name for g in dataclasses.fields(inner)}
            data[f.name] = from_dict(inner, {k: data.pop(k) for k in list(data) if k in names})
    return cls(**data)


def resumed(saved: T, command: T, given: Collection[str] | None = (),
            when: Collection[str] = (), prefix: str = "") -> T:
    """What a resumed run goes on with: ``saved`` (its design, from its
    checkpoint) with the fields whose ``resume`` says so taken from
    ``command`` (the new command line's config): ``ALWAYS``; ``IF_GIVEN``
    when the field's dotted path is in ``given`` (``given_options``; None:
    as if every option were given); a condition when it is in ``when``."""
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(saved):
        if "section" in f.metadata:
            inner = resumed(getattr(saved, f.name), getattr(command, f.name), given, when,
                            f"{prefix}{f.name}.")
            if inner != getattr(saved, f.name):
                changes[f.name] = inner
            continue
        rule = f.metadata.get("resume")
        if (rule == ALWAYS or rule in when
                or (rule == IF_GIVEN and (given is None or prefix + f.name in given))):
            changes[f.name] = getattr(command, f.name)
    return dataclasses.replace(saved, **changes) if changes else saved


# ---- the checks the configs share -------------------------------------------

def require(condition: bool, message: str) -> None:
    """The one form of a config's checks in ``__post_init__``."""
    if not condition:
        raise ValueError(message)


def at_least(config: Any, minimum: int, *names: str) -> None:
    """Each of the fields ``names`` of ``config`` is at least ``minimum``
    (None passes: decided later); the message names the option."""
    fields = {f.name: f for f in dataclasses.fields(config)}
    for name in names:
        f, value = fields[name], getattr(config, name)
        where = _flag(f) if "help" in f.metadata else name.replace("_", " ")
        require(value is None or value >= minimum, f"{where} must be at least {minimum}")
