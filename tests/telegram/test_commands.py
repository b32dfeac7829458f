"""Commands from the registry on Telegram: menus, options, reply-to-message, admins."""

from __future__ import annotations

import asyncio

import pytest

from plugins.admin import AdminPlugin
from plugins.chat import ChatPlugin
from plugins.help import HelpPlugin
from plugins.sentiment import SentimentPlugin
from plugins.summarize import SummarizePlugin
from plugins.translate import TranslatePlugin
from tests.discord.plugins import ToolsPlugin
from tests.telegram.conftest import ALICE, BOB, GROUP_ID, StartWorld
from tests.telegram.fakeapi import private_chat, supergroup


async def test_commands_menus_by_scope(start_world: StartWorld) -> None:
    world = await start_world(AdminPlugin(), HelpPlugin(), TranslatePlugin())
    menus = {
        call["scope"]["type"]: [c["command"] for c in call["commands"]]
        for call in world.api.called("setMyCommands")
    }
    assert set(menus) == {"all_private_chats", "all_group_chats", "all_chat_administrators"}
    assert "translate" in menus["all_group_chats"] and "help" in menus["all_private_chats"]
    assert "plugins_disable" not in menus["all_group_chats"]  # admin commands: admins only
    assert "plugins_disable" in menus["all_chat_administrators"]
    assert "plugins_list" in menus["all_group_chats"]


async def test_command_with_options(start_world: StartWorld) -> None:
    tools = ToolsPlugin()
    world = await start_world(tools)
    api = world.api
    chat = private_chat(ALICE)
    api.send(chat, ALICE, "/calc_add a=2 b=3.5 loud=true")
    api.send(chat, ALICE, "/echo   two  spaces,\ta tab")
    await api.until(lambda: len(api.in_chat(ALICE["id"])) == 2, quiet=0.3)
    # Updates are handled concurrently, like Discord's events: the order may differ.
    assert sorted(tools.calls, key=lambda call: call[0]) == [
        ("calc add", {"a": 2, "b": 3.5, "loud": True}),
        ("echo", {"text": "two  spaces,\ta tab"}),
    ]
    assert sorted(api.texts()) == ["SUM 5.5!", "two  spaces,\ta tab"]

    api.send(chat, ALICE, "/calc_add b=2")
    await api.until(lambda: len(api.in_chat(ALICE["id"])) == 3, quiet=0.3)
    assert api.texts()[-1] == (
        "<code>a</code> is missing. Usage: /calc_add <code>a=… [b=…] [loud=…]</code>"
    )
    api.send(chat, ALICE, "/calc_add a=500")
    await api.until(lambda: len(api.in_chat(ALICE["id"])) == 4, quiet=0.3)
    assert "100" in api.texts()[-1]  # the Router's range check, as on Discord
    api.send(chat, ALICE, "/calc")
    await api.until(lambda: len(api.in_chat(ALICE["id"])) == 5, quiet=0.3)
    assert "needs a subcommand" in api.texts()[-1]
    api.send(chat, ALICE, "/nothing_like_this")
    await api.until(lambda: len(api.in_chat(ALICE["id"])) == 6, quiet=0.3)
    assert "/help" in api.texts()[-1]


async def test_reply_to_a_message_with_a_command(start_world: StartWorld) -> None:
    world = await start_world(TranslatePlugin(), SentimentPlugin(), SummarizePlugin())
    api = world.api
    group = supergroup(GROUP_ID)
    original = api.send(group, BOB, "I love this wonderful, happy day!")
    api.send(group, ALICE, "/sentiment", reply_to=original)
    await api.until(lambda: api.in_chat(GROUP_ID), quiet=0.3)
    assert "positive" in api.texts(GROUP_ID)[0].lower()

    # "Translate message" ran on the replied text (English already, into English)
    api.send(group, ALICE, "/translate@SohbetBot", reply_to=original)
    await api.until(lambda: len(api.in_chat(GROUP_ID)) == 2, quiet=0.3)
    assert "already in English" in api.texts(GROUP_ID)[1]

    # reply + command with options: the replied text fills the command's text option
    api.send(group, ALICE, "/translate to=de", reply_to=original)
    await api.until(lambda: len(api.in_chat(GROUP_ID)) == 3, quiet=0.3)
    assert "into German" in api.texts(GROUP_ID)[2]

    api.send(group, ALICE, "/summarize", reply_to=original)
    await api.until(lambda: len(api.in_chat(GROUP_ID)) == 4, quiet=0.3)
    assert "I love this wonderful, happy day!" in api.texts(GROUP_ID)[3]


async def test_admin_commands_need_a_chat_administrator(start_world: StartWorld) -> None:
    world = await start_world(AdminPlugin(), TranslatePlugin())
    api = world.api
    group = supergroup(GROUP_ID)
    api.admins.add((GROUP_ID, ALICE["id"]))
    api.send(group, BOB, "/plugins_disable translate")
    await api.until(lambda: api.in_chat(GROUP_ID), quiet=0.3)
    assert "needs chat administrator rights, which you don't have" in api.texts(GROUP_ID)[0]

    api.send(group, ALICE, "/plugins disable plugin=translate")
    await api.until(lambda: len(api.in_chat(GROUP_ID)) == 2, quiet=0.3)
    assert api.texts(GROUP_ID)[1] == "<code>translate</code> is now off."
    api.send(group, BOB, "/translate to=tr hello")
    await api.until(lambda: len(api.in_chat(GROUP_ID)) == 3, quiet=0.3)
    assert "plugin is turned off" in api.texts(GROUP_ID)[2]

    # the same admin in a private chat: admin commands only work in a group
    api.send(private_chat(ALICE), ALICE, "/plugins_enable translate")
    await api.until(lambda: api.in_chat(ALICE["id"]), quiet=0.3)
    assert "server" in api.texts(ALICE["id"])[0].lower()


async def test_long_answer_is_split_and_streamed_through_429s(start_world: StartWorld) -> None:
    world = await start_world(ChatPlugin(), group_edit_interval=0.2)
    api = world.api
    group = supergroup(GROUP_ID)
    code = "```python\n" + "\n".join(f"    value_{i} = {i}  # line" for i in range(400)) + "\n```"
    api.edit_429s = 2
    api.send(group, ALICE, f"{world.mention} {code}")
    await api.until(
        lambda: len(api.in_chat(GROUP_ID)) >= 3 and "▌" not in "".join(api.texts()),
        within=30,
        quiet=1.0,
    )
    texts = api.texts(GROUP_ID)
    assert all(len(t) <= 4096 for t in texts)
    assert all(t.count("<pre>") == t.count("</pre>") == 1 for t in texts)  # blocks closed
    assert sum(t.count("    value_") for t in texts) == 400
    assert any(len(s.versions) > 1 for s in api.in_chat(GROUP_ID))  # streamed by edits
    assert api.edit_429s == 0  # both 429s happened, and the answer still completed
    assert world.adapter.pacer.rate_limited >= 2


async def test_typing_lasts_as_long_as_a_slow_answer(
    start_world: StartWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.platforms.telegram import responder

    monkeypatch.setattr(responder, "TYPING_SECONDS", 0.1)
    tools = ToolsPlugin()

    async def short(seconds: float) -> None:
        await asyncio.sleep(seconds / 10)  # /ponder thinks for 0.5 s instead of 5

    tools.clock.sleep = short
    world = await start_world(tools)
    api = world.api
    api.send(private_chat(ALICE), ALICE, "/ponder")  # defers, then answers after a while
    await api.until(lambda: api.in_chat(ALICE["id"]), quiet=0.3)
    typing = len(api.called("sendChatAction"))
    assert typing >= 3  # renewed while it thought
    await asyncio.sleep(0.3)
    assert len(api.called("sendChatAction")) == typing  # and stopped by the answer
