"""`/privacy`: what Sohbet stores about you, and deleting it everywhere.

The `retention_days` setting is applied by the retention job that long-running adapters start
(`bot.maintenance.runtime.Operations`, `retention_from_settings`).
"""

from __future__ import annotations

import logging
from typing import Annotated

from pydantic import Field

from bot.core import Context, Option, Plugin, PluginSettings, SohbetError, command
from bot.core.registry import PluginRegistry
from bot.core.services import Services

__all__ = ["PrivacyPlugin", "forget_everywhere"]

log = logging.getLogger(__name__)


class PrivacySettings(PluginSettings):
    retention_days: int = Field(
        0, ge=0, le=3650, description="Delete conversations idle this many days (0: keep)"
    )


async def forget_everywhere(
    services: Services, registry: PluginRegistry, user_id: int, server_id: int | None
) -> dict[str, int]:
    """Delete a user's data from the core tables and from every plugin; counts by kind."""
    store = services.store
    counts: dict[str, int] = {
        "conversation messages": await store.conversations.delete_user(user_id, server_id),
        "usage records": await store.usage.delete_user(user_id, server_id),
        "setting values in the audit log": await store.audit.redact_actor(user_id, server_id),
    }
    for plugin in registry.plugins.values():
        try:
            for kind, n in (await plugin.forget_user(user_id, server_id)).items():
                counts[kind] = counts.get(kind, 0) + n
        except SohbetError:
            raise
        except Exception as exc:
            log.exception("plugin %s failed to forget user data", type(plugin).name)
            raise SohbetError(
                f"I couldn't finish deleting your data from `{type(plugin).name}`; what was "
                "already deleted stays deleted. Please try again shortly."
            ) from exc
    await store.purge_deleted()
    return counts


class PrivacyPlugin(Plugin):
    name = "privacy"
    description = "See what is stored about you and delete it"
    Settings = PrivacySettings

    @command("privacy info", description="What each plugin stores about members", ephemeral=True)
    async def info(self, ctx: Context) -> None:
        registry = ctx.services.get("registry", PluginRegistry)
        lines = [
            "**What Sohbet stores**",
            "• core: conversations with me (your messages and my replies), token usage per day",
        ]
        for plugin in sorted(registry.plugins.values(), key=lambda p: p.name):
            if plugin.stored_data:
                lines.append(f"• {plugin.name}: {plugin.stored_data}")
        days = ctx.settings.retention_days
        lines.append(
            f"Conversations idle for {days} days are deleted automatically."
            if days
            else "Conversations are kept until you delete them."
        )
        lines.append(
            "Kept after `/privacy forget`: the audit log's record that a member changed a "
            "setting (who, which setting, when) so admins can see who changed what; the values "
            "typed are erased. Token counts per day are deleted with everything else."
        )
        lines.append("Delete all of it with `/privacy forget`.")
        await ctx.reply("\n".join(lines), ephemeral=True)

    @command(
        "privacy forget", description="Delete your data here (admins: a member's)", cooldown=10
    )
    async def forget(
        self,
        ctx: Context,
        member: Annotated[str | None, Option("Admins only: the member's id or mention")] = None,
        everywhere: Annotated[bool, Option("Also in every other server and DMs")] = False,
        confirm: Annotated[
            bool, Option("Yes, delete it (nothing is deleted without this)")
        ] = False,
    ) -> None:
        user_id = ctx.author.id
        if member:
            digits = member.strip("<@!>")
            if not digits.isdigit():
                raise SohbetError(f"`{member}` is not a member id or mention.")
            if int(digits) != ctx.author.id:
                if not ctx.author.is_admin or ctx.location.is_dm:
                    raise SohbetError(
                        "Deleting another member's data needs the Manage Server permission."
                    )
                if everywhere:
                    raise SohbetError("Admins can only delete a member's data on their own server.")
                user_id = int(digits)
        whose = "your" if user_id == ctx.author.id else f"<@{user_id}>'s"
        where = "everywhere" if everywhere else "on this server"
        if ctx.location.is_dm and not everywhere:
            where = "in our direct messages"
        if not confirm:  # deleting can't be undone: say what will happen, ask again
            again = "/privacy forget confirm:true"
            if member:
                again += f" member:{member}"
            if everywhere:
                again += " everywhere:true"
            await ctx.reply(
                f"This deletes {whose} conversations with me, token usage, uploaded documents "
                f"(and their text in the search index) {where}, and erases the setting values "
                f"{'you' if user_id == ctx.author.id else 'they'} typed from the audit log. "
                f"It can't be undone. To go ahead: `{again}`",
                ephemeral=True,
            )
            return
        await ctx.defer(ephemeral=True)
        registry = ctx.services.get("registry", PluginRegistry)
        server = None if everywhere else ctx.server_id
        counts = await forget_everywhere(ctx.services, registry, user_id, server)
        if user_id != ctx.author.id:
            await ctx.services.store.audit.record(
                ctx.server_id, ctx.author.id, "privacy.forget", f"user:{user_id}", None, counts
            )
        detail = ", ".join(_count(n, kind) for kind, n in counts.items() if n)
        detail = detail or "nothing was stored"
        await ctx.reply(f"Deleted {whose} data {where}: {detail}.", ephemeral=True)


def _count(n: int, kind: str) -> str:
    """ "1 document", "3 documents" (kinds are given in the plural)."""
    return f"{n} {kind[:-1] if n == 1 and kind.endswith('s') else kind}"
