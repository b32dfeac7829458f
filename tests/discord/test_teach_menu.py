"""Every bundled plugin's commands fit Discord's limits together, "Teach Sohbet" included:
message context menus are capped at five per application."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from bot.core.registry import PluginRegistry
from bot.platforms.discord.commands import build_tree


class _Handler:
    async def run_command(self, *args: Any) -> None: ...

    async def run_message_command(self, *args: Any) -> None: ...

    async def suggest(self, *args: Any) -> list[Any]:
        return []


def test_all_bundled_commands_and_menus_register_on_discord() -> None:
    registry = PluginRegistry.discover()
    assert "teach" in registry.plugins, registry.load_errors
    tree: app_commands.CommandTree[Any] = app_commands.CommandTree(
        discord.Client(intents=discord.Intents.none())
    )
    build = build_tree(tree, registry, _Handler())  # type: ignore[arg-type]
    assert not build.skipped, build.skipped
    assert "Teach Sohbet" in build.context_menus and len(build.context_menus) <= 5
    assert {"teach sentiment", "teach import", "teach rollback"} <= set(build.commands)
