"""Responders: how a plugin's answer reaches Discord, for a message or for an interaction.

Both expose `sent_message_ids`: the ids of every Discord message sent for this event, in
order. Plugins that remember their replies (the chat plugin, for reply-chain conversations)
store them as `platform_message_id`; read them with
`getattr(ctx.responder, "sent_message_ids", ())`. `send()` also returns a `DiscordSentMessage`
with `.id` (first message) and `.ids`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import discord

from bot.core.events import Message, Reply
from bot.platforms.discord.history import readable_history
from bot.platforms.discord.messages import (
    NO_MENTIONS,
    DiscordSentMessage,
    MessageGroup,
    NullSentMessage,
)
from bot.platforms.discord.permissions import BotMissingPermission, explain_forbidden, sending_needs
from bot.platforms.discord.ratelimit import DISCORD_ERRORS, EditThrottle
from bot.platforms.discord.render import for_discord
from bot.platforms.discord.settings import DiscordSettings
from bot.platforms.discord.streaming import stream_into

__all__ = ["InteractionResponder", "MessageResponder"]

log = logging.getLogger(__name__)
DONE = "✅ Done."
TYPING_SECONDS = 9.0  # Discord shows "typing…" for about ten seconds, or until we post
PRIVATE_NOTICE = "🔒 Answered privately."


class _ChannelTransport:
    """Posts into a channel; the first message replies to the triggering message."""

    def __init__(self, channel: Any, origin: discord.Message | None) -> None:
        self.channel = channel
        self.origin = origin

    async def post(self, text: str | None, files: list[discord.File]) -> discord.Message:
        reference = None
        if self.origin is not None:
            reference = self.origin.to_reference(fail_if_not_exists=False)
            self.origin = None  # only the first message is a reply
        try:
            message: discord.Message = await self.channel.send(
                content=text, files=files, reference=reference, allowed_mentions=NO_MENTIONS
            )
        except discord.Forbidden as exc:
            needs = sending_needs(self.channel, reply=reference is not None, files=bool(files))
            raise explain_forbidden(self.channel, needs) from exc
        return message

    async def edit(self, message: Any, text: str) -> None:
        await message.edit(content=text, allowed_mentions=NO_MENTIONS)

    async def delete(self, message: Any) -> None:
        with contextlib.suppress(discord.NotFound):
            await message.delete()


class MessageResponder:
    """Answers a plain message: replies in its channel (or in the thread opened for it)."""

    def __init__(
        self,
        origin: discord.Message,
        settings: DiscordSettings,
        *,
        bot_id: int | None,
        channel: Any | None = None,
    ) -> None:
        self.origin = origin
        self.settings = settings
        self.bot_id = bot_id
        # In a thread opened for this message the answer goes there, not as a reply.
        self.channel = channel if channel is not None else origin.channel
        self._reply_to_origin = channel is None
        self.sent_message_ids: list[int] = []
        self.blocked: BotMissingPermission | None = None
        self._typing_until = float("-inf")

    def _group(self) -> MessageGroup:
        origin = self.origin if self._reply_to_origin and not self.sent_message_ids else None
        return MessageGroup(_ChannelTransport(self.channel, origin), self.sent_message_ids.append)

    async def send(self, reply: Reply) -> DiscordSentMessage | NullSentMessage:
        if self.blocked is not None:
            await self._tell_privately(reply.text)
            return NullSentMessage()
        group = self._group()
        try:
            await group.render(reply.text, reply.files)
        except BotMissingPermission as exc:
            self.blocked = exc
            raise
        return DiscordSentMessage(group)

    async def stream(self, chunks: AsyncIterator[str], *, ephemeral: bool = False) -> str:
        group = self._group()
        try:
            return await stream_into(group, chunks, self._throttle())
        except BotMissingPermission as exc:
            self.blocked = exc
            raise

    def _throttle(self) -> EditThrottle:
        return EditThrottle(self.settings.stream_edit_interval)

    async def defer(self, *, ephemeral: bool = False) -> None:
        """Messages have no 3-second window; show "typing…" instead (once, while it lasts)."""
        now = time.monotonic()
        if not self.sent_message_ids and now < self._typing_until:
            return
        self._typing_until = now + TYPING_SECONDS
        with contextlib.suppress(*DISCORD_ERRORS):
            await self.channel.typing()

    async def fetch_history(self, limit: int, since: datetime | None = None) -> list[Message]:
        channel = self.origin.channel
        author = self.origin.author
        caller = (
            channel.permissions_for(author)
            if isinstance(author, discord.Member) and hasattr(channel, "permissions_for")
            else None
        )
        return await readable_history(
            channel,
            caller,
            limit,
            since,
            bot_id=self.bot_id,
            max_attachment_bytes=self.settings.max_attachment_bytes,
        )

    async def _tell_privately(self, text: str) -> None:
        """The channel refused us: the member still deserves to know why (by DM)."""
        try:
            await self.origin.author.send(for_discord(text), allowed_mentions=NO_MENTIONS)
        except DISCORD_ERRORS:
            log.warning(
                "could not reply in channel %s nor by DM (%d characters lost)",
                self.channel.id,
                len(text),
            )


class _InteractionTransport:
    def __init__(self, responder: InteractionResponder, ephemeral: bool) -> None:
        self.responder = responder
        self.ephemeral = ephemeral

    async def post(self, text: str | None, files: list[discord.File]) -> Any:
        return await self.responder._post(text, files, self.ephemeral)

    async def edit(self, message: Any, text: str) -> None:
        await message.edit(content=text, allowed_mentions=NO_MENTIONS)

    async def delete(self, message: Any) -> None:
        with contextlib.suppress(discord.NotFound):
            await message.delete()


class InteractionResponder:
    """Answers a slash command or context menu: initial response, deferral, followups.

    Works the same whether or not the interaction was deferred (by the plugin, or
    automatically after `auto_defer_after` seconds): the first message fills the initial
    response or the "thinking…" placeholder, later ones are followups.
    """

    def __init__(
        self,
        interaction: discord.Interaction,
        settings: DiscordSettings,
        *,
        ephemeral: bool = False,
        bot_id: int | None = None,
    ) -> None:
        self.interaction = interaction
        self.settings = settings
        self.default_ephemeral = ephemeral
        self.bot_id = bot_id
        self.sent_message_ids: list[int] = []
        self.deferred = False
        self._placeholder: bool | None = None  # ephemeral flag of a pending "thinking…" message
        self._lock = asyncio.Lock()

    def _group(self, ephemeral: bool) -> MessageGroup:
        transport = _InteractionTransport(self, ephemeral or self.default_ephemeral)
        return MessageGroup(transport, self.sent_message_ids.append)

    async def send(self, reply: Reply) -> DiscordSentMessage:
        group = self._group(reply.ephemeral)
        await group.render(reply.text, reply.files)
        return DiscordSentMessage(group)

    async def stream(self, chunks: AsyncIterator[str], *, ephemeral: bool = False) -> str:
        group = self._group(ephemeral)
        return await stream_into(group, chunks, EditThrottle(self.settings.stream_edit_interval))

    async def defer(self, *, ephemeral: bool = False) -> None:
        async with self._lock:
            response = self.interaction.response
            if response.is_done():
                return
            try:
                await response.defer(ephemeral=ephemeral or self.default_ephemeral, thinking=True)
            except discord.NotFound:
                log.warning("interaction %s expired before it was deferred", self.interaction.id)
                return
            self.deferred = True
            self._placeholder = ephemeral or self.default_ephemeral

    @contextlib.asynccontextmanager
    async def auto_defer(self, after: float) -> AsyncIterator[None]:
        """Defer if nothing was sent within `after` seconds (Discord allows three)."""

        async def later() -> None:
            await asyncio.sleep(after)
            try:
                await self.defer()
            except DISCORD_ERRORS:
                log.exception("automatic deferral of interaction %s failed", self.interaction.id)

        timer = asyncio.create_task(later())
        try:
            yield
        finally:
            timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await timer

    async def finish(self) -> None:
        """A handler that never answered still gets a response (no "did not respond")."""
        async with self._lock:
            try:
                if not self.interaction.response.is_done():
                    await self.interaction.response.send_message(DONE, ephemeral=True)
                elif self._placeholder is not None:
                    await self.interaction.edit_original_response(content=DONE)
                    self._placeholder = None
            except DISCORD_ERRORS:
                log.warning("could not finish interaction %s", self.interaction.id)

    async def fetch_history(self, limit: int, since: datetime | None = None) -> list[Message]:
        interaction = self.interaction
        caller = interaction.permissions if interaction.guild_id is not None else None
        return await readable_history(
            interaction.channel,
            caller,
            limit,
            since,
            bot_id=self.bot_id,
            max_attachment_bytes=self.settings.max_attachment_bytes,
        )

    async def _post(self, text: str | None, files: list[discord.File], ephemeral: bool) -> Any:
        async with self._lock:
            interaction = self.interaction
            content = text if text is not None else discord.utils.MISSING
            if not interaction.response.is_done():
                result = await interaction.response.send_message(
                    text, files=files, ephemeral=ephemeral, allowed_mentions=NO_MENTIONS
                )
                resource = result.resource
                if isinstance(resource, discord.InteractionMessage):
                    return resource
                return await interaction.original_response()
            placeholder, self._placeholder = self._placeholder, None
            if placeholder is None:
                return await interaction.followup.send(
                    content,
                    files=files,
                    ephemeral=ephemeral,
                    wait=True,
                    allowed_mentions=NO_MENTIONS,
                )
            if ephemeral and not placeholder:
                # A public "thinking…" message can't become private: close it, answer
                # privately, then remove it.
                await interaction.edit_original_response(content=PRIVATE_NOTICE)
                message = await interaction.followup.send(
                    content, files=files, ephemeral=True, wait=True, allowed_mentions=NO_MENTIONS
                )
                with contextlib.suppress(*DISCORD_ERRORS):
                    await interaction.delete_original_response()
                return message
            return await interaction.edit_original_response(
                content=content, attachments=files, allowed_mentions=NO_MENTIONS
            )
