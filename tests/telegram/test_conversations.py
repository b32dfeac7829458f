"""Private chats, group mentions, reply chains and text as typed, through real aiogram."""

from __future__ import annotations

from plugins.chat import ChatPlugin
from plugins.help import HelpPlugin
from tests.telegram.conftest import ALICE, BOB, GROUP_ID, StartWorld
from tests.telegram.fakeapi import private_chat, supergroup


async def test_private_chat_is_answered_by_the_model(start_world: StartWorld) -> None:
    world = await start_world(ChatPlugin())
    api = world.api
    api.send(private_chat(ALICE), ALICE, "merhaba")
    sent = await api.until(lambda: api.in_chat(ALICE["id"]), quiet=0.3)
    assert sent[0].text == "You said: merhaba"
    assert sent[0].reply_to is not None
    assert api.called("sendChatAction")  # "typing…" while the model works
    request = api.called("sendMessage")[0]
    assert request["parse_mode"] == "HTML"
    assert request["link_preview_options"] == {"is_disabled": True}


async def test_group_answers_mentions_and_replies_only(start_world: StartWorld) -> None:
    world = await start_world(ChatPlugin())
    api = world.api
    group = supergroup(GROUP_ID)
    api.send(group, ALICE, "talking among ourselves")
    api.send(group, ALICE, f"{world.mention} first question")
    sent = await api.until(lambda: api.in_chat(GROUP_ID), quiet=0.3)
    assert [s.text for s in sent] == ["You said: first question"]

    # a reply to the bot continues the conversation, no mention needed
    api.send(group, ALICE, "and a follow-up", reply_to=api.bot_message(sent[0]))
    await api.until(lambda: len(api.in_chat(GROUP_ID)) == 2, quiet=0.3)
    assert api.texts(GROUP_ID)[1] == "You said: first question | and a follow-up"

    # bob has his own conversation in the same group
    api.send(group, BOB, f"hi {world.mention}")
    await api.until(lambda: len(api.in_chat(GROUP_ID)) == 3, quiet=0.3)
    assert api.texts(GROUP_ID)[2] == "You said: hi"


async def test_text_reaches_the_model_as_typed(start_world: StartWorld) -> None:
    world = await start_world(ChatPlugin())
    api = world.api
    code = "look:\n```python\ndef f(x):\n    if x:\n\treturn  x\n\n\n        pass\n```"
    api.send(private_chat(ALICE), ALICE, code)
    sent = await api.until(lambda: api.in_chat(ALICE["id"]), quiet=0.3)
    # the echo model repeats what reached it; rendered as HTML, indentation intact
    assert sent[0].text == (
        'You said: look:\n<pre><code class="language-python">def f(x):\n    if x:\n'
        "\treturn  x\n\n\n        pass</code></pre>"
    )


async def test_forum_topics_are_threads(start_world: StartWorld) -> None:
    world = await start_world(ChatPlugin())
    api = world.api
    forum = supergroup(GROUP_ID, forum=True)
    api.send(forum, ALICE, f"{world.mention} in topic one", thread_id=7)
    api.send(forum, ALICE, f"{world.mention} in topic two", thread_id=9)
    await api.until(lambda: len(api.in_chat(GROUP_ID)) == 2, quiet=0.3)
    sent = api.in_chat(GROUP_ID)
    by_thread = {s.thread_id: s.text for s in sent}
    assert by_thread == {7: "You said: in topic one", 9: "You said: in topic two"}


async def test_commands_for_other_bots_are_ignored(start_world: StartWorld) -> None:
    world = await start_world(ChatPlugin(), HelpPlugin())
    api = world.api
    group = supergroup(GROUP_ID)
    api.send(group, ALICE, "/help@SomeOtherBot")
    api.send(group, ALICE, "/help@SohbetBot")
    sent = await api.until(lambda: api.in_chat(GROUP_ID), quiet=0.3)
    assert len(sent) == 1


async def test_markup_telegram_rejects_is_sent_as_plain_text(start_world: StartWorld) -> None:
    world = await start_world(ChatPlugin())
    api = world.api
    api.send(private_chat(ALICE), ALICE, "**bold _italic** text_ <b>not a tag</b> & more")
    sent = await api.until(lambda: api.in_chat(ALICE["id"]), quiet=0.3)
    assert sent[0].text == (
        "You said: **bold _italic** text_ &lt;b&gt;not a tag&lt;/b&gt; &amp; more"
    )


async def test_reply_chains_are_their_own_conversations(start_world: StartWorld) -> None:
    world = await start_world(ChatPlugin(), conversation_mode="reply")
    api = world.api
    group = supergroup(GROUP_ID)
    api.send(group, ALICE, f"{world.mention} topic A")
    api.send(group, ALICE, f"{world.mention} topic B")
    await api.until(lambda: len(api.in_chat(GROUP_ID)) == 2, quiet=0.3)
    answer_a = next(s for s in api.in_chat(GROUP_ID) if s.text.endswith("topic A"))
    # bob continues alice's chain A by replying to the bot: chains are shared, not per user
    api.send(group, BOB, "more about A", reply_to=api.bot_message(answer_a))
    await api.until(lambda: len(api.in_chat(GROUP_ID)) == 3, quiet=0.3)
    assert api.texts(GROUP_ID)[2] == "You said: Alice: topic A | Bob: more about A"
    assert "topic B" not in api.texts(GROUP_ID)[2]

    # in private chats (where message ids repeat from chat to chat) chains stay in their chat
    api.send(private_chat(BOB), BOB, "private start")
    await api.until(lambda: api.in_chat(BOB["id"]), quiet=0.3)
    reply = api.in_chat(BOB["id"])[0]
    api.send(private_chat(BOB), BOB, "private follow-up", reply_to=api.bot_message(reply))
    await api.until(lambda: len(api.in_chat(BOB["id"])) == 2, quiet=0.3)
    follow_up = api.texts(BOB["id"])[1]
    assert "private start | " in follow_up and follow_up.endswith("private follow-up")


async def test_a_group_can_share_one_conversation(start_world: StartWorld) -> None:
    world = await start_world(ChatPlugin(), conversation_mode="channel")
    api = world.api
    group = supergroup(GROUP_ID)
    api.send(group, ALICE, f"{world.mention} the meeting is at noon")
    await api.until(lambda: api.in_chat(GROUP_ID), quiet=0.3)
    api.send(group, BOB, f"{world.mention} when is it?")
    await api.until(lambda: len(api.in_chat(GROUP_ID)) == 2, quiet=0.3)
    assert api.texts(GROUP_ID)[1] == "You said: Alice: the meeting is at noon | Bob: when is it?"
