"""`/ping` and `/help`: the smallest plugin, and the map of every other one."""

from __future__ import annotations

import time
from typing import Annotated

from bot.core import Context, Option, Plugin, command
from bot.core.declared import choice_label, describe
from bot.core.registry import PluginRegistry
from bot.i18n import N_, _, format_number
from bot.shared.markup import command_ref
from bot.store.database import StoreUnavailable

__all__ = ["HelpPlugin"]

# How /help names an option's type.
KINDS = {
    "str": N_("text"),
    "int": N_("whole number"),
    "float": N_("number"),
    "bool": N_("true/false"),
    "attachment": N_("file"),
}


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
                _(
                    "Pong! I'm up, but my database is unreachable right now: commands that "
                    "need it (chat memory, settings, documents) fail until it is back."
                )
            )
            return
        database_ms = (time.perf_counter() - started) * 1000
        await ctx.reply(
            _("Pong! Database answered in {ms} ms.", ms=format_number(database_ms, 1))
        )

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
            found = registry.find_command(command)
            if found is None:
                await ctx.reply(
                    _("There is no `/{command}` command.", command=command), ephemeral=True
                )
                return
            spec = found.spec
            needed = {o.name: "…" for o in spec.options if o.required and o.kind != "attachment"}
            lines = [f"{command_ref(spec.name, **needed)} — {describe(spec.description)}"]
            for opt in spec.options:
                if opt.required:
                    need = _("required")
                else:
                    need = _("optional, default {default}", default=repr(opt.default))
                if opt.choices:
                    labels = ", ".join(
                        f"{c} ({label})" if (label := choice_label(c)) != str(c) else str(c)
                        for c in opt.choices
                    )
                    need += _("; one of {choices}", choices=labels)
                lines.append(
                    f"• `{opt.name}` ({_(KINDS[opt.kind])}, {need}): {describe(opt.description)}"
                )
            await ctx.reply("\n".join(lines), ephemeral=True)
            return
        lines = [_("**What I can do**")]
        for plugin in sorted(registry.plugins.values(), key=lambda p: p.name):
            if not await ctx.services.settings.is_enabled(ctx.server_id, type(plugin)):
                continue
            names = [
                command_ref(s.name)
                for s in type(plugin).commands()
                if s.kind == "slash" and (not s.admin or ctx.author.is_admin)
            ]
            if names:
                lines.append(
                    f"**{plugin.name}** — {describe(plugin.description)}: {' '.join(names)}"
                )
        lines.append(_("Mention me or reply to me to chat."))
        await ctx.reply("\n".join(lines), ephemeral=True)

    async def complete_command(self, ctx: Context, partial: str) -> list[str]:
        registry = ctx.services.get("registry", PluginRegistry)
        return [name for name in sorted(registry.slash) if name.startswith(partial.lstrip("/"))]
