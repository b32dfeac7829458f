"""Upload a document, ask about it: cited answers, and an honest "not found"."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core.events import CommandCall
from bot.knowledge import answers
from bot.shared.markup import command_ref, plain
from tests.core.helpers import RecordingResponder
from tests.docs.conftest import (
    ANSWER,
    GARDEN_TEXT,
    SERVER_A,
    StartWorld,
    World,
    kettle_pdf,
    posted,
)

NOT_FOUND = plain(answers.NOT_FOUND.format(command=command_ref("docs upload")))  # as read

WARRANTY = "How long is the warranty?"
OFF_TOPIC = "Who won the football world cup in 1998?"


async def test_upload_then_ask_cites_document_page_and_link(world: World) -> None:
    alice = world.member("alice")
    manual = world.file("kettle-manual.pdf", kettle_pdf())

    out = await alice.say(f"/docs upload file:{manual}")
    assert "📄 Reading **kettle-manual.pdf**…" in out
    assert "✅ Added **kettle-manual.pdf**: 3 pages, 3 chunks" in out

    out = await alice.say(f"/ask {WARRANTY}")
    answer, sources = out.split("sohbet> **Sources**\n")
    assert answer == f"sohbet> {ANSWER}\n"
    # The model cited [1] only, and [1] is the warranty page. A file sent from the console has
    # no web address to link (its file: address would show the operator's folders).
    assert sources.splitlines() == ["[1] kettle-manual.pdf, pages 1, 2, 3"]


async def test_a_turkish_question_finds_the_english_page(world: World) -> None:
    alice = world.member("alice")
    await alice.say(f"/docs upload file:{world.file('kettle-manual.pdf', kettle_pdf())}")
    out = await alice.say("/ask Garanti süresi kaç ay?")
    assert "[1] kettle-manual.pdf, pages 1, 2, 3" in out


async def test_add_to_documents_cites_the_upload_message(world: World) -> None:
    bob, alice = world.member("bob"), world.member("alice")
    message = posted(bob, [world.file("kettle-manual.pdf", kettle_pdf())], "our manual")

    out = await alice.menu("Add to documents", message)
    assert "✅ Added **kettle-manual.pdf**" in out
    (row,) = await world.rows(SERVER_A)
    assert row.source_url == message.link and row.uploader_id == alice.id

    out = await bob.say(f"/ask question:{WARRANTY}")
    assert f"[1] kettle-manual.pdf, pages 1, 2, 3 — <{message.link}>" in out


async def test_below_the_score_threshold_the_model_is_not_asked(world: World) -> None:
    alice = world.member("alice")
    await alice.say(f"/docs upload file:{world.file('kettle-manual.pdf', kettle_pdf())}")

    out = await alice.say(f"/ask {OFF_TOPIC}")
    assert out == f"sohbet> {NOT_FOUND}\n"  # no guess, no sources
    assert await world.app.store.usage.tokens_today(SERVER_A) == 0  # the model never ran

    out = await alice.say(f"/ask {WARRANTY}")  # the same store answers a relevant question
    assert ANSWER in out
    assert await world.app.store.usage.tokens_today(SERVER_A) > 0


async def test_the_threshold_is_a_per_server_setting(world: World) -> None:
    admin = world.member("mod", admin=True)
    await admin.say(f"/docs upload file:{world.file('kettle-manual.pdf', kettle_pdf())}")

    out = await admin.say("/plugins config set plugin:docs key:min_score value:0.99")
    assert "`docs.min_score` is now `0.99` on this server." in out
    await admin.say("/plugins config set plugin:docs key:min_keyword_coverage value:1.01")
    assert await admin.say(f"/ask {WARRANTY}") == f"sohbet> {NOT_FOUND}\n"

    await admin.say("/plugins config reset plugin:docs key:min_score")
    assert ANSWER in await admin.say(f"/ask {WARRANTY}")


async def test_no_documents_means_not_found(world: World) -> None:
    out = await world.member().say(f"/ask {WARRANTY}")
    assert out == f"sohbet> {NOT_FOUND}\n"


async def test_a_model_that_does_not_know_gets_the_honest_answer(
    start_world: StartWorld,
) -> None:
    world = await start_world(reply="I don't know.")
    alice = world.member("alice")
    await alice.say(f"/docs upload file:{world.file('kettle-manual.pdf', kettle_pdf())}")

    out = await alice.say(f"/ask {WARRANTY}")
    # One answer: the model's own refusal, with no second "not found" and no sources.
    assert out.endswith("sohbet> I don't know.\n")
    assert NOT_FOUND not in out
    assert "**Sources**" not in out and "Consulted" not in out


async def test_only_the_cited_sources_are_listed(start_world: StartWorld) -> None:
    world = await start_world(reply="Compost goes in the left bin [2].")
    alice = world.member("alice")
    await alice.say(f"/docs upload file:{world.file('kettle-manual.pdf', kettle_pdf())}")
    await alice.say(f"/docs upload file:{world.file('garden.txt', GARDEN_TEXT)}")
    await alice.say("/plugins config set plugin:docs key:min_score value:-1")  # keep every hit

    out = await alice.say("/ask kettle warranty and where compost goes")
    sources = out.split("**Sources**\n")[1].splitlines()
    # The garden ranked first here: the model's [2] (the kettle manual, which says nothing
    # about compost) was checked against its source and re-pointed to [1], and said so.
    assert sources[0].startswith("[1] garden.txt")  # the manual was read, not cited
    assert sources[1:] == ["*Citations checked: [2] is [1].*"]


async def test_two_chunks_of_one_document_are_one_source(start_world: StartWorld) -> None:
    world = await start_world(reply="Keep the receipt [1]; descale monthly [1].")
    alice = world.member("alice")
    await alice.say(f"/docs upload file:{world.file('kettle-manual.pdf', kettle_pdf())}")
    await alice.say("/plugins config set plugin:docs key:min_score value:-1")

    out = await alice.say("/ask kettle warranty receipt descaling citric acid")
    sources = out.split("**Sources**\n")[1].splitlines()
    assert len(sources) == 1
    assert sources[0].startswith("[1] kettle-manual.pdf, pages 1, 2, 3")


async def test_an_answer_without_citations_says_the_sources_were_consulted(
    start_world: StartWorld,
) -> None:
    world = await start_world(reply="The warranty is two years.")
    alice = world.member("alice")
    await alice.say(f"/docs upload file:{world.file('kettle-manual.pdf', kettle_pdf())}")

    out = await alice.say(f"/ask {WARRANTY}")
    assert "**Sources**" not in out
    assert "*Consulted, not cited:* kettle-manual.pdf" in out


async def test_not_found_answers_in_the_language_of_the_question(world: World) -> None:
    out = await world.member().say("/ask Garanti süresi ne kadar, fişi saklamam gerekiyor mu?")
    assert "Bu sunucunun belgelerinde bunun cevabını bulamadım" in out
    assert NOT_FOUND not in out


async def test_asking_in_a_direct_message_is_refused(world: World) -> None:
    alice = world.member("alice", dm=True)
    out = await alice.say(f"/ask {WARRANTY}")
    assert "documents belong to a server" in out
    out = await alice.say(f"/docs upload file:{world.file('a.txt', 'text')}")
    assert "upload them in a server channel" in out


async def test_a_blank_question_is_explained(world: World) -> None:
    alice = world.member("alice")
    await alice.say(f"/docs upload file:{world.file('kettle-manual.pdf', kettle_pdf())}")
    author, location = alice.adapter.author, alice.adapter.location
    responder = RecordingResponder()
    await world.app.router.handle_command(
        CommandCall("ask", {"question": "   "}, author, location), responder
    )
    assert responder.last.ephemeral and not responder.deferred
    assert responder.texts == ["Write a question for me to look up in this server's documents."]


async def test_an_answer_from_documents_is_capped_at_a_short_length(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """/ask asks the model for at most ANSWER_TOKENS new tokens (short answers end sooner on a
    small CPU); the chat model's own limit stays for everything else."""
    from bot.knowledge.answering import ANSWER_TOKENS
    from bot.providers import AIProviders

    asked: list[int] = []
    stream = AIProviders.stream

    def spy(self: AIProviders, messages: Any, cfg: Any, **kwargs: Any) -> Any:
        asked.append(cfg.max_new_tokens)
        return stream(self, messages, cfg, **kwargs)

    monkeypatch.setattr(AIProviders, "stream", spy)
    alice = world.member("alice")
    await alice.say(f"/docs upload file:{world.file('kettle-manual.pdf', kettle_pdf())}")
    assert ANSWER in await alice.say(f"/ask {WARRANTY}")
    assert asked == [ANSWER_TOKENS] and ANSWER_TOKENS < 256
