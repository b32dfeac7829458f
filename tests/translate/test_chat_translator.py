import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from bot.nlp.errors import (
    EmptyText,
    EngineFailed,
    EngineTimeout,
    InputTooLong,
    NotATranslation,
    UnknownLanguage,
)
from plugins.translate.engines import ChatModelTranslator, FallbackTranslator, Translator
from plugins.translate.engines.chat import clean_output
from tests.translate.fakes import PromptRecorder, ScriptedModel, UppercaseChatModel


def recorded(model: FakeListChatModel) -> PromptRecorder:
    recorder = PromptRecorder()
    model.callbacks = [recorder]
    return recorder


async def test_prompt_asks_for_a_plain_translation_that_keeps_formatting() -> None:
    model = FakeListChatModel(responses=["Good morning <@42>! **See you** at `main.py`."])
    recorder = recorded(model)
    translator = ChatModelTranslator(model)
    assert isinstance(translator, Translator)
    text = "Günaydın <@42>! **Görüşürüz** `main.py` dosyasında."
    result = await translator.translate(text, "English")
    assert result.text == "Good morning <@42>! **See you** at `main.py`."
    assert (result.source, result.target, result.engine) == ("tr", "en", "chat")
    assert not result.same_language
    system, human = recorder.calls[0]
    assert "from Turkish into English" in str(system.content)
    for rule in ("translation only", "formatting", "mentions", "never instructions"):
        assert rule in str(system.content)
    assert "Translate this Turkish text into English" in str(human.content)
    assert f"<text>\n{text}\n</text>" in str(human.content)


async def test_same_language_is_answered_without_calling_the_model() -> None:
    model = FakeListChatModel(responses=["must not be used"])
    recorder = recorded(model)
    translator = ChatModelTranslator(model)
    result = await translator.translate("Bugün hava çok güzel, parka gidelim mi?", "tr")
    assert result.same_language and result.text == "Bugün hava çok güzel, parka gidelim mi?"
    result = await translator.translate("Hello there, friend", "en", source="English")
    assert result.same_language
    assert recorder.calls == [] and model.i == 0


@pytest.mark.parametrize(
    ("output", "original", "expected"),
    [
        ("Here is the translation:\nHello world", "Merhaba dünya", "Hello world"),
        ("Translation: Hello world", "Merhaba dünya", "Hello world"),
        ("<text>\nHello world\n</text>", "Merhaba dünya", "Hello world"),
        ("```\nHello world\n```", "Merhaba dünya", "Hello world"),
        ('"Hello world"', "Merhaba dünya", "Hello world"),
        ('"Hello world"', '"Merhaba dünya"', '"Hello world"'),  # quotes were in the input
        ("  Hello\n\n- one\n- two  ", "x\n\n- a\n- b", "Hello\n\n- one\n- two"),
        ("English: Hello world", "Merhaba dünya", "Hello world"),
        ("Hello world.\n\nI hope this helps! Ask me more.", "Merhaba dünya.", "Hello world."),
        ("One.\n\nTwo.\n\nChatter.", "Bir.\n\nİki.", "One.\n\nTwo."),
    ],
)
def test_output_cleaning(output: str, original: str, expected: str) -> None:
    assert clean_output(output, original, "English") == expected


async def test_long_text_is_chunked_by_sentence_and_reassembled_in_order() -> None:
    sentences = [f"Bu {i}. paragrafın cümlesidir ve biraz uzundur." for i in range(40)]
    paragraphs = [" ".join(sentences[i : i + 4]) for i in range(0, 40, 4)]
    text = "\n\n".join(paragraphs) + "\n```\nkod burada kalır\n```\nSon söz."
    model = UppercaseChatModel()
    recorder = PromptRecorder()
    model.callbacks = [recorder]
    translator = ChatModelTranslator(model, max_chunk_chars=300, concurrency=3)
    result = await translator.translate(text, "en")
    expected = text.replace("kod burada kalır", "@@").upper().replace("@@", "kod burada kalır")
    assert result.text == expected  # every chunk in its place, code untouched
    assert len(recorder.calls) > 3
    sent = [t.split("<text>\n", 1)[1].rsplit("\n</text>", 1)[0] for t in recorder.human_texts()]
    assert all(len(chunk) <= 300 for chunk in sent)
    assert not any("kod burada" in t for t in recorder.human_texts())


async def test_bad_input_gets_friendly_errors_and_no_model_call() -> None:
    model = FakeListChatModel(responses=["x"])
    recorder = recorded(model)
    translator = ChatModelTranslator(model, max_input_chars=100)
    with pytest.raises(UnknownLanguage):
        await translator.translate("Merhaba dünya", "klingon")
    with pytest.raises(EmptyText):
        await translator.translate("   ", "en")
    with pytest.raises(InputTooLong) as info:
        await translator.translate("a" * 101, "en")
    assert "100" in info.value.user_message
    assert recorder.calls == []


async def test_timeout_and_empty_output_become_engine_errors() -> None:
    slow = ChatModelTranslator(FakeListChatModel(responses=["late"], sleep=0.5), timeout=0.05)
    with pytest.raises(EngineTimeout) as info:
        await slow.translate("Merhaba dünya, nasılsın?", "en")
    assert "longer than" in info.value.user_message
    empty = ChatModelTranslator(FakeListChatModel(responses=["   "]))
    with pytest.raises(EngineFailed):
        await empty.translate("Merhaba dünya, nasılsın?", "en")


async def test_fallback_uses_the_next_engine_when_one_fails() -> None:
    broken = ChatModelTranslator(FakeListChatModel(responses=[""]), name="broken")
    working = ChatModelTranslator(FakeListChatModel(responses=["Hello world"]), name="backup")
    result = await FallbackTranslator([broken, working]).translate("Merhaba dünya", "en")
    assert (result.text, result.engine) == ("Hello world", "backup")


GOOD_MORNING = "Good morning, how are you today my friend?"
TURKISH_REPLY = "Günaydın, bugün nasılsın dostum? Umarım her şey yolundadır."


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        (f"Here is the Turkish translation:\n\n{TURKISH_REPLY}", TURKISH_REPLY),
        (f"Sure! Here's your translation into Turkish: {TURKISH_REPLY}", TURKISH_REPLY),
        (f"Türkçe: {TURKISH_REPLY}", TURKISH_REPLY),
        (f"Turkish: {TURKISH_REPLY}", TURKISH_REPLY),
        (f"Türkçe çevirisi: {TURKISH_REPLY}", TURKISH_REPLY),
        (f"Translation (Turkish): {TURKISH_REPLY}", TURKISH_REPLY),
        (f"{TURKISH_REPLY}\n\nNote: I kept the friendly tone.", TURKISH_REPLY),
        (f"{TURKISH_REPLY}\n\n(This is a translation of the English text.)", TURKISH_REPLY),
    ],
)
def test_labels_and_commentary_are_stripped(output: str, expected: str) -> None:
    assert clean_output(output, GOOD_MORNING, "Turkish") == expected


GERMAN_REPLY = "Guten Morgen, wie geht es dir heute, mein Freund?"


@pytest.mark.parametrize(
    ("output", "target", "expected"),
    [
        (f"İngilizce: {GOOD_MORNING}", "English", GOOD_MORNING),  # the Turkish name of English
        (f"Deutsch: {GERMAN_REPLY}", "German", GERMAN_REPLY),  # the native name
        (f'Turkish: "{TURKISH_REPLY}"', "Turkish", TURKISH_REPLY),  # label, then quotes
        (f"“{GOOD_MORNING}”", "English", GOOD_MORNING),
        # A label the patterns don't know, alone in its paragraph: the paragraph trimmer must
        # drop the label, not keep it and drop the translation.
        (f"Here's the English version:\n\n{GOOD_MORNING}", "English", GOOD_MORNING),
        (
            f"Translation:\n{GOOD_MORNING}\n\n"
            "This is a translation of the original Turkish text into English.",
            "English",
            GOOD_MORNING,
        ),
    ],
)
def test_labels_in_any_language_name_are_stripped(output: str, target: str, expected: str) -> None:
    assert clean_output(output, "Günaydın, bugün nasılsın dostum?", target) == expected


async def test_a_wrong_language_answer_gets_one_stricter_retry() -> None:
    model = ScriptedModel(replies=[GOOD_MORNING, TURKISH_REPLY])
    translator = ChatModelTranslator(model, check_output=True)
    result = await translator.translate(GOOD_MORNING, "tr", "en")
    assert result.text == TURKISH_REPLY
    assert len(model.prompts) == 2 and "was not a Turkish translation" in model.prompts[1]


@pytest.mark.parametrize(
    "replies",
    [
        [GOOD_MORNING, GOOD_MORNING],  # English both times
        ["I'm ready to help. What's your request?", "The text you provided is already in English."],
    ],
)
async def test_answers_that_are_not_translations_are_never_shown(replies: list[str]) -> None:
    translator = ChatModelTranslator(ScriptedModel(replies=replies), check_output=True)
    with pytest.raises(NotATranslation) as caught:
        await translator.translate(GOOD_MORNING, "tr", "en")
    assert "didn't translate this into Turkish" in caught.value.user_message
    assert "try again later" not in caught.value.user_message.lower()
