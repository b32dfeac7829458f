"""The dashboard on a real App (SQLite, the real plugins, the fake chat model), served on
loopback, with Discord played by `FakeDiscord` on another loopback port."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import App, build_app
from bot.config import Config
from bot.web import WebSettings, create_dashboard
from bot.web.base import DASHBOARD, Dashboard
from plugins.admin import AdminPlugin
from plugins.ai import AIPlugin
from plugins.chat import ChatPlugin
from plugins.docs import DocsPlugin
from plugins.help import HelpPlugin
from plugins.privacy import PrivacyPlugin
from tests.conftest import isolate_environment, migrated_sqlite
from tests.web.fake_discord import (
    BOT_TOKEN,
    CLIENT_ID,
    CLIENT_SECRET,
    FakeDiscord,
    FakeGuild,
    FakeUser,
)

MANAGE = 0x20
GUILD_A = 1001  # the bot is here; ADMIN manages it, MEMBER is a plain member
GUILD_B = 2002  # the bot is here; ADMIN is a plain member
GUILD_C = 3003  # ADMIN manages it; the bot is not in it
GENERAL, RANDOM, B_CHANNEL = 11, 12, 21
MODERATORS, B_ROLE = 31, 41
ADMIN, MEMBER = 501, 502


def fresh_discord() -> FakeDiscord:
    fake = FakeDiscord()
    fake.add_guild(
        FakeGuild(
            GUILD_A, "Alpha", {GENERAL: "general", RANDOM: "random"}, {MODERATORS: "Moderators"}
        )
    )
    fake.add_guild(FakeGuild(GUILD_B, "Beta", {B_CHANNEL: "beta-chat"}, {B_ROLE: "Beta crew"}))
    fake.add_guild(FakeGuild(GUILD_C, "Gamma"), bot_in_it=False)
    fake.add_user(FakeUser(ADMIN, "Ada", {GUILD_A: MANAGE, GUILD_B: 0, GUILD_C: MANAGE}))
    fake.add_user(FakeUser(MEMBER, "Mo", {GUILD_A: 0}))
    return fake


@pytest.fixture
async def core(
    fast_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sqlite_template: Path
) -> AsyncIterator[App]:
    isolate_environment(monkeypatch, tmp_path)
    monkeypatch.setenv("DISCORD_TOKEN", BOT_TOKEN)
    data = fast_dir / "data"
    migrated_sqlite(sqlite_template, data / "sohbet.db")
    config = Config(
        data_dir=data, model_provider="fake", model_name="Merhaba!", allowed_models=["fake:other"]
    )
    app = await build_app(
        config,
        plugins=[
            AdminPlugin(),
            HelpPlugin(),
            AIPlugin(),
            ChatPlugin(),
            PrivacyPlugin(),
            DocsPlugin(),
        ],
    )
    yield app
    await app.close()


@pytest.fixture
async def discord() -> AsyncIterator[FakeDiscord]:
    fake = fresh_discord()
    await fake.start()
    yield fake
    await fake.close()


def web_settings(fake: FakeDiscord, **extra: Any) -> WebSettings:
    values: dict[str, Any] = {
        "base_url": "http://127.0.0.1",  # replaced by the test server's address
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "discord_api_url": f"{fake.url}/api",
        "discord_authorize_url": f"{fake.url}/oauth2/authorize",
        "permission_cache_s": 0,  # every request asks "Discord" again
    } | extra
    return WebSettings(**values)


@dataclass
class Site:
    """The dashboard under test and a browser-like client (cookies kept, no redirects)."""

    client: TestClient[Any, Any]
    discord: FakeDiscord
    core: App

    @property
    def dash(self) -> Dashboard:
        return self.client.server.app[DASHBOARD]

    async def login(self, user_id: int, next_path: str = "") -> aiohttp.ClientResponse:
        """The whole OAuth dance; returns the callback's response (a redirect)."""
        self.discord.next_user = user_id
        query = f"?next={next_path}" if next_path else ""
        start = await self.client.get(f"/login{query}", allow_redirects=False)
        assert start.status == 303, await start.text()
        consent = await self.client.session.get(start.headers["Location"], allow_redirects=False)
        assert consent.status == 302
        back = urlsplit(consent.headers["Location"])
        return await self.client.get(f"{back.path}?{back.query}", allow_redirects=False)

    async def csrf(self, path: str = "/servers") -> str:
        page = await self.client.get(path)
        found = re.search(r'name="csrf" value="([^"]+)"', await page.text())
        assert found, f"no CSRF token on {path}"
        return found.group(1)

    async def post(
        self, path: str, data: dict[str, Any] | None = None, csrf: bool = True, **kwargs: Any
    ) -> aiohttp.ClientResponse:
        form = dict(data or {})
        if csrf:
            form["csrf"] = await self.csrf()
        return await self.client.post(path, data=form, allow_redirects=False, **kwargs)


def state_of(location: str) -> str:
    return parse_qs(urlsplit(location).query)["state"][0]


StartSite = Callable[..., Awaitable[Site]]


@pytest.fixture
async def start_site(core: App, discord: FakeDiscord) -> AsyncIterator[StartSite]:
    """`await start_site(**web_settings)`: the dashboard with some settings changed."""
    clients: list[TestClient[Any, Any]] = []

    async def start(**settings: Any) -> Site:
        app = create_dashboard(core, web_settings(discord, **settings))
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        server.app[DASHBOARD].settings.base_url = str(server.make_url("")).rstrip("/")
        client = TestClient(server, cookie_jar=aiohttp.CookieJar(unsafe=True))
        await client.start_server()
        clients.append(client)
        return Site(client, discord, core)

    yield start
    for client in clients:
        await client.close()


@pytest.fixture
async def site(start_site: StartSite) -> Site:
    return await start_site()
