"""A small real plugin exercising every part of the plugin API the Router deals with."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field

from bot.core import (
    Attachment,
    Context,
    Message,
    Option,
    Plugin,
    PluginSettings,
    SohbetError,
    command,
    listener,
    message_command,
)


class Mood(StrEnum):
    HAPPY = "happy"
    SAD = "sad"


class DemoPlugin(Plugin):
    name = "demo"
    description = "A plugin for tests"

    class Settings(PluginSettings):
        greeting: str = "hello"
        count: int = 3
        ratio: float = 0.5
        loud: bool = False
        words: list[str] = Field(default_factory=list)
        mode: Literal["fast", "slow"] = "fast"
        nickname: str | None = None

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.heard: list[str] = []
        self.heard_all: list[str] = []
        self.settings_seen: list[Any] = []

    @command(description="Repeat some text")
    async def echo(
        self,
        ctx: Context,
        text: Annotated[str, Option("What to say", max_length=20)],
        times: Annotated[int, Option("How often", min_value=1, max_value=5)] = 1,
    ) -> None:
        self.calls.append(("echo", {"text": text, "times": times}))
        await ctx.reply(" ".join([text] * times))

    @command("demo types", description="Every option type")
    async def types(
        self,
        ctx: Context,
        number: float,
        flag: bool,
        mode: Literal["fast", "slow"],
        mood: Mood,
        count: int | None = None,
        note: str | None = None,
        file: Attachment | None = None,
    ) -> None:
        options = {
            "number": number,
            "flag": flag,
            "mode": mode,
            "mood": mood,
            "count": count,
            "note": note,
            "file": file,
        }
        self.calls.append(("types", options))
        await ctx.reply("ok")

    @command("demo admin", description="Admins only", admin=True)
    async def admin_only(self, ctx: Context) -> None:
        self.calls.append(("admin", {}))
        await ctx.reply("admin ok")

    @command("demo slow", description="Once a minute", cooldown=60)
    async def slow(self, ctx: Context) -> None:
        self.calls.append(("slow", {}))
        await ctx.reply("slow ok")

    @command("demo boom", description="Always fails")
    async def boom(self, ctx: Context) -> None:
        self.calls.append(("boom", {}))
        raise RuntimeError("kaboom: internal detail")

    @command("demo refuse", description="Refuses politely")
    async def refuse(self, ctx: Context) -> None:
        raise SohbetError("I won't do that here.")

    @command("demo settings", description="Show the resolved settings")
    async def show_settings(self, ctx: Context) -> None:
        self.settings_seen.append(ctx.settings)
        await ctx.reply(f"greeting={ctx.settings.greeting} count={ctx.settings.count}")

    @message_command("Quote message")
    async def quote(self, ctx: Context, message: Message) -> None:
        self.calls.append(("quote", {"message": message}))
        await ctx.reply(f"> {message.content}")

    @listener()
    async def on_addressed(self, ctx: Context, message: Message) -> None:
        self.heard.append(message.content)

    @listener(addressed_only=False)
    async def on_any(self, ctx: Context, message: Message) -> None:
        self.heard_all.append(message.content)

    async def complete_word(self, ctx: Context, partial: str) -> list[str]:
        return [w for w in ("alpha", "beta", "alps") if w.startswith(partial)]


class OffByDefaultPlugin(Plugin):
    name = "later"
    description = "Disabled until an admin turns it on"
    enabled_by_default = False

    def __init__(self) -> None:
        super().__init__()
        self.heard: list[str] = []

    @command("later run", description="Runs only when enabled")
    async def run(self, ctx: Context) -> None:
        await ctx.reply("later ok")

    @listener()
    async def on_message(self, ctx: Context, message: Message) -> None:
        self.heard.append(message.content)
