"""`/privacy`: what Sohbet stores about you, a copy of it, deleting it everywhere, and whether
you are remembered at all (`/privacy memory off|on`; bot.core.consent).

The `retention_days` setting is applied by the retention job that long-running adapters start
(`bot.operations.Operations`, `retention_from_settings`).
"""

from __future__ import annotations

import gzip
import json
import logging
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import Field

from bot.core import Context, Option, Plugin, PluginSettings, SohbetError, command
from bot.core.consent import MemoryConsent
from bot.core.events import Reply
from bot.core.identity import member_id
from bot.core.registry import PluginRegistry
from bot.core.services import Services
from bot.store.member_data import member_counts, member_export
from plugins.privacy.pending import PendingForgets

__all__ = [
    "AUDIT_EXCEPTION",
    "PartlyForgotten",
    "PrivacyPlugin",
    "export_everything",
    "forget_everywhere",
]

log = logging.getLogger(__name__)


# The one thing `/privacy forget` keeps, by design; `/privacy info` shows it.
AUDIT_EXCEPTION = (
    "Kept after `/privacy forget`: the audit log's record that a member changed a setting "
    "(who, which setting, when) so admins can see who changed what; the values typed are "
    "erased."
)


class PrivacySettings(PluginSettings):
    retention_days: int = Field(
        0, ge=0, le=3650, description="Delete conversations idle this many days (0: keep)"
    )
    memory_opt_in: bool = Field(
        False,
        description="Remember no member's conversations until they turn it on with "
        "`/privacy memory on` (off: remembered until they turn it off)",
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
    consent = services.extras.get("memory")
    if isinstance(consent, MemoryConsent):  # their choice goes too: it names them
        counts["memory choices"] = await consent.forget(user_id, server_id)
    blocked: dict[str, str] = {}  # plugin -> why its part can't be deleted right now
    for plugin in registry.plugins.values():
        try:
            for kind, n in (await plugin.forget_user(user_id, server_id)).items():
                counts[kind] = counts.get(kind, 0) + n
        except SohbetError as exc:  # its store is busy or down: the others still go
            log.warning("plugin %s can't forget user data now: %s", plugin.name, exc)
            blocked[plugin.name] = exc.user_message
        except Exception:
            log.exception("plugin %s failed to forget user data", plugin.name)
            blocked[plugin.name] = "an unexpected error (logged for the operator)"
    await store.purge_deleted()
    if blocked:
        pending = services.extras.get("forget-pending")
        if isinstance(pending, PendingForgets):
            await pending.add(user_id, server_id, blocked)
        raise PartlyForgotten(counts, blocked, registry, later=isinstance(pending, PendingForgets))
    return counts


class PartlyForgotten(SohbetError):
    """Some of a member's data was deleted and some could not be yet: says which is which, and
    that the rest is deleted automatically (PendingForgets) as soon as it can be."""

    def __init__(
        self,
        counts: dict[str, int],
        blocked: dict[str, str],
        registry: PluginRegistry,
        *,
        later: bool,
    ) -> None:
        deleted = ", ".join(_count(n, kind) for kind, n in counts.items() if n) or "nothing yet"
        remaining = "; ".join(
            f"{_stored_by(registry, name)} ({why.rstrip('.')})" for name, why in blocked.items()
        )
        finish = (
            "I'll finish deleting it automatically as soon as I can; `/privacy info` shows "
            "what is left meanwhile."
            if later
            else "Please run `/privacy forget` again later to delete the rest."
        )
        super().__init__(f"Deleted: {deleted}. Not deleted yet: {remaining}. {finish}")
        self.counts = counts
        self.blocked = blocked


def _stored_by(registry: PluginRegistry, name: str) -> str:
    """What a plugin keeps, in its own words ("Documents you upload (...)")."""
    plugin = registry.plugins.get(name)
    described = plugin.stored_data.rstrip(".") if plugin is not None else ""
    return f"`{name}`: {described[:1].lower() + described[1:]}" if described else f"`{name}` data"


async def export_everything(
    services: Services, registry: PluginRegistry, user_id: int, server_id: int | None
) -> dict[str, Any]:
    """Everything stored about a user, from the core tables and every plugin's `export_user`."""
    data: dict[str, Any] = {
        "member_id": str(user_id),
        "where": "everywhere" if server_id is None else f"server {server_id}",
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "kept_by_design": AUDIT_EXCEPTION,
        "core": await member_export(services.store, user_id, server_id),
        "plugins": {},
    }
    consent = services.extras.get("memory")
    if isinstance(consent, MemoryConsent):
        data["core"]["memory_choices"] = await consent.export(user_id, server_id)
    for plugin in sorted(registry.plugins.values(), key=lambda p: p.name):
        try:
            exported = await plugin.export_user(user_id, server_id)
        except SohbetError:
            raise
        except Exception as exc:
            log.exception("plugin %s failed to export user data", type(plugin).name)
            raise SohbetError(
                f"I couldn't collect your data from `{type(plugin).name}`, so I sent nothing "
                "rather than an incomplete copy. Please try again shortly."
            ) from exc
        if exported:
            data["plugins"][plugin.name] = exported
    return data


class PrivacyPlugin(Plugin):
    name = "privacy"
    description = "See what is stored about you and delete it"
    Settings = PrivacySettings

    async def setup(self, services: Services) -> None:
        await super().setup(services)

        async def opt_in(server_id: int) -> bool:
            if not server_id:  # direct messages: no server rules
                return False
            settings = await services.settings.resolve(PrivacyPlugin, server_id, 0)
            return bool(settings.memory_opt_in)

        services.extras["memory"] = MemoryConsent(services.store, opt_in)
        # Deletions a forget couldn't finish (a store busy or down), finished in the background.
        self.pending = PendingForgets(services.store, services.get("registry", PluginRegistry))
        services.extras["forget-pending"] = self.pending
        self.pending.start()

    async def close(self) -> None:
        await self.pending.close()

    @command("privacy info", description="What is stored about you, and how much", ephemeral=True)
    async def info(self, ctx: Context) -> None:
        registry = ctx.services.get("registry", PluginRegistry)
        counts = await member_counts(ctx.services.store, ctx.author.id, ctx.server_id)
        where = "in our direct messages" if ctx.location.is_dm else "on this server"
        choice = await _memory_consent(ctx).choice(ctx.author.id, ctx.server_id)
        lines = [
            f"**Stored about you {where}**: "
            f"{_count(counts.conversation_turns, 'conversation turns')} "
            "(your messages and my replies), "
            f"{_count(counts.documents, 'documents')} "
            f"({_count(counts.document_chunks, 'chunks')} in the search index), "
            f"{_count(counts.usage_days, 'days')} of token usage, "
            f"{_count(counts.audit_entries, 'audit log entries')}.",
            f"Memory: {'on' if choice.remembered else 'off'} ({choice.reason}). "
            + (
                "Your conversations are kept so I can follow them."
                if choice.remembered
                else "I answer from your message and the replies it continues, and store none "
                "of your text; only token counts per day, which the server's budgets need."
            )
            + " Change it with `/privacy memory`.",
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
        lines.append(AUDIT_EXCEPTION + " Token counts per day are deleted with everything else.")
        for left in await self.pending.of(ctx.author.id):
            lines.append(
                "Still to delete from your earlier `/privacy forget` (done automatically as soon "
                f"as possible): {', '.join(_stored_by(registry, name) for name in left.plugins)}."
            )
        lines.append(
            "Get a copy of all of it with `/privacy export`; delete it with `/privacy forget`."
        )
        await ctx.reply("\n".join(lines), ephemeral=True)

    @command(
        "privacy export",
        description="Get a file with everything stored about you",
        ephemeral=True,
        cooldown=30,
    )
    async def export(
        self,
        ctx: Context,
        everywhere: Annotated[bool, Option("Also from every other server and DMs")] = False,
    ) -> None:
        await ctx.defer(ephemeral=True)
        registry = ctx.services.get("registry", PluginRegistry)
        server = None if everywhere else ctx.server_id
        data = await export_everything(ctx.services, registry, ctx.author.id, server)
        name, payload = _export_file(ctx.author.id, data)
        where = "everywhere" if everywhere else "on this server"
        if ctx.location.is_dm and not everywhere:
            where = "in our direct messages"
        await ctx.send(
            Reply(
                f"Here is everything stored about you {where} (JSON). Only you can see it.",
                ephemeral=True,
                files=((name, payload),),
            )
        )

    @command(
        "privacy memory",
        description="Whether I remember your conversations (off: I store none of your text)",
        ephemeral=True,
    )
    async def memory(
        self,
        ctx: Context,
        state: Annotated[Literal["on", "off"], Option("on: remember, off: store nothing")],
        everywhere: Annotated[bool, Option("In every server and DMs, not only here")] = False,
    ) -> None:
        consent = _memory_consent(ctx)
        server = None if everywhere else ctx.server_id
        await consent.set(ctx.author.id, server, state == "on")
        where = "everywhere" if everywhere else "here"
        if state == "on":
            text = f"Memory is on {where}: I'll remember our conversations."
        else:
            text = (
                f"Memory is off {where}: I'll still answer, from your message and the replies "
                "it continues, and store none of your text (only token counts for the "
                "server's budgets). What I stored before stays until `/privacy forget`."
            )
        await ctx.reply(text, ephemeral=True)

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
            member_ref = member_id(member)  # Telegram's platform-qualified ids are negative
            if member_ref is None:
                raise SohbetError(f"`{member}` is not a member id or mention.")
            if member_ref != ctx.author.id:
                if not ctx.author.is_admin or ctx.location.is_dm:
                    raise SohbetError(
                        "Deleting another member's data needs the Manage Server permission."
                    )
                if everywhere:
                    raise SohbetError("Admins can only delete a member's data on their own server.")
                user_id = member_ref
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
                f"(and their text in the search index) and memory choice {where}, and erases "
                "the setting values "
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


# Discord takes files up to 10 MB from bots: a larger export is sent gzipped.
_MAX_FILE_BYTES = 8 * 1024 * 1024


def _export_file(user_id: int, data: dict[str, Any]) -> tuple[str, bytes]:
    payload = json.dumps(data, ensure_ascii=False, indent=1).encode()
    if len(payload) <= _MAX_FILE_BYTES:
        return f"sohbet-data-{user_id}.json", payload
    packed = gzip.compress(payload)
    if len(packed) > _MAX_FILE_BYTES:
        raise SohbetError(
            "Your data is too large to send as one file here; ask an admin of the bot for a "
            "copy, or export one server at a time (without `everywhere`)."
        )
    return f"sohbet-data-{user_id}.json.gz", packed


def _memory_consent(ctx: Context) -> MemoryConsent:
    consent = ctx.services.extras.get("memory")
    if not isinstance(consent, MemoryConsent):  # set up by PrivacyPlugin.setup
        consent = MemoryConsent(ctx.services.store)
        ctx.services.extras["memory"] = consent
    return consent


def _count(n: int, kind: str) -> str:
    """ "1 document", "3 documents" (kinds are given in the plural)."""
    if n == 1 and kind.endswith("ies"):
        return f"1 {kind[:-3]}y"
    return f"{n} {kind[:-1] if n == 1 and kind.endswith('s') else kind}"
