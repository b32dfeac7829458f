"""A reply as a group of Discord messages that grows, shrinks and edits as its text changes.

Every reply goes through `MessageGroup.render`, which uses the one splitter (`render.py`), so
sends, edits and streamed updates all respect the 2000-character limit and code fences.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

import discord

from bot.platforms.discord.attachments import MAX_FILES_PER_MESSAGE, to_files
from bot.platforms.discord.render import EMPTY_REPLY, split_message

__all__ = ["NO_MENTIONS", "DiscordSentMessage", "MessageGroup", "NullSentMessage", "Transport"]

# Model output must never ping anyone: no @everyone/@here, roles, users or reply pings.
NO_MENTIONS = discord.AllowedMentions.none()


class Transport(Protocol):
    """How one kind of reply target (a channel, an interaction) posts and edits messages."""

    async def post(self, text: str | None, files: list[discord.File]) -> Any: ...

    async def edit(self, message: Any, text: str) -> None: ...

    async def delete(self, message: Any) -> None: ...


class MessageGroup:
    """The Discord messages that show one reply, in order."""

    def __init__(self, transport: Transport, on_post: Callable[[int], None] | None = None) -> None:
        self.transport = transport
        self.messages: list[Any] = []
        self.contents: list[str] = []
        self._on_post = on_post

    @property
    def ids(self) -> list[int]:
        return [m.id for m in self.messages]

    async def render(self, text: str, files: Sequence[tuple[str, bytes]] = ()) -> None:
        """Show `text` (split into chunks); files go with the last chunk of the first render."""
        chunks = split_message(text) or [EMPTY_REPLY]
        pending_files = list(files) if not self.messages else []
        for index, chunk in enumerate(chunks):
            if index < len(self.messages):
                if self.contents[index] != chunk:
                    await self.transport.edit(self.messages[index], chunk)
                    self.contents[index] = chunk
                continue
            batch = pending_files[:MAX_FILES_PER_MESSAGE] if index == len(chunks) - 1 else []
            pending_files = pending_files[len(batch) :]
            await self._post(chunk, batch)
        while pending_files:  # more than ten files: the rest follow in their own messages
            batch, pending_files = (
                pending_files[:MAX_FILES_PER_MESSAGE],
                pending_files[MAX_FILES_PER_MESSAGE:],
            )
            await self._post(None, batch)
        while len(self.messages) > len(chunks):
            surplus = self.messages.pop(len(chunks))  # the text shrank
            self.contents.pop(len(chunks))
            await self.transport.delete(surplus)

    async def _post(self, text: str | None, files: list[tuple[str, bytes]]) -> None:
        message = await self.transport.post(text, to_files(files))
        if text is None:
            if self._on_post is not None:
                self._on_post(message.id)
            return  # file-only messages are not edited later
        self.messages.append(message)
        self.contents.append(text)
        if self._on_post is not None:
            self._on_post(message.id)


class DiscordSentMessage:
    """What `ctx.reply()` returns on Discord: editable, and it knows its message ids."""

    def __init__(self, group: MessageGroup) -> None:
        self.group = group

    @property
    def id(self) -> int | None:
        ids = self.group.ids
        return ids[0] if ids else None

    @property
    def ids(self) -> list[int]:
        return self.group.ids

    @property
    def link(self) -> str | None:
        """Permalink of the first message, for citations."""
        messages = self.group.messages
        return str(messages[0].jump_url) if messages else None

    async def edit(self, text: str) -> None:
        await self.group.render(text)


class NullSentMessage:
    """Returned when nothing could be posted (the notice went elsewhere)."""

    id: int | None = None
    ids: list[int] = []  # noqa: RUF012 - read-only by convention

    link: str | None = None

    async def edit(self, text: str) -> None:
        return None
