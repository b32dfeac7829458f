"""Follow-up questions to /ask find the document the conversation is about."""

from __future__ import annotations

from bot.knowledge import answers
from bot.shared.markup import command_ref, plain
from tests.docs.conftest import GARDEN_TEXT, NEUTRAL, StartWorld, kettle_pdf, read_from

NOT_FOUND = plain(answers.NOT_FOUND.format(command=command_ref("docs upload")))  # as read

FOLLOW_UP = "and how long does it last?"


async def test_a_follow_up_is_searched_with_the_question_it_follows(
    start_world: StartWorld,
) -> None:
    world = await start_world(reply=NEUTRAL)
    alice, bob = world.member("alice"), world.member("bob")
    await alice.say(f"/docs upload file:{world.file('kettle-manual.pdf', kettle_pdf())}")
    await alice.say(f"/docs upload file:{world.file('garden.txt', GARDEN_TEXT)}")

    first = read_from(await alice.say("/ask Is there a warranty on the Zephyr kettle?"))
    assert first[0] == "kettle-manual.pdf"
    assert read_from(await alice.say(f"/ask {FOLLOW_UP}"))[0] == "kettle-manual.pdf"
    # Without the conversation the same words find nothing to answer from.
    assert await bob.say(f"/ask {FOLLOW_UP}") == f"sohbet> {NOT_FOUND}\n"
    # A question that names its own subject is searched on its own.
    assert read_from(await alice.say("/ask When does the community garden open?"))[0] == (
        "garden.txt"
    )
