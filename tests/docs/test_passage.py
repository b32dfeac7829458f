"""When the model's answers from documents measured no better than without them, /ask quotes
the closest passage with its citation instead of the model's text."""

from __future__ import annotations

import json

from bot.ai.models import ModelConfig
from bot.ai.readiness import eval_file
from bot.knowledge.answers import Source
from bot.knowledge.passage import best_passage
from tests.docs.conftest import GARDEN_TEXT, StartWorld


def source(number: int, text: str) -> Source:
    return Source(number=number, name=f"doc{number}.txt", pages=(), link=None, text=text)


def test_the_sentence_sharing_most_of_the_questions_words_wins() -> None:
    first = source(1, "The garden has a shed. Compost goes in the left bin only.")
    second = source(2, "Bins are emptied on Mondays. Nothing else here.")
    found = best_passage("Which bin does compost go in?", [first, second])
    assert found is not None and found.source.number == 1
    assert found.text.startswith("Compost goes in the left bin only.")
    # Turkish works the same way, and nothing at all is None.
    tr = best_passage(
        "Bahçe kaçta açılıyor?", [source(1, "Kurallar. Bahçe sabah yedide açılıyor.")]
    )
    assert tr is not None and "yedide" in tr.text
    assert best_passage("anything", []) is None


async def test_ask_quotes_the_passage_when_the_model_is_measured_not_ready(
    start_world: StartWorld,
) -> None:
    reply = "Completely unrelated words."
    world = await start_world(reply=reply)
    config = world.app.services.config
    saved = eval_file(config.data_dir, ModelConfig(provider="fake", model=reply))
    saved.parent.mkdir(parents=True, exist_ok=True)
    verdict = {"ready": False, "reason": "answer contains the reference 0.0 vs 0.0"}
    saved.write_text(json.dumps({"readiness": {"documents": verdict}}))

    alice = world.member("alice")
    await alice.say(f"/docs upload file:{world.file('garden.txt', GARDEN_TEXT)}")
    out = await alice.say("/ask When does the community garden open?")
    assert "sohbet> > " in out and "The community garden opens at 7 in the morning" in out
    assert "[1] garden.txt" in out and "quoted as it is" in out
    assert reply not in out  # the model's text is not shown as the answer

    verdict["ready"] = True  # measured fine: the model answers again
    saved.write_text(json.dumps({"readiness": {"documents": verdict}}))
    assert reply in await alice.say("/ask When does the community garden open?")
