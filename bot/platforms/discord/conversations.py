"""Which conversation a Discord message or command belongs to.

Keys (server 0 for DMs):
- per user (default):   ``user:<uid>:chan:<channel or thread id>``
- collaborative:        ``channel:<cid>`` or ``thread:<tid>``
- reply chain:          ``reply:<root message id>`` (a slash command: ``reply:<interaction id>``)

Everything a key is made of survives a restart: thread and channel ids, and for reply chains the
conversation the chat plugin stored with the platform id of the bot's message
(`store.conversations.find_by_platform_message`), else the root found by walking the replies.
A reply never joins another member's private (``user:``) conversation.
"""

from __future__ import annotations

import logging
from typing import Any

import discord

from bot.core.events import ConversationKey, ConversationMode, Location
from bot.core.router import Router
from bot.platforms.conversation_mode import configured_mode
from bot.platforms.discord.ratelimit import DISCORD_ERRORS
from bot.platforms.discord.settings import DiscordSettings

__all__ = ["ConversationResolver", "conversation_key", "is_bot_thread"]

log = logging.getLogger(__name__)


def conversation_key(
    mode: ConversationMode, location: Location, user_id: int, root_id: int | None = None
) -> ConversationKey:
    """The key for `mode`; reply chains need the id of the chain's first message."""
    server = location.server_id
    channel = location.effective_channel_id
    if mode is ConversationMode.REPLY_CHAIN and root_id is not None:
        return ConversationKey(server, f"reply:{root_id}")
    if mode is ConversationMode.COLLABORATIVE and not location.is_dm:
        if location.thread_id is not None:
            return ConversationKey(server, f"thread:{location.thread_id}")
        return ConversationKey(server, f"channel:{channel}")
    if mode is ConversationMode.REPLY_CHAIN and location.thread_id is not None:
        return ConversationKey(server, f"thread:{location.thread_id}")
    return ConversationKey(server, f"user:{user_id}:chan:{channel}")


def is_bot_thread(channel: Any, bot_id: int | None) -> bool:
    return isinstance(channel, discord.Thread) and bot_id is not None and channel.owner_id == bot_id


class ConversationResolver:
    def __init__(self, router: Router, settings: DiscordSettings) -> None:
        self.router = router
        self.settings = settings

    async def mode(self, location: Location) -> ConversationMode:
        """An admin's `conversation_mode` for the chat plugin here, else the adapter's."""
        return await configured_mode(self.router, location, self.settings.conversation_mode)

    async def for_command(
        self, location: Location, user_id: int, interaction_id: int
    ) -> ConversationKey:
        mode = await self.mode(location)
        return conversation_key(mode, location, user_id, root_id=interaction_id)

    async def for_message(
        self,
        message: discord.Message,
        location: Location,
        bot_id: int | None,
        *,
        in_bot_thread: bool = False,
    ) -> ConversationKey:
        """`in_bot_thread`: the message is (or is answered) in a thread the bot opened."""
        mode = await self.mode(location)
        user_id = message.author.id
        reference = message.reference
        replied = reference.resolved if reference is not None else None
        if (
            reference is not None
            and reference.message_id is not None
            and isinstance(replied, discord.Message)
            and replied.author.id == bot_id
        ):
            stored = await self.router.services.store.conversations.find_by_platform_message(
                location.server_id, reference.message_id
            )
            if stored is not None and _may_join(stored, user_id):
                return stored
        root: int | None = None
        if mode is ConversationMode.REPLY_CHAIN and (reference is not None or not in_bot_thread):
            root = await self._chain_root(message)
        return conversation_key(mode, location, user_id, root_id=root)

    async def _chain_root(self, message: discord.Message) -> int:
        """Follow replies upwards to the first message of the chain (bounded)."""
        current = message
        for _ in range(self.settings.reply_chain_depth):
            reference = current.reference
            if reference is None or reference.message_id is None:
                return current.id
            parent = reference.resolved or reference.cached_message
            if not isinstance(parent, discord.Message):
                try:
                    parent = await current.channel.fetch_message(reference.message_id)
                except DISCORD_ERRORS:
                    return reference.message_id  # deleted or unreadable: the chain starts there
            current = parent
        return current.id


def _may_join(key: ConversationKey, user_id: int) -> bool:
    """Private conversations belong to their member only."""
    return not key.scope.startswith("user:") or key.scope.startswith(f"user:{user_id}:")
