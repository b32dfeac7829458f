"""`/privacy`: what Sohbet stores about you, a copy of it, deleting it everywhere, and whether
you are remembered at all (`/privacy memory off|on`; bot.core.consent).

The `retention_days` setting is applied by the retention job that long-running adapters start
(`bot.operations.Operations`, `retention_from_settings`).
"""

from __future__ import annotations

import gzip
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import Field

from bot.core import Context, Option, Plugin, PluginSettings, SohbetError, command
from bot.core.consent import MemoryConsent
from bot.core.events import Reply
from bot.core.identity import member_id
from bot.core.plugin import KEPT
from bot.core.registry import PluginRegistry
from bot.core.services import Services
from bot.i18n import N_, _, ngettext
from bot.shared.markup import command_ref
from bot.store.member_data import member_counts, member_export
from plugins.privacy.pending import PendingForgets

__all__ = [
    "AUDIT_EXCEPTION",
    "PartlyForgotten",
    "PrivacyPlugin",
    "count_of",
    "export_everything",
    "forget_everywhere",
    "forget_summary",
]

log = logging.getLogger(__name__)


# The one thing `/privacy forget` keeps, by design; `/privacy info` shows it.
AUDIT_EXCEPTION = N_(
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
    services: Services,
    registry: PluginRegistry,
    user_id: int,
    server_id: int | None,
    *,
    keep_shared: bool = False,
) -> dict[str, int]:
    """Delete a user's data from the core tables and from every plugin; counts by kind.
    `keep_shared`: what they shared with everyone (documents) stays, no longer theirs."""
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
            kept = await plugin.keep_shared(user_id, server_id) if keep_shared else {}
            forgotten = await plugin.forget_user(user_id, server_id)  # never before keeping
            for kind, n in (kept | forgotten).items():
                counts[kind] = counts.get(kind, 0) + n
        except SohbetError as exc:  # its store is busy or down: the others still go
            log.warning("plugin %s can't forget user data now: %s", plugin.name, exc)
            blocked[plugin.name] = exc.user_message
        except Exception:
            log.exception("plugin %s failed to forget user data", plugin.name)
            blocked[plugin.name] = _("an unexpected error (logged for the operator)")
    await store.purge_deleted()
    if blocked:
        pending = services.extras.get("forget-pending")
        if isinstance(pending, PendingForgets):
            await pending.add(user_id, server_id, blocked, keep_shared=keep_shared)
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
        deleted = _deleted(counts) or _("nothing yet")
        remaining = "; ".join(
            f"{_stored_by(registry, name)} ({why.rstrip('.')})" for name, why in blocked.items()
        )
        finish = (
            _(
                "I'll finish deleting it automatically as soon as I can; `/privacy info` shows "
                "what is left meanwhile."
            )
            if later
            else _(
                "Please run {command} again later to delete the rest.",
                command=command_ref("privacy forget"),
            )
        )
        super().__init__(
            _(
                "Deleted: {deleted}. Not deleted yet: {remaining}. {finish}",
                deleted=deleted,
                remaining=remaining,
                finish=finish,
            )
        )
        self.counts = counts
        self.blocked = blocked


def _stored_by(registry: PluginRegistry, name: str) -> str:
    """What a plugin keeps, in its own words ("Documents you upload (...)")."""
    plugin = registry.plugins.get(name)
    stored = plugin.stored_data if plugin is not None else ""
    described = _(stored).rstrip(".") if stored else ""
    if not described:
        return _("`{plugin}` data", plugin=name)
    return f"`{name}`: {described[:1].lower() + described[1:]}"


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
                _(
                    "I couldn't collect your data from `{plugin}`, so I sent nothing rather "
                    "than an incomplete copy. Please try again shortly.",
                    plugin=type(plugin).name,
                )
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
        choice = await _memory_consent(ctx).choice(ctx.author.id, ctx.server_id)
        stored = _(
            "{turns} (your messages and my replies), {documents} ({chunks} in the search "
            "index), {days} of token usage, {audit}.",
            turns=count_of(counts.conversation_turns, "conversation turns"),
            documents=count_of(counts.documents, "documents"),
            chunks=count_of(counts.document_chunks, "chunks"),
            days=count_of(counts.usage_days, "days"),
            audit=count_of(counts.audit_entries, "audit log entries"),
        )
        if ctx.location.is_dm:
            heading = _("**Stored about you in our direct messages**: {stored}", stored=stored)
        else:
            heading = _("**Stored about you on this server**: {stored}", stored=stored)
        if choice.remembered:
            memory = _(
                "Memory: on ({reason}). Your conversations are kept so I can follow them.",
                reason=_(choice.reason),
            )
        else:
            memory = _(
                "Memory: off ({reason}). I answer from your message and the replies it "
                "continues, and store none of your text; only token counts per day, which the "
                "server's budgets need.",
                reason=_(choice.reason),
            )
        lines = [
            heading,
            memory + " " + _("Change it with {command}.", command=command_ref("privacy memory")),
            _("**What Sohbet stores**"),
            _("• core: conversations with me (your messages and my replies), token usage per day"),
        ]
        for plugin in sorted(registry.plugins.values(), key=lambda p: p.name):
            if plugin.stored_data:
                lines.append(f"• {plugin.name}: {_(plugin.stored_data)}")
        days = ctx.settings.retention_days
        lines.append(
            ngettext(
                "Conversations idle for {n} day are deleted automatically.",
                "Conversations idle for {n} days are deleted automatically.",
                days,
            )
            if days
            else _("Conversations are kept until you delete them.")
        )
        lines.append(
            _(AUDIT_EXCEPTION) + " " + _("Token counts per day are deleted with everything else.")
        )
        for left in await self.pending.of(ctx.author.id):
            lines.append(
                _(
                    "Still to delete from your earlier `/privacy forget` (done automatically as "
                    "soon as possible): {what}.",
                    what=", ".join(_stored_by(registry, name) for name in left.plugins),
                )
            )
        lines.append(
            _(
                "Get a copy of all of it with {export}; delete it with {forget}.",
                export=command_ref("privacy export"),
                forget=command_ref("privacy forget"),
            )
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
        if everywhere:
            text = _("Here is everything stored about you everywhere (JSON). Only you can see it.")
        elif ctx.location.is_dm:
            text = _(
                "Here is everything stored about you in our direct messages (JSON). Only you "
                "can see it."
            )
        else:
            text = _(
                "Here is everything stored about you on this server (JSON). Only you can see it."
            )
        await ctx.send(
            Reply(
                text,
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
        if state == "on":
            text = (
                _("Memory is on everywhere: I'll remember our conversations.")
                if everywhere
                else _("Memory is on here: I'll remember our conversations.")
            )
        else:
            text = (_("Memory is off everywhere.") if everywhere else _("Memory is off here.")) + _(
                " I'll still answer, from your message and the replies it continues, and store "
                "none of your text (only token counts for the server's budgets). What I stored "
                "before stays until {forget}.",
                forget=command_ref("privacy forget"),
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
        keep_documents: Annotated[
            bool, Option("Leave the documents you uploaded to the others (no longer yours)")
        ] = False,
    ) -> None:
        user_id = ctx.author.id
        if member:
            member_ref = member_id(member)  # Telegram's platform-qualified ids are negative
            if member_ref is None:
                raise SohbetError(_("`{member}` is not a member id or mention.", member=member))
            if member_ref != ctx.author.id:
                if not ctx.author.is_admin or ctx.location.is_dm:
                    raise SohbetError(
                        _("Deleting another member's data needs the Manage Server permission.")
                    )
                if everywhere:
                    raise SohbetError(
                        _("Admins can only delete a member's data on their own server.")
                    )
                user_id = member_ref
        own = user_id == ctx.author.id
        mention = f"<@{user_id}>"
        if everywhere:
            where = _("everywhere")
        elif ctx.location.is_dm:
            where = _("in our direct messages")
        else:
            where = _("on this server")
        server = None if everywhere else ctx.server_id
        if not confirm:  # deleting can't be undone: say what will happen, ask again
            options = {"confirm": "true"}
            if member:
                options["member"] = member
            if everywhere:
                options["everywhere"] = "true"
            if keep_documents:
                options["keep_documents"] = "true"
            go_ahead = command_ref("privacy forget", **options)
            if own:
                text = _(
                    "This deletes your conversations with me, token usage, uploaded documents "
                    "(and their text in the search index) and memory choice {where}, and erases "
                    "the setting values you typed from the audit log. It can't be undone. To go "
                    "ahead: {command}",
                    where=where,
                    command=go_ahead,
                )
            else:
                text = _(
                    "This deletes the conversations with me, token usage, uploaded documents "
                    "(and their text in the search index) and memory choice of {member} "
                    "{where}, and erases the setting values they typed from the audit log. It "
                    "can't be undone. To go ahead: {command}",
                    member=mention,
                    where=where,
                    command=go_ahead,
                )
            shared = await ctx.services.store.documents.count_by_uploader(user_id, server)
            if shared and keep_documents:
                text += "\n" + ngettext(
                    "Except the document uploaded: it stays for the others, no longer linked "
                    "to its uploader.",
                    "Except the {n} documents uploaded: they stay for the others, no longer "
                    "linked to their uploader.",
                    shared,
                )
            elif shared:
                text += "\n" + ngettext(
                    "That includes a document others can ask about. To leave it for the others, "
                    "no longer linked to its uploader: {command}",
                    "That includes {n} documents others can ask about. To leave them for the "
                    "others, no longer linked to their uploader: {command}",
                    shared,
                    command=command_ref("privacy forget", **options, keep_documents="true"),
                )
            await ctx.reply(text, ephemeral=True)
            return
        await ctx.defer(ephemeral=True)
        registry = ctx.services.get("registry", PluginRegistry)
        counts = await forget_everywhere(
            ctx.services, registry, user_id, server, keep_shared=keep_documents
        )
        if user_id != ctx.author.id:
            await ctx.services.store.audit.record(
                ctx.server_id, ctx.author.id, "privacy.forget", f"user:{user_id}", None, counts
            )
        detail = _deleted(counts) or _("nothing was stored")
        if own:
            text = _("Deleted your data {where}: {detail}.", where=where, detail=detail)
        else:
            text = _(
                "Deleted the data of {member} {where}: {detail}.",
                member=mention,
                where=where,
                detail=detail,
            )
        await ctx.reply(text + kept_sentence(counts, you=own), ephemeral=True)


# Discord takes files up to 10 MB from bots: a larger export is sent gzipped.
_MAX_FILE_BYTES = 8 * 1024 * 1024


def _export_file(user_id: int, data: dict[str, Any]) -> tuple[str, bytes]:
    payload = json.dumps(data, ensure_ascii=False, indent=1).encode()
    if len(payload) <= _MAX_FILE_BYTES:
        return f"sohbet-data-{user_id}.json", payload
    packed = gzip.compress(payload)
    if len(packed) > _MAX_FILE_BYTES:
        raise SohbetError(
            _(
                "Your data is too large to send as one file here; ask an admin of the bot for "
                "a copy, or export one server at a time (without `everywhere`)."
            )
        )
    return f"sohbet-data-{user_id}.json.gz", packed


def _memory_consent(ctx: Context) -> MemoryConsent:
    consent = ctx.services.extras.get("memory")
    if not isinstance(consent, MemoryConsent):  # set up by PrivacyPlugin.setup
        consent = MemoryConsent(ctx.services.store)
        ctx.services.extras["memory"] = consent
    return consent


# The kinds of data counted by /privacy (and plugins' `forget_user`), in every language.
_KINDS: dict[str, Callable[[int], str]] = {
    "conversation turns": lambda n: ngettext("{n} conversation turn", "{n} conversation turns", n),
    "conversation messages": lambda n: ngettext(
        "{n} conversation message", "{n} conversation messages", n
    ),
    "documents": lambda n: ngettext("{n} document", "{n} documents", n),
    "chunks": lambda n: ngettext("{n} chunk", "{n} chunks", n),
    "document chunks": lambda n: ngettext("{n} document chunk", "{n} document chunks", n),
    "days": lambda n: ngettext("{n} day", "{n} days", n),
    "audit log entries": lambda n: ngettext("{n} audit log entry", "{n} audit log entries", n),
    "usage records": lambda n: ngettext("{n} usage record", "{n} usage records", n),
    "setting values in the audit log": lambda n: ngettext(
        "{n} setting value in the audit log", "{n} setting values in the audit log", n
    ),
    "memory choices": lambda n: ngettext("{n} memory choice", "{n} memory choices", n),
}


def forget_summary(counts: dict[str, int]) -> str:
    """What `forget_everywhere` did, in words: "Deleted: 3 conversation messages." and, when
    the member left documents to the others, what stays."""
    deleted = _("Deleted: {what}.", what=_deleted(counts) or _("nothing was stored"))
    return deleted + kept_sentence(counts, you=True)


def kept_sentence(counts: dict[str, int], *, you: bool) -> str:
    """ " Kept for the others, no longer linked to you: 1 document." or ""."""
    kept = [
        count_of(n, kind.removeprefix(KEPT))
        for kind, n in counts.items()
        if n and kind.startswith(KEPT)
    ]
    if not kept:
        return ""
    if you:
        return " " + _(
            "Kept for the others, no longer linked to you: {what}.", what=", ".join(kept)
        )
    return " " + _("Kept for the others, no longer linked to them: {what}.", what=", ".join(kept))


def _deleted(counts: dict[str, int]) -> str:
    return ", ".join(
        count_of(n, kind) for kind, n in counts.items() if n and not kind.startswith(KEPT)
    )


def count_of(n: int, kind: str) -> str:
    """ "1 document", "3 documents" (kinds are given in the plural)."""
    known = _KINDS.get(kind)
    if known is not None:
        return known(n)
    if n == 1 and kind.endswith("ies"):  # a third-party plugin's kind: English
        return f"1 {kind[:-3]}y"
    return f"{n} {kind[:-1] if n == 1 and kind.endswith('s') else kind}"
