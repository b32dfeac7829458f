"""Every bundled plugin answers on Telegram: one pass over their commands in a group, with
the real plugins, the echo model and the loopback Bot API (the README's table)."""

from __future__ import annotations

from bot.core.registry import PluginRegistry
from tests.telegram.conftest import ALICE, GROUP_ID, StartWorld
from tests.telegram.fakeapi import supergroup

MENTION = "@SohbetBot"
COMMANDS = [
    ("/ping", "Pong"),
    ("/help", "<b>What I can do</b>"),
    ("/ai_status", "<code>echo</code>"),
    ("/chat hello there", "You said: hello there"),
    ("/reset", "forgotten our conversation"),
    (f"{MENTION} what a lovely, wonderful morning", "You said: what a lovely"),
    ("/sentiment_text I am so happy and grateful today", "<b>positive</b>"),
    ("/summarize_text The cat sat on the mat. It was warm. The dog slept.", "The cat sat"),
    ("/sentiment_channel", "<b>Channel mood</b> over the last 1 message"),
    ("/summarize_channel", "lovely, wonderful morning"),
    ("/docs_list", "No documents yet"),
    ("/privacy_info", "<b>Stored about you on this server</b>"),
    ("/privacy_memory state=off", "Memory is off here"),
    ("/plugins_list", "translate"),
]


async def test_every_plugin_answers_on_telegram(start_world: StartWorld) -> None:
    plugins = list(PluginRegistry.discover().plugins.values())
    world = await start_world(*plugins)
    api = world.api
    group = supergroup(GROUP_ID)
    api.admins.add((GROUP_ID, ALICE["id"]))
    for count, (line, expected) in enumerate(COMMANDS, start=1):
        world.app.router.cooldowns = type(world.app.router.cooldowns)()
        api.send(group, ALICE, line)
        await api.until(lambda: len(api.in_chat(GROUP_ID)) >= count, quiet=0.4)  # noqa: B023
        answer = api.texts(GROUP_ID)[count - 1]
        assert expected in answer, (line, answer)
        assert "went wrong" not in answer and "don't know" not in answer, (line, answer)
    assert len(api.in_chat(GROUP_ID)) == len(COMMANDS)
