"""Driving the real chat plugin through the real Router with a deterministic model.

The `echo` fake model answers "You said: <each message of the person it was given>", so a
test reads off its answer exactly which history reached the model.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime

from bot.app import App
from bot.config import Config
from bot.core.events import Author, CommandCall, ConversationKey, Location, Message, Reply
from bot.shared.markup import render_commands

__all__ = ["PlatformResponder", "Talk", "echo_config"]

_ids = itertools.count(10_000)


def echo_config(config: Config) -> Config:
    return config.model_copy(update={"model_provider": "fake", "model_name": "echo"})


@dataclass
class _Sent:
    responder: PlatformResponder
    index: int  # in `replies`
    ids: list[int]

    link: str | None = None

    async def edit(self, text: str) -> None:
        old = self.responder.replies[self.index]
        self.responder.replies[self.index] = Reply(render_commands(text), old.ephemeral, old.files)
        for message_id, part in zip(self.ids, self.responder.split(text), strict=False):
            self.responder.messages[message_id] = part


@dataclass
class PlatformResponder:
    """Like a platform: every reply becomes messages of at most `limit` characters, each
    with its own id (Discord: 2000)."""

    limit: int = 2000
    messages: dict[int, str] = field(default_factory=dict)
    sent_message_ids: list[int] = field(default_factory=list)
    replies: list[Reply] = field(default_factory=list)

    def split(self, text: str) -> list[str]:
        return [text[i : i + self.limit] for i in range(0, len(text), self.limit)] or [""]

    def _post(self, text: str) -> list[int]:
        ids = []
        for part in self.split(text):
            message_id = next(_ids)
            self.messages[message_id] = part
            self.sent_message_ids.append(message_id)
            ids.append(message_id)
        return ids

    async def send(self, reply: Reply) -> _Sent:
        reply = Reply(render_commands(reply.text), reply.ephemeral, reply.files)  # as on Discord
        self.replies.append(reply)
        return _Sent(self, len(self.replies) - 1, self._post(reply.text))

    async def stream(self, chunks: AsyncIterator[str], *, ephemeral: bool = False) -> str:
        text = render_commands("".join([c async for c in chunks]))
        self.replies.append(Reply(text, ephemeral))
        self._post(text)
        return text

    async def defer(self, *, ephemeral: bool = False) -> None:
        return None

    async def fetch_history(self, limit: int, since: datetime | None = None) -> list[Message]:
        return []

    @property
    def text(self) -> str:
        assert self.replies, "the bot did not answer"
        return self.replies[-1].text


@dataclass
class Talk:
    """One member somewhere: says things to the bot and runs commands, as an adapter would."""

    app: App
    user_id: int
    server_id: int = 100
    channel_id: int = 10
    admin: bool = False

    @property
    def author(self) -> Author:
        permissions = frozenset({"manage_guild"}) if self.admin else frozenset()
        return Author(self.user_id, f"user{self.user_id}", permissions)

    @property
    def location(self) -> Location:
        if self.server_id == 0:
            return Location(0, self.channel_id, is_dm=True)
        return Location(self.server_id, self.channel_id)

    def key(self) -> ConversationKey:
        return ConversationKey(self.server_id, f"user:{self.user_id}:chan:{self.channel_id}")

    async def say(
        self, text: str, *, conversation: ConversationKey | None = None
    ) -> PlatformResponder:
        message = Message(
            id=next(_ids),
            content=text,
            author=self.author,
            location=self.location,
            mentions_bot=True,
            conversation=conversation,
        )
        responder = PlatformResponder()
        await self.app.router.handle_message(message, responder)
        return responder

    async def command(self, name: str, **options: object) -> PlatformResponder:
        call = CommandCall(name, dict(options), self.author, self.location, id=next(_ids))
        responder = PlatformResponder()
        await self.app.router.handle_command(call, responder)
        return responder
