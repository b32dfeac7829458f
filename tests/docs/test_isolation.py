"""Servers never see each other's documents; channel-only documents stay in their channel."""

from __future__ import annotations

from bot.knowledge import answers
from bot.shared.markup import command_ref, plain
from tests.docs.conftest import (
    GARDEN_TEXT,
    GENERAL,
    NEUTRAL,
    RANDOM,
    SERVER_A,
    SERVER_B,
    StartWorld,
    World,
    kettle_pdf,
    read_from,
)

NOT_FOUND = plain(answers.NOT_FOUND.format(command=command_ref("docs upload")))  # as read

WARRANTY = "How long is the warranty?"
GARDEN = "When does the community garden open?"


async def test_a_servers_documents_are_invisible_from_another_server(
    start_world: StartWorld,
) -> None:
    world = await start_world(reply=NEUTRAL)
    alice = world.member("alice", server=SERVER_A)
    bob = world.member("bob", server=SERVER_B)
    b_admin = world.member("b-admin", server=SERVER_B, admin=True)
    await alice.say(f"/docs upload file:{world.file('kettle-manual.pdf', kettle_pdf())}")
    (kettle,) = await world.rows(SERVER_A)

    # Not retrieved, not listed, not deletable (by name or id, even by B's admin) from B.
    assert await bob.say(f"/ask {WARRANTY}") == f"sohbet> {NOT_FOUND}\n"
    assert "No documents yet" in await bob.say("/docs list")
    for who in (bob, b_admin):
        assert "No document `kettle-manual.pdf` on this server" in await who.say(
            "/docs delete kettle-manual.pdf"
        )
        assert f"No document `{kettle.id[:8]}` on this server" in await who.say(
            f"/docs delete document:{kettle.id[:8]}"
        )
    assert await world.chunks(SERVER_A) == 3 and len(await world.rows(SERVER_A)) == 1

    # B's own upload of the same file is not a duplicate of A's, and stays B's.
    out = await bob.say(f"/docs upload file:{world.file('kettle-b.pdf', kettle_pdf())}")
    assert "✅ Added **kettle-b.pdf**" in out
    await bob.say(f"/docs upload file:{world.file('garden.txt', GARDEN_TEXT)}")
    assert await alice.say(f"/ask {GARDEN}") == f"sohbet> {NOT_FOUND}\n"
    assert read_from(await bob.say(f"/ask {GARDEN}"))[0] == "garden.txt"
    assert "kettle-b.pdf" in await bob.say(f"/ask {WARRANTY}")
    a_listing, b_listing = await alice.say("/docs list"), await bob.say("/docs list")
    assert "kettle-manual.pdf" in a_listing and "garden" not in a_listing
    assert "kettle-b.pdf" in b_listing and "kettle-manual" not in b_listing

    assert "Deleted **kettle-b.pdf** and its 3 chunks" in await bob.say("/docs delete kettle-b.pdf")
    assert await world.chunks(SERVER_A) == 3  # A's copy of the same text is untouched
    assert "kettle-manual.pdf" in await alice.say(f"/ask {WARRANTY}")


async def test_channel_only_documents_answer_only_in_their_channel(
    start_world: StartWorld,
) -> None:
    world = await start_world(reply=NEUTRAL)
    in_general = world.member("alice", channel=GENERAL)
    in_random = world.member("alice", channel=RANDOM, user_id=in_general.id)
    garden = world.file("garden.txt", GARDEN_TEXT)
    out = await in_general.say(f"/docs upload file:{garden} channel_only:true")
    assert "✅ Added **garden.txt**" in out
    await in_general.say(f"/docs upload file:{world.file('kettle-manual.pdf', kettle_pdf())}")
    (garden_row,) = [d for d in await world.rows(SERVER_A) if d.name == "garden.txt"]
    assert garden_row.channel_id == GENERAL

    # Its own channel sees it next to the server-wide manual ...
    assert read_from(await in_general.say(f"/ask {GARDEN}"))[0] == "garden.txt"
    assert "kettle-manual.pdf" in await in_general.say(f"/ask {WARRANTY}")
    # ... another channel sees only the server-wide manual.
    assert await in_random.say(f"/ask {GARDEN}") == f"sohbet> {NOT_FOUND}\n"
    assert "kettle-manual.pdf" in await in_random.say(f"/ask {WARRANTY}")

    # this_channel: only what was uploaded to this very channel.
    assert read_from(await in_general.say(f"/ask {GARDEN} this_channel:true"))[0] == "garden.txt"
    out = await in_general.say(f"/ask question:{WARRANTY} this_channel:true")
    assert out == f"sohbet> {NOT_FOUND}\n"
    out = await in_random.say(f"/ask question:{WARRANTY} this_channel:true")
    assert out == f"sohbet> {NOT_FOUND}\n"

    # Listing shows where a channel-only document answers.
    assert f"**garden.txt** — 1 p., 1 chunk, by <@{in_general.id}> (channel <#{GENERAL}>)" in (
        await in_random.say("/docs list")
    )


async def test_forgetting_a_member_removes_their_documents_per_server(world: World) -> None:
    alice_a = world.member("alice", server=SERVER_A)
    alice_b = world.member("alice", server=SERVER_B, user_id=alice_a.id)
    bob_a = world.member("bob", server=SERVER_A)
    await alice_a.say(f"/docs upload file:{world.file('kettle-manual.pdf', kettle_pdf())}")
    await alice_b.say(f"/docs upload file:{world.file('kettle-manual.pdf', kettle_pdf())}")
    await bob_a.say(f"/docs upload file:{world.file('garden.txt', GARDEN_TEXT)}")

    out = await alice_a.say("/privacy forget confirm:true")
    assert "Deleted your data on this server: 1 document, 3 document chunks." in out
    assert [d.name for d in await world.rows(SERVER_A)] == ["garden.txt"]
    assert await world.chunks(SERVER_A) == 1  # bob's garden rules
    assert await world.chunks(SERVER_B) == 3  # alice's upload on the other server stays
    assert await alice_a.say(f"/ask {WARRANTY}") == f"sohbet> {NOT_FOUND}\n"

    out = await alice_b.say("/privacy forget everywhere:true confirm:true")
    assert "1 document, 3 document chunks" in out
    assert await world.rows(SERVER_B) == [] and await world.chunks(SERVER_B) == 0
    assert await world.chunks(SERVER_A) == 1
