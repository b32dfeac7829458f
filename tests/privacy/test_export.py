"""/privacy export (a private JSON file of everything stored) and memory off with a reply chain."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest

from bot.app import App
from bot.config import Config
from bot.core.events import Attachment, Author, Location, Message
from bot.core.router import Cooldowns
from plugins.ai import AIPlugin
from plugins.chat import ChatPlugin
from plugins.docs import DocsPlugin
from plugins.privacy import PrivacyPlugin
from tests.chat.helpers import PlatformResponder, Talk, echo_config

SERVER, OTHER = 100, 200
ME, ADMIN = 7, 8
NOTES = "\n\n".join(f"Section {i}. The lighthouse keeper logs the weather." * 4 for i in range(4))


@pytest.fixture
async def app(make_app: Any, config: Config) -> App:
    app: App = await make_app(
        AIPlugin(), ChatPlugin(), DocsPlugin(), PrivacyPlugin(), config=echo_config(config)
    )
    return app


def talk(app: App, user: int, server: int = SERVER) -> Talk:
    app.router.cooldowns = Cooldowns()
    return Talk(app, user, server, admin=user == ADMIN)


async def test_export_sends_everything_privately_as_json(app: App) -> None:
    await talk(app, ME).say("my plum tree blooms in April")
    await talk(app, ME, OTHER).say("elsewhere")
    data = ("Plum care. " + NOTES).encode()

    async def fetch() -> bytes:
        return data

    file = Attachment("plums.txt", "text/plain", len(data), fetch=fetch)
    assert "Added" in (await talk(app, ME).command("docs upload", file=file)).text
    await talk(app, ME).command("privacy memory", state="off")

    answer = await talk(app, ME).command("privacy export")

    reply = answer.replies[-1]
    assert reply.ephemeral and reply.text.startswith("Here is everything stored about you on")
    ((name, payload),) = reply.files
    assert name == f"sohbet-data-{ME}.json"
    exported = json.loads(payload)
    assert exported["member_id"] == str(ME) and exported["where"] == f"server {SERVER}"
    (conversation,) = exported["core"]["conversations"]  # this server's only
    assert [t["text"] for t in conversation["turns"]] == [
        "my plum tree blooms in April",
        "You said: my plum tree blooms in April",
    ]
    assert [u["calls"] for u in exported["core"]["token_usage_per_day"]] == [1]
    assert exported["core"]["memory_choices"] == {str(SERVER): "off"}
    (document,) = exported["plugins"]["docs"]["documents"]
    assert document["name"] == "plums.txt" and "Plum care." in document["chunks"][0]["text"]
    everywhere = await talk(app, ME).command("privacy export", everywhere=True)
    assert len(json.loads(everywhere.replies[-1].files[0][1])["core"]["conversations"]) == 2


@dataclass
class ChannelResponder(PlatformResponder):
    """A platform whose channel shows `history` (for the reply chain)."""

    history: list[Message] = field(default_factory=list)

    async def fetch_history(self, limit: int, since: datetime | None = None) -> list[Message]:
        return self.history[-limit:]


async def test_with_memory_off_the_reply_chain_is_the_history(app: App) -> None:
    await talk(app, ME).command("privacy memory", state="off")
    me = Author(ME, "me")
    bot = Author(0, "sohbet", is_bot=True)
    where = Location(SERVER, 1)
    first = Message(1, "my plum tree blooms in April", me, where)
    answer = Message(2, "Lovely!", bot, where, reply_to_id=1)
    unrelated = Message(3, "someone else", Author(9, "x"), where)
    follow = Message(4, "when does it fruit?", me, where, mentions_bot=True, reply_to_id=2)
    responder = ChannelResponder(history=[first, answer, unrelated])

    await app.router.handle_message(follow, responder)

    assert responder.text == "You said: my plum tree blooms in April | when does it fruit?"
    assert (await app.store.conversations.history(talk(app, ME).key()))[1] == []
