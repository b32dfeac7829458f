"""Telegram in Turkish: the command menus per `language_code`, and a member whose app is in
Turkish answered in Turkish (the real aiogram adapter against a loopback Bot API server)."""

from __future__ import annotations

from typing import Any

from plugins.admin import AdminPlugin
from plugins.ai import AIPlugin
from plugins.help import HelpPlugin
from plugins.privacy import PrivacyPlugin
from tests.telegram.conftest import GROUP_ID, StartWorld
from tests.telegram.fakeapi import private_chat, supergroup

AYSE: dict[str, Any] = {
    "id": 444_555,
    "is_bot": False,
    "first_name": "Ayşe",
    "language_code": "tr",
}
JOHN: dict[str, Any] = {"id": 666_777, "is_bot": False, "first_name": "John", "language_code": "en"}


async def test_menus_per_language(start_world: StartWorld) -> None:
    world = await start_world(HelpPlugin(), AdminPlugin(), PrivacyPlugin())
    menus: dict[tuple[str | None, str], dict[str, str]] = {
        (call.get("language_code"), call["scope"]["type"]): {
            c["command"]: c["description"] for c in call["commands"]
        }
        for call in world.api.called("setMyCommands")
    }
    english = menus[(None, "all_private_chats")]
    turkish = menus[("tr", "all_private_chats")]
    assert english["help"] == "Show what I can do, or details of one command"
    assert turkish["help"] == "Neler yapabildiğimi ya da bir komutun ayrıntılarını gösterin"
    assert turkish["privacy_info"] == "Hakkınızda ne ve ne kadar saklandığı"
    assert set(turkish) == set(english)  # the same commands, Latin names (Telegram's rule)
    admins = menus[("tr", "all_chat_administrators")]
    assert admins["plugins_enable"] == "Bir eklentiyi bu sunucuda açın"


async def test_a_member_with_a_turkish_app_is_answered_in_turkish(start_world: StartWorld) -> None:
    world = await start_world(HelpPlugin(), AdminPlugin(), PrivacyPlugin(), AIPlugin())
    api = world.api
    chat = private_chat(AYSE)
    lines = ["/help", "/nothing_like_this", "/privacy_info", "/ai_status", "/plugins_enable help"]
    for count, line in enumerate(lines, start=1):
        api.send(chat, AYSE, line)
        await api.until(lambda n=count: len(api.in_chat(AYSE["id"])) == n, quiet=0.3)
    help_text, unknown, info, status, refused = api.texts(AYSE["id"])
    assert "<b>Neler yapabilirim</b>" in help_text
    assert "diye bir komut bilmiyorum" in unknown
    assert "Direkt Mesajlarımızda hakkınızda saklananlar" in info
    assert "Bugünkü token kullanımınız" in status
    assert "Yönetici komutları yalnızca bir sunucu içinde çalışır." in refused

    # An English app in the same group is answered in English.
    group = supergroup(GROUP_ID)
    api.send(group, JOHN, "/help")
    await api.until(lambda: len(api.in_chat(GROUP_ID)) == 1, quiet=0.3)
    assert "<b>What I can do</b>" in api.texts(GROUP_ID)[-1]
