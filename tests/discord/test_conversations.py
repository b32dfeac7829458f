"""Which messages reach the bot, and which conversation each belongs to."""

from __future__ import annotations

import discord

from bot.core.events import ConversationKey, ConversationMode, Location
from bot.platforms.discord.conversations import conversation_key
from tests.discord.conftest import StartWorld, World


def _answer(world: World, channel=None) -> str:
    message = (channel or world.general).last_message
    assert message is not None and message.author.id == world.client.user.id
    return message.content


async def test_mentions_are_per_user_and_plain_messages_ignored(start_world: StartWorld):
    world = await start_world()
    channel = world.general.id
    await world.alice.send(world.general, "nobody asked the bot")
    assert world.chat.seen == [] and world.requests("POST", "/messages") == []

    await world.alice.send(world.general, f"{world.mention} hello")
    assert _answer(world) == f"[user:{world.alice.id}:chan:{channel}] hello"
    await world.bob.send(world.general, f"{world.mention} hi too")
    assert _answer(world) == f"[user:{world.bob.id}:chan:{channel}] hi too"
    scopes = {scope for scope, _, _ in world.chat.seen}
    assert len(scopes) == 2  # alice and bob never share a context


async def test_reply_to_the_bot_continues_without_a_mention(start_world: StartWorld):
    world = await start_world()
    await world.alice.send(world.general, f"{world.mention} first")
    answer = world.general.last_message
    await world.alice.send(world.general, "second, no mention", reply_to=answer)
    assert world.chat.seen[-1][0] == f"user:{world.alice.id}:chan:{world.general.id}"
    assert _answer(world).endswith("second, no mention")

    # Bob replying to the bot's answer to alice does not join alice's private context.
    await world.bob.send(world.general, "me too", reply_to=answer)
    assert world.chat.seen[-1][0] == f"user:{world.bob.id}:chan:{world.general.id}"


async def test_direct_messages(start_world: StartWorld):
    world = await start_world()
    await world.alice.send_dm("hello in private")
    dm = world.alice.user.dm_channel
    assert dm.last_message.content == f"[user:{world.alice.id}:chan:{dm.id}] hello in private"
    scope, _, content = world.chat.seen[-1]
    assert content == "hello in private"
    # DMs live under server 0, apart from every guild conversation.
    await world.alice.send(world.general, f"{world.mention} hello in public")
    assert world.chat.seen[-1][0] != scope


async def test_collaborative_mode_shares_the_channel(start_world: StartWorld):
    world = await start_world(conversation_mode="channel")
    await world.alice.send(world.general, f"{world.mention} one")
    await world.bob.send(world.general, f"{world.mention} two")
    assert [s for s, _, _ in world.chat.seen] == [f"channel:{world.general.id}"] * 2


async def test_chat_plugin_setting_overrides_the_mode(start_world: StartWorld):
    world = await start_world()
    await world.app.services.settings.set(
        type(world.chat),
        "conversation_mode",
        "channel",
        server_id=world.guild.id,
        actor_id=world.admin.id,
    )
    await world.alice.send(world.general, f"{world.mention} one")
    assert world.chat.seen[-1][0] == f"channel:{world.general.id}"


async def test_reply_chains_are_their_own_conversations(start_world: StartWorld):
    world = await start_world(conversation_mode="reply")
    first = await world.alice.send(world.general, f"{world.mention} topic A")
    answer_a = world.general.last_message
    await world.alice.send(world.general, f"{world.mention} topic B")
    answer_b = world.general.last_message
    await world.bob.send(world.general, "more on A", reply_to=answer_a)
    await world.alice.send(world.general, "more on B", reply_to=answer_b)
    scopes = [s for s, _, _ in world.chat.seen]
    assert scopes[0] == f"reply:{first.id}"
    assert scopes[2] == scopes[0] and scopes[3] == scopes[1] and scopes[0] != scopes[1]


async def test_reply_chain_key_survives_a_restart(start_world: StartWorld):
    world = await start_world(conversation_mode="reply")
    first = await world.alice.send(world.general, f"{world.mention} remember me")
    answer = world.general.last_message
    await world.restart()
    await world.bob.send(world.general, "after the restart", reply_to=answer)
    assert [s for s, _, _ in world.chat.seen] == [f"reply:{first.id}"] * 2


async def test_stored_conversation_of_a_bot_message_wins(start_world: StartWorld):
    world = await start_world()  # per user: the chat plugin stores its answer under alice's key
    await world.alice.send(world.general, f"{world.mention} remember me")
    answer = world.general.last_message
    stored = await world.app.store.conversations.find_by_platform_message(world.guild.id, answer.id)
    assert stored == ConversationKey(
        world.guild.id, f"user:{world.alice.id}:chan:{world.general.id}"
    )

    await world.restart(conversation_mode="reply")  # another mode, a fresh process
    await world.alice.send(world.general, "continuing", reply_to=answer)
    assert world.chat.seen[-1][0] == stored.scope  # not a new reply chain
    await world.bob.send(world.general, "may I?", reply_to=answer)
    assert world.chat.seen[-1][0].startswith("reply:")  # never alice's private context


async def test_threads_opened_by_the_bot(start_world: StartWorld):
    world = await start_world(auto_thread=True, message_content_intent=True)
    await world.alice.send(world.general, f"{world.mention} let's talk in a thread")
    [thread] = world.general.threads
    assert _answer(world, thread).endswith("let's talk in a thread")
    assert world.chat.seen[-1][0] == f"user:{world.alice.id}:chan:{thread.id}"

    await world.alice.send(thread, "no mention needed here")
    assert world.chat.seen[-1] == (
        f"user:{world.alice.id}:chan:{thread.id}",
        "alice",
        "no mention needed here",
    )
    await world.bob.send(thread, "and me")
    assert world.chat.seen[-1][0] == f"user:{world.bob.id}:chan:{thread.id}"

    # After a restart the thread still belongs to the bot (its owner id).
    await world.restart(conversation_mode="channel")
    await world.bob.send(thread, "still here")
    assert world.chat.seen[-1][0] == f"thread:{thread.id}"


async def test_bot_threads_without_the_content_intent(start_world: StartWorld):
    world = await start_world(auto_thread=True)
    await world.alice.send(world.general, f"{world.mention} thread please")
    [thread] = world.general.threads
    seen = len(world.chat.seen)
    await world.alice.send(thread, "unreadable without the intent")
    assert len(world.chat.seen) == seen  # arrived empty: not answered with nonsense
    await world.alice.send(thread, f"{world.mention} but mentions work")
    assert world.chat.seen[-1] == (
        f"user:{world.alice.id}:chan:{thread.id}",
        "alice",
        "but mentions work",
    )


def test_key_shapes():
    guild = Location(5, 10)
    thread = Location(5, 10, thread_id=11)
    dm = Location(0, 12, is_dm=True)
    assert conversation_key(ConversationMode.PER_USER, guild, 1).scope == "user:1:chan:10"
    assert conversation_key(ConversationMode.PER_USER, thread, 1).scope == "user:1:chan:11"
    assert conversation_key(ConversationMode.COLLABORATIVE, guild, 1).scope == "channel:10"
    assert conversation_key(ConversationMode.COLLABORATIVE, thread, 1).scope == "thread:11"
    assert conversation_key(ConversationMode.COLLABORATIVE, dm, 1).scope == "user:1:chan:12"
    assert conversation_key(ConversationMode.REPLY_CHAIN, guild, 1, root_id=99).scope == "reply:99"
    assert conversation_key(ConversationMode.REPLY_CHAIN, thread, 1).scope == "thread:11"
    assert conversation_key(ConversationMode.PER_USER, dm, 1).server_id == 0


async def test_works_without_the_privileged_content_intent(start_world: StartWorld):
    approved = discord.Intents.all()
    approved.message_content = False  # not enabled in the Developer Portal
    world = await start_world(approved_intents=approved)
    assert not world.client.intents.message_content and not world.client.intents.members
    await world.alice.send(world.general, f"{world.mention} can you read me?")
    assert world.chat.seen[-1][2] == "can you read me?"  # mentions carry their text
    answer = world.general.last_message
    await world.alice.send(world.general, "and a reply", reply_to=answer)
    assert world.chat.seen[-1][2] == "and a reply"
    result = await world.alice.slash(world.general, "echo", text="slash works too")
    assert result.response.content == "slash works too"


async def test_run_without_a_token_explains(config, capsys):
    from bot.platforms.discord import run_bot

    assert await run_bot(config) == 2
    assert "DISCORD_TOKEN" in capsys.readouterr().err


async def test_rate_limited_thread_creation_answers_in_the_channel(
    start_world: StartWorld, monkeypatch
):
    world = await start_world(auto_thread=True)

    async def refused(self, **kwargs):
        raise discord.RateLimited(120.0)

    monkeypatch.setattr(discord.Message, "create_thread", refused)
    await world.alice.send(world.general, f"{world.mention} thread please")
    assert world.general.threads == []
    assert _answer(world).endswith("thread please")
