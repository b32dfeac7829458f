"""App commands generated from the registry: schema, sync, options, permissions, menus."""

from __future__ import annotations

import discord
import pytest
from simcord import SetupError

from bot.platforms.discord.commands import command_fingerprint
from tests.discord.conftest import StartWorld
from tests.discord.plugins import ChatPlugin, ToolsPlugin


def _synced(world, name: str) -> dict:
    puts = world.requests("PUT", "/commands")
    assert puts, "commands were never synced"
    return next(c for c in puts[-1].json if c["name"] == name)


def _option(command: dict, *path: str) -> dict:
    node = command
    for name in path:
        node = next(o for o in node["options"] if o["name"] == name)
    return node


async def test_sync_builds_commands_groups_and_menus_from_registry(start_world: StartWorld):
    world = await start_world()
    puts = world.requests("PUT", "/commands")
    assert len(puts) == 1 and "/guilds/" not in puts[0].path  # global by default
    names = {(c["name"], c["type"]) for c in puts[0].json}
    assert ("echo", 1) in names and ("calc", 1) in names and ("plugins", 1) in names
    assert ("Shout message", 3) in names and ("Purge message", 3) in names
    assert not world.client.build.skipped

    echo = _synced(world, "echo")
    assert echo["description"] == "Repeat some text"
    text = _option(echo, "text")
    assert text["type"] == 3 and text["required"] is True and text["max_length"] == 50
    assert text["description"] == "what to say"

    calc = _synced(world, "calc")
    a = _option(calc, "add", "a")
    b = _option(calc, "add", "b")
    loud = _option(calc, "add", "loud")
    assert (a["type"], a["min_value"], a["max_value"], a["required"]) == (4, 0, 100, True)
    assert (b["type"], b["min_value"], b["max_value"], b["required"]) == (10, -1.5, 1000.0, False)
    assert (loud["type"], loud["required"]) == (5, False)

    pick = _synced(world, "pick")
    assert [c["value"] for c in _option(pick, "color")["choices"]] == ["red", "green"]
    assert [c["value"] for c in _option(pick, "size")["choices"]] == ["small", "large"]
    assert _option(_synced(world, "find"), "fruit")["autocomplete"] is True
    assert _option(_synced(world, "upload"), "file")["type"] == 11

    plugins = _synced(world, "plugins")
    config = _option(plugins, "config")
    assert config["type"] == 2 and _option(config, "set")["type"] == 1
    # A group with a non-admin subcommand stays visible; the Router guards the admin one.
    assert plugins["default_member_permissions"] is None
    assert _synced(world, "wipe")["default_member_permissions"] == 1 << 5  # Manage Server
    assert _synced(world, "wipe")["contexts"] == [0]
    assert _synced(world, "Purge message")["default_member_permissions"] == 1 << 5  # Manage Server
    assert _synced(world, "echo")["default_member_permissions"] is None


async def test_unchanged_commands_are_not_synced_again(start_world: StartWorld):
    world = await start_world()
    assert len(world.requests("PUT", "/commands")) == 1

    await world.restart()  # same plugins, same database: nothing to upload
    assert len(world.requests("PUT", "/commands")) == 1
    result = await world.alice.slash(world.general, "echo", text="still here")
    assert result.response.content == "still here"

    await world.restart(ChatPlugin())  # the tools plugin is gone: the command set changed...
    assert len(world.requests("PUT", "/commands")) == 2
    await world.restart(ToolsPlugin(), ChatPlugin())  # ...and changed back
    assert len(world.requests("PUT", "/commands")) == 3
    await world.restart()
    assert len(world.requests("PUT", "/commands")) == 3


async def test_development_guild_sync(start_world: StartWorld, config):
    world = await start_world()
    await world.restart(dev_guild_id=world.guild.id)
    puts = world.requests("PUT", "/commands")
    assert puts[-1].path.endswith(f"/guilds/{world.guild.id}/commands")
    assert {c["name"] for c in puts[-1].json} >= {"echo", "calc", "Shout message"}


async def test_each_option_type_arrives_typed(start_world: StartWorld):
    world = await start_world()
    result = await world.alice.slash(world.general, "calc add", a=2, b=0.25, loud=True)
    assert result.response.content == "SUM 2.25!"
    assert world.tools.calls[-1] == ("calc add", {"a": 2, "b": 0.25, "loud": True})

    result = await world.alice.slash(world.general, "calc add", a=7)
    assert result.response.content == "sum 8.5"  # the plugin's default for b

    result = await world.alice.slash(world.general, "pick", color="green", size="large")
    assert result.response.content == "green large"
    _name, values = world.tools.calls[-1]
    assert type(values["size"]).__name__ == "Size"  # Enum options arrive as members

    result = await world.alice.slash(world.general, "upload", file=("notes.txt", b"hello world"))
    assert result.response.content.startswith("notes.txt 11 bytes b94d27b9934d")


async def test_discord_enforces_declared_limits(start_world: StartWorld):
    world = await start_world()
    with pytest.raises(SetupError):  # what the Discord client refuses to send
        await world.alice.slash(world.general, "calc add", a=101)
    with pytest.raises(SetupError):
        await world.alice.slash(world.general, "echo", text="x" * 51)
    with pytest.raises(SetupError):
        await world.alice.slash(world.general, "pick", color="blue")


async def test_an_option_named_like_a_keyword(start_world: StartWorld):
    world = await start_world()
    origin = _option(_synced(world, "move"), "from")
    assert origin["description"] == "where from" and origin["autocomplete"] is True
    result = await world.alice.slash(world.general, "move", to="b", **{"from": "a"})
    assert result.response.content == "a -> b"
    choices = await world.alice.autocomplete(world.general, "move", "from", "ban")
    assert [c["value"] for c in choices] == ["banana"]


async def test_autocomplete_goes_through_the_router(start_world: StartWorld):
    world = await start_world()
    choices = await world.alice.autocomplete(world.general, "find", "fruit", "ap")
    assert [c["value"] for c in choices] == ["apple", "apricot"]
    assert await world.alice.autocomplete(world.general, "find", "fruit", "zz") == []


async def test_admin_commands_are_hidden_from_members_and_guarded(start_world: StartWorld):
    world = await start_world()
    assert "wipe" not in world.alice.available_commands(world.general)
    assert "wipe" in world.admin.available_commands(world.general)
    with pytest.raises(SetupError):
        await world.alice.slash(world.general, "wipe")
    result = await world.admin.slash(world.general, "wipe")
    assert result.response.content == "wiped"

    # Inside a mixed group Discord can't hide one subcommand: the Router refuses instead.
    result = await world.alice.slash(world.general, "plugins config set", key="k", value="v")
    assert result.ephemeral
    assert "Manage Server" in result.response.content
    result = await world.admin.slash(world.general, "plugins config set", key="k", value="v")
    assert (result.response.content, result.ephemeral) == ("set k=v", True)
    result = await world.alice.slash(world.general, "plugins list")
    assert result.response.content == "tools, chat"


async def test_message_context_menu(start_world: StartWorld):
    world = await start_world()
    target = await world.bob.send(world.general, f"{world.mention} quiet please")
    result = await world.alice.context_menu(world.general, "Shout message", target)
    assert result.response.content == "QUIET PLEASE"
    with pytest.raises(SetupError):
        await world.alice.context_menu(world.general, "Purge message", target)
    result = await world.admin.context_menu(world.general, "Purge message", target)
    assert result.response.content == "purged"


async def test_commands_work_in_direct_messages(start_world: StartWorld):
    world = await start_world()
    result = await world.alice.user.slash("echo", text="in private")
    assert result.response.content == "in private"
    assert "wipe" not in world.alice.user.available_commands()  # admin: servers only


async def test_stale_commands_on_discord_are_resynced(start_world: StartWorld):
    world = await start_world()
    # The database claims Discord has the set of a tools-less bot; Discord still has /echo.
    key = world.client.sync.state_key(world.client.application_id)
    await world.app.store.state.set(key, command_fingerprint([]))
    await world.restart(ChatPlugin())
    assert len(world.requests("PUT", "/commands")) == 1  # trusted the stored fingerprint
    result = await world.alice.slash(world.general, "echo", text="gone?")
    assert result.ephemeral and "refreshed my commands" in result.response.content
    puts = world.requests("PUT", "/commands")
    assert len(puts) == 2 and puts[-1].json == []
    assert [type(e).__name__ for e in world.accept_errors()] == ["CommandNotFound"]


async def test_interaction_replies_expose_their_message_ids(start_world: StartWorld):
    world = await start_world()
    result = await world.alice.slash(world.general, "essay")
    returned, on_responder = world.tools.sent_ids
    expected = [result.response.id] + [f.id for f in result.followups]
    assert returned == on_responder == expected


async def test_rate_limited_sync_does_not_stop_the_bot(start_world: StartWorld, monkeypatch):
    """Discord's daily command-creation limit answers with a long Retry-After: discord.py
    raises RateLimited (not an HTTPException) instead of waiting. The bot keeps running."""
    world = await start_world()

    async def refused(*args, **kwargs):
        raise discord.RateLimited(3600.0)

    monkeypatch.setattr(world.client.tree, "sync", refused)
    sync = world.client.sync
    key = sync.state_key(world.client.application_id)
    before = await world.app.store.state.get(key)
    assert await sync.sync_if_changed(world.client.application_id, force=True) is False
    assert await world.app.store.state.get(key) == before  # the next start tries again
    result = await world.alice.slash(world.general, "echo", text="still up")
    assert result.response.content == "still up"
