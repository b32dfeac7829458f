"""The glossary in translation (prompt, check, one retry), glossary matching rules, and the
persona examples chat puts into its prompt within a token cap."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from bot.teaching.glossary import Glossary, Term
from plugins.translate.engines import ChatModelTranslator
from tests.translate.fakes import PromptRecorder

GLOSSARY = Glossary("en", "tr", (Term("raid", "baskın"), Term("guild bank", "lonca kasası")))


def recorded(replies: list[str]) -> tuple[FakeListChatModel, PromptRecorder]:
    model = FakeListChatModel(responses=replies)
    recorder = PromptRecorder()
    model.callbacks = [recorder]
    return model, recorder


def test_terms_are_found_at_word_starts_with_suffixes_and_turkish_capitals() -> None:
    found = GLOSSARY.found_in("The Raids start when the guild bank opens.")
    assert [t.source for t in found] == ["guild bank", "raid"]
    assert GLOSSARY.found_in("A braid is not a raid-boss") == [Term("raid", "baskın")]
    assert GLOSSARY.found_in("nothing here") == []
    # Turkish endings and capitals: "Baskına", "BASKIN", softened "kitabı".
    assert GLOSSARY.missing("Baskına herkes gelsin", found) == [Term("guild bank", "lonca kasası")]
    assert GLOSSARY.missing("LONCA KASASI ve BASKIN", found) == []
    book = Glossary("en", "tr", (Term("book", "kitap"),))
    assert book.missing("Kitabı okudum", list(book.terms)) == []


async def test_the_prompt_names_the_terms_and_a_missed_term_gets_one_retry() -> None:
    model, recorder = recorded(
        ["Akşam saat dokuzda akın başlıyor.", "Akşam saat dokuzda baskın başlıyor."]
    )
    translator = ChatModelTranslator(model, glossary=GLOSSARY)
    result = await translator.translate("The raid starts at nine tonight.", "tr", "en")
    assert result.text == "Akşam saat dokuzda baskın başlıyor."
    assert len(recorder.calls) == 2
    first_system = str(recorder.calls[0][0].content)
    assert "raid → baskın" in first_system and "guild bank" not in first_system
    retry = str(recorder.calls[1][-1].content)
    assert "“raid” as “baskın”" in retry


async def test_a_retry_that_is_no_better_keeps_the_first_translation() -> None:
    model, recorder = recorded(["Akın dokuzda.", "Yine akın dokuzda."])
    translator = ChatModelTranslator(model, glossary=GLOSSARY)
    result = await translator.translate("The raid is at nine.", "tr", "en")
    assert result.text == "Akın dokuzda." and len(recorder.calls) == 2


async def test_no_terms_no_glossary_in_the_prompt_and_other_pairs_ignore_it() -> None:
    model, recorder = recorded(["Saat dokuzda başlıyoruz.", "We start at nine."])
    translator = ChatModelTranslator(model, glossary=GLOSSARY)
    await translator.translate("We start at nine.", "tr", "en")
    assert "glossary" not in str(recorder.calls[0][0].content)
    await translator.translate("Baskın dokuzda başlıyor.", "en", "tr")  # tr -> en: not this pair
    assert "glossary" not in str(recorder.calls[1][0].content)


@pytest.fixture
async def chat_app(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    from bot.app import build_app
    from bot.config import Config
    from plugins.chat import ChatPlugin
    from plugins.teach import TeachPlugin
    from tests.conftest import isolate_environment

    isolate_environment(monkeypatch, tmp_path)
    config = Config(
        data_dir=tmp_path / "data",
        database_url=database_url,
        model_provider="fake",
        model_name="echo",
    )
    app = await build_app(config, plugins=[ChatPlugin(), TeachPlugin()])
    yield app
    await app.close()


async def test_persona_examples_reach_chat_within_the_token_cap(chat_app: Any) -> None:
    from bot.core.events import CommandCall
    from bot.teaching import TeachingService
    from tests.core.helpers import RecordingResponder, here, member

    teaching = chat_app.services.get("teaching", TeachingService)
    await teaching.add_persona(100, 0, "gg", "gg wp, see you next raid!", 1)
    await teaching.add_persona(100, 10, "lag?", "Check #status first.", 1)
    await teaching.add_persona(100, 0, "long " * 400, "answer " * 400, 1)  # over the cap
    chosen = await teaching.persona_examples(100, 10, lambda t: len(t) // 4, 300)
    assert chosen == [("lag?", "Check #status first."), ("gg", "gg wp, see you next raid!")]
    assert await teaching.persona_examples(200, 10, lambda t: len(t) // 4, 300) == []
    elsewhere = await teaching.persona_examples(100, 11, lambda t: len(t) // 4, 300)
    assert ("lag?", "Check #status first.") not in elsewhere

    prompts: list[str] = []
    ai = chat_app.services.extras["ai"]
    original = ai.stream

    def spy(messages: Any, *args: Any, **kwargs: Any) -> Any:
        prompts.append(str(messages[0].content))
        return original(messages, *args, **kwargs)

    ai.stream = spy
    responder = RecordingResponder()
    call = CommandCall("chat", {"message": "hello"}, member(5), here())
    await chat_app.router.handle_command(call, responder)
    assert prompts, responder.texts
    assert "Member: lag?\nYou: Check #status first." in prompts[0]
    assert "long long" not in prompts[0]
