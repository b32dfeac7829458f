"""Command options derived from a handler's signature, and conversion of raw values."""

from __future__ import annotations

import inspect
import math
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal, Union, get_args, get_origin

from bot.core.errors import BadOption
from bot.core.events import Attachment
from bot.i18n import N_, _

__all__ = [
    "OptionKind",
    "OptionSpec",
    "convert_option",
    "options_from_signature",
    "unwrap_optional",
]

OptionKind = Literal["str", "int", "float", "bool", "attachment"]

_KINDS: dict[type, OptionKind] = {
    str: "str",
    int: "int",
    float: "float",
    bool: "bool",
    Attachment: "attachment",
}
_TRUE = {"true", "yes", "on", "1", "y", "evet"}
_FALSE = {"false", "no", "off", "0", "n", "hayır"}


@dataclass(frozen=True)
class OptionSpec:
    name: str
    kind: OptionKind
    required: bool
    default: Any = None
    description: str = ""
    choices: tuple[Any, ...] = ()
    min_value: float | None = None
    max_value: float | None = None
    max_length: int | None = None
    autocomplete: str | None = None  # name of a plugin method returning suggestions
    enum: type[Enum] | None = None  # handlers annotated with an Enum receive its members
    param: str = ""  # the handler's parameter when the option's name differs (e.g. "from")

    @property
    def parameter(self) -> str:
        return self.param or self.name


@dataclass(frozen=True)
class Option:
    """Annotated metadata for an option: `text: Annotated[str, Option("...", max_length=500)]`."""

    description: str = ""
    min_value: float | None = None
    max_value: float | None = None
    max_length: int | None = None
    autocomplete: str | None = None
    name: str | None = None  # the user-facing name when it can't be a parameter (e.g. "from")


def unwrap_optional(annotation: Any) -> tuple[Any, bool]:
    """`X | None` -> (X, True); anything else -> (it, False)."""
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1 and len(get_args(annotation)) == 2:
            return args[0], True
    return annotation, False


def _spec_for(name: str, annotation: Any, default: Any, doc: str) -> OptionSpec:
    meta = Option()
    optional = False
    for _round in range(2):  # Annotated[X | None, ...] and Annotated[X, ...] | None
        if get_origin(annotation) is typing.Annotated:
            base, *extras = get_args(annotation)
            meta = next((e for e in extras if isinstance(e, Option)), meta)
            annotation = base
        annotation, was_optional = unwrap_optional(annotation)
        optional = optional or was_optional
    choices: tuple[Any, ...] = ()
    enum: type[Enum] | None = None
    if get_origin(annotation) is Literal:
        choices = get_args(annotation)
        annotation = type(choices[0])
    elif isinstance(annotation, type) and issubclass(annotation, Enum):
        enum = annotation
        choices = tuple(member.value for member in annotation)
        annotation = type(choices[0])
    kind = _KINDS.get(annotation)
    if kind is None:
        raise TypeError(f"option {name!r}: unsupported type {annotation!r}")
    has_default = default is not inspect.Parameter.empty
    return OptionSpec(
        name=meta.name or name,
        param=name if meta.name else "",
        kind=kind,
        required=not (optional or has_default),
        default=default if has_default else None,
        description=meta.description or doc or name,
        choices=choices,
        min_value=meta.min_value,
        max_value=meta.max_value,
        max_length=meta.max_length,
        autocomplete=meta.autocomplete,
        enum=enum,
    )


def options_from_signature(func: Callable[..., Any], skip: int = 2) -> list[OptionSpec]:
    """Options of `async def handler(self, ctx, ...)`; the first `skip` parameters are fixed."""
    hints = typing.get_type_hints(func, include_extras=True)
    params = list(inspect.signature(func).parameters.values())[skip:]
    return [_spec_for(p.name, hints.get(p.name, str), p.default, "") for p in params]


def convert_option(spec: OptionSpec, value: Any) -> Any:
    """Convert a raw value (a string from the console, or a typed platform value)."""
    if value is None:
        if spec.required:
            raise BadOption(_("`{option}` is required.", option=spec.name))
        return spec.default
    if isinstance(value, Enum):
        value = value.value
    try:
        converted = _convert(spec.kind, value)
    except (TypeError, ValueError):
        raise BadOption(
            _(
                "`{option}` must be {kind}, not `{value}`.",
                option=spec.name,
                kind=_(_KIND_NAMES[spec.kind]),
                value=value,
            )
        ) from None
    if spec.choices and converted not in spec.choices:
        listing = ", ".join(str(c) for c in spec.choices)
        raise BadOption(
            _("`{option}` must be one of: {choices}.", option=spec.name, choices=listing)
        )
    if spec.min_value is not None and converted < spec.min_value:
        low = format(spec.min_value, "g")
        raise BadOption(_("`{option}` must be at least {limit}.", option=spec.name, limit=low))
    if spec.max_value is not None and converted > spec.max_value:
        high = format(spec.max_value, "g")
        raise BadOption(_("`{option}` must be at most {limit}.", option=spec.name, limit=high))
    if (
        spec.max_length is not None
        and isinstance(converted, str)
        and len(converted) > spec.max_length
    ):
        raise BadOption(
            _(
                "`{option}` is too long (max {limit} characters).",
                option=spec.name,
                limit=spec.max_length,
            )
        )
    return spec.enum(converted) if spec.enum is not None else converted


def _convert(kind: OptionKind, value: Any) -> Any:
    if kind == "attachment":
        if not isinstance(value, Attachment):
            raise TypeError
        return value
    if kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError
    if kind == "int":
        if isinstance(value, bool):
            raise TypeError
        if isinstance(value, float) and not value.is_integer():
            raise ValueError
        return int(value)
    if kind == "float":
        if isinstance(value, bool):
            raise TypeError
        number = float(value)
        if not math.isfinite(number):
            raise ValueError
        return number
    if isinstance(value, Attachment):
        raise TypeError
    return str(value)


_KIND_NAMES: dict[OptionKind, str] = {
    "str": N_("text"),
    "int": N_("a whole number"),
    "float": N_("a number"),
    "bool": N_("true or false"),
    "attachment": N_("an attached file"),
}
