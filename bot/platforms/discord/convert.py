"""Discord objects -> neutral events (Author, Location, Message)."""

from __future__ import annotations

import re
from typing import Any

import discord

from bot.core.events import Author, Location, Message
from bot.platforms.discord.attachments import to_attachment
from bot.platforms.discord.permissions import permission_names
from bot.platforms.text import as_typed

__all__ = ["author_of", "clean_content", "location_of", "to_message"]

# A mention, and the spaces after it (removed with the bot's own mention, kept otherwise).
_MENTION = re.compile(r"<(@!?|@&|#)(\d+)>([ \t]*)")


def location_of(channel: Any, guild_id: int | None) -> Location:
    """Threads report their parent as the channel; DMs have server id 0."""
    if guild_id is None or isinstance(channel, discord.DMChannel | discord.GroupChannel):
        return Location(0, getattr(channel, "id", 0) or 0, is_dm=True)
    if isinstance(channel, discord.Thread):
        return Location(guild_id, channel.parent_id, thread_id=channel.id)
    return Location(guild_id, getattr(channel, "id", 0) or 0)


def author_of(
    user: discord.abc.User,
    permissions: discord.Permissions | None = None,
    locale: str | None = None,
) -> Author:
    """`locale`: the member's app language, sent with interactions (never with messages)."""
    roles = getattr(user, "roles", None) or []
    return Author(
        id=user.id,
        name=getattr(user, "display_name", None) or user.name,
        permissions=permission_names(permissions) if permissions is not None else frozenset(),
        role_ids=tuple(role.id for role in roles),
        is_bot=user.bot,
        locale=locale,
    )


def _member_permissions(message: discord.Message) -> discord.Permissions | None:
    channel = message.channel
    if isinstance(message.author, discord.Member) and hasattr(channel, "permissions_for"):
        permissions: discord.Permissions = channel.permissions_for(message.author)
        return permissions
    return None


def clean_content(message: discord.Message, bot_id: int | None = None) -> str:
    """Mentions as readable @names and #channels; the bot's own mention removed.

    Nothing else changes: indented code, tabs and blank lines reach the plugins as typed."""
    users = {user.id: user for user in message.mentions}
    roles = {role.id: role for role in message.role_mentions}
    bot_role = getattr(getattr(message.guild, "self_role", None), "id", None)

    def replace(match: re.Match[str]) -> str:
        kind, ident, spaces = match.group(1), int(match.group(2)), match.group(3)
        if kind.startswith("@") and kind != "@&":
            if ident == bot_id:
                return ""
            user = users.get(ident)
            return "@" + (user.display_name if user else "unknown-user") + spaces
        if kind == "@&":
            if ident == bot_role:
                return ""
            role = roles.get(ident)
            return "@" + (role.name if role else "unknown-role") + spaces
        channel = message.guild.get_channel_or_thread(ident) if message.guild else None
        return "#" + (channel.name if channel else "unknown-channel") + spaces

    return as_typed(_MENTION.sub(replace, message.content))


def to_message(
    message: discord.Message,
    *,
    bot_id: int | None,
    max_attachment_bytes: int,
    with_permissions: bool = True,
) -> Message:
    """The neutral Message. `conversation` is left for the caller (the resolver) to set."""
    reference = message.reference
    resolved = reference.resolved if reference is not None else None
    reply_to_bot = isinstance(resolved, discord.Message) and resolved.author.id == bot_id
    permissions = _member_permissions(message) if with_permissions else None
    return Message(
        id=message.id,
        content=clean_content(message, bot_id),
        author=author_of(message.author, permissions),
        location=location_of(message.channel, message.guild.id if message.guild else None),
        created_at=message.created_at,
        attachments=[to_attachment(a, max_attachment_bytes) for a in message.attachments],
        mentions_bot=mentions_bot(message, bot_id),
        reply_to_id=reference.message_id if reference is not None else None,
        reply_to_bot=reply_to_bot,
        link=message.jump_url,
        raw=message,
    )


def mentions_bot(message: discord.Message, bot_id: int | None) -> bool:
    """A direct @mention of the bot, or of its managed role (what the client often inserts)."""
    if bot_id is None:
        return False
    if any(user.id == bot_id for user in message.mentions):
        return True
    bot_role = getattr(message.guild, "self_role", None) if message.guild else None
    return bot_role is not None and any(role.id == bot_role.id for role in message.role_mentions)
