"""Rendering, streaming, rate limits, deferral, errors, attachments and permissions."""

from __future__ import annotations

import discord

from tests.discord.conftest import StartWorld, World
from tests.discord.plugins import LONG_CODE, LONG_TEXT


def _bot_messages(world: World, channel=None) -> list[discord.Message]:
    history = (channel or world.general).history()
    return [m for m in history if m.author.id == world.client.user.id]


def _assert_renderable(chunks: list[str]) -> None:
    for chunk in chunks:
        assert 0 < len(chunk) <= 2000
        assert chunk.count("```") % 2 == 0, "every message closes its code blocks"


async def test_long_interaction_answer_is_split_without_breaking_code(start_world: StartWorld):
    world = await start_world()
    result = await world.alice.slash(world.general, "essay")
    chunks = [result.response.content] + [f.content for f in result.followups]
    assert len(chunks) >= 3
    _assert_renderable(chunks)
    reopened = [c for c in chunks[1:] if c.startswith("```python\n")]
    assert reopened, "a split code block reopens with its language"
    text = "\n".join(chunks)
    for line in LONG_CODE.splitlines():
        assert line in text  # no code line was cut in two
    original = set(LONG_TEXT.split())
    for chunk in chunks:  # no word was cut in two; only fences were added
        assert {w for w in chunk.split() if w not in original} <= {"```", "```python"}


async def test_long_message_answer_is_split_in_the_channel(start_world: StartWorld):
    world = await start_world()
    await world.alice.send(world.general, f"{world.mention} essay")
    answers = _bot_messages(world)
    assert len(answers) >= 3
    _assert_renderable([m.content for m in answers])
    assert answers[0].reference is not None  # the first one replies to the question
    assert all(m.reference is None for m in answers[1:])


async def test_model_output_never_pings(start_world: StartWorld):
    world = await start_world()
    role = world.guild.create_role("Everyone-ish", mentionable=True)
    dangerous = f"@everyone @here {world.bob.mention} <@&{role.id}>"
    result = await world.alice.slash(world.general, "ping-all", text=dangerous)
    assert result.response.content == dangerous
    assert result.response.message.mention_everyone is False
    await world.alice.send(world.general, f"{world.mention} {dangerous}")
    assert world.general.last_message.mention_everyone is False
    sends = world.requests("POST", "/messages") + world.requests("POST", "/callback")
    for request in sends:
        body = request.json.get("data", request.json)
        assert body["allowed_mentions"]["parse"] == []
        assert body["allowed_mentions"].get("replied_user", False) is False


async def test_streaming_edits_at_most_once_per_second(start_world: StartWorld):
    world = await start_world(settle_timeout=1.0)
    await world.alice.send(world.general, f"{world.mention} stream 24")  # a word every 0.25 s
    await world.env.advance_time(10)
    [answer] = _bot_messages(world)
    expected = " ".join(f"w{i}" for i in range(24))
    assert answer.content.strip() == expected and world.chat.streamed.strip() == expected
    edits = world.requests("PATCH", f"/messages/{answer.id}")
    # Six seconds of words: about one edit per second (never one per word).
    assert 5 <= len(edits) <= 7
    assert edits[0].json["content"].endswith("▌")  # still writing
    assert "▌" not in edits[-1].json["content"]


async def test_rate_limit_while_streaming_loses_nothing(start_world: StartWorld):
    world = await start_world(settle_timeout=1.0)
    world.env.inject_error(
        "PATCH",
        "/channels/*/messages/*",
        status=429,
        code=0,
        message="You are being rate limited.",
        times=2,
    )
    await world.alice.send(world.general, f"{world.mention} stream 24")
    await world.env.advance_time(20)
    [answer] = _bot_messages(world)
    assert answer.content.strip() == " ".join(f"w{i}" for i in range(24))
    attempts = world.requests("PATCH", f"/messages/{answer.id}")
    # Two refused edits pushed the next ones back (1 s, then 2 s): fewer attempts, same text.
    assert len(attempts) == 5


async def test_fast_commands_answer_directly(start_world: StartWorld):
    world = await start_world()
    result = await world.alice.slash(world.general, "echo", text="quick")
    [callback] = world.requests("POST", "/callback")
    assert callback.json["type"] == 4  # a message, no deferral
    assert (result.response.content, result.ephemeral) == ("quick", False)
    result = await world.alice.slash(world.general, "secret")
    assert (result.response.content, result.ephemeral) == ("psst", True)


async def test_slow_commands_are_deferred_in_time(start_world: StartWorld):
    world = await start_world(settle_timeout=1.0)
    result = await world.alice.slash(world.general, "slow", seconds=4)
    assert not result.acknowledged
    await world.env.advance_time(2.5)
    assert result.deferred and not result.ephemeral  # "thinking…" after 2 s, within 3 s
    await world.env.advance_time(2)
    assert result.response.content == "finally done"
    types = [r.json["type"] for r in world.requests("POST", "/callback")]
    assert types == [5]


async def test_explicit_ephemeral_defer(start_world: StartWorld):
    world = await start_world(settle_timeout=1.0)
    result = await world.alice.slash(world.general, "ponder")
    assert result.deferred and result.ephemeral
    await world.env.advance_time(6)
    assert result.response.content == "thought about it" and result.ephemeral


async def test_failing_command_answers_privately(start_world: StartWorld):
    world = await start_world()
    result = await world.alice.slash(world.general, "boom")
    assert result.ephemeral
    assert "something went wrong in `tools`" in result.response.content
    assert "kaboom" not in result.response.content


async def test_failure_after_a_public_deferral_stays_private(start_world: StartWorld):
    world = await start_world(settle_timeout=1.0)
    result = await world.alice.slash(world.general, "late-boom")
    await world.env.advance_time(5)
    [error] = result.followups
    assert error.ephemeral and "something went wrong" in error.content
    assert result.response is None  # the public "thinking…" message was removed
    assert not [m for m in _bot_messages(world) if "wrong" in m.content]


async def test_failing_listener_answers_in_the_channel(start_world: StartWorld):
    world = await start_world()
    await world.alice.send(world.general, f"{world.mention} boom")
    answer = world.general.last_message
    assert "something went wrong in `chat`" in answer.content
    assert "kaboom" not in answer.content


async def test_attachments_download_lazily_with_a_limit(start_world: StartWorld):
    world = await start_world(max_attachment_bytes=100)
    await world.alice.send(
        world.general, f"{world.mention} look", attachments=[("a.txt", b"hello")]
    )
    assert world.general.last_message.content == "got a.txt=5"
    await world.alice.send(
        world.general, f"{world.mention} look", attachments=[("big.bin", b"x" * 500)]
    )
    assert world.general.last_message.content == (
        "`big.bin` is 500 bytes; I accept files up to 100 bytes."
    )
    result = await world.alice.slash(world.general, "upload", file=("c.txt", b"x" * 500))
    assert result.ephemeral and "I accept files up to 100 bytes" in result.response.content


async def test_reply_files_are_attached(start_world: StartWorld):
    world = await start_world()
    await world.alice.send(world.general, f"{world.mention} files please")
    answer = world.general.last_message
    assert answer.content == "Here are your files"
    assert sorted(a.filename for a in answer.attachments) == ["a.txt", "b.txt"]
    assert await answer.attachments[0].read() in (b"alpha", b"beta")


async def test_missing_send_permission_is_explained_by_dm(start_world: StartWorld):
    world = await start_world()
    quiet = world.guild.create_text_channel(
        "quiet", overwrites={world.client.user: discord.PermissionOverwrite(send_messages=False)}
    )
    await world.alice.send(quiet, f"{world.mention} hello?")
    assert _bot_messages(world, quiet) == []
    notice = world.alice.user.dm_channel.last_message.content
    assert "**Send Messages**" in notice and quiet.mention in notice


async def test_history_needs_both_sides_to_read_it(start_world: StartWorld):
    world = await start_world(message_content_intent=True)
    await world.bob.send(world.general, "first")
    await world.bob.send(world.general, "second")
    result = await world.alice.slash(world.general, "history")
    assert result.response.content == "2 messages: first | second"

    hidden = world.guild.create_text_channel(
        "no-history",
        overwrites={world.alice: discord.PermissionOverwrite(read_message_history=False)},
    )
    result = await world.alice.slash(hidden, "history")
    assert result.ephemeral and "You need **Read Message History**" in result.response.content

    blind = world.guild.create_text_channel(
        "bot-blind",
        overwrites={world.client.user: discord.PermissionOverwrite(read_message_history=False)},
    )
    result = await world.alice.slash(blind, "history")
    assert result.ephemeral
    assert "missing the **Read Message History** permission" in result.response.content


async def test_a_rate_limited_history_read_is_explained(start_world: StartWorld, monkeypatch):
    world = await start_world(message_content_intent=True)
    await world.bob.send(world.general, "first")

    def limited(self, **kwargs):
        raise discord.RateLimited(42.4)

    monkeypatch.setattr(discord.TextChannel, "history", limited)
    result = await world.alice.slash(world.general, "history")
    assert result.ephemeral
    assert "limiting how fast I can read this channel" in result.response.content
    assert "try again in 42 seconds" in result.response.content
