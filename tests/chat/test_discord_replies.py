"""Reply-chain conversations on a simulated Discord (SimCord) with the real chat plugin.

An answer longer than 2000 characters becomes several Discord messages; a reply to any of
them, even after a restart, continues that conversation.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest
from simcord import Env

from bot.app import build_app
from bot.config import Config
from bot.platforms.discord import DiscordSettings, SohbetClient
from plugins.ai import AIPlugin
from plugins.chat import ChatPlugin
from tests.chat.helpers import echo_config

SETTINGS: dict[str, Any] = {"conversation_mode": "reply", "stream_edit_interval": 0.0}


@pytest.fixture
async def env(config: Config) -> AsyncIterator[Env]:
    app = await build_app(echo_config(config), plugins=[AIPlugin(), ChatPlugin()])
    env = Env(SohbetClient(app, DiscordSettings(**SETTINGS)))
    await env.start()
    try:
        yield env
    finally:
        await env.shutdown()
        await app.close()
    assert not env.errors_since(0)


def bot_messages(channel: Any, bot_id: int, after: int) -> list[discord.Message]:
    return [m for m in channel.history() if m.author.id == bot_id and m.id > after]


async def test_a_reply_to_any_part_of_an_answer_continues_it(env: Env, config: Config) -> None:
    guild = env.create_guild("Sohbet Test")
    general = guild.create_text_channel("general")
    alice = guild.add_member(env.create_user("alice"))
    bob = guild.add_member(env.create_user("bob"))
    client = env.bot
    assert client.user is not None
    bot_id = client.user.id
    topic = "sea " * 300  # 1200 characters

    first = await alice.send(general, f"{client.user.mention} {topic}")
    [answer] = bot_messages(general, bot_id, first.id)
    second = await alice.send(general, "more " * 250, reply_to=answer)
    parts = bot_messages(general, bot_id, second.id)
    assert len(parts) == 2  # ~2500 characters: two messages, only the first one is a reply
    assert parts[1].reference is None

    # Bob replies to the second part: same conversation (the model sees all three turns).
    third = await bob.send(general, "and bob too", reply_to=parts[1])
    text = "".join(m.content for m in bot_messages(general, bot_id, third.id))
    assert text.count(" | ") == 2 and text.endswith("| bob: and bob too")
    assert text.startswith("You said: alice:")

    # A new mention, not a reply, starts a conversation of its own.
    fresh = await alice.send(general, f"{client.user.mention} new topic")
    [new_answer] = bot_messages(general, bot_id, fresh.id)
    assert new_answer.content == "You said: alice: new topic"

    # The conversation of each part is stored, so it survives a restart.
    stored = {
        await env.bot.app.store.conversations.find_by_platform_message(guild.id, m.id)
        for m in [answer, *parts]
    }
    assert len(stored) == 1 and None not in stored
