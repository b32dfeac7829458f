"""Group life on Telegram: anonymous administrators, other bots' commands, and a group that
becomes a supergroup (real aiogram, the loopback Bot API, the real plugins and SQLite)."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.core.identity import core_id
from plugins.admin import AdminPlugin
from plugins.docs import DocsPlugin
from plugins.help import HelpPlugin
from plugins.privacy import PrivacyPlugin
from plugins.translate import TranslatePlugin
from tests.docs.conftest import ANSWER, kettle_pdf
from tests.telegram.conftest import ALICE, BOB, GROUP_ID, StartWorld
from tests.telegram.fakeapi import GROUP_ANONYMOUS_BOT, basic_group, private_chat, supergroup

CHANNEL: dict[str, Any] = {"id": -1009876543210, "type": "channel", "title": "News"}
CHANNEL_BOT: dict[str, Any] = {
    "id": 136817688,
    "is_bot": True,
    "first_name": "Channel",
    "username": "Channel_Bot",
}


async def test_an_anonymous_admin_is_the_groups_administrator(start_world: StartWorld) -> None:
    world = await start_world(AdminPlugin(), HelpPlugin(), TranslatePlugin(), PrivacyPlugin())
    api = world.api
    group = supergroup(GROUP_ID)

    # "Remain anonymous": Telegram says GroupAnonymousBot wrote it, on behalf of the group
    api.send(group, GROUP_ANONYMOUS_BOT, "/ping@SohbetBot", sender_chat=group)
    await api.until(lambda: api.in_chat(GROUP_ID), quiet=0.3)
    assert "Pong" in api.texts(GROUP_ID)[0]

    api.send(group, GROUP_ANONYMOUS_BOT, "/plugins_disable translate", sender_chat=group)
    await api.until(lambda: len(api.in_chat(GROUP_ID)) == 2, quiet=0.3)
    assert api.texts(GROUP_ID)[1] == "<code>translate</code> is now off."
    chat = core_id("telegram", GROUP_ID)
    entries = await world.app.store.audit.recent(chat, 5)
    assert [(e.actor_id, e.action) for e in entries] == [(chat, "plugin.disable")]
    assert not api.called("getChatMember")  # only admins can post as the group

    # Files meant for one member never land in the group: an anonymous admin has no private
    # chat with the bot.
    api.send(group, GROUP_ANONYMOUS_BOT, "/privacy_export", sender_chat=group)
    await api.until(lambda: len(api.in_chat(GROUP_ID)) == 3, quiet=0.3)
    assert "anonymous" in api.texts(GROUP_ID)[2] and not api.documents

    # A linked channel's post (sender_chat is the channel, not the group) is no administrator.
    api.send(group, CHANNEL_BOT, "/plugins_enable translate", sender_chat=CHANNEL)
    api.send(group, ALICE, "/ping")
    await api.until(lambda: len(api.in_chat(GROUP_ID)) == 4, quiet=0.5)
    assert "Pong" in api.texts(GROUP_ID)[3]
    assert not await world.app.services.settings.is_enabled(chat, TranslatePlugin)


async def test_other_commands_are_silent_in_groups_and_answered_in_private(
    start_world: StartWorld,
) -> None:
    world = await start_world(HelpPlugin())
    api = world.api
    group = supergroup(GROUP_ID)
    # another bot's command, with or without its name: not for us
    for line in ("/weather Istanbul", "/weather@OtherBot Istanbul", "/roll_dice"):
        api.send(group, ALICE, line)
    api.send(group, BOB, "/ping")
    await api.until(lambda: api.in_chat(GROUP_ID), quiet=0.5)
    assert len(api.in_chat(GROUP_ID)) == 1 and "Pong" in api.texts(GROUP_ID)[0]

    # addressed to us by name: the member meant us, so they hear that it doesn't exist
    api.send(group, ALICE, "/weather@SohbetBot Istanbul")
    await api.until(lambda: len(api.in_chat(GROUP_ID)) == 2, quiet=0.3)
    assert "weather" in api.texts(GROUP_ID)[1] and "/help" in api.texts(GROUP_ID)[1]

    # in a private chat every command is for us
    api.send(private_chat(ALICE), ALICE, "/weather Istanbul")
    await api.until(lambda: api.in_chat(ALICE["id"]), quiet=0.3)
    assert "weather" in api.texts(ALICE["id"])[0] and "/help" in api.texts(ALICE["id"])[0]


async def test_a_group_upgraded_to_a_supergroup_keeps_everything(start_world: StartWorld) -> None:
    """Telegram gives the supergroup a new chat id; settings, documents (rows and vectors),
    conversations and budgets move to it."""
    world = await start_world(AdminPlugin(), TranslatePlugin(), DocsPlugin(), model=ANSWER)
    api, store = world.api, world.app.store
    old_id, new_id = -4001234, GROUP_ID
    group, upgraded = basic_group(old_id, "Kettle club"), supergroup(new_id, "Kettle club")
    old, new = core_id("telegram", old_id), core_id("telegram", new_id)
    api.admins.update({(old_id, ALICE["id"]), (new_id, ALICE["id"])})

    api.send(group, ALICE, "/plugins_disable translate")
    api.send(group, ALICE, "/docs_add", document=("kettle-manual.pdf", kettle_pdf()))
    await api.until(lambda: "✅" in "".join(api.texts(old_id)), quiet=0.3, within=30)
    api.send(group, BOB, "/ask How long is the warranty?")
    await api.until(lambda: ANSWER in "".join(api.texts(old_id)), quiet=0.3)
    used = await store.usage.tokens_today(old)
    assert used > 0

    api.migrate(group, upgraded, by=ALICE)
    for _ in range(100):  # the move is announced in both chats; either one moves it all
        if await store.documents.list(new) and not await store.documents.list(old):
            break
        await asyncio.sleep(0.1)

    assert await store.usage.tokens_today(new) == used  # the budgets count what was used
    assert await store.usage.tokens_today(old) == 0
    api.send(upgraded, BOB, "/translate to=tr hello")
    await api.until(lambda: api.in_chat(new_id), quiet=0.3)
    assert "turned off" in api.texts(new_id)[0]
    world.app.router.cooldowns = type(world.app.router.cooldowns)()
    api.send(upgraded, BOB, "/ask How long is the warranty?")
    await api.until(lambda: len(api.in_chat(new_id)) >= 3, quiet=0.3)
    answer, sources = api.texts(new_id)[1:3]
    assert answer == ANSWER and "kettle-manual.pdf" in sources
    api.send(upgraded, BOB, "/docs_list")
    await api.until(lambda: len(api.in_chat(new_id)) == 4, quiet=0.3)
    assert "kettle-manual.pdf" in api.texts(new_id)[3]
