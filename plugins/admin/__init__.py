"""`/plugins ...`: server admins list, enable, disable and configure plugins; all audited."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from bot.core import Context, Option, Plugin, PluginSettings, SettingsError, command
from bot.core.declared import describe
from bot.core.registry import PluginRegistry
from bot.core.settings import quoted
from bot.i18n import _, format_when, ngettext

__all__ = ["AdminPlugin"]

PluginName = Annotated[str, Option("Plugin name", autocomplete="complete_plugin")]
SettingKey = Annotated[str, Option("Setting name", autocomplete="complete_key")]
ChannelOnly = Annotated[bool, Option("Only for this channel (an override)")]
_ROLE = re.compile(r"<@&(\d+)>|(\d+)")


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 300 else text[:297] + "..."


class AdminPlugin(Plugin):
    name = "admin"
    description = "Manage plugins and their settings on this server"

    def _registry(self, ctx: Context) -> PluginRegistry:
        return ctx.services.get("registry", PluginRegistry)

    @command("plugins list", description="List plugins and whether they are on here")
    async def list_plugins(self, ctx: Context) -> None:
        registry = self._registry(ctx)
        lines = [_("**Plugins on this server**")]
        for name, plugin in sorted(registry.plugins.items()):
            enabled = await ctx.services.settings.is_enabled(ctx.server_id, type(plugin))
            lines.append(f"{'✅' if enabled else '⛔'} **{name}** — {describe(plugin.description)}")
        for name, error in sorted(registry.load_errors.items()):
            # The error may name paths or settings of the host: only for admins.
            detail = f": {error}" if ctx.author.is_admin else ""
            lines.append(_("⚠️ **{plugin}** failed to load", plugin=name) + detail)
        await ctx.reply("\n".join(lines), ephemeral=True)

    @command("plugins enable", description="Turn a plugin on for this server", admin=True)
    async def enable(self, ctx: Context, plugin: PluginName) -> None:
        await self._toggle(ctx, plugin, True)

    @command("plugins disable", description="Turn a plugin off for this server", admin=True)
    async def disable(self, ctx: Context, plugin: PluginName) -> None:
        await self._toggle(ctx, plugin, False)

    async def _toggle(self, ctx: Context, name: str, enabled: bool) -> None:
        target = type(self._registry(ctx).get(name))
        changed = await ctx.services.settings.set_enabled(
            target, enabled, server_id=ctx.server_id, actor_id=ctx.author.id
        )
        if enabled:
            text = _("`{plugin}` is now on.") if changed else _("`{plugin}` was already on.")
        else:
            text = _("`{plugin}` is now off.") if changed else _("`{plugin}` was already off.")
        text = text.format(plugin=name)
        await ctx.reply(text, ephemeral=True)

    @command("plugins config get", description="Show a plugin's settings here", admin=True)
    async def config_get(
        self, ctx: Context, plugin: PluginName, key: SettingKey | None = None
    ) -> None:
        target = type(self._registry(ctx).get(plugin))
        values = await ctx.services.settings.values(
            target, ctx.server_id, ctx.location.effective_channel_id
        )
        if key is not None:
            if key not in values:
                raise SettingsError(
                    _("{key} is not a setting of `{plugin}`.", key=quoted(key), plugin=plugin)
                )
            values = {key: values[key]}
        if not values:
            await ctx.reply(_("`{plugin}` has no settings.", plugin=plugin), ephemeral=True)
            return
        lines = [_("**{plugin}** settings in this channel:", plugin=plugin)]
        lines += [f"• `{k}` = `{_show(v)}`" for k, v in sorted(values.items())]
        await ctx.reply("\n".join(lines), ephemeral=True)

    @command("plugins config set", description="Change a plugin setting", admin=True)
    async def config_set(
        self,
        ctx: Context,
        plugin: PluginName,
        key: SettingKey,
        value: str,
        channel: ChannelOnly = False,
    ) -> None:
        instance = self._registry(ctx).get(plugin)

        async def check(settings: PluginSettings) -> None:
            await instance.check_setting(ctx, key, settings)

        new = await ctx.services.settings.set(
            type(instance),
            key,
            value,
            server_id=ctx.server_id,
            actor_id=ctx.author.id,
            channel_id=ctx.location.effective_channel_id if channel else 0,
            check=check,
        )
        if channel:
            text = _("`{setting}` is now `{value}` in this channel.")
        else:
            text = _("`{setting}` is now `{value}` on this server.")
        await ctx.reply(text.format(setting=f"{plugin}.{key}", value=_show(new)), ephemeral=True)

    @command("plugins config reset", description="Restore a setting's default", admin=True)
    async def config_reset(
        self,
        ctx: Context,
        plugin: PluginName,
        key: SettingKey | None = None,
        channel: ChannelOnly = False,
    ) -> None:
        target = type(self._registry(ctx).get(plugin))
        removed = await ctx.services.settings.reset(
            target,
            key,
            server_id=ctx.server_id,
            actor_id=ctx.author.id,
            channel_id=ctx.location.effective_channel_id if channel else 0,
        )
        what = f"`{plugin}.{key}`" if key else _("all `{plugin}` settings", plugin=plugin)
        if removed:
            text = ngettext(
                "Reset {what} ({n} value removed).", "Reset {what} ({n} values removed).", removed,
                what=what,
            )
        else:
            text = _("{what} had no override.", what=what)
        await ctx.reply(text, ephemeral=True)

    @command(
        "plugins roles", description="Limit a plugin to some roles (empty: everyone)", admin=True
    )
    async def roles(
        self,
        ctx: Context,
        plugin: PluginName,
        roles: Annotated[str, Option("Role ids or mentions, separated by spaces; 'none' for all")],
    ) -> None:
        target = type(self._registry(ctx).get(plugin))
        ids = set()
        if roles.strip().lower() not in {"", "none", "all", "everyone"}:
            for token in roles.replace(",", " ").split():
                match = _ROLE.fullmatch(token)
                if match is None:  # also a member mention (<@42>): not a role
                    raise SettingsError(
                        _(
                            "`{text}` is not a role. Mention roles (@Moderators) or give role ids.",
                            text=token,
                        )
                    )
                ids.add(int(match.group(1) or match.group(2)))
        await ctx.services.settings.set_allowed_roles(
            target, ids, server_id=ctx.server_id, actor_id=ctx.author.id
        )
        shown = ", ".join(f"<@&{r}>" for r in sorted(ids)) or _("everyone")
        await ctx.reply(
            _("`{plugin}` may now be used by: {roles}.", plugin=plugin, roles=shown),
            ephemeral=True,
        )

    @command("plugins audit", description="Recent admin changes on this server", admin=True)
    async def audit(
        self,
        ctx: Context,
        limit: Annotated[int, Option("How many", min_value=1, max_value=50)] = 15,
    ) -> None:
        entries = await ctx.services.store.audit.recent(ctx.server_id, limit)
        if not entries:
            await ctx.reply(_("No admin changes recorded yet."), ephemeral=True)
            return
        lines = [_("**Recent admin changes**")]
        for e in entries:
            when = format_when(e.created_at)
            lines.append(
                f"`{when}` <@{e.actor_id}> {e.action} `{e.target}`: "
                f"`{_show(e.old_value)}` → `{_show(e.new_value)}`"
            )
        await ctx.reply("\n".join(lines), ephemeral=True)

    async def complete_plugin(self, ctx: Context, partial: str) -> list[str]:
        return [n for n in sorted(self._registry(ctx).plugins) if n.startswith(partial.lower())]

    async def complete_key(self, ctx: Context, partial: str) -> list[str]:
        event_options = getattr(ctx.event, "options", {})
        name = event_options.get("plugin")
        plugin = self._registry(ctx).plugins.get(name) if isinstance(name, str) else None
        if plugin is None:
            return []
        return [k for k in sorted(type(plugin).Settings.model_fields) if k.startswith(partial)]
