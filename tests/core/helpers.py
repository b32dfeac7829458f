"""Building blocks for driving the Router like a platform adapter would."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.core.events import (
    ADMIN_PERMISSION,
    Author,
    CommandCall,
    ConversationKey,
    Location,
    Message,
    Reply,
)
from bot.shared.markup import render_commands

SERVER = 100
CHANNEL = 10
OTHER_CHANNEL = 11

_ids = itertools.count(1000)


def member(user_id: int = 7, *roles: int, admin: bool = False, bot: bool = False) -> Author:
    permissions = frozenset({ADMIN_PERMISSION}) if admin else frozenset()
    return Author(user_id, f"user{user_id}", permissions, tuple(roles), is_bot=bot)


def here(channel_id: int = CHANNEL, *, dm: bool = False) -> Location:
    if dm:
        return Location(0, channel_id, is_dm=True)
    return Location(SERVER, channel_id)


def call(
    name: str,
    author: Author | None = None,
    location: Location | None = None,
    target: Message | None = None,
    **options: Any,
) -> CommandCall:
    return CommandCall(
        name=name,
        options=options,
        author=author or member(),
        location=location or here(),
        target=target,
        id=next(_ids),
    )


def message(
    content: str = "hello",
    author: Author | None = None,
    location: Location | None = None,
    *,
    mentions_bot: bool = False,
    reply_to_bot: bool = False,
    conversation: ConversationKey | None = None,
) -> Message:
    return Message(
        id=next(_ids),
        content=content,
        author=author or member(),
        location=location or here(),
        mentions_bot=mentions_bot,
        reply_to_bot=reply_to_bot,
        conversation=conversation,
    )


@dataclass
class _Sent:
    responder: RecordingResponder
    index: int

    link: str | None = None

    async def edit(self, text: str) -> None:
        old = self.responder.replies[self.index]
        self.responder.replies[self.index] = Reply(render_commands(text), old.ephemeral, old.files)


@dataclass
class RecordingResponder:
    """The platform side of one event: records what the bot would have shown."""

    replies: list[Reply] = field(default_factory=list)
    deferred: bool = False
    history: list[Message] = field(default_factory=list)

    async def send(self, reply: Reply) -> _Sent:
        reply = Reply(render_commands(reply.text), reply.ephemeral, reply.files)  # as on Discord
        self.replies.append(reply)
        return _Sent(self, len(self.replies) - 1)

    async def stream(self, chunks: AsyncIterator[str], *, ephemeral: bool = False) -> str:
        text = render_commands("".join([c async for c in chunks]))
        self.replies.append(Reply(text, ephemeral))
        return text

    async def defer(self, *, ephemeral: bool = False) -> None:
        self.deferred = True

    async def fetch_history(self, limit: int, since: datetime | None = None) -> list[Message]:
        return self.history[-limit:]

    @property
    def texts(self) -> list[str]:
        return [r.text for r in self.replies]

    @property
    def last(self) -> Reply:
        assert self.replies, "the bot did not answer"
        return self.replies[-1]
