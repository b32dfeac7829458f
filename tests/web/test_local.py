"""`sohbet web --local`: the console server for the local user, with a one-time link."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import App
from bot.config import Config
from bot.platforms.console import CONSOLE_SERVER_ID
from bot.web import WebSettings, create_dashboard
from bot.web.base import DASHBOARD
from bot.web.run import serve

C = f"/servers/{CONSOLE_SERVER_ID}"


@pytest.fixture
async def local(core: App) -> AsyncIterator[TestClient[Any, Any]]:
    server = TestServer(create_dashboard(core, WebSettings(), local=True), host="127.0.0.1")
    client = TestClient(server, cookie_jar=aiohttp.CookieJar(unsafe=True))
    await client.start_server()
    yield client
    await client.close()


async def test_the_one_time_link_logs_in_once(local: TestClient[Any, Any], core: App) -> None:
    token = local.server.app[DASHBOARD].local_token
    assert token
    assert "one-time link printed in" in await (await local.get("/")).text()
    assert (await local.get("/local-login?token=wrong", allow_redirects=False)).status == 403
    assert (await local.get("/login", allow_redirects=False)).status == 404  # no Discord here
    response = await local.get(f"/local-login?token={token}", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/servers"
    page = await (await local.get("/servers")).text()
    assert "Console" in page and f"{C}/plugins" in page
    # the link is spent: another browser can't use it
    local.session.cookie_jar.clear()
    assert (await local.get(f"/local-login?token={token}", allow_redirects=False)).status == 403


async def test_the_console_server_is_configured_like_on_discord(
    local: TestClient[Any, Any], core: App
) -> None:
    token = local.server.app[DASHBOARD].local_token
    await local.get(f"/local-login?token={token}")
    page = await (await local.get(f"{C}/plugins/chat")).text()
    assert "#console" in page
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf
    response = await local.post(
        f"{C}/plugins/chat",
        data={"csrf": csrf.group(1), "history_turns": "12", "channel": "0"},
        allow_redirects=False,
    )
    assert response.status == 303
    chat = type(core.registry.get("chat"))
    assert (await core.services.settings.values(chat, CONSOLE_SERVER_ID))["history_turns"] == 12
    entry = (await core.store.audit.recent(CONSOLE_SERVER_ID, 1))[0]
    assert entry.actor_id == 1 and entry.target == "chat.history_turns"  # the console's user
    assert (await local.get("/servers/1001/plugins", allow_redirects=False)).status == 403
    assert (await local.get("/me")).status == 200


async def test_sohbet_web_local_prints_a_link_that_works(
    config: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    task = asyncio.create_task(serve(config, local=True, host=None, port=0))
    link = ""
    for _ in range(200):
        await asyncio.sleep(0.05)
        found = re.search(
            r"(http://127\.0\.0\.1:\d+/local-login\?token=\S+)", capsys.readouterr().out
        )
        if found:
            link = found.group(1)
            break
    assert link, "no login link printed"
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as http, http.get(link) as response:
        assert response.status == 200 and "Console" in await response.text()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_sohbet_web_without_discord_settings_says_what_to_set(
    config: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await serve(config, local=False, host=None, port=0) == 2
    err = capsys.readouterr().err
    assert "DISCORD_CLIENT_ID" in err and "sohbet web --local" in err
