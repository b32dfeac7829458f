"""Plugins and settings pages: refusals first, then changes that the slash commands see."""

from __future__ import annotations

import html
import re
import shutil
import uuid
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from bot.core.events import ADMIN_PERMISSION, Author, CommandCall, Location
from bot.store.models import Document
from bot.web.commands import WebResponder
from tests.web.conftest import (
    ADMIN,
    B_CHANNEL,
    B_ROLE,
    GENERAL,
    GUILD_A,
    GUILD_B,
    GUILD_C,
    MEMBER,
    MODERATORS,
    Site,
)
from tests.web.fake_discord import CLIENT_ID

A = f"/servers/{GUILD_A}"
GETS = ["plugins", "plugins/ai", "plugins/chat?channel=11", "documents", "usage", "audit"]
POSTS = [
    ("plugins/chat/enabled", {"enabled": "false"}),
    ("plugins/ai", {"daily_user_tokens": "5"}),
    ("plugins/ai/reset", {"key": "daily_user_tokens"}),
    ("plugins/ai/roles", {"role": str(MODERATORS)}),
    ("documents", {}),
    ("documents/abc/delete", {}),
]


async def slash(
    site: Site, name: str, server: int = GUILD_A, channel: int = GENERAL, **options: object
) -> str:
    """What a Discord admin would read after running a slash command."""
    responder = WebResponder()
    author = Author(ADMIN, "Ada", frozenset({ADMIN_PERMISSION}))
    call = CommandCall(name, dict(options), author, Location(server, channel))
    await site.core.router.handle_command(call, responder)
    return "\n".join(responder.messages)


async def test_a_member_without_manage_server_gets_403_everywhere(site: Site) -> None:
    await site.login(MEMBER)
    for path in GETS:
        assert (await site.client.get(f"{A}/{path}", allow_redirects=False)).status == 403, path
    for path, data in POSTS:
        assert (await site.post(f"{A}/{path}", data)).status == 403, path
    assert await site.core.services.settings.is_enabled(
        GUILD_A, type(site.core.registry.get("chat"))
    )


@pytest.mark.parametrize("server", [GUILD_B, GUILD_C, 4004])
async def test_another_servers_id_in_the_url_is_refused(site: Site, server: int) -> None:
    await site.login(ADMIN)
    for path in GETS:
        response = await site.client.get(f"/servers/{server}/{path}", allow_redirects=False)
        assert response.status == 403, path
    for path, data in POSTS:
        assert (await site.post(f"/servers/{server}/{path}", data)).status == 403, path


async def test_another_servers_channel_or_role_in_a_form_is_refused(site: Site) -> None:
    await site.login(ADMIN)
    response = await site.post(
        f"{A}/plugins/chat", {"channel": str(B_CHANNEL), "history_turns": "3"}
    )
    assert response.status == 403
    response = await site.client.get(f"{A}/plugins/chat?channel={B_CHANNEL}", allow_redirects=False)
    assert response.status == 403
    assert (await site.post(f"{A}/plugins/ai/roles", {"role": str(B_ROLE)})).status == 403
    values = await site.core.services.settings.values(
        type(site.core.registry.get("chat")), GUILD_A, B_CHANNEL
    )
    assert values["history_turns"] == 40


async def test_posts_without_the_right_csrf_token_are_refused(site: Site) -> None:
    await site.login(ADMIN)
    for path, data in [*POSTS, ("/me/delete", {"scope": "all", "confirm": "yes"})]:
        url = path if path.startswith("/") else f"{A}/{path}"
        assert (await site.post(url, data, csrf=False)).status == 403, path
        bad = await site.client.post(url, data={**data, "csrf": "forged"}, allow_redirects=False)
        assert bad.status == 403, path


async def test_losing_manage_server_on_discord_closes_the_pages(site: Site) -> None:
    await site.login(ADMIN)
    assert (await site.client.get(f"{A}/plugins")).status == 200
    site.discord.users[ADMIN].guilds[GUILD_A] = 0
    assert (await site.client.get(f"{A}/plugins", allow_redirects=False)).status == 403


async def test_turning_a_plugin_off_shows_in_plugins_list_and_audit(site: Site) -> None:
    await site.login(ADMIN)
    response = await site.post(f"{A}/plugins/chat/enabled", {"enabled": "false"})
    assert response.status == 303
    listing = await slash(site, "plugins list")
    assert "⛔ **chat**" in listing
    audit = await slash(site, "plugins audit")
    assert f"<@{ADMIN}> plugin.disable `chat`" in audit
    page = await (await site.client.get(f"{A}/plugins")).text()
    assert "chat is now off." in page
    # help can't be turned off, here as with the slash command
    await site.post(f"{A}/plugins/help/enabled", {"enabled": "false"})
    assert "be disabled" in await (await site.client.get(f"{A}/plugins")).text()


async def test_the_settings_form_comes_from_the_model(site: Site) -> None:
    await site.login(ADMIN)
    page = await (await site.client.get(f"{A}/plugins/chat")).text()
    assert '<textarea id="f-persona" name="persona" rows="6" maxlength="4000">' in page
    assert (
        'type="number" id="f-history_turns" name="history_turns" value="40" step="1" min="0" max="200"'
        in page
    )
    assert '<option value="channel" >channel</option>' in page or 'value="channel"' in page
    assert "#general" in page and "#random" in page and "@Moderators" in page
    page = await (await site.client.get(f"{A}/plugins/docs")).text()
    assert 'type="checkbox" id="f-answer_in_chat"' in page


async def test_a_web_change_shows_in_config_get_and_the_audit_log(site: Site) -> None:
    await site.login(ADMIN)
    response = await site.post(
        f"{A}/plugins/ai",
        {
            "daily_user_tokens": "500",
            "temperature": "",
            "max_new_tokens": "",
            "model": "",
            "provider": "",
            "daily_server_tokens": "0",
        },
    )
    assert response.status == 303
    shown = await slash(site, "plugins config get", plugin="ai", key="daily_user_tokens")
    assert "`daily_user_tokens` = `500`" in shown
    assert f"<@{ADMIN}> setting.set `ai.daily_user_tokens`: `0` → `500`" in await slash(
        site, "plugins audit"
    )
    # and the other way round: a slash change shows on the web
    await slash(site, "plugins config set", plugin="ai", key="daily_user_tokens", value="750")
    page = await (await site.client.get(f"{A}/plugins/ai")).text()
    assert 'name="daily_user_tokens" value="750"' in page


async def test_refusals_come_back_next_to_their_field(site: Site) -> None:
    await site.login(ADMIN)
    response = await site.post(
        f"{A}/plugins/chat", {"history_turns": "999", "persona": "Be brief."}
    )
    assert response.status == 400
    page = await response.text()
    assert 'id="error-history_turns"' in page and "must be at most 200" in page
    assert 'value="999"' in page  # what was typed stays in the field
    values = await site.core.services.settings.values(type(site.core.registry.get("chat")), GUILD_A)
    assert values["history_turns"] == 40 and values["persona"] == "Be brief."
    # check_setting: a model the operator doesn't allow, refused as by /plugins config set
    response = await site.post(f"{A}/plugins/ai", {"model": "fake:secret-model"})
    page = await response.text()
    assert response.status == 400 and 'id="error-model"' in page
    response = await site.post(f"{A}/plugins/ai", {"model": "fake:other"})
    assert response.status == 303


async def test_channel_overrides_and_reset(site: Site) -> None:
    await site.login(ADMIN)
    response = await site.post(f"{A}/plugins/chat", {"channel": str(GENERAL), "history_turns": "5"})
    assert response.status == 303 and response.headers["Location"].endswith(f"?channel={GENERAL}")
    chat = type(site.core.registry.get("chat"))
    assert (await site.core.services.settings.values(chat, GUILD_A, GENERAL))["history_turns"] == 5
    assert (await site.core.services.settings.values(chat, GUILD_A, 12))["history_turns"] == 40
    page = await (await site.client.get(f"{A}/plugins/chat?channel={GENERAL}")).text()
    assert "Values for <strong>#general</strong>" in page and "set here" in page
    assert "`chat.history_turns@channel:11`" in await slash(site, "plugins audit")
    await site.post(f"{A}/plugins/chat/reset", {"channel": str(GENERAL), "key": "history_turns"})
    assert (await site.core.services.settings.values(chat, GUILD_A, GENERAL))["history_turns"] == 40


async def test_role_allow_lists_by_name(site: Site) -> None:
    await site.login(ADMIN)
    response = await site.post(f"{A}/plugins/chat/roles", {"role": str(MODERATORS)})
    assert response.status == 303
    assert await site.core.services.settings.allowed_roles(GUILD_A, "chat") == {MODERATORS}
    page = await (await site.client.get(f"{A}/plugins/chat")).text()
    assert "chat may now be used by: Moderators." in page
    assert f'value="{MODERATORS}" checked' in page
    await site.post(f"{A}/plugins/chat/roles", {})
    assert await site.core.services.settings.allowed_roles(GUILD_A, "chat") == set()


def assert_secured(response: aiohttp.ClientResponse, where: str) -> None:
    assert response.status != 500, where
    assert "script-src 'self'" in response.headers.get("Content-Security-Policy", ""), where
    assert response.headers.get("X-Frame-Options") == "DENY", where


async def test_ids_with_other_digits_are_refused_not_errors(site: Site) -> None:
    """Every id in a URL, query or form: "²" is a digit to str.isdigit() but not to int()."""
    await site.login(ADMIN)
    two = "\u00b2"
    response = await site.client.get(f"/servers/{two}/plugins", allow_redirects=False)
    assert_secured(response, "server in the URL")
    assert response.status == 404
    response = await site.client.get(f"{A}/plugins/chat?channel={two}", allow_redirects=False)
    assert_secured(response, "channel query")
    assert response.status == 403
    response = await site.client.get(f"{A}/audit?actor={two}", allow_redirects=False)
    assert_secured(response, "actor query")
    assert response.status == 200  # no such admin: the unfiltered log
    response = await site.post(f"{A}/plugins/chat/roles", {"role": two})
    assert_secured(response, "roles form")
    assert response.status == 403
    response = await site.post("/me/delete", {"scope": two, "confirm": "yes"})
    assert_secured(response, "my data scope")
    assert response.status == 403
    form = aiohttp.FormData()
    form.add_field("csrf", await site.csrf(f"{A}/documents"))
    form.add_field("channel", two)
    form.add_field("file", b"hello", filename="notes.txt", content_type="text/plain")
    response = await site.client.post(f"{A}/documents", data=form, allow_redirects=False)
    assert_secured(response, "upload form")
    assert response.status == 403


async def test_a_failing_page_is_an_error_page_with_the_security_headers(site: Site) -> None:
    await site.login(ADMIN)
    await site.core.store.engine.dispose()
    shutil.rmtree(site.core.config.data_dir)  # the database is gone
    response = await site.client.get(f"{A}/audit", allow_redirects=False)
    assert_secured(response, "database gone")
    assert response.status == 503
    assert "database is unreachable" in await response.text()


async def test_people_are_named_with_their_id_on_hover(site: Site) -> None:
    """Uploader, audit "Who" and top members by the name the server knows them by."""
    site.discord.nicknames[(GUILD_A, MEMBER)] = "Mo the Mod"
    await site.login(ADMIN)
    await site.post(f"{A}/plugins/chat/enabled", {"enabled": "false"})
    store = site.core.store
    await store.usage.add(GUILD_A, MEMBER, 300, 200)
    await store.usage.add(GUILD_A, 999, 1, 1)  # someone who has left the server since
    for uploader, sha in ((MEMBER, "a"), (999, "b")):
        await store.documents.add(
            Document(
                id=str(uuid.uuid4()),
                server_id=GUILD_A,
                uploader_id=uploader,
                name=f"{sha}.txt",
                kind="txt",
                sha256=sha * 64,
                status="ready",
            )
        )
    mo = f'<span class="who" title="id {MEMBER}">Mo the Mod</span>'
    page = await (await site.client.get(f"{A}/documents")).text()
    assert mo in page and '<code title="no name known for this id">999</code>' in page
    page = await (await site.client.get(f"{A}/audit")).text()
    assert f'<span class="who" title="id {ADMIN}">Ada</span>' in page
    asked = site.discord.calls.count("member")
    page = await (await site.client.get(f"{A}/usage")).text()
    assert mo in page
    assert site.discord.calls.count("member") == asked  # both cached since the first page


async def test_a_server_without_sohbet_offers_to_add_it(site: Site) -> None:
    await site.login(ADMIN)
    page = await (await site.client.get("/servers")).text()
    links = re.findall(r'<a class="button" href="([^"]+)"[^>]*>Add Sohbet to this server</a>', page)
    assert len(links) == 1  # Gamma only: the bot is in Alpha, and Ada doesn't manage Beta
    query = parse_qs(urlsplit(html.unescape(links[0])).query)
    assert links[0].startswith(f"{site.discord.url}/oauth2/authorize?")
    assert query["client_id"] == [CLIENT_ID] and query["guild_id"] == [str(GUILD_C)]
    assert query["scope"] == ["bot applications.commands"]
    assert query["disable_guild_select"] == ["true"]


async def test_the_model_is_chosen_from_the_operators_list(site: Site) -> None:
    await site.login(ADMIN)
    for plugin in ("ai", "chat"):
        page = await (await site.client.get(f"{A}/plugins/{plugin}")).text()
        found = re.search(r'<select id="f-model" name="model">(.*?)</select>', page, re.DOTALL)
        assert found, plugin
        assert re.findall(r'<option value="([^"]*)"', found.group(1)) == ["", "fake:other"]
    assert (await site.post(f"{A}/plugins/ai", {"model": "fake:other"})).status == 303
    page = await (await site.client.get(f"{A}/plugins/ai")).text()
    assert '<option value="fake:other" selected>' in page
