"""Follow-up questions to /ask find the document the conversation is about."""

from __future__ import annotations

from plugins.rag.answer import NOT_FOUND
from plugins.rag.followup import FollowUps, is_follow_up, retrieval_query
from tests.rag.conftest import GARDEN_TEXT, World, kettle_pdf

FOLLOW_UP = "and how long does it last?"


async def test_a_follow_up_is_searched_with_the_question_it_follows(world: World) -> None:
    alice, bob = world.member("alice"), world.member("bob")
    await alice.say(f"/docs upload file:{world.file('kettle-manual.pdf', kettle_pdf())}")
    await alice.say(f"/docs upload file:{world.file('garden.txt', GARDEN_TEXT)}")

    assert "kettle-manual.pdf" in await alice.say("/ask Is there a warranty on the Zephyr kettle?")
    assert "kettle-manual.pdf" in await alice.say(f"/ask {FOLLOW_UP}")
    # Without the conversation the same words find nothing to answer from.
    assert await bob.say(f"/ask {FOLLOW_UP}") == f"sohbet> {NOT_FOUND}\n"
    # A question that names its own subject is searched on its own.
    assert "garden.txt" in await alice.say("/ask When does the community garden open?")


def test_which_questions_follow_up() -> None:
    assert is_follow_up("and what is its admin port?")
    assert is_follow_up("Peki bunun fiyatı ne kadar?")
    assert is_follow_up("Why?")
    assert not is_follow_up("How long is the warranty on the Zephyr kettle?")
    assert retrieval_query("what is its port?", ["How do I restart the Zephyr router?"]) == (
        "How do I restart the Zephyr router? what is its port?"
    )
    assert retrieval_query("what is its port?", []) == "what is its port?"


def test_follow_ups_are_remembered_briefly_and_forgotten_on_request() -> None:
    memory = FollowUps()
    key = (1, 2, 3)
    memory.remember(key, "first", now=0.0)
    memory.remember(key, "second", now=1.0)
    memory.remember(key, "third", now=2.0)
    assert memory.previous(key, now=3.0) == ["second", "third"]
    assert memory.previous(key, now=2.0 + 16 * 60) == []  # forgotten after 15 minutes
    memory.remember(key, "again", now=5000.0)
    memory.forget_user(3)
    assert memory.previous(key, now=5001.0) == []
