"""Small plugins that exercise every part of the Discord adapter."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from enum import Enum
from typing import Annotated, Literal

from bot.core import (
    Attachment,
    Context,
    Message,
    Option,
    Plugin,
    PluginSettings,
    Reply,
    command,
    listener,
    message_command,
)

Sleep = Callable[[float], Awaitable[None]]


class Clock:
    """How test plugins wait: real sleeps by default, virtual time under simcord."""

    def __init__(self) -> None:
        self.sleep: Sleep = asyncio.sleep


class Size(Enum):
    SMALL = "small"
    LARGE = "large"


FILES = (("a.txt", b"alpha"), ("b.txt", b"beta"))
LONG_CODE = "\n".join(f"print('line {i:03d}')  # explain step {i}" for i in range(120))
LONG_TEXT = "Here is the plan. " * 60 + "\n```python\n" + LONG_CODE + "\n```\nAnd " + "done " * 300


class ToolsPlugin(Plugin):
    name = "tools"
    description = "Test tools"

    def __init__(self, clock: Clock | None = None) -> None:
        super().__init__()
        self.clock = clock or Clock()
        self.calls: list[tuple[str, dict[str, object]]] = []

    @command(description="Repeat some text")
    async def echo(
        self, ctx: Context, text: Annotated[str, Option("what to say", max_length=50)]
    ) -> None:
        self.calls.append(("echo", {"text": text}))
        await ctx.reply(text)

    @command("calc add", description="Add numbers")
    async def add(
        self,
        ctx: Context,
        a: Annotated[int, Option("first", min_value=0, max_value=100)],
        b: Annotated[float, Option("second", min_value=-1.5, max_value=1000.0)] = 1.5,
        loud: bool = False,
    ) -> None:
        self.calls.append(("calc add", {"a": a, "b": b, "loud": loud}))
        total = f"{a + b:g}"
        await ctx.reply(f"SUM {total}!" if loud else f"sum {total}")

    @command(description="Pick a colour and a size")
    async def pick(
        self, ctx: Context, color: Literal["red", "green"], size: Size | None = None
    ) -> None:
        self.calls.append(("pick", {"color": color, "size": size}))
        await ctx.reply(f"{color} {size.value if size else 'any'}")

    @command(description="Find a fruit")
    async def find(
        self, ctx: Context, fruit: Annotated[str, Option("fruit", autocomplete="fruits")]
    ) -> None:
        await ctx.reply(f"found {fruit}")

    @command(description="Move between places")
    async def move(
        self,
        ctx: Context,
        to: str,
        origin: Annotated[
            str | None, Option("where from", name="from", autocomplete="fruits")
        ] = None,
    ) -> None:
        await ctx.reply(f"{origin or 'here'} -> {to}")

    async def fruits(self, ctx: Context, partial: str) -> list[str]:
        return [f for f in ("apple", "apricot", "banana") if f.startswith(partial)]

    @command(description="Inspect a file")
    async def upload(self, ctx: Context, file: Attachment, note: str | None = None) -> None:
        data = await file.read(max_bytes=1_000_000)
        digest = hashlib.sha256(data).hexdigest()[:12]
        await ctx.reply(f"{file.name} {len(data)} bytes {digest} {note or ''}".strip())

    @command("plugins list", description="List plugins")
    async def plugins_list(self, ctx: Context) -> None:
        await ctx.reply("tools, chat")

    @command("plugins config set", description="Change a setting", admin=True)
    async def config_set(self, ctx: Context, key: str, value: str) -> None:
        await ctx.reply(f"set {key}={value}", ephemeral=True)

    @command(description="Wipe everything", admin=True)
    async def wipe(self, ctx: Context) -> None:
        await ctx.reply("wiped")

    @command(description="Only you see this", ephemeral=True)
    async def secret(self, ctx: Context) -> None:
        await ctx.reply("psst")

    @command(description="Take a while")
    async def slow(self, ctx: Context, seconds: float) -> None:
        await self.clock.sleep(seconds)
        await ctx.reply("finally done")

    @command(description="Defer, then answer privately")
    async def ponder(self, ctx: Context) -> None:
        await ctx.defer(ephemeral=True)
        await self.clock.sleep(5)
        await ctx.reply("thought about it")

    @command(description="Fail")
    async def boom(self, ctx: Context) -> None:
        raise RuntimeError("kaboom: internal detail")

    @command(description="Fail after a while")
    async def late_boom(self, ctx: Context) -> None:
        await self.clock.sleep(4)
        raise RuntimeError("late kaboom")

    @command(description="A long answer")
    async def essay(self, ctx: Context) -> None:
        sent = await ctx.reply(LONG_TEXT)
        self.sent_ids = (list(getattr(sent, "ids", [])), list(ctx.responder.sent_message_ids))

    @command(description="Count readable history")
    async def history(self, ctx: Context) -> None:
        messages = await ctx.channel_history(limit=20)
        await ctx.reply(f"{len(messages)} messages: " + " | ".join(m.content for m in messages))

    @command(description="Say something dangerous")
    async def ping_all(self, ctx: Context, text: str) -> None:
        await ctx.reply(text)

    @message_command("Shout message")
    async def shout(self, ctx: Context, message: Message) -> None:
        await ctx.reply(message.content.upper())

    @message_command("Purge message", admin=True)
    async def purge(self, ctx: Context, message: Message) -> None:
        await ctx.reply("purged")


class ChatPlugin(Plugin):
    """A minimal chat: answers addressed messages with its conversation key and remembers the
    platform ids of its replies, as the real chat plugin does for reply chains."""

    name = "chat"
    description = "Test chat"

    class Settings(PluginSettings):
        conversation_mode: str = "user"

    def __init__(self, clock: Clock | None = None) -> None:
        super().__init__()
        self.clock = clock or Clock()
        self.seen: list[tuple[str, str, str]] = []  # (key scope, author, content)

    @listener()
    async def on_message(self, ctx: Context, message: Message) -> None:
        key = ctx.conversation
        self.seen.append((key.scope, message.author.name, message.content))
        if message.content.startswith("stream"):
            await self._stream(ctx, message)
            return
        if message.content.startswith("files"):
            await ctx.send(Reply("Here are your files", files=FILES))
            return
        if message.content.startswith("essay"):
            await ctx.reply(LONG_TEXT)
            return
        if message.content.startswith("boom"):
            raise RuntimeError("kaboom: internal detail")
        if message.attachments:
            sizes = [f"{a.name}={len(await a.read())}" for a in message.attachments]
            await ctx.reply("got " + " ".join(sizes))
            return
        if message.content.startswith("history"):
            history = await ctx.channel_history(limit=10)
            await ctx.reply(f"{len(history)} readable")
            return
        await ctx.reply(f"[{key.scope}] {message.content}")
        await self._remember(ctx, message)

    async def _remember(self, ctx: Context, message: Message) -> None:
        assert ctx.services is not None
        conversations = ctx.services.store.conversations
        await conversations.append(
            ctx.conversation, "user", message.content, author_id=message.author.id
        )
        for message_id in getattr(ctx.responder, "sent_message_ids", ()):
            await conversations.append(
                ctx.conversation, "assistant", "…", platform_message_id=message_id
            )

    async def _stream(self, ctx: Context, message: Message) -> None:
        words = int(message.content.split()[1]) if len(message.content.split()) > 1 else 12

        async def tokens() -> AsyncIterator[str]:
            for index in range(words):
                await self.clock.sleep(0.25)
                yield f"w{index} "

        self.streamed = await ctx.stream(tokens())
