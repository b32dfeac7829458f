"""`/ping` and `/help`: the smallest plugin, and the map of every other one."""

from __future__ import annotations

import time
from typing import Annotated

from bot.core import Context, Option, Plugin, command
from bot.core.registry import PluginRegistry
from bot.store.database import StoreUnavailable

__all__ = ["HelpPlugin"]


class HelpPlugin(Plugin):
    name = "help"
    description = "Ping and the list of commands"

    @command(description="Check that the bot is alive")
    async def ping(self, ctx: Context) -> None:
        started = time.perf_counter()
        try:
            await ctx.services.store.ping()
        except StoreUnavailable:
            await ctx.reply(
                "Pong! I'm up, but my database is unreachable right now: commands that need it "
                "(chat memory, settings, documents) fail until it is back."
            )
            return
        database_ms = (time.perf_counter() - started) * 1000
        await ctx.reply(f"Pong! Database answered in {database_ms:.1f} ms.")

    @command(description="Show what I can do, or details of one command")
    async def help(
        self,
        ctx: Context,
        command: Annotated[
            str | None, Option("A command to explain", autocomplete="complete_command")
        ] = None,
    ) -> None:
        registry = ctx.services.get("registry", PluginRegistry)
        if command:
            spec = registry.slash.get(command.strip().lstrip("/"))
            if spec is None:
                await ctx.reply(f"There is no `/{command}` command.", ephemeral=True)
                return
            lines = [f"**/{spec.spec.name}** — {spec.spec.description}"]
            for opt in spec.spec.options:
                need = "required" if opt.required else f"optional, default {opt.default!r}"
                choices = f"; one of {', '.join(map(str, opt.choices))}" if opt.choices else ""
                lines.append(f"• `{opt.name}` ({opt.kind}, {need}{choices}): {opt.description}")
            await ctx.reply("\n".join(lines), ephemeral=True)
            return
        lines = ["**What I can do**"]
        for plugin in sorted(registry.plugins.values(), key=lambda p: p.name):
            if not await ctx.services.settings.is_enabled(ctx.server_id, type(plugin)):
                continue
            names = [
                f"`/{s.name}`"
                for s in type(plugin).commands()
                if s.kind == "slash" and (not s.admin or ctx.author.is_admin)
            ]
            if names:
                lines.append(f"**{plugin.name}** — {plugin.description}: {' '.join(names)}")
        lines.append("Mention me or reply to me to chat.")
        await ctx.reply("\n".join(lines), ephemeral=True)

    async def complete_command(self, ctx: Context, partial: str) -> list[str]:
        registry = ctx.services.get("registry", PluginRegistry)
        return [name for name in sorted(registry.slash) if name.startswith(partial.lstrip("/"))]
