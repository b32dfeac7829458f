"""Errors that carry a friendly, user-facing message."""

from __future__ import annotations

from bot.i18n import _, format_number
from bot.shared.errors import SohbetError
from bot.shared.markup import command_ref

__all__ = [
    "BadOption",
    "CooldownActive",
    "NotAllowed",
    "PluginDisabled",
    "SettingsError",
    "SohbetError",
    "UnknownCommand",
    "UnknownPlugin",
]


class UnknownCommand(SohbetError):
    def __init__(self, name: str) -> None:
        super().__init__(
            _(
                "I don't know the command `/{name}`. Try {help} to see what I can do.",
                name=name,
                help=command_ref("help"),
            )
        )
        self.name = name


class UnknownPlugin(SohbetError):
    def __init__(self, name: str, known: list[str]) -> None:
        listing = ", ".join(sorted(known)) or _("none")
        super().__init__(
            _(
                "There is no plugin called `{name}`. Installed plugins: {plugins}.",
                name=name,
                plugins=listing,
            )
        )
        self.name = name


class PluginDisabled(SohbetError):
    def __init__(self, plugin: str) -> None:
        super().__init__(
            _(
                "The `{plugin}` plugin is turned off on this server. An admin can turn it on "
                "with {command}.",
                plugin=plugin,
                command=command_ref("plugins enable", plugin=plugin),
            )
        )
        self.plugin = plugin


class NotAllowed(SohbetError):
    """The member lacks a permission or an allowed role."""


class CooldownActive(SohbetError):
    def __init__(self, retry_after: float) -> None:
        super().__init__(
            _(
                "Slow down a little — try again in {seconds} s.",
                seconds=format_number(retry_after, 1),
            )
        )
        self.retry_after = retry_after


class BadOption(SohbetError):
    """A command option is missing, malformed or out of its choices."""


class SettingsError(SohbetError):
    """A setting key is unknown or its value is invalid."""
