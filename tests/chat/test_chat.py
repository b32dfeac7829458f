"""The chat plugin through the real Router and SQLite: memory, /reset, isolation, reply ids."""

from __future__ import annotations

import io
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import App
from bot.config import Config
from bot.core.events import ConversationKey
from bot.core.router import Cooldowns
from bot.platforms.console import CONSOLE_SERVER_ID, ConsoleAdapter
from bot.store.models import ConversationMessage
from plugins.ai import AIPlugin
from plugins.chat import LINK_ROLE, ChatPlugin
from tests.chat.helpers import PlatformResponder, Talk, echo_config

A, B = 100, 200  # two servers


@pytest.fixture
async def app(make_app: Any, config: Config) -> App:
    built: App = await make_app(AIPlugin(), ChatPlugin(), config=echo_config(config))
    return built


async def set_chat(app: App, key: str, value: Any, server_id: int = A) -> None:
    await app.services.settings.set(ChatPlugin, key, value, server_id=server_id, actor_id=1)


async def rows(app: App) -> list[ConversationMessage]:
    async with app.store.session() as s:
        return list(await s.scalars(select(ConversationMessage).order_by(ConversationMessage.id)))


async def test_the_model_gets_earlier_turns_and_reset_forgets(app: App) -> None:
    alice = Talk(app, 1)
    assert (await alice.say("my name is Ada")).text == "You said: my name is Ada"
    answer = await alice.say("what is my name?")
    assert answer.text == "You said: my name is Ada | what is my name?"

    reset = await alice.command("reset")
    assert reset.replies[-1].ephemeral and "forgotten" in reset.text
    assert (await alice.say("hello again")).text == "You said: hello again"
    assert "nothing to forget" in (await Talk(app, 2).command("reset")).text


async def test_an_empty_chat_command_is_explained_not_sent(app: App) -> None:
    alice = Talk(app, 1)
    out = await alice.command("chat", message="   ")
    assert out.replies[-1].ephemeral and "Your message is empty" in out.text
    assert await rows(app) == []  # nothing reached the model or the memory
    app.router.cooldowns = Cooldowns()  # /chat: one use a second
    assert (await alice.command("chat", message="hi")).text == "You said: hi"


async def test_members_servers_and_channels_do_not_mix(app: App) -> None:
    alice_a, bob_a = Talk(app, 1, A), Talk(app, 2, A)
    alice_b, alice_dm = Talk(app, 1, B), Talk(app, 1, 0, channel_id=99)
    alice_other_channel = Talk(app, 1, A, channel_id=11)
    await alice_a.say("alice on A")
    await bob_a.say("bob on A")
    await alice_b.say("alice on B")
    await alice_dm.say("alice in a DM")
    assert (await alice_a.say("again")).text == "You said: alice on A | again"
    assert (await bob_a.say("again")).text == "You said: bob on A | again"
    assert (await alice_b.say("again")).text == "You said: alice on B | again"
    assert (await alice_dm.say("again")).text == "You said: alice in a DM | again"
    assert (await alice_other_channel.say("new here")).text == "You said: new here"

    # /reset clears only the caller's conversation here.
    await alice_a.command("reset")
    assert (await bob_a.say("still there?")).text.startswith("You said: bob on A")
    assert (await alice_b.say("and here?")).text.startswith("You said: alice on B")


async def test_collaborative_mode_shares_a_channel_but_not_a_server(app: App) -> None:
    await set_chat(app, "conversation_mode", "channel", A)
    await set_chat(app, "conversation_mode", "channel", B)
    await Talk(app, 1, A).say("one")
    answer = await Talk(app, 2, A).say("two")
    assert answer.text == "You said: user1: one | user2: two"  # names tell speakers apart
    assert (await Talk(app, 2, B).say("three")).text == "You said: user2: three"
    assert (await Talk(app, 3, A, channel_id=11).say("four")).text == "You said: user3: four"


async def test_history_turns_bounds_what_is_read_back(app: App) -> None:
    await set_chat(app, "history_turns", 2)
    alice = Talk(app, 1)
    for word in ("one", "two", "three"):
        await alice.say(word)
    # The last 2 turns are the previous question and its answer.
    assert (await alice.say("four")).text == "You said: three | four"
    await set_chat(app, "history_turns", 0)
    assert (await alice.say("five")).text == "You said: five"


async def test_every_message_of_an_answer_leads_back_to_its_conversation(app: App) -> None:
    """An answer split into several platform messages: a reply to any of them continues."""
    await set_chat(app, "conversation_mode", "reply")
    alice, bob = Talk(app, 1), Talk(app, 2)
    long_text = "word " * 500  # 2500 characters: the echo answer needs two messages
    first = await alice.say(long_text.strip())
    assert len(first.sent_message_ids) == 2
    store = app.store.conversations
    keys = {await store.find_by_platform_message(A, i) for i in first.sent_message_ids}
    assert len(keys) == 1
    (key,) = keys
    assert key is not None and key.scope.startswith("reply:")

    # A reply to the second part (the adapter resolved it to the stored conversation).
    follow = await bob.say("and then?", conversation=key)
    assert follow.text.startswith("You said: user1: word word")
    assert follow.text.endswith(" | user2: and then?")
    # Split-off ids are kept apart from the turns: never an empty turn for the model.
    assert " |  | " not in follow.text and follow.text.count(" | ") == 1
    stored = [(r.role, r.platform_message_id) for r in await rows(app)]
    assert stored[1:3] == [
        ("assistant", first.sent_message_ids[0]),
        (LINK_ROLE, first.sent_message_ids[1]),
    ]


async def test_the_user_message_id_is_stored(app: App) -> None:
    alice = Talk(app, 1)
    responder = await alice.say("hi")
    [user_row, bot_row] = await rows(app)
    assert user_row.platform_message_id is not None
    assert bot_row.platform_message_id == responder.sent_message_ids[0]
    assert (
        await app.store.conversations.find_by_platform_message(A, user_row.platform_message_id)
        == alice.key()
    )


async def test_console_exposes_the_ids_of_what_it_printed(app: App) -> None:
    out = io.StringIO()
    console = ConsoleAdapter(app.router, out=out, user_name="tester")
    await console.run(io.StringIO("hello\nhow are you\n/quit\n"))
    assert out.getvalue().splitlines() == [
        "sohbet> You said: hello",
        "sohbet> You said: hello | how are you",
    ]
    printed = [m for m in console.history if m.author.is_bot]
    key = ConversationKey(CONSOLE_SERVER_ID, "user:1:chan:1")
    for message in printed:  # each printed answer leads back to the conversation
        assert (
            await app.store.conversations.find_by_platform_message(CONSOLE_SERVER_ID, message.id)
            == key
        )
    # Ids keep growing in a new session: a restarted console never reuses them.
    second = ConsoleAdapter(app.router, out=io.StringIO(), user_name="tester")
    await second.handle_line("again")
    ids = [m.id for m in console.history] + [m.id for m in second.history]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


async def test_ids_come_from_the_responder(app: App) -> None:
    """The router's context hands the plugin what the responder sent, not extras."""
    responder = PlatformResponder(limit=5)
    from bot.core.events import Author, Location, Message

    message = Message(1, "abcdefgh", Author(1, "a"), Location(A, 10), mentions_bot=True)
    await app.router.handle_message(message, responder)
    assert responder.text == "You said: abcdefgh"
    assert len(responder.sent_message_ids) == 4
    found = [
        await app.store.conversations.find_by_platform_message(A, i)
        for i in responder.sent_message_ids
    ]
    assert set(found) == {ConversationKey(A, "user:1:chan:10")}


async def test_a_responder_that_tracks_no_ids_still_works(app: App) -> None:
    """Responders written before `sent_message_ids` existed: the answer is stored without ids."""
    from bot.core.events import Author, Location, Message
    from tests.core.helpers import RecordingResponder

    responder = RecordingResponder()
    message = Message(5, "hi", Author(1, "a"), Location(A, 10), mentions_bot=True)
    await app.router.handle_message(message, responder)
    assert responder.texts == ["You said: hi"]
    assert [(r.role, r.platform_message_id) for r in await rows(app)] == [
        ("user", 5),
        ("assistant", None),
    ]


async def test_only_admins_reset_a_shared_conversation(app: App) -> None:
    await set_chat(app, "conversation_mode", "channel")
    alice, bob = Talk(app, 1, A), Talk(app, 2, A)
    await alice.say("the plan is to meet at noon")
    refused = await bob.command("reset")
    assert "only admins (Manage Server) can reset it" in refused.text
    assert "meet at noon" in (await bob.say("what was the plan?")).text  # nothing forgotten
    mod = Talk(app, 3, A, admin=True)
    assert "forgotten" in (await mod.command("reset")).text
    assert (await bob.say("and now?")).text == "You said: user2: and now?"


async def test_the_system_prompt_names_the_language_to_answer_in(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    import plugins.chat as chat_module

    personas: list[str] = []
    real = chat_module.condense_history

    async def recording(runner: Any, cfg: Any, persona: str, *args: Any, **kwargs: Any) -> Any:
        personas.append(persona)
        return await real(runner, cfg, persona, *args, **kwargs)

    monkeypatch.setattr(chat_module, "condense_history", recording)
    alice = Talk(app, 1)
    await alice.say("Merhaba! Bana kısaca Discord nedir anlatır mısın?")
    assert personas[-1].endswith("Reply in Turkish.")
    await alice.say("Hello there, could you tell me briefly what Discord is?")
    assert personas[-1].endswith("Reply in English.")
    await alice.say("ok")  # too short to tell: no guess
    assert "Reply in" not in personas[-1]

    await set_chat(app, "reply_language", "Türkçe")  # a server that wants Turkish answers
    await alice.say("Hello there, could you tell me briefly what Discord is?")
    assert personas[-1].endswith("Reply in Turkish.")
    with pytest.raises(Exception, match="klingon"):
        await set_chat(app, "reply_language", "klingon")
