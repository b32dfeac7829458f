"""Slash commands and context menus generated from the plugin registry, and cheap syncing.

Each CommandSpec becomes a discord.py app command whose callback has a synthetic signature, so
discord.py's own machinery builds the options (types, choices, ranges, autocomplete, attachments)
and parses what Discord sends. "plugins config set" becomes /plugins config set (group, subgroup,
command). Syncing uploads the command set only when its fingerprint differs from the last sync.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import discord
from discord import app_commands

from bot.core.options import OptionSpec
from bot.core.plugin import CommandSpec
from bot.core.registry import PluginRegistry
from bot.i18n import N_
from bot.platforms.discord.localize import choice_source, command_label, description_label

__all__ = ["CommandHandler", "CommandSync", "TreeBuild", "build_tree", "command_fingerprint"]

log = logging.getLogger(__name__)

ADMIN_PERMISSIONS = discord.Permissions(manage_guild=True)
MAX_DEPTH = 3  # group, subgroup, command
_TYPES: dict[str, type] = {
    "str": str,
    "int": int,
    "float": float,
    "bool": bool,
    "attachment": discord.Attachment,
}


class CommandHandler(Protocol):
    """Where generated callbacks send their invocations (the client)."""

    async def run_command(
        self, interaction: discord.Interaction, spec: CommandSpec, values: dict[str, Any]
    ) -> None: ...

    async def run_message_command(
        self, interaction: discord.Interaction, spec: CommandSpec, message: discord.Message
    ) -> None: ...

    async def suggest(
        self, interaction: discord.Interaction, spec: CommandSpec, option: OptionSpec, current: str
    ) -> list[app_commands.Choice[Any]]: ...


@dataclass
class TreeBuild:
    """What went into the tree, and what could not (with the reason)."""

    commands: list[str] = field(default_factory=list)
    context_menus: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)


def _text(value: str, fallback: str = "-") -> str:
    """Discord descriptions are 1-100 characters."""
    value = " ".join(value.split()) or fallback
    return value if len(value) <= 100 else value[:99] + "…"


def _annotation(option: OptionSpec) -> Any:
    base: Any = _TYPES[option.kind]
    ranged: Any = app_commands.Range
    if not option.choices:
        if option.kind == "str" and option.max_length is not None:
            base = ranged[str, None, option.max_length]
        elif option.kind in ("int", "float") and (
            option.min_value is not None or option.max_value is not None
        ):
            cast = int if option.kind == "int" else float
            low = cast(option.min_value) if option.min_value is not None else None
            high = cast(option.max_value) if option.max_value is not None else None
            base = ranged[base, low, high]
    return base if option.required else base | None


def _slash_callback(
    spec: CommandSpec, handler: CommandHandler, top_level: bool
) -> Callable[..., Any]:
    names = {o.parameter: o.name for o in spec.options}

    async def callback(interaction: discord.Interaction, **values: Any) -> None:
        await handler.run_command(
            interaction, spec, {names.get(k, k): v for k, v in values.items()}
        )

    parameters = [
        inspect.Parameter(
            "interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction
        )
    ]
    for option in spec.options:
        parameters.append(
            inspect.Parameter(
                option.parameter,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=_annotation(option),
                default=inspect.Parameter.empty if option.required else None,
            )
        )
    callback.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    identifier = "sohbet_" + spec.name.replace(" ", "_").replace("-", "_")
    callback.__qualname__ = callback.__name__ = identifier
    renamed = {o.parameter: o.name for o in spec.options if o.parameter != o.name}
    if renamed:
        app_commands.rename(**renamed)(callback)
    descriptions = {
        o.parameter: description_label(o.description or o.name) for o in spec.options
    }
    if descriptions:
        app_commands.describe(**descriptions)(callback)
    choices = {
        o.parameter: [
            app_commands.Choice(
                name=choice_source(c) if o.kind == "str" else _text(str(c)), value=c
            )
            for c in o.choices
        ]
        for o in spec.options
        if o.choices and o.kind in ("str", "int", "float")
    }
    if choices:
        app_commands.choices(**choices)(callback)
    suggestions: dict[str, Any] = {
        o.parameter: _suggest_callback(spec, o, handler)
        for o in spec.options
        if o.autocomplete and not o.choices and o.kind in ("str", "int", "float")
    }
    if suggestions:
        app_commands.autocomplete(**suggestions)(callback)
    if spec.admin and top_level:
        _admin_only(callback)
    return callback


def _suggest_callback(
    spec: CommandSpec, option: OptionSpec, handler: CommandHandler
) -> Callable[[discord.Interaction, str], Coroutine[Any, Any, list[app_commands.Choice[Any]]]]:
    async def suggest(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[Any]]:
        return await handler.suggest(interaction, spec, option, current)

    return suggest


def _menu_callback(spec: CommandSpec, handler: CommandHandler) -> Callable[..., Any]:
    async def callback(interaction: discord.Interaction, message: discord.Message) -> None:
        await handler.run_message_command(interaction, spec, message)

    if spec.admin:
        _admin_only(callback)
    return callback


def _admin_only(callback: Callable[..., Any]) -> None:
    """Hidden from members without Manage Server, and not offered in DMs."""
    app_commands.default_permissions(ADMIN_PERMISSIONS)(callback)
    app_commands.guild_only()(callback)


def _name_problem(spec: CommandSpec, names: set[str]) -> str | None:
    parts = spec.name.split()
    if not parts:
        return "the command has no name"
    if len(parts) > MAX_DEPTH:
        return "Discord allows at most two levels of subcommands"
    prefix = spec.name + " "
    if any(other.startswith(prefix) for other in names):
        return f"`/{spec.name}` is also a group of subcommands; Discord can't run a group itself"
    return None


def build_tree(
    tree: app_commands.CommandTree[Any], registry: PluginRegistry, handler: CommandHandler
) -> TreeBuild:
    """Add every registered command to `tree` (global scope). Broken ones are skipped, logged."""
    build = TreeBuild()
    slash = sorted((c.spec for c in registry.slash.values()), key=lambda s: s.name)
    names = {s.name for s in slash}
    groups: dict[tuple[str, ...], app_commands.Group] = {}
    leaves: dict[str, list[CommandSpec]] = {}
    for spec in slash:
        problem = _name_problem(spec, names)
        if problem is None:
            problem = _add_slash(tree, spec, handler, groups, registry)
        if problem is not None:
            build.skipped[spec.name] = problem
            log.error("slash command /%s is not registered: %s", spec.name, problem)
            continue
        build.commands.append(spec.name)
        leaves.setdefault(spec.name.split()[0], []).append(spec)
    for path, group in groups.items():
        if len(path) != 1:
            continue
        if all(s.admin for s in leaves.get(path[0], [])):
            group.default_permissions = ADMIN_PERMISSIONS
            group.guild_only = True
        try:
            tree.add_command(group)
        except (app_commands.AppCommandError, TypeError, ValueError) as exc:
            for spec in leaves.get(path[0], []):
                build.commands.remove(spec.name)
                build.skipped[spec.name] = str(exc)
            log.error("command group /%s is not registered: %s", path[0], exc)
    for registered in sorted(registry.message_commands.values(), key=lambda c: c.spec.name):
        spec = registered.spec
        try:
            menu = app_commands.ContextMenu(
                name=command_label(spec.name, spec.name, None),
                callback=_menu_callback(spec, handler),
            )
            tree.add_command(menu)
        except (app_commands.AppCommandError, TypeError, ValueError) as exc:
            build.skipped[spec.name] = str(exc)
            log.error("context menu %r is not registered: %s", spec.name, exc)
            continue
        build.context_menus.append(spec.name)
    return build


def _add_slash(
    tree: app_commands.CommandTree[Any],
    spec: CommandSpec,
    handler: CommandHandler,
    groups: dict[tuple[str, ...], app_commands.Group],
    registry: PluginRegistry,
) -> str | None:
    parts = tuple(spec.name.split())
    try:
        command: app_commands.Command[Any, ..., Any] = app_commands.Command(
            name=command_label(parts[-1], spec.name, len(parts) - 1),
            description=description_label(spec.description or "-"),
            callback=_slash_callback(spec, handler, top_level=len(parts) == 1),
        )
        if len(parts) == 1:
            tree.add_command(command)
        else:
            group = _group(groups, parts[:-1], _plugin_description(registry, spec), spec.name)
            group.add_command(command)
    except (app_commands.AppCommandError, TypeError, ValueError) as exc:
        return str(exc)
    return None


# A subgroup's description (and a plugin's without one), e.g. "plugins config commands".
GROUP_COMMANDS = N_("{group} commands")


def _plugin_description(registry: PluginRegistry, spec: CommandSpec) -> app_commands.locale_str:
    plugin = registry.plugins.get(spec.plugin)
    if plugin is not None and plugin.description:
        return description_label(plugin.description)
    return description_label(GROUP_COMMANDS, group=spec.plugin)


def _group(
    groups: dict[tuple[str, ...], app_commands.Group],
    path: tuple[str, ...],
    description: app_commands.locale_str,
    leaf: str,
) -> app_commands.Group:
    """The group at `path`; `leaf` is a command under it (whose translated path names it)."""
    found = groups.get(path)
    if found is not None:
        return found
    parent = _group(groups, path[:-1], description, leaf) if len(path) > 1 else None
    group = app_commands.Group(
        name=command_label(path[-1], leaf, len(path) - 1),
        description=(
            description
            if parent is None
            else description_label(GROUP_COMMANDS, group=" ".join(path))
        ),
        parent=parent,  # registers the subgroup with its parent
    )
    groups[path] = group
    return group


def command_fingerprint(payload: Iterable[dict[str, Any]]) -> str:
    canonical = sorted(json.dumps(item, sort_keys=True, separators=(",", ":")) for item in payload)
    return hashlib.sha256("\n".join(canonical).encode()).hexdigest()


class StateStore(Protocol):
    async def get(self, key: str) -> str | None: ...

    async def set(self, key: str, value: str) -> None: ...


class CommandSync:
    """Uploads the command set to one guild (development) or globally, only when it changed."""

    def __init__(
        self,
        tree: app_commands.CommandTree[Any],
        state: StateStore,
        dev_guild_id: int | None = None,
    ) -> None:
        self.tree = tree
        self.state = state
        self.guild = discord.Object(dev_guild_id) if dev_guild_id else None
        if self.guild is not None:
            tree.copy_global_to(guild=self.guild)

    async def payload(self) -> list[dict[str, Any]]:
        """What a sync uploads, localizations included (so a changed translation resyncs)."""
        commands = self.tree.get_commands(guild=self.guild)
        translator = self.tree.translator
        if translator is None:
            return [command.to_dict(self.tree) for command in commands]
        return [await command.get_translated_payload(self.tree, translator) for command in commands]

    def state_key(self, application_id: int | None) -> str:
        scope = f"guild:{self.guild.id}" if self.guild is not None else "global"
        return f"discord.commands.{application_id or 0}.{scope}"

    async def sync_if_changed(self, application_id: int | None, *, force: bool = False) -> bool:
        """True when commands were uploaded; False when Discord already has this set.
        `force` uploads anyway (Discord turned out to have another set)."""
        key = self.state_key(application_id)
        digest = command_fingerprint(await self.payload())
        if not force and await self.state.get(key) == digest:
            log.info("application commands unchanged (%s); not syncing", key)
            return False
        where = f"guild {self.guild.id}" if self.guild is not None else "all servers"
        try:
            synced = await self.tree.sync(guild=self.guild)
        except discord.Forbidden:
            log.error(
                "Discord refused to register commands for %s: invite the bot with the "
                "`applications.commands` scope (see the README's invite link)",
                where,
            )
            return False
        except discord.RateLimited as exc:  # e.g. the daily command-creation limit
            log.warning(
                "Discord asks to wait %.0f s before registering commands; keeping the ones it "
                "has (they sync on the next start)",
                exc.retry_after,
            )
            return False
        except discord.HTTPException as exc:
            log.error("registering application commands failed: %s", exc)
            return False
        await self.state.set(key, digest)
        log.info("registered %d application commands for %s", len(synced), where)
        return True
