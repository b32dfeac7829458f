"""A simulated Discord (SimCord) running the real discord.py client, App, Router and SQLite."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import discord
import pytest
from simcord import ChannelHandle, Env, GuildHandle, MemberActor

from bot.app import App, build_app
from bot.config import Config
from bot.core import Plugin
from bot.platforms.discord import DiscordSettings, SohbetClient
from bot.platforms.discord.client import create_client
from tests.discord.plugins import ChatPlugin, Clock, ToolsPlugin


@dataclass
class World:
    env: Env
    app: App
    client: SohbetClient
    guild: GuildHandle
    general: ChannelHandle
    alice: MemberActor
    bob: MemberActor
    admin: MemberActor
    tools: ToolsPlugin
    chat: ChatPlugin
    clock: Clock

    @property
    def mention(self) -> str:
        assert self.client.user is not None
        return self.client.user.mention

    def requests(self, method: str, fragment: str = "") -> list[Any]:
        return [r for r in self.env.http_requests if r.method == method and fragment in r.path]

    async def restart(self, *plugins: Plugin, **settings: Any) -> SohbetClient:
        """A fresh client (and App, when plugins are given) on the same database."""
        app = self.app
        if plugins:
            app = await build_app(self.app.config, plugins=list(plugins))
            self._extra_apps.append(app)
        client = create_client(app, DiscordSettings(**(self.settings | settings)))
        await self.env.restart_bot(client)
        self.client = client
        return client

    def accept_errors(self) -> list[BaseException]:
        """The errors the bot raised so far, which the test expected (not a failure)."""
        errors = list(self.env.errors_since(self._accepted[0]))
        self._accepted[0] = self.env.error_cursor
        return errors

    settings: dict[str, Any]
    _extra_apps: list[App]
    _accepted: list[int]


StartWorld = Callable[..., Awaitable[World]]


async def _stop(env: Env, accepted: list[int]) -> None:
    """Shut the simulation down; anything the bot raised unhandled fails the test."""
    await env.shutdown()
    errors = env.errors_since(accepted[0])
    if errors:
        raise ExceptionGroup(f"the bot raised {len(errors)} unexpected error(s)", list(errors))


@pytest.fixture
async def start_world(config: Config) -> AsyncIterator[StartWorld]:
    """`await start_world(**discord_settings)`: a guild with #general, alice, bob and an admin.

    Plugins wait in virtual time (`env.external_wait`), so multi-second answers run instantly
    with `env.advance_time`. `settle_timeout` bounds how long an action waits for the bot.
    """
    stack = contextlib.AsyncExitStack()
    extra_apps: list[App] = []

    async def start(
        *,
        settle_timeout: float = 5.0,
        approved_intents: discord.Intents | None = None,
        **settings: Any,
    ) -> World:
        clock = Clock()
        tools, chat = ToolsPlugin(clock), ChatPlugin(clock)
        app = await build_app(config, plugins=[tools, chat])
        stack.push_async_callback(app.close)
        settings.setdefault("stream_edit_interval", 1.0)
        client = create_client(app, DiscordSettings(**settings))
        env = Env(client, settle_timeout=settle_timeout, approved_intents=approved_intents)
        accepted = [0]
        await env.start()
        stack.push_async_callback(_stop, env, accepted)

        async def virtual_sleep(seconds: float) -> None:
            await env.external_wait(asyncio.sleep(seconds), reason="simulated model latency")

        clock.sleep = virtual_sleep
        guild = env.create_guild("Sohbet Test")
        general = guild.create_text_channel("general")
        mods = guild.create_role("Mods", permissions=discord.Permissions(manage_guild=True))
        return World(
            env=env,
            app=app,
            client=client,
            guild=guild,
            general=general,
            alice=guild.add_member(env.create_user("alice")),
            bob=guild.add_member(env.create_user("bob")),
            admin=guild.add_member(env.create_user("mod"), roles=[mods]),
            tools=tools,
            chat=chat,
            clock=clock,
            settings=settings,
            _extra_apps=extra_apps,
            _accepted=accepted,
        )

    yield start
    await stack.aclose()
    for app in extra_apps:
        await app.close()
