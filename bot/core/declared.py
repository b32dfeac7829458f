"""The texts plugins declare rather than say: plugin and command descriptions, command names,
option descriptions and choices, settings' descriptions. They are written in English on the
plugin class; menus, /help, /privacy and the dashboard show them through these functions, and
`declared_messages` lists them for the catalogues (tools/messages.py) and their test."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.core.plugin import CommandSpec, Plugin
from bot.i18n import _, pgettext

__all__ = [
    "CHOICE",
    "COMMAND",
    "Declared",
    "choice_label",
    "command_name",
    "declared_messages",
    "describe",
]

COMMAND = "command"  # msgctxt of command names: "docs upload" -> "belge yükle"
CHOICE = "choice"  # msgctxt of choice labels: "bullets" -> "madde işaretleri"


def describe(text: str) -> str:
    """A declared description in the current language."""
    return _(text) if text else text


def command_name(spec: CommandSpec) -> str:
    """A command's name in the current language (as Discord's menu shows it)."""
    return pgettext(COMMAND, spec.name)


def choice_label(value: object) -> str:
    return pgettext(CHOICE, str(value))


@dataclass(frozen=True)
class Declared:
    msgid: str
    context: str | None
    where: str  # "plugin docs", "/docs upload option file", ...


def declared_messages(plugins: Iterable[type[Plugin]]) -> list[Declared]:
    found: list[Declared] = []
    for plugin in plugins:
        where = f"plugin {plugin.name}"
        found.append(Declared(plugin.description, None, where))
        if plugin.stored_data:
            found.append(Declared(plugin.stored_data, None, f"{where} stored_data"))
        for key, field in plugin.Settings.model_fields.items():
            if field.description:
                found.append(Declared(field.description, None, f"{where} setting {key}"))
        for spec in plugin.commands():
            label = f"/{spec.name}"
            found.append(Declared(spec.name, COMMAND, f"{label} name"))
            if spec.kind == "slash":
                found.append(Declared(spec.description, None, f"{label} description"))
            for option in spec.options:
                found.append(Declared(option.description, None, f"{label} option {option.name}"))
                found.extend(
                    Declared(str(c), CHOICE, f"{label} option {option.name} choice")
                    for c in option.choices
                    if option.kind in ("str", "int", "float")
                )
    return [d for d in found if d.msgid]
