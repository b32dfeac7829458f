"""A plugin's settings form, generated from its `PluginSettings` model.

The form only shows fields and hands the typed text to `SettingsService.set` (the same path as
`/plugins config set`), which validates and stores it; nothing here re-implements its rules.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args, get_origin

import annotated_types
from pydantic.fields import FieldInfo

from bot.core.options import unwrap_optional
from bot.core.plugin import PluginSettings
from bot.core.plugin_types import ChoiceOf
from bot.shared.markup import plain

__all__ = ["FormField", "display", "form_fields", "submitted_value"]

_LONG_TEXT = 300  # a text field allowed to be longer than this gets a text area


@dataclass
class FormField:
    name: str
    label: str
    kind: str  # checkbox | number | select | text | textarea
    value: str
    description: str = ""
    choices: tuple[str, ...] = ()
    minimum: str = ""
    maximum: str = ""
    step: str = ""
    max_length: int | None = None
    optional: bool = False  # empty means "none" (e.g. the operator's default)
    error: str = ""
    overridden: bool = False  # set at this level (server, or the chosen channel)


def display(value: Any) -> str:
    """A stored value as the form shows it (and compares it on submit)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, float):
        return f"{value:g}" if abs(value) < 1e15 else repr(value)
    if isinstance(value, list | dict | tuple):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _field(
    name: str, info: FieldInfo, value: Any, choices: Mapping[str, Sequence[str]]
) -> FormField:
    annotation, optional = unwrap_optional(info.annotation)
    field = FormField(
        name=name,
        label=name.replace("_", " ").capitalize(),
        kind="text",
        value=display(value),
        description=plain(info.description or ""),  # may name a command
        optional=optional,
    )
    if get_origin(annotation) is Literal:
        field.kind = "select"
        field.choices = tuple(str(a) for a in get_args(annotation))
    elif isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        field.kind = "select"
        field.choices = tuple(str(m.value) for m in annotation)
    elif annotation is bool:
        field.kind = "checkbox"
    elif annotation in (int, float):
        field.kind = "number"
        field.step = "1" if annotation is int else "any"
    for meta in info.metadata:
        if isinstance(meta, ChoiceOf):  # one of a list known at run time (allowed models)
            offered = list(dict.fromkeys(["", *choices.get(meta.source, ())]))
            field.kind = "select"
            # a value set before the list changed stays visible, not silently replaced
            field.choices = tuple(offered if field.value in offered else [*offered, field.value])
        elif isinstance(meta, annotated_types.Ge | annotated_types.Gt):
            field.minimum = display(getattr(meta, "ge", getattr(meta, "gt", "")))
        elif isinstance(meta, annotated_types.Le | annotated_types.Lt):
            field.maximum = display(getattr(meta, "le", getattr(meta, "lt", "")))
        elif isinstance(meta, annotated_types.MaxLen):
            field.max_length = meta.max_length
    if field.kind == "text" and (field.max_length or 0) > _LONG_TEXT:
        field.kind = "textarea"
    if field.kind == "text" and annotation not in (str,):
        field.description = (field.description + " (JSON)").strip()
    if optional and field.kind in ("number", "text"):
        field.description = (field.description + " — leave empty for the default").strip()
    return field


def form_fields(
    model: type[PluginSettings],
    values: Mapping[str, Any],
    overridden: Collection[str] = (),
    errors: Mapping[str, str] | None = None,
    typed: Mapping[str, str] | None = None,
    choices: Mapping[str, Sequence[str]] | None = None,
) -> list[FormField]:
    """One field per setting, in the model's order; `typed` keeps what was entered when the
    form comes back with errors; `choices` fills settings marked `ChoiceOf(source)`."""
    fields = []
    for name, info in model.model_fields.items():
        field = _field(name, info, values.get(name, info.default), choices or {})
        field.overridden = name in overridden
        if errors and name in errors:
            field.error = errors[name]
            if typed is not None and name in typed:
                field.value = typed[name]
        fields.append(field)
    return fields


def submitted_value(field: FormField, form: Mapping[str, str]) -> tuple[str, Any]:
    """(what the form shows, the raw value for `SettingsService.set`) of one submitted field.

    An unticked checkbox sends nothing, so it means false; an empty optional field means none."""
    if field.kind == "checkbox":
        shown = "true" if form.get(field.name) in ("true", "on", "1") else "false"
        return shown, shown
    text = form.get(field.name, "")
    if field.kind == "textarea":
        text = text.replace("\r\n", "\n")
    if field.optional and not text.strip():
        return "", None
    return text, text
