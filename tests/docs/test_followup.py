"""Follow-up questions to /ask find the document the conversation is about."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from langchain_core.messages import BaseMessage

from plugins.docs.answer import NOT_FOUND
from plugins.docs.followup import (
    FollowUps,
    accept_rewrite,
    is_follow_up,
    retrieval_query,
    standalone_query,
)
from tests.docs.conftest import GARDEN_TEXT, World, kettle_pdf

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


# ----- the model's standalone rewrite, and its fallbacks --------------------------------------

EARLIER = ["How do I restart the Zephyr router?"]


def scripted(*pieces: str, delay: float = 0.0, seen: list[str] | None = None):  # type: ignore[no-untyped-def]
    """An `ask` that streams `pieces`; `seen` collects what was read and the prompt."""

    async def ask(messages: list[BaseMessage]) -> AsyncIterator[str]:
        if seen is not None:
            seen.append(str(messages[-1].content))
        for piece in pieces:
            await asyncio.sleep(delay)
            if seen is not None:
                seen.append(piece)
            yield piece

    return ask


async def test_the_models_rewrite_is_searched_when_it_names_the_subject() -> None:
    seen: list[str] = []
    ask = scripted("What is the Zephyr ", "router's admin port?", "\nIt is 8080.", seen=seen)
    found = await standalone_query("and what is its admin port?", EARLIER, ask, 5)
    assert found.how == "rewritten"
    assert found.query == "What is the Zephyr router's admin port?"
    assert EARLIER[0] in seen[0] and "and what is its admin port?" in seen[0]
    assert "\nIt is 8080." in seen  # read up to the end of the first line...
    assert seen[-1] == "\nIt is 8080."  # ...and no further


async def test_bad_slow_or_failing_rewrites_fall_back_to_the_joined_question() -> None:
    joined = f"{EARLIER[0]} and what is its admin port?"
    question = "and what is its admin port?"
    for ask in (
        scripted("I don't know what you mean."),  # names nothing from the earlier question
        scripted("Sure! " * 100),  # not a short question
        scripted(""),
        scripted("What is the Zephyr router's admin port?", delay=2.0),  # too slow
    ):
        found = await standalone_query(question, EARLIER, ask, 0.5)
        assert (found.how, found.query) == ("joined", joined)

    async def broken(messages: list[BaseMessage]) -> AsyncIterator[str]:
        raise ConnectionError("model server down")
        yield ""

    assert (await standalone_query(question, EARLIER, broken, 5)).how == "joined"
    assert (await standalone_query(question, EARLIER, None, 5)).how == "joined"  # no model
    assert (await standalone_query(question, EARLIER, broken, 0)).how == "joined"  # turned off
    # A question with its own subject, or no earlier question: searched alone, no model call.
    assert (await standalone_query("Where is the Zephyr manual?", EARLIER, broken, 5)).how == (
        "alone"
    )
    assert (await standalone_query(question, [], broken, 5)).how == "alone"


def test_rewrite_labels_and_quotes_are_removed_turkish_too() -> None:
    earlier = ["Zephyr yönlendiricisini nasıl yeniden başlatırım?"]
    assert accept_rewrite(
        'Rewritten question: "Zephyr yönlendiricisinin yönetici portu nedir?"',
        "Peki onun yönetici portu nedir?",
        earlier,
    ) == "Zephyr yönlendiricisinin yönetici portu nedir?"
    # Repeating the follow-up resolves nothing: rejected.
    assert accept_rewrite("Peki onun yönetici portu nedir?", "Peki onun yönetici portu nedir?",
                          earlier) is None  # fmt: skip
