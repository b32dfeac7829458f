"""A small plugin and a recording responder for driving the Router like an adapter does."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.core import Context, Message, Plugin, SohbetError, command, listener
from bot.core.events import Author, CommandCall, Location, Reply
from bot.shared.markup import render_commands

SERVER = 500
CHANNEL = 50
_ids = itertools.count(1)


class OpsPlugin(Plugin):
    name = "ops"
    description = "Commands with known outcomes, for operations tests"

    def __init__(self) -> None:
        super().__init__()
        self.started = asyncio.Event()

    @command(description="Answer at once")
    async def ping(self, ctx: Context) -> None:
        await ctx.reply("pong")

    @command(description="Fail with a bug")
    async def boom(self, ctx: Context) -> None:
        raise RuntimeError("bug in a plugin")

    @command(description="Refuse politely")
    async def refuse(self, ctx: Context) -> None:
        raise SohbetError("No.")

    @command(description="Take a long time")
    async def slow(self, ctx: Context, seconds: float = 10.0) -> None:
        self.started.set()
        await asyncio.sleep(seconds)
        await ctx.reply("finally done")

    @listener()
    async def hear(self, ctx: Context, message: Message) -> None:
        await ctx.reply(f"heard {message.content}")


def call(name: str, **options: Any) -> CommandCall:
    return CommandCall(
        name=name,
        options=options,
        author=Author(7, "member"),
        location=Location(SERVER, CHANNEL),
        id=next(_ids),
    )


def message(content: str) -> Message:
    return Message(
        id=next(_ids),
        content=content,
        author=Author(7, "member"),
        location=Location(SERVER, CHANNEL),
        mentions_bot=True,
    )


@dataclass
class _Sent:
    link: str | None = None

    async def edit(self, text: str) -> None:
        return None


@dataclass
class RecordingResponder:
    replies: list[Reply] = field(default_factory=list)

    async def send(self, reply: Reply) -> _Sent:
        reply = Reply(render_commands(reply.text), reply.ephemeral, reply.files)  # as on Discord
        self.replies.append(reply)
        return _Sent()

    async def stream(self, chunks: AsyncIterator[str], *, ephemeral: bool = False) -> str:
        text = render_commands("".join([c async for c in chunks]))
        self.replies.append(Reply(text, ephemeral))
        return text

    async def defer(self, *, ephemeral: bool = False) -> None:
        return None

    async def fetch_history(self, limit: int, since: datetime | None = None) -> list[Message]:
        return []

    async def send_text(self, text: str) -> None:
        await self.send(Reply(text))

    @property
    def texts(self) -> list[str]:
        return [r.text for r in self.replies]
