from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from bot.nlp.errors import EngineUnavailable, UnsupportedLanguage
from plugins.translate.engines import FallbackTranslator, Seq2SeqTranslator, build_translator

SENTENCES = [
    "Merhaba dünya.",
    "Bu bir test cümlesidir.",
    "Bugün hava çok güzel.",
    "Pijamalı hasta yağız şoföre çabucak güvendi.",
    "Hava güzel mi?",
]


@pytest.fixture(scope="module")
def marian(marian_dir: Path) -> Seq2SeqTranslator:
    translator = Seq2SeqTranslator(marian_dir, batch_size=2, max_new_tokens=12)
    translator.load_sync()
    return translator


async def test_marian_pair_comes_from_the_tokenizer_and_output_is_text(
    marian: Seq2SeqTranslator,
) -> None:
    assert marian.pair == ("tr", "en")
    result = await marian.translate("Merhaba dünya. Bu bir test cümlesidir.", "en", "tr")
    assert isinstance(result.text, str) and result.text.strip()
    assert (result.source, result.target) == ("tr", "en")


async def test_chunked_translation_keeps_sentence_order(marian: Seq2SeqTranslator) -> None:
    singles = [marian.translate_batch([s], "tr", "en")[0] for s in SENTENCES]
    assert len(set(singles)) > 1  # the tiny model answers differently per sentence
    text = " ".join(SENTENCES[:3]) + "\n\n" + " ".join(SENTENCES[3:])
    result = await marian.translate(text, "en", source="tr")
    assert result.text == " ".join(singles[:3]) + "\n\n" + " ".join(singles[3:])


async def test_sentence_splitting_runs_off_the_event_loop(
    marian: Seq2SeqTranslator, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from plugins.translate.engines import seq2seq

    on_loop: list[bool] = []
    real = seq2seq.segment_text

    def spy(*args: Any, **kwargs: Any) -> Any:
        try:
            asyncio.get_running_loop()
            on_loop.append(True)
        except RuntimeError:  # a worker thread has no running loop
            on_loop.append(False)
        return real(*args, **kwargs)

    monkeypatch.setattr(seq2seq, "segment_text", spy)
    await marian.translate(" ".join(SENTENCES), "en", source="tr")
    assert on_loop == [False]


async def test_marian_rejects_pairs_it_was_not_trained_for(marian: Seq2SeqTranslator) -> None:
    with pytest.raises(UnsupportedLanguage) as info:
        await marian.translate("Hallo Welt, wie geht es dir?", "fr", source="de")
    assert "Turkish → English" in info.value.user_message


async def test_nllb_uses_flores_codes_and_forces_the_target_token(nllb_dir: Path) -> None:
    translator = Seq2SeqTranslator(nllb_dir, max_new_tokens=8)
    await translator.load()
    assert translator._loaded is not None and translator._loaded.style == "nllb"
    tokenizer = translator._loaded.tokenizer
    ids = translator.generate_ids(["Merhaba dünya."], "tr", "de")
    assert tokenizer.src_lang == "tur_Latn"
    assert int(ids[0][1]) == tokenizer.convert_tokens_to_ids("deu_Latn")  # after decoder start
    ids = translator.generate_ids(["Hello world."], "en", "fr")
    assert int(ids[0][1]) == tokenizer.convert_tokens_to_ids("fra_Latn")
    result = await translator.translate("Merhaba dünya. Nasılsın?", "German", "tr")
    assert result.target == "de"
    with pytest.raises(UnsupportedLanguage):  # Latin has no FLORES-200 code
        await translator.translate("Merhaba dünya.", "la", "tr")


async def test_missing_model_is_unavailable_and_falls_back(tmp_path: Path) -> None:
    missing = Seq2SeqTranslator(tmp_path / "no-such-model")
    with pytest.raises(EngineUnavailable) as info:
        await missing.translate("Merhaba dünya, nasılsın?", "en")
    assert "isn't available" in info.value.user_message
    chat = FakeListChatModel(responses=["Hello world, how are you?"])
    engine = build_translator(chat, seq2seq_model=str(tmp_path / "no-such-model"))
    assert isinstance(engine, FallbackTranslator)
    result = await engine.translate("Merhaba dünya, nasılsın?", "en")
    assert (result.text, result.engine) == ("Hello world, how are you?", "chat")
