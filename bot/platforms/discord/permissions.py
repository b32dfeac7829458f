"""What the bot needs from Discord, and plain explanations when a permission is missing."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import discord

from bot.core.errors import SohbetError
from bot.i18n import N_, _, ngettext
from bot.shared import invite

__all__ = [
    "INVITE_PERMISSIONS",
    "BotMissingPermission",
    "bot_missing",
    "explain_forbidden",
    "invite_url",
    "permission_label",
    "permission_names",
]

# What the invite asks for (bot.shared.invite: the dashboard offers the same link).
INVITE_PERMISSIONS = discord.Permissions(invite.INVITE_PERMISSIONS)

# As Discord's own client names them (the Turkish catalogue uses its Turkish names).
_LABELS = {
    "manage_guild": N_("Manage Server"),
    "view_channel": N_("View Channel"),
    "send_messages": N_("Send Messages"),
    "send_messages_in_threads": N_("Send Messages in Threads"),
    "create_public_threads": N_("Create Public Threads"),
    "read_message_history": N_("Read Message History"),
    "attach_files": N_("Attach Files"),
    "embed_links": N_("Embed Links"),
}


class BotMissingPermission(SohbetError):
    """Discord refused an action because the bot lacks a permission in a channel."""

    def __init__(self, missing: list[str], where: str) -> None:
        self.missing = missing
        if missing:
            names = ", ".join(f"**{permission_label(p)}**" for p in missing)
            text = ngettext(
                "I can't do that in {where}: I'm missing the {names} permission there.",
                "I can't do that in {where}: I'm missing the {names} permissions there.",
                len(missing),
                where=where,
                names=names,
            )
        else:
            text = _("Discord didn't let me do that in {where} (missing access).", where=where)
        super().__init__(text + " " + _("A server admin can grant it in the channel settings."))


def permission_label(name: str) -> str:
    label = _LABELS.get(name)
    return _(label) if label is not None else name.replace("_", " ").title()


def permission_names(permissions: discord.Permissions) -> frozenset[str]:
    """discord.py attribute names of the granted permissions (the neutral names)."""
    return frozenset(name for name, granted in permissions if granted)


def bot_missing(channel: Any, needed: Iterable[str]) -> list[str]:
    """Which of `needed` the bot lacks in `channel` (empty in DMs or when unknown)."""
    guild = getattr(channel, "guild", None)
    me = getattr(guild, "me", None)
    if guild is None or me is None or not hasattr(channel, "permissions_for"):
        return []
    granted = channel.permissions_for(me)
    return [name for name in needed if not getattr(granted, name, False)]


def channel_label(channel: Any) -> str:
    mention = getattr(channel, "mention", None)
    if isinstance(mention, str) and getattr(channel, "guild", None):
        return mention
    return _("this chat")


def explain_forbidden(channel: Any, needed: Iterable[str]) -> BotMissingPermission:
    """The friendly error for a 403 on `channel`, naming what the bot lacks there."""
    return BotMissingPermission(bot_missing(channel, needed), channel_label(channel))


def sending_needs(channel: Any, *, reply: bool = False, files: bool = False) -> list[str]:
    needed = ["view_channel"]
    needed.append(
        "send_messages_in_threads" if isinstance(channel, discord.Thread) else "send_messages"
    )
    if reply:
        needed.append("read_message_history")
    if files:
        needed.append("attach_files")
    return needed


def invite_url(application_id: int) -> str:
    return invite.invite_url(application_id)
