"""Discord in Turkish: the command set synced with Turkish names and descriptions that follow
Discord's rules, and a member whose app is in Turkish (`interaction.locale == "tr"`) answered in
Turkish. Real discord.py against SimCord, with every bundled plugin."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import simcord.interactions
from simcord import Env

from bot.app import build_app
from bot.config import Config
from bot.platforms.discord import DiscordSettings
from bot.platforms.discord.client import create_client
from bot.platforms.discord.localize import DESCRIPTION_LIMIT, valid_command_name, valid_menu_name
from plugins.admin import AdminPlugin
from plugins.ai import AIPlugin
from plugins.help import HelpPlugin
from plugins.privacy import PrivacyPlugin
from plugins.translate import TranslatePlugin


@pytest.fixture
async def world(config: Config, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[dict[str, Any]]:
    app = await build_app(
        config,
        plugins=[HelpPlugin(), AdminPlugin(), AIPlugin(), PrivacyPlugin(), TranslatePlugin()],
    )
    client = create_client(app, DiscordSettings())
    env = Env(client, settle_timeout=10.0)
    await env.start()
    guild = env.create_guild("Sohbet Test")
    general = guild.create_text_channel("general")
    members = {
        "ayse": guild.add_member(env.create_user("ayse")),
        "john": guild.add_member(env.create_user("john")),
    }
    # SimCord sends every interaction as from an en-US app; Ayşe's app is Turkish.
    original = simcord.interactions.base_payload
    turkish = {members["ayse"].id}

    def base_payload(backend: Any, **kwargs: Any) -> Any:
        record, payload = original(backend, **kwargs)
        if kwargs.get("user_id") in turkish:
            payload["locale"] = "tr"
        return record, payload

    monkeypatch.setattr(simcord.interactions, "base_payload", base_payload)
    try:
        yield {"env": env, "app": app, "general": general, **members}
    finally:
        await env.shutdown()
        await app.close()


SAME_IN_TURKISH = {"ping", "ai"}


def _commands(world: dict[str, Any]) -> list[dict[str, Any]]:
    puts = [r for r in world["env"].http_requests if r.method == "PUT" and "/commands" in r.path]
    assert puts, "commands were never synced"
    return puts[-1].json


def _walk(node: dict[str, Any], path: str = "") -> Any:
    """(path, node) for every command, group, subcommand and option of a synced command."""
    here = f"{path} {node['name']}".strip()
    yield here, node
    for option in node.get("options") or []:
        yield from _walk(option, here)


async def test_sync_sends_valid_turkish_localizations(world: dict[str, Any]) -> None:
    commands = _commands(world)
    by_name = {c["name"]: c for c in commands}
    assert by_name["help"]["name_localizations"]["tr"] == "yardım"
    assert by_name["help"]["description_localizations"]["tr"].startswith("Neler yapabildiğimi")
    privacy = by_name["privacy"]
    assert privacy["name_localizations"]["tr"] == "gizlilik"
    info = next(o for o in privacy["options"] if o["name"] == "info")
    assert info["name_localizations"]["tr"] == "bilgi"
    memory = next(o for o in privacy["options"] if o["name"] == "memory")
    state = next(o for o in memory["options"] if o["name"] == "state")
    assert [c["name_localizations"]["tr"] for c in state["choices"]] == ["açık", "kapalı"]
    assert by_name["Translate message"]["name_localizations"]["tr"] == "Mesajı çevir"

    checked = 0
    for command in commands:
        for path, node in _walk(command):
            is_option = node.get("type") in range(3, 12)
            names = node.get("name_localizations") or {}
            # Commands, groups and subcommands are all translated (Discord gets no copy of a
            # name that stays the same in Turkish).
            if not is_option and node["name"] not in SAME_IN_TURKISH:
                assert "tr" in names, f"/{path} has no Turkish name"
            for locale, name in names.items():
                valid = valid_menu_name if command["type"] == 3 else valid_command_name
                assert valid(name), f"/{path}: {locale} name {name!r} breaks Discord's rules"
            if command["type"] == 1:
                texts = node.get("description_localizations") or {}
                assert "tr" in texts, f"/{path} has no Turkish description"
                assert all(1 <= len(t) <= DESCRIPTION_LIMIT for t in texts.values()), path
            for choice in node.get("choices") or []:
                for text in (choice.get("name_localizations") or {}).values():
                    assert 1 <= len(text) <= DESCRIPTION_LIMIT
            checked += 1
    assert checked > 40
    # Subcommands of one group share its Turkish name (Discord has one per group).
    plugins = by_name["plugins"]
    config = next(o for o in plugins["options"] if o["name"] == "config")
    assert config["name_localizations"]["tr"] == "ayar"
    assert {o["name_localizations"]["tr"] for o in config["options"]} == {
        "göster",
        "değiştir",
        "sıfırla",
    }


async def test_a_member_with_a_turkish_app_is_answered_in_turkish(world: dict[str, Any]) -> None:
    ayse, john, general = world["ayse"], world["john"], world["general"]
    help_text = (await ayse.slash(general, "help")).response.content
    assert "**Neler yapabilirim**" in help_text
    assert "**What I can do**" in (await john.slash(general, "help")).response.content

    info = (await ayse.slash(general, "privacy info")).response.content
    assert "**Bu sunucuda hakkınızda saklananlar**" in info
    assert "Hafıza: açık (bu sunucunun varsayılanı)" in info

    status = (await ayse.slash(general, "ai status")).response.content
    assert "Bugünkü token kullanımınız: 0 (sınır: sınır yok)" in status
    assert "**Bu modelle yapılabilen görevler**" in status

    refused = (
        await ayse.slash(general, "plugins config set", plugin="core", key="language", value="de")
    ).response.content
    assert "**Sunucuyu Yönet** izni gerekiyor" in refused

    first = await ayse.slash(general, "privacy export")
    assert "Bu sunucuda hakkınızda saklanan her şey burada" in first.response.content
    again = (await ayse.slash(general, "privacy export")).response.content
    assert "Biraz yavaşlayın" in again and "sn sonra tekrar deneyin" in again


async def test_server_language_applies_where_discord_sends_none(world: dict[str, Any]) -> None:
    """Messages carry no app language: the server's `core.language` decides; an app language,
    where Discord sends one, still wins."""
    from bot.core.events import Author, Location
    from bot.core.language import CorePlugin

    app, general, john = world["app"], world["general"], world["john"]
    guild_id = general.guild.id
    await app.services.settings.set(
        CorePlugin, "language", "tr", server_id=guild_id, actor_id=1
    )
    here = Location(guild_id, general.id)
    assert await app.router.locale_for(Author(john.id, "john"), here) == "tr"
    assert await app.router.locale_for(Author(john.id, "john", locale="en-US"), here) == "en"
    assert "**What I can do**" in (await john.slash(general, "help")).response.content
