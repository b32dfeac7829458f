"""What members read on Telegram: command references in Telegram's tappable form, and text
members typed shown as typed (real aiogram, the loopback Bot API, the real plugins)."""

from __future__ import annotations

from bot.core.identity import core_id
from plugins.admin import AdminPlugin
from plugins.chat import ChatPlugin
from plugins.docs import DocsPlugin
from plugins.help import HelpPlugin
from plugins.summarize import SummarizePlugin
from plugins.translate import TranslatePlugin
from tests.discord.plugins import ToolsPlugin
from tests.telegram.conftest import ALICE, BOB, GROUP_ID, StartWorld
from tests.telegram.fakeapi import check_html, private_chat, supergroup


def visible(html_text: str) -> str:
    return check_html(html_text)[0]


async def test_refusals_name_commands_as_telegram_members_type_them(
    start_world: StartWorld,
) -> None:
    world = await start_world(HelpPlugin(), TranslatePlugin(), ToolsPlugin())
    api = world.api
    group = supergroup(GROUP_ID)
    await world.app.services.settings.set_enabled(
        TranslatePlugin, False, server_id=core_id("telegram", GROUP_ID), actor_id=1
    )
    api.send(group, BOB, "/translate to=tr hello")
    await api.until(lambda: api.in_chat(GROUP_ID), quiet=0.3)
    refusal = api.texts(GROUP_ID)[0]
    assert "/plugins_enable <code>plugin=translate</code>" in refusal, refusal
    assert "plugin:" not in refusal and "/plugins enable" not in refusal

    api.send(group, BOB, "/calc")  # a group of subcommands
    await api.until(lambda: len(api.in_chat(GROUP_ID)) == 2, quiet=0.3)
    assert "needs a subcommand: /calc_add" in visible(api.texts(GROUP_ID)[1])

    api.send(private_chat(ALICE), ALICE, "/nothing_like_this")
    await api.until(lambda: api.in_chat(ALICE["id"]), quiet=0.3)
    # /help as plain text, which Telegram makes tappable (not inside <code>)
    assert "Try /help to see" in api.texts(ALICE["id"])[0]


async def test_formatting_members_typed_is_shown_as_typed(start_world: StartWorld) -> None:
    world = await start_world(ChatPlugin())
    api = world.api
    bob = core_id("telegram", BOB["id"])
    typed = f"say **stars** to <@{bob}> and [click](https://evil.example) ||now||"
    api.send(private_chat(ALICE), ALICE, typed)
    await api.until(lambda: api.in_chat(ALICE["id"]) and "▌" not in api.texts()[-1], quiet=0.5)
    answer = api.texts(ALICE["id"])[-1]
    assert visible(answer) == f"You said: {typed}", answer
    assert "<b>" not in answer and "tg://user" not in answer and "<a " not in answer
    assert "tg-spoiler" not in answer


async def test_the_models_own_formatting_renders_but_mentions_no_one(
    start_world: StartWorld,
) -> None:
    bob = core_id("telegram", BOB["id"])
    world = await start_world(ChatPlugin(), model=f"**Note:** ask <@{bob}>, _kindly_.")
    api = world.api
    api.send(private_chat(ALICE), ALICE, "who knows?")
    await api.until(lambda: api.in_chat(ALICE["id"]) and "▌" not in api.texts()[-1], quiet=0.5)
    answer = api.texts(ALICE["id"])[-1]
    assert answer == f"<b>Note:</b> ask &lt;@{bob}&gt;, <i>kindly</i>.", answer


async def test_help_lists_commands_as_telegram_members_tap_them(start_world: StartWorld) -> None:
    world = await start_world(HelpPlugin(), TranslatePlugin(), DocsPlugin())
    api = world.api
    chat = private_chat(ALICE)
    api.send(chat, ALICE, "/help")
    await api.until(lambda: api.in_chat(ALICE["id"]), quiet=0.3)
    listing = api.texts(ALICE["id"])[0]
    assert "/docs_list" in listing and "/translate" in listing, listing
    assert "<code>/" not in listing  # plain text: Telegram makes each one tappable
    assert "/docs list" not in visible(listing)

    api.send(chat, ALICE, "/help docs_upload")  # the name as Telegram writes it
    await api.until(lambda: len(api.in_chat(ALICE["id"])) == 2, quiet=0.3)
    detail = api.texts(ALICE["id"])[1]
    assert detail.startswith("/docs_upload"), detail
    api.send(chat, ALICE, "/help translate")
    await api.until(lambda: len(api.in_chat(ALICE["id"])) == 3, quiet=0.3)
    assert api.texts(ALICE["id"])[2].startswith("/translate <code>text=…</code>")


async def test_plugins_quote_what_members_wrote_as_they_wrote_it(start_world: StartWorld) -> None:
    world = await start_world(SummarizePlugin())
    api = world.api
    bob = core_id("telegram", BOB["id"])
    typed = f"The **big** news is out. Ask <@{bob}> about it. It is _huge_ and ||secret||."
    api.send(private_chat(ALICE), ALICE, f"/summarize_text {typed}")
    await api.until(lambda: api.in_chat(ALICE["id"]), quiet=0.3)
    shown = api.texts(ALICE["id"])[0]
    assert typed in visible(shown), shown
    assert "<b>big</b>" not in shown and "tg://user" not in shown and "<i>huge</i>" not in shown
    assert shown.startswith("<b>Summary of")  # the plugin's own formatting still renders


async def test_an_admin_refusal_names_the_command_as_typed_on_telegram(
    start_world: StartWorld,
) -> None:
    world = await start_world(AdminPlugin())
    api = world.api
    api.send(supergroup(GROUP_ID), BOB, "/plugins_disable plugin=chat")
    await api.until(lambda: api.in_chat(GROUP_ID), quiet=0.3)
    assert api.texts(GROUP_ID)[0].startswith(
        "/plugins_disable needs chat administrator rights, which you don't have."
    ), api.texts(GROUP_ID)[0]
