"""Memory off on a simulated Discord (SimCord) with the real chat plugin: the bot follows the
platform's own reply chain, and stores none of the member's text."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from simcord import Env
from sqlalchemy import func, select

from bot.app import App, build_app
from bot.config import Config
from bot.platforms.discord import DiscordSettings, SohbetClient
from bot.store.models import ConversationMessage
from plugins.ai import AIPlugin
from plugins.chat import ChatPlugin
from plugins.privacy import PrivacyPlugin
from tests.chat.helpers import echo_config


@pytest.fixture
async def world(config: Config) -> AsyncIterator[tuple[Env, App]]:
    app = await build_app(echo_config(config), plugins=[AIPlugin(), ChatPlugin(), PrivacyPlugin()])
    env = Env(SohbetClient(app, DiscordSettings(stream_edit_interval=0.0)))
    await env.start()
    try:
        yield env, app
    finally:
        await env.shutdown()
        await app.close()
    assert not env.errors_since(0)


async def test_with_memory_off_replies_follow_the_discord_reply_chain(
    world: tuple[Env, App],
) -> None:
    env, app = world
    guild = env.create_guild("Sohbet Test")
    general = guild.create_text_channel("general")
    alice = guild.add_member(env.create_user("alice"))
    bot: Any = env.bot.user
    consent: Any = app.services.extras["memory"]
    await consent.set(alice.id, None, False)  # `/privacy memory state:off everywhere:true`

    first = await alice.send(general, f"{bot.mention} my plum tree blooms in April")
    answer = general.last_message
    assert answer is not None and answer.content == "You said: my plum tree blooms in April"
    follow = await alice.send(general, "when does it fruit?", reply_to=answer)
    assert follow.id > first.id

    reply = general.last_message
    assert reply is not None
    assert reply.content == "You said: my plum tree blooms in April | when does it fruit?"
    async with app.store.session() as s:
        stored = await s.scalar(select(func.count()).select_from(ConversationMessage))
    assert stored == 0
