import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from bot.nlp.errors import EngineTimeout
from plugins.summarize.engines import (
    ChatLine,
    ChatModelSummarizer,
    FallbackSummarizer,
    build_summarizer,
    summarize_chat,
)
from tests.summarize.texts import TURKISH_ARTICLE
from tests.translate.fakes import PromptRecorder


def with_recorder(model: FakeListChatModel) -> PromptRecorder:
    recorder = PromptRecorder()
    model.callbacks = [recorder]
    return recorder


async def test_short_text_is_summarized_in_one_call() -> None:
    model = FakeListChatModel(responses=["Here is a summary:\nİstanbul büyük bir şehirdir."])
    recorder = with_recorder(model)
    summary = await ChatModelSummarizer(model).summarize(TURKISH_ARTICLE, max_sentences=2)
    assert (summary.text, summary.engine) == ("İstanbul büyük bir şehirdir.", "chat")
    assert len(recorder.calls) == 1
    system, human = recorder.calls[0]
    assert "Write in Turkish" in str(system.content)
    assert "at most 2 sentences" in str(human.content)
    assert TURKISH_ARTICLE in str(human.content)


async def test_long_text_is_mapped_then_reduced() -> None:
    paragraphs = [f"Bölüm {i}. " + f"Bu bölümün {i}. konusu önemlidir. " * 12 for i in range(6)]
    text = "\n\n".join(paragraphs)
    model = FakeListChatModel(responses=[f"Özet {i}." for i in range(20)])
    recorder = with_recorder(model)
    summarizer = ChatModelSummarizer(model, chunk_chars=800, concurrency=2)
    summary = await summarizer.summarize(text, max_words=30, lang="tr")
    humans = recorder.human_texts()
    maps = [h for h in humans if "Summarize this part" in h]
    reduces = [h for h in humans if "Combine them" in h]
    assert len(maps) >= 3 and len(reduces) == 1
    assert all(len(h) < 800 + 300 for h in maps)  # chunk + instructions
    assert all(f"Bölüm {i}." in "".join(maps) for i in range(6))  # every part was read
    assert "Özet" in reduces[0] and "at most 30 words" in reduces[0]
    assert summary.text.startswith("Özet")


async def test_model_output_is_cut_to_the_requested_length() -> None:
    long_answer = "Birinci cümle. İkinci cümle. Üçüncü cümle. Dördüncü cümle."
    model = FakeListChatModel(responses=[long_answer])
    summary = await ChatModelSummarizer(model).summarize(TURKISH_ARTICLE, max_sentences=2)
    assert summary.text == "Birinci cümle. İkinci cümle."


async def test_conversation_prompt_names_the_speakers() -> None:
    model = FakeListChatModel(responses=["Ayşe ve Mehmet toplantıyı saat üçe aldı."])
    recorder = with_recorder(model)
    lines = [
        ChatLine("ayse", "Yarınki toplantıyı saat üçe alalım mı?"),
        ChatLine("mehmet", "Olur, saat üç bana uyar.\nOdayı ayırırım."),
    ]
    summary = await summarize_chat(ChatModelSummarizer(model), lines, max_sentences=1)
    assert summary.text == "Ayşe ve Mehmet toplantıyı saat üçe aldı."
    system, human = recorder.calls[0]
    assert "chat conversations" in str(system.content) and "Turkish" in str(system.content)
    assert "mehmet: Olur, saat üç bana uyar. / Odayı ayırırım." in str(human.content)


async def test_failing_or_slow_model_falls_back_to_extractive() -> None:
    slow = FakeListChatModel(responses=["late"], sleep=0.5)
    with pytest.raises(EngineTimeout):
        await ChatModelSummarizer(slow, timeout=0.05).summarize(TURKISH_ARTICLE)
    empty = FakeListChatModel(responses=[""])
    summarizer = build_summarizer("chat", chat_model=empty)
    assert isinstance(summarizer, FallbackSummarizer)
    summary = await summarizer.summarize(TURKISH_ARTICLE, max_sentences=2)
    assert summary.engine == "extractive" and summary.text
    chat_summary = await summarize_chat(
        summarizer, [ChatLine("a", "Toplantı yarın saat üçte."), ChatLine("b", "Tamam.")]
    )
    assert chat_summary.engine == "extractive"
