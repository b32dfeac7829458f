"""Channel history for `ctx.channel_history`: only what both the caller and the bot can read."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import discord

from bot.core.errors import NotAllowed, SohbetError
from bot.core.events import Message
from bot.i18n import _, ngettext
from bot.platforms.discord.convert import to_message
from bot.platforms.discord.permissions import (
    BotMissingPermission,
    bot_missing,
    channel_label,
    explain_forbidden,
    permission_label,
)

__all__ = ["MAX_HISTORY", "readable_history"]

MAX_HISTORY = 1000
_READ = ("view_channel", "read_message_history")


async def readable_history(
    channel: Any,
    caller_permissions: discord.Permissions | None,
    limit: int,
    since: datetime | None,
    *,
    bot_id: int | None,
    max_attachment_bytes: int,
) -> list[Message]:
    """Up to `limit` recent messages (oldest first), newer than `since` when given.

    `caller_permissions` are the caller's permissions in `channel` (None in DMs, where both
    sides see everything). A member who can't read the history gets nothing through the bot.
    """
    if caller_permissions is not None:
        lacking = [p for p in _READ if not getattr(caller_permissions, p)]
        if lacking:
            names = _(" and ").join(f"**{permission_label(p)}**" for p in lacking)
            raise NotAllowed(
                _(
                    "You need {names} in {channel} for me to read its history for you.",
                    names=names,
                    channel=channel_label(channel),
                )
            )
    missing = bot_missing(channel, _READ)
    if missing:
        raise BotMissingPermission(missing, channel_label(channel))
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    found: list[Message] = []
    try:
        async for message in channel.history(limit=max(1, min(limit, MAX_HISTORY))):
            if since is not None and message.created_at < since:
                break
            found.append(
                to_message(
                    message,
                    bot_id=bot_id,
                    max_attachment_bytes=max_attachment_bytes,
                    with_permissions=False,
                )
            )
    except discord.Forbidden as exc:
        raise explain_forbidden(channel, _READ) from exc
    except discord.RateLimited as exc:
        raise SohbetError(
            ngettext(
                "Discord is limiting how fast I can read this channel right now. Please try "
                "again in {n} second.",
                "Discord is limiting how fast I can read this channel right now. Please try "
                "again in {n} seconds.",
                max(1, round(exc.retry_after)),
            )
        ) from exc
    found.reverse()
    return found
