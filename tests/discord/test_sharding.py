"""Large bots: the same adapter over several gateway shards."""

from __future__ import annotations

import discord
import pytest
from pydantic import ValidationError

from bot.platforms.discord import DiscordSettings
from tests.discord.conftest import StartWorld


async def test_a_sharded_bot_answers_like_a_plain_one(start_world: StartWorld):
    world = await start_world(sharded=True, shard_count=2)
    assert isinstance(world.client, discord.AutoShardedClient)
    result = await world.alice.slash(world.general, "echo", text="over shards")
    assert result.response.content == "over shards"
    assert len(world.requests("PUT", "/commands")) == 1


async def test_only_the_process_with_shard_zero_syncs_commands(start_world: StartWorld):
    world = await start_world(shard_count=4, shard_ids=[1, 3])
    assert world.client.shard_ids == [1, 3] and world.client.shard_count == 4
    assert world.requests("PUT", "/commands") == []


def test_inconsistent_shard_settings_are_refused_clearly():
    with pytest.raises(ValidationError, match="needs SOHBET_DISCORD_SHARD_COUNT"):
        DiscordSettings(shard_ids=[0])
    with pytest.raises(ValidationError, match="between 0 and SHARD_COUNT - 1"):
        DiscordSettings(shard_count=2, shard_ids=[2])


async def test_sohbet_run_explains_bad_shard_settings(config, monkeypatch, capsys):
    from pydantic import SecretStr

    from bot.platforms.discord.runner import run_bot

    monkeypatch.setenv("SOHBET_DISCORD_SHARD_IDS", "[0]")
    code = await run_bot(config.model_copy(update={"discord_token": SecretStr("x")}))
    assert code == 2
    assert "SHARD_IDS needs SOHBET_DISCORD_SHARD_COUNT" in capsys.readouterr().err
