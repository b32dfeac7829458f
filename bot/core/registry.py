"""The plugin registry: discovers plugins through entry points and indexes their handlers."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import entry_points

from bot.core.errors import UnknownPlugin
from bot.core.plugin import CommandSpec, ListenerSpec, Plugin
from bot.i18n import add_catalogue

__all__ = ["ENTRY_POINT_GROUP", "PluginRegistry", "RegisteredCommand"]

ENTRY_POINT_GROUP = "sohbet.plugins"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RegisteredCommand:
    plugin: Plugin
    spec: CommandSpec


class PluginRegistry:
    def __init__(self, plugins: Iterable[Plugin] = ()) -> None:
        self.plugins: dict[str, Plugin] = {}
        self.slash: dict[str, RegisteredCommand] = {}
        self.message_commands: dict[str, RegisteredCommand] = {}
        self.listeners: list[tuple[Plugin, ListenerSpec]] = []
        self.load_errors: dict[str, str] = {}
        for plugin in plugins:
            self.register(plugin)

    @classmethod
    def discover(cls, only: Iterable[str] | None = None) -> PluginRegistry:
        """Load every plugin installed under the `sohbet.plugins` entry-point group."""
        wanted = set(only) if only is not None else None
        registry = cls()
        for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            if wanted is not None and ep.name not in wanted:
                continue
            try:
                plugin_cls = ep.load()
                registry.register(plugin_cls())
            except Exception as exc:  # a broken third-party plugin must not stop the bot
                log.exception("could not load plugin %s", ep.name)
                registry.load_errors[ep.name] = f"{type(exc).__name__}: {exc}"
        found = set(registry.plugins) | set(registry.load_errors)
        for missing in sorted((wanted or set()) - found):
            registry.load_errors[missing] = "not installed"
        return registry

    def register(self, plugin: Plugin) -> None:
        name = type(plugin).name
        if not name:
            raise ValueError(f"{type(plugin).__name__} has no name")
        if name in self.plugins:
            raise ValueError(f"plugin {name!r} registered twice")
        for spec in type(plugin).commands():
            table = self.slash if spec.kind == "slash" else self.message_commands
            if spec.name in table:
                other = table[spec.name].spec.plugin
                raise ValueError(f"command {spec.name!r} of {name!r} clashes with {other!r}")
            table[spec.name] = RegisteredCommand(plugin, spec)
        self.listeners.extend((plugin, spec) for spec in type(plugin).listeners())
        self.plugins[name] = plugin
        catalogue = type(plugin).catalogue
        if catalogue is not None:
            add_catalogue(catalogue)

    def unregister(self, name: str, reason: str) -> None:
        """Remove a plugin that failed after loading; remember why."""
        self.plugins.pop(name, None)
        for table in (self.slash, self.message_commands):
            for key in [k for k, c in table.items() if type(c.plugin).name == name]:
                del table[key]
        self.listeners = [(p, s) for p, s in self.listeners if type(p).name != name]
        self.load_errors[name] = reason

    def get(self, name: str) -> Plugin:
        try:
            return self.plugins[name]
        except KeyError:
            raise UnknownPlugin(name, list(self.plugins)) from None

    def find_command(self, typed: str) -> RegisteredCommand | None:
        """The slash command a member named: "docs list", "/docs list", or the one-word form
        some platforms need ("docs_list" on Telegram)."""
        name = " ".join(typed.strip().lstrip("/").lower().split())
        return self.slash.get(name) or self.slash.get(name.replace("_", " "))

    def all_commands(self) -> list[CommandSpec]:
        commands = [c.spec for c in self.slash.values()]
        commands += [c.spec for c in self.message_commands.values()]
        return sorted(commands, key=lambda s: (s.kind, s.name))
